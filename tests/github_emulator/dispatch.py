"""Authentication, rate limit accounting and routing of one API call."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

from . import routes_contents, routes_git, routes_pulls, routes_repos  # noqa: F401 (importing registers the routes)
from .api import DOCS_ROOT, ApiError, ApiRequest, ApiResponse, find_route
from .faults import RateLimitStatus
from .model import EmulatorState, User

logger = logging.getLogger("tests.github_emulator")

RATE_LIMIT_DOCUMENTATION_URL = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"


class Dispatcher:
    """Authentication, rate limit accounting and routing to the registered endpoints.

    UNHANDLED lists (method, path) of every request that matched no route.
    """

    def __init__(self, state: EmulatorState) -> None:
        self._state = state
        self._unhandled_lock = threading.Lock()
        self.unhandled: list[tuple[str, str]] = []

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> ApiResponse:
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
        """Return the caller and token of ``Authorization: token|Bearer|Basic``, or raise 401 for an unknown token."""
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
            with self._unhandled_lock:
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


def _rate_limited_response(user: User | None, limit: RateLimitStatus) -> ApiResponse:
    """Build GitHub's 403 for a spent primary rate limit."""
    if user is not None:
        message = f"API rate limit exceeded for user ID {user.id}."
    else:
        message = ("API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests "
                   "get a higher rate limit. Check out the documentation for more details.)")
    body = {"message": message, "documentation_url": RATE_LIMIT_DOCUMENTATION_URL}
    return ApiResponse(403, body, limit.headers())
