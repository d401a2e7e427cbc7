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

import base64
import binascii
import json
import logging
import socket
import threading
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from . import routes_contents, routes_git, routes_pulls, routes_repos  # noqa: F401 (importing registers the routes)
from .api import DOCS_ROOT, ApiError, ApiRequest, ApiResponse, find_route
from .faults import Fault, FaultSchedule, RateLimitStatus
from .gitrepo import FILE_MODE, ZERO_SHA, BareRepository, Identity, TreeEntry
from .model import MEBIBYTE, EmulatorState, Repository, User, utc_now
from .routes_pulls import refresh_pull

logger = logging.getLogger("tests.github_emulator")

RATE_LIMIT_DOCUMENTATION_URL = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"


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
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.calls: list[Call] = []
        self.unhandled: list[tuple[str, str]] = []

    # -- lifecycle --------------------------------------------------------

    def start(self) -> GitHubEmulator:
        """Listen on an ephemeral port of 127.0.0.1 and serve in a background thread."""
        if self._server is not None:
            raise RuntimeError("the GitHub emulator is already running")
        self.root.mkdir(parents=True, exist_ok=True)
        self._stopping.clear()
        self._server = _EmulatorHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.emulator = self
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
            changes = {path: TreeEntry(FILE_MODE, "blob", git.write_blob(data), path) for path, data in files.items()}
            tree = git.update_tree(None, changes)
            identity = _identity_of(owner_user)
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
            assert parent is not None, f"{owner}/{name} has no default branch {repository.default_branch}"

            changes = {path: None if data is None else TreeEntry(FILE_MODE, "blob", git.write_blob(data), path)
                       for path, data in files.items()}
            tree = git.update_tree(git.read_commit(parent).tree, changes)
            identity = Identity(*author, utc_now()) if author else _identity_of(repository.owner)
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

    def clear_rate_limit(self) -> None:
        """Undo ``rate_limit()``."""
        self._state.rate_limiter.clear()

    # -- request processing ---------------------------------------------------

    def _serve(self, handler: _RequestHandler) -> None:
        """Respond to one HTTP request, applying the faults scheduled for it."""
        body = _read_body(handler)
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
            response = self._dispatch(handler.command, handler.path, _lower_headers(handler), body)

        self._record(Call(handler.command, raw_path, response.status))
        _write_response(handler, response)

    def _record(self, call: Call) -> None:
        with self._calls_lock:
            self.calls.append(call)

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> ApiResponse:
        """Authenticate, count against the rate limit, route and run one API call."""
        parsed = urlsplit(target)
        path = unquote(parsed.path)
        query = dict(parse_qsl(parsed.query, keep_blank_values=True))

        try:
            user, token = self._authenticate(headers)
        except ApiError as error:
            logger.info("Rejected %s %s: %s", method, parsed.path, error.message)
            response = error.to_response(DOCS_ROOT)
            response.headers.update(self._state.rate_limiter.peek("anonymous", False).headers())
            return response

        limit = self._count_call(user, path)
        if limit.exceeded:
            logger.info("Rate limit exceeded for %s %s", method, path)
            return _rate_limited_response(user, limit)

        response = self._run_route(method, path, parsed.path, query, headers, body, user, token)
        response.headers.update(limit.headers())
        return response

    def _authenticate(self, headers: dict[str, str]) -> tuple[User | None, str | None]:
        """Return the caller and token of ``Authorization: token|Bearer|Basic``; raise 401 for an unknown token."""
        header = headers.get("authorization")
        if not header:
            return None, None

        scheme, _, credentials = header.partition(" ")
        token = credentials.strip()
        if scheme.lower() == "basic":
            # GitHub accepts a token as the password of Basic authentication.
            try:
                token = base64.b64decode(token).decode("utf-8").partition(":")[2]
            except (binascii.Error, UnicodeDecodeError):
                token = ""
        elif scheme.lower() not in ("token", "bearer"):
            token = ""

        with self._state.lock:
            user = self._state.user_for_token(token) if token else None
        if user is None:
            raise ApiError(401, "Bad credentials")
        return user, token

    def _count_call(self, user: User | None, path: str) -> RateLimitStatus:
        limiter = self._state.rate_limiter
        caller = user.login if user else "anonymous"
        if path == "/rate_limit":
            # GitHub does not count this endpoint, and it works even when the limit is spent.
            return limiter.peek(caller, user is not None)
        return limiter.consume(caller, user is not None)

    def _run_route(self, method: str, path: str, raw_path: str, query: dict[str, str],
                   headers: dict[str, str], body: bytes, user: User | None, token: str | None) -> ApiResponse:
        found = find_route(method, path)
        if found is None:
            logger.warning("No emulated endpoint for %s %s; returning 404 Not Found", method, path)
            self.unhandled.append((method, path))
            return ApiError(404, "Not Found").to_response(DOCS_ROOT)
        route, params = found

        try:
            parsed_body = json.loads(body) if body.strip() else None
        except ValueError as error:
            logger.info("Rejected %s %s: the body is not valid JSON (%s)", method, path, error)
            return ApiError(400, "Problems parsing JSON").to_response(route.documentation_url)

        request = ApiRequest(method=method, path=path, query=query, headers=headers, body=parsed_body,
                             user=user, token=token, raw_path=raw_path, params=params,
                             documentation_url=route.documentation_url)
        try:
            with self._state.lock:
                return route.handler(self._state, request)
        except ApiError as error:
            logger.info("%s %s returns %d: %s", method, path, error.status, error.message)
            return error.to_response(route.documentation_url)
        except Exception as error:  # noqa: BLE001 (a bug in a handler must reach the test as a 500, not kill the thread)
            logger.exception("GitHub emulator failed on %s %s", method, path)
            return ApiResponse(500, {"message": f"GitHub emulator error: {error!r}",
                                     "documentation_url": route.documentation_url, "status": "500"})


def _identity_of(user: User) -> Identity:
    return Identity(user.name, user.email, utc_now())


def _rate_limited_response(user: User | None, limit: RateLimitStatus) -> ApiResponse:
    """Build GitHub's 403 for a spent primary rate limit."""
    if user is not None:
        message = f"API rate limit exceeded for user ID {user.id}."
    else:
        message = ("API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests "
                   "get a higher rate limit. Check out the documentation for more details.)")
    body = {"message": message, "documentation_url": RATE_LIMIT_DOCUMENTATION_URL}
    return ApiResponse(403, body, limit.headers())


def _fault_response(fault: Fault) -> ApiResponse:
    body = fault.body
    if body is None:
        body = {"message": HTTPStatus(fault.status).phrase, "documentation_url": DOCS_ROOT,
                "status": str(fault.status)}
    return ApiResponse(fault.status, body, dict(fault.headers or {}))


class _EmulatorHTTPServer(ThreadingHTTPServer):
    # Daemon threads that are not joined on close, so stop() returns even while a delayed call sleeps.
    daemon_threads = True
    block_on_close = False
    emulator: GitHubEmulator


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHubEmulator"
    server: _EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes. Without TCP_NODELAY, Nagle's algorithm delays the
        # body until the client's delayed ACK, which added about 40 ms to every call here.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.server.emulator._serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    # NOTE: chunked request bodies are not decoded; requests (used by PyGithub) sends Content-Length.
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _lower_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}


def _encode_body(body: Any, headers: dict[str, str]) -> tuple[bytes, str]:
    """Return the bytes to send and their content type."""
    if body is None:
        return b"", "application/json; charset=utf-8"
    if isinstance(body, bytes):
        return body, headers.get("Content-Type", "application/octet-stream")
    if isinstance(body, str):
        return body.encode("utf-8"), headers.get("Content-Type", "text/html; charset=utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"


def _write_response(handler: BaseHTTPRequestHandler, response: ApiResponse) -> None:
    payload, content_type = _encode_body(response.body, response.headers)
    if response.status == 204:
        payload = b""

    headers = {
        "Content-Type": content_type,
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
        **response.headers,
        "Content-Length": str(len(payload)),
    }
    try:
        handler.send_response(response.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError) as error:
        # The client gave up first, for example after a timeout on a delayed call.
        logger.info("Client closed the connection before the %d response was sent: %s", response.status, error)
