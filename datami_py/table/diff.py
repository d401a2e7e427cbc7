"""Cell-level difference between two versions of a table, matched by primary key."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from datami_py.table.table import Table


@dataclass(frozen=True)
class CellChange:
    """One changed cell: the row (key and data row number in the new version), field, old and new text."""

    key: str | None
    row: int
    field: str
    old: str | None
    new: str | None


@dataclass
class TableDiff:
    """The changes between two versions of a table.

    ``added`` and ``deleted`` hold whole rows as ``{"key", "row", "values"}`` mappings;
    ``row`` is the data row number in the version that has the row.
    """

    cells: list[CellChange] = field(default_factory=list)
    added: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when nothing changed."""
        return not (self.cells or self.added or self.deleted)

    def to_dict(self) -> dict[str, Any]:
        """Return the difference as JSON-ready data."""
        return {"cells": [asdict(change) for change in self.cells], "added": self.added, "deleted": self.deleted}


def _identity(table: Table, row: int, position: int) -> tuple[str, ...]:
    """Identify a row by its key, or by its position when the table has no primary key."""
    key = table.key_of(row)
    return ("key", key) if key is not None else ("position", str(position))


def diff_tables(old: Table, new: Table) -> TableDiff:
    """Compare ``old`` and ``new`` row by row (by primary key, else by position) and cell by cell.

    Fields are compared by name, so a column moved in the file is not reported as changed.
    """
    old_rows = {_identity(old, row, position): row for position, row in enumerate(old.row_ids)}
    new_rows = {_identity(new, row, position): row for position, row in enumerate(new.row_ids)}
    names = [name for name in new.field_names if new.column_of(name) is not None]
    result = TableDiff()

    for identity, new_row in new_rows.items():
        old_row = old_rows.get(identity)
        if old_row is None:
            result.added.append({"key": new.key_of(new_row), "row": new.row_number(new_row), "values": new.record(new_row)})
            continue
        for name in names:
            before, after = old.cell(old_row, name), new.cell(new_row, name)
            if before != after:
                result.cells.append(CellChange(new.key_of(new_row), new.row_number(new_row), name, before, after))

    for identity, old_row in old_rows.items():
        if identity not in new_rows:
            result.deleted.append({"key": old.key_of(old_row), "row": old.row_number(old_row), "values": old.record(old_row)})

    _pair_changed_keys(result, names)
    return result


def _pair_changed_keys(result: TableDiff, names: list[str]) -> None:
    """Turn a deleted row and an added row at the same row number into changed cells.

    Rows are matched by key, so an edited key first shows as a deleted and an added row.
    When both stand at the same row number, it is the same record with a new key: its
    changed cells are what the user did.
    """
    deleted = {row["row"]: row for row in result.deleted}
    for added in list(result.added):
        removed = deleted.get(added["row"])
        if removed is None:
            continue
        result.added.remove(added)
        result.deleted.remove(removed)
        del deleted[added["row"]]
        for name in names:
            before, after = removed["values"].get(name), added["values"].get(name)
            if before != after:
                result.cells.append(CellChange(added["key"], added["row"], name, before, after))
    result.cells.sort(key=lambda change: change.row)


def diff_edits(table: Table) -> TableDiff:
    """Return the edits of ``table`` since it was read, cell by cell, matching rows by row id.

    Unlike :func:`diff_tables`, a changed key is one changed cell, not a deleted and an
    added row, because the edits record which row changed.
    """
    result = TableDiff()
    overlay = table._overlay
    names = [name for name in table.field_names if table.column_of(name) is not None]
    for row in sorted(row for row, columns in overlay.cells.items() if columns and row not in overlay.deleted):
        for name in names:
            before, after = table.original_cell(row, name), table.cell(row, name)
            if before != after:
                result.cells.append(CellChange(table.key_of(row), table.row_number(row), name, before, after))
    for row in sorted(overlay.added):
        if row not in overlay.deleted:
            result.added.append({"key": table.key_of(row), "row": table.row_number(row), "values": table.record(row)})

    original = Table(table.document, table.schema, name=table.name, file=table.file)
    for row in sorted(table._overlay.deleted):
        if not table.is_added(row):
            result.deleted.append({"key": original.key_of(row), "row": row + 1, "values": original.record(row)})
    return result
