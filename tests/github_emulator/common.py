"""Access checks, body parsing and pagination shared by the endpoint handlers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from .api import ApiError, ApiRequest, ApiResponse, not_found
from .gitrepo import Identity
from .model import EmulatorState, Repository, User, utc_now

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100


def require_authentication(request: ApiRequest) -> User:
    """Return the caller, or raise GitHub's 401 for an anonymous call."""
    if request.user is None:
        raise ApiError(401, "Requires authentication")
    return request.user


def load_repository(state: EmulatorState, request: ApiRequest) -> Repository:
    """Return the repository named by the ``owner`` and ``repo`` path parameters.

    Raise 404 when it does not exist or the caller may not see it: GitHub
    hides private repositories behind the same 404.
    """
    repository = state.find_repository(request.params["owner"], request.params["repo"])
    if repository is None or not state.has_access(repository, request.user, "read"):
        raise not_found()
    return repository


def require_push(state: EmulatorState, request: ApiRequest, repository: Repository) -> User:
    """Return the caller when it may write to REPOSITORY, else raise GitHub's error for the token type."""
    user = require_authentication(request)
    if not state.has_access(repository, user, "push"):
        raise write_denied(request)
    return user


def write_denied(request: ApiRequest) -> ApiError:
    """Build the error GitHub returns when a token that can read a repository tries to write to it.

    Classic tokens (``ghp_``) get 404 "Not Found", as reported in public
    issue threads such as PyGithub #1662 for ``create_git_ref``.
    Fine-grained tokens (``github_pat_``) get 403 "Resource not accessible
    by personal access token", and GitHub App tokens (``ghs_``, ``ghu_``)
    get 403 "Resource not accessible by integration".
    """
    token = request.token or ""
    if token.startswith("github_pat_"):
        return ApiError(403, "Resource not accessible by personal access token")
    if token.startswith(("ghs_", "ghu_")):
        return ApiError(403, "Resource not accessible by integration")
    return not_found()


def json_object(request: ApiRequest) -> dict[str, Any]:
    """Return the request body as a JSON object; an absent body counts as ``{}``."""
    if request.body is None:
        return {}
    if not isinstance(request.body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return request.body


def missing_field(name: str) -> ApiError:
    """Return GitHub's 422 for a required body field that was not sent."""
    return ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')


def required_string(body: dict[str, Any], name: str) -> str:
    """Return BODY[NAME] when it is a string, else raise GitHub's 422 for a missing field."""
    value = body.get(name)
    if value is None:
        raise missing_field(name)
    if not isinstance(value, str):
        raise ApiError(422, f"Invalid request.\n\nFor '{name}', {json_repr(value)} is not a string.")
    return value


def json_repr(value: Any) -> str:
    """Render VALUE the way GitHub quotes offending values in 422 messages."""
    return json.dumps(value)


def identity_from_body(value: Any, field: str, default: Identity | None) -> Identity | None:
    """Parse an ``author``/``committer`` object (name, email, optional ISO date).

    Return DEFAULT when VALUE is None. A missing date means now.
    """
    if value is None:
        return default
    if not isinstance(value, dict):
        raise ApiError(422, f"Invalid request.\n\nFor '{field}', {json_repr(value)} is not an object.")
    for key in ("name", "email"):
        if not isinstance(value.get(key), str):
            raise missing_field(key)
    return Identity(value["name"], value["email"], _parse_date(value.get("date"), field))


def _parse_date(value: Any, field: str) -> datetime:
    if value is None:
        return utc_now()
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ApiError(422, f"Invalid request.\n\n{json_repr(value)} is not a valid date-time in '{field}'.")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def check_file_size(state: EmulatorState, data: bytes) -> None:
    """Raise 422 when DATA is larger than the emulator's maximum file size."""
    # NOTE: the limit defaults to GitHub's documented 100 MB file limit; the message is a guess.
    if len(data) > state.max_file_size:
        raise ApiError(422, f"File is too large: {len(data)} bytes; the maximum is {state.max_file_size} bytes.")


def user_identity(user: User) -> Identity:
    """Return the identity GitHub records when a commit is made by USER without author data."""
    return Identity(user.name, user.email, utc_now())


def created(body: Any, location: str) -> ApiResponse:
    """Return 201 with a ``Location`` header, as GitHub does for new objects."""
    return ApiResponse(201, body, {"Location": location})


def paginate(state: EmulatorState, request: ApiRequest, items: list[Any]) -> ApiResponse:
    """Return one page of ITEMS chosen by ``page`` and ``per_page``, with a ``Link`` header.

    ``per_page`` defaults to 30 and is capped at 100, as on GitHub.
    """
    per_page = _positive_int(request.query.get("per_page"), DEFAULT_PAGE_SIZE)
    per_page = min(per_page, MAX_PAGE_SIZE)
    page = _positive_int(request.query.get("page"), 1)
    last_page = max((len(items) + per_page - 1) // per_page, 1)

    start = (page - 1) * per_page
    response = ApiResponse(200, items[start:start + per_page])

    links = []
    if page < last_page:
        links.append((page + 1, "next"))
        links.append((last_page, "last"))
    if page > 1:
        links.append((1, "first"))
        links.append((min(page - 1, last_page), "prev"))
    if links:
        response.headers["Link"] = ", ".join(
            f'<{_page_url(state, request, number)}>; rel="{relation}"' for number, relation in links
        )
    return response


def _page_url(state: EmulatorState, request: ApiRequest, page: int) -> str:
    query = dict(request.query)
    query["page"] = str(page)
    return f"{state.base_url}{request.raw_path}?{urlencode(query)}"


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default
