"""The edit journal: every edit is on disk before the user sees it done, so a crash loses none of them.

A resource of a package has a journal file from its first edit until the edits are saved
or discarded. It lives in a per-user state folder outside the package, so it never shows
in git. The file is JSON lines, UTF-8:

* line 1, the header: ``{"journal": "datami-py edit journal", "version": 1, "package":
  <absolute package folder>, "resource": <name>, "file": <data file path as in the
  descriptor>, "fingerprint": <sha256 of the data file when editing started>, "records":
  <number of records in that file>, "started": <ISO 8601 time>}``;
* then one line per action, oldest first: ``{"action": "apply", "edit": <Edit.to_dict()>,
  "time": ...}``, ``{"action": "undo", "time": ...}``, ``{"action": "redo", "time": ...}``;
* ``{"action": "save", "fingerprint": <sha256 of the bytes about to be written>, "time":
  ...}`` just before a save, so that a crash between writing the file and deleting the
  journal is recognised and the edits are not offered twice.

Each line is appended and fsynced before :meth:`Journal.record` returns. A process killed
mid-write leaves at most one unterminated last line, which readers ignore: that action had not been reported
as done. Any other unreadable line makes the whole journal unreadable, and it is then
moved aside, never deleted.

Front ends use :class:`JournaledTable`. :class:`Journal` and :func:`replay` are the
building blocks underneath it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Literal, get_args

from datami_py.errors import DatamiError, Finding, Location
from datami_py.i18n import Phrase, message
from datami_py.session import OpenTable, Session
from datami_py.table import Edit, Table
from datami_py.table.table import FIELD_NOT_IN_FILE, ROW_DELETED

try:
    import fcntl
except ImportError:  # Windows has no fcntl; the journal then works without a lock.
    fcntl = None  # type: ignore[assignment]

JOURNAL_DIR_VARIABLE = "DATAMI_JOURNAL_DIR"
FORMAT_NAME = "datami-py edit journal"
FORMAT_VERSION = 1

Action = Literal["apply", "undo", "redo"]
ACTIONS: tuple[str, ...] = get_args(Action)
EDIT_KINDS = ("set", "add", "delete")

RESTORABLE = message("journal.restorable", "{count} unsaved edits from {time} can be restored.")
RESTORABLE_ONE = message("journal.restorable-one", "1 unsaved edit from {time} can be restored.")
FILE_CHANGED = message(
    "journal.file-changed",
    "{file} changed on disk after these edits were made. Restoring applies them to the current file "
    "by row position, so check the restored rows before saving.",
)
JOURNAL_UNREADABLE = message(
    "journal.unreadable",
    "The edit journal {journal} is damaged at line {line} ({error}), so no edits were restored from it. "
    "It was kept as {kept}.",
)
ROW_MISSING = message(
    "journal.row-missing",
    "This row no longer exists because the file now has {count} data rows, so the unsaved edits cannot be "
    "restored. Discard them to keep editing: the journal is kept as a .discarded file.",
)
FIELD_MISSING = message(
    "journal.field-missing",
    "The file no longer has this field, so the unsaved edits cannot be restored. "
    "Discard them to keep editing: the journal is kept as a .discarded file.",
)
CELL_CHANGED = message(
    "journal.cell-changed",
    "This cell contained “{old}” when you edited it, but the file now contains “{current}”. "
    "Your value “{new}” was restored over it.",
)
JOURNAL_LOCKED = message(
    "journal.locked",
    "This table is already being edited by another datami-py program (its edit journal {journal} is locked). "
    "Close that program, then open the table again.",
)
WRITE_FAILED = message(
    "journal.write-failed",
    "The edit was not made because the edit journal {journal} could not be written ({error}). "
    "Free some disk space, then try again.",
)
DIRECTORY_INSIDE_PACKAGE = message(
    "journal.directory-inside-package",
    "The journal folder {folder} is inside the data package, so journals would show up in git. "
    f"Set {JOURNAL_DIR_VARIABLE} to a folder outside the package.",
)


@dataclass(frozen=True)
class JournalAction:
    """One journaled action, with its ``edit`` for ``apply`` only and its ``time`` in UTC."""

    action: Action
    edit: Edit | None
    time: datetime


@dataclass(frozen=True)
class JournalState:
    """The unsaved actions of a journal, as :meth:`Journal.pending` found them.

    ``edit_count`` is the number of edits in effect once the actions are replayed (the
    length of the undo history), ``last_time`` the time of the last action (UTC).
    ``fingerprint`` and ``record_count`` describe the data file when editing started,
    and ``file_changed`` is true when the file no longer has that fingerprint.
    """

    journal_file: Path
    data_file: str
    actions: tuple[JournalAction, ...]
    edit_count: int
    last_time: datetime
    fingerprint: str
    record_count: int
    file_changed: bool

    def messages(self) -> list[Phrase]:
        """Return the messages to show before asking whether to restore.

        Front ends word each one with :func:`datami_py.i18n.render`.
        """
        time = self.last_time.astimezone().strftime("%Y-%m-%d %H:%M")
        if self.edit_count == 1:
            phrases = [Phrase(RESTORABLE_ONE, {"time": time})]
        else:
            phrases = [Phrase(RESTORABLE, {"count": self.edit_count, "time": time})]

        if self.file_changed:
            phrases.append(Phrase(FILE_CHANGED, {"file": self.data_file}))
        return phrases


def journal_directory(directory: Path | str | None = None) -> Path:
    """Return the journal folder.

    That is ``directory`` when given, else ``$DATAMI_JOURNAL_DIR``, else
    ``$XDG_STATE_HOME/datami-py/journals``, else ``~/.local/state/datami-py/journals``.
    A relative ``XDG_STATE_HOME`` is ignored, as version 0.8 of the XDG Base Directory
    Specification requires.
    """
    if directory is not None:
        return Path(directory).expanduser()

    configured = os.environ.get(JOURNAL_DIR_VARIABLE)
    if configured:
        return Path(configured).expanduser()

    state_home = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):
        state_home = str(Path.home() / ".local" / "state")
    return Path(state_home) / "datami-py" / "journals"


class Journal:
    """The edit journal of one resource of one package.

    The file name comes from a hash of the package's absolute path, the resource name and
    the data file path, so two packages never share a journal. The header repeats the
    three, and a journal whose header names another resource is never offered.

    While a journal is in use, an exclusive lock on a ``.lock`` file next to it keeps a
    second program from editing the same table. The operating system releases the lock
    when the process ends, even when it is killed.

    Raises:
        DatamiError: ``journal.directory-inside-package`` when the journal folder is inside
            the package folder.
    """

    def __init__(
        self,
        package_root: Path | str,
        resource: str,
        data_file: str,
        *,
        directory: Path | str | None = None,
    ) -> None:
        self.package_root = Path(package_root).resolve()
        self.resource = resource
        self.data_file = data_file
        self.directory = journal_directory(directory).resolve()
        if self.directory.is_relative_to(self.package_root):
            raise DatamiError(DIRECTORY_INSIDE_PACKAGE, Location(file=data_file), folder=str(self.directory))

        self.path = self.directory / _journal_name(self.package_root, resource, data_file)
        self._file: IO[bytes] | None = None
        self._size = 0
        self._lock: IO[bytes] | None = None

    @property
    def started(self) -> bool:
        """True when the journal file is open for :meth:`record`."""
        return self._file is not None

    # Reading

    def pending(self, fingerprint: str) -> JournalState | None:
        """Return the unsaved edits of a previous run, or None when there is nothing to restore.

        ``fingerprint`` is the sha256 of the data file as just read
        (:attr:`datami_py.session.OpenTable.fingerprint`).

        Returns None when there is no journal, when its header names another package or
        resource, or when every edit in it was undone. Also returns None when the last
        line is a save marker whose fingerprint equals ``fingerprint``, because the save
        completed; the journal is then deleted. A journal that returns None but still has
        actions is moved aside by the next :meth:`start`.

        Raises:
            DatamiError: ``journal.unreadable`` when a line other than the last cannot be
                read. The file is then renamed to a timestamped ``.unreadable`` file,
                whose name the error gives, and the next call returns None.
                ``journal.locked`` when another program uses the journal.
        """
        self._acquire_lock()
        if not self.path.exists():
            return None

        contents = self._read_or_set_aside()
        if contents is None or not self._is_own(contents.header):
            return None
        if contents.saved_fingerprint == fingerprint:
            self.clear()
            return None
        # NOTE: if the file changed again on disk after such a completed save, the marker no
        # longer matches and the saved edits are offered a second time.

        edit_count = _count_edits(contents.actions)
        if edit_count == 0:
            return None
        return JournalState(
            journal_file=self.path,
            data_file=self.data_file,
            actions=contents.actions,
            edit_count=edit_count,
            last_time=contents.actions[-1].time,
            fingerprint=contents.header["fingerprint"],
            record_count=contents.header["records"],
            file_changed=contents.header["fingerprint"] != fingerprint,
        )

    def _read_or_set_aside(self) -> _Contents | None:
        try:
            return _read_contents(self.path)
        except _DamagedJournal as damage:
            journal = str(self.path)
            kept_file = self._set_aside("unreadable")
            raise DatamiError(
                JOURNAL_UNREADABLE,
                Location(file=self.data_file),
                journal=journal,
                line=damage.line,
                error=damage.reason,
                kept=str(kept_file),
            ) from None

    def _is_own(self, header: dict[str, Any]) -> bool:
        return (
            header["package"] == str(self.package_root)
            and header["resource"] == self.resource
            and header["file"] == self.data_file
        )

    # Writing

    def start(self, fingerprint: str, record_count: int) -> None:
        """Create an empty journal for the data file with ``fingerprint`` and ``record_count`` records.

        A previous journal that still has actions, or that cannot be read, is first renamed
        to a timestamped ``.discarded`` file, so starting never deletes an edit.

        Raises:
            DatamiError: ``journal.locked`` or ``journal.write-failed``.
        """
        self._acquire_lock()
        self._close_file()
        if self.path.exists() and self._has_content():
            self._set_aside("discarded")
        self._write_new(fingerprint, record_count, ())

    def _has_content(self) -> bool:
        try:
            contents = _read_contents(self.path)
        except _DamagedJournal:
            return True
        if contents is None:
            return False
        return bool(contents.actions) or not self._is_own(contents.header)

    def rewrite(self, fingerprint: str, record_count: int, actions: Sequence[JournalAction]) -> None:
        """Replace the journal with ``actions`` on a data file with ``fingerprint`` and ``record_count`` records.

        Used after a restore, so the journal matches the file the table was read from. The
        new file replaces the old one atomically: a crash leaves one or the other.

        Raises:
            DatamiError: ``journal.locked`` or ``journal.write-failed``.
        """
        self._acquire_lock()
        self._close_file()
        self._write_new(fingerprint, record_count, actions)

    def _write_new(self, fingerprint: str, record_count: int, actions: Sequence[JournalAction]) -> None:
        header = {
            "journal": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "package": str(self.package_root),
            "resource": self.resource,
            "file": self.data_file,
            "fingerprint": fingerprint,
            "records": record_count,
            "started": _now().isoformat(),
        }
        content = _json_line(header) + b"".join(_action_line(action) for action in actions)
        try:
            _replace_file(self.path, content)
        except OSError as error:
            raise DatamiError(WRITE_FAILED, Location(file=self.data_file), journal=str(self.path), error=str(error)) from None

        self._file = open(self.path, "ab", buffering=0)
        self._size = len(content)

    def record(self, action: Action, edit: Edit | None = None) -> None:
        """Append ``action`` (with its ``edit`` for ``apply``) and fsync it before returning.

        When writing fails, the file is cut back to its previous length, so a failed
        action never leaves a partial line that a later action would be appended to.

        Raises:
            DatamiError: ``journal.write-failed`` when the line could not be written.
            ValueError: for an unknown action, or ``edit`` missing for ``apply`` or given
                for ``undo`` and ``redo``.
            RuntimeError: when neither :meth:`start` nor :meth:`rewrite` was called.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown journal action {action!r}; expected one of {', '.join(ACTIONS)}")
        if (action == "apply") != (edit is not None):
            raise ValueError("an edit is required for 'apply' and not allowed for 'undo' and 'redo'")

        self._append(_action_line(JournalAction(action, edit, _now())))

    def record_save(self, fingerprint: str) -> None:
        """Append a save marker: ``fingerprint`` is the sha256 of the bytes about to be saved.

        Raises:
            DatamiError: ``journal.write-failed``.
            RuntimeError: when the journal was not started.
        """
        self._append(_json_line({"action": "save", "fingerprint": fingerprint, "time": _now().isoformat()}))

    def _append(self, line: bytes) -> None:
        if self._file is None:
            raise RuntimeError("the journal must be started before recording actions")

        try:
            _write_all(self._file, line)
            os.fsync(self._file.fileno())
        except OSError as error:
            self._cut_back()
            raise DatamiError(WRITE_FAILED, Location(file=self.data_file), journal=str(self.path), error=str(error)) from None
        self._size += len(line)

    def _cut_back(self) -> None:
        assert self._file is not None
        try:
            os.ftruncate(self._file.fileno(), self._size)
        except OSError:
            # NOTE: if even the truncation fails, the partial line stays. It has no line end,
            # so readers ignore it, but an action appended after it would join it.
            pass

    # Ending

    def clear(self) -> None:
        """Delete the journal, after a save wrote its edits. The lock is kept until :meth:`close`."""
        self._close_file()
        self.path.unlink(missing_ok=True)
        _sync_directory(self.directory)

    def discard(self) -> Path | None:
        """Rename the journal to a timestamped ``.discarded`` file and return its path.

        Returns None when there is no journal. The file is kept so that nothing the user
        typed is deleted by the program.

        Raises:
            DatamiError: ``journal.locked``.
        """
        self._acquire_lock()
        self._close_file()
        if not self.path.exists():
            return None
        return self._set_aside("discarded")

    def close(self) -> None:
        """Close the journal file and release the lock. The journal stays for the next run."""
        self._close_file()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _set_aside(self, suffix: str) -> Path:
        stamp = _now().strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.{stamp}.{suffix}")
        os.replace(self.path, target)
        _sync_directory(self.directory)
        return target

    def _acquire_lock(self) -> None:
        if self._lock is not None:
            return

        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = open(self.path.with_suffix(".lock"), "ab")
        if fcntl is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                raise DatamiError(JOURNAL_LOCKED, Location(file=self.data_file), journal=str(self.path)) from None
        self._lock = lock


def replay(table: Table, state: JournalState) -> list[Finding]:
    """Re-apply the actions of ``state`` to ``table``, a table just read with no edits.

    Applies, undoes and redoes in the recorded order, so the table ends with the same cells,
    undo history and redo history as when the journal was written. Returns warnings
    (``journal.cell-changed``) for cells whose text in the file differs from what the
    user saw when editing them.

    When the data file changed since editing started (``state.file_changed``), edits are
    applied by row position: an edit of data row 3 changes whatever is data row 3 now,
    even if someone inserted a row above it. Rows added during editing are renumbered after
    the file's current records. A cell edit whose starting text differs from the file
    still writes the user's value, and gets a warning. Its undo then restores the file's
    current text, not the text the user had seen.

    Nothing is applied when an error is raised.

    Raises:
        DatamiError: ``journal.row-missing`` when an edit names a data row the file no longer
            has. ``journal.field-missing`` when a cell edit names a field the file no longer has.
        ValueError: when ``table`` already has edits.
    """
    _, warnings = _replay(table, state)
    return warnings


def _replay(table: Table, state: JournalState) -> tuple[list[JournalAction], list[Finding]]:
    """Replay ``state`` on ``table`` and return the actions as applied (renumbered, rebased) and the warnings."""
    if table.history or table.is_dirty:
        raise ValueError("replay needs a table just read, without edits")

    # Every check happens before the first change, so a refused restore leaves the table as read.
    actions = [_renumber(table, state, action) for action in state.actions]

    applied: list[JournalAction] = []
    warnings: list[Finding] = []
    for action in actions:
        if action.action == "apply":
            assert action.edit is not None
            edit = _rebase(table, action.edit, warnings)
            table.apply(edit)
            action = dataclasses.replace(action, edit=edit)
        elif action.action == "undo":
            table.undo()
        else:
            table.redo()
        applied.append(action)
    return applied, warnings


def _renumber(table: Table, state: JournalState, action: JournalAction) -> JournalAction:
    """Give an applied edit the row id it has in ``table``, or raise when its row or field is gone."""
    edit = action.edit
    if edit is None:
        return action

    record_count = table.document.record_count
    if edit.row >= state.record_count:
        edit = dataclasses.replace(edit, row=edit.row - state.record_count + record_count)
    elif edit.row >= record_count:
        raise DatamiError(ROW_MISSING, Location(file=table.file, row=edit.row + 1), count=record_count)

    if edit.kind == "set" and table.column_of(edit.field or "") is None:
        raise DatamiError(FIELD_MISSING, Location(file=table.file, field=edit.field))
    return dataclasses.replace(action, edit=edit)


def _rebase(table: Table, edit: Edit, warnings: list[Finding]) -> Edit:
    """Make a cell edit start from the cell's current text, warning when that is not what the user saw."""
    if edit.kind != "set" or edit.field is None:
        return edit

    current = table.cell(edit.row, edit.field)
    if current == edit.old:
        return edit

    if current != edit.new:
        params = {"old": edit.old or "", "current": current or "", "new": edit.new or ""}
        warnings.append(Finding(CELL_CHANGED, "warning", table.location(edit.row, edit.field, edit.new), params))
    return dataclasses.replace(edit, old=current)


class JournaledTable:
    """A table of a session whose every change is journaled before the call returns.

    This is the editing API for front ends: they call :meth:`pending` once after opening,
    then :meth:`restore` or :meth:`discard`, then the editing methods, :meth:`save`, and
    :meth:`close` on exit. Reading goes through :attr:`table` as usual.

    Each edit is written to the journal first and applied to the table second, so an edit
    that could not be journaled is not made either.

    Raises:
        DatamiError: as :meth:`Session.open_table` and :class:`Journal`.
        ValueError: when the table already has edits made without the journal.
    """

    def __init__(self, session: Session, resource_name: str | None = None, *, directory: Path | str | None = None) -> None:
        self.session = session
        self._opened: OpenTable = session.open_table(resource_name)
        if self.table.history or self.table.is_dirty:
            raise ValueError("the table already has edits that the journal did not record")

        resource = self._opened.resource
        self.journal = Journal(session.package.root, resource.name, resource.path, directory=directory)

    @property
    def table(self) -> Table:
        """The edited table, for reading. Change it only through this object."""
        return self._opened.table

    # Restoring

    def pending(self) -> JournalState | None:
        """Return the unsaved edits of a previous run (see :meth:`Journal.pending`)."""
        return self.journal.pending(self._opened.fingerprint)

    def restore(self, state: JournalState) -> list[Finding]:
        """Replay ``state`` on the table (see :func:`replay`) and return its warnings.

        The journal is then rewritten against the file as it is now, so that later edits
        and a later restore use the same row ids.
        """
        actions, warnings = _replay(self.table, state)
        self.journal.rewrite(self._opened.fingerprint, self.table.document.record_count, actions)
        return warnings

    # Editing

    def set_cell(self, row: int, name: str, text: str) -> Edit | None:
        """Set field ``name`` of ``row`` to ``text`` and return the edit (see :meth:`Table.set_cell`).

        Returns None, and journals nothing, when the cell already has ``text``.
        """
        edit = _plan_set_cell(self.table, row, name, text)
        if edit is None:
            return None
        return self._apply(edit)

    def add_row(self, values: dict[str, str]) -> int:
        """Append a row with ``values`` by field name and return its row id (see :meth:`Table.add_row`)."""
        edit = _plan_add_row(self.table, values)
        return self._apply(edit).row

    def delete_row(self, row: int) -> Edit:
        """Delete ``row`` (see :meth:`Table.delete_row`)."""
        values = {name: text for name, text in self.table.record(row).items() if text is not None}
        return self._apply(Edit("delete", row, values=values))

    def undo(self) -> Edit | None:
        """Undo the last edit and return it, or None when there is nothing to undo."""
        edit = self.table.undo()
        if edit is not None:
            self._record_or_revert("undo", self.table.redo)
        return edit

    def redo(self) -> Edit | None:
        """Redo the last undone edit and return it, or None."""
        edit = self.table.redo()
        if edit is not None:
            self._record_or_revert("redo", self.table.undo)
        return edit

    def _apply(self, edit: Edit) -> Edit:
        self._ensure_started()
        self.journal.record("apply", edit)
        return self.table.apply(edit)

    def _record_or_revert(self, action: Action, revert: Callable[[], Edit | None]) -> None:
        # Undo and redo are exact inverses, so reverting leaves both histories as they were.
        try:
            self._ensure_started()
            self.journal.record(action)
        except DatamiError:
            revert()
            raise

    def _ensure_started(self) -> None:
        if not self.journal.started:
            self.journal.start(self._opened.fingerprint, self.table.document.record_count)

    # Saving and ending

    def save(self, *, convert_to_utf8: bool = False) -> Path | None:
        """Save the table (see :meth:`Session.save`) and delete the journal once the file is written.

        A save marker is journaled first, so that a crash right after writing the file does
        not offer the saved edits again. Editing can go on after a save: the next edit
        starts a new journal.
        """
        table = self.table
        if table.is_dirty and self.journal.started:
            self.journal.record_save(_saved_fingerprint(table, convert_to_utf8))

        target = self.session.save(self._opened.resource.name, convert_to_utf8=convert_to_utf8)
        if target is not None:
            self.journal.clear()
        return target

    def discard(self) -> Path | None:
        """Drop the unsaved edits: the table goes back to the file as read.

        Returns the ``.discarded`` file the journal was renamed to, or None when there was
        no journal. Use it too when the user declines to restore a pending journal.
        """
        discarded_file = self.journal.discard()
        if self.table.history or self.table.is_dirty:
            # NOTE: mark_saved is the only public way to drop every edit and the undo history.
            self.table.mark_saved(self.table.document)
        return discarded_file

    def close(self) -> None:
        """Release the journal and its lock without saving; the next run offers the edits again."""
        self.journal.close()


def _plan_set_cell(table: Table, row: int, name: str, text: str) -> Edit | None:
    """Build the edit that :meth:`Table.set_cell` would apply, without applying it."""
    # NOTE: this repeats the checks of Table.set_cell because Table cannot build an edit
    # without applying it, and the journal must be written before the table changes.
    table.field(name)
    if table.column_of(name) is None:
        raise DatamiError(FIELD_NOT_IN_FILE, Location(file=table.file, field=name), field=name)
    if table.is_deleted(row):
        raise DatamiError(ROW_DELETED, Location(file=table.file, field=name))

    old = table.cell(row, name)
    if old == text:
        return None
    return Edit("set", row, field=name, old=old, new=text)


def _plan_add_row(table: Table, values: dict[str, str]) -> Edit:
    """Build the edit that :meth:`Table.add_row` would apply, without applying it."""
    for name in values:
        table.field(name)

    # Table gives a new row the id record_count + number of added rows. Its added rows are
    # those of the add edits in the undo history: a deleted added row stays, an undone add goes.
    added = sum(1 for edit in table.history if edit.kind == "add")
    return Edit("add", table.document.record_count + added, values=dict(values))


def _saved_fingerprint(table: Table, convert_to_utf8: bool) -> str:
    """Return the sha256 of the bytes :meth:`Session.save` is about to write."""
    document = table.document
    if convert_to_utf8 and document.encoding.name != "utf-8":
        document = document.converted_to_utf8()
    return hashlib.sha256(document.render(table.changes())).hexdigest()


# Reading the file


@dataclass(frozen=True)
class _Contents:
    header: dict[str, Any]
    actions: tuple[JournalAction, ...]
    # The fingerprint of the last line when that line is a save marker.
    saved_fingerprint: str | None


class _DamagedJournal(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _read_contents(path: Path) -> _Contents | None:
    """Parse a journal file, or return None when not even its header line is complete.

    Raises:
        _DamagedJournal: when a complete line is not a valid header or action.
    """
    # The piece after the last line end is empty, or a write cut short: either way it is ignored.
    lines = path.read_bytes().split(b"\n")[:-1]
    if not lines:
        return None

    header = _parse_header(lines[0])
    actions: list[JournalAction] = []
    saved_fingerprint = None
    for number, line in enumerate(lines[1:], start=2):
        data = _parse_json(line, number)
        if data.get("action") == "save":
            saved_fingerprint = _require(data, "fingerprint", str, number)
            continue
        actions.append(_parse_action(data, number))
        saved_fingerprint = None
    return _Contents(header, tuple(actions), saved_fingerprint)


def _parse_json(line: bytes, number: int) -> dict[str, Any]:
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _DamagedJournal(number, str(error)) from None
    if not isinstance(data, dict):
        raise _DamagedJournal(number, "not a JSON object")
    return data


def _require(data: dict[str, Any], key: str, kind: type, number: int) -> Any:
    value = data.get(key)
    # bool is a subclass of int, but true is not a row id or a count.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _DamagedJournal(number, f"missing or invalid {key!r}")
    return value


def _parse_header(line: bytes) -> dict[str, Any]:
    header = _parse_json(line, 1)
    if header.get("journal") != FORMAT_NAME:
        raise _DamagedJournal(1, "not a datami-py edit journal")
    if header.get("version") != FORMAT_VERSION:
        raise _DamagedJournal(1, f"unsupported journal version {header.get('version')!r}")

    for key in ("package", "resource", "file", "fingerprint"):
        _require(header, key, str, 1)
    if _require(header, "records", int, 1) < 0:
        raise _DamagedJournal(1, "negative 'records'")
    return header


def _parse_action(data: dict[str, Any], number: int) -> JournalAction:
    action = data.get("action")
    if action not in ACTIONS:
        raise _DamagedJournal(number, f"unknown action {action!r}")
    time = _parse_time(_require(data, "time", str, number), number)
    if action != "apply":
        return JournalAction(action, None, time)
    return JournalAction(action, _parse_edit(_require(data, "edit", dict, number), number), time)


def _parse_time(text: str, number: int) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise _DamagedJournal(number, f"invalid time {text!r}") from None


def _parse_edit(data: dict[str, Any], number: int) -> Edit:
    try:
        edit = Edit.from_dict(data)
    except TypeError as error:
        raise _DamagedJournal(number, f"invalid edit: {error}") from None

    valid = (
        edit.kind in EDIT_KINDS
        and isinstance(edit.row, int)
        and not isinstance(edit.row, bool)
        and edit.row >= 0
        and all(value is None or isinstance(value, str) for value in (edit.field, edit.old, edit.new))
        and isinstance(edit.values, dict)
        and all(isinstance(key, str) and isinstance(value, str) for key, value in edit.values.items())
    )
    if not valid or (edit.kind == "set" and edit.field is None):
        raise _DamagedJournal(number, "invalid edit")
    return edit


def _count_edits(actions: Sequence[JournalAction]) -> int:
    """Return the length of the undo history after ``actions``, with the rules of :class:`Table`."""
    done = 0
    undone = 0
    for action in actions:
        if action.action == "apply":
            done += 1
            undone = 0
        elif action.action == "undo" and done:
            done -= 1
            undone += 1
        elif action.action == "redo" and undone:
            undone -= 1
            done += 1
    return done


# Writing the file


def _journal_name(package_root: Path, resource: str, data_file: str) -> str:
    """Return ``<resource>-<hash>.jsonl``: the resource name helps people find the file, the hash makes it unique."""
    identity = json.dumps([str(package_root), resource, data_file], ensure_ascii=False)
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]
    readable = re.sub(r"[^a-z0-9._-]+", "-", resource.lower()).strip("-.")[:40] or "resource"
    return f"{readable}-{digest}.jsonl"


def _json_line(data: dict[str, Any]) -> bytes:
    # json.dumps escapes line breaks inside strings, so a line end always ends a whole entry.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _action_line(action: JournalAction) -> bytes:
    data: dict[str, Any] = {"action": action.action}
    if action.edit is not None:
        data["edit"] = action.edit.to_dict()
    data["time"] = action.time.isoformat()
    return _json_line(data)


def _write_all(file: IO[bytes], data: bytes) -> None:
    # An unbuffered file may write fewer bytes than asked, for instance when a signal arrives.
    view = memoryview(data)
    while view:
        written = file.write(view)
        view = view[written or 0 :]


def _replace_file(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` through a fsynced temporary file, so a crash leaves the old or the new file."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Fsync ``directory`` so that a created, renamed or deleted entry survives a power loss."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _now() -> datetime:
    return datetime.now(timezone.utc)
