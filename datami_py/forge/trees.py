"""The file lists of Git repositories, read once per repository and ref, to check links against.

Two sources give the paths of every file at a ref, never the files themselves:

* the local clone, with ``git ls-tree -r``, when the link points into the repository whose
  ``origin`` remote is the same GitHub repository, and the ref is known locally;
* GitHub's Git Trees API otherwise, in one call per repository and ref through PyGithub:
  ``GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1``.

A :class:`TreeCache` keeps each result, a failure included, for the rest of the session,
so a table with a hundred links into one repository costs one API call. A tree that
cannot be read comes back as :class:`TreeUnavailable`, with a message code that says why
and what to do; the links into it are then "not checked", never "broken".

No token is needed to read a public repository on GitHub; one is sent when
:func:`~datami_py.forge.tokens.find_token` finds it, which also raises the rate limit.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import requests
from github import Auth, Github, GithubException

from datami_py.errors import DatamiError
from datami_py.forge.github import NO_CONNECTION, NO_RESPONSE_IN_TIME, _is_rate_limit, format_reset_time
from datami_py.forge.tokens import Secret, api_host, scrub
from datami_py.gitrepo import run_git
from datami_py.i18n import Phrase, message

logger = logging.getLogger(__name__)

# Seconds to wait before each retry of a tree call that failed with a 5xx status, a
# timeout or a dropped connection. Link checks change nothing, so one retry is enough:
# the user can run the check again.
DEFAULT_RETRY_DELAYS = (1.0,)

TreeSourceKind = Literal["local", "github"]
GithubFactory = Callable[["Secret | None", str], Github]

UNREACHABLE = message(
    "links.unreachable",
    "GitHub could not be reached at {api_url} after {attempts} attempt(s) ({detail}). Check the internet "
    "connection, then run the check again.",
)
REPOSITORY_NOT_FOUND = message(
    "links.repository-not-found",
    "The repository {repository} or its branch {ref} was not found on {host}. Check the links; if the "
    "repository is private, set GITHUB_TOKEN to a token that can read it.",
)
BAD_CREDENTIALS = message(
    "links.bad-credentials",
    "GitHub rejected the token (401 “{detail}”). Put a valid token in GITHUB_TOKEN, or remove it: "
    "public repositories can be read without one.",
)
FORBIDDEN = message(
    "links.forbidden",
    "GitHub returned 403 “{detail}” when listing the files of {repository}. Give the token read access "
    "to this repository.",
)
RATE_LIMITED = message(
    "links.rate-limited",
    "The GitHub API rate limit is used up until {reset} (in {minutes} min). Run the check again after "
    "that, or set GITHUB_TOKEN: a token has a higher limit.",
)
TRUNCATED = message(
    "links.truncated",
    "GitHub listed only part of the files of {repository} at {ref}, because the repository is too large "
    "for one listing. Check these links by hand.",
)
API_FAILED = message(
    "links.api-failed",
    "GitHub returned {status} when listing the files of {repository} at {ref}: {detail}",
)
NOT_IN_GIT = message(
    "links.not-in-git",
    "The package is not in a git repository, so relative links cannot be checked against committed "
    "files. Run “git init” and commit the files first.",
)


@dataclass(frozen=True)
class RepositoryTree:
    """The paths of every file of ``repository`` ("OWNER/REPO") at ``ref``, and where they were read.

    Paths are the names git stores, decoded as UTF-8, with ``/`` between folders.
    """

    repository: str
    ref: str
    paths: frozenset[str]
    source: TreeSourceKind


@dataclass(frozen=True)
class TreeUnavailable:
    """Why the files of a repository could not be listed: a message code and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


TreeResult = RepositoryTree | TreeUnavailable


def connect_anonymous_or_token(token: Secret | None, api_url: str, **options: Any) -> Github:
    """Return a lazy PyGithub client for ``api_url``, authenticated when ``token`` is given.

    ``lazy=True`` makes ``get_repo`` send nothing, so a tree listing is one request.
    PyGithub's own retries are off; :class:`TreeCache` retries by itself.
    """
    auth = Auth.Token(token.reveal()) if token is not None else None
    return Github(auth=auth, base_url=api_url, retry=None, lazy=True, **options)


class TreeCache:
    """Repository trees read on demand, each (owner, repo, ref) at most once per session.

    ``local_root`` is the top folder of the package's git repository (None outside git),
    and ``local_repository`` the "OWNER/REPO" of its ``origin`` remote on GitHub (None
    when it has none). ``calls`` counts the HTTP requests sent to GitHub, retries included.
    """

    def __init__(self, *, local_root: Path | None, local_repository: str | None, api_url: str,
                 token: Secret | None = None, github_factory: GithubFactory | None = None,
                 retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.local_root = local_root
        self.local_repository = local_repository
        self.api_url = api_url
        self.token = token
        self.github_factory = github_factory or connect_anonymous_or_token
        self.retry_delays = tuple(retry_delays)
        self.sleep = sleep
        self.calls = 0
        self._results: dict[tuple[str, str, str], TreeResult] = {}
        self._github: Github | None = None

    def tree(self, owner: str, repo: str, ref: str) -> TreeResult:
        """Return the files of OWNER/REPO at ``ref``: from the local clone when it is that repository, else from GitHub."""
        key = (owner.lower(), repo.lower(), ref)
        if key not in self._results:
            self._results[key] = self._read(owner, repo, ref)
        return self._results[key]

    def committed_tree(self) -> TreeResult:
        """Return the files committed at ``HEAD`` in the local repository, for relative links."""
        key = ("", "", "HEAD")
        if key not in self._results:
            if self.local_root is None:
                self._results[key] = TreeUnavailable(NOT_IN_GIT)
            else:
                paths = _local_paths(self.local_root, "HEAD")
                self._results[key] = (TreeUnavailable(NOT_IN_GIT) if paths is None
                                      else RepositoryTree(str(self.local_root), "HEAD", paths, "local"))
        return self._results[key]

    def close(self) -> None:
        """Close the GitHub connection, if one was opened."""
        if self._github is not None:
            self._github.close()
            self._github = None

    def _read(self, owner: str, repo: str, ref: str) -> TreeResult:
        repository = f"{owner}/{repo}"
        if self._is_local(repository):
            assert self.local_root is not None
            # A ref only on GitHub (a commit not fetched yet) is read from GitHub instead.
            for local_ref in (ref, f"origin/{ref}"):
                paths = _local_paths(self.local_root, local_ref)
                if paths is not None:
                    logger.info("Listed %d files of %s at %s from the local clone", len(paths), repository, local_ref)
                    return RepositoryTree(repository, ref, paths, "local")
        return self._read_from_github(repository, ref)

    def _is_local(self, repository: str) -> bool:
        return (self.local_root is not None and self.local_repository is not None
                and self.local_repository.lower() == repository.lower())

    def _read_from_github(self, repository: str, ref: str) -> TreeResult:
        """List the files with ``GET /repos/{owner}/{repo}/git/trees/{ref}?recursive=1``."""
        if self._github is None:
            self._github = self.github_factory(self.token, self.api_url)
        github_repository = self._github.get_repo(repository)
        attempts = len(self.retry_delays) + 1
        detail: str | Phrase = ""
        for attempt in range(1, attempts + 1):
            self.calls += 1
            try:
                listing = github_repository.get_git_tree(ref, recursive=True)
            except GithubException as error:
                if error.status < 500 or _is_rate_limit(error):
                    return self._unavailable(error, repository, ref)
                detail = f"{error.status} {self._detail(error)}"
            except (requests.ConnectionError, requests.Timeout) as error:
                detail = Phrase(NO_RESPONSE_IN_TIME if isinstance(error, requests.Timeout) else NO_CONNECTION)

            else:
                if listing.raw_data.get("truncated"):
                    # TODO: read only the folders the links name, one tree call each, as
                    # github.py does for proposals, instead of giving up on the whole tree.
                    return TreeUnavailable(TRUNCATED, {"repository": repository, "ref": ref})
                paths = frozenset(element.path for element in listing.tree if element.type == "blob")
                logger.info("Listed %d files of %s at %s with one GitHub call", len(paths), repository, ref)
                return RepositoryTree(repository, ref, paths, "github")

            if attempt < attempts:
                delay = self.retry_delays[attempt - 1]
                logger.info("Listing the files of %s failed (%s); try %d of %d in %.1f s",
                               repository, detail, attempt + 1, attempts, delay)
                self.sleep(delay)
        return TreeUnavailable(UNREACHABLE, {"api_url": self.api_url, "attempts": attempts, "detail": detail})

    def _unavailable(self, error: GithubException, repository: str, ref: str) -> TreeUnavailable:
        """Word a 4xx response (or a rate limit) to the tree call."""
        detail = self._detail(error)
        logger.info("GitHub returned %d when listing the files of %s at %s: %s", error.status, repository, ref, detail)
        if _is_rate_limit(error):
            return _rate_limit_reason(error)
        if error.status == 401:
            return TreeUnavailable(BAD_CREDENTIALS, {"detail": detail})
        if error.status == 403:
            return TreeUnavailable(FORBIDDEN, {"repository": repository, "detail": detail})
        if error.status in (404, 409, 422):
            # 409 is GitHub's answer for an empty repository, 422 for a malformed ref.
            return TreeUnavailable(REPOSITORY_NOT_FOUND,
                                   {"repository": repository, "ref": ref, "host": api_host(self.api_url)})
        return TreeUnavailable(API_FAILED, {"status": error.status, "repository": repository, "ref": ref,
                                            "detail": detail})

    def _detail(self, error: GithubException) -> str:
        data = error.data
        text = str(data.get("message") or "") if isinstance(data, dict) else " ".join(str(data or "").split())[:200]
        return scrub(text, self.token)


def _local_paths(root: Path, ref: str) -> frozenset[str] | None:
    """Return the file paths of the local repository at ``ref``, or None when ``ref`` is unknown there."""
    try:
        run_git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{tree}}")
        output = run_git(root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", ref)
    except DatamiError:
        return None
    return frozenset(path.decode("utf-8", "surrogateescape") for path in output.split(b"\0") if path)


def _rate_limit_reason(error: GithubException) -> TreeUnavailable:
    headers = {name.lower(): value for name, value in (error.headers or {}).items()}
    reset = headers.get("x-ratelimit-reset", "")
    if reset.isdigit():
        reset_epoch = int(reset)
    else:
        # A secondary limit gives Retry-After in seconds; GitHub documents one minute when it gives none.
        retry_after = headers.get("retry-after", "")
        reset_epoch = int(time.time()) + (int(retry_after) if retry_after.isdigit() else 60)
    minutes = max(math.ceil((reset_epoch - time.time()) / 60), 0)
    return TreeUnavailable(RATE_LIMITED, {"reset": format_reset_time(reset_epoch), "minutes": minutes})
