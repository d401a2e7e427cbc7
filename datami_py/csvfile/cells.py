"""Storage of the decoded cells of a CSV file's data records.

Two stores share one interface. :class:`RowCells` keeps Python lists, one per record; it
handles any file, ragged rows included, and suits small files. :class:`ArrowCells` keeps
one Arrow string column per header column; it needs every record to have the header's
width, and stores a million rows in a fraction of the memory Python strings would take.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Cells(Protocol):
    """Read access to the cells of the data records (record 0 is the first row under the header)."""

    def __len__(self) -> int: ...

    def cell(self, record: int, column: int) -> str | None:
        """Return the text of ``column`` in ``record``, or None when the record is shorter."""
        ...

    def width(self, record: int) -> int:
        """Return how many fields ``record`` has."""
        ...

    def record(self, record: int) -> list[str]:
        """Return every field of ``record``."""
        ...

    def arrow_column(self, column: int) -> Any | None:
        """Return ``column`` as a pyarrow ChunkedArray, or None when the store has no Arrow form."""
        ...

    def patched(self, changes: dict[int, dict[int, str]]) -> Cells:
        """Return a store with ``changes`` (record -> column -> text) applied; this one is unchanged."""
        ...


class RowCells:
    """Cells kept as one Python list per record."""

    def __init__(self, rows: list[list[str]]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def cell(self, record: int, column: int) -> str | None:
        fields = self.rows[record]
        return fields[column] if column < len(fields) else None

    def width(self, record: int) -> int:
        return len(self.rows[record])

    def record(self, record: int) -> list[str]:
        return list(self.rows[record])

    def arrow_column(self, column: int) -> Any | None:
        return None

    def patched(self, changes: dict[int, dict[int, str]]) -> RowCells:
        rows = list(self.rows)
        for record, columns in changes.items():
            fields = list(rows[record])
            for column, text in columns.items():
                fields += [""] * (column + 1 - len(fields))
                fields[column] = text
            rows[record] = fields
        return RowCells(rows)


class ArrowCells:
    """Cells kept as a pyarrow Table with one string column per header column."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._columns = [table.column(index) for index in range(table.num_columns)]

    def __len__(self) -> int:
        return self.table.num_rows

    def cell(self, record: int, column: int) -> str | None:
        if column >= len(self._columns):
            return None
        return self._columns[column][record].as_py()

    def width(self, record: int) -> int:
        return len(self._columns)

    def record(self, record: int) -> list[str]:
        return [column[record].as_py() for column in self._columns]

    def arrow_column(self, column: int) -> Any | None:
        return self._columns[column] if column < len(self._columns) else None

    def patched(self, changes: dict[int, dict[int, str]]) -> ArrowCells:
        import pyarrow as pa

        by_column: dict[int, dict[int, str]] = {}
        for record, columns in changes.items():
            for column, text in columns.items():
                by_column.setdefault(column, {})[record] = text

        table = self.table
        for column, texts in by_column.items():
            values = table.column(column).to_pylist()
            for record, text in texts.items():
                values[record] = text
            table = table.set_column(column, table.field(column), pa.chunked_array([pa.array(values, pa.string())]))
        return ArrowCells(table)


def head(cells: Cells, count: int) -> Sequence[list[str]]:
    """Return the first ``count`` records as lists (used to infer a schema from a sample)."""
    return [cells.record(record) for record in range(min(count, len(cells)))]
