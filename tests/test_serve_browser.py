"""datami serve in a real headless Chromium: search, edit, save and propose to the GitHub emulator.

The served package is a clone of a repository of the emulator whose origin URL is set to
github.com, so the app proposes pull requests as it does in the terminal. Every request
still goes to 127.0.0.1, because GITHUB_API_URL points at the emulator.
"""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import Server, Tab, chromium, clean_environment, save_screenshot
from tests.github_emulator import EDITOR_LOGIN, EDITOR_TOKEN
from datami_py.session import Session
from tests.helpers import REPOSITORY, git
from tests.test_propose_github_cli import package_files

OWNER, NAME = "decider-ensemble", "donnees"
CSV = "data/decider-ensemble-ressources-geocoded.csv"
BRANCH_PREFIX = "datami/update-data-decider-ensemble-ressources-geocoded.csv-web-session-"

def tabs_to_field(name: str) -> int:
    """Return the Tab presses from the row editor's first field to the input of field ``name``: one per field before it."""
    table = Session.open(REPOSITORY).table()
    names = [field for field in table.field_names if table.column_of(field) is not None]
    return names.index(name)



@pytest.fixture
def served(tmp_path, github_emulator):
    """Start ``datami serve`` on a GitHub clone with a token in its environment; stop it after the test."""
    github_emulator.create_repo(OWNER, NAME, package_files(), collaborators={EDITOR_LOGIN: "push"})
    package = tmp_path / "served"
    git(tmp_path, "clone", "-q", str(github_emulator.bare_path(OWNER, NAME)), str(package))
    # Only the URL's form matters: proposals go through GITHUB_API_URL, the emulator.
    git(package, "remote", "set-url", "origin", f"https://github.com/{OWNER}/{NAME}.git")
    environment = clean_environment(tmp_path) | {"GITHUB_TOKEN": EDITOR_TOKEN, "GITHUB_API_URL": github_emulator.base_url}

    server = Server(package, tmp_path / "state", environment)
    yield server
    server.stop()
    assert EDITOR_TOKEN not in "".join(server.output)


@pytest.fixture
def browser(tmp_path):
    with chromium(tmp_path / "chromium-profile") as devtools, sync_playwright() as playwright:
        connected = playwright.chromium.connect_over_cdp(devtools)
        yield connected
        connected.close()


def open_tab(browser, url: str) -> Tab:
    """Open the page in a new tab and wait for the table to show."""
    tab = Tab(browser.contexts[0], url)
    tab.wait_for("of 101 rows")
    return tab


def edit_site(tab: Tab, search: str, value: str) -> None:
    """Search for ``search``, open the only row found in the editor and set its SITE WEB to ``value``."""
    tab.activate()
    start = tab.mark()
    tab.press_and_settle("/")
    tab.type(search)
    tab.wait_for_rows(1, start)
    tab.press_and_settle("Enter", "t", "e")
    tab.wait_for("Edit row", start)

    # Typed text goes to the widget focused when it arrives, so let every Tab take effect first.
    start = tab.mark()
    tab.press(*["Tab"] * tabs_to_field("SITE WEB"))
    tab.settle(start)
    tab.press_and_settle("Home", "Control+k")
    tab.type(value)
    start = tab.mark()
    tab.press("Control+s")
    tab.wait_for("1 unsaved change", start)


def search(tab: Tab, text: str, expected_rows: int) -> None:
    """Replace the search text with ``text`` and wait until ``expected_rows`` rows are found."""
    tab.activate()
    start = tab.mark()
    tab.press_and_settle("/")
    tab.press("Control+a", "Control+k")
    tab.wait_for_rows(101, start)

    start = tab.mark()
    tab.type(text)
    tab.wait_for_rows(expected_rows, start)
    tab.press_and_settle("Enter")


def save_and_propose(tab: Tab, name: str) -> int:
    """Save, open the review screen, propose with the default title and ``name``; return the frame mark before it."""
    tab.activate()
    start = tab.mark()
    tab.press("Control+s")
    tab.wait_for("all changes saved", start)
    tab.press("r")
    tab.wait_for("Pending changes", start)
    tab.press("p")
    tab.wait_for("Title of the proposal", start)
    tab.press("Enter")
    tab.wait_for("Your name", start)
    tab.type(name)
    tab.press("Enter")
    return start


def wait_for_pulls(github_emulator, count: int, timeout: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pulls = github_emulator.pulls(OWNER, NAME)
        if len(pulls) >= count:
            return pulls
        time.sleep(0.05)
    raise AssertionError(f"{count} pull request(s) expected, found {len(github_emulator.pulls(OWNER, NAME))}")


def changed_lines(github_emulator, pull: dict) -> list[tuple[bytes, bytes]]:
    """Return the (before, after) pairs of the CSV lines the pull request changes."""
    old = github_emulator.read_file(OWNER, NAME, "main", CSV).split(b"\n")
    new = github_emulator.read_file(OWNER, NAME, pull["head"]["sha"], CSV).split(b"\n")
    assert len(old) == len(new)
    return [(before, after) for before, after in zip(old, new) if before != after]


def wait_until_released(session: Path, timeout: float = 10) -> None:
    """Wait until no process holds the lock of the session folder ``session``, as after its tab closed."""
    deadline = time.monotonic() + timeout
    with (session / "lock").open("ab") as handle:
        while time.monotonic() < deadline:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return
    raise AssertionError(f"the session {session.name} still runs {timeout} seconds after its tab closed")


def session_folders(state: Path) -> list[Path]:
    return sorted((state / "sessions").iterdir())


def test_two_sessions_propose_apart(served, browser, github_emulator, tmp_path):
    first = open_tab(browser, served.url)
    second = open_tab(browser, served.url)
    folders = session_folders(tmp_path / "state")
    assert len(folders) == 2

    edit_site(first, "uriage", "https://mairie.saintmartinduriage.fr")
    edit_site(second, "Gersois", "https://budgetparticipatif.gers.fr/2027")

    # Search finds unsaved values, but each session only its own.
    search(first, "https://mairie.saintmartinduriage.fr", 1)
    search(first, "budgetparticipatif.gers.fr/2027", 0)
    search(second, "https://mairie.saintmartinduriage.fr", 0)

    # Closing the first tab keeps its unsaved edit: the next tab takes over its folder and restores it.
    first.page.close()
    [first_folder] = [folder for folder in folders if _journal_mentions(folder, "https://mairie.saintmartinduriage.fr")]
    [second_folder] = [folder for folder in folders if folder != first_folder]
    wait_until_released(first_folder)
    third = open_tab(browser, served.url)
    third.wait_for("1 unsaved edit from")
    third.activate()
    start = third.mark()
    third.press("Enter")  # "Restore" is the first button.
    third.wait_for("1 unsaved change", start)
    assert session_folders(tmp_path / "state") == folders

    # Both sessions save and propose at the same time.
    save_and_propose(second, "Hélène")
    start = save_and_propose(third, "Karim")
    pulls = wait_for_pulls(github_emulator, 2)
    # After the proposal the session reads the package again from its last commit.
    third.wait_for("101 of 101 rows", start)
    third.wait_for("Pull request opened", start)
    save_screenshot(third, "serve-two-sessions.png")

    # One pull request per session, each with its own title, branch and one changed line.
    titles = {pull["title"]: pull for pull in pulls}
    assert set(titles) == {f"Update {CSV} (web session {folder.name})" for folder in folders}
    first_pull = titles[f"Update {CSV} (web session {first_folder.name})"]
    second_pull = titles[f"Update {CSV} (web session {second_folder.name})"]
    assert first_pull["head"]["ref"] == f"{BRANCH_PREFIX}{first_folder.name}"
    assert second_pull["head"]["ref"] == f"{BRANCH_PREFIX}{second_folder.name}"
    # Without a login, each editor's name goes into the description of their pull request:
    # the third tab took over the first session's copy.
    assert "Proposed by Karim, from the web editor." in first_pull["body"]
    assert "Proposed by Hélène, from the web editor." in second_pull["body"]
    [(before, after)] = changed_lines(github_emulator, first_pull)
    assert before.replace(b",mairie.saintmartinduriage.fr,", b",https://mairie.saintmartinduriage.fr,") == after
    [(before, after)] = changed_lines(github_emulator, second_pull)
    assert before.replace(b",https://www.budgetparticipatif.gers.fr,", b",https://budgetparticipatif.gers.fr/2027,") == after

    # The edits live in the pull requests: the served folder and the sessions' copies are unchanged.
    assert git(tmp_path / "served", "status", "--porcelain") == ""
    for folder in folders:
        assert git(folder / "copy", "status", "--porcelain") == ""

    # Nothing left 127.0.0.1, and the token reached neither the page nor the websocket.
    for tab in (first, second, third):
        assert tab.hosts() == {"127.0.0.1"}
        assert EDITOR_TOKEN.encode() not in b"".join(tab.received)
        assert EDITOR_TOKEN not in "".join(tab.sent)
    page = third.response.text()
    assert "fonts.googleapis.com" not in page
    assert EDITOR_TOKEN not in page
    assert EDITOR_TOKEN not in third.page.content()


def _journal_mentions(folder: Path, text: str) -> bool:
    return any(text in journal.read_text(encoding="utf-8") for journal in (folder / "journal").glob("*.jsonl"))
