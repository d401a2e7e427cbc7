"""Snapshots of every screen of the terminal UI, in French and in English, on the real package.

The SVG files under ``tests/__snapshots__/test_ui_snapshots/`` are the accepted screens.
After an intended change of the UI, regenerate them with
``python -m pytest tests/test_ui_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.card_detail import CardDetailScreen
from datami_py.ui.screens.filters import FiltersScreen
from datami_py.ui.screens.help import HelpScreen
from datami_py.ui.screens.load_error import LoadErrorScreen
from datami_py.ui.screens.main import MainScreen
from datami_py.ui.screens.problems import ProblemsScreen
from datami_py.ui.screens.review import ReviewScreen
from datami_py.ui.screens.row_editor import RowEditorScreen
from tests.helpers import REPOSITORY, init_repository
from tests.test_ui import wait_for_main

SIZE = (120, 40)
LANGUAGES = ["fr", "en"]
# In the row editor the focus starts on the first field and Tab follows the schema's
# field order, so the 9th Tab reaches NOM_PORTEUR_PROJET. Focusing an input by Tab
# selects its text, so typing replaces it.
TABS_TO_OWNER = 9
NEW_OWNER = "Conseil du Gers"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """Copy the real package once for the module. No test here saves, so its files never change."""
    folder = tmp_path_factory.mktemp("snapshots") / "package"
    folder.mkdir()
    shutil.copy(REPOSITORY / "datapackage.json", folder)
    shutil.copytree(REPOSITORY / "schemas", folder / "schemas")
    shutil.copytree(REPOSITORY / "data", folder / "data")
    init_repository(folder)
    return folder


@pytest.fixture(autouse=True)
def journal_folder(tmp_path, monkeypatch) -> Path:
    """Point the journal to a new folder per test, so an edit left unsaved by one test is not offered for restore in the next."""
    folder = tmp_path / "journals"
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(folder))
    return folder


async def settle(pilot: Pilot) -> None:
    """Wait for the workers (loading, validation) and stop every blinking cursor, so each run draws the same screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            widget.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_screen_cards(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        # The package opens in a worker, and the cards are its default view.
        screen = await wait_for_main(pilot.app, pilot)
        assert screen.current_view == "cards"
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_screen_table(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_main(pilot.app, pilot)
        # "t" switches to the table view, with the cursor on the first row.
        await pilot.press("t")
        assert screen.current_view == "table"
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_filters_panel(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        await wait_for_main(pilot.app, pilot)
        # "f" opens the filters panel over the cards.
        await pilot.press("f")
        assert isinstance(pilot.app.screen, FiltersScreen)
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_detail_first_row(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        await wait_for_main(pilot.app, pilot)
        # The first card has the focus, so Enter opens its detail card.
        await pilot.press("enter")
        assert isinstance(pilot.app.screen, CardDetailScreen)
        assert pilot.app.screen.row == 0
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_row_editor_first_row(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        await wait_for_main(pilot.app, pilot)
        # "e" opens the row editor on the focused card, the first row.
        await pilot.press("e")
        assert isinstance(pilot.app.screen, RowEditorScreen)
        assert pilot.app.screen.row == 0
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_review_after_one_edit(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_main(pilot.app, pilot)
        # Edit the first row: Tab to the project owner's name, type a new one, Ctrl+S applies it.
        await pilot.press("e")
        await pilot.press(*["tab"] * TABS_TO_OWNER)
        await pilot.press(*NEW_OWNER)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, MainScreen)
        assert screen.table.cell(0, "NOM_PORTEUR_PROJET") == NEW_OWNER
        # Let the validation of the edited table finish, then "r" opens the review.
        await pilot.app.workers.wait_for_complete()
        await pilot.press("r")
        assert isinstance(pilot.app.screen, ReviewScreen)
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_problems_panel(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        await wait_for_main(pilot.app, pilot)
        # "v" lists the errors and warnings once the validation has finished.
        await pilot.app.workers.wait_for_complete()
        await pilot.press("v")
        assert isinstance(pilot.app.screen, ProblemsScreen)
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_screen(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        await wait_for_main(pilot.app, pilot)
        # F1 opens the list of keys.
        await pilot.press("f1")
        assert isinstance(pilot.app.screen, HelpScreen)
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_load_error_screen(snap_compare, tmp_path, monkeypatch, language):
    # A relative folder name keeps the temporary path, which changes each run, out of the message.
    (tmp_path / "sans-paquet").mkdir()
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot: Pilot) -> None:
        # Loading fails in the worker, which then shows the error screen.
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, LoadErrorScreen)
        await settle(pilot)

    assert snap_compare(DatamiApp(Path("sans-paquet"), language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_map_view(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_main(pilot.app, pilot)
        # "m" shows the map; the rows are placed in a worker. "n" selects the first point.
        await pilot.press("m")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("n")
        assert screen.current_view == "map"
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_charts_treemap(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_main(pilot.app, pilot)
        # "g" shows the charts; the package's first chart is a treemap.
        await pilot.press("g")
        assert screen.current_view == "charts"
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_charts_donut(snap_compare, package, language):
    async def run_before(pilot: Pilot) -> None:
        screen = await wait_for_main(pilot.app, pilot)
        # "n" in the charts view moves to the second chart, a donut.
        await pilot.press("g", "n")
        assert screen.current_view == "charts"
        await settle(pilot)

    assert snap_compare(DatamiApp(package, language), terminal_size=SIZE, run_before=run_before)
