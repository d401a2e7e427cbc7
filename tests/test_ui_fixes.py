"""The clean-up screen and split proposals in the terminal editor, on the real package."""

from __future__ import annotations

import unicodedata

import pytest
from textual.widgets import Input, SelectionList

from datami_py.fixes import find_fixes
from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.fixes import FixesScreen, marked, previews
from datami_py.ui.screens.review import ReviewScreen
from datami_py.ui.screens.dialogs import TextDialog
from tests.helpers import git
from tests.test_ui import SIZE, wait_for_main


async def open_fixes(app: DatamiApp, pilot) -> FixesScreen:
    screen = await wait_for_main(app, pilot)
    screen.rows_table.focus()
    await pilot.press("r")
    assert isinstance(app.screen, ReviewScreen)
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(app.screen, FixesScreen)
    return app.screen


@pytest.mark.parametrize(("language", "summary_start"), [("fr", "Retirer les espaces autour des valeurs : "),
                                                         ("en", "Remove the spaces around values: ")])
async def test_fixes_screen_lists_every_cell_before_and_after(package, language, summary_start):
    app = DatamiApp(package, language)
    async with app.run_test(size=SIZE) as pilot:
        fixes_screen = await open_fixes(app, pilot)
        expected = find_fixes(fixes_screen.table, app.screen_stack[1].settings)

        selections = fixes_screen.query_one(SelectionList)
        assert selections.option_count == len(expected)
        assert len(selections.selected) == len(expected)
        assert sorted(fixes_screen.fixes, key=repr) == sorted(expected, key=repr)
        first = str(selections.get_option_at_index(0).prompt)
        assert fixes_screen.fixes[0].field in first
        assert "→" in first
        summary = str(fixes_screen.query_one("#fixes-summary").render())
        assert summary.startswith(summary_start)


async def test_ticked_fixes_become_undoable_edits(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        fixes_screen = await open_fixes(app, pilot)
        table = fixes_screen.table
        fixes = fixes_screen.fixes
        scheme = [index for index, fix in enumerate(fixes) if fix.kind == "scheme"]

        # Untick everything, tick the links without a scheme only (k ticks a whole kind), apply.
        await pilot.press("n")
        selections = fixes_screen.query_one(SelectionList)
        selections.highlighted = scheme[0]
        await pilot.press("k")
        assert sorted(selections.selected) == scheme
        await pilot.press("enter")
        await pilot.pause()

        # A ticked fix gives the value its line shows, earlier fixes of the cell included.
        for index in scheme:
            assert table.cell(fixes[index].row, fixes[index].field) == fixes[index].after
        assert table.is_dirty

        # Each applied fix is one undo step.
        last = fixes[scheme[-1]]
        changed = table.cell(last.row, last.field)
        await pilot.press("ctrl+z")
        assert table.cell(last.row, last.field) != changed


async def test_review_proposes_one_branch_per_kind(package):
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        fixes_screen = await open_fixes(app, pilot)
        fixes = fixes_screen.fixes
        kept = {index for index, fix in enumerate(fixes) if fix.kind in ("scheme", "postcode")}
        selections = fixes_screen.query_one(SelectionList)
        selections.deselect_all()
        for index in kept:
            selections.select(index)
        await pilot.press("enter")
        await pilot.pause()

        await pilot.press("r")
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one(Input).value = "Nettoyage"
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.05)
            if len(git(package, "branch").split()) > 1 and not app.workers:
                break
        await app.workers.wait_for_complete()

    # One link had an outer space as well: its fix trims it too, so it goes with the spaces.
    branches = sorted(git(package, "branch", "--format=%(refname:short)").split())
    assert branches == [
        "datami/nettoyage-ajouter-https-aux-liens",
        "datami/nettoyage-retablir-le-zero-initial-des-codes-postaux",
        "datami/nettoyage-retirer-les-espaces-autour-des-valeurs",
        "main",
    ]
    assert git(package, "status", "--porcelain") == ""


async def test_links_are_checked_on_request(package, github_emulator, monkeypatch):
    from tests.github_emulator import EDITOR_TOKEN
    from tests.test_links import NAME, OWNER, tree_paths

    github_emulator.create_repo(OWNER, NAME, {path: b"" for path in tree_paths()})
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("GITHUB_TOKEN", EDITOR_TOKEN)
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        fixes_screen = await open_fixes(app, pilot)
        assert not any(fix.kind == "links" for fix in fixes_screen.fixes)

        await pilot.press("l")
        for _ in range(200):
            await pilot.pause(0.05)
            if isinstance(app.screen, FixesScreen) and app.screen is not fixes_screen:
                break

        checked = app.screen
        assert isinstance(checked, FixesScreen) and checked.links_checked
        # Of the 32 broken links, the 5 with decomposed accents are already repaired by the nfc fix.
        assert len([fix for fix in checked.fixes if fix.kind == "links"]) == 27


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # A long text that only loses its trailing space: the window ends where the text does.
        ("Le Département du Gers est un département rural qui a lancé un budget participatif ",
         "Le Département du Gers est un département rural qui a lancé un budget participatif",
         ("…ral qui a lancé un budget participatif·", "…ral qui a lancé un budget participatif")),
        (" DC - PN", "DC-PN", ("·DC - PN", "DC-PN")),
        ("www.exemple.fr", "https://www.exemple.fr", ("www.exemple.fr", "https://www.exemple.fr")),
        # A change in the middle of a long text keeps 15 characters before it.
        ("a" * 100 + " b" + "c" * 100, "a" * 100 + "b" + "c" * 100,
         ("…" + "a" * 14 + " b" + "c" * 22 + "…", "…" + "a" * 14 + "b" + "c" * 23 + "…")),
        ("ligne 1\nligne 2 ", "ligne 1\nligne 2", ("ligne 1⏎ligne 2·", "ligne 1⏎ligne 2")),
    ],
)
def test_preview_shows_the_change(before, after, expected):
    assert previews(before, after) == expected


def test_accent_fix_marks_the_letter_it_changes():
    composed = "Enquête grand public"
    decomposed = unicodedata.normalize("NFD", composed)

    before, after = previews(decomposed, composed)

    assert [(span.start, span.end, span.style) for span in marked(before, after).spans] == [(4, 6, "reverse")]
    assert [(span.start, span.end, span.style) for span in marked(after, before).spans] == [(4, 5, "reverse")]
    assert marked(after, before).plain[4] == "ê"
