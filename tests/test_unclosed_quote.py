"""A quoted cell of the real file that lost its closing quote, and rows with extra cells.

When a closing quote is removed, the quoted value runs on to the next quote character
of the file, over delimiters and line breaks. Usually that quote is followed by text,
and the file cannot be read. When it is followed by a delimiter (below, a stray quote
typed at the end of a title on the next line), the file reads, and one record gets far
more cells than the header. Both cases must name the row, the cell where the quote
opens and the lines of the file involved, and never advise deleting cells.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from datami_py.errors import DatamiError, describe
from datami_py.session import Session
from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.load_error import LoadErrorScreen
from datami_py.ui.screens.main import MainScreen
from tests.helpers import copy_real_package
from tests.test_ui import SIZE, wait_for_main

DATAMI = [sys.executable, "-c", "from datami_py.cli import main; main()"]
CSV = "data/decider-ensemble-ressources-geocoded.csv"

# Row 2's ÉTAPES cell (cell 20) is quoted and contains commas. Its closing quote ends
# "…caractère voulus pour la ville" on line 3 of the file.
ROW_2_CLOSED = b'voulus pour la ville",2.LogoCastillon.png'
ROW_2_UNCLOSED = b"voulus pour la ville,2.LogoCastillon.png"
# Row 3's title, on line 4, unquoted.
ROW_3_TITLE = "Vers un écosystème démocratique,".encode()
ROW_3_TITLE_STRAY_QUOTE = 'Vers un écosystème démocratique",'.encode()

ROW_2_KEY = "Faire preuve de caractère ! Projet de renouveau du centre-ville de Castillon-la-Bataille"

UNREADABLE_FR = (
    f"Erreur\u00a0: {CSV}, ligne 2, champ « ÉTAPES »\u00a0: La valeur entre guillemets qui commence à la cellule 20 "
    "de cette ligne semble ne pas avoir de guillemet fermant : elle continue sur les lignes 3 à 10 du fichier, "
    "jusqu’au guillemet suivant, si bien que le fichier ne peut pas être lu. Dans un éditeur de texte, "
    "vérifiez que le guillemet (\") qui ouvre cette cellule est bien refermé à la fin de sa valeur. "
    "Le fichier n’a pas été modifié.\n"
)
UNREADABLE_EN = (
    f'Error: {CSV}, row 2, field "ÉTAPES": The quoted value that starts in cell 20 of this row seems to have '
    "no closing quote: it runs on over lines 3 to 10 of the file, up to the next quote, so the file cannot be read. "
    "In a text editor, check that the quote (\") that opens this cell is closed at the end of its value. "
    "Nothing was changed in the file.\n"
)
SWALLOWED_FR = (
    f"{CSV}, ligne 2 (clé « {ROW_2_KEY} »), champ « ÉTAPES »\u00a0: Cette ligne a 47 cellules au lieu de 34, "
    "car la valeur entre guillemets qui commence à la cellule 20 semble ne pas avoir de guillemet fermant : "
    "elle continue jusqu’au guillemet suivant et englobe les séparateurs et les sauts de ligne des lignes 3 à 4 "
    "du fichier. Dans un éditeur de texte, vérifiez que le guillemet (\") qui ouvre cette cellule est bien "
    "refermé à la fin de sa valeur. Aucune cellule n’est supprimée."
)
SWALLOWED_EN = (
    f'{CSV}, row 2 (key "{ROW_2_KEY}"), field "ÉTAPES": This row has 47 cells instead of 34 because the quoted '
    "value that starts in cell 20 seems to have no closing quote: it runs on up to the next quote, taking in the "
    "delimiters and line breaks of lines 3 to 4 of the file. In a text editor, check that the quote (\") that "
    "opens this cell is closed at the end of its value. No cell is deleted."
)
EXTRA_FR = (
    f"{CSV}, ligne 1 (clé « Budget Participatif Gersois »)\u00a0: Cette ligne a 35 cellules alors que l’en-tête en a 34 : "
    "la cellule 35 n’a pas de colonne. Cherchez dans cette ligne une valeur qui contient un séparateur sans être "
    "entre guillemets, ou un guillemet manquant, et corrigez-la dans un éditeur de texte. Aucune cellule n’est supprimée."
)
EXTRA_EN = (
    f'{CSV}, row 1 (key "Budget Participatif Gersois"): This row has 35 cells but the header has 34: cell 35 has '
    "no column. Look in this row for a value that contains a delimiter but has no quotes, or for a missing quote, "
    "and correct it in a text editor. No cell is deleted."
)


def _replace_once(package: Path, old: bytes, new: bytes) -> bytes:
    """Replace the only occurrence of ``old`` in the package's CSV file; return the new bytes."""
    path = package / CSV
    data = path.read_bytes()
    assert data.count(old) == 1
    data = data.replace(old, new)
    path.write_bytes(data)
    return data


def _datami(package: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([*DATAMI, *arguments], cwd=package, capture_output=True, text=True)


@pytest.fixture
def unreadable(tmp_path: Path) -> Path:
    """The real package with the closing quote of row 2's ÉTAPES cell removed."""
    package = copy_real_package(tmp_path)
    _replace_once(package, ROW_2_CLOSED, ROW_2_UNCLOSED)
    return package


@pytest.fixture
def swallowed(tmp_path: Path) -> Path:
    """The real package where row 2's unclosed quote is closed by a stray quote on the next line."""
    package = copy_real_package(tmp_path)
    _replace_once(package, ROW_2_CLOSED, ROW_2_UNCLOSED)
    _replace_once(package, ROW_3_TITLE, ROW_3_TITLE_STRAY_QUOTE)
    return package


@pytest.fixture
def one_extra_cell(tmp_path: Path) -> Path:
    """The real package where row 1's COMMUNE gained an unquoted comma."""
    package = copy_real_package(tmp_path)
    _replace_once(package, b",AUCH,Laur", b",AUCH, Gers,Laur")
    return package


def test_unreadable_file_names_quote_cell_and_lines(unreadable):
    with pytest.raises(DatamiError) as raised:
        Session.open(unreadable).validate()

    assert raised.value.code == "csv.quote-not-closed"
    assert describe(raised.value, "fr") + "\n" == UNREADABLE_FR.removeprefix("Erreur\u00a0: ")
    assert describe(raised.value, "en") + "\n" == UNREADABLE_EN.removeprefix("Error: ")


def test_unreadable_file_cli_fr_and_en(unreadable):
    french = _datami(unreadable, "validate", "--lang", "fr")
    english = _datami(unreadable, "validate", "--lang", "en")

    assert french.returncode == 2
    assert french.stderr == UNREADABLE_FR
    assert french.stdout == ""
    assert english.returncode == 2
    assert english.stderr == UNREADABLE_EN


def test_unreadable_file_left_unchanged(unreadable):
    before = (unreadable / CSV).read_bytes()

    _datami(unreadable, "validate", "--lang", "fr")

    assert (unreadable / CSV).read_bytes() == before


def test_swallowed_rows_reported_once(swallowed):
    report = Session.open(swallowed).validate()

    structure = [finding for finding in report.errors if finding.code.startswith("row.")]
    assert [finding.code for finding in structure] == ["row.unclosed-quote"]
    finding = structure[0]
    assert finding.location.row == 2
    assert finding.location.field == "ÉTAPES"
    assert finding.params == {"count": 47, "expected": 34, "column": 20, "first_line": 3, "last_line": 4}


def test_swallowed_rows_cli_fr_and_en(swallowed):
    french = _datami(swallowed, "validate", "--lang", "fr")
    english = _datami(swallowed, "validate", "--lang", "en")

    assert french.returncode == 1
    french_lines = french.stdout.splitlines()
    assert f"  - {SWALLOWED_FR}" in french_lines
    assert [line for line in french_lines if "cellules" in line] == [f"  - {SWALLOWED_FR}"]
    assert "Supprimez" not in french.stdout.split("Avertissements")[0]

    assert english.returncode == 1
    english_lines = english.stdout.splitlines()
    assert [line for line in english_lines if " cells " in line] == [f"  - {SWALLOWED_EN}"]


def test_one_extra_cell_fr_and_en(one_extra_cell):
    report = Session.open(one_extra_cell).validate()
    structure = [finding for finding in report.errors if finding.code.startswith("row.")]
    assert [finding.code for finding in structure] == ["row.extra-cell"]
    assert describe(structure[0], "fr") == EXTRA_FR
    assert describe(structure[0], "en") == EXTRA_EN

    french = _datami(one_extra_cell, "validate", "--lang", "fr")
    assert [line for line in french.stdout.splitlines() if "cellules" in line] == [f"  - {EXTRA_FR}"]
    english = _datami(one_extra_cell, "validate", "--lang", "en")
    assert [line for line in english.stdout.splitlines() if " cells " in line] == [f"  - {EXTRA_EN}"]


def test_several_extra_cells_one_finding(tmp_path):
    package = copy_real_package(tmp_path)
    _replace_once(package, b",AUCH,Laur", b",AUCH, Gers, Occitanie, France,Laur")

    report = Session.open(package).validate()

    structure = [finding for finding in report.errors if finding.code.startswith("row.")]
    assert [finding.code for finding in structure] == ["row.extra-cells"]
    assert describe(structure[0], "en") == (
        f'{CSV}, row 1 (key "Budget Participatif Gersois"): This row has 37 cells but the header has 34: '
        "cells 35 to 37 have no column. Look in this row for a value that contains a delimiter but has no quotes, "
        "or for a missing quote, and correct it in a text editor. No cell is deleted."
    )
    assert describe(structure[0], "fr") == (
        f"{CSV}, ligne 1 (clé « Budget Participatif Gersois »)\u00a0: Cette ligne a 37 cellules alors que l’en-tête en a 34 : "
        "les cellules 35 à 37 n’ont pas de colonne. Cherchez dans cette ligne une valeur qui contient un séparateur "
        "sans être entre guillemets, ou un guillemet manquant, et corrigez-la dans un éditeur de texte. "
        "Aucune cellule n’est supprimée."
    )


def test_swallowed_rows_saved_byte_for_byte(swallowed):
    original = (swallowed / CSV).read_bytes()
    session = Session.open(swallowed)
    table = session.table()
    row = table.row_at(49)
    old = table.cell(row, "COMMUNE")
    assert original.count(f",{old},".encode()) == 1

    table.set_cell(row, "COMMUNE", old + " centre")
    written = session.save().read_bytes()

    expected = original.replace(f",{old},".encode(), f",{old} centre,".encode())
    assert written == expected
    assert session.table().document.cells.width(1) == 47


async def test_ui_opens_swallowed_rows(swallowed):
    app = DatamiApp(swallowed, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)

        assert isinstance(screen, MainScreen)
        assert len(screen.table) == 100


async def test_ui_explains_unreadable_file(unreadable):
    app = DatamiApp(unreadable, "fr")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if isinstance(app.screen, LoadErrorScreen):
                break

        assert isinstance(app.screen, LoadErrorScreen)
        assert app.screen.description + "\n" == UNREADABLE_FR.removeprefix("Erreur\u00a0: ")
