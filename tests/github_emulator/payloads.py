"""JSON bodies shaped like GitHub's REST API v3 responses.

Key sets and key order follow the responses recorded in PyGithub 2.10's
``tests/ReplayData``. Every URL points back at the emulator (BASE_URL), so a
client that follows ``url`` fields stays on 127.0.0.1. ``clone_url``,
``git_url`` and ``ssh_url`` are ``file://`` URIs of the bare repository, so
``git clone`` and ``git push`` work without a network.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .gitrepo import CommitInfo, FileChange, Identity, TreeEntry
from .model import EmulatorState, PullRequest, Repository, User

# GitHub wraps base64 content at 60 characters per line, each line ending in "\n"
# (seen in the GitBlob and Contents recordings of PyGithub's ReplayData).
BASE64_LINE_LENGTH = 60

_USER_URL_SUFFIXES = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}

_REPOSITORY_URL_SUFFIXES = {
    "forks_url": "/forks",
    "keys_url": "/keys{/key_id}",
    "collaborators_url": "/collaborators{/collaborator}",
    "teams_url": "/teams",
    "hooks_url": "/hooks",
    "issue_events_url": "/issues/events{/number}",
    "events_url": "/events",
    "assignees_url": "/assignees{/user}",
    "branches_url": "/branches{/branch}",
    "tags_url": "/tags",
    "blobs_url": "/git/blobs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "trees_url": "/git/trees{/sha}",
    "statuses_url": "/statuses/{sha}",
    "languages_url": "/languages",
    "stargazers_url": "/stargazers",
    "contributors_url": "/contributors",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "commits_url": "/commits{/sha}",
    "git_commits_url": "/git/commits{/sha}",
    "comments_url": "/comments{/number}",
    "issue_comment_url": "/issues/comments{/number}",
    "contents_url": "/contents/{+path}",
    "compare_url": "/compare/{base}...{head}",
    "merges_url": "/merges",
    "archive_url": "/{archive_format}{/ref}",
    "downloads_url": "/downloads",
    "issues_url": "/issues{/number}",
    "pulls_url": "/pulls{/number}",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "labels_url": "/labels{/name}",
    "releases_url": "/releases{/id}",
    "deployments_url": "/deployments",
}


def iso_time(moment: datetime) -> str:
    """Format MOMENT in UTC as GitHub does: ``2024-12-18T10:40:19Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, name: str, identifier: object) -> str:
    """Build a legacy GraphQL node id such as base64("04:User1")."""
    return base64.b64encode(f"{kind}:{name}{identifier}".encode()).decode()


def wrapped_base64(data: bytes) -> str:
    """Encode DATA as base64 in 60-character lines, each ending with a newline."""
    encoded = base64.b64encode(data).decode()
    lines = [encoded[i:i + BASE64_LINE_LENGTH] for i in range(0, len(encoded), BASE64_LINE_LENGTH)]
    return "".join(line + "\n" for line in lines)


def api_url(state: EmulatorState, repository: Repository, suffix: str = "") -> str:
    """Return the API URL of REPOSITORY followed by SUFFIX."""
    return f"{state.base_url}/repos/{repository.full_name}{suffix}"


def html_url(state: EmulatorState, repository: Repository, suffix: str = "") -> str:
    """Return the web page URL of REPOSITORY; the emulator does not serve web pages."""
    return f"{state.base_url}/{repository.full_name}{suffix}"


# -- users ------------------------------------------------------------------


def user_json(state: EmulatorState, user: User) -> dict[str, Any]:
    """The short user object embedded in repositories, commits and pull requests."""
    url = f"{state.base_url}/users/{user.login}"
    body: dict[str, Any] = {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("04", "User", user.id),
        "avatar_url": f"{state.base_url}/avatars/u/{user.id}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{state.base_url}/{user.login}",
    }
    body.update({key: url + suffix for key, suffix in _USER_URL_SUFFIXES.items()})
    body.update({"type": "User", "user_view_type": "public", "site_admin": False})
    return body


def user_detail_json(state: EmulatorState, user: User, *, authenticated: bool) -> dict[str, Any]:
    """The full user object of ``GET /users/{login}``; AUTHENTICATED adds the ``GET /user`` fields."""
    owned = state.repositories_owned_by(user)
    body = user_json(state, user)
    body.update({
        "name": user.name, "company": None, "blog": "", "location": None,
        "email": user.email, "hireable": None, "bio": None, "twitter_username": None,
        **({"notification_email": user.email} if authenticated else {}),
        "public_repos": sum(1 for repo in owned if not repo.private),
        "public_gists": 0, "followers": 0, "following": 0,
        "created_at": iso_time(user.created_at), "updated_at": iso_time(user.created_at),
    })
    if authenticated:
        private_count = sum(1 for repo in owned if repo.private)
        body.update({
            "private_gists": 0, "total_private_repos": private_count,
            "owned_private_repos": private_count, "disk_usage": 0, "collaborators": 0,
            "two_factor_authentication": False,
            "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000},
        })
    return body


# -- repositories -----------------------------------------------------------


def repository_json(state: EmulatorState, repository: Repository, viewer: User | None = None,
                    *, detail: bool = False) -> dict[str, Any]:
    """The repository object.

    VIEWER adds ``permissions`` (GitHub leaves it out for anonymous callers).
    DETAIL adds ``parent``, ``source`` and the counts that only
    ``GET /repos/{owner}/{repo}`` and the fork response carry.
    """
    url = api_url(state, repository)
    page = html_url(state, repository)
    clone = repository.git.path.resolve().as_uri()
    created = iso_time(repository.created_at)
    body: dict[str, Any] = {
        "id": repository.id,
        "node_id": node_id("010", "Repository", repository.id),
        "name": repository.name,
        "full_name": repository.full_name,
        "private": repository.private,
        "owner": user_json(state, repository.owner),
        "html_url": page,
        "description": repository.description or None,
        "fork": repository.parent is not None,
        "url": url,
    }
    body.update({key: url + suffix for key, suffix in _REPOSITORY_URL_SUFFIXES.items()})
    forks = sum(1 for other in state.all_repositories() if other.parent is repository)
    open_pulls = sum(1 for pull in state.pulls_of(repository) if pull.state == "open")
    body.update({
        "created_at": created, "updated_at": created, "pushed_at": created,
        "git_url": clone, "ssh_url": clone, "clone_url": clone, "svn_url": page,
        "homepage": None, "size": 0, "stargazers_count": 0, "watchers_count": 0,
        "language": None, "has_issues": True, "has_projects": True, "has_downloads": True,
        "has_wiki": True, "has_pages": False, "has_discussions": False,
        "forks_count": forks, "mirror_url": None, "archived": False, "disabled": False,
        "open_issues_count": open_pulls, "license": None, "allow_forking": True,
        "is_template": False, "web_commit_signoff_required": False, "topics": [],
        "visibility": "private" if repository.private else "public",
        "forks": forks, "open_issues": open_pulls, "watchers": 0,
        "default_branch": repository.default_branch,
    })
    if viewer is not None:
        body["permissions"] = permissions_json(state.access_level(repository, viewer))
    if detail and viewer is not None:
        body.update({
            "temp_clone_token": "", "allow_squash_merge": True, "allow_merge_commit": True,
            "allow_rebase_merge": True, "allow_auto_merge": False, "delete_branch_on_merge": False,
            "allow_update_branch": False, "use_squash_pr_title_as_default": False,
            "squash_merge_commit_message": "COMMIT_MESSAGES", "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "merge_commit_message": "PR_TITLE", "merge_commit_title": "MERGE_MESSAGE",
            "custom_properties": {},
        })
    if detail:
        if repository.parent is not None:
            body["parent"] = repository_json(state, repository.parent, viewer)
            body["source"] = repository_json(state, repository.source, viewer)
        body["network_count"] = forks
        body["subscribers_count"] = 0
    return body


def permissions_json(level: str | None) -> dict[str, bool]:
    """Map an access level to GitHub's permissions object (push collaborators also get triage)."""
    return {
        "admin": level == "admin",
        "maintain": level == "admin",
        "push": level in ("admin", "push"),
        "triage": level in ("admin", "push"),
        "pull": level is not None,
    }


# -- git objects --------------------------------------------------------------


def identity_json(identity: Identity) -> dict[str, str]:
    """A git author or committer: name, email and ISO date."""
    return {"name": identity.name, "email": identity.email, "date": iso_time(identity.date)}


_UNSIGNED = {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
             "verified_at": None}


def git_commit_json(state: EmulatorState, repository: Repository, commit: CommitInfo) -> dict[str, Any]:
    """The Git Data API commit object (``/git/commits/{sha}``)."""
    return {
        "sha": commit.sha,
        "node_id": node_id("06", "Commit", f"{repository.id}:{commit.sha}"),
        "url": api_url(state, repository, f"/git/commits/{commit.sha}"),
        "html_url": html_url(state, repository, f"/commit/{commit.sha}"),
        "author": identity_json(commit.author),
        "committer": identity_json(commit.committer),
        "tree": {"sha": commit.tree, "url": api_url(state, repository, f"/git/trees/{commit.tree}")},
        "message": commit.message,
        "parents": [
            {"sha": parent,
             "url": api_url(state, repository, f"/git/commits/{parent}"),
             "html_url": html_url(state, repository, f"/commit/{parent}")}
            for parent in commit.parents
        ],
        "verification": dict(_UNSIGNED),
    }


def commit_json(state: EmulatorState, repository: Repository, commit: CommitInfo,
                files: list[FileChange] | None = None) -> dict[str, Any]:
    """The repository commit object (``/commits/{sha}``, a branch's ``commit``).

    FILES adds ``stats`` and ``files`` as ``GET /commits/{sha}`` does.
    """
    author = state.user_for_email(commit.author.email)
    committer = state.user_for_email(commit.committer.email)
    git_commit = git_commit_json(state, repository, commit)
    body: dict[str, Any] = {
        "sha": commit.sha,
        "node_id": git_commit["node_id"],
        "commit": {
            "author": git_commit["author"],
            "committer": git_commit["committer"],
            "message": commit.message,
            "tree": git_commit["tree"],
            "url": git_commit["url"],
            "comment_count": 0,
            "verification": git_commit["verification"],
        },
        "url": api_url(state, repository, f"/commits/{commit.sha}"),
        "html_url": git_commit["html_url"],
        "comments_url": api_url(state, repository, f"/commits/{commit.sha}/comments"),
        "author": user_json(state, author) if author else None,
        "committer": user_json(state, committer) if committer else None,
        "parents": [
            {"sha": parent,
             "url": api_url(state, repository, f"/commits/{parent}"),
             "html_url": html_url(state, repository, f"/commit/{parent}")}
            for parent in commit.parents
        ],
    }
    if files is not None:
        additions = sum(change.additions for change in files)
        deletions = sum(change.deletions for change in files)
        body["stats"] = {"total": additions + deletions, "additions": additions, "deletions": deletions}
        body["files"] = [file_change_json(state, repository, commit.sha, change) for change in files]
    return body


def file_change_json(state: EmulatorState, repository: Repository, head_sha: str,
                     change: FileChange) -> dict[str, Any]:
    """One entry of a commit's or a pull request's ``files`` list."""
    quoted = quote(change.path, safe="")
    removed = change.status == "removed"
    body: dict[str, Any] = {
        "sha": change.old_sha if removed else change.new_sha,
        "filename": change.path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": html_url(state, repository, f"/blob/{head_sha}/{quoted}"),
        "raw_url": html_url(state, repository, f"/raw/{head_sha}/{quoted}"),
        "contents_url": api_url(state, repository, f"/contents/{quoted}?ref={head_sha}"),
    }
    if change.patch is not None:
        body["patch"] = change.patch
    if change.previous_path is not None:
        body["previous_filename"] = change.previous_path
    return body


def blob_json(state: EmulatorState, repository: Repository, sha: str, data: bytes) -> dict[str, Any]:
    """The blob object of ``GET /git/blobs/{sha}``, content in wrapped base64."""
    return {
        "sha": sha,
        "node_id": node_id("04", "Blob", f"{repository.id}:{sha}"),
        "size": len(data),
        "url": api_url(state, repository, f"/git/blobs/{sha}"),
        "content": wrapped_base64(data),
        "encoding": "base64",
    }


def tree_entry_json(state: EmulatorState, repository: Repository, entry: TreeEntry) -> dict[str, Any]:
    """One tree entry; ``size`` only for blobs, ``url`` omitted for submodules as GitHub does."""
    body: dict[str, Any] = {"path": entry.path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
    if entry.type == "blob":
        body["size"] = entry.size
        body["url"] = api_url(state, repository, f"/git/blobs/{entry.sha}")
    elif entry.type == "tree":
        body["url"] = api_url(state, repository, f"/git/trees/{entry.sha}")
    return body


def tree_json(state: EmulatorState, repository: Repository, sha: str,
              entries: list[TreeEntry], truncated: bool = False) -> dict[str, Any]:
    """The tree object of ``/git/trees``; TRUNCATED is true only under ``limit_tree_entries``."""
    return {
        "sha": sha,
        "url": api_url(state, repository, f"/git/trees/{sha}"),
        "tree": [tree_entry_json(state, repository, entry) for entry in entries],
        "truncated": truncated,
    }


def ref_json(state: EmulatorState, repository: Repository, refname: str, sha: str,
             object_type: str) -> dict[str, Any]:
    """The reference object; its ``url`` uses the plural ``/git/refs/`` as GitHub does today."""
    short = refname.removeprefix("refs/")
    return {
        "ref": refname,
        "node_id": node_id("03", "Ref", f"{repository.id}:{refname}"),
        "url": api_url(state, repository, f"/git/refs/{short}"),
        "object": {
            "sha": sha,
            "type": object_type,
            "url": api_url(state, repository, f"/git/{object_type}s/{sha}"),
        },
    }


# -- branches and contents ----------------------------------------------------


def branch_json(state: EmulatorState, repository: Repository, name: str, commit: CommitInfo) -> dict[str, Any]:
    """The branch object of ``GET /branches/{branch}``; no branch is protected."""
    return {
        "name": name,
        "commit": commit_json(state, repository, commit),
        "_links": {
            "self": api_url(state, repository, f"/branches/{name}"),
            "html": html_url(state, repository, f"/tree/{name}"),
        },
        "protected": False,
        "protection": {"enabled": False, "required_status_checks": {
            "enforcement_level": "off", "contexts": [], "checks": []}},
        "protection_url": api_url(state, repository, f"/branches/{name}/protection"),
    }


def branch_summary_json(state: EmulatorState, repository: Repository, name: str, sha: str) -> dict[str, Any]:
    """One entry of ``GET /branches``."""
    return {
        "name": name,
        "commit": {"sha": sha, "url": api_url(state, repository, f"/commits/{sha}")},
        "protected": False,
    }


_CONTENT_TYPES = {"blob": "file", "tree": "dir", "commit": "submodule"}


def content_json(state: EmulatorState, repository: Repository, ref: str, entry: TreeEntry,
                 data: bytes | None = None) -> dict[str, Any]:
    """The Contents API object for ENTRY, whose path is relative to the repository root.

    DATA adds ``content`` and ``encoding``: base64 up to the inline limit,
    and above it an empty ``content`` with ``encoding: "none"``, as GitHub
    does for files above 1 MB.
    """
    quoted = quote(entry.path)
    kind = "symlink" if entry.mode == "120000" else _CONTENT_TYPES.get(entry.type, "file")
    self_url = api_url(state, repository, f"/contents/{quoted}?ref={quote(ref, safe='')}")
    git_url = api_url(state, repository, f"/git/{entry.type}s/{entry.sha}") if entry.type != "commit" else None
    page = html_url(state, repository, f"/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}")
    body: dict[str, Any] = {
        "name": entry.path.rsplit("/", 1)[-1],
        "path": entry.path,
        "sha": entry.sha,
        "size": entry.size or 0,
        "url": self_url,
        "html_url": page,
        "git_url": git_url,
        "download_url": html_url(state, repository, f"/raw/{ref}/{quoted}") if kind == "file" else None,
        "type": kind,
    }
    if data is not None:
        if len(data) > state.inline_content_limit:
            body["content"] = ""
            body["encoding"] = "none"
        else:
            body["content"] = wrapped_base64(data)
            body["encoding"] = "base64"
    body["_links"] = {"self": self_url, "git": git_url, "html": page}
    return body


# -- pull requests ------------------------------------------------------------


def pull_part_json(state: EmulatorState, repository: Repository, ref: str, sha: str) -> dict[str, Any]:
    """The ``head`` or ``base`` object of a pull request."""
    return {
        "label": f"{repository.owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(state, repository.owner),
        "repo": repository_json(state, repository),
    }


def pull_json(state: EmulatorState, pull: PullRequest, files: list[FileChange] | None = None,
              commit_count: int | None = None) -> dict[str, Any]:
    """The pull request object.

    FILES and COMMIT_COUNT add the fields that only single pull request
    responses carry (``commits``, ``additions``, ``changed_files`` and so on).
    """
    repository = pull.base_repo
    url = api_url(state, repository, f"/pulls/{pull.number}")
    page = html_url(state, repository, f"/pull/{pull.number}")
    issue_url = api_url(state, repository, f"/issues/{pull.number}")
    statuses_url = api_url(state, repository, f"/statuses/{pull.head_sha}")
    body: dict[str, Any] = {
        "url": url,
        "id": pull.id,
        "node_id": node_id("011", "PullRequest", pull.id),
        "html_url": page,
        "diff_url": f"{page}.diff",
        "patch_url": f"{page}.patch",
        "issue_url": issue_url,
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user_json(state, pull.user),
        "body": pull.body,
        "created_at": iso_time(pull.created_at),
        "updated_at": iso_time(pull.updated_at),
        "closed_at": iso_time(pull.closed_at) if pull.closed_at else None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": [],
        "milestone": None,
        "draft": pull.draft,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": api_url(state, repository, "/pulls/comments{/number}"),
        "comments_url": f"{issue_url}/comments",
        "statuses_url": statuses_url,
        "head": pull_part_json(state, pull.head_repo, pull.head_ref, pull.head_sha),
        "base": pull_part_json(state, pull.base_repo, pull.base_ref, pull.base_sha),
        "_links": {
            "self": {"href": url},
            "html": {"href": page},
            "issue": {"href": issue_url},
            "comments": {"href": f"{issue_url}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": api_url(state, repository, "/pulls/comments{/number}")},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": statuses_url},
        },
        "author_association": "OWNER" if pull.user is repository.owner else "CONTRIBUTOR",
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if files is not None:
        # NOTE: mergeability is not computed. GitHub also returns null and "unknown"
        # until its background job has run.
        body.update({
            "merged": False, "mergeable": None, "rebaseable": None, "mergeable_state": "unknown",
            "merged_by": None, "comments": 0, "review_comments": 0,
            "maintainer_can_modify": pull.maintainer_can_modify,
            "commits": commit_count or 0,
            "additions": sum(change.additions for change in files),
            "deletions": sum(change.deletions for change in files),
            "changed_files": len(files),
        })
    return body


def rate_limit_json(limit: int, remaining: int, used: int, reset: int) -> dict[str, Any]:
    """The body of ``GET /rate_limit``; only the core resource is tracked, the rest report full quotas."""
    core = {"limit": limit, "used": used, "remaining": remaining, "reset": reset}
    resources = {
        "core": core,
        "search": {"limit": 30, "used": 0, "remaining": 30, "reset": reset},
        "graphql": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
        "integration_manifest": {"limit": 5000, "used": 0, "remaining": 5000, "reset": reset},
        "code_scanning_upload": {"limit": 1000, "used": 0, "remaining": 1000, "reset": reset},
    }
    return {"resources": resources, "rate": dict(core)}
