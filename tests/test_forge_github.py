"""Proposals sent to GitHub as pull requests, against the local GitHub emulator.

Every test goes through real HTTP on 127.0.0.1 and PyGithub; nothing is mocked. The
emulator counts calls, so the tests check how many API calls a proposal takes, and
inject faults (5xx, dropped connections, delays, rate limits) at a chosen call.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import pickle
import shutil
import time
import traceback
from pathlib import Path

import pytest
from github import Github, InputGitAuthor, InputGitTreeElement

from datami_py.errors import DatamiError, describe
from datami_py.forge.github import (
    GitHubResult, connect, format_reset_time, marked_commit_message, proposal_fingerprint, propose_github,
)
from datami_py.forge.proposal import Proposal, TableFormat, ValidationSummary, build_proposal, describe_proposal
from datami_py.forge.tokens import (
    DEFAULT_API_URL, MASK, Secret, api_host, api_url_from_environment, find_token, require_token, scrub,
)
from datami_py.session import Session
from datami_py.table.diff import TableDiff
from tests.github_emulator import EDITOR_LOGIN, EDITOR_TOKEN, GitHubEmulator
from tests.helpers import CASES, REPOSITORY, init_repository

OWNER = "owner"
NAME = "data"
FULL_NAME = f"{OWNER}/{NAME}"
TABLE_PATH = "data/decider-ensemble-ressources-geocoded.csv"
PACKAGE_FILES = ("datapackage.json", "schemas/decider-ensemble-ressources.json", TABLE_PATH)
# The first title of case B21: accents, a colon and a slash.
TITLE = "Mise à jour : Orléans / Loiret"
BRANCH = "datami/mise-a-jour-orleans-loiret"
# A one-file proposal with push access: repository, branch, tree, blob, tree, commit, ref, pull.
ONE_FILE_CALLS = 8


def no_sleep(seconds: float) -> None:
    """Stand in for time.sleep, so retries cost no time."""


def fast_client(secret: Secret, api_url: str, timeout: int = 15) -> Github:
    """Build the PyGithub client with throttling off, as the tests need."""
    return connect(secret, api_url, timeout=timeout, seconds_between_requests=0, seconds_between_writes=0)


def propose(emulator: GitHubEmulator, proposal: Proposal, repository: str = FULL_NAME, **options) -> GitHubResult:
    """Call propose_github against EMULATOR with the editor's token, fast retries and no throttling."""
    options.setdefault("token", EDITOR_TOKEN)
    options.setdefault("github_factory", fast_client)
    options.setdefault("retry_delays", (0.0, 0.0))
    options.setdefault("sleep", no_sleep)
    return propose_github(proposal, repository, api_url=emulator.base_url, **options)


def client(emulator: GitHubEmulator) -> Github:
    """A PyGithub client for checking the emulator's state as the editor."""
    return fast_client(Secret(EDITOR_TOKEN), emulator.base_url)


def pull_files(emulator: GitHubEmulator, number: int, repository: str = FULL_NAME) -> list:
    """Return the changed files of pull request NUMBER, read through PyGithub."""
    return list(client(emulator).get_repo(repository).get_pull(number).get_files())


def proposal_branches(emulator: GitHubEmulator, owner: str = OWNER, name: str = NAME) -> dict[str, str]:
    """Return the branches under datami/ of OWNER/NAME."""
    return {branch: sha for branch, sha in emulator.branches(owner, name).items() if branch.startswith("datami/")}


def package_files() -> dict[str, bytes]:
    return {path: (REPOSITORY / path).read_bytes() for path in PACKAGE_FILES}


def make_work_copy(folder: Path, files: dict[str, bytes]) -> Path:
    """Write FILES into FOLDER and commit them on main; return FOLDER."""
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    init_repository(folder)
    return folder


def edit_and_build(folder: Path, edits: list[tuple[str, str, str]], title: str = TITLE) -> Proposal:
    """Set each (key, field, text) of the package's first table, save, and build the proposal in French."""
    session = Session.open(folder)
    table = session.table()
    for key, name, text in edits:
        table.set_cell(table.find_row(key), name, text)
    session.save()
    return build_proposal(session, title, language="fr")


@pytest.fixture(scope="module")
def package_proposal(tmp_path_factory: pytest.TempPathFactory) -> Proposal:
    """The real package with one cell edited (COMMUNE of "Budget Participatif Gersois")."""
    folder = make_work_copy(tmp_path_factory.mktemp("package"), package_files())
    return edit_and_build(folder, [("Budget Participatif Gersois", "COMMUNE", "Orléans-la-Source")])


@pytest.fixture
def upstream(github_emulator: GitHubEmulator) -> str:
    """owner/data with the real package, where editor may push; returns the initial commit."""
    return github_emulator.create_repo(OWNER, NAME, package_files(), collaborators={EDITOR_LOGIN: "push"})


def check_one_pull(emulator: GitHubEmulator, proposal: Proposal, base_commit: str, others: tuple[str, ...] = ()) -> dict:
    """Assert that owner/data has one open pull request carrying PROPOSAL, and one branch for it; return it.

    OTHERS are proposal branches that someone else made, left out of the branch check.
    """
    pulls = emulator.pulls(OWNER, NAME)
    assert len(pulls) == 1
    pull = pulls[0]
    assert pull["state"] == "open"
    assert pull["title"] == proposal.title
    assert pull["body"] == describe_proposal(proposal)

    branches = [branch for branch in proposal_branches(emulator) if branch not in others]
    assert branches == [pull["head"]["ref"]]
    for path, data in proposal.files.items():
        assert emulator.read_file(OWNER, NAME, pull["head"]["ref"], path) == data

    files = pull_files(emulator, pull["number"])
    assert [(file.filename, file.additions, file.deletions) for file in files] == [(TABLE_PATH, 1, 1)]
    assert emulator.branches(OWNER, NAME)["main"] == base_commit
    return pull


# Tokens


def test_token_from_github_token_first(tmp_path):
    environ = {"GITHUB_TOKEN": "ghp_first", "GH_TOKEN": "ghp_second", "GH_CONFIG_DIR": str(tmp_path)}

    found = find_token(environ=environ, gh_program=None)

    assert found.secret.reveal() == "ghp_first"
    assert found.source == "GITHUB_TOKEN"


def test_token_from_gh_token(tmp_path):
    environ = {"GITHUB_TOKEN": "  ", "GH_TOKEN": "ghp_second", "GH_CONFIG_DIR": str(tmp_path)}

    found = find_token(environ=environ, gh_program=None)

    assert found.secret.reveal() == "ghp_second"
    assert found.source == "GH_TOKEN"


def test_token_from_gh_hosts_file(tmp_path):
    (tmp_path / "hosts.yml").write_text(
        "github.com:\n    oauth_token: gho_stored\n    user: editor\n    git_protocol: https\n"
        "ghe.example.org:\n    users:\n        editor:\n            oauth_token: gho_enterprise\n    user: editor\n",
        encoding="utf-8",
    )
    environ = {"GH_CONFIG_DIR": str(tmp_path)}

    github_com = find_token(DEFAULT_API_URL, environ=environ, gh_program=None)
    enterprise = find_token("https://ghe.example.org/api/v3", environ=environ, gh_program=None)
    unknown = find_token("https://other.example.org/api/v3", environ=environ, gh_program=None)

    assert github_com.secret.reveal() == "gho_stored"
    assert enterprise.secret.reveal() == "gho_enterprise"
    assert unknown is None


def test_token_from_gh_program(tmp_path):
    program = tmp_path / "gh"
    program.write_text('#!/bin/sh\n[ "$1 $2 $3 $4" = "auth token --hostname github.com" ] && echo gho_keyring\n')
    program.chmod(0o755)
    environ = {"GH_CONFIG_DIR": str(tmp_path / "empty")}

    found = find_token(environ=environ, gh_program=str(program))

    assert found.secret.reveal() == "gho_keyring"
    assert found.source == "gh auth token"


def test_token_missing_raises(tmp_path):
    with pytest.raises(DatamiError) as raised:
        require_token(environ={"GH_CONFIG_DIR": str(tmp_path)}, gh_program=None)

    assert raised.value.code == "github.token-missing"
    assert "GITHUB_TOKEN" in describe(raised.value, "fr")


def test_api_url_from_environment():
    assert api_url_from_environment({}) == "https://api.github.com"
    assert api_url_from_environment({"GITHUB_API_URL": "https://ghe.example.org/api/v3/"}) == "https://ghe.example.org/api/v3"
    assert api_host("https://ghe.example.org/api/v3") == "ghe.example.org"
    with pytest.raises(DatamiError) as raised:
        api_url_from_environment({"GITHUB_API_URL": "ftp://example.org"})
    assert raised.value.code == "github.api-url-invalid"


def test_secret_never_shows_token():
    secret = Secret("ghp_visible0123456789abcdefghijklmnop")

    for text in (str(secret), repr(secret), f"{secret}", f"{secret!r}", "%s" % secret, str([secret])):
        assert "ghp_visible" not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret == Secret("ghp_visible0123456789abcdefghijklmnop")


def test_scrub_removes_tokens():
    custom = Secret("s3cr3t-value")
    text = ("token s3cr3t-value; ghp_abcdefghijklmnopqrstuvwxyz0123456789 and "
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop; {'Authorization': 'Bearer opaque.value'}")

    scrubbed = scrub(text, custom)

    assert "s3cr3t-value" not in scrubbed
    assert "ghp_" not in scrubbed
    assert "github_pat_" not in scrubbed
    assert "opaque.value" not in scrubbed
    assert scrubbed.count(MASK) == 4


# One-file proposals


def test_one_file_proposal(github_emulator, upstream, package_proposal):
    result = propose(github_emulator, package_proposal)
    calls = list(github_emulator.calls)

    pull = check_one_pull(github_emulator, package_proposal, upstream)
    assert result.branch == BRANCH
    assert result.pull_number == pull["number"]
    assert result.pull_url == pull["html_url"]
    assert result.updated is False
    assert result.commit == github_emulator.branches(OWNER, NAME)[BRANCH]
    assert result.calls <= ONE_FILE_CALLS
    assert result.calls == len(calls)
    assert [call.status for call in calls] == [200, 200, 200, 201, 201, 201, 201, 201]
    assert github_emulator.unhandled == []


def test_truncated_tree_walked_by_folder(github_emulator, upstream, package_proposal):
    tree_sha = client(github_emulator).get_repo(FULL_NAME).get_branch("main").commit.commit.tree.sha
    # GitHub truncates the recursive listing of very large trees; the emulator never does.
    github_emulator.fail_call(3, 200, {"sha": tree_sha, "url": f"{github_emulator.base_url}/repos/{FULL_NAME}/git/trees/{tree_sha}",
                                       "tree": [], "truncated": True})

    result = propose(github_emulator, package_proposal)

    check_one_pull(github_emulator, package_proposal, upstream)
    walked = [call.path for call in github_emulator.calls if "/git/trees/" in call.path]
    assert len(walked) == 3
    assert result.calls == ONE_FILE_CALLS + 2


def test_pull_request_body_has_cell_table(github_emulator, upstream, package_proposal):
    propose(github_emulator, package_proposal)

    body = github_emulator.pulls(OWNER, NAME)[0]["body"]
    assert "| Ligne | Champ | Avant | Après |" in body
    assert "| Budget Participatif Gersois | COMMUNE | AUCH | Orléans-la-Source |" in body


def test_branch_commit_on_base(github_emulator, upstream, package_proposal):
    result = propose(github_emulator, package_proposal)

    commit = client(github_emulator).get_repo(FULL_NAME).get_git_commit(result.commit)
    assert [parent.sha for parent in commit.parents] == [upstream]
    assert commit.message.startswith(TITLE + "\n")
    assert "Datami-Proposal: " in commit.message


# Rows of the generated table: a little over 2 MB, twice the contents API's 1 MB limit.
LARGE_ROWS = 32_000


def large_table(rows: int) -> bytes:
    lines = [b"id,commune,population"]
    lines += [b"%d,Commune num\xc3\xa9ro %d de la r\xc3\xa9gion Centre-Val de Loire,%d" % (i, i, 1000 + i) for i in range(rows)]
    return b"\n".join(lines) + b"\n"


LARGE_SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "commune", "type": "string"},
                           {"name": "population", "type": "integer"}], "primaryKey": ["id"]}


def large_proposal(base: bytes, edited: bytes, base_commit: str) -> Proposal:
    """A proposal of data/large.csv built from bytes, as build_proposal would make it."""
    return Proposal(
        title="Population de la commune 7", message=None, language="fr", base_branch="main",
        base_commit=base_commit, files={"data/large.csv": edited},
        base_blobs={"data/large.csv": github_blob_sha(base)}, diffs={"data/large.csv": TableDiff()},
        validation=ValidationSummary(), formats={"data/large.csv": TableFormat("large", LARGE_SCHEMA, ",", "utf-8")},
    )


def github_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_large_file_merged_through_blobs(github_emulator):
    base = large_table(LARGE_ROWS)
    assert len(base) > 2 * 1024 * 1024
    edited = base.replace(b"\n7,Commune num\xc3\xa9ro 7 de la r\xc3\xa9gion Centre-Val de Loire,1007\n",
                          b"\n7,Commune num\xc3\xa9ro 7 de la r\xc3\xa9gion Centre-Val de Loire,1107\n")
    assert edited != base
    first = github_emulator.create_repo(OWNER, NAME, {"data/large.csv": base}, collaborators={EDITOR_LOGIN: "push"})
    # Someone else changes another row of the file after it was loaded.
    upstream_edit = base.replace(b",20000\n", b",20001\n")
    assert upstream_edit != base
    github_emulator.commit_files(OWNER, NAME, "main", {"data/large.csv": upstream_edit}, "Population of row 19000")

    result = propose(github_emulator, large_proposal(base, edited, first))

    branch_file = github_emulator.read_file(OWNER, NAME, result.branch, "data/large.csv")
    assert branch_file == upstream_edit.replace(b",1007\n", b",1107\n")
    files = pull_files(github_emulator, result.pull_number)
    assert [(file.filename, file.additions, file.deletions) for file in files] == [("data/large.csv", 1, 1)]
    # The two downloads of the merge go through the blobs API, which has no 1 MB limit.
    assert result.calls == ONE_FILE_CALLS + 2


def test_large_file_one_line_diff(github_emulator):
    base = large_table(LARGE_ROWS)
    edited = base.replace(b",1007\n", b",1107\n")
    first = github_emulator.create_repo(OWNER, NAME, {"data/large.csv": base}, collaborators={EDITOR_LOGIN: "push"})

    result = propose(github_emulator, large_proposal(base, edited, first))

    assert github_emulator.read_file(OWNER, NAME, result.branch, "data/large.csv") == edited
    files = pull_files(github_emulator, result.pull_number)
    assert [(file.filename, file.additions, file.deletions) for file in files] == [("data/large.csv", 1, 1)]
    assert result.calls == ONE_FILE_CALLS


# Base moved since loading (case B20)

B20 = CASES / "B20"
B20_PATH = "data/mairies.csv"
B20_PACKAGE = {
    "name": "mairies",
    "resources": [{
        "name": "mairies", "path": B20_PATH, "format": "csv", "encoding": "utf-8",
        "schema": {"fields": [{"name": "code_insee", "type": "string"}, {"name": "nom", "type": "string"},
                              {"name": "horaires", "type": "string"}], "primaryKey": ["code_insee"]},
    }],
}


@pytest.fixture
def b20_proposal(tmp_path: Path) -> Proposal:
    """The B20 edit (37261 horaires 9h-17h → 9h-18h) made with a Session on base.csv."""
    files = {"datapackage.json": json.dumps(B20_PACKAGE, indent=2).encode(), B20_PATH: (B20 / "base.csv").read_bytes()}
    folder = make_work_copy(tmp_path / "mairies", files)
    proposal = edit_and_build(folder, [("37261", "horaires", "9h-18h")], title="Horaires de la mairie de Tours")
    assert proposal.files[B20_PATH] == (B20 / "local-edit.csv").read_bytes()
    return proposal


def create_b20_repository(emulator: GitHubEmulator, upstream_file: str) -> str:
    """Create owner/data with base.csv, then commit UPSTREAM_FILE over it on main; return the first commit."""
    files = {"datapackage.json": json.dumps(B20_PACKAGE, indent=2).encode(), B20_PATH: (B20 / "base.csv").read_bytes()}
    first = emulator.create_repo(OWNER, NAME, files, collaborators={EDITOR_LOGIN: "push"})
    emulator.commit_files(OWNER, NAME, "main", {B20_PATH: (B20 / upstream_file).read_bytes()}, "Horaires de Blois",
                          author=("Autre", "autre@example.org"))
    return first


def test_moved_base_merged_b20(github_emulator, b20_proposal):
    create_b20_repository(github_emulator, "upstream.csv")
    main = github_emulator.branches(OWNER, NAME)["main"]

    result = propose(github_emulator, b20_proposal)

    merged = github_emulator.read_file(OWNER, NAME, result.branch, B20_PATH)
    assert merged == (B20 / "expected-merged.csv").read_bytes()
    files = pull_files(github_emulator, result.pull_number)
    assert [(file.filename, file.additions, file.deletions) for file in files] == [(B20_PATH, 1, 1)]
    commit = client(github_emulator).get_repo(FULL_NAME).get_git_commit(result.commit)
    assert [parent.sha for parent in commit.parents] == [main]


def test_moved_base_conflict_b20(github_emulator, b20_proposal):
    create_b20_repository(github_emulator, "upstream-conflict.csv")
    github_emulator.reset_calls()

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, b20_proposal)

    error = raised.value
    assert error.code == "forge.conflicts"
    assert error.location.file == B20_PATH
    assert error.params["count"] == 1
    text = describe(error, "fr")
    for expected in ("37261", "horaires", "9h-18h", "9h-17h30"):
        assert expected in text
    assert proposal_branches(github_emulator) == {}
    assert github_emulator.pulls(OWNER, NAME) == []
    assert {call.method for call in github_emulator.calls} == {"GET"}


def test_moved_base_conflict_resolved(github_emulator, b20_proposal):
    create_b20_repository(github_emulator, "upstream-conflict.csv")

    result = propose(github_emulator, b20_proposal, resolutions={B20_PATH: {("37261", "horaires"): "9h-18h"}})

    merged = github_emulator.read_file(OWNER, NAME, result.branch, B20_PATH)
    assert merged == (B20 / "local-edit.csv").read_bytes()


def test_prefer_theirs_leaves_nothing(github_emulator, b20_proposal):
    create_b20_repository(github_emulator, "upstream-conflict.csv")

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, b20_proposal, prefer="theirs")

    assert raised.value.code == "forge.nothing-after-merge"
    assert proposal_branches(github_emulator) == {}


# Existing branches and pull requests (case B21)


def test_branch_of_someone_else_not_reused(github_emulator, upstream, package_proposal):
    other = github_emulator.commit_files(OWNER, NAME, BRANCH, {"notes.md": b"autre travail\n"}, "Autre travail")

    result = propose(github_emulator, package_proposal)

    assert result.branch == BRANCH + "-2"
    assert github_emulator.branches(OWNER, NAME)[BRANCH] == other
    check_one_pull(github_emulator, package_proposal, upstream, others=(BRANCH,))


def test_rerun_updates_existing_pull(github_emulator, upstream, package_proposal):
    first = propose(github_emulator, package_proposal)

    second = propose(github_emulator, package_proposal)

    assert second.updated is True
    assert second.pull_number == first.pull_number
    assert second.branch == first.branch
    assert second.commit == first.commit
    check_one_pull(github_emulator, package_proposal, upstream)


def test_same_title_other_edit_new_branch(github_emulator, upstream, package_proposal, tmp_path):
    titles = (CASES / "B21" / "titres.txt").read_text(encoding="utf-8").splitlines()
    assert titles[0] == titles[5] == TITLE
    folder = make_work_copy(tmp_path / "second", package_files())
    other = edit_and_build(folder, [("Budget Participatif Gersois", "COMMUNE", "Tours")], title=titles[5])
    first = propose(github_emulator, package_proposal)

    second = propose(github_emulator, other)

    assert second.branch == BRANCH + "-2"
    assert second.updated is False
    assert second.pull_number != first.pull_number
    assert [pull["title"] for pull in github_emulator.pulls(OWNER, NAME)] == [TITLE, TITLE]


def test_rerun_reuses_earlier_branch(github_emulator, upstream, package_proposal):
    # An earlier run's commit: same message, tree and parent, written at another time.
    repository = client(github_emulator).get_repo(FULL_NAME)
    blob = repository.create_git_blob(base64.b64encode(package_proposal.files[TABLE_PATH]).decode(), "base64")
    base_tree = repository.get_git_tree(repository.get_branch("main").commit.commit.tree.sha)
    tree = repository.create_git_tree([InputGitTreeElement(TABLE_PATH, "100644", "blob", sha=blob.sha)], base_tree)
    earlier = repository.create_git_commit(
        marked_commit_message(package_proposal, proposal_fingerprint(package_proposal)), tree,
        [repository.get_git_commit(upstream)],
        author=InputGitAuthor("Editor", "editor@example.com", "2024-01-02T03:04:05Z"))
    repository.create_git_ref(f"refs/heads/{BRANCH}", earlier.sha)

    result = propose(github_emulator, package_proposal)

    assert result.branch == BRANCH
    assert result.commit == earlier.sha
    assert github_emulator.branches(OWNER, NAME)[BRANCH] == earlier.sha
    check_one_pull(github_emulator, package_proposal, upstream)


def test_rerun_after_base_moved(github_emulator, upstream, package_proposal):
    first = propose(github_emulator, package_proposal)
    moved = github_emulator.commit_files(OWNER, NAME, "main", {"README.md": b"# Data\n"}, "Add a README")

    second = propose(github_emulator, package_proposal)

    assert second.branch == first.branch
    assert second.updated is True
    commit = client(github_emulator).get_repo(FULL_NAME).get_git_commit(second.commit)
    assert [parent.sha for parent in commit.parents] == [moved]
    assert len(github_emulator.pulls(OWNER, NAME)) == 1


def test_odd_titles_give_valid_branches(github_emulator, upstream, tmp_path):
    titles = (CASES / "B21" / "titres.txt").read_text(encoding="utf-8").splitlines()
    folder = make_work_copy(tmp_path / "titles", package_files())
    proposal = edit_and_build(folder, [("Budget Participatif Gersois", "COMMUNE", "Blois")], title=titles[6])

    result = propose(github_emulator, proposal)

    assert result.branch.startswith("datami/")
    assert github_emulator.pulls(OWNER, NAME)[0]["title"] == "refs/heads/main"
    assert github_emulator.branches(OWNER, NAME)["main"] == upstream


# Faults at each call


@pytest.mark.parametrize("call", range(1, ONE_FILE_CALLS + 1))
def test_transient_failure_retried(github_emulator, upstream, package_proposal, call):
    github_emulator.fail_call(call, 502)
    delays = []

    result = propose(github_emulator, package_proposal, sleep=delays.append, retry_delays=(0.25, 1.0))

    assert result.calls == ONE_FILE_CALLS + 1
    assert delays == [0.25]
    check_one_pull(github_emulator, package_proposal, upstream)


@pytest.mark.parametrize("fault", ["status", "drop"])
@pytest.mark.parametrize("call", range(1, ONE_FILE_CALLS + 1))
def test_rerun_after_failure_finishes(github_emulator, upstream, package_proposal, call, fault):
    # Three faults in a row exhaust the three tries of the same call.
    for attempt in range(3):
        if fault == "status":
            github_emulator.fail_call(call + attempt, 500)
        else:
            github_emulator.drop_call(call + attempt)

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal)
    assert raised.value.code == "github.unavailable"
    assert raised.value.params["attempts"] == 3

    result = propose(github_emulator, package_proposal)

    pull = check_one_pull(github_emulator, package_proposal, upstream)
    assert result.pull_number == pull["number"]
    assert result.branch == BRANCH


def test_pull_creation_timeout_retried(github_emulator, upstream, package_proposal):
    # The timed-out request still runs on the server after the retry, as it can on GitHub.
    github_emulator.delay_call(ONE_FILE_CALLS, 1.5)
    factory = functools.partial(fast_client, timeout=1)

    result = propose(github_emulator, package_proposal, github_factory=factory)
    deadline = time.monotonic() + 5
    while len(github_emulator.calls) < ONE_FILE_CALLS + 1 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert result.calls == ONE_FILE_CALLS + 1
    assert [call.status for call in github_emulator.calls[-2:]] == [201, 422]
    check_one_pull(github_emulator, package_proposal, upstream)


# Errors the user must act on


def test_rate_limit_reported_with_reset(github_emulator, upstream, package_proposal):
    reset = int(time.time()) + 600
    github_emulator.rate_limit(remaining=3, reset=reset)
    delays = []

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal, sleep=delays.append)

    error = raised.value
    assert error.code == "github.rate-limited"
    assert error.params["reset"] == format_reset_time(reset)
    assert error.params["minutes"] in (9, 10)
    assert format_reset_time(reset) in describe(error, "fr")
    assert delays == []
    assert len(github_emulator.calls) == 4


def test_secondary_rate_limit_reported(github_emulator, upstream, package_proposal):
    github_emulator.fail_call(2, 403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "30"})

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal)

    assert raised.value.code == "github.secondary-rate-limited"
    assert raised.value.params["seconds"] == 30


def test_bad_token(github_emulator, upstream, package_proposal):
    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal, token="ghp_wrongtoken000000000000000000000000")

    assert raised.value.code == "github.bad-credentials"
    assert "gh auth login" in describe(raised.value, "fr")
    assert len(github_emulator.calls) == 1


def test_missing_token(github_emulator, upstream, package_proposal):
    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal, token=None)

    assert raised.value.code == "github.token-missing"
    assert github_emulator.calls == []


def test_invalid_repository_name(github_emulator, package_proposal):
    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal, repository="https://example.org/data")

    assert raised.value.code == "github.repository-invalid"


def test_repository_not_found(github_emulator, package_proposal):
    github_emulator.create_repo(OWNER, "private", package_files(), private=True)

    for repository in ("owner/missing", "owner/private"):
        with pytest.raises(DatamiError) as raised:
            propose(github_emulator, package_proposal, repository=repository)
        assert raised.value.code == "github.repository-not-found"
        assert repository in describe(raised.value, "fr")


def test_base_not_found(github_emulator, upstream, package_proposal):
    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal, base="production")

    assert raised.value.code == "github.base-not-found"
    assert raised.value.params["base"] == "production"


def test_write_refused_explained(github_emulator, upstream, package_proposal):
    github_emulator.fail_call(4, 403, {"message": "Resource not accessible by personal access token"})

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal)

    assert raised.value.code == "github.forbidden"
    assert "Contents" in describe(raised.value, "fr")


def test_write_not_found_explained(github_emulator, upstream, package_proposal):
    github_emulator.fail_call(4, 404)

    with pytest.raises(DatamiError) as raised:
        propose(github_emulator, package_proposal)

    assert raised.value.code == "github.write-not-found"


def test_no_push_access_uses_fork(github_emulator, package_proposal):
    first = github_emulator.create_repo(OWNER, NAME, package_files())

    result = propose(github_emulator, package_proposal)

    pulls = github_emulator.pulls(OWNER, NAME)
    assert len(pulls) == 1
    assert pulls[0]["head"]["repo"] == f"{EDITOR_LOGIN}/{NAME}"
    assert pulls[0]["head"]["label"] == f"{EDITOR_LOGIN}:{BRANCH}"
    assert pulls[0]["title"] == TITLE
    assert proposal_branches(github_emulator) == {}
    assert github_emulator.branches(EDITOR_LOGIN, NAME)[BRANCH] == result.commit
    assert github_emulator.branches(OWNER, NAME)["main"] == first
    files = pull_files(github_emulator, result.pull_number)
    assert [(file.filename, file.additions, file.deletions) for file in files] == [(TABLE_PATH, 1, 1)]
    assert result.calls == ONE_FILE_CALLS + 1


def test_fork_rerun_updates_pull(github_emulator, package_proposal):
    github_emulator.create_repo(OWNER, NAME, package_files())
    first = propose(github_emulator, package_proposal)

    second = propose(github_emulator, package_proposal)

    assert second.updated is True
    assert second.pull_number == first.pull_number
    assert len(github_emulator.pulls(OWNER, NAME)) == 1


# The token never shows


def test_token_never_in_output(github_emulator, upstream, package_proposal, caplog, capsys):
    secret_token = "ghp_neverprinted00000000000000000000000"
    github_emulator.add_user(EDITOR_LOGIN, secret_token)
    caplog.set_level(logging.DEBUG)
    # PyGithub sets its logger to INFO on import; its DEBUG records carry the request headers.
    caplog.set_level(logging.DEBUG, logger="github")
    texts: list[str] = []

    def attempt(**options) -> None:
        try:
            texts.append(repr(propose(github_emulator, package_proposal, token=Secret(secret_token), **options)))
        except DatamiError as error:
            texts.extend([str(error), repr(error), describe(error, "fr"), describe(error, "en"), repr(error.params),
                          "".join(traceback.format_exception(error))])

    github_emulator.fail_call(1, 401, {"message": "Bad credentials"})
    attempt()
    github_emulator.fail_call(2, 500)
    github_emulator.fail_call(3, 500)
    github_emulator.fail_call(4, 500)
    attempt()
    github_emulator.drop_call(5)
    attempt()
    github_emulator.rate_limit(remaining=0, reset=int(time.time()) + 60)
    attempt()
    github_emulator.clear_rate_limit()
    attempt(repository=f"https://{secret_token}@github.com/owner/data")
    attempt()
    attempt()

    captured = capsys.readouterr()
    everything = "\n".join([*texts, caplog.text, captured.out, captured.err,
                            *(record.getMessage() for record in caplog.records)])
    assert secret_token not in everything
    assert "ghp_neverprinted" not in everything
    assert "Authorization" in caplog.text
    assert len(texts) >= 7
