"""The edit journal: edits survive a crash and come back with their undo history."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datami_py import journal as journal_module
from datami_py.errors import DatamiError, describe
from datami_py.i18n import render
from datami_py.journal import (
    CELL_CHANGED,
    FILE_CHANGED,
    RESTORABLE,
    Journal,
    JournaledTable,
    journal_directory,
)
from datami_py.session import Session
from datami_py.table import Edit, Table
from tests.helpers import REPOSITORY, copy_case

RESOURCE = "communes"
# communes.csv of case B10, as data rows: row ids 0 to 3.
ORIGINAL_ROWS = [
    ["45234", "Orléans", "45"],
    ["37261", "Tours", "37"],
    ["45234", "Orléans-la-Source", "45"],
    ["41018", "Blois", "41"],
]


@pytest.fixture
def journal_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "journals"
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(folder))
    return folder


@pytest.fixture
def package(tmp_path: Path) -> Path:
    return copy_case("B10", tmp_path / "packages")


def open_edited(package: Path) -> JournaledTable:
    return JournaledTable(Session.open(package), RESOURCE)


def simulate_crash(edited: JournaledTable) -> None:
    """Close the journal's file and lock as the operating system does when a process dies, writing nothing."""
    edited.journal.close()


def make_edits(edited: JournaledTable) -> None:
    """Edit a cell, add a row and edit it, delete a row, then edit a key and undo it."""
    edited.set_cell(0, "nom", "Orléans centre")
    added = edited.add_row({"code_insee": "18033", "nom": "Bourges", "departement": "18"})
    edited.set_cell(added, "departement", "18 Cher")
    edited.delete_row(1)
    edited.set_cell(2, "code_insee", "45235")
    edited.undo()


def snapshot(table: Table) -> dict[str, Any]:
    return {
        "rows": [[row, table.record(row)] for row in table.row_ids],
        "history": [edit.to_dict() for edit in table.history],
    }


def write_rows(package: Path, rows: list[list[str]]) -> None:
    lines = ["code_insee,nom,departement"] + [",".join(row) for row in rows]
    (package / "communes.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


# Restoring after a crash


def test_restore_matches_state_before_crash(journal_dir, package):
    original_bytes = (package / "communes.csv").read_bytes()
    package_files = sorted(path.name for path in package.rglob("*"))
    edited = open_edited(package)
    make_edits(edited)
    before = snapshot(edited.table)
    simulate_crash(edited)
    del edited

    reopened = open_edited(package)
    state = reopened.pending()

    assert state is not None
    assert state.edit_count == 4
    assert not state.file_changed
    assert state.messages()[0].code == RESTORABLE
    assert "4" in render(RESTORABLE, "fr", **state.messages()[0].params)
    assert reopened.restore(state) == []
    assert snapshot(reopened.table) == before
    assert reopened.redo() == Edit("set", 2, field="code_insee", old="45234", new="45235")
    assert (package / "communes.csv").read_bytes() == original_bytes
    assert sorted(path.name for path in package.rglob("*")) == package_files
    assert reopened.journal.path.parent == journal_dir


def test_restore_twice_keeps_later_edits(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)
    simulate_crash(edited)

    second = open_edited(package)
    second.restore(second.pending())
    second.redo()
    second.set_cell(3, "nom", "Blois ville")
    before = snapshot(second.table)
    simulate_crash(second)

    third = open_edited(package)
    state = third.pending()
    third.restore(state)

    assert state.edit_count == 6
    assert snapshot(third.table) == before


def test_no_journal_without_edits(journal_dir, package):
    edited = open_edited(package)

    assert edited.pending() is None
    assert edited.set_cell(0, "nom", "Orléans") is None
    assert edited.undo() is None
    assert edited.redo() is None
    assert not edited.journal.path.exists()


def test_all_edits_undone_not_offered(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "nom", "Orléans centre")
    edited.undo()
    simulate_crash(edited)

    reopened = open_edited(package)
    assert reopened.pending() is None

    reopened.set_cell(1, "nom", "Tours centre")
    discarded_files = list(journal_dir.glob("*.discarded"))
    assert len(discarded_files) == 1
    assert b'"Orl\xc3\xa9ans centre"' in discarded_files[0].read_bytes()


# Damaged journals


@pytest.mark.parametrize("tail", [b'{"action":"apply","edit":{"kind":"set","ro', b"\0" * 64], ids=["torn-line", "zero-bytes"])
def test_torn_last_line_ignored(journal_dir, package, tail):
    edited = open_edited(package)
    make_edits(edited)
    before = snapshot(edited.table)
    simulate_crash(edited)
    with edited.journal.path.open("ab") as file:
        file.write(tail)

    reopened = open_edited(package)
    state = reopened.pending()
    reopened.restore(state)
    reopened.set_cell(3, "nom", "Blois ville")
    after = snapshot(reopened.table)
    simulate_crash(reopened)

    assert state.edit_count == 4
    assert snapshot(reopened.table)["history"][:4] == before["history"]
    last = open_edited(package)
    last.restore(last.pending())
    assert snapshot(last.table) == after


def test_damaged_line_kept_aside(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)
    simulate_crash(edited)
    path = edited.journal.path
    lines = path.read_bytes().split(b"\n")
    lines[2] = b'{"action": "apply", "edit": '
    damaged = b"\n".join(lines)
    path.write_bytes(damaged)

    reopened = open_edited(package)
    with pytest.raises(DatamiError) as raised:
        reopened.pending()

    unreadable_files = list(journal_dir.glob("*.unreadable"))
    assert raised.value.code == "journal.unreadable"
    assert raised.value.params["line"] == 3
    assert raised.value.params["kept"] == str(unreadable_files[0])
    assert str(unreadable_files[0]) in describe(raised.value, "fr")
    assert unreadable_files[0].read_bytes() == damaged
    assert not path.exists()
    assert reopened.pending() is None


def test_unknown_version_unreadable(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "nom", "Orléans centre")
    simulate_crash(edited)
    path = edited.journal.path
    path.write_bytes(path.read_bytes().replace(b'"version":1', b'"version":99'))

    with pytest.raises(DatamiError) as raised:
        open_edited(package).pending()

    assert raised.value.code == "journal.unreadable"
    assert "99" in raised.value.params["error"]


# Whose journal


def test_other_package_not_offered(journal_dir, tmp_path, package):
    other = copy_case("B10", tmp_path / "other")
    edited = open_edited(package)
    make_edits(edited)
    simulate_crash(edited)

    stranger = open_edited(other)
    assert stranger.pending() is None
    assert stranger.journal.path != edited.journal.path

    # A journal file copied under the other package's name still names its own package.
    stranger.journal.path.write_bytes(edited.journal.path.read_bytes())
    assert stranger.pending() is None
    stranger.set_cell(0, "nom", "Orléans centre")
    assert len(list(journal_dir.glob("*.discarded"))) == 1


def test_other_resource_not_offered(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)
    fingerprint = edited.session.open_table(RESOURCE).fingerprint
    simulate_crash(edited)

    other_resource = Journal(package, "villes", "communes.csv")
    other_file = Journal(package, RESOURCE, "data/communes.csv")

    assert other_resource.pending(fingerprint) is None
    assert other_file.pending(fingerprint) is None
    assert Journal(package, RESOURCE, "communes.csv").pending(fingerprint) is not None


# The file changed on disk since editing started


def test_file_changed_reported_and_renumbered(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "nom", "Orléans centre")
    added = edited.add_row({"code_insee": "18033", "nom": "Bourges", "departement": "18"})
    simulate_crash(edited)
    changed_rows = [row[:] for row in ORIGINAL_ROWS]
    changed_rows[3][1] = "Blois-sur-Loire"
    changed_rows.append(["36044", "Châteauroux", "36"])
    write_rows(package, changed_rows)

    reopened = open_edited(package)
    state = reopened.pending()
    warnings = reopened.restore(state)
    table = reopened.table

    assert added == 4
    assert state.file_changed
    assert [phrase.code for phrase in state.messages()][1] == FILE_CHANGED
    assert warnings == []
    assert len(table) == 6
    assert table.cell(0, "nom") == "Orléans centre"
    assert table.cell(3, "nom") == "Blois-sur-Loire"
    assert table.cell(4, "nom") == "Châteauroux"
    assert table.cell(5, "nom") == "Bourges"

    reopened.save()
    saved = (package / "communes.csv").read_text(encoding="utf-8")
    assert "Orléans centre" in saved
    assert "Blois-sur-Loire" in saved
    assert saved.endswith("36044,Châteauroux,36\n18033,Bourges,18\n")


def test_cell_changed_on_disk_warns(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "nom", "Orléans centre")
    simulate_crash(edited)
    changed_rows = [row[:] for row in ORIGINAL_ROWS]
    changed_rows[0][1] = "Orléans (Loiret)"
    write_rows(package, changed_rows)

    reopened = open_edited(package)
    warnings = reopened.restore(reopened.pending())

    assert [warning.code for warning in warnings] == [CELL_CHANGED]
    assert warnings[0].params == {"old": "Orléans", "current": "Orléans (Loiret)", "new": "Orléans centre"}
    assert reopened.table.cell(0, "nom") == "Orléans centre"
    reopened.undo()
    assert reopened.table.cell(0, "nom") == "Orléans (Loiret)"


def test_missing_row_rejects_restore(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(1, "nom", "Tours centre")
    edited.set_cell(3, "nom", "Blois ville")
    simulate_crash(edited)
    write_rows(package, ORIGINAL_ROWS[:2])

    reopened = open_edited(package)
    state = reopened.pending()
    with pytest.raises(DatamiError) as raised:
        reopened.restore(state)

    assert raised.value.code == "journal.row-missing"
    assert raised.value.location.row == 4
    assert raised.value.params["count"] == 2
    assert not reopened.table.history
    assert not reopened.table.is_dirty
    assert reopened.journal.path.exists()

    discarded_file = reopened.discard()
    assert discarded_file.exists()
    assert reopened.pending() is None


def test_missing_field_rejects_restore(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "departement", "45 Loiret")
    simulate_crash(edited)
    (package / "communes.csv").write_text("code_insee,nom\n45234,Orléans\n37261,Tours\n", encoding="utf-8")

    reopened = open_edited(package)
    with pytest.raises(DatamiError) as raised:
        reopened.restore(reopened.pending())

    assert raised.value.code == "journal.field-missing"
    assert raised.value.location.field == "departement"


# Saving and discarding


def test_save_clears_journal(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)

    assert edited.save() == package / "communes.csv"
    assert not edited.journal.path.exists()
    assert edited.pending() is None

    edited.set_cell(0, "nom", "Orléans nord")
    saved_fingerprint = edited.session.open_table(RESOURCE).fingerprint
    simulate_crash(edited)
    reopened = open_edited(package)
    state = reopened.pending()
    reopened.restore(state)

    assert state.fingerprint == saved_fingerprint
    assert not state.file_changed
    assert reopened.table.cell(0, "nom") == "Orléans nord"


def test_crash_after_save_not_offered(journal_dir, package, monkeypatch):
    edited = open_edited(package)
    make_edits(edited)
    # The process dies after the file is written and before the journal is deleted.
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "clear", lambda self: None)
        edited.save()
    simulate_crash(edited)

    reopened = open_edited(package)

    assert reopened.journal.path.exists()
    assert reopened.pending() is None
    assert not reopened.journal.path.exists()


def test_failed_save_still_offered(journal_dir, package):
    edited = open_edited(package)
    edited.set_cell(0, "nom", "Orléans centre")
    changed_rows = [row[:] for row in ORIGINAL_ROWS]
    changed_rows[3][1] = "Blois-sur-Loire"
    write_rows(package, changed_rows)
    with pytest.raises(DatamiError):
        edited.save()
    simulate_crash(edited)

    reopened = open_edited(package)
    state = reopened.pending()
    reopened.restore(state)

    assert state.file_changed
    assert reopened.table.cell(0, "nom") == "Orléans centre"
    assert reopened.table.cell(3, "nom") == "Blois-sur-Loire"


def test_discard_keeps_journal_file(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)
    content = edited.journal.path.read_bytes()

    discarded_file = edited.discard()

    assert discarded_file is not None
    assert discarded_file.name.endswith(".discarded")
    assert discarded_file.read_bytes() == content
    assert not edited.journal.path.exists()
    assert not edited.table.history
    assert not edited.table.is_dirty
    assert edited.table.cell(0, "nom") == "Orléans"
    assert edited.pending() is None


def test_ignored_journal_set_aside(journal_dir, package):
    edited = open_edited(package)
    make_edits(edited)
    content = edited.journal.path.read_bytes()
    simulate_crash(edited)

    reopened = open_edited(package)
    reopened.set_cell(3, "nom", "Blois ville")

    discarded_files = list(journal_dir.glob("*.discarded"))
    assert [path.read_bytes() for path in discarded_files] == [content]
    assert reopened.pending().edit_count == 1


# Failures while editing


def test_second_program_locked_out(journal_dir, package):
    first = open_edited(package)
    first.set_cell(0, "nom", "Orléans centre")
    second = open_edited(package)

    with pytest.raises(DatamiError) as raised:
        second.pending()
    assert raised.value.code == "journal.locked"

    first.close()
    assert second.pending().edit_count == 1


def test_failed_write_leaves_table_unchanged(journal_dir, package, monkeypatch):
    edited = open_edited(package)
    make_edits(edited)
    before = snapshot(edited.table)
    size = edited.journal.path.stat().st_size

    def disk_full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(journal_module.os, "fsync", disk_full)
        for action in (lambda: edited.set_cell(0, "nom", "x"), edited.undo, edited.redo):
            with pytest.raises(DatamiError) as raised:
                action()
            assert raised.value.code == "journal.write-failed"
            assert snapshot(edited.table) == before
            assert edited.journal.path.stat().st_size == size

    edited.redo()
    after = snapshot(edited.table)
    simulate_crash(edited)
    reopened = open_edited(package)
    reopened.restore(reopened.pending())
    assert snapshot(reopened.table) == after


def test_edit_errors_not_journaled(journal_dir, package):
    edited = open_edited(package)
    edited.delete_row(1)
    size = edited.journal.path.stat().st_size

    for action in (
        lambda: edited.set_cell(1, "nom", "Tours centre"),
        lambda: edited.set_cell(0, "population", "1"),
        lambda: edited.add_row({"population": "1"}),
    ):
        with pytest.raises(DatamiError):
            action()

    assert edited.journal.path.stat().st_size == size


def test_add_row_ids_match_table(journal_dir, package):
    edited = open_edited(package)
    plain = Session.open(package).table(RESOURCE)

    steps = ["add", "add", "undo", "add", "delete", "add", "undo", "undo", "redo", "add"]
    for step in steps:
        for target in (edited, plain):
            if step == "add":
                target.add_row({"nom": "Nouvelle"})
            elif step == "delete":
                target.delete_row(5)
            else:
                getattr(target, step)()

    assert snapshot(edited.table) == snapshot(plain)


# Where journals live


def test_journal_directory_choice(tmp_path, monkeypatch):
    monkeypatch.delenv("DATAMI_JOURNAL_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert journal_directory() == tmp_path / "home" / ".local" / "state" / "datami-py" / "journals"

    monkeypatch.setenv("XDG_STATE_HOME", "relative/state")
    assert journal_directory() == tmp_path / "home" / ".local" / "state" / "datami-py" / "journals"

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert journal_directory() == tmp_path / "state" / "datami-py" / "journals"

    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "variable"))
    assert journal_directory() == tmp_path / "variable"
    assert journal_directory(tmp_path / "argument") == tmp_path / "argument"


def test_journal_directory_inside_package_rejected(package):
    with pytest.raises(DatamiError) as raised:
        Journal(package, RESOURCE, "communes.csv", directory=package / ".journals")

    assert raised.value.code == "journal.directory-inside-package"


# A real crash: SIGKILL in the middle of editing

EDITING_PROCESS = """
import sys, time
from datami_py.journal import JournaledTable
from datami_py.session import Session
from tests.test_journal import perform_step

edited = JournaledTable(Session.open(sys.argv[1]), "communes")
for step in range(2000):
    perform_step(edited, step)
    print(step, flush=True)
time.sleep(60)
"""

RESTORING_PROCESS = """
import json, sys
from datami_py.journal import JournaledTable
from datami_py.session import Session
from tests.test_journal import snapshot

edited = JournaledTable(Session.open(sys.argv[1]), "communes")
state = edited.pending()
edited.restore(state)
result = snapshot(edited.table)
result["actions"] = len(state.actions)
redone = edited.redo()
result["redo"] = redone.to_dict() if redone else None
edited.close()
print(json.dumps(result))
"""


def perform_step(target: JournaledTable | Table, step: int) -> bool:
    """Make the edit number ``step`` of a fixed sequence; return True when the table changed."""
    kind = step % 6
    if kind in (0, 4):
        return target.set_cell(step % 4, "nom", f"nom {step}") is not None
    if kind == 1:
        target.add_row({"code_insee": str(90000 + step), "nom": f"ajout {step}"})
        return True
    if kind in (2, 5):
        return target.undo() is not None
    return target.redo() is not None


def run_python(script: str, *arguments: str, **options: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *arguments], cwd=REPOSITORY, text=True, **options)


def test_sigkill_then_restore_in_new_process(journal_dir, package):
    editor = run_python(EDITING_PROCESS, str(package), stdout=subprocess.PIPE)
    last_step = -1
    while last_step < 30:
        line = editor.stdout.readline()
        assert line, "the editing process ended before making 30 edits"
        last_step = int(line)
    os.kill(editor.pid, signal.SIGKILL)
    editor.wait(timeout=10)
    editor.stdout.close()

    restorer = run_python(RESTORING_PROCESS, str(package), stdout=subprocess.PIPE)
    output, _ = restorer.communicate(timeout=30)
    restored = json.loads(output)

    reference = Session.open(package).table(RESOURCE)
    reported = sum(perform_step(reference, step) for step in range(last_step + 1))
    step = last_step + 1
    actions = reported
    while actions < restored["actions"]:
        actions += perform_step(reference, step)
        step += 1
    redone = reference.redo()

    assert editor.returncode == -signal.SIGKILL
    assert restorer.returncode == 0
    assert restored["actions"] >= reported
    assert restored["rows"] == json.loads(json.dumps(snapshot(reference)["rows"]))
    assert restored["history"] == snapshot(reference)["history"]
    assert restored["redo"] == (redone.to_dict() if redone else None)
