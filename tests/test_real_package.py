"""The repository's own Décider Ensemble package, edited and validated as editors will."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from datami_py.session import Session
from tests.helpers import git

TITLE = "Co-construction de la révision du Plan Local d'Urbanisme"
CSV = "data/decider-ensemble-ressources-geocoded.csv"


def datami(folder: Path, *arguments: str, language: str = "fr_FR.UTF-8") -> subprocess.CompletedProcess:
    environment = {"LANG": language, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", "from datami_py.cli import main; main()", *arguments]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)


def test_validate_has_no_errors_and_french_warnings(package):
    completed = datami(package, "validate")

    assert completed.returncode == 0, completed.stderr
    assert "Avertissements" in completed.stdout
    summary, hint = completed.stdout.rstrip().splitlines()[-2:]
    assert summary.endswith(" 0 erreur(s), 753 avertissement(s).")
    assert hint.startswith("Des nettoyages peuvent corriger une partie de ces avertissements d’un coup : trim (612)")


def test_validate_lists_five_warnings_of_each_kind(package):
    completed = datami(package, "validate")

    lines = completed.stdout.splitlines()
    listed = [line for line in lines if line.startswith("  - ")]
    counted = [line.strip() for line in lines if line.startswith("    … ")]
    assert counted[0] == "… et 601 autre(s) du même genre (ajoutez --all pour tout lister)."
    others = sum(int(re.search(r"\d+", line).group()) for line in counted)
    assert len(listed) + others == 753
    assert len(listed) < 60


def test_validate_all_lists_every_warning(package):
    completed = datami(package, "validate", "--all")

    lines = completed.stdout.splitlines()
    assert sum(line.startswith("  - ") for line in lines) == 753
    assert not any(line.startswith("    … ") for line in lines)


def test_edit_link_by_title_with_trailing_space(package):
    link_rows = [item.location.key for item in Session.open(package).validate().warnings if item.code == "quality.link-no-scheme"]
    assert TITLE + " " in link_rows

    completed = datami(package, "edit", "--row", TITLE, "--set", "SITE WEB=https://mairie.saintmartinduriage.fr")

    assert completed.returncode == 0, completed.stderr
    assert git(package, "diff", "--numstat") == f"1\t1\t{CSV}\n"
    link_rows = [item.location.key for item in Session.open(package).validate().warnings if item.code == "quality.link-no-scheme"]
    assert TITLE + " " not in link_rows


def test_open_then_save_is_byte_identical(package):
    session = Session.open(package)
    table = session.table()

    assert table.render() == (package / CSV).read_bytes()
    assert len(table) == 101
    assert len(table.document.header) == 34


def test_diff_after_edit(package):
    datami(package, "edit", "--row", TITLE, "--set", "SITE WEB=https://mairie.saintmartinduriage.fr")

    completed = datami(package, "diff", language="en_GB.UTF-8")

    assert completed.returncode == 0
    expected = f"{CSV}: row 25 ({TITLE} ), SITE WEB: “mairie.saintmartinduriage.fr” → “https://mairie.saintmartinduriage.fr”\n"
    assert completed.stdout == expected


def test_domain_does_not_import_textual():
    modules = ["datami_py.session", "datami_py.cli", "datami_py.validation", "datami_py.package.importer", "datami_py.quality"]
    code = "import sys\n" + "".join(f"import {name}\n" for name in modules) + "print('textual' in sys.modules)"

    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == "False"


def test_snapshot_ignores_later_edits(package):
    table = Session.open(package).open_table().table
    count = len(table)
    first, last = table.row_at(1), table.row_at(count)
    table.set_cell(first, "SITE WEB", "https://avant.fr")

    snapshot = table.snapshot()
    table.set_cell(first, "SITE WEB", "https://apres.fr")
    table.delete_row(last)
    table.add_row({"TITRE DU PROJET": "Nouvelle initiative"})

    assert snapshot.cell(first, "SITE WEB") == "https://avant.fr"
    assert list(snapshot.row_ids) == list(range(count))
    assert snapshot.row_number(last) == count
    assert snapshot.history == ()
    assert table.cell(first, "SITE WEB") == "https://apres.fr"


def test_validating_a_snapshot_ignores_later_deletions(package):
    # The terminal UI validates in a worker thread while the editor may delete rows.
    session = Session.open(package)
    table = session.open_table().table
    before = session.validate()

    snapshot = table.snapshot()
    for row in list(table.row_ids)[::2]:
        table.delete_row(row)
    report = session.validate(table=snapshot)

    assert report.findings == before.findings
    assert len(session.validate().warnings) < len(before.warnings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("XYZ", "« XYZ » n’est pas un code défini pour ce champ. Codes connus : "),
        ("DC-XYZ", "« DC-XYZ » contient XYZ, qui n’est pas un code défini pour ce champ. Codes connus : "),
    ],
)
def test_unknown_code_message(package, text, expected):
    from datami_py.errors import describe_message

    session = Session.open(package)
    table = session.table()

    [finding] = session.check_value(table, table.row_at(1), "CODE DEMARCHE", text)

    assert describe_message(finding, "fr").startswith(expected)
