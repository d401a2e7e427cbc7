"""datami serve without a browser: session folders, local proposals, the command and the page it serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from datami_py.errors import DatamiError, describe
from datami_py.web.workspace import claim_workspace, default_state_folder, publish_branch
from tests.browser import Server, clean_environment
from tests.helpers import copy_real_package, git

CSV = "data/decider-ensemble-ressources-geocoded.csv"
KEY = "Co-construction de la révision du Plan Local d'Urbanisme"
TOKEN = "ghp_servertoken000000000000000000000000"


@pytest.fixture
def package(tmp_path):
    folder = copy_real_package(tmp_path)
    git(folder, "remote", "add", "origin", "https://github.com/decider-ensemble/donnees.git")
    return folder


def datami(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from datami_py.cli import main; main()", *arguments]
    environment = clean_environment(folder.parent)
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment, timeout=60)


# Session folders

def test_claim_clones_with_remotes(package, tmp_path):
    workspace = claim_workspace(tmp_path / "state", package)

    assert re.fullmatch(r"[0-9a-f]{6}", workspace.identifier)
    assert workspace.restored is False
    assert workspace.package == workspace.copy
    assert (workspace.copy / CSV).read_bytes() == (package / CSV).read_bytes()
    assert git(workspace.copy, "remote", "get-url", "served").strip() == str(package)
    assert git(workspace.copy, "remote", "get-url", "origin").strip() == "https://github.com/decider-ensemble/donnees.git"
    assert git(workspace.copy, "branch", "--show-current").strip() == "main"
    assert workspace.journal.is_dir()


def test_claim_keeps_live_sessions_apart(package, tmp_path):
    first = claim_workspace(tmp_path / "state", package)
    second = claim_workspace(tmp_path / "state", package)

    assert first.folder != second.folder
    assert second.restored is False


def test_claim_takes_over_unsaved_edits(package, tmp_path):
    first = claim_workspace(tmp_path / "state", package)
    (first.journal / "resource-0123.jsonl").write_text("{}\n", encoding="utf-8")
    first.release()

    again = claim_workspace(tmp_path / "state", package)

    assert again.folder == first.folder
    assert again.restored is True


def test_claim_takes_over_saved_edits(package, tmp_path):
    first = claim_workspace(tmp_path / "state", package)
    csv = first.copy / CSV
    csv.write_bytes(csv.read_bytes().replace(b",mairie.saintmartinduriage.fr,", b",https://mairie.saintmartinduriage.fr,", 1))
    first.release()

    again = claim_workspace(tmp_path / "state", package)

    assert again.folder == first.folder
    assert again.restored is True


def test_claim_takes_latest_abandoned_first(package, tmp_path):
    older = claim_workspace(tmp_path / "state", package)
    newer = claim_workspace(tmp_path / "state", package)
    for workspace, edited in ((older, 1_000_000_000), (newer, 1_500_000_000)):
        journal = workspace.journal / "resource-0123.jsonl"
        journal.write_text("{}\n", encoding="utf-8")
        os.utime(journal, (edited, edited))
        os.utime(workspace.folder / "lock", (edited, edited))
        workspace.release()

    first = claim_workspace(tmp_path / "state", package)
    second = claim_workspace(tmp_path / "state", package)

    assert first.folder == newer.folder
    assert second.folder == older.folder


def test_claim_removes_finished_sessions(package, tmp_path):
    first = claim_workspace(tmp_path / "state", package)
    first.release()

    again = claim_workspace(tmp_path / "state", package)

    assert again.folder != first.folder
    assert not first.folder.exists()
    assert again.restored is False


def test_claim_outside_git_fails(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()

    with pytest.raises(DatamiError) as raised:
        claim_workspace(tmp_path / "state", folder)

    assert raised.value.code == "git.not-a-repository"


def test_default_state_folder_per_package(package, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))

    folder = default_state_folder(package)

    assert folder.parent == tmp_path / "xdg" / "datami-py" / "serve"
    assert re.fullmatch(r"package-[0-9a-f]{12}", folder.name)


# Local proposals

def test_publish_branch_copies_to_served(package, tmp_path):
    workspace = claim_workspace(tmp_path / "state", package)
    git(workspace.copy, "branch", "datami/new-link")

    publish_branch(workspace, "datami/new-link")

    assert git(package, "rev-parse", "datami/new-link") == git(workspace.copy, "rev-parse", "datami/new-link")


def test_publish_branch_never_overwrites(package, tmp_path):
    workspace = claim_workspace(tmp_path / "state", package)
    git(package, "commit", "-q", "--allow-empty", "-m", "Someone else's proposal")
    git(package, "branch", "datami/new-link")
    git(package, "reset", "-q", "--hard", "HEAD~1")
    git(workspace.copy, "commit", "-q", "--allow-empty", "-m", "This session's proposal")
    git(workspace.copy, "branch", "datami/new-link")

    with pytest.raises(DatamiError) as raised:
        publish_branch(workspace, "datami/new-link")

    assert raised.value.code == "serve.push-failed"
    text = describe(raised.value, "en")
    assert text.startswith(
        f"The proposal branch datami/new-link was made in this session's copy but could not be copied to the served repository {package} ("
    )
    assert text.endswith("). Propose again with another title.")
    assert "rejected" in text


async def test_local_proposal_reaches_served_repository(package, tmp_path, monkeypatch):
    from datami_py.ui.screens.main import MainScreen
    from datami_py.web.session import WebDatamiApp
    from tests.test_ui import wait_for_main

    git(package, "remote", "remove", "origin")
    workspace = claim_workspace(tmp_path / "state", package)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(workspace.journal))
    app = WebDatamiApp(workspace, "en")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for_main(app, pilot)
        assert app.sub_title == f"web session {workspace.identifier}"
        row = screen.table.find_row(KEY)
        app.editor.set_cell(row, "SITE WEB", "https://mairie.saintmartinduriage.fr")
        screen.start_proposal()
        await pilot.pause()
        await pilot.press("enter")  # Accept the default title.
        await pilot.pause()
        # Without a login, the browser editor is asked for a name to put in the proposal.
        await pilot.press(*"Hélène", "enter")
        branch = f"datami/update-data-decider-ensemble-ressources-geocoded.csv-web-session-{workspace.identifier}"
        for _ in range(200):
            await pilot.pause(0.05)
            if git(package, "branch", "--list", branch).strip() and isinstance(app.screen, MainScreen):
                break

    assert git(package, "log", "-1", "--format=%s", branch).strip() == f"Update {CSV} (web session {workspace.identifier})"
    assert git(package, "log", "-1", "--format=%b", branch).strip() == "Proposed by Hélène, from the web editor."
    diff = git(package, "diff", "main", branch, "--numstat")
    assert diff == f"1\t1\t{CSV}\n"
    assert git(package, "status", "--porcelain") == ""


async def test_taken_over_saved_edits_are_announced(package, tmp_path, monkeypatch):
    from datami_py.web.session import WebDatamiApp
    from tests.test_ui import wait_for_main

    first = claim_workspace(tmp_path / "state", package)
    csv = first.copy / CSV
    csv.write_bytes(csv.read_bytes().replace(b",mairie.saintmartinduriage.fr,", b",https://mairie.saintmartinduriage.fr,", 1))
    first.release()
    workspace = claim_workspace(tmp_path / "state", package)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(workspace.journal))

    app = WebDatamiApp(workspace, "fr")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_main(app, pilot)

        assert workspace.restored
        assert [notice.message for notice in app._notifications] == [
            "Cette page reprend une session précédente : ses modifications enregistrées ne sont pas encore "
            "proposées. Appuyez sur r pour les voir."
        ]


# The command and its page

def test_serve_help_warns_no_login(package):
    completed = datami(package, "serve", "--help")

    assert completed.returncode == 0
    text = " ".join(completed.stdout.split())
    assert "NO LOGIN of its own" in text
    assert "put it behind a reverse proxy that asks for a login" in text
    assert "[default: 127.0.0.1]" in text


def test_serve_missing_package(package):
    completed = datami(package, "serve", "nowhere", "--lang", "en")

    assert completed.returncode == 1
    assert completed.stderr == "Error: nowhere does not exist. Give the folder of the data package or its datapackage.json.\n"


def test_serve_outside_git(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "datapackage.json").write_text('{"resources": []}', encoding="utf-8")

    completed = datami(folder, "serve", "--lang", "en")

    assert completed.returncode == 1
    assert completed.stderr == (
        f"Error: {folder} is not inside a git repository, so there is no committed version to compare with. "
        "Run “git init” and commit the files first.\n"
    )


def test_page_loads_nothing_from_elsewhere(package, tmp_path):
    environment = clean_environment(tmp_path) | {"GITHUB_TOKEN": TOKEN}
    server = Server(package, tmp_path / "state", environment)
    try:
        with urllib.request.urlopen(server.url, timeout=10) as response:
            page = response.read().decode("utf-8")
            policy = response.headers["Content-Security-Policy"]
        addresses = re.findall(r"(?:src=|href=|data-session-websocket-url=|url\()\"([^\"]+)\"", page)
        for address in addresses:
            if address.startswith("http"):
                with urllib.request.urlopen(address, timeout=10) as response:
                    assert response.status == 200
    finally:
        server.stop()

    assert "default-src 'self'" in policy
    # The style sheet, two font faces, the preloaded font, the script, the websocket and the page twice.
    assert len(addresses) == 8
    assert all(address.startswith(server.url.replace("http://", "ws://")) or address.startswith(server.url) for address in addresses)
    assert "googleapis" not in page
    assert TOKEN not in page
    assert TOKEN not in "".join(server.output)
    assert f"Open {server.url} in a web browser. Press Ctrl+C to stop the server.\n" in server.output


def test_workspace_does_not_import_textual():
    code = "import sys\nimport datami_py.web.workspace\nimport datami_py.cli_serve\nprint('textual' in sys.modules)"

    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == "False"


async def test_failed_claim_shown_in_browser():
    from datami_py.ui.screens.load_error import LoadErrorScreen
    from datami_py.web.session import SessionFailedApp

    app = SessionFailedApp("/srv/data is not inside a git repository.", "en")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, LoadErrorScreen):
                break

        assert isinstance(app.screen, LoadErrorScreen)
        assert str(app.screen.query_one("#error-text").render()) == "/srv/data is not inside a git repository."


def test_session_log_kept_in_its_folder(package, tmp_path, monkeypatch, caplog):
    import logging

    from datami_py.web import session

    def run(app):
        logging.getLogger("datami_py.web.session").error("Session %s: the proposal failed", app.workspace.identifier)

    monkeypatch.setattr(session.WebDatamiApp, "run", run)
    caplog.set_level(logging.INFO)

    assert session.main(["--state", str(tmp_path / "state"), str(package)]) == 0

    [log] = (tmp_path / "state" / "sessions").glob("*/session.log")
    identifier = log.parent.name
    messages = [line.split(" ", 4)[-1] for line in log.read_text(encoding="utf-8").splitlines()]
    assert messages == [
        f"Session {identifier} started in {log.parent / 'copy'} (taken over: False)",
        f"Session {identifier}: the proposal failed",
        f"Session {identifier} ended with status None",
    ]
    assert str(log) not in [getattr(handler, "baseFilename", None) for handler in logging.getLogger().handlers]


def test_page_addresses_use_public_url(package, tmp_path):
    server = Server(package, tmp_path / "state", clean_environment(tmp_path), "--public-url", "https://donnees.example.org")
    try:
        with urllib.request.urlopen(server.url, timeout=10) as response:
            page = response.read().decode("utf-8")
    finally:
        server.stop()

    assert 'data-session-websocket-url="wss://donnees.example.org/ws"' in page
    assert 'src="https://donnees.example.org/static/js/textual.js"' in page
    assert "Open https://donnees.example.org/ in a web browser. Press Ctrl+C to stop the server.\n" in server.output
