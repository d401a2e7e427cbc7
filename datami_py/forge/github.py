"""Proposals as GitHub pull requests, written through PyGithub and the Git Data API.

:func:`propose_github` turns a :class:`~datami_py.forge.proposal.Proposal` into one
branch with one commit and one pull request. With push access a one-file proposal takes
8 API calls::

    GET   /repos/{owner}/{repo}                        default branch, push permission
    GET   /repos/{owner}/{repo}/branches/{base}        base commit and its tree
    GET   /repos/{owner}/{repo}/git/trees/{tree}?recursive=1   current blob of each file
    POST  /repos/{owner}/{repo}/git/blobs              once per changed file
    POST  /repos/{owner}/{repo}/git/trees              new tree on top of the base tree
    POST  /repos/{owner}/{repo}/git/commits            one commit, parent = base commit
    POST  /repos/{owner}/{repo}/git/refs               the proposal branch
    POST  /repos/{owner}/{repo}/pulls                  the pull request

Without push access the repository is forked first (``POST /repos/{owner}/{repo}/forks``)
and the blobs, tree, commit and branch are written to the fork.

A file that moved on the base branch since it was loaded is merged three ways by
primary key (:func:`~datami_py.forge.merge.merge_table`). A conflict stops the proposal
before anything is written. Running the same proposal again after any failure finishes
it: the branch is recognised as ours by a ``Datami-Proposal:`` trailer in its commit
message, and an open pull request for it is updated instead of duplicated.

Every PyGithub exception is caught here and raised again as a
:class:`~datami_py.errors.DatamiError`, and every text that leaves the module goes
through :func:`~datami_py.forge.tokens.scrub`, so the token never shows.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

import requests
from github import Auth, Github, GithubException, InputGitTreeElement, RateLimitExceededException
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.PullRequest import PullRequest
from github.Repository import Repository

from datami_py.errors import DatamiError, Location
from datami_py.forge.local import NOTHING_AFTER_MERGE, conflict_error
from datami_py.forge.merge import Conflict, Resolutions, merge_table, resolutions_for
from datami_py.forge.naming import branch_name
from datami_py.forge.proposal import Proposal, commit_message, describe_proposal
from datami_py.forge.tokens import TOKEN_MISSING, Secret, api_host, scrub
from datami_py.gitrepo import blob_sha
from datami_py.i18n import Phrase, message, render

logger = logging.getLogger(__name__)

T = TypeVar("T")
GithubFactory = Callable[[Secret, str], Github]

# Seconds to wait before the second and the third try of a call that failed with a 5xx
# status, a timeout or a dropped connection. A third failure is reported.
DEFAULT_RETRY_DELAYS = (1.0, 4.0)
# Names tried for the proposal branch before giving up, when others hold the first ones.
MAX_BRANCH_ATTEMPTS = 5
FILE_MODE = "100644"
# The commit trailer that marks a branch as made by this proposal, so a rerun reuses it.
TRAILER = "Datami-Proposal"
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")

# Descriptions of the step each call belongs to, shown in the messages below when it fails.
STEP_REPOSITORY = message("github.step.repository", "reading the repository")
STEP_FORK = message("github.step.fork", "forking the repository")
STEP_BASE = message("github.step.base", "reading the branch {base}")
STEP_TREE = message("github.step.tree", "listing the files of the branch {base}")
STEP_BLOB_READ = message("github.step.blob-read", "downloading {file}")
STEP_BLOB = message("github.step.blob", "uploading {file}")
STEP_TREE_WRITE = message("github.step.tree-write", "writing the file tree")
STEP_COMMIT = message("github.step.commit", "writing the commit")
STEP_BRANCH = message("github.step.branch", "creating the branch {branch}")
STEP_BRANCH_READ = message("github.step.branch-read", "reading the branch {branch}")
STEP_BRANCH_UPDATE = message("github.step.branch-update", "moving the branch {branch} to the new commit")
STEP_BRANCH_LIST = message("github.step.branch-list", "listing the branches named like {branch}")
STEP_PULL = message("github.step.pull", "opening the pull request")
STEP_PULL_FIND = message("github.step.pull-find", "looking for the open pull request of {branch}")
STEP_PULL_UPDATE = message("github.step.pull-update", "updating pull request #{number}")

REPOSITORY_INVALID = message(
    "github.repository-invalid",
    "“{repository}” is not a GitHub repository name. Write it as OWNER/REPO, for example "
    "multi-coop/data-decider-ensemble.",
)
UNAVAILABLE = message(
    "github.unavailable",
    "GitHub did not respond after {attempts} attempts while {step} ({detail}). Nothing was lost: "
    "run the same proposal again to finish it.",
)
RATE_LIMITED = message(
    "github.rate-limited",
    "The GitHub API rate limit of this token is used up, so the proposal stopped while {step}. "
    "The limit resets at {reset} (in {minutes} min). Run the same proposal again after that.",
)
SECONDARY_RATE_LIMITED = message(
    "github.secondary-rate-limited",
    "GitHub asked to slow down (secondary rate limit) while {step}. Wait {seconds} seconds, "
    "then run the same proposal again.",
)
BAD_CREDENTIALS = message(
    "github.bad-credentials",
    "GitHub rejected the token (401 “{detail}”): it is wrong, expired or revoked. Create a new token "
    "that can write to {repository} and put it in GITHUB_TOKEN, or run “gh auth login” again.",
)
FORBIDDEN = message(
    "github.forbidden",
    "GitHub returned 403 “{detail}” while {step} on {repository}, so the token lacks a permission. A "
    "fine-grained token needs read and write access to “Contents” and “Pull requests” of this "
    "repository, and a classic token needs the “repo” scope (“public_repo” for a public repository).",
)
REPOSITORY_NOT_FOUND = message(
    "github.repository-not-found",
    "The repository {repository} was not found on {host}. Check its name (OWNER/REPO). If it is "
    "private, the token needs access to it: the “repo” scope for a classic token, or this repository "
    "in the list of a fine-grained token.",
)
BASE_NOT_FOUND = message(
    "github.base-not-found",
    "The branch {base} does not exist in {repository}. Choose an existing branch as the base of the proposal.",
)
WRITE_NOT_FOUND = message(
    "github.write-not-found",
    "GitHub answered “Not Found” while {step} on {repository}, although the repository can be read. "
    "The token probably cannot write: give a classic token the “repo” scope (“public_repo” for a "
    "public repository), or a fine-grained token write access to “Contents” and “Pull requests”.",
)
FORK_REJECTED = message(
    "github.fork-rejected",
    "The token cannot write to {repository}, and GitHub rejected the request to fork it ({status} “{detail}”). "
    "Ask the maintainers of {repository} for write access, or check that forking is allowed.",
)
FORK_NOT_READY = message(
    "github.fork-not-ready",
    "The fork {fork} is still being created on GitHub ({status} while {step}). Wait a minute, "
    "then run the same proposal again.",
)
NO_CONNECTION = message("github.no-connection", "no connection")
NO_RESPONSE_IN_TIME = message("github.no-response-in-time", "no response in time")
API_FAILED = message(
    "github.failed",
    "GitHub returned {status} while {step} on {repository}: {detail}",
)
BRANCH_NAMES_TAKEN = message(
    "github.branch-names-taken",
    "Branches named like {branch} already exist in {repository} and were made by someone else. "
    "Give the proposal another title.",
)


@dataclass(frozen=True)
class GitHubResult:
    """The outcome of a proposal on GitHub.

    ``branch`` is the branch name in the repository that contains it (the fork, without
    push access), and ``commit`` the sha it points to. ``updated`` is True when an open
    pull request for the branch existed and was updated rather than created. ``calls``
    is the number of HTTP requests sent, retries included.
    """

    branch: str
    commit: str
    pull_number: int
    pull_url: str
    updated: bool
    calls: int


@dataclass(frozen=True)
class _NewCommit:
    """A commit written by this run: its sha, its tree's sha and its parents' shas."""

    sha: str
    tree: str
    parents: tuple[str, ...]


@dataclass(frozen=True)
class _Upload:
    """A file to write: its path, its bytes and the mode of its tree entry."""

    path: str
    data: bytes
    mode: str


def connect(token: Secret, api_url: str, **options: Any) -> Github:
    """Return a PyGithub client for ``api_url`` authenticated with ``token``.

    PyGithub's own retries are off (``retry=None``) because its default retry sleeps
    until a rate limit resets; :func:`propose_github` retries by itself instead. Request
    throttling and the timeout stay at PyGithub's defaults unless ``options`` (keyword
    arguments of :class:`github.Github`) set them.
    """
    return Github(auth=Auth.Token(token.reveal()), base_url=api_url, retry=None, **options)


def propose_github(
    proposal: Proposal,
    repository: str,
    *,
    token: Secret | str | None,
    api_url: str,
    base: str | None = None,
    prefer: Literal["ours", "theirs"] | None = None,
    resolutions: Mapping[str, Resolutions] | None = None,
    github_factory: GithubFactory | None = None,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> GitHubResult:
    """Open (or update) a pull request into ``repository`` ("OWNER/REPO") with ``proposal``.

    ``base`` is the branch to propose to, by default ``proposal.base_branch``, else the
    repository's default branch. ``resolutions`` maps a file path to the decisions for
    its merge conflicts, and ``prefer`` decides the others for one side, as in
    :func:`~datami_py.forge.local.propose_local`. ``github_factory`` builds the
    PyGithub client (default :func:`connect`). ``retry_delays`` are the seconds slept
    before each retry, passed to ``sleep``.

    Raises:
        DatamiError: for a missing or rejected token, a repository or base not found, a
            missing permission, or a spent rate limit (with its reset time). Also for
            conflicts with changes made on GitHub, each listed and nothing written, and
            for GitHub failing after the retries. The error text never contains the token.
    """
    if not token:
        raise DatamiError(TOKEN_MISSING, Location(), host=api_host(api_url))
    secret = token if isinstance(token, Secret) else Secret(token)
    owner_and_name = repository.strip().removesuffix(".git")
    if not _REPOSITORY_NAME.fullmatch(owner_and_name):
        raise DatamiError(REPOSITORY_INVALID, Location(), repository=scrub(repository, secret))

    github = (github_factory or connect)(secret, api_url)
    api = _Api(owner_and_name, api_url, secret, retry_delays, sleep)
    proposer = _Proposer(api, github, proposal, owner_and_name, base, prefer, resolutions or {})
    logger.info("Proposing %r to %s at %s", proposal.title, owner_and_name, api_url)
    try:
        result = proposer.run()
    except GithubException as error:
        raise api.translate(error) from None
    except requests.RequestException as error:
        # Only a request that PyGithub sends outside _Api.call gets here, so it was not retried.
        raise DatamiError(UNAVAILABLE, Location(), attempts=1, step=api.step, detail=type(error).__name__) from None
    finally:
        github.close()

    logger.info("Pull request #%d %s %s after %d API calls", result.pull_number,
                "updated" if result.updated else "opened", result.pull_url, result.calls)
    return result


class _Api:
    """Runs each PyGithub call with counting, bounded retries and error translation.

    ``step`` is a :class:`Phrase` saying what the last call was doing, for messages.
    """

    def __init__(self, repository: str, api_url: str, secret: Secret, retry_delays: Sequence[float],
                 sleep: Callable[[float], None], *, unavailable: str = UNAVAILABLE) -> None:
        """``unavailable`` is the message raised when every try failed. The default one advises
        running the proposal again."""
        self.unavailable = unavailable
        self.repository = repository
        self.api_url = api_url
        self.secret = secret
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        self.calls = 0
        self.step = Phrase(STEP_REPOSITORY)
        self.fork: str | None = None

    def call(self, step: Phrase, request: Callable[[], T], *, retry_statuses: Sequence[int] = ()) -> T:
        """Run ``request``, which must send exactly one HTTP request, and return its result.

        A 5xx status (or one of ``retry_statuses``), a timeout or a dropped connection
        is retried after each of :attr:`retry_delays`. A rate limit is raised at once.

        Raises:
            DatamiError: ``github.rate-limited``, ``github.secondary-rate-limited``, or
                ``github.unavailable`` when every try failed.
            GithubException: for other statuses, which the caller handles or
                :meth:`translate` words.
        """
        self.step = step
        attempts = len(self.retry_delays) + 1
        last_status_error: GithubException | None = None
        detail: str | Phrase = ""
        for attempt in range(1, attempts + 1):
            self.calls += 1
            try:
                return request()
            except GithubException as error:
                if _is_rate_limit(error):
                    raise self._rate_limit_error(error) from None
                if error.status < 500 and error.status not in retry_statuses:
                    raise
                last_status_error = error if error.status < 500 else None
                detail = self.clean(f"{error.status} {_github_detail(error)}")
            except (requests.ConnectionError, requests.Timeout) as error:
                last_status_error = None
                detail = Phrase(NO_RESPONSE_IN_TIME if isinstance(error, requests.Timeout) else NO_CONNECTION)
                logger.debug("GitHub call failed with %s", type(error).__name__)

            if attempt < attempts:
                delay = self.retry_delays[attempt - 1]
                # INFO, not WARNING: the CLI prints warnings, and the final error already reports the failure.
                logger.info("GitHub call failed while %s (%s); try %d of %d in %.1f s",
                            self._word(step), self._word(detail) if isinstance(detail, Phrase) else detail,
                            attempt + 1, attempts, delay)
                self.sleep(delay)

        if last_status_error is not None:
            # A 4xx in retry_statuses that outlasted the retries is worded by translate().
            raise last_status_error
        raise DatamiError(self.unavailable, Location(), attempts=attempts, step=step, detail=detail)

    def clean(self, text: str) -> str:
        """Return ``text`` without the token or anything shaped like one."""
        return scrub(text, self.secret)

    def translate(self, error: GithubException) -> DatamiError:
        """Word a GitHub error status that was not handled, with the fix for the user."""
        detail = self.clean(_github_detail(error))
        logger.debug("GitHub returned %d while %s: %s", error.status, self._word(self.step), detail)
        params: dict[str, Any] = {"repository": self.repository, "step": self.step, "status": error.status,
                                  "detail": detail}

        code = API_FAILED
        if error.status == 401:
            code = BAD_CREDENTIALS
        elif self.step.code == STEP_FORK and error.status in (403, 404, 422):
            code = FORK_REJECTED
        elif error.status == 403:
            code = FORBIDDEN
        elif error.status == 404 and self.step.code == STEP_REPOSITORY:
            code, params["host"] = REPOSITORY_NOT_FOUND, api_host(self.api_url)
        elif error.status == 404 and self.step.code == STEP_BASE:
            code, params["base"] = BASE_NOT_FOUND, self.step.params["base"]
        elif error.status in (404, 409) and self.fork is not None:
            code, params["fork"] = FORK_NOT_READY, self.fork
        elif error.status == 404:
            code = WRITE_NOT_FOUND
        return DatamiError(code, Location(), **params)

    def _rate_limit_error(self, error: GithubException) -> DatamiError:
        headers = {name.lower(): value for name, value in (error.headers or {}).items()}
        reset = headers.get("x-ratelimit-reset")
        if headers.get("x-ratelimit-remaining") == "0" and reset and reset.isdigit():
            reset_epoch = int(reset)
            minutes = max(math.ceil((reset_epoch - time.time()) / 60), 0)
            return DatamiError(RATE_LIMITED, Location(), step=self.step, reset=format_reset_time(reset_epoch),
                               minutes=minutes, reset_epoch=reset_epoch)

        # GitHub documents waiting at least one minute when a secondary limit gives no Retry-After.
        retry_after = headers.get("retry-after", "")
        seconds = int(retry_after) if retry_after.isdigit() else 60
        return DatamiError(SECONDARY_RATE_LIMITED, Location(), step=self.step, seconds=seconds)

    @staticmethod
    def _word(step: Phrase) -> str:
        return render(step.code, "en", **step.params)


def format_reset_time(reset_epoch: int) -> str:
    """Return the epoch second ``reset_epoch`` as local time, such as ``2026-12-04 21:05 CET``."""
    moment = datetime.fromtimestamp(reset_epoch).astimezone()
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def _is_rate_limit(error: GithubException) -> bool:
    """True for GitHub's primary and secondary rate limit errors (403 or 429)."""
    if isinstance(error, RateLimitExceededException):
        return True
    if error.status not in (403, 429):
        return False
    headers = {name.lower(): value for name, value in (error.headers or {}).items()}
    return headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers


def _github_detail(error: GithubException) -> str:
    """Return GitHub's message of ``error`` with the messages of its ``errors`` entries."""
    data = error.data
    if not isinstance(data, dict):
        # A proxy or load balancer may send an HTML page, so only its start is kept.
        return " ".join(str(data or "").split())[:200]

    parts = [str(data.get("message") or "")]
    for entry in data.get("errors") or []:
        if isinstance(entry, dict) and entry.get("message"):
            parts.append(str(entry["message"]))
        elif isinstance(entry, str):
            parts.append(entry)
    return ": ".join(part for part in parts if part)


def proposal_fingerprint(proposal: Proposal) -> str:
    """Return an id that is the same for every run of the same proposal.

    It covers the title, the commit the files were loaded from, and each file's loaded
    blob and new bytes, so another proposal with the same title gets another id.
    """
    digest = hashlib.sha256()
    digest.update(proposal.title.encode("utf-8") + b"\0" + proposal.base_commit.encode() + b"\0")
    for path in sorted(proposal.files):
        loaded = proposal.base_blobs.get(path) or ""
        digest.update(f"{path}\0{loaded}\0{blob_sha(proposal.files[path])}\0".encode("utf-8"))
    return digest.hexdigest()[:20]


def marked_commit_message(proposal: Proposal, fingerprint: str) -> str:
    """Return :func:`~datami_py.forge.proposal.commit_message` followed by the proposal trailer."""
    return commit_message(proposal).rstrip("\n") + f"\n\n{TRAILER}: {fingerprint}\n"


class _Proposer:
    """The steps of one proposal run; each GitHub call goes through :class:`_Api`."""

    def __init__(self, api: _Api, github: Github, proposal: Proposal, repository: str, base: str | None,
                 prefer: Literal["ours", "theirs"] | None, resolutions: Mapping[str, Resolutions]) -> None:
        self.api = api
        self.github = github
        self.proposal = proposal
        self.repository = repository
        self.base = base
        self.prefer = prefer
        self.resolutions = resolutions
        self.fingerprint = proposal_fingerprint(proposal)

    def run(self) -> GitHubResult:
        """Read, merge if needed, write the commit, publish the branch, open the pull request."""
        upstream = self.api.call(Phrase(STEP_REPOSITORY), lambda: self.github.get_repo(self.repository))
        head_repo = upstream if _can_push(upstream) else self._fork(upstream)
        base_name = self.base or self.proposal.base_branch or upstream.default_branch

        branch = self.api.call(Phrase(STEP_BASE, {"base": base_name}), lambda: upstream.get_branch(base_name))
        parent_sha = branch.commit.sha
        base_tree, current = self._current_entries(upstream, branch.commit.commit.tree.sha, base_name)

        uploads = self._uploads(upstream, current, base_name)
        if not uploads:
            raise DatamiError(NOTHING_AFTER_MERGE, Location(), branch=base_name)

        # NOTE: in a fork the new tree and commit point at objects read from upstream. GitHub
        # shares objects within a fork network, but only the emulator has run this path, and
        # there a fork made before upstream moved lacks upstream's newer objects.
        tree_sha = self._write_tree(head_repo, uploads, base_tree)
        commit = self._write_commit(head_repo, tree_sha, parent_sha)
        name, commit_sha = self._publish_branch(head_repo, base_name, commit)

        head_label = f"{head_repo.owner.login}:{name}"
        pull, updated = self._open_pull(upstream, head_label, name, base_name, forked=head_repo is not upstream)
        return GitHubResult(name, commit_sha, pull.number, pull.html_url, updated, self.api.calls)

    # Reading

    def _fork(self, upstream: Repository) -> Repository:
        """Fork ``upstream`` into the token's account (``POST /repos/{owner}/{repo}/forks``).

        GitHub returns the existing fork when there is one, so a rerun does not fork twice.
        """
        fork = self.api.call(Phrase(STEP_FORK), upstream.create_fork)
        self.api.fork = fork.full_name
        logger.info("No push access to %s; proposing from the fork %s", upstream.full_name, fork.full_name)
        return fork

    def _current_entries(self, upstream: Repository, tree_sha: str,
                         base_name: str) -> tuple[GitTree, dict[str, tuple[str, str]]]:
        """Return the base tree and ``{path: (blob sha, mode)}`` for each changed path that exists there.

        One ``GET /repos/{owner}/{repo}/git/trees/{tree}?recursive=1`` call. GitHub
        truncates that listing for very large trees, and then each changed path is
        looked up folder by folder instead.
        """
        step = Phrase(STEP_TREE, {"base": base_name})
        listing = self.api.call(step, lambda: upstream.get_git_tree(tree_sha, recursive=True))
        entries = {element.path: (element.sha, element.mode) for element in listing.tree if element.type == "blob"}
        if not listing.raw_data.get("truncated"):
            return listing, {path: entries[path] for path in self.proposal.files if path in entries}

        found = {}
        for path in self.proposal.files:
            entry = entries.get(path) or self._walk_to(upstream, tree_sha, path, step)
            if entry is not None:
                found[path] = entry
        return listing, found

    def _walk_to(self, upstream: Repository, tree_sha: str, path: str, step: Phrase) -> tuple[str, str] | None:
        """Find ``path`` by reading one tree per folder (``GET .../git/trees/{sha}``)."""
        *folders, file_name = path.split("/")
        sha = tree_sha
        for folder in folders:
            listing = self.api.call(step, lambda sha=sha: upstream.get_git_tree(sha))
            sha = next((element.sha for element in listing.tree if element.path == folder and element.type == "tree"), "")
            if not sha:
                return None

        listing = self.api.call(step, lambda sha=sha: upstream.get_git_tree(sha))
        return next(((element.sha, element.mode) for element in listing.tree
                     if element.path == file_name and element.type == "blob"), None)

    def _read_blob(self, upstream: Repository, path: str, sha: str) -> bytes:
        """Download a blob (``GET /repos/{owner}/{repo}/git/blobs/{sha}``).

        The blobs endpoint returns files of any size, where the contents API gives no
        content above 1 MB.
        """
        blob = self.api.call(Phrase(STEP_BLOB_READ, {"file": path}), lambda: upstream.get_git_blob(sha))
        return base64.b64decode(blob.content)

    # Merging

    def _uploads(self, upstream: Repository, current: dict[str, tuple[str, str]], base_name: str) -> list[_Upload]:
        """Return the files to write, merged with the base where they moved since loading.

        A file whose version on the base already equals what would be written is left out.

        Raises:
            DatamiError: ``forge.conflicts`` for the first file with an undecided
                conflict; nothing is written then.
        """
        uploads = []
        for path, ours in self.proposal.files.items():
            loaded = self.proposal.base_blobs.get(path)
            now_sha, mode = current.get(path, (None, FILE_MODE))
            content = ours if now_sha == loaded else self._merge(upstream, path, loaded, now_sha, base_name)
            if now_sha != blob_sha(content):
                uploads.append(_Upload(path, content, mode))
        return uploads

    def _merge(self, upstream: Repository, path: str, loaded: str | None, now_sha: str | None, base_name: str) -> bytes:
        """Merge the local change to ``path`` with its version on the base, as the local backend does.

        A file added on both sides or deleted on the base has no rows in common, so it is
        one whole-file conflict. ``prefer`` decides the conflicts that ``resolutions``
        leave open.
        """
        ours = self.proposal.files[path]
        if now_sha == blob_sha(ours):
            return ours
        resolutions = self.resolutions.get(path, {})

        theirs = self._read_blob(upstream, path, now_sha) if now_sha else None
        if loaded is None or theirs is None:
            choice = resolutions.get((None, None)) or self.prefer
            if choice is None:
                raise conflict_error(path, [Conflict(None, None, None, None, None, None)], base_name)
            return ours if choice == "ours" or theirs is None else theirs

        table_format = self.proposal.formats.get(path)
        options: dict[str, Any] = {
            "schema": table_format.schema if table_format else {},
            "delimiter": table_format.delimiter if table_format else None,
            "encoding": table_format.encoding if table_format else None,
        }
        base_data = self._read_blob(upstream, path, loaded)
        logger.info("%s changed on %s since it was loaded; merging by primary key", path, base_name)
        result = merge_table(base_data, ours, theirs, resolutions=resolutions, **options)
        if result.content is None and self.prefer is not None:
            decided = {**resolutions_for(result.conflicts, self.prefer), **resolutions}
            result = merge_table(base_data, ours, theirs, resolutions=decided, **options)
        if result.content is None:
            raise conflict_error(path, result.conflicts, base_name)
        return result.content

    # Writing

    def _write_tree(self, head_repo: Repository, uploads: list[_Upload], base_tree: GitTree) -> str:
        """Upload each file as a blob, write the tree on top of ``base_tree``, and return its sha.

        Calls ``POST /repos/{owner}/{repo}/git/blobs`` per file and ``POST .../git/trees``.
        In a fork just created, GitHub may respond with 404 or 409 until the copy is
        ready, so those statuses are retried there.
        """
        retry_statuses = (404, 409) if head_repo.fork else ()
        elements = []
        for upload in uploads:
            encoded = base64.b64encode(upload.data).decode("ascii")
            blob = self.api.call(Phrase(STEP_BLOB, {"file": upload.path}),
                                 lambda encoded=encoded: head_repo.create_git_blob(encoded, "base64"),
                                 retry_statuses=retry_statuses)
            elements.append(InputGitTreeElement(upload.path, upload.mode, "blob", sha=blob.sha))

        tree = self.api.call(Phrase(STEP_TREE_WRITE), lambda: head_repo.create_git_tree(elements, base_tree))
        return tree.sha

    def _write_commit(self, head_repo: Repository, tree_sha: str, parent_sha: str) -> _NewCommit:
        """Write the proposal commit (``POST /repos/{owner}/{repo}/git/commits``).

        The request goes through PyGithub's requester because
        ``Repository.create_git_commit`` takes parent objects, and PyGithub would fetch
        each parent's sha with one more call. Author and committer are the token's user.
        """
        payload = {"message": marked_commit_message(self.proposal, self.fingerprint), "tree": tree_sha,
                   "parents": [parent_sha]}
        _, data = self.api.call(Phrase(STEP_COMMIT), lambda: self.github.requester.requestJsonAndCheck(
            "POST", f"{head_repo.url}/git/commits", input=payload))
        return _NewCommit(data["sha"], tree_sha, (parent_sha,))

    def _publish_branch(self, head_repo: Repository, base_name: str, commit: _NewCommit) -> tuple[str, str]:
        """Create the proposal branch at ``commit``, or reuse the one a previous run made.

        Returns the branch name and the commit it points to. Calls ``POST
        /repos/{owner}/{repo}/git/refs``; on 422 "Reference already exists" the branch is
        read, and reused when its commit carries this proposal's trailer, else another
        name is tried.
        """
        taken_names: set[str] = set()
        for _ in range(MAX_BRANCH_ATTEMPTS):
            name = branch_name(self.proposal.title, taken_names, base_name)
            try:
                self.api.call(Phrase(STEP_BRANCH, {"branch": name}),
                              lambda name=name: head_repo.create_git_ref(f"refs/heads/{name}", commit.sha))
                return name, commit.sha
            except GithubException as error:
                if error.status != 422:
                    raise
                logger.info("Branch %s exists in %s (%s)", name, head_repo.full_name, self.api.clean(_github_detail(error)))

            reused = self._reuse_branch(head_repo, name, commit)
            if reused is not None:
                return name, reused
            taken_names.add(name)
            taken_names.update(self._names_like(head_repo, name))

        raise DatamiError(BRANCH_NAMES_TAKEN, Location(), branch=name, repository=head_repo.full_name)

    def _reuse_branch(self, head_repo: Repository, name: str, commit: _NewCommit) -> str | None:
        """Return the commit the existing branch ``name`` should point to, or None when it is not ours.

        Ours means its commit carries this proposal's trailer. When that commit has the
        same tree and parent as ``commit``, the branch is kept as it is, else it is moved
        to ``commit`` (``PATCH /repos/{owner}/{repo}/git/refs/heads/{name}``, forced,
        because the base may have moved between the runs).
        """
        step = Phrase(STEP_BRANCH_READ, {"branch": name})
        try:
            ref = self.api.call(step, lambda: _completed_ref(head_repo, name))
        except GithubException as error:
            if error.status == 404:
                # The name clashes with a branch folder (a/b beside a) rather than a branch.
                return None
            raise
        existing_sha = ref.object.sha
        if existing_sha == commit.sha:
            return existing_sha

        existing = self.api.call(step, lambda: head_repo.get_git_commit(existing_sha))
        if f"{TRAILER}: {self.fingerprint}" not in existing.message:
            return None
        same_parents = tuple(parent.sha for parent in existing.parents) == commit.parents
        if same_parents and existing.tree.sha == commit.tree:
            logger.info("Reusing branch %s at %s, made by an earlier run", name, existing_sha)
            return existing_sha

        self.api.call(Phrase(STEP_BRANCH_UPDATE, {"branch": name}), lambda: ref.edit(commit.sha, force=True))
        logger.info("Moved branch %s of an earlier run from %s to %s", name, existing_sha, commit.sha)
        return commit.sha

    def _names_like(self, head_repo: Repository, name: str) -> set[str]:
        """Return the first page of branches whose name starts with ``name`` (``GET .../git/matching-refs/heads/{name}``)."""
        refs = self.api.call(Phrase(STEP_BRANCH_LIST, {"branch": name}),
                             lambda: head_repo.get_git_matching_refs(f"heads/{name}").get_page(0))
        return {ref.ref.removeprefix("refs/heads/") for ref in refs}

    def _open_pull(self, upstream: Repository, head_label: str, name: str, base_name: str,
                   forked: bool) -> tuple[PullRequest, bool]:
        """Open the pull request, or update the open one of the same branch; return it and whether it existed.

        Calls ``POST /repos/{owner}/{repo}/pulls``; on 422 "A pull request already
        exists", ``GET /repos/{owner}/{repo}/pulls?head=…&base=…`` and ``PATCH
        /repos/{owner}/{repo}/pulls/{number}`` with the new title and body.
        """
        title = self.proposal.title.strip()
        body = describe_proposal(self.proposal)
        extra = {"maintainer_can_modify": True} if forked else {}
        try:
            pull = self.api.call(Phrase(STEP_PULL), lambda: upstream.create_pull(
                base=base_name, head=head_label, title=title, body=body, **extra))
            return pull, False
        except GithubException as error:
            if error.status != 422 or "already exists" not in _github_detail(error):
                raise
            creation_error = error

        pulls = self.api.call(Phrase(STEP_PULL_FIND, {"branch": name}), lambda: upstream.get_pulls(
            state="open", head=head_label, base=base_name).get_page(0))
        if not pulls:
            raise creation_error
        pull = pulls[0]
        self.api.call(Phrase(STEP_PULL_UPDATE, {"number": pull.number}), lambda: pull.edit(title=title, body=body))
        return pull, True


def _can_push(repository: Repository) -> bool:
    # raw_data, unlike the permissions attribute, never sends a request to complete the object.
    permissions = repository.raw_data.get("permissions") or {}
    return bool(permissions.get("push"))


def _completed_ref(repository: Repository, name: str) -> GitRef:
    """Read the branch ref ``name`` (``GET /repos/{owner}/{repo}/git/ref/heads/{name}``).

    PyGithub returns refs lazily, so reading ``object`` here sends the request inside
    the caller's retry and count.
    """
    ref = repository.get_git_ref(f"heads/{name}")
    _ = ref.object
    return ref

