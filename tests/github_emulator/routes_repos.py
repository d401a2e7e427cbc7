"""Users, repositories, forks, branches, repository commits and the rate limit endpoint."""

from __future__ import annotations

from .api import ApiError, ApiRequest, ApiResponse, not_found, route, validation_failed
from .common import json_object, load_repository, paginate, require_authentication
from .gitrepo import EMPTY_TREE_SHA, BareRepository
from .model import EmulatorState, Repository, User
from .payloads import (
    branch_json, branch_summary_json, commit_json, rate_limit_json, repository_json,
    user_detail_json,
)


@route("GET", "/user", "users/users#get-the-authenticated-user")
def get_authenticated_user(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    user = require_authentication(request)
    return ApiResponse(200, user_detail_json(state, user, authenticated=True))


@route("GET", "/users/{login}", "users/users#get-a-user")
def get_user(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    user = state.find_user(request.params["login"])
    if user is None:
        raise not_found()
    return ApiResponse(200, user_detail_json(state, user, authenticated=False))


@route("GET", "/rate_limit", "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user")
def get_rate_limit(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    # GitHub does not count this endpoint against the limit, and it works even when the limit is spent.
    caller = request.user.login if request.user else "anonymous"
    status = state.rate_limiter.peek(caller, request.user is not None)
    body = rate_limit_json(status.limit, status.remaining, status.used, status.reset)
    return ApiResponse(200, body)


@route("GET", "/repos/{owner}/{repo}", "repos/repos#get-a-repository")
def get_repository(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    return ApiResponse(200, repository_json(state, repository, request.user, detail=True))


@route("POST", "/repos/{owner}/{repo}/forks", "repos/forks#create-a-fork")
def create_fork(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Fork into the caller's account (or ``organization``) and return 202, as GitHub does.

    A second request returns the fork that already exists. ``name`` renames
    the fork and ``default_branch_only`` copies only the default branch.
    """
    user = require_authentication(request)
    source = load_repository(state, request)
    body = json_object(request)

    organization = body.get("organization")
    owner = state.add_user(organization, None) if organization else user
    existing = next((repo for repo in state.repositories_owned_by(owner) if repo.parent is source), None)
    if existing is not None:
        return ApiResponse(202, repository_json(state, existing, user, detail=True))
    if source.owner is owner:
        # NOTE: guessed. GitHub's web page rejects forking into the owner's own account,
        # but the API response was not checked.
        raise validation_failed("Repository", "custom", message="You cannot fork your own repository.")

    fork = _copy_repository(state, source, owner, body.get("name") or source.name,
                            default_branch_only=bool(body.get("default_branch_only")))
    return ApiResponse(202, repository_json(state, fork, user, detail=True))


def _copy_repository(state: EmulatorState, source: Repository, owner: User, name: str, *,
                     default_branch_only: bool) -> Repository:
    """Clone SOURCE as OWNER/NAME; a taken name gets ``-1``, ``-2``... appended as GitHub does."""
    candidate = name
    suffix = 0
    while state.find_repository(owner.login, candidate) is not None:
        suffix += 1
        candidate = f"{name}-{suffix}"

    branches = [source.default_branch] if default_branch_only else None
    git = BareRepository.clone(source.git, state.bare_path_for(owner.login, candidate), branches)
    git.set_head(source.default_branch)
    return state.add_repository(
        owner, candidate, git, private=source.private, default_branch=source.default_branch,
        collaborators={}, parent=source, description=source.description,
    )


@route("GET", "/repos/{owner}/{repo}/branches", "branches/branches#list-branches")
def list_branches(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    branches = [
        branch_summary_json(state, repository, refname.removeprefix("refs/heads/"), sha)
        for refname, sha, _ in repository.git.list_refs("refs/heads/")
    ]
    return paginate(state, request, branches)


@route("GET", "/repos/{owner}/{repo}/branches/{branch+}", "branches/branches#get-a-branch")
def get_branch(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    name = request.params["branch"]
    sha = repository.git.ref_target(f"refs/heads/{name}")
    if sha is None:
        raise not_found("Branch not found")
    return ApiResponse(200, branch_json(state, repository, name, repository.git.read_commit(sha)))


@route("GET", "/repos/{owner}/{repo}/commits/{ref+}", "commits/commits#get-a-commit")
def get_commit(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Return a commit with ``stats`` and ``files`` measured against its first parent."""
    repository = load_repository(state, request)
    revision = request.params["ref"]
    sha = repository.git.resolve_commit(revision)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {revision}")

    commit = repository.git.read_commit(sha)
    parent = commit.parents[0] if commit.parents else EMPTY_TREE_SHA
    files = repository.git.diff(parent, sha)
    return ApiResponse(200, commit_json(state, repository, commit, files))
