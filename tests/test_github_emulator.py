"""Drive the GitHub emulator through PyGithub, as the application will.

Raw HTTP requests appear only where a header or a raw error body is the
thing under test.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import time
from pathlib import Path

import pytest
import requests
from github import (
    Auth, BadCredentialsException, Github, GithubException, InputGitTreeElement,
    RateLimitExceededException, UnknownObjectException,
)

from tests.github_emulator import EDITOR_TOKEN, Call, GitHubEmulator

# The root conftest.py registers this plugin too; pytest loads a plugin module only once.
pytest_plugins = ["tests.github_emulator.plugin"]

OWNER = "owner"
NAME = "data"
TABLE = b"id,name\n1,alpha\n2,beta\n"


def connect(emulator: GitHubEmulator, token: str | None = EDITOR_TOKEN, timeout: int = 15) -> Github:
    """Return a PyGithub client for EMULATOR with throttling and retries off."""
    return Github(auth=Auth.Token(token) if token else None, base_url=emulator.base_url, timeout=timeout,
                  seconds_between_requests=0, seconds_between_writes=0, retry=None)


def git(bare: Path, *args: str) -> str:
    """Run git on the bare repository BARE and return its stripped output."""
    completed = subprocess.run(["git", "--git-dir", str(bare), *args], capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def blob_sha(data: bytes) -> str:
    """Return the git blob sha of DATA, computed by git itself."""
    completed = subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True)
    return completed.stdout.decode().strip()


@pytest.fixture
def upstream(github_emulator: GitHubEmulator) -> str:
    """Create owner/data, where editor may push, and return its initial commit sha."""
    return github_emulator.create_repo(OWNER, NAME, {"data.csv": TABLE, "docs/readme.md": b"# Data\n"},
                                       collaborators={"editor": "push"})


@pytest.fixture
def repo(github_emulator: GitHubEmulator, upstream: str):
    """The PyGithub Repository of owner/data, seen by editor."""
    return connect(github_emulator).get_repo(f"{OWNER}/{NAME}")


# -- users and repositories ---------------------------------------------------


def test_user_is_token_owner(github_emulator):
    user = connect(github_emulator).get_user()

    assert user.login == "editor"
    assert user.email == "editor@example.com"


def test_repository_json_for_collaborator(github_emulator, repo):
    assert repo.full_name == "owner/data"
    assert repo.default_branch == "main"
    assert repo.fork is False
    assert repo.owner.login == OWNER
    assert repo.permissions.push is True
    assert repo.permissions.pull is True
    assert repo.permissions.admin is False
    assert repo.html_url == f"{github_emulator.base_url}/owner/data"


def test_clone_url_is_cloneable(tmp_path, github_emulator, repo):
    work = tmp_path / "work"

    subprocess.run(["git", "clone", "--quiet", repo.clone_url, str(work)], check=True)

    assert (work / "data.csv").read_bytes() == TABLE
    assert Path(repo.clone_url.removeprefix("file://")) == github_emulator.bare_path(OWNER, NAME).resolve()


def test_branches_list_and_get(github_emulator, repo, upstream):
    github_emulator.commit_files(OWNER, NAME, "feature/x", {"data.csv": TABLE + b"3,gamma\n"}, "Add gamma")

    names = [branch.name for branch in repo.get_branches()]
    branch = repo.get_branch("feature/x")

    assert names == ["feature/x", "main"]
    assert branch.commit.sha == github_emulator.branches(OWNER, NAME)["feature/x"]
    assert branch.commit.parents[0].sha == upstream
    with pytest.raises(UnknownObjectException):
        repo.get_branch("missing")


def test_private_repository_is_hidden(github_emulator):
    github_emulator.create_repo(OWNER, "secret", {"a.csv": b"a\n"}, private=True)
    github_emulator.add_user("stranger", "ghp_stranger")

    with pytest.raises(UnknownObjectException):
        connect(github_emulator, token=None).get_repo("owner/secret")
    with pytest.raises(UnknownObjectException):
        connect(github_emulator, token="ghp_stranger").get_repo("owner/secret")


# -- Git Data API -------------------------------------------------------------


def test_git_data_flow_writes_real_objects(github_emulator, repo, upstream):
    bare = github_emulator.bare_path(OWNER, NAME)
    new_table = TABLE + b"3,gamma\n"

    ref = repo.create_git_ref("refs/heads/edit", upstream)
    blob = repo.create_git_blob(base64.b64encode(new_table).decode(), "base64")
    text_blob = repo.create_git_blob("note\n", "utf-8")
    base_tree = repo.get_git_tree(repo.get_git_commit(upstream).tree.sha)
    tree = repo.create_git_tree([
        InputGitTreeElement("data.csv", "100644", "blob", sha=blob.sha),
        InputGitTreeElement("notes/note.txt", "100644", "blob", sha=text_blob.sha),
        InputGitTreeElement("docs/readme.md", "100644", "blob", sha=None),
        InputGitTreeElement("inline.txt", "100644", "blob", content="inline\n"),
    ], base_tree)
    commit = repo.create_git_commit("Edit the table", tree, [repo.get_git_commit(upstream)])
    ref.edit(commit.sha)

    assert blob.sha == blob_sha(new_table)
    assert git(bare, "cat-file", "-t", blob.sha) == "blob"
    assert git(bare, "cat-file", "-t", tree.sha) == "tree"
    assert git(bare, "cat-file", "-t", commit.sha) == "commit"
    assert git(bare, "rev-parse", "refs/heads/edit") == commit.sha
    assert git(bare, "rev-parse", "refs/heads/edit^") == upstream
    assert git(bare, "ls-tree", "-r", "--name-only", commit.sha).split() == [
        "data.csv", "inline.txt", "notes/note.txt"]
    assert github_emulator.read_file(OWNER, NAME, "edit", "data.csv") == new_table
    assert commit.author.name == "Editor"
    assert commit.author.email == "editor@example.com"


def test_git_blob_read_back(repo):
    blob = repo.create_git_blob("é\n", "utf-8")

    fetched = repo.get_git_blob(blob.sha)

    assert fetched.encoding == "base64"
    assert base64.b64decode(fetched.content) == "é\n".encode()
    assert fetched.size == len("é\n".encode())


def test_git_tree_recursive(repo, upstream):
    tree = repo.get_git_tree(upstream, recursive=True)

    paths = {(element.path, element.type) for element in tree.tree}

    assert paths == {("data.csv", "blob"), ("docs", "tree"), ("docs/readme.md", "blob")}


def test_create_ref_that_exists_is_422(repo, upstream):
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/heads/main", upstream)

    assert caught.value.status == 422
    assert caught.value.data["message"] == "Reference already exists"


@pytest.mark.parametrize(("refname", "message"), [
    ("refs/heads/bad..name", "refs/heads/bad..name is not a valid ref name."),
    ("refs/heads/trailing.lock", "refs/heads/trailing.lock is not a valid ref name."),
    ("heads/feature", "Reference name must contain at least three slash-separated components."),
])
def test_create_ref_invalid_name_is_422(repo, upstream, refname, message):
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref(refname, upstream)

    assert caught.value.status == 422
    assert caught.value.data["message"] == message


def test_create_ref_name_clash_is_422(repo, upstream):
    repo.create_git_ref("refs/heads/topic/one", upstream)

    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/heads/topic", upstream)

    assert caught.value.status == 422
    assert caught.value.data["message"] == "Reference update failed"


def test_update_ref_needs_fast_forward(github_emulator, repo, upstream):
    moved = github_emulator.commit_files(OWNER, NAME, "main", {"data.csv": b"id\n"}, "Rewrite")
    ref = repo.get_git_ref("heads/main")

    with pytest.raises(GithubException) as caught:
        ref.edit(upstream)
    ref.edit(upstream, force=True)

    assert caught.value.status == 422
    assert caught.value.data["message"] == "Update is not a fast forward"
    assert moved != upstream
    assert github_emulator.branches(OWNER, NAME)["main"] == upstream


def test_delete_ref(github_emulator, repo, upstream):
    ref = repo.create_git_ref("refs/heads/short-lived", upstream)

    ref.delete()

    assert "short-lived" not in github_emulator.branches(OWNER, NAME)
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("heads/short-lived").object


def test_matching_refs(repo, upstream):
    repo.create_git_ref("refs/heads/datami/one", upstream)
    repo.create_git_ref("refs/heads/datami/two", upstream)

    names = [ref.ref for ref in repo.get_git_matching_refs("heads/datami/")]

    assert names == ["refs/heads/datami/one", "refs/heads/datami/two"]
    assert list(repo.get_git_matching_refs("heads/nothing")) == []


# -- Contents API -------------------------------------------------------------


def test_contents_file_and_directory(github_emulator, repo):
    file = repo.get_contents("data.csv")
    listing = repo.get_contents("")

    assert file.decoded_content == TABLE
    assert file.sha == blob_sha(TABLE)
    assert file.size == len(TABLE)
    assert file.encoding == "base64"
    assert [(entry.path, entry.type) for entry in listing] == [("data.csv", "file"), ("docs", "dir")]


def test_contents_base64_lines_match_github(github_emulator, upstream):
    data = bytes(range(256))
    github_emulator.commit_files(OWNER, NAME, "main", {"bytes.bin": data}, "Add bytes")

    response = requests.get(f"{github_emulator.base_url}/repos/owner/data/contents/bytes.bin",
                            headers={"Authorization": f"token {EDITOR_TOKEN}"}, timeout=5)
    lines = response.json()["content"].split("\n")

    assert lines[-1] == ""
    assert {len(line) for line in lines[:-2]} == {60}
    assert base64.b64decode("".join(lines)) == data


def test_contents_above_1_mb_has_encoding_none(github_emulator, repo):
    data = b"x" * (1024 * 1024 + 1)
    github_emulator.commit_files(OWNER, NAME, "main", {"big.csv": data}, "Add a big file")

    file = repo.get_contents("big.csv")

    assert file.encoding == "none"
    assert file.content == ""
    assert file.size == len(data)
    assert base64.b64decode(repo.get_git_blob(file.sha).content) == data


def test_contents_create_update_delete(github_emulator, repo):
    created = repo.create_file("new.csv", "Add new.csv", b"a\n", branch="main")
    updated = repo.update_file("new.csv", "Edit new.csv", b"b\n", created["content"].sha, branch="main")
    deleted = repo.delete_file("new.csv", "Remove new.csv", updated["content"].sha, branch="main")

    assert created["content"].sha == blob_sha(b"a\n")
    assert updated["content"].sha == blob_sha(b"b\n")
    assert updated["commit"].parents[0].sha == created["commit"].sha
    assert github_emulator.branches(OWNER, NAME)["main"] == deleted["commit"].sha
    with pytest.raises(FileNotFoundError):
        github_emulator.read_file(OWNER, NAME, "main", "new.csv")


def test_contents_put_with_stale_sha_is_409(github_emulator, repo):
    stale = repo.get_contents("data.csv").sha
    github_emulator.commit_files(OWNER, NAME, "main", {"data.csv": TABLE + b"3,gamma\n"}, "Someone else edits")

    with pytest.raises(GithubException) as caught:
        repo.update_file("data.csv", "Edit", b"id\n", stale, branch="main")

    assert caught.value.status == 409
    assert caught.value.data["message"] == f"data.csv does not match {stale}"


def test_contents_put_without_sha_is_422(repo):
    with pytest.raises(GithubException) as caught:
        repo.create_file("data.csv", "Overwrite", b"id\n", branch="main")

    assert caught.value.status == 422
    assert caught.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'


def test_contents_put_too_large_is_422(tmp_path):
    with GitHubEmulator(tmp_path / "small", max_file_size=10) as emulator:
        emulator.add_user("editor", EDITOR_TOKEN)
        emulator.create_repo("editor", "data", {"a.csv": b"a\n"})
        repo = connect(emulator).get_repo("editor/data")

        with pytest.raises(GithubException) as caught:
            repo.create_file("big.csv", "Add", b"x" * 11)

    assert caught.value.status == 422


def test_contents_missing_branch_is_404(repo):
    with pytest.raises(GithubException) as caught:
        repo.create_file("a.csv", "Add", b"a\n", branch="missing")

    assert caught.value.status == 404


# -- pull requests --------------------------------------------------------------


def make_branch(github_emulator: GitHubEmulator, branch: str = "edit") -> str:
    """Commit a change to data.csv on BRANCH and return the commit sha."""
    return github_emulator.commit_files(OWNER, NAME, branch, {"data.csv": TABLE + b"3,gamma\n"}, "Add gamma")


def test_open_pull_request(github_emulator, repo, upstream):
    head = make_branch(github_emulator)

    pull = repo.create_pull(title="Add gamma", body="One row", head="edit", base="main")

    assert pull.number == 1
    assert pull.html_url == f"{github_emulator.base_url}/owner/data/pull/1"
    assert pull.head.sha == head
    assert pull.head.ref == "edit"
    assert pull.base.sha == upstream
    assert pull.user.login == "editor"
    assert pull.commits == 1
    assert pull.additions == 1
    assert github_emulator.pulls(OWNER, NAME)[0]["head"] == {
        "label": "owner:edit", "ref": "edit", "sha": head, "repo": "owner/data"}


def test_pull_files_have_unified_diff(github_emulator, repo):
    make_branch(github_emulator)
    pull = repo.create_pull(title="Add gamma", body="", head="owner:edit", base="main")

    files = list(pull.get_files())

    assert [(file.filename, file.status, file.additions, file.deletions) for file in files] == [
        ("data.csv", "modified", 1, 0)]
    assert files[0].patch == "@@ -1,3 +1,4 @@\n id,name\n 1,alpha\n 2,beta\n+3,gamma"


def test_pull_list_filters(github_emulator, repo):
    make_branch(github_emulator, "one")
    make_branch(github_emulator, "two")
    repo.create_pull(title="One", body="", head="one", base="main")
    repo.create_pull(title="Two", body="", head="two", base="main")

    by_head = [pull.title for pull in repo.get_pulls(head="owner:two", base="main")]
    all_open = [pull.title for pull in repo.get_pulls(state="open")]

    assert by_head == ["Two"]
    assert all_open == ["Two", "One"]


def test_pull_that_exists_is_422(github_emulator, repo):
    make_branch(github_emulator)
    repo.create_pull(title="First", body="", head="edit", base="main")

    with pytest.raises(GithubException) as caught:
        repo.create_pull(title="Second", body="", head="edit", base="main")

    assert caught.value.status == 422
    assert caught.value.data["errors"] == [{
        "resource": "PullRequest", "code": "custom",
        "message": "A pull request already exists for owner:edit."}]


def test_pull_without_commits_is_422(repo, upstream):
    repo.create_git_ref("refs/heads/empty", upstream)

    with pytest.raises(GithubException) as caught:
        repo.create_pull(title="Nothing", body="", head="empty", base="main")

    assert caught.value.status == 422
    assert caught.value.data["errors"][0]["message"] == "No commits between main and empty"


def test_pull_edit_and_close(github_emulator, repo):
    make_branch(github_emulator)
    pull = repo.create_pull(title="Draft title", body="", head="edit", base="main")

    pull.edit(title="Final title", body="Ready", state="closed")
    fetched = repo.get_pull(1)

    assert fetched.title == "Final title"
    assert fetched.body == "Ready"
    assert fetched.state == "closed"
    assert list(repo.get_pulls(state="open")) == []


def test_pull_head_follows_new_commits(github_emulator, repo):
    make_branch(github_emulator)
    repo.create_pull(title="Add gamma", body="", head="edit", base="main")

    newer = github_emulator.commit_files(OWNER, NAME, "edit", {"other.csv": b"o\n"}, "More")

    assert repo.get_pull(1).head.sha == newer
    assert git(github_emulator.bare_path(OWNER, NAME), "rev-parse", "refs/pull/1/head") == newer


# -- forks and access ---------------------------------------------------------


def test_fork_flow(github_emulator):
    github_emulator.create_repo("upstream", NAME, {"data.csv": TABLE})
    github = connect(github_emulator)
    source = github.get_repo("upstream/data")

    fork = source.create_fork()
    again = source.create_fork()
    fork.create_git_ref("refs/heads/edit", fork.get_branch("main").commit.sha)
    fork.update_file("data.csv", "Add gamma", TABLE + b"3,gamma\n", fork.get_contents("data.csv").sha, branch="edit")
    pull = source.create_pull(title="From fork", body="", head="editor:edit", base="main")

    assert fork.full_name == "editor/data"
    assert fork.fork is True
    assert fork.parent.full_name == "upstream/data"
    assert again.id == fork.id
    assert github_emulator.bare_path("editor", NAME).is_dir()
    assert pull.head.repo.full_name == "editor/data"
    assert pull.head.label == "editor:edit"
    assert git(github_emulator.bare_path("upstream", NAME), "rev-parse", "refs/pull/1/head") == pull.head.sha


def test_write_without_push_access(github_emulator):
    github_emulator.create_repo("upstream", NAME, {"data.csv": TABLE})
    github_emulator.add_user("finegrained", "github_pat_finegrained")
    sha = github_emulator.branches("upstream", NAME)["main"]

    with pytest.raises(UnknownObjectException):
        connect(github_emulator).get_repo("upstream/data").create_git_ref("refs/heads/x", sha)
    with pytest.raises(GithubException) as caught:
        connect(github_emulator, "github_pat_finegrained").get_repo("upstream/data").create_git_ref(
            "refs/heads/x", sha)

    assert caught.value.status == 403
    assert caught.value.data["message"] == "Resource not accessible by personal access token"


# -- authentication, rate limit and faults --------------------------------------


def test_bad_token_is_bad_credentials(github_emulator):
    with pytest.raises(BadCredentialsException) as caught:
        connect(github_emulator, token="ghp_unknown").get_user().login

    assert caught.value.status == 401
    assert caught.value.data == {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                                 "status": "401"}


def test_rate_limit_returns_403(github_emulator, repo):
    reset = int(time.time()) + 120
    github_emulator.rate_limit(remaining=0, reset=reset)

    with pytest.raises(RateLimitExceededException) as caught:
        repo.get_contents("data.csv")
    status = connect(github_emulator).get_rate_limit()

    assert caught.value.status == 403
    assert caught.value.headers["x-ratelimit-reset"] == str(reset)
    assert caught.value.headers["x-ratelimit-remaining"] == "0"
    assert caught.value.data["message"] == "API rate limit exceeded for user ID 1."
    assert status.resources.core.remaining == 0


def test_rate_limit_after_remaining_calls(github_emulator, repo):
    github_emulator.rate_limit(remaining=2)

    repo.get_branch("main")
    repo.get_branch("main")
    with pytest.raises(RateLimitExceededException):
        repo.get_branch("main")
    github_emulator.clear_rate_limit()

    assert repo.get_branch("main").name == "main"


def test_rate_limit_headers_on_responses(github_emulator, upstream):
    response = requests.get(f"{github_emulator.base_url}/repos/owner/data",
                            headers={"Authorization": f"Bearer {EDITOR_TOKEN}"}, timeout=5)

    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "5000"
    assert response.headers["X-RateLimit-Remaining"] == "4999"
    assert response.headers["X-RateLimit-Used"] == "1"
    assert response.headers["X-RateLimit-Resource"] == "core"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()


def test_fail_call_is_github_exception(github_emulator, repo):
    github_emulator.fail_call(1, status=503)

    with pytest.raises(GithubException) as caught:
        repo.get_branch("main")

    assert caught.value.status == 503
    assert caught.value.data["message"] == "Service Unavailable"
    assert repo.get_branch("main").name == "main"


def test_fail_call_counts_from_when_set(github_emulator, repo):
    github_emulator.fail_call(2, status=502, body="<html>Bad gateway</html>")

    repo.get_branch("main")
    with pytest.raises(GithubException) as caught:
        repo.get_branch("main")

    assert caught.value.status == 502


def test_delay_call_times_out(github_emulator, repo):
    slow = connect(github_emulator, timeout=1).get_repo("owner/data")
    github_emulator.delay_call(1, 1.5)

    with pytest.raises(requests.exceptions.ReadTimeout):
        slow.get_branch("main")


def test_delay_call_below_timeout_succeeds(github_emulator, repo):
    github_emulator.delay_call(1, 0.2)
    started = time.monotonic()

    branch = repo.get_branch("main")

    assert branch.name == "main"
    assert time.monotonic() - started >= 0.2


def test_drop_call_is_connection_error(github_emulator, repo):
    github_emulator.drop_call(1)

    with pytest.raises(requests.exceptions.ConnectionError):
        repo.get_branch("main")
    assert repo.get_branch("main").name == "main"


def test_calls_are_counted(github_emulator, repo):
    github_emulator.reset_calls()
    github_emulator.drop_call(2)

    repo.get_branch("main")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.get_contents("data.csv")
    with pytest.raises(UnknownObjectException):
        repo.get_branch("missing")

    assert github_emulator.calls == [
        ("GET", "/repos/owner/data/branches/main", 200),
        ("GET", "/repos/owner/data/contents/data.csv", None),
        Call("GET", "/repos/owner/data/branches/missing", 404),
    ]


def test_unknown_endpoint_is_404_and_logged(github_emulator, upstream, caplog):
    with caplog.at_level(logging.WARNING, logger="tests.github_emulator"):
        response = requests.get(f"{github_emulator.base_url}/repos/owner/data/issues",
                                headers={"Authorization": f"token {EDITOR_TOKEN}"}, timeout=5)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "documentation_url": "https://docs.github.com/rest",
                               "status": "404"}
    assert github_emulator.unhandled == [("GET", "/repos/owner/data/issues")]
    assert "No emulated endpoint for GET /repos/owner/data/issues" in caplog.text


def test_invalid_json_is_400(github_emulator, upstream):
    response = requests.post(f"{github_emulator.base_url}/repos/owner/data/git/blobs", data="{not json",
                             headers={"Authorization": f"token {EDITOR_TOKEN}"}, timeout=5)

    assert response.status_code == 400
    assert response.json()["message"] == "Problems parsing JSON"


def test_anonymous_reads_public_repository(github_emulator, upstream):
    repo = connect(github_emulator, token=None).get_repo("owner/data")

    assert repo.get_contents("data.csv").decoded_content == TABLE
    with pytest.raises(GithubException) as caught:
        repo.create_git_ref("refs/heads/x", upstream)
    assert caught.value.status == 401


def test_lists_follow_link_pages(github_emulator, repo, upstream):
    bare = github_emulator.bare_path(OWNER, NAME)
    commands = "".join(f"create refs/heads/branch-{number:02d} {upstream}\n" for number in range(40))
    subprocess.run(["git", "--git-dir", str(bare), "update-ref", "--stdin"], input=commands, text=True, check=True)
    github_emulator.reset_calls()

    names = [branch.name for branch in repo.get_branches()]

    assert len(names) == 41
    assert names[0] == "branch-00"
    assert [call.path for call in github_emulator.calls] == ["/repos/owner/data/branches"] * 2


def test_raw_media_type_returns_bytes(github_emulator, upstream):
    response = requests.get(f"{github_emulator.base_url}/repos/owner/data/contents/data.csv",
                            headers={"Authorization": f"token {EDITOR_TOKEN}",
                                     "Accept": "application/vnd.github.raw+json"}, timeout=5)

    assert response.status_code == 200
    assert response.content == TABLE


def test_commit_files_deletes_with_none(github_emulator, upstream):
    github_emulator.commit_files(OWNER, NAME, "main", {"docs/readme.md": None}, "Remove the readme")

    with pytest.raises(FileNotFoundError):
        github_emulator.read_file(OWNER, NAME, "main", "docs/readme.md")
    assert github_emulator.read_file(OWNER, NAME, upstream, "docs/readme.md") == b"# Data\n"
