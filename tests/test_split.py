"""datami propose --split-by-fix: one proposal per kind of clean-up, each with only its cells."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path
from click.testing import CliRunner

from datami_py.cli import cli
from datami_py.csvfile import CsvDocument
from datami_py.fixes import find_fixes
from datami_py.forge.proposal import build_proposal
from datami_py.forge.split import OTHER, split_by_fix
from datami_py.session import Session
from datami_py.table import Table
from datami_py.table.diff import diff_tables
from tests.helpers import git

CSV = "data/decider-ensemble-ressources-geocoded.csv"
KEY = "Co-construction de la révision du Plan Local d'Urbanisme"
HAND_EDIT = "https://www.saint-martin-d-uriage.fr/urbanisme"


def run(folder: Path, command: str, *arguments: str):
    """Run ``datami --lang en COMMAND FOLDER ARGUMENTS``."""
    return CliRunner().invoke(cli, ["--lang", "en", command, str(folder), *arguments], catch_exceptions=False)


def fixed_cells(package: Path, kinds: list[str]) -> dict[tuple[int, str], tuple[str, str]]:
    """Return {(row, field): (before, after)} of the final change of each cell the kinds fix."""
    session = Session.open(package)
    opened = session.open_table(None)
    cells: dict[tuple[int, str], tuple[str, str]] = {}
    for fix in find_fixes(opened.table, opened.resource.settings, kinds):
        before = cells.get((fix.row, fix.field), (fix.before, ""))[0]
        cells[(fix.row, fix.field)] = (before, fix.after)
    return cells


def branch_table(package: Path, branch: str) -> Table:
    schema = Session.open(package).table(None).schema
    content = subprocess.run(["git", "-C", str(package), "show", f"{branch}:{CSV}"], capture_output=True, check=True).stdout
    return Table(CsvDocument.parse(content, name=CSV), schema, file=CSV)


def changed_cells(package: Path, branch: str) -> set[tuple[str, str]]:
    """Return the (field, new text) of each cell the branch's one commit changes."""
    base, proposed = branch_table(package, f"{branch}^"), branch_table(package, branch)
    return {(change.field, change.new) for change in diff_tables(base, proposed).cells}


def test_split_branch_per_kind(package):
    trimmed = fixed_cells(package, ["trim"]).keys()
    final = fixed_cells(package, ["trim", "scheme"])
    assert run(package, "fix", "trim", "scheme").exit_code == 0
    assert run(package, "edit", "--row", KEY, "--set", f"SOURCE={HAND_EDIT}").exit_code == 0

    result = run(package, "propose", "--split-by-fix", "--title", "Nettoyage")

    assert result.exit_code == 0, result.output
    branches = git(package, "branch", "--format=%(refname:short)").split()
    assert sorted(branches) == sorted([
        "main",
        "datami/nettoyage-remove-the-spaces-around-values",
        "datami/nettoyage-add-https-to-links",
        "datami/nettoyage-other-edits",
    ])
    assert changed_cells(package, "datami/nettoyage-remove-the-spaces-around-values") == {
        (field, after) for (row, field), (_, after) in final.items() if (row, field) in trimmed
    }
    assert changed_cells(package, "datami/nettoyage-add-https-to-links") == {
        (field, after) for (row, field), (_, after) in final.items() if (row, field) not in trimmed
    }
    assert changed_cells(package, "datami/nettoyage-other-edits") == {("SOURCE", HAND_EDIT)}
    assert git(package, "status", "--porcelain") == ""
    assert "3 proposal(s), one per kind of fix." in result.output

    # Stacked: each branch starts from the previous one, so they merge in order without conflicts.
    spaces = git(package, "rev-parse", "datami/nettoyage-remove-the-spaces-around-values").strip()
    assert git(package, "rev-parse", "datami/nettoyage-add-https-to-links^").strip() == spaces
    saved = _saved_after(package, ["trim", "scheme"], HAND_EDIT)
    for branch in ("remove-the-spaces-around-values", "add-https-to-links", "other-edits"):
        git(package, "merge", "-q", "--no-edit", f"datami/nettoyage-{branch}")
    assert (package / CSV).read_bytes() == saved


def _saved_after(package: Path, kinds: list[str], hand_edit: str) -> bytes:
    """Return the file as the saved edits left it: on the last branch, which contains every part."""
    return subprocess.run(["git", "-C", str(package), "show", f"datami/nettoyage-other-edits:{CSV}"],
                          capture_output=True, check=True).stdout


def test_split_cell_of_two_kinds_first(package):
    session = Session.open(package)
    opened = session.open_table(None)
    row = opened.table.find_row(KEY)
    opened.table.set_cell(row, "SITE WEB", "  " + unicodedata.normalize("NFD", "https://mairie-é.fr"))
    session.save(opened.resource.name)
    git(package, "commit", "-qam", "A cell with spaces and a decomposed accent")
    assert run(package, "fix", "trim", "nfc").exit_code == 0

    session = Session.open(package)
    proposal = build_proposal(session, "Nettoyage", None, "en")
    parts = split_by_fix(session, proposal)

    kinds = {part.kind: part for part in parts}
    assert sorted(kinds) == ["nfc", "trim"]
    trim_cells = {(change.field, change.new) for change in kinds["trim"].proposal.diffs[CSV].cells}
    assert ("SITE WEB", "https://mairie-é.fr") in trim_cells
    nfc_cells = {(change.field, change.new) for change in kinds["nfc"].proposal.diffs[CSV].cells}
    assert all(field != "SITE WEB" or new != "https://mairie-é.fr" for field, new in nfc_cells)
    assert sum(part.cells for part in parts) == len(fixed_cells_after(package))


def fixed_cells_after(package: Path) -> list:
    session = Session.open(package)
    return session.diff(None).cells


def test_split_deleted_rows_rejected(package):
    assert run(package, "delete", "--row", KEY).exit_code == 0

    result = run(package, "propose", "--split-by-fix")

    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {CSV}: rows were added or deleted, and a clean-up only changes cells, so the batch cannot be split by fix. "
        "Propose these edits without --split-by-fix, or propose the added and deleted rows first."
    )
    assert git(package, "branch", "--format=%(refname:short)").split() == ["main"]


def test_split_hand_edits_only(package):
    assert run(package, "edit", "--row", KEY, "--set", f"SITE WEB={HAND_EDIT}").exit_code == 0
    session = Session.open(package)

    parts = split_by_fix(session, build_proposal(session, None, None, "fr"))

    assert [(part.kind, part.cells, part.proposal.title) for part in parts] == [(OTHER, 1, "Autres modifications")]


def test_split_pull_request_per_kind(tmp_path, github_emulator, monkeypatch):
    from tests.github_emulator import EDITOR_TOKEN
    from tests.test_propose_github_cli import package_files

    github_emulator.create_repo("decider-ensemble", "donnees", package_files(), collaborators={"editor": "push"})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(github_emulator.bare_path("decider-ensemble", "donnees")), str(clone))
    monkeypatch.setenv("GITHUB_TOKEN", EDITOR_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    trimmed = fixed_cells(clone, ["trim"]).keys()
    final = fixed_cells(clone, ["trim", "postcode"])
    assert run(clone, "fix", "trim", "postcode").exit_code == 0

    result = run(clone, "propose", "--split-by-fix", "--github", "decider-ensemble/donnees")

    assert result.exit_code == 0, result.output
    assert EDITOR_TOKEN not in result.output
    pulls = {pull["title"]: pull for pull in github_emulator.pulls("decider-ensemble", "donnees")}
    assert sorted(pulls) == ["Remove the spaces around values", "Restore the leading zero of postcodes"]
    schema = Session.open(clone).table(None).schema
    base = Table(CsvDocument.parse(github_emulator.read_file("decider-ensemble", "donnees", "main", CSV), name=CSV), schema)
    expected = {
        "Remove the spaces around values": {(f, a) for (r, f), (_, a) in final.items() if (r, f) in trimmed},
        "Restore the leading zero of postcodes": {(f, a) for (r, f), (_, a) in final.items() if (r, f) not in trimmed},
    }
    for title, pull in pulls.items():
        content = github_emulator.read_file("decider-ensemble", "donnees", pull["head"]["sha"], CSV)
        proposed = Table(CsvDocument.parse(content, name=CSV), schema)
        before = github_emulator.read_file("decider-ensemble", "donnees", pull["base"]["ref"], CSV)
        base = Table(CsvDocument.parse(before, name=CSV), schema)
        assert {(change.field, change.new) for change in diff_tables(base, proposed).cells} == expected[title]
    # The postcodes' pull request targets the spaces' branch, so they merge one after the other.
    spaces = pulls["Remove the spaces around values"]
    assert spaces["base"]["ref"] == "main"
    assert pulls["Restore the leading zero of postcodes"]["base"]["ref"] == spaces["head"]["ref"]
    assert "09300" in pulls["Restore the leading zero of postcodes"]["body"]
    assert "09300" not in pulls["Remove the spaces around values"]["body"]
    assert git(clone, "status", "--porcelain") == ""


def test_split_from_fork_targets_base(tmp_path, github_emulator, monkeypatch):
    from tests.github_emulator import EDITOR_TOKEN
    from tests.test_propose_github_cli import package_files

    # The editor has no push access: the branches go to a fork, which pull requests cannot target.
    github_emulator.create_repo("decider-ensemble", "donnees", package_files())
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(github_emulator.bare_path("decider-ensemble", "donnees")), str(clone))
    monkeypatch.setenv("GITHUB_TOKEN", EDITOR_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", github_emulator.base_url)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    assert run(clone, "fix", "scheme", "postcode").exit_code == 0

    result = run(clone, "propose", "--split-by-fix", "--github", "decider-ensemble/donnees")

    assert result.exit_code == 0, result.output
    pulls = github_emulator.pulls("decider-ensemble", "donnees")
    assert sorted(pull["title"] for pull in pulls) == ["Add https:// to links", "Restore the leading zero of postcodes"]
    assert {pull["base"]["ref"] for pull in pulls} == {"main"}
