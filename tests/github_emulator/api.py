"""Request, response and error types shared by the endpoint handlers, and the route table."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import EmulatorState, User

DOCS_ROOT = "https://docs.github.com/rest"


@dataclass
class ApiRequest:
    """One parsed API request.

    PATH is percent-decoded and has no query string; RAW_PATH is PATH as
    sent. QUERY keeps the last value of each parameter. PARAMS contains the parts of PATH that the
    route pattern captured. HEADERS has lower-case names.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    user: User | None
    token: str | None
    raw_path: str = ""
    params: dict[str, str] = field(default_factory=dict)
    documentation_url: str = DOCS_ROOT


@dataclass
class ApiResponse:
    """A response to send: BODY is JSON-serialisable data, raw bytes, or None for no body."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """An error that GitHub would return with STATUS and a JSON message body."""

    def __init__(self, status: int, message: str, *, errors: list[dict] | None = None,
                 documentation_url: str | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url

    def to_response(self, default_documentation_url: str) -> ApiResponse:
        """Build GitHub's error body: message, errors when present, documentation_url, status."""
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        body["documentation_url"] = self.documentation_url or default_documentation_url
        body["status"] = str(self.status)
        return ApiResponse(self.status, body)


def not_found(message: str = "Not Found") -> ApiError:
    """Return GitHub's 404, which it also uses to hide private repositories."""
    return ApiError(404, message)


def unprocessable(message: str) -> ApiError:
    """Return a 422 with a plain message, as the Git Data API does."""
    return ApiError(422, message)


def validation_failed(resource: str, code: str, *, field: str | None = None,
                      message: str | None = None) -> ApiError:
    """Return GitHub's 422 "Validation Failed" with one entry in ``errors``."""
    error: dict[str, str] = {"resource": resource}
    if field is not None:
        error["field"] = field
    error["code"] = code
    if message is not None:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


Handler = Callable[[EmulatorState, ApiRequest], ApiResponse]


@dataclass(frozen=True)
class Route:
    """An endpoint: METHOD, a compiled path PATTERN, its HANDLER and its docs page."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    documentation_url: str


_ROUTES: list[Route] = []

_PLACEHOLDER = re.compile(r"\{(\w+)([+*]?)\}")
_PLACEHOLDER_PATTERNS = {"": "[^/]+", "+": ".+", "*": ".*"}


def _compile(template: str) -> re.Pattern[str]:
    """Compile ``/repos/{owner}/{repo}/contents/{path*}`` into a regular expression.

    ``{name}`` matches one path segment, ``{name+}`` one or more segments and
    ``{name*}`` possibly nothing.
    """
    pattern = ""
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        name, suffix = match.groups()
        pattern += re.escape(template[position:match.start()])
        pattern += f"(?P<{name}>{_PLACEHOLDER_PATTERNS[suffix]})"
        position = match.end()
    pattern += re.escape(template[position:])
    return re.compile(pattern)


def route(method: str, template: str, docs: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of METHOD TEMPLATE.

    DOCS is the page of GitHub's REST reference below ``/rest/``; error bodies
    carry it as ``documentation_url``.
    """
    def register(handler: Handler) -> Handler:
        _ROUTES.append(Route(method, _compile(template), handler, f"{DOCS_ROOT}/{docs}"))
        return handler
    return register


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Return the route for METHOD PATH with its captured parameters, or None."""
    for candidate in _ROUTES:
        if candidate.method != method:
            continue
        match = candidate.pattern.fullmatch(path)
        if match is not None:
            return candidate, {name: value or "" for name, value in match.groupdict().items()}
    return None
