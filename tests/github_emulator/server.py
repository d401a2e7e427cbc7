"""A local GitHub REST API emulator for tests, backed by real bare git repositories.

Start it on 127.0.0.1 and point PyGithub at it::

    with GitHubEmulator(tmp_path) as emulator:
        emulator.add_user("editor", "ghp_editortoken")
        emulator.create_repo("editor", "data", {"table.csv": b"id\\n1\\n"})
        github = Github(auth=Auth.Token("ghp_editortoken"), base_url=emulator.base_url,
                        seconds_between_requests=0, seconds_between_writes=0, retry=None)

The emulator serves only the endpoints registered in the ``routes_*``
modules. Any other request gets GitHub's 404, a warning in the log and an
entry in ``unhandled``, so a missing endpoint is visible.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .api import DOCS_ROOT, ApiResponse
from .common import user_identity
from .dispatch import Dispatcher
from .faults import Fault, FaultSchedule
from .gitrepo import FILE_MODE, ZERO_SHA, BareRepository, Identity, TreeEntry
from .model import MEBIBYTE, EmulatorState, Repository, utc_now
from .routes_pulls import refresh_pull
from .transport import EmulatorHTTPServer, RequestHandler, lower_headers, read_body, write_response

logger = logging.getLogger("tests.github_emulator")


class Call(NamedTuple):
    """One request the emulator received.

    PATH is the request path as sent (percent-encoded, without the query
    string). STATUS is None for a call whose connection was dropped.
    """

    method: str
    path: str
    status: int | None


class GitHubEmulator:
    """A GitHub REST API v3 emulator on 127.0.0.1, one bare git repository per repository.

    ROOT is a folder the emulator owns, and bare repositories go below
    ``ROOT/repositories``. MAX_FILE_SIZE (bytes) is the largest file the
    write endpoints accept. INLINE_CONTENT_LIMIT (bytes) is the largest file
    the Contents API returns inline. They default to GitHub's documented
    limits of 100 MB and 1 MB, and tests may lower them to stay fast.
    """

    def __init__(self, root: Path, *, max_file_size: int = 100 * MEBIBYTE,
                 inline_content_limit: int = MEBIBYTE) -> None:
        self.root = Path(root)
        self._state = EmulatorState(self.root, max_file_size=max_file_size,
                                    inline_content_limit=inline_content_limit)
        self._faults = FaultSchedule()
        self._calls_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._dispatcher = Dispatcher(self._state)
        self.calls: list[Call] = []

    # -- lifecycle --------------------------------------------------------

    def start(self) -> GitHubEmulator:
        """Listen on an ephemeral port of 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the GitHub emulator is already running")
        self.root.mkdir(parents=True, exist_ok=True)
        self._stopping.clear()
        self._server = EmulatorHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.serve_request = self._serve
        host, port = self._server.server_address[:2]
        self._state.base_url = f"http://{host}:{port}"

        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="github-emulator", daemon=True)
        self._thread.start()
        logger.info("GitHub emulator started at %s with repositories in %s", self.base_url, self.root)
        return self

    def stop(self) -> None:
        """Stop serving; calls still waiting on ``delay_call`` are woken and finish at once."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("GitHub emulator at %s stopped after %d calls", self.base_url, len(self.calls))
        self._server = None
        self._thread = None

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def unhandled(self) -> list[tuple[str, str]]:
        """(method, path) of every request that matched no emulated endpoint, oldest first."""
        return self._dispatcher.unhandled

    @property
    def base_url(self) -> str:
        """The API root, ``http://127.0.0.1:PORT``; empty before ``start()``."""
        return self._state.base_url

    # -- setting up data ----------------------------------------------------

    def add_user(self, login: str, token: str | None, *, name: str | None = None,
                 email: str | None = None) -> None:
        """Register LOGIN with TOKEN (a second call adds another token).

        Tokens starting with ``github_pat_`` act as fine-grained tokens and
        ``ghs_``/``ghu_`` as GitHub App tokens, which changes the response to
        a write without push access (see ``common.write_denied``).
        """
        with self._state.lock:
            self._state.add_user(login, token, name=name, email=email)

    def create_repo(self, owner: str, name: str, files: dict[str, bytes], default_branch: str = "main",
                    private: bool = False, collaborators: dict[str, str] | None = None,
                    description: str = "") -> str:
        """Create OWNER/NAME with one commit holding FILES on DEFAULT_BRANCH; return that commit's sha.

        COLLABORATORS maps logins to "push" or "read". Unknown owners and
        collaborators are registered without a token.
        """
        collaborators = collaborators or {}
        for login, level in collaborators.items():
            if level not in ("push", "read"):
                raise ValueError(f"collaborator {login!r} has access level {level!r}; use 'push' or 'read'")

        with self._state.lock:
            if self._state.find_repository(owner, name) is not None:
                raise ValueError(f"repository {owner}/{name} already exists")
            owner_user = self._state.find_user(owner) or self._state.add_user(owner, None)
            for login in collaborators:
                self._state.find_user(login) or self._state.add_user(login, None)

            git = BareRepository.create(self._state.bare_path_for(owner, name), default_branch)
            # Files with the same bytes share one blob, as in git, so a tree of many empty files is fast to build.
            blobs = {data: git.write_blob(data) for data in set(files.values())}
            changes = {path: TreeEntry(FILE_MODE, "blob", blobs[data], path) for path, data in files.items()}
            tree = git.update_tree(None, changes)
            identity = user_identity(owner_user)
            commit = git.create_commit(tree, [], "Initial commit", identity, identity)
            git.set_ref(f"refs/heads/{default_branch}", commit, ZERO_SHA)

            self._state.add_repository(owner_user, name, git, private=private, default_branch=default_branch,
                                       collaborators=collaborators, description=description)
            return commit

    def commit_files(self, owner: str, name: str, branch: str, files: dict[str, bytes | None],
                     message: str, *, author: tuple[str, str] | None = None) -> str:
        """Commit FILES (None deletes a path) on BRANCH, as a push by someone else would; return the sha.

        A missing BRANCH is created from the default branch. AUTHOR is
        (name, email) and defaults to the repository owner.
        """
        with self._state.lock:
            repository = self._repository(owner, name)
            git = repository.git
            head = git.ref_target(f"refs/heads/{branch}")
            parent = head or git.ref_target(f"refs/heads/{repository.default_branch}")
            if parent is None:
                raise KeyError(f"{owner}/{name} has neither branch {branch!r} nor its default branch to start from")

            changes = {path: None if data is None else TreeEntry(FILE_MODE, "blob", git.write_blob(data), path)
                       for path, data in files.items()}
            tree = git.update_tree(git.read_commit(parent).tree, changes)
            identity = Identity(*author, utc_now()) if author else user_identity(repository.owner)
            commit = git.create_commit(tree, [parent], message, identity, identity)
            git.set_ref(f"refs/heads/{branch}", commit, head or ZERO_SHA)
            return commit

    # -- inspecting state ---------------------------------------------------

    def bare_path(self, owner: str, name: str) -> Path:
        """Return the path of the bare git repository of OWNER/NAME, for ``git clone``."""
        with self._state.lock:
            return self._repository(owner, name).git.path

    def read_file(self, owner: str, name: str, ref: str, path: str) -> bytes:
        """Return the bytes of PATH at REF (branch, ref or sha).

        Raise KeyError for an unknown repository or ref, FileNotFoundError
        when PATH is no file at REF.
        """
        with self._state.lock:
            git = self._repository(owner, name).git
            commit = git.resolve_commit(ref)
            if commit is None:
                raise KeyError(f"{owner}/{name} has no commit for ref {ref!r}")
            entry = git.entry_at(commit, path)
            if entry is None or entry.type != "blob":
                raise FileNotFoundError(f"{owner}/{name} has no file {path!r} at {ref!r}")
            return git.read_blob(entry.sha)

    def branches(self, owner: str, name: str) -> dict[str, str]:
        """Return the branches of OWNER/NAME as a mapping from branch name to commit sha."""
        with self._state.lock:
            git = self._repository(owner, name).git
            return {ref.removeprefix("refs/heads/"): sha for ref, sha, _ in git.list_refs("refs/heads/")}

    def pulls(self, owner: str, name: str) -> list[dict[str, Any]]:
        """Return the pull requests into OWNER/NAME, oldest first, as plain dictionaries.

        Each has number, html_url, state, title, body, draft, user (login),
        and head/base as {label, ref, sha, repo ("owner/name")}.
        """
        with self._state.lock:
            repository = self._repository(owner, name)
            summaries = []
            for pull in self._state.pulls_of(repository):
                refresh_pull(pull)
                summaries.append({
                    "number": pull.number,
                    "html_url": f"{self.base_url}/{repository.full_name}/pull/{pull.number}",
                    "state": pull.state,
                    "title": pull.title,
                    "body": pull.body,
                    "draft": pull.draft,
                    "user": pull.user.login,
                    "head": {"label": pull.head_label, "ref": pull.head_ref, "sha": pull.head_sha,
                             "repo": pull.head_repo.full_name},
                    "base": {"label": pull.base_label, "ref": pull.base_ref, "sha": pull.base_sha,
                             "repo": pull.base_repo.full_name},
                })
            return summaries

    def _repository(self, owner: str, name: str) -> Repository:
        repository = self._state.find_repository(owner, name)
        if repository is None:
            raise KeyError(f"no emulated repository {owner}/{name}")
        return repository

    # -- calls and faults -----------------------------------------------------

    def reset_calls(self) -> None:
        """Forget the recorded calls; ``unhandled`` is kept."""
        with self._calls_lock:
            self.calls.clear()

    def fail_call(self, n: int, status: int = 500, body: Any = None,
                  headers: dict[str, str] | None = None) -> None:
        """Respond to the Nth next call (1 is the very next) with STATUS instead of running it.

        BODY may be a dict (sent as JSON), str or bytes (sent as they are), or
        None for GitHub's error body with the status phrase as message.
        """
        self._faults.add(n, Fault("status", status=status, body=body, headers=headers))

    def delay_call(self, n: int, seconds: float) -> None:
        """Wait SECONDS before running the Nth next call; the call still runs after a client timeout."""
        self._faults.add(n, Fault("delay", seconds=seconds))

    def drop_call(self, n: int) -> None:
        """Close the connection of the Nth next call without a response and without running it."""
        self._faults.add(n, Fault("drop"))

    def clear_faults(self) -> None:
        """Cancel every fault that has not fired yet."""
        self._faults.clear()

    def rate_limit(self, remaining: int = 0, reset: int | None = None) -> None:
        """Let REMAINING more calls through, then respond to every call with GitHub's 403 rate limit error.

        RESET is the epoch second sent in ``X-RateLimit-Reset``. ``GET
        /rate_limit`` keeps working, as on GitHub. Lasts until
        ``clear_rate_limit()``.
        """
        self._state.rate_limiter.force(remaining, reset)

    def limit_tree_entries(self, limit: int | None) -> None:
        """Truncate recursive tree listings to LIMIT entries, as GitHub does above 100,000; None lists all."""
        with self._state.lock:
            self._state.tree_entry_limit = limit

    def clear_rate_limit(self) -> None:
        """Undo ``rate_limit()``."""
        self._state.rate_limiter.clear()

    # -- request processing ---------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Respond to one HTTP request, applying the faults scheduled for it."""
        body = read_body(handler)
        raw_path = urlsplit(handler.path).path
        faults = self._faults.next_call()

        for fault in faults:
            if fault.kind == "delay":
                logger.info("Delaying %s %s by %.3f s as scheduled", handler.command, raw_path, fault.seconds)
                self._stopping.wait(fault.seconds)

        if any(fault.kind == "drop" for fault in faults):
            logger.info("Dropping the connection of %s %s as scheduled", handler.command, raw_path)
            self._record(Call(handler.command, raw_path, None))
            handler.close_connection = True
            return

        status_fault = next((fault for fault in faults if fault.kind == "status"), None)
        if status_fault is not None:
            logger.info("Responding to %s %s with %d as scheduled", handler.command, raw_path, status_fault.status)
            response = _fault_response(status_fault)
        else:
            response = self._dispatcher.handle(handler.command, handler.path, lower_headers(handler), body)

        self._record(Call(handler.command, raw_path, response.status))
        write_response(handler, response)

    def _record(self, call: Call) -> None:
        with self._calls_lock:
            self.calls.append(call)


def _fault_response(fault: Fault) -> ApiResponse:
    body = fault.body
    if body is None:
        body = {"message": HTTPStatus(fault.status).phrase, "documentation_url": DOCS_ROOT,
                "status": str(fault.status)}
    return ApiResponse(fault.status, body, dict(fault.headers or {}))
