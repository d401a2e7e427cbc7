"""The editable table: a CSV document, its schema binding and the user's edits.

Rows are addressed by a *row id*: ``0 … n-1`` for the records of the file as read, and
``n, n+1, …`` for rows added during the session. Row ids never change while a table is
open, whatever is added or deleted, so edits, the journal and the UI can refer to rows
safely. Users count rows differently: :meth:`Table.row_number` gives the data row
number a row has in the file as it would be saved (1 for the first data row).

Edits are an overlay on the original text: the document itself is never changed, so
saving can copy every untouched record byte for byte.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from datami_py.csvfile import CsvChanges, CsvDocument
from datami_py.errors import DatamiError, Location
from datami_py.i18n import message
from datami_py.schema.binding import HeaderBinding, bind_header
from datami_py.table.edits import Edit

ROW_KEY_NOT_FOUND = message(
    "table.key-not-found",
    "No row has the key “{key}”. Run “datami show” to list the keys, and copy the key exactly.",
)
ROW_KEY_AMBIGUOUS = message(
    "table.key-ambiguous",
    "Several rows match the key “{key}” once outer spaces are ignored (rows {rows}). Give the key exactly as stored.",
)
ROW_NUMBER_INVALID = message(
    "table.row-number-invalid",
    "There is no data row {row}: the table has {count} rows, numbered from 1.",
)
FIELD_NOT_FOUND = message(
    "table.field-not-found",
    "There is no field “{field}”. Fields of this table: {names}.",
)
FIELD_NOT_FOUND_SUGGESTION = message(
    "table.field-not-found-suggestion",
    "There is no field “{field}”. Did you mean “{suggestion}”? Write the field name exactly, capitals and accents included.",
)
ROW_KEY_NOT_FOUND_SUGGESTION = message(
    "table.key-not-found-suggestion",
    "No row has the key “{key}”. Did you mean “{suggestion}” (row {row})? Write the key exactly, capitals and accents included.",
)
# Above this many keys, a mistyped key gets no spelling suggestion (see _closest).
SPELLING_CANDIDATES = 20_000

FIELD_NOT_IN_FILE = message(
    "table.field-not-in-file",
    "The field “{field}” is in the schema but not in the CSV file, so it cannot be edited. Add the column first.",
)
ROW_DELETED = message("table.row-deleted", "This row was deleted; undo the deletion to edit it.")
NO_PRIMARY_KEY = message(
    "table.no-primary-key",
    "This table has no primary key, so rows cannot be chosen by key. Use the row number instead (--row-number N).",
)


@dataclass
class _Overlay:
    """Current state of the edits; rebuilt from nothing by replaying the history."""

    cells: dict[int, dict[int, str]] = field(default_factory=dict)
    added: dict[int, list[str]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)


class Table:
    """One tabular resource open for editing.

    Args:
        document: the parsed CSV file.
        schema: the resource's Table Schema.
        name: the resource name, used in messages.
        file: the data file path as users know it (relative to the package), for messages.
    """

    def __init__(self, document: CsvDocument, schema: dict[str, Any], name: str = "", file: str | None = None) -> None:
        self.document = document
        self.schema = schema
        self.name = name
        self.file = file
        self.fields: list[dict[str, Any]] = list(schema.get("fields") or [])
        self.field_names: list[str] = [str(item.get("name")) for item in self.fields]
        self.binding: HeaderBinding = bind_header(document.header, self.field_names, file)
        self.primary_key: list[str] = _primary_key(schema)
        self.missing_values: list[str] = list(schema.get("missingValues", [""]))
        self._overlay = _Overlay()
        self._history: list[Edit] = []
        self._undone: list[Edit] = []
        self._row_ids: Sequence[int] | None = None
        self._row_numbers: dict[int, int] | None = None

    # Reading

    def field(self, name: str) -> dict[str, Any]:
        """Return the schema field called ``name``.

        Raises:
            DatamiError: ``table.field-not-found`` listing the fields.
        """
        for item in self.fields:
            if item.get("name") == name:
                return item
        suggestion = _closest(name, self.field_names)
        if suggestion is not None:
            raise DatamiError(FIELD_NOT_FOUND_SUGGESTION, Location(file=self.file), field=name, suggestion=suggestion)
        raise DatamiError(FIELD_NOT_FOUND, Location(file=self.file), field=name, names=", ".join(self.field_names))

    def column_of(self, name: str) -> int | None:
        """Return the CSV column holding field ``name``, or None when the file lacks it."""
        return self.binding.columns.get(name)

    @property
    def row_ids(self) -> Sequence[int]:
        """Ids of the current rows in file order: kept records, then added rows.

        Without added or deleted rows this is a ``range``, which costs no memory on a
        million rows. The sequence is cached until rows are added or deleted; callers
        must not change it.
        """
        if self._row_ids is None:
            deleted = self._overlay.deleted
            count = self.document.record_count
            if not deleted and not self._overlay.added:
                self._row_ids = range(count)
            else:
                kept = [row for row in range(count) if row not in deleted]
                self._row_ids = kept + [row for row in self._overlay.added if row not in deleted]
        return self._row_ids

    def __len__(self) -> int:
        return len(self.row_ids)

    def is_added(self, row: int) -> bool:
        """True when ``row`` was added during the session."""
        return row >= self.document.record_count

    def has_row(self, row: int) -> bool:
        """True when ``row`` is one of the current rows: not deleted, and not an undone addition."""
        if row in self._overlay.deleted:
            return False
        if self.is_added(row):
            return row in self._overlay.added
        return row >= 0

    def is_deleted(self, row: int) -> bool:
        """True when ``row`` is deleted in the current edits."""
        return row in self._overlay.deleted

    def raw_cell(self, row: int, column: int) -> str | None:
        """Return the current text of ``column`` in ``row``, or None when the record has no such cell."""
        if self.is_added(row):
            values = self._overlay.added[row]
            return values[column] if column < len(values) else None

        edited = self._overlay.cells.get(row)
        if edited is not None and column in edited:
            return edited[column]
        return self.document.cells.cell(row, column)

    def cell(self, row: int, name: str) -> str | None:
        """Return the current text of field ``name`` in ``row`` (None: the file has no such cell)."""
        column = self.column_of(name)
        if column is None:
            return None
        return self.raw_cell(row, column)

    def original_cell(self, row: int, name: str) -> str | None:
        """Return the text of field ``name`` in ``row`` as it is in the file on disk."""
        column = self.column_of(name)
        if column is None or self.is_added(row):
            return None
        return self.document.cells.cell(row, column)

    def record(self, row: int) -> dict[str, str | None]:
        """Return the current text of every schema field of ``row``."""
        return {name: self.cell(row, name) for name in self.field_names}

    def is_missing(self, text: str | None) -> bool:
        """True when ``text`` is a missing value of this schema (or the cell does not exist)."""
        return text is None or text in self.missing_values

    def key_of(self, row: int) -> str | None:
        """Return the primary-key text of ``row`` (fields joined by “, ”), or None without a key."""
        if not self.primary_key:
            return None
        parts = [self.cell(row, name) or "" for name in self.primary_key]
        return ", ".join(parts)

    def row_number(self, row: int) -> int:
        """Return the data row number users see for ``row`` in the file as it would be saved."""
        if not self._overlay.deleted and not self.is_added(row):
            return row + 1
        if self._row_numbers is None:
            self._row_numbers = {row_id: position + 1 for position, row_id in enumerate(self.row_ids)}
        return self._row_numbers[row]

    def iter_rows(self) -> Iterator[int]:
        """Yield the current row ids in file order."""
        yield from self.row_ids

    def find_row(self, key: str) -> int:
        """Return the id of the row whose primary key is ``key``.

        The key is matched exactly; failing that, ignoring outer spaces on both sides when
        exactly one row matches that way (stored titles often end with a space).

        Raises:
            DatamiError: ``table.key-not-found``, ``table.key-ambiguous`` or ``table.no-primary-key``.
        """
        if not self.primary_key:
            raise DatamiError(NO_PRIMARY_KEY, Location(file=self.file))

        rows = self.row_ids
        exact = [row for row in rows if self.key_of(row) == key]
        if len(exact) == 1:
            return exact[0]

        loose = [row for row in rows if (self.key_of(row) or "").strip() == key.strip()]
        if len(loose) == 1 and not exact:
            return loose[0]
        if len(exact) > 1 or len(loose) > 1:
            numbers = ", ".join(str(self.row_number(row)) for row in (exact or loose))
            raise DatamiError(ROW_KEY_AMBIGUOUS, Location(file=self.file), key=key, rows=numbers)

        keys = {self.key_of(row) or "": row for row in rows}
        suggestion = _closest(key, list(keys))
        if suggestion is not None:
            raise DatamiError(ROW_KEY_NOT_FOUND_SUGGESTION, Location(file=self.file), key=key,
                              suggestion=suggestion.strip(), row=self.row_number(keys[suggestion]))
        raise DatamiError(ROW_KEY_NOT_FOUND, Location(file=self.file), key=key)

    def row_at(self, number: int) -> int:
        """Return the id of data row ``number`` (1 for the first data row).

        Raises:
            DatamiError: ``table.row-number-invalid``.
        """
        rows = self.row_ids
        if not 1 <= number <= len(rows):
            raise DatamiError(ROW_NUMBER_INVALID, Location(file=self.file), row=number, count=len(rows))
        return rows[number - 1]

    def location(self, row: int, name: str | None = None, value: str | None = None) -> Location:
        """Return the location of ``row`` (and field ``name``) as users see it."""
        return Location(file=self.file, row=self.row_number(row), key=self.key_of(row), field=name, value=value)

    def snapshot(self) -> Table:
        """Return a copy of the table as it is now, for reading in another thread.

        The document, schema and header binding are shared, since they are never changed
        in place. The edits are copied, so later edits to this table do not reach the copy
        and reading the copy never races with them. The cost grows with the number of
        edits, not of rows. The copy has no undo history.
        """
        copy = object.__new__(Table)
        copy.__dict__.update(self.__dict__)
        overlay = self._overlay
        copy._overlay = _Overlay(
            {row: dict(columns) for row, columns in overlay.cells.items()},
            {row: list(values) for row, values in overlay.added.items()},
            set(overlay.deleted),
        )
        copy._history = []
        copy._undone = []
        copy._row_ids = None
        copy._row_numbers = None
        return copy

    # Editing

    def _editable_column(self, row: int, name: str) -> int:
        self.field(name)
        column = self.column_of(name)
        if column is None:
            raise DatamiError(FIELD_NOT_IN_FILE, Location(file=self.file, field=name), field=name)
        if self.is_deleted(row):
            raise DatamiError(ROW_DELETED, Location(file=self.file, field=name))
        return column

    def set_cell(self, row: int, name: str, text: str) -> Edit | None:
        """Set field ``name`` of ``row`` to ``text``; return the edit, or None when nothing changes.

        The value is stored as typed; checking it is the validator's job, so nothing a
        user types is ever dropped or coerced here.
        """
        self._editable_column(row, name)
        old = self.cell(row, name)
        if old == text:
            return None
        return self.apply(Edit("set", row, field=name, old=old, new=text))

    def add_row(self, values: dict[str, str]) -> int:
        """Append a row with ``values`` by field name (other fields empty); return its row id."""
        for name in values:
            self.field(name)
        row = self.document.record_count + len(self._overlay.added)
        self.apply(Edit("add", row, values=dict(values)))
        return row

    def delete_row(self, row: int) -> Edit:
        """Delete ``row``; the edit keeps its values so that undo restores it."""
        values = {name: text for name, text in self.record(row).items() if text is not None}
        return self.apply(Edit("delete", row, values=values))

    def apply(self, edit: Edit, *, record: bool = True) -> Edit:
        """Apply ``edit`` to the overlay; when ``record`` is true, add it to the undo history."""
        self._apply(edit)
        if record:
            self._history.append(edit)
            self._undone.clear()
        return edit

    def _forget_row_order(self) -> None:
        self._row_ids = None
        self._row_numbers = None

    def _apply(self, edit: Edit) -> None:
        overlay = self._overlay
        if edit.kind != "set":
            self._forget_row_order()
        if edit.kind == "set":
            column = self.column_of(edit.field or "")
            assert column is not None
            if self.is_added(edit.row):
                values = overlay.added[edit.row]
                values += [""] * (column + 1 - len(values))
                values[column] = edit.new or ""
            elif edit.new == self.original_cell(edit.row, edit.field or ""):
                overlay.cells.get(edit.row, {}).pop(column, None)
            else:
                overlay.cells.setdefault(edit.row, {})[column] = edit.new or ""
        elif edit.kind == "add":
            overlay.added[edit.row] = self._new_record(edit.values)
        elif edit.kind == "delete":
            overlay.deleted.add(edit.row)

    def _revert(self, edit: Edit) -> None:
        overlay = self._overlay
        if edit.kind != "set":
            self._forget_row_order()
        if edit.kind == "set":
            self._apply(Edit("set", edit.row, field=edit.field, old=edit.new, new=edit.old))
        elif edit.kind == "add":
            overlay.added.pop(edit.row, None)
        elif edit.kind == "delete":
            overlay.deleted.discard(edit.row)

    def _new_record(self, values: dict[str, str]) -> list[str]:
        width = len(self.document.header)
        record = [""] * width
        for name, text in values.items():
            column = self.column_of(name)
            if column is not None:
                record[column] = text
        return record

    def undo(self) -> Edit | None:
        """Undo the last edit and return it, or None when there is nothing to undo."""
        if not self._history:
            return None
        edit = self._history.pop()
        self._revert(edit)
        self._undone.append(edit)
        return edit

    def redo(self) -> Edit | None:
        """Redo the last undone edit and return it, or None."""
        if not self._undone:
            return None
        edit = self._undone.pop()
        self._apply(edit)
        self._history.append(edit)
        return edit

    @property
    def history(self) -> Sequence[Edit]:
        """The edits applied so far, oldest first (undone edits excluded)."""
        return tuple(self._history)

    @property
    def is_dirty(self) -> bool:
        """True when saving would change the file."""
        overlay = self._overlay
        return bool(any(overlay.cells.values()) or overlay.added or overlay.deleted)

    # Saving

    def changes(self) -> CsvChanges:
        """Return the edits as CSV changes for :meth:`CsvDocument.render`."""
        overlay = self._overlay
        record_count = self.document.record_count
        cells = {row: dict(columns) for row, columns in overlay.cells.items() if columns and row not in overlay.deleted}
        deleted = {row for row in overlay.deleted if row < record_count}
        added = [values for row, values in sorted(overlay.added.items()) if row not in overlay.deleted]
        return CsvChanges(cells=cells, deleted=deleted, added=added)

    def render(self) -> bytes:
        """Return the bytes of the file with the edits applied (see :meth:`CsvDocument.render`)."""
        return self.document.render(self.changes())

    def convert_to_utf8(self) -> None:
        """Re-encode the underlying file as UTF-8 on the next save; edits and row ids are kept.

        The records stay the same records, only their bytes change, so the overlay still applies.
        """
        self.document = self.document.converted_to_utf8()

    def mark_saved(self, document: CsvDocument) -> None:
        """Start over from ``document`` (the file just written): no edits, no history."""
        self.document = document
        self.binding = bind_header(document.header, self.field_names, self.file)
        self._overlay = _Overlay()
        self._history.clear()
        self._undone.clear()
        self._forget_row_order()


def _primary_key(schema: dict[str, Any]) -> list[str]:
    key = schema.get("primaryKey")
    if isinstance(key, str):
        return [key]
    if isinstance(key, list):
        return [str(name) for name in key]
    return []


def _folded(text: str) -> str:
    """Return ``text`` without accents, outer spaces or case differences, for suggestions."""
    decomposed = unicodedata.normalize("NFD", text.strip().casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def _closest(wanted: str, names: Sequence[str]) -> str | None:
    """Return the one name of ``names`` that ``wanted`` most likely meant, or None.

    That is the only name equal to ``wanted`` once accents, case and outer spaces are set
    aside, else the closest spelling by :func:`difflib.get_close_matches` (ratio 0.8).
    The spelling search compares names character by character, so it runs only among
    :data:`SPELLING_CANDIDATES` names at most.
    """
    folded = _folded(wanted)
    same = [name for name in names if _folded(name) == folded]
    if len(same) == 1:
        return same[0]
    if same:
        return None

    if len(names) > SPELLING_CANDIDATES:
        return None
    by_folded = {_folded(name): name for name in names}
    close = difflib.get_close_matches(folded, list(by_folded), n=1, cutoff=0.8)
    return by_folded[close[0]] if close else None
