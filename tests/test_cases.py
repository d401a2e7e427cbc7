"""The failure cases rebuilt from real bug reports, each with its exact expected outcome.

Row numbers in the cases' expected.md count the header as row 1; the product shows data
row numbers (first data row = 1), so "row 4" there is data row 3 here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from datami_py.errors import DatamiError
from datami_py.session import Session
from tests.helpers import copy_case

CONTROL_CHARACTERS = {chr(code) for code in range(0x80, 0xA0)} | {"\ufffd"}


def edit_and_save(case: Path, key: str | int, values: dict[str, str]) -> bytes:
    """Edit one row, chosen by key (text) or data row number (int), save, and return the file."""
    session = Session.open(case)
    table = session.table()
    row = table.row_at(key) if isinstance(key, int) else table.find_row(key)
    for name, text in values.items():
        assert not session.check_value(table, row, name, text)
        table.set_cell(row, name, text)
    written = session.save()
    assert written is not None
    return written.read_bytes()


@pytest.mark.parametrize("case, data_file", [
    ("B01", "communes.csv"),
    ("B03", "equipements.csv"),
    ("B04", "mesures.csv"),
    ("B06", "adresses.csv"),
    ("B07", "communes.csv"),
    ("B10", "communes.csv"),
    ("B13", "actions.csv"),
    ("B14", "lieux.csv"),
    ("B19", "associations.csv"),
])
def test_open_then_render_is_byte_identical(tmp_path, case, data_file):
    folder = copy_case(case, tmp_path)
    session = Session.open(folder / data_file if case == "B19" else folder)
    table = session.table()

    assert table.render() == (folder / data_file).read_bytes()
    assert session.save() is None


def test_b01_cp1252_values(tmp_path):
    folder = copy_case("B01", tmp_path)
    table = Session.open(folder).table()

    assert table.document.encoding.name == "cp1252"
    assert table.cell(table.find_row("45234"), "commentaire") == "Cœur de ville – rénovation de l’hôtel de ville"
    assert table.cell(table.find_row("59350"), "commentaire") == "« Fête » des œufs, budget 200 €"
    assert table.cell(table.find_row("2A004"), "commentaire") == "Façade peinte l’été"
    for row in table.row_ids:
        for text in table.record(row).values():
            assert not CONTROL_CHARACTERS & set(text or "")


def test_b01_edit_keeps_cp1252(tmp_path):
    folder = copy_case("B01", tmp_path)

    written = edit_and_save(folder, "59350", {"montant": "250"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()


def test_b01_unencodable_character_refused(tmp_path):
    folder = copy_case("B01", tmp_path)
    original = (folder / "communes.csv").read_bytes()
    session = Session.open(folder)
    table = session.table()
    row = table.find_row("45234")
    table.set_cell(row, "commentaire", "Avant → après")

    with pytest.raises(DatamiError) as raised:
        session.save()

    assert raised.value.code == "csv.unencodable"
    assert raised.value.params["character"] == "→"
    assert raised.value.location.field == "commentaire"
    assert raised.value.location.row == 1
    assert (folder / "communes.csv").read_bytes() == original
    assert table.cell(row, "commentaire") == "Avant → après"


def test_b03_bom_is_not_in_label(tmp_path):
    folder = copy_case("B03", tmp_path)
    session = Session.open(folder)
    table = session.table()

    assert table.document.header[0] == "code_insee"
    assert session.validate().findings == []


def test_b03_edit_keeps_one_bom(tmp_path):
    folder = copy_case("B03", tmp_path)

    written = edit_and_save(folder, "29019", {"type_equipement": "Piscine olympique"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()
    assert written.count(b"\xef\xbb\xbf") == 1


def test_b04_decimal_comma_values(tmp_path):
    folder = copy_case("B04", tmp_path)
    session = Session.open(folder)
    table = session.table()

    def typed(number):
        return session.typed_record(table, table.row_at(number))

    # B04 has no primary key: ST01 to ST04 are data rows 1 to 4.
    assert typed(1)["temperature"] == 12.5
    assert typed(1)["precipitations"] == 0.75
    assert typed(2)["temperature"] == -3.2
    assert typed(2)["precipitations"] == 10
    assert typed(3)["temperature"] == 21
    assert typed(3)["precipitations"] == 0.0
    assert typed(4)["temperature"] == "1.234"
    assert typed(4)["precipitations"] == 2


def test_b04_dot_is_one_type_error(tmp_path):
    folder = copy_case("B04", tmp_path)

    findings = Session.open(folder).validate().findings

    assert [(item.code, item.location.row, item.location.field) for item in findings] == [("value.type", 4, "temperature")]


def test_b04_edit_writes_decimal_comma(tmp_path):
    folder = copy_case("B04", tmp_path)

    written = edit_and_save(folder, 2, {"temperature": "-3,5"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()


def test_b06_quoted_line_breaks(tmp_path):
    folder = copy_case("B06", tmp_path)
    table = Session.open(folder).table()

    assert len(table) == 3
    assert table.cell(table.find_row("1"), "adresse") == "12 rue des Écoles\nBâtiment B"
    assert table.cell(table.find_row("3"), "adresse") == "3 avenue Jean-Jaurès\r\n2e étage"
    assert table.cell(table.find_row("3"), "nom") == "Mairie annexe, quartier Sud"
    assert table.cell(table.find_row("2"), "horaires") == ""


def test_b06_edit_keeps_line_endings(tmp_path):
    folder = copy_case("B06", tmp_path)

    written = edit_and_save(folder, "2", {"horaires": "10h-17h"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()
    assert b"\r\r\n" not in written


def test_b07_header_report_and_binding_by_name(tmp_path):
    folder = copy_case("B07", tmp_path)
    session = Session.open(folder)
    table = session.table()
    report = session.validate()

    header = [(item.code, item.params["column"]) for item in report.findings if item.code.startswith("header.")]
    assert header == [("header.label-mismatch", 1), ("header.label-renamed", 2), ("header.label-renamed", 3)]
    assert [item for item in report.findings if not item.code.startswith("header.")] == []
    assert table.cell(table.row_at(1), "code_commune") == "45234"
    assert table.cell(table.row_at(1), "nom_commune") is None


def test_b07_save_keeps_header_line(tmp_path):
    folder = copy_case("B07", tmp_path)
    original_header = (folder / "communes.csv").read_bytes().split(b"\n")[0]
    session = Session.open(folder)
    table = session.table()
    table.set_cell(table.row_at(1), "population", "117027")

    written = session.save().read_bytes()

    assert written.split(b"\n")[0] == original_header


def test_b10_one_duplicate_key_finding(tmp_path):
    folder = copy_case("B10", tmp_path)

    findings = Session.open(folder).validate().findings

    assert [(item.code, item.location.row, item.location.key, item.params) for item in findings] == [
        ("row.duplicate-key", 3, "45234", {"other_row": 1})
    ]


def test_b10_edit_to_duplicate_is_flagged(tmp_path):
    folder = copy_case("B10", tmp_path)
    session = Session.open(folder)
    table = session.table()

    findings = session.check_value(table, table.find_row("37261"), "code_insee", "41018")

    assert [(item.code, item.params["other_row"]) for item in findings] == [("row.duplicate-key", 4)]


def test_b10_fixing_key_clears_finding(tmp_path):
    folder = copy_case("B10", tmp_path)
    original = (folder / "communes.csv").read_bytes().split(b"\n")
    session = Session.open(folder)
    table = session.table()
    table.set_cell(table.row_at(3), "code_insee", "45235")

    assert session.validate().findings == []
    written = session.save().read_bytes().split(b"\n")
    assert [index for index, line in enumerate(written) if line != original[index]] == [3]


def test_b13_codes_split_by_vocabulary(tmp_path):
    folder = copy_case("B13", tmp_path)
    session = Session.open(folder)
    table = session.table()

    labels = {key: session.typed_record(table, table.find_row(key))["labels"] for key in "12345"}

    assert labels == {"1": ["AC", "DEP"], "2": ["DEP"], "3": ["Cœur-de-ville", "AC"], "4": None, "5": ["QPV", "Cœur-de-ville"]}
    assert session.typed_record(table, table.find_row("2"))["commune"] == "Saint-Jean-de-Braye"
    assert session.validate().findings == []


def test_b13_edit_tags(tmp_path):
    folder = copy_case("B13", tmp_path)

    edit_and_save(folder, "3", {"labels": "Cœur-de-ville"})
    written = edit_and_save(folder, "4", {"labels": "DEP"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()


def test_b14_partial_coordinates_flagged(tmp_path):
    folder = copy_case("B14", tmp_path)

    findings = Session.open(folder).validate().findings

    assert [(item.code, item.location.key) for item in findings] == [
        ("row.no-position", "2"),
        ("quality.coordinates-latitude-only", "3"),
        ("row.no-position", "4"),
    ]


def test_b14_edit_fills_coordinates(tmp_path):
    folder = copy_case("B14", tmp_path)

    written = edit_and_save(folder, "2", {"latitude": "47.9087", "longitude": "1.9166"})

    assert written == (folder / "expected_after_edit.csv").read_bytes()


def test_b19_quote_all_values(tmp_path):
    folder = copy_case("B19", tmp_path)
    table = Session.open(folder / "associations.csv").table()

    assert table.cell(table.row_at(2), "nom") == "Club « Entre’Aide »"
    assert table.cell(table.row_at(3), "nom") == 'Théâtre "La Fabrique"'


def test_b19_edit_keeps_quoting_style(tmp_path):
    folder = copy_case("B19", tmp_path)
    session = Session.open(folder / "associations.csv")
    table = session.table()
    table.set_cell(table.row_at(2), "subvention", "350")

    written = session.save().read_bytes()

    assert written == (folder / "expected_after_edit.csv").read_bytes()


def test_b19_added_row_gets_line_break_and_quotes(tmp_path):
    folder = copy_case("B19", tmp_path)
    original = (folder / "associations.csv").read_bytes()
    session = Session.open(folder / "associations.csv")
    table = session.table()
    table.add_row({"id": "4", "nom": "Nouvelle", "ville": "Tours", "subvention": "10"})

    written = session.save().read_bytes()

    assert written == original + b'\n"4","Nouvelle","Tours","10"'
