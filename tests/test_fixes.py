"""Clean-up fixes on the real Décider Ensemble package and on small tables.

Expected counts are computed here with plain Python over the CSV (csv, str.strip,
unicodedata), independently of datami_py's quality checks.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from datami_py.csvfile import CsvDocument
from datami_py.errors import DatamiError
from datami_py.fixes import KINDS, Fix, apply_chosen_fixes, apply_fixes, count_fixes, find_fixes
from datami_py.journal import JournaledTable
from datami_py.session import Session
from datami_py.table import Table
from tests.helpers import git

CSV = "data/decider-ensemble-ressources-geocoded.csv"
SCHEMA = "schemas/decider-ensemble-ressources.json"
KEY = "TITRE DU PROJET"
CODE_FIELDS = ("CODE PORTEUR DE PROJET", "CODE DEMARCHE", "CODE THEMATIQUE")
LINK_FIELDS = ("SITE WEB", "LIEN PDF PROTEGE", "LOGO URL")


@pytest.fixture
def journal_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "journals"
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(folder))
    return folder


def run(folder: Path, *arguments: str, language: str = "en_GB.UTF-8") -> subprocess.CompletedProcess:
    """Run ``datami`` with the fix command registered, as the finished program will."""
    code = "from datami_py.cli import cli; from datami_py.cli_fix import fix; cli.add_command(fix); cli(prog_name='datami')"
    # The links kind lists repository files on GitHub; a closed port of 127.0.0.1 keeps it offline.
    environment = {"LANG": language, "PATH": "/usr/bin:/bin", "GITHUB_API_URL": "http://127.0.0.1:9"}
    return subprocess.run([sys.executable, "-c", code, *arguments], cwd=folder, capture_output=True, text=True, env=environment)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def text_columns(folder: Path) -> list[str]:
    """Columns the schema types as string or list: the ones checked as text."""
    schema = json.loads((folder / SCHEMA).read_text(encoding="utf-8"))
    return [item["name"] for item in schema["fields"] if item.get("type", "string") in ("string", "list")]


def changed_cells(before: Path, after: Path) -> dict[tuple[int, str], tuple[str, str]]:
    header, old_rows = read_rows(before)
    new_header, new_rows = read_rows(after)
    assert new_header == header
    assert len(new_rows) == len(old_rows)
    changes = {}
    for index, (old, new) in enumerate(zip(old_rows, new_rows)):
        for name, old_value, new_value in zip(header, old, new):
            if old_value != new_value:
                changes[(index, name)] = (old_value, new_value)
    return changes


def numstat(folder: Path) -> tuple[int, int]:
    output = git(folder, "diff", "--numstat").strip()
    added, deleted, path = output.split("\t")
    assert path == CSV
    return int(added), int(deleted)


# ---------------------------------------------------------------------------------------------
# Counts on the real package
# ---------------------------------------------------------------------------------------------


def expected_counts(folder: Path) -> dict[str, int]:
    header, rows = read_rows(folder / CSV)
    columns = set(text_columns(folder))
    cells = [(index, name, value) for index, row in enumerate(rows) for name, value in zip(header, row)]

    trim = sum(1 for _, name, value in cells if name in columns and value != value.strip())
    nfc = sum(1 for _, name, value in cells if name in columns and not unicodedata.is_normalized("NFC", value))
    codes = sum(
        1
        for _, name, value in cells
        if name in CODE_FIELDS and value.strip() and re.sub(r"\s*-\s*", "-", value.strip()) != value.strip()
    )
    scheme = sum(
        1
        for _, name, value in cells
        if name in LINK_FIELDS and value.strip() and not value.strip().lower().startswith(("http://", "https://"))
    )
    postcode = 0
    for row in rows:
        record = dict(zip(header, row))
        if re.fullmatch(r"\d{4}", record["CODE_POSTAL"]) and record["BAN_depcode"] == "0" + record["CODE_POSTAL"][0]:
            postcode += 1
    return {"trim": trim, "nfc": nfc, "codes": codes, "scheme": scheme, "postcode": postcode}


def test_real_data_counts(package):
    counts = expected_counts(package)

    # Every one of the 612 cells with outer spaces is in a string or list column, and
    # none is only spaces, so trim changes all 612 of them.
    assert counts == {"trim": 612, "nfc": 118, "codes": 13, "scheme": 2, "postcode": 1}
    header, rows = read_rows(package / CSV)
    assert sum(1 for row in rows for value in row if value != value.strip()) == 612
    assert sum(1 for row in rows if any(not unicodedata.is_normalized("NFC", value) for value in row)) == 47

    # The 4-digit postcode is Lavelanet's, in Ariège (09), not in Seine-Saint-Denis (93).
    record = next(dict(zip(header, row)) for row in rows if row[header.index("CODE_POSTAL")] == "9300")
    assert (record["COMMUNE"], record["BAN_postcode"], record["BAN_depcode"]) == ("LAVELANET", "09300", "09")


def test_count_fixes_matches_plain_python(package):
    session = Session.open(package)
    opened = session.open_table()

    assert count_fixes(opened.table, opened.resource.settings) == expected_counts(package)


def test_list_prints_each_kind_with_count(package):
    completed = run(package, "fix", "--list")

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines] == list(KINDS) + ["regeocode"]
    for kind, count in expected_counts(package).items():
        assert any(line.startswith(f"{kind} ({count} cell(s)): ") for line in lines), kind
    # Six points lie outside the département of their postcode: two coordinates each.
    assert any(line.startswith("regeocode (12 cell(s)): ") for line in lines)


def test_list_in_french(package):
    completed = run(package, "fix", "--list", "--lang", "fr")

    assert completed.returncode == 0, completed.stderr
    assert "trim (612 cellule(s)) : Supprimer les espaces" in completed.stdout


def test_unknown_kind_is_one_translated_line(package):
    completed = run(package, "fix", "tidy", language="fr_FR.UTF-8")

    assert completed.returncode == 1
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("Erreur : « tidy » n’est pas un type de correction.")
    assert git(package, "status", "--porcelain") == ""


def test_list_with_missing_package(package):
    completed = run(package, "fix", "no-such-folder", "--list")

    assert completed.returncode == 1
    assert completed.stderr.startswith("Error: no-such-folder does not exist.")


def test_missing_kind_is_reported(package):
    completed = run(package, "fix")

    assert completed.returncode == 1
    assert "Name the fixes to apply" in completed.stderr


# ---------------------------------------------------------------------------------------------
# Applying on the real package
# ---------------------------------------------------------------------------------------------


def test_dry_run_writes_nothing(package):
    completed = run(package, "fix", "scheme", "--dry-run")

    assert completed.returncode == 0, completed.stderr
    assert "“mairie.saintmartinduriage.fr” → “https://mairie.saintmartinduriage.fr”" in completed.stdout
    assert completed.stdout.rstrip().endswith("Nothing was written (--dry-run): 2 change(s) proposed.")
    assert git(package, "status", "--porcelain") == ""


def test_trim_changes_only_outer_spaces(package, tmp_path):
    original = tmp_path / "original.csv"
    shutil.copy(package / CSV, original)
    header, rows = read_rows(original)
    rows_with_spaces = sum(1 for row in rows if any(value != value.strip() for value in row))

    completed = run(package, "fix", "trim")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.rstrip().endswith("612 change(s) applied.")
    # One record per physical line in this file, so one changed line per changed row.
    assert numstat(package) == (rows_with_spaces, rows_with_spaces)
    changes = changed_cells(original, package / CSV)
    assert len(changes) == 612
    for before, after in changes.values():
        assert after == before.strip()
        assert after != before

    old_lines = original.read_bytes().split(b"\n")
    new_lines = (package / CSV).read_bytes().split(b"\n")
    assert new_lines[0] == old_lines[0]


def test_nfc_changes_the_47_rows(package, tmp_path):
    original = tmp_path / "original.csv"
    shutil.copy(package / CSV, original)

    completed = run(package, "fix", "nfc")

    assert completed.returncode == 0, completed.stderr
    assert numstat(package) == (47, 47)
    changes = changed_cells(original, package / CSV)
    assert len(changes) == 118
    assert len({row for row, _ in changes}) == 47
    for before, after in changes.values():
        assert after == unicodedata.normalize("NFC", before)
    assert (package / CSV).read_bytes().split(b"\n")[0] == original.read_bytes().split(b"\n")[0]


def test_codes_scheme_postcode_cells(package, tmp_path):
    original = tmp_path / "original.csv"
    shutil.copy(package / CSV, original)

    completed = run(package, "fix", "codes", "scheme", "postcode")

    assert completed.returncode == 0, completed.stderr
    changes = changed_cells(original, package / CSV)
    assert len(changes) == 16
    by_field = {}
    for (_, name), pair in changes.items():
        by_field.setdefault(name, []).append(pair)
    assert sorted(by_field["CODE DEMARCHE"]) == sorted(
        [("DC - PN", "DC-PN")] * 4 + [("PN - BP", "PN-BP")] * 8 + [("BP - IP - PN", "BP-IP-PN")]
    )
    assert sorted(by_field["SITE WEB"]) == [
        (" www.jeparticipe-grandpoitiers.fr", " https://www.jeparticipe-grandpoitiers.fr"),
        ("mairie.saintmartinduriage.fr", "https://mairie.saintmartinduriage.fr"),
    ]
    assert by_field["CODE_POSTAL"] == [("9300", "09300")]


def test_diff_json_lists_the_fixed_cells(package, tmp_path):
    original = tmp_path / "original.csv"
    shutil.copy(package / CSV, original)
    run(package, "fix", "codes", "scheme", "postcode")
    changes = changed_cells(original, package / CSV)

    completed = run(package, "diff", "--json")

    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)["decider-ensemble-ressources"]
    listed = {(cell["row"] - 1, cell["field"]): (cell["old"], cell["new"]) for cell in result["cells"]}
    assert listed == changes
    assert result["added"] == []
    assert result["deleted"] == []


def test_diff_after_trim_lists_fixed_cells(package, tmp_path):
    original = tmp_path / "original.csv"
    shutil.copy(package / CSV, original)
    run(package, "fix", "trim")
    changes = changed_cells(original, package / CSV)
    key_rows = {row for row, name in changes if name == KEY}

    completed = run(package, "diff", "--json")

    # A title that lost its spaces is a changed key: its row stays one row with changed cells.
    result = json.loads(completed.stdout)["decider-ensemble-ressources"]
    listed = {(cell["row"] - 1, cell["field"]): (cell["old"], cell["new"]) for cell in result["cells"]}
    assert listed == changes
    assert len(key_rows) == 33
    assert result["added"] == []
    assert result["deleted"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_second_run_changes_nothing(package, kind):
    first = run(package, "fix", kind)
    assert first.returncode == 0, first.stderr
    content = (package / CSV).read_bytes()

    second = run(package, "fix", kind)

    assert second.returncode == 0, second.stderr
    assert second.stdout == "Nothing to fix: no cell needs these fixes.\n"
    assert (package / CSV).read_bytes() == content


# ---------------------------------------------------------------------------------------------
# Library: journal, undo, composition
# ---------------------------------------------------------------------------------------------


def test_journaled_fixes_undo_to_original(package, journal_dir):
    session = Session.open(package)
    editor = JournaledTable(session)
    table = editor.table
    original = table.render()
    fixes = find_fixes(table, session.package.resource(None).settings, KINDS)

    applied = apply_fixes(editor, fixes)

    assert applied == len(fixes)
    assert len(table.history) == applied
    assert editor.journal.started
    while editor.undo() is not None:
        pass
    assert table.render() == original
    assert not table.is_dirty
    editor.close()


def test_trim_then_nfc_equals_both_at_once(package):
    settings = Session.open(package).package.resource(None).settings
    separate = Session.open(package).table()
    together = Session.open(package).table()

    apply_fixes(separate, find_fixes(separate, settings, ["trim"]))
    apply_fixes(separate, find_fixes(separate, settings, ["nfc"]))
    apply_fixes(together, find_fixes(together, settings, ["nfc", "trim"]))

    assert separate.render() == together.render()
    assert find_fixes(together, settings, ["trim", "nfc"]) == []


def test_stale_fix_is_skipped(package):
    session = Session.open(package)
    table = session.table()
    fixes = find_fixes(table, session.package.resource(None).settings, ["postcode"])
    table.set_cell(fixes[0].row, fixes[0].field, "09300 ")

    assert apply_fixes(table, fixes) == 0
    assert table.cell(fixes[0].row, fixes[0].field) == "09300 "


def test_fix_of_deleted_row_is_skipped(package):
    # The terminal UI finds link fixes in a worker while the editor may delete rows.
    session = Session.open(package)
    table = session.table()
    fixes = find_fixes(table, session.package.resource(None).settings, ["scheme"])
    table.delete_row(fixes[0].row)

    assert apply_chosen_fixes(table, fixes, fixes) == len(fixes) - 1
    assert apply_fixes(table, fixes) == 0


def test_fix_of_undone_added_row_is_skipped():
    table = small_table("id,lien\n1,a\n", string_fields("id", "lien"))
    row = table.add_row({"id": "2", "lien": " www.exemple.fr"})
    fixes = find_fixes(table, {}, ["trim"])
    table.undo()

    assert [fix.row for fix in fixes] == [row]
    assert apply_fixes(table, fixes) == 0
    assert not table.is_dirty


# ---------------------------------------------------------------------------------------------
# Small tables
# ---------------------------------------------------------------------------------------------


def small_table(text: str, fields: list[dict], primary_key: str | None = None) -> Table:
    schema: dict = {"fields": fields}
    if primary_key:
        schema["primaryKey"] = primary_key
    document = CsvDocument.parse(text.encode("utf-8"), delimiter=",", name="small.csv")
    return Table(document, schema, name="small", file="small.csv")


def string_fields(*names: str) -> list[dict]:
    return [{"name": name, "type": "string"} for name in names]


def test_postcode_needs_agreeing_department():
    table = small_table(
        "cp,dep\n9300,09\n9300,93\n9300,\n1000,01\n 1000 ,01\n",
        string_fields("cp", "dep"),
    )

    fixes = find_fixes(table, {}, ["postcode"])

    assert [(fix.row, fix.after) for fix in fixes] == [(0, "09300"), (3, "01000"), (4, " 01000 ")]


def test_postcode_skips_conflicting_columns():
    table = small_table(
        "code_postal,ban_postcode,ban_depcode\n9300,93000,09\n9300,09300,09\n",
        string_fields("code_postal", "ban_postcode", "ban_depcode"),
    )

    fixes = find_fixes(table, {}, ["postcode"])

    assert [(fix.row, fix.field, fix.after) for fix in fixes] == [(1, "code_postal", "09300")]


def test_codes_leave_unknown_codes_alone():
    fields = [{"name": "codes", "type": "list", "delimiter": "-", "categories": ["AA", "BB"]}]
    table = small_table('codes\nAA - BB\nAA - XX\nbb-AA-AA\n" AA - BB "\n', fields)

    fixes = find_fixes(table, {}, ["codes"])

    assert [(fix.row, fix.after) for fix in fixes] == [(0, "AA-BB"), (2, "BB-AA"), (3, " AA-BB ")]


def test_scheme_only_for_plain_hosts():
    fields = [{"name": "site", "type": "string", "format": "uri"}]
    table = small_table("site\nwww.a.fr\ncontact@a.fr\nwww.a.fr/une page\nhttps://a.fr\nvoir le site\n", fields)

    fixes = find_fixes(table, {}, ["scheme"])

    assert fixes == [Fix("scheme", 0, "site", "www.a.fr", "https://www.a.fr")]


def test_trim_keeps_keys_unique():
    table = small_table("title,note\nA ,x \nA,y\nB ,z\n", string_fields("title", "note"), primary_key="title")

    fixes = find_fixes(table, {}, ["trim"])

    assert [(fix.row, fix.field) for fix in fixes] == [(2, "title"), (0, "note")]


def test_trim_composes_with_codes_on_one_cell():
    fields = [{"name": "codes", "type": "list", "delimiter": "-", "categories": ["AA", "BB"]}]
    table = small_table('codes\n" AA - BB"\n', fields)

    fixes = find_fixes(table, {}, ["codes", "trim"])

    assert fixes == [Fix("trim", 0, "codes", " AA - BB", "AA - BB"), Fix("codes", 0, "codes", "AA - BB", "AA-BB")]
    assert apply_fixes(table, fixes) == 2
    # The writer keeps the cell's original quotes.
    assert table.render() == b'codes\n"AA-BB"\n'


def test_missing_values_and_header_untouched():
    table = small_table("Name ,b\n NA ,x\n", string_fields("Name ", "b"))
    table.missing_values = [" NA "]

    assert find_fixes(table, {}, ["trim"]) == []


def test_unknown_kind_raises():
    table = small_table("a\nx\n", string_fields("a"))

    with pytest.raises(DatamiError) as raised:
        find_fixes(table, {}, ["tidy"])

    assert raised.value.code == "fixes.unknown-kind"
    assert raised.value.params["kind"] == "tidy"
