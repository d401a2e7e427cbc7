"""The Git Data API: blobs, trees, commits and references."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .api import ApiError, ApiRequest, ApiResponse, not_found, route, unprocessable
from .common import (
    check_file_size, created, identity_from_body, json_object, load_repository, missing_field, paginate,
    require_push, required_string, user_identity,
)
from .gitrepo import ZERO_SHA, GitError, TreeEntry, is_valid_ref_name
from .model import EmulatorState, Repository
from .payloads import api_url, blob_json, git_commit_json, ref_json, tree_json

_TREE_MODES = {"100644": "blob", "100755": "blob", "120000": "blob", "040000": "tree", "160000": "commit"}


# -- blobs --------------------------------------------------------------------


@route("GET", "/repos/{owner}/{repo}/git/blobs/{sha}", "git/blobs#get-a-blob")
def get_blob(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    sha = request.params["sha"]
    if repository.git.object_type(sha) != "blob":
        raise not_found()
    return ApiResponse(200, blob_json(state, repository, sha, repository.git.read_blob(sha)))


@route("POST", "/repos/{owner}/{repo}/git/blobs", "git/blobs#create-a-blob")
def create_blob(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Store ``content`` decoded per ``encoding`` ("utf-8", the default, or "base64")."""
    repository = load_repository(state, request)
    require_push(state, request, repository)
    body = json_object(request)

    data = _decode_blob_content(required_string(body, "content"), body.get("encoding") or "utf-8")
    check_file_size(state, data)
    sha = repository.git.write_blob(data)

    url = api_url(state, repository, f"/git/blobs/{sha}")
    return created({"url": url, "sha": sha}, url)


def _decode_blob_content(content: str, encoding: str) -> bytes:
    if encoding.lower() == "base64":
        try:
            return base64.b64decode("".join(content.split()), validate=True)
        except binascii.Error:
            raise unprocessable("content is not valid Base64")
    # NOTE: GitHub documents only "utf-8" and "base64". PyGithub's ReplayData shows it
    # accepting "latin1" in 2012, so other names are stored as UTF-8 text here.
    return content.encode("utf-8")


# -- trees --------------------------------------------------------------------


@route("GET", "/repos/{owner}/{repo}/git/trees/{sha+}", "git/trees#get-a-tree")
def get_tree(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Return a tree named by sha, commit or ref; ``recursive`` lists every nested entry."""
    repository = load_repository(state, request)
    tree = repository.git.resolve_tree(request.params["sha"])
    if tree is None:
        raise not_found()
    recursive = request.query.get("recursive") not in (None, "", "0", "false")
    entries = repository.git.list_tree(tree, recursive=recursive)
    limit = state.tree_entry_limit
    truncated = recursive and limit is not None and len(entries) > limit
    if truncated:
        entries = entries[:limit]
    return ApiResponse(200, tree_json(state, repository, tree, entries, truncated=truncated))


@route("POST", "/repos/{owner}/{repo}/git/trees", "git/trees#create-a-tree")
def create_tree(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Write a tree from ``tree`` entries on top of ``base_tree`` (or of nothing).

    Entries carry ``sha`` or ``content`` (stored as a new UTF-8 blob);
    ``sha: null`` removes the path from the base tree.
    """
    repository = load_repository(state, request)
    require_push(state, request, repository)
    body = json_object(request)

    items = body.get("tree")
    if not isinstance(items, list):
        raise missing_field("tree")
    base_tree = _base_tree(repository, body.get("base_tree"))
    changes = {item_path: change for item_path, change in
               (_tree_change(state, repository, item) for item in items)}

    try:
        sha = repository.git.update_tree(base_tree, changes)
    except ValueError as error:
        raise unprocessable(str(error))

    url = api_url(state, repository, f"/git/trees/{sha}")
    return created(tree_json(state, repository, sha, repository.git.list_tree(sha)), url)


def _base_tree(repository: Repository, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or repository.git.object_type(value) != "tree":
        raise unprocessable("base_tree is not a valid tree oid")
    return value


def _tree_change(state: EmulatorState, repository: Repository, item: Any) -> tuple[str, TreeEntry | None]:
    """Validate one ``tree`` item and return (path, new entry or None to remove)."""
    if not isinstance(item, dict):
        raise ApiError(422, "Invalid request.\n\nFor 'items', the tree entries must be objects.")
    path = item.get("path")
    mode = item.get("mode")
    kind = item.get("type")
    if not isinstance(path, str) or not path:
        raise missing_field("path")
    if mode not in _TREE_MODES:
        raise unprocessable(f"tree.mode {mode!r} is not a valid tree mode")
    if kind != _TREE_MODES[mode]:
        raise unprocessable(f"tree.type {kind!r} does not match tree.mode {mode}")

    has_content = item.get("content") is not None
    if has_content and item.get("sha") is not None:
        raise unprocessable("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
    if has_content and kind != "blob":
        raise unprocessable(f"tree.content is only allowed for blobs, not for type {kind!r}")
    if has_content:
        data = str(item["content"]).encode("utf-8")
        check_file_size(state, data)
        return path, TreeEntry(mode, "blob", repository.git.write_blob(data), path)
    if "sha" not in item:
        raise unprocessable("Must supply either tree.sha or tree.content. Request will be rejected if both are present.")
    if item["sha"] is None:
        return path, None

    sha = item["sha"]
    if kind != "commit" and repository.git.object_type(sha) != kind:
        raise unprocessable(f"tree.sha {sha} is not a valid {kind}")
    return path, TreeEntry(mode, kind, sha, path)


# -- commits ------------------------------------------------------------------


@route("GET", "/repos/{owner}/{repo}/git/commits/{sha}", "git/commits#get-a-commit-object")
def get_git_commit(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    sha = request.params["sha"]
    if repository.git.object_type(sha) != "commit":
        raise not_found()
    return ApiResponse(200, git_commit_json(state, repository, repository.git.read_commit(sha)))


@route("POST", "/repos/{owner}/{repo}/git/commits", "git/commits#create-a-commit")
def create_git_commit(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Write a commit; a missing ``author`` is the caller, a missing ``committer`` is the author."""
    repository = load_repository(state, request)
    user = require_push(state, request, repository)
    body = json_object(request)

    message = required_string(body, "message")
    tree = required_string(body, "tree")
    parents = body.get("parents") or []
    if not isinstance(parents, list):
        raise ApiError(422, "Invalid request.\n\nFor 'parents', the value must be an array of shas.")
    # NOTE: these two messages are recalled from GitHub responses, not checked against recordings.
    if repository.git.object_type(tree) != "tree":
        raise unprocessable("Tree SHA does not exist")
    for parent in parents:
        if not isinstance(parent, str) or repository.git.object_type(parent) != "commit":
            raise unprocessable("Parent SHA does not exist or is not a commit object")

    author = identity_from_body(body.get("author"), "author", user_identity(user))
    committer = identity_from_body(body.get("committer"), "committer", author)
    sha = repository.git.create_commit(tree, parents, message, author, committer)

    url = api_url(state, repository, f"/git/commits/{sha}")
    return created(git_commit_json(state, repository, repository.git.read_commit(sha)), url)


# -- references ---------------------------------------------------------------


def _full_ref(short: str) -> str:
    return f"refs/{short}"


def _ref_body(state: EmulatorState, repository: Repository, refname: str, sha: str) -> dict[str, Any]:
    return ref_json(state, repository, refname, sha, repository.git.object_type(sha) or "commit")


@route("GET", "/repos/{owner}/{repo}/git/ref/{ref+}", "git/refs#get-a-reference")
def get_ref(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    refname = _full_ref(request.params["ref"])
    sha = repository.git.ref_target(refname)
    if sha is None:
        raise not_found()
    return ApiResponse(200, _ref_body(state, repository, refname, sha))


@route("GET", "/repos/{owner}/{repo}/git/refs", "git/refs#list-matching-references")
def list_refs(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    refs = [ref_json(state, repository, name, sha, kind) for name, sha, kind in repository.git.list_refs("refs/")]
    return paginate(state, request, refs)


@route("GET", "/repos/{owner}/{repo}/git/refs/{ref+}", "git/refs#get-a-reference")
def get_refs_legacy(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Return the ref when the name matches exactly, else the list of refs below it (GitHub's older form)."""
    repository = load_repository(state, request)
    refname = _full_ref(request.params["ref"])
    sha = repository.git.ref_target(refname)
    if sha is not None:
        return ApiResponse(200, _ref_body(state, repository, refname, sha))

    matches = repository.git.list_refs(refname.rstrip("/") + "/")
    if not matches:
        raise not_found()
    return ApiResponse(200, [ref_json(state, repository, name, target, kind) for name, target, kind in matches])


@route("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref*}", "git/refs#list-matching-references")
def list_matching_refs(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """List refs whose name starts with ``refs/`` plus the given prefix; an empty list when none does."""
    repository = load_repository(state, request)
    matches = repository.git.list_refs(_full_ref(request.params["ref"]))
    return paginate(state, request, [ref_json(state, repository, name, sha, kind) for name, sha, kind in matches])


@route("POST", "/repos/{owner}/{repo}/git/refs", "git/refs#create-a-reference")
def create_ref(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    require_push(state, request, repository)
    body = json_object(request)

    refname = required_string(body, "ref")
    sha = required_string(body, "sha")
    if not refname.startswith("refs/") or refname.count("/") < 2:
        raise unprocessable("Reference name must contain at least three slash-separated components.")
    if not is_valid_ref_name(refname):
        raise unprocessable(f"{refname} is not a valid ref name.")
    if repository.git.object_type(sha) is None:
        raise unprocessable("Object does not exist")
    if repository.git.ref_target(refname) is not None:
        raise unprocessable("Reference already exists")

    try:
        repository.git.set_ref(refname, sha, ZERO_SHA)
    except GitError:
        # git rejects names that clash with existing ones (refs/heads/a next to refs/heads/a/b),
        # and GitHub reports that case with this generic message.
        raise unprocessable("Reference update failed")

    ref_body = _ref_body(state, repository, refname, sha)
    return created(ref_body, ref_body["url"])


@route("PATCH", "/repos/{owner}/{repo}/git/refs/{ref+}", "git/refs#update-a-reference")
@route("PATCH", "/repos/{owner}/{repo}/git/ref/{ref+}", "git/refs#update-a-reference")
def update_ref(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    """Move a ref to ``sha``; without ``force`` only a fast-forward is allowed."""
    repository = load_repository(state, request)
    require_push(state, request, repository)
    body = json_object(request)

    refname = _full_ref(request.params["ref"])
    sha = required_string(body, "sha")
    current = repository.git.ref_target(refname)
    if current is None:
        raise unprocessable("Reference does not exist")
    if repository.git.object_type(sha) is None:
        raise unprocessable("Object does not exist")
    if not body.get("force") and not _is_fast_forward(repository, current, sha):
        raise unprocessable("Update is not a fast forward")

    try:
        repository.git.set_ref(refname, sha, current)
    except GitError:
        raise unprocessable("Reference update failed")
    return ApiResponse(200, _ref_body(state, repository, refname, sha))


def _is_fast_forward(repository: Repository, current: str, new: str) -> bool:
    if repository.git.object_type(current) != "commit" or repository.git.object_type(new) != "commit":
        return current == new
    return repository.git.is_ancestor(current, new)


@route("DELETE", "/repos/{owner}/{repo}/git/refs/{ref+}", "git/refs#delete-a-reference")
@route("DELETE", "/repos/{owner}/{repo}/git/ref/{ref+}", "git/refs#delete-a-reference")
def delete_ref(state: EmulatorState, request: ApiRequest) -> ApiResponse:
    repository = load_repository(state, request)
    require_push(state, request, repository)

    refname = _full_ref(request.params["ref"])
    current = repository.git.ref_target(refname)
    if current is None:
        raise unprocessable("Reference does not exist")
    repository.git.delete_ref(refname, current)
    return ApiResponse(204)
