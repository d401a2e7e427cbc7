"""Pull requests: create, list, read, edit, and list changed files and commits."""

from __future__ import annotations

import logging

from .api import ApiRequest, ApiResponse, not_found, route, validation_failed
from .common import (
    created, json_object, load_repository, paginate, require_authentication, required_string,
    write_denied,
)
from .gitrepo import EMPTY_TREE_SHA, FileChange
from .model import EmulatorState, PullRequest, Repository, User, utc_now
from .payloads import commit_json, file_change_json, pull_json

logger = logging.getLogger("tests.github_emulator")

_STATES = ("open", "closed")


@route("POST", "/repos/{owner}/{repo}/pulls", "pulls/pulls#create-a-pull-request")
def create_pull(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Open a pull request from ``head`` (``branch`` or ``owner:branch``) into ``base``.

    Reading the base repository is enough, as on GitHub. The head commits are
    copied to ``refs/pull/<number>/head`` of the base repository, where
    GitHub keeps them too.
    """
    base_repo = load_repository(state, request)
    user = require_authentication(request)
    body = json_object(request)

    title = required_string(body, "title")
    head_spec = required_string(body, "head")
    base_ref = required_string(body, "base")
    head_repo, head_ref = _resolve_head(state, base_repo, head_spec, body.get("head_repo"), user)

    base_sha = base_repo.git.ref_target(f"refs/heads/{base_ref}")
    if base_sha is None:
        raise validation_failed("PullRequest", "invalid", field="base")
    head_sha = head_repo.git.ref_target(f"refs/heads/{head_ref}") if head_repo else None
    if head_repo is None or head_sha is None:
        raise validation_failed("PullRequest", "invalid", field="head")

    head_label = f"{head_repo.owner.login}:{head_ref}"
    if _open_pull_for(state, base_repo, head_repo, head_ref, base_ref) is not None:
        raise validation_failed("PullRequest", "custom", message=f"A pull request already exists for {head_label}.")

    number = len(state.pulls_of(base_repo)) + 1
    _store_head(base_repo, head_repo, head_ref, head_sha, number)
    if base_repo.git.count_commits(base_sha, head_sha) == 0:
        base_repo.git.delete_ref(f"refs/pull/{number}/head")
        raise validation_failed("PullRequest", "custom", message=f"No commits between {base_ref} and {head_spec}")

    pull = state.add_pull(
        base_repo=base_repo, base_ref=base_ref, head_repo=head_repo, head_ref=head_ref, user=user,
        title=title, body=body.get("body"), head_sha=head_sha, base_sha=base_sha,
        draft=bool(body.get("draft")), maintainer_can_modify=bool(body.get("maintainer_can_modify")),
    )
    return created(_detailed_pull_json(state, pull), pull_json(state, pull)["url"])


def _resolve_head(state: EmulatorState, base_repo: Repository, head_spec: str, head_repo_name: object,
                  user: User) -> tuple[Repository | None, str]:
    """Find the head repository and branch; None when it is not in the base's fork network."""
    owner_login, separator, branch = head_spec.partition(":")
    if not separator:
        owner_login, branch = base_repo.owner.login, head_spec

    if isinstance(head_repo_name, str) and head_repo_name:
        owner_part, _, name = head_repo_name.rpartition("/")
        candidate = state.find_repository(owner_part or owner_login, name)
    elif owner_login.lower() == base_repo.owner.login.lower():
        candidate = base_repo
    else:
        candidate = next((repo for repo in state.all_repositories()
                          if repo.owner.login.lower() == owner_login.lower()
                          and repo.source is base_repo.source), None)

    if candidate is None or candidate.source is not base_repo.source:
        return None, branch
    if not state.has_access(candidate, user, "read"):
        return None, branch
    return candidate, branch


def _open_pull_for(state: EmulatorState, base_repo: Repository, head_repo: Repository, head_ref: str,
                   base_ref: str) -> PullRequest | None:
    for pull in state.pulls_of(base_repo):
        if (pull.state == "open" and pull.head_repo is head_repo and pull.head_ref == head_ref
                and pull.base_ref == base_ref):
            return pull
    return None


def _store_head(base_repo: Repository, head_repo: Repository, head_ref: str, head_sha: str, number: int) -> None:
    """Point ``refs/pull/NUMBER/head`` of the base repository at the head commit, fetching it from a fork."""
    target = f"refs/pull/{number}/head"
    if head_repo is base_repo:
        base_repo.git.set_ref(target, head_sha)
    else:
        base_repo.git.fetch_ref(head_repo.git, f"refs/heads/{head_ref}", target)


def refresh_pull(pull: PullRequest) -> None:
    """Follow the head and base branches of an open pull request, as GitHub does on every push."""
    if pull.state != "open":
        return
    head_sha = pull.head_repo.git.ref_target(f"refs/heads/{pull.head_ref}")
    if head_sha is not None and head_sha != pull.head_sha:
        _store_head(pull.base_repo, pull.head_repo, pull.head_ref, head_sha, pull.number)
        pull.head_sha = head_sha
    base_sha = pull.base_repo.git.ref_target(f"refs/heads/{pull.base_ref}")
    if base_sha is not None:
        pull.base_sha = base_sha


def pull_changes(pull: PullRequest) -> list[FileChange]:
    """Return the files changed on the head since it left the base (``git diff base...head``)."""
    git = pull.base_repo.git
    start = git.merge_base(pull.base_sha, pull.head_sha) or EMPTY_TREE_SHA
    return git.diff(start, pull.head_sha)


def _detailed_pull_json(state: EmulatorState, pull: PullRequest) -> dict:
    refresh_pull(pull)
    commit_count = pull.base_repo.git.count_commits(pull.base_sha, pull.head_sha)
    return pull_json(state, pull, pull_changes(pull), commit_count)


def _load_pull(state: EmulatorState, request: ApiRequest) -> PullRequest:
    repository = load_repository(state, request)
    pulls = state.pulls_of(repository)
    try:
        number = int(request.params["number"])
    except ValueError:
        raise not_found()
    if not 1 <= number <= len(pulls):
        raise not_found()
    return pulls[number - 1]


@route("GET", "/repos/{owner}/{repo}/pulls", "pulls/pulls#list-pull-requests")
def list_pulls(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """List pull requests filtered by ``state`` (default open), ``head`` (``owner:branch``) and ``base``.

    A ``head`` without an owner is ignored, which is what GitHub does with
    it too, so a client that forgets the owner sees every pull request.
    """
    repository = load_repository(state, request)
    requested_state = request.query.get("state", "open")
    head = request.query.get("head")
    base = request.query.get("base")
    if head is not None and ":" not in head:
        logger.warning("GET pulls: head filter %r has no owner; GitHub ignores it, so it is ignored", head)
        head = None

    pulls = []
    for pull in state.pulls_of(repository):
        refresh_pull(pull)
        if requested_state != "all" and pull.state != requested_state:
            continue
        if head is not None and not _matches_head(pull, head):
            continue
        if base is not None and pull.base_ref != base:
            continue
        pulls.append(pull)

    pulls = _sort_pulls(pulls, request.query.get("sort", "created"), request.query.get("direction"))
    return paginate(state, request, [pull_json(state, pull) for pull in pulls])


def _matches_head(pull: PullRequest, head: str) -> bool:
    # Owner logins are case-insensitive on GitHub; branch names are not.
    owner, _, branch = head.partition(":")
    return pull.head_repo.owner.login.lower() == owner.lower() and pull.head_ref == branch


def _sort_pulls(pulls: list[PullRequest], sort: str, direction: str | None) -> list[PullRequest]:
    """Sort as GitHub does: by creation time (or update time), newest first unless ``direction=asc``."""
    key = (lambda pull: (pull.updated_at, pull.number)) if sort == "updated" else (
        lambda pull: (pull.created_at, pull.number))
    return sorted(pulls, key=key, reverse=(direction or "desc") == "desc")


@route("GET", "/repos/{owner}/{repo}/pulls/{number}", "pulls/pulls#get-a-pull-request")
def get_pull(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    pull = _load_pull(state, request)
    return ApiResponse(200, _detailed_pull_json(state, pull))


@route("PATCH", "/repos/{owner}/{repo}/pulls/{number}", "pulls/pulls#update-a-pull-request")
def update_pull(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Change ``title``, ``body``, ``state``, ``base`` or ``maintainer_can_modify``.

    The author and users with push access may edit. Reopening fails like
    creating would when another open pull request has the same head and base.
    """
    pull = _load_pull(state, request)
    user = require_authentication(request)
    if user is not pull.user and not state.has_access(pull.base_repo, user, "push"):
        raise write_denied(request)
    body = json_object(request)

    if "base" in body:
        if pull.base_repo.git.ref_target(f"refs/heads/{body['base']}") is None:
            raise validation_failed("PullRequest", "invalid", field="base")
        pull.base_ref = body["base"]
    if "state" in body:
        _change_state(state, pull, body["state"])
    if "title" in body:
        pull.title = body["title"]
    if "body" in body:
        pull.body = body["body"]
    if "maintainer_can_modify" in body:
        pull.maintainer_can_modify = bool(body["maintainer_can_modify"])

    pull.updated_at = utc_now()
    return ApiResponse(200, _detailed_pull_json(state, pull))


def _change_state(state: EmulatorState, pull: PullRequest, new_state: object) -> None:
    if new_state not in _STATES:
        raise validation_failed("PullRequest", "invalid", field="state")
    if new_state == pull.state:
        return
    if new_state == "open":
        other = _open_pull_for(state, pull.base_repo, pull.head_repo, pull.head_ref, pull.base_ref)
        if other is not None:
            raise validation_failed("PullRequest", "custom",
                                    message=f"A pull request already exists for {pull.head_label}.")
        pull.closed_at = None
    else:
        pull.closed_at = utc_now()
    pull.state = new_state


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/files", "pulls/pulls#list-pull-requests-files")
def list_pull_files(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    pull = _load_pull(state, request)
    refresh_pull(pull)
    files = [file_change_json(state, pull.base_repo, pull.head_sha, change) for change in pull_changes(pull)]
    return paginate(state, request, files)


@route("GET", "/repos/{owner}/{repo}/pulls/{number}/commits", "pulls/pulls#list-commits-on-a-pull-request")
def list_pull_commits(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    pull = _load_pull(state, request)
    refresh_pull(pull)
    git = pull.base_repo.git
    commits = [commit_json(state, pull.base_repo, git.read_commit(sha))
               for sha in git.list_commits(pull.base_sha, pull.head_sha)]
    return paginate(state, request, commits)
