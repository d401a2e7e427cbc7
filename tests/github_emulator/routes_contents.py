"""The Contents API: read, create, update and delete one file with one commit."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from .api import ApiError, ApiRequest, ApiResponse, not_found, route, unprocessable
from .common import (
    check_file_size, identity_from_body, json_object, load_repository, missing_field, require_push,
    required_string, user_identity,
)
from .gitrepo import FILE_MODE, GitError, TreeEntry
from .model import EmulatorState, Repository, User
from .payloads import content_json, git_commit_json

_RAW_MEDIA_TYPES = ("application/vnd.github.raw", "application/vnd.github.v3.raw")


@route("GET", "/repos/{owner}/{repo}/contents", "repos/contents#get-repository-content")
@route("GET", "/repos/{owner}/{repo}/contents/{path*}", "repos/contents#get-repository-content")
def get_contents(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Return a file object, or a list for a directory, at ``ref`` (default: the default branch).

    Files above the inline limit (1 MiB by default) come with an empty
    ``content`` and ``encoding: "none"``. The raw media types return the
    bytes themselves.
    """
    repository = load_repository(state, request)
    ref = request.query.get("ref") or repository.default_branch
    commit = repository.git.resolve_commit(ref)
    if commit is None:
        raise not_found(f"No commit found for the ref {ref}")

    path = request.params.get("path", "").strip("/")
    entry = repository.git.entry_at(commit, path)
    if entry is None:
        raise not_found()

    if entry.type == "tree":
        children = [replace(child, path=f"{path}/{child.path}" if path else child.path)
                    for child in repository.git.list_tree(entry.sha)]
        return ApiResponse(200, [content_json(state, repository, ref, child) for child in children])

    data = repository.git.read_blob(entry.sha) if entry.type == "blob" else b""
    if _wants_raw(request):
        return ApiResponse(200, data, {"Content-Type": "application/vnd.github.raw"})
    return ApiResponse(200, content_json(state, repository, ref, entry, data))


def _wants_raw(request: ApiRequest) -> bool:
    accept = request.headers.get("accept", "")
    return any(media_type in accept for media_type in _RAW_MEDIA_TYPES)


@route("PUT", "/repos/{owner}/{repo}/contents/{path+}", "repos/contents#create-or-update-file-contents")
def put_contents(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Create or replace one file with a new commit on ``branch``.

    Replacing needs the current blob ``sha``: a missing one is 422, a stale
    one 409 "<path> does not match <sha>". For a new path GitHub ignores
    ``sha``. Returns 201 for a new file and 200 for a replaced one.
    """
    repository = load_repository(state, request)
    user = require_push(state, request, repository)
    body = json_object(request)

    path = request.params["path"].strip("/")
    message = required_string(body, "message")
    data = _decode_content(required_string(body, "content"))
    check_file_size(state, data)
    branch, head = _branch_head(repository, body)

    existing = repository.git.entry_at(head, path)
    if existing is not None and existing.type != "blob":
        # NOTE: status and message are guessed; GitHub's response to writing over a directory was not checked.
        raise unprocessable(f"{path} is a directory, not a file.")
    if existing is not None:
        _check_expected_sha(path, existing, body.get("sha"))

    mode = existing.mode if existing is not None else FILE_MODE
    blob = repository.git.write_blob(data)
    change = TreeEntry(mode, "blob", blob, path, len(data))
    commit = _commit_change(repository, user, body, branch, head, {path: change}, message)

    response = {
        "content": content_json(state, repository, branch, change),
        "commit": git_commit_json(state, repository, repository.git.read_commit(commit)),
    }
    return ApiResponse(200 if existing is not None else 201, response)


@route("DELETE", "/repos/{owner}/{repo}/contents/{path+}", "repos/contents#delete-a-file")
def delete_contents(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Remove one file with a new commit; ``sha`` must be the file's current blob sha."""
    repository = load_repository(state, request)
    user = require_push(state, request, repository)
    body = json_object(request)

    path = request.params["path"].strip("/")
    message = required_string(body, "message")
    if body.get("sha") is None:
        raise missing_field("sha")
    branch, head = _branch_head(repository, body)

    existing = repository.git.entry_at(head, path)
    if existing is None:
        raise not_found()
    _check_expected_sha(path, existing, body["sha"])

    commit = _commit_change(repository, user, body, branch, head, {path: None}, message)
    response = {
        "content": None,
        "commit": git_commit_json(state, repository, repository.git.read_commit(commit)),
    }
    return ApiResponse(200, response)


def _decode_content(content: str) -> bytes:
    try:
        return base64.b64decode("".join(content.split()), validate=True)
    except binascii.Error:
        raise unprocessable("content is not valid Base64")


def _branch_head(repository: Repository, body: dict) -> tuple[str, str]:
    """Return the target branch (``branch`` or the default) and its tip; 404 when it does not exist."""
    branch = body.get("branch") or repository.default_branch
    head = repository.git.ref_target(f"refs/heads/{branch}")
    if head is None:
        # NOTE: the status (404, checked before the sha) follows a public probe of
        # GitHub; the message wording is a guess.
        raise not_found(f"Branch {branch} not found")
    return branch, head


def _check_expected_sha(path: str, existing: TreeEntry, expected: object) -> None:
    if expected is None:
        raise missing_field("sha")
    if expected != existing.sha:
        raise ApiError(409, f"{path} does not match {expected}")


def _commit_change(repository: Repository, user: User, body: dict, branch: str, head: str,
                   changes: dict[str, TreeEntry | None], message: str) -> str:
    """Commit CHANGES on top of HEAD and move BRANCH there; return the new commit sha.

    The committer defaults to the caller and the author to the committer,
    as GitHub documents for this API.
    """
    committer = identity_from_body(body.get("committer"), "committer", user_identity(user))
    author = identity_from_body(body.get("author"), "author", committer)
    base_tree = repository.git.read_commit(head).tree
    tree = repository.git.update_tree(base_tree, changes)
    commit = repository.git.create_commit(tree, [head], message, author, committer)

    try:
        repository.git.set_ref(f"refs/heads/{branch}", commit, head)
    except GitError:
        # Only a push straight into the bare repository can move the branch under the lock.
        raise ApiError(409, f"Branch {branch} moved while the change was committed; read the file again and retry.")
    return commit
