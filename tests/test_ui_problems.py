"""Pilot tests of the validation panel (v) on the real package."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.fixes import FixesScreen
from datami_py.ui.screens.main import MainScreen
from datami_py.ui.screens.problems import ProblemsScreen
from datami_py.ui.screens.row_editor import RowEditorScreen
from tests.helpers import copy_case
from tests.test_ui import SIZE, wait_for_main


def listed(screen: ProblemsScreen) -> list[list[str]]:
    table = screen.query_one("#problems", DataTable)
    return [[str(value) for value in table.get_row_at(index)] for index in range(table.row_count)]


async def test_filter_then_open_the_row_at_its_field(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)
        assert main.report is not None

        await pilot.press("v")
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, ProblemsScreen)
        assert len(listed(panel)) == 753
        assert str(panel.query_one("#problems-summary", Static).render()) == "0 erreur(s), 753 avertissement(s) · 753 listé(s)"

        # The filter ignores case and accents: "departement 34" finds the three points in Montpellier.
        panel.query_one("#problems-filter", Input).value = "departement 34"
        await pilot.pause()
        rows = listed(panel)
        assert [(row[1], row[3]) for row in rows] == [("5", "BAN_latitude"), ("26", "BAN_latitude"), ("70", "BAN_latitude")]
        assert str(panel.query_one("#problems-detail", Static).render()) == (
            "data/decider-ensemble-ressources-geocoded.csv, ligne 5 (clé « Nudge participatif : une démarche expérimentale "
            "pour améliorer la sécurité des franchissements aux passages à niveau  »), champ « BAN_latitude »\u00a0: Le point est "
            "dans le département 34, mais CODE_POSTAL indique 93. Vérifiez les coordonnées, ou lancez datami geocode.")

        # Enter opens the row editor of row 5, at the field of the problem.
        panel.query_one("#problems", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        editor = app.screen
        assert isinstance(editor, RowEditorScreen)
        assert editor.row == main.table.row_at(5)
        assert editor.focused is not None
        assert editor.names[int(editor.focused.id.rsplit("-", 1)[1])] == "BAN_latitude"


async def test_x_opens_the_clean_ups(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)

        await pilot.press("v")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()

        assert isinstance(app.screen, FixesScreen)


async def test_row_deleted_since_the_validation_is_not_opened(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        main = await wait_for_main(app, pilot)
        # Deleted without going through the screen, so the report still lists the row.
        main.app.editor.delete_row(main.table.row_at(1))

        await pilot.press("v")
        await pilot.pause()
        assert listed(app.screen)[0][1:3] == ["1", "Budget Participatif Gersois"]
        await pilot.press("enter")
        await pilot.pause()

        assert isinstance(app.screen, MainScreen)
        assert [notice.message for notice in app._notifications][-1] == "That row was deleted since the validation."


async def test_valid_table_panel_ignores_slash(tmp_path):
    folder = copy_case("B03", tmp_path)
    app = DatamiApp(folder, "en")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_main(app, pilot)

        await pilot.press("v")
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()

        assert isinstance(app.screen, ProblemsScreen)
        assert str(app.screen.query_one("#problems-summary", Static).render()) == "No error and no warning: the table is valid."
