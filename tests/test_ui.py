"""Pilot tests of the terminal UI on the real package: search, filter, card, edit, undo, redo, save."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, SelectionList, Static

from datami_py.quality import check_codes
from datami_py.table import query
from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.card_detail import CardDetailScreen
from datami_py.ui.screens.filters import FiltersScreen
from datami_py.ui.screens.load_error import LoadErrorScreen
from datami_py.ui.screens.conflicts import ConflictScreen
from datami_py.ui.screens.dialogs import ChoiceDialog, TextDialog
from datami_py.ui.screens.main import MainScreen
from datami_py.ui.screens.review import ReviewScreen
from datami_py.ui.screens.row_editor import RowEditorScreen
from datami_py.ui.widgets.cards_grid import CardTile
from datami_py.ui.widgets.rows_table import RowsTable
from tests.helpers import git

SIZE = (120, 40)
CSV = "data/decider-ensemble-ressources-geocoded.csv"


async def wait_for_main(app: DatamiApp, pilot) -> MainScreen:
    for _ in range(100):
        await pilot.pause(0.05)
        if isinstance(app.screen, MainScreen):
            await app.workers.wait_for_complete()
            await pilot.pause()
            return app.screen
    raise AssertionError(f"the main screen did not open; screen is {app.screen!r}")


async def test_search_filter_card_edit_undo_redo_save(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        table = screen.table

        # Cards are the package's default view.
        assert screen.current_view == "cards"

        # "/" focuses the search box; typing searches as you type.
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"budget")
        expected = query.search(table, "budget")
        assert screen.view.rows == expected
        assert 0 < len(expected) < len(table)
        await pilot.press("escape")
        screen.query_one("#search", Input).value = ""
        await pilot.pause()
        assert len(screen.view.rows) == len(table)

        # "f" opens the filters; ticking BP keeps the rows whose CODE DEMARCHE has BP.
        screen.rows_table.focus()
        await pilot.press("f")
        assert isinstance(app.screen, FiltersScreen)
        demarche = app.screen.query_one("#filter-1", SelectionList)
        demarche.select("BP")
        await pilot.pause()
        await pilot.press("escape")
        codes = [option.value for option in query.filter_options(table, query.FilterSpec("CODE DEMARCHE"))]
        with_bp = [row for row in table.row_ids if "BP" in check_codes(table.cell(row, "CODE DEMARCHE") or "", codes, "-").codes]
        assert screen.view.rows == with_bp
        status = str(screen.query_one("#status", Static).render())
        assert "CODE DEMARCHE=Budget et financement participatif" in status

        # Enter in the table opens the card of the row under the cursor.
        await pilot.press("t")
        assert isinstance(app.focused, RowsTable)
        row = screen.rows_table.current_row
        await pilot.press("enter")
        assert isinstance(app.screen, CardDetailScreen)
        assert app.screen.row == row

        # "e" in the card opens the editor; a new link is applied as one edit.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RowEditorScreen)
        index = app.screen.names.index("SITE WEB")
        old = table.cell(row, "SITE WEB")
        app.screen.query_one(f"#field-{index}", Input).value = "https://exemple.fr/nouveau"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert table.cell(row, "SITE WEB") == "https://exemple.fr/nouveau"

        # Undo and redo.
        await pilot.press("ctrl+z")
        assert table.cell(row, "SITE WEB") == old
        await pilot.press("ctrl+y")
        assert table.cell(row, "SITE WEB") == "https://exemple.fr/nouveau"

        # Ctrl+S saves: the file diff is exactly the edited line.
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not table.is_dirty
    assert git(package, "diff", "--numstat") == f"1\t1\t{CSV}\n"


async def test_invalid_value_needs_confirmation(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("t", "e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, RowEditorScreen)
        index = editor.names.index("BAN_latitude")
        editor.query_one(f"#field-{index}", Input).value = "quarante-trois"
        await pilot.pause()

        error = str(editor.query_one(f"#field-{index}-error").render())
        assert "n’est pas valide pour ce champ, qui attend : nombre" in error
        await pilot.press("ctrl+s")
        await pilot.pause()
        # A confirmation is asked; cancelling keeps the editor open with the typed text.
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is editor
        assert editor.query_one(f"#field-{index}", Input).value == "quarante-trois"
        assert not screen.table.is_dirty


async def test_unloadable_package_shows_reason(tmp_path):
    app = DatamiApp(tmp_path / "nowhere", "fr")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, LoadErrorScreen):
                break
        assert isinstance(app.screen, LoadErrorScreen)
        assert "n’existe pas" in app.screen.description


async def test_propose_from_review_screen(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        table = screen.table
        row = table.find_row("Co-construction de la révision du Plan Local d'Urbanisme")
        app.editor.set_cell(row, "SITE WEB", "https://mairie.saintmartinduriage.fr")
        screen.refresh_rows()

        # "r" shows the pending change; "p" proposes it; the title dialog comes prefilled.
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one(Input).value = "Corriger le lien de Saint-Martin-d’Uriage"
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, MainScreen) and app.screen is not screen:
                break
        assert isinstance(app.screen, MainScreen)
        assert app.screen is not screen  # The package was read again.

    branches = git(package, "branch", "--list", "datami/*").split()
    assert branches == ["datami/corriger-le-lien-de-saint-martin-duriage"]
    assert git(package, "status", "--porcelain") == ""
    assert git(package, "diff", "--numstat", "main", branches[0]) == f"1\t1\t{CSV}\n"
    assert git(package, "rev-list", "--count", f"main..{branches[0]}") == "1\n"


async def test_conflict_resolved_side_by_side(tmp_path, github_emulator, monkeypatch):
    from tests.github_emulator import EDITOR_TOKEN
    from tests.test_propose_github_cli import package_files

    github_emulator.create_repo("decider-ensemble", "donnees", package_files())
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(github_emulator.bare_path("decider-ensemble", "donnees")), str(clone))
    monkeypatch.setenv("GITHUB_TOKEN", EDITOR_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setattr("datami_py.ui.screens.main.github_repository", lambda root: "decider-ensemble/donnees")

    # Someone else changes the same cell upstream after the editor's clone.
    key = "Co-construction de la révision du Plan Local d'Urbanisme"
    original = (clone / CSV).read_bytes()
    upstream = original.replace(b",mairie.saintmartinduriage.fr,", b",https://www.saintmartinduriage.fr,", 1)
    assert upstream != original
    github_emulator.commit_files("decider-ensemble", "donnees", "main", {CSV: upstream}, "Fix the link upstream")

    app = DatamiApp(clone, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        row = screen.table.find_row(key)
        app.editor.set_cell(row, "SITE WEB", "https://mairie.saintmartinduriage.fr")
        screen.start_proposal()
        await pilot.pause()
        await pilot.press("enter")  # Accept the default title.
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ConflictScreen):
                break
        conflicts = app.screen
        assert isinstance(conflicts, ConflictScreen)
        assert [(conflict.key, conflict.field, conflict.ours, conflict.theirs) for _, conflict in conflicts.items] == [
            (key + " ", "SITE WEB", "https://mairie.saintmartinduriage.fr", "https://www.saintmartinduriage.fr")
        ]

        # Keep the editor's value ("o"), then propose (Enter).
        await pilot.press("o", "enter")
        for _ in range(400):
            await pilot.pause(0.05)
            if github_emulator.pulls("decider-ensemble", "donnees"):
                break

    pulls = github_emulator.pulls("decider-ensemble", "donnees")
    assert len(pulls) == 1
    proposed = github_emulator.read_file("decider-ensemble", "donnees", pulls[0]["head"]["sha"], CSV)
    assert proposed == upstream.replace(b",https://www.saintmartinduriage.fr,", b",https://mairie.saintmartinduriage.fr,", 1)


async def test_escape_leaves_search_box(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("slash", *"budget", "escape")

        assert not isinstance(app.focused, Input)
        assert screen.query_one("#search", Input).value == "budget"
        await pilot.press("t")
        assert screen.current_view == "table"


async def test_review_shows_saved_edits_not_proposed(package):
    from textual.widgets import DataTable

    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        row = screen.table.find_row("Co-construction de la révision du Plan Local d'Urbanisme")
        app.editor.set_cell(row, "SITE WEB", "https://mairie.saintmartinduriage.fr")
        screen.rows_table.focus()
        await pilot.press("ctrl+s", "r")
        await pilot.pause()

        assert isinstance(app.screen, ReviewScreen)
        changes = app.screen.query_one("#changes", DataTable)
        assert changes.row_count == 1
        # Long values are cut in the table; the line under it shows the highlighted change whole.
        assert changes.get_row_at(0)[2:] == ["SITE WEB", "mairie.saintmartinduriage.fr", "https://mairie.saintmartinduria…"]
        detail = str(app.screen.query_one("#change-detail", Static).render())
        assert detail == "SITE WEB: “mairie.saintmartinduriage.fr” → “https://mairie.saintmartinduriage.fr”"


async def test_quit_without_saving_sets_journal_aside(package, tmp_path, monkeypatch):
    from datami_py.ui.screens.dialogs import ChoiceDialog

    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        app.editor.set_cell(screen.table.find_row("Co-construction de la révision du Plan Local d'Urbanisme"), "SOURCE", "x")
        journal = app.editor.journal.path
        screen.rows_table.focus()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        app.screen.dismiss("quit")
        await pilot.pause()

    assert not journal.exists()
    assert len(list(journal.parent.glob("*.discarded"))) == 1


async def test_filters_take_space_at_once(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)

        # The first filter's list has the focus, so Space ticks its first value straight away.
        await pilot.press("f")
        await pilot.press("space")
        await pilot.pause()

        assert isinstance(app.screen, FiltersScreen)
        first = app.screen.query_one("#filter-0", SelectionList)
        assert first.has_focus
        assert len(first.selected) == 1
        assert len(screen.view.rows) < len(screen.table)


async def test_escape_asks_before_dropping_typed_text(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        row = screen.rows_table.current_row
        before = screen.table.record(row)

        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, RowEditorScreen)
        await pilot.press(*"abc")
        await pilot.press("escape")
        await pilot.pause()

        # The question names the changed field; Escape or "Continuer la saisie" goes back to the form.
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert dialog.question == f"Vous avez modifié {editor.names[0]}. Fermer le formulaire sans appliquer ces modifications ?"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is editor
        assert editor.values()[editor.names[0]].endswith("abc")

        # "Fermer sans appliquer" closes the form and changes nothing.
        await pilot.press("escape")
        await pilot.pause()
        app.screen.query_one("#discard", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert screen.table.record(row) == before
        assert not screen.table.is_dirty


async def test_escape_closes_an_untouched_form_at_once(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        assert isinstance(app.screen, MainScreen)


async def test_card_stays_selected_after_an_edit(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        second = list(screen.query(CardTile))[1]
        second.focus()
        await pilot.pause()

        # Edit the second card's first field and apply: the cards are redrawn.
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.row == second.row
        await pilot.press(*"X")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

        # "e" again opens the same row, not the first card of the page.
        assert screen.current_row() == second.row
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RowEditorScreen)
        assert app.screen.row == second.row


async def test_command_palette_speaks_french(package):
    from textual.command import CommandInput, CommandPalette

    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)

        await pilot.press("ctrl+p")
        await pilot.pause(0.3)

        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(CommandInput).placeholder == "Tapez le nom d’une action…"
        commands = [command.title for command in app.get_system_commands(app.screen)]
        assert commands == ["Couleurs"]


async def test_propose_with_nothing_changed_asks_no_title(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)

        await pilot.press("r")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()

        assert app.screen is screen
        assert [notice.message for notice in app._notifications][-1] == (
            "Aucune modification depuis la dernière version enregistrée dans Git : il n’y a rien à proposer.")
