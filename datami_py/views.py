"""The rows a user is looking at: search, filters and sort over a table, and how cells read.

:class:`TableView` is what the table and cards views of the UI show: a list of row ids
(the current search, filters and sort applied), the visible fields with the key first,
and the text of each cell as shown (codes with labels in cards, line breaks folded in the
table). It holds no UI code, so the CLI and tests use it too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from datami_py.cards import tags_of
from datami_py.table import Table
from datami_py.table import query
from datami_py.validation.validator import category_values

# Columns are at most this many cells wide in the table; the full value is in the card.
MAX_COLUMN_WIDTH = 40
# Rows read to size the columns.
WIDTH_SAMPLE_ROWS = 1000


def one_line(text: str) -> str:
    """Return ``text`` with each line break (CRLF, LF or CR) shown as "⏎"."""
    return text.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")


@dataclass
class TableView:
    """The current selection of rows of one table and the settings that produced it."""

    table: Table
    settings: dict[str, Any]
    query_text: str = ""
    active_filters: dict[str, set[str]] = field(default_factory=dict)
    sort_field: str | None = None
    sort_descending: bool = False
    rows: Sequence[int] = field(default_factory=list)
    invalid: set[tuple[int, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.filter_specs = query.filter_specs(self.settings)
        self.refresh()

    @property
    def fields(self) -> list[str]:
        """Visible fields: the key first, then the others in schema order, hidden ones left out."""
        table = self.table
        names = [name for name in table.field_names if table.column_of(name) is not None]
        visible = [name for name in names if not (table.field(name).get("x-datami") or {}).get("hide")]
        key = [name for name in table.primary_key if name in visible]
        return key + [name for name in visible if name not in key]

    def refresh(self) -> None:
        """Recompute :attr:`rows` from the search text, the filters and the sort."""
        rows: Sequence[int] = query.search(self.table, self.query_text) if self.query_text else self.table.row_ids
        active = {name: values for name, values in self.active_filters.items() if values}
        if active:
            rows = query.apply_filters(self.table, active, self.filter_specs, rows)
        if self.sort_field:
            rows = query.sort_rows(self.table, rows, self.sort_field, descending=self.sort_descending)
        self.rows = rows

    def set_query(self, text: str) -> None:
        """Search for ``text`` (case and accents ignored) and refresh."""
        self.query_text = text
        self.refresh()

    def toggle_filter(self, name: str, value: str) -> None:
        """Add ``value`` to the active values of filter ``name``, or remove it, and refresh."""
        values = self.active_filters.setdefault(name, set())
        values.symmetric_difference_update({value})
        self.refresh()

    def clear_filter(self, name: str, value: str | None = None) -> None:
        """Remove one active value of filter ``name``, or all of them, and refresh."""
        if value is None:
            self.active_filters.pop(name, None)
        else:
            self.active_filters.get(name, set()).discard(value)
        self.refresh()

    def sort_by(self, name: str | None) -> None:
        """Sort by ``name``; sorting again by the same field reverses the order, a third time removes the sort."""
        if name is None or (name == self.sort_field and self.sort_descending):
            self.sort_field, self.sort_descending = None, False
        elif name == self.sort_field:
            self.sort_descending = True
        else:
            self.sort_field, self.sort_descending = name, False
        self.refresh()

    def filter_options(self, name: str) -> list[query.FilterOption]:
        """Return the values of filter ``name`` with labels and counts among the rows the search keeps."""
        rows = query.search(self.table, self.query_text) if self.query_text else None
        spec = next(spec for spec in self.filter_specs if spec.field == name)
        return query.filter_options(self.table, spec, rows)

    def flag_errors(self, findings: Any) -> None:
        """Remember which cells have a schema error (from a validation report), to show them flagged."""
        self.invalid = set()
        for finding in findings:
            if finding.severity != "error" or not finding.location.field or finding.location.row is None:
                continue
            # A report computed before the latest edit may name a row that no longer exists.
            if finding.location.row <= len(self.table):
                self.invalid.add((self.table.row_at(finding.location.row), finding.location.field))

    def cell_text(self, row: int, name: str) -> str:
        """Return the cell as shown in the table: one line, line breaks as ⏎."""
        text = self.table.cell(row, name)
        if text is None:
            return ""
        return one_line(text)

    def tag_labels(self, row: int, name: str) -> list[tuple[str, str, str | None]]:
        """Return the (code, label, colour) of each code in a tag cell, or [] for other fields."""
        descriptor = self.table.field(name)
        subtype = (descriptor.get("x-datami") or {}).get("subtype")
        if not category_values(descriptor) and subtype not in ("tags", "tag"):
            return []
        return [(tag.code, tag.label, tag.color) for tag in tags_of(self.table, name, self.table.cell(row, name))]

    def column_widths(self, measure: Any) -> dict[str, int]:
        """Return the width of each visible column: header and a sample of rows, capped.

        ``measure`` returns the terminal cell width of a text (``rich.cells.cell_len``); it
        is passed in so this module stays free of UI libraries.
        """
        sample = self.rows[:WIDTH_SAMPLE_ROWS]
        widths = {}
        for name in self.fields:
            width = measure(name)
            for row in sample:
                width = max(width, measure(self._shown_text(row, name)[: MAX_COLUMN_WIDTH + 1]))
                if width >= MAX_COLUMN_WIDTH:
                    break
            widths[name] = min(width, MAX_COLUMN_WIDTH)
        return widths

    def _shown_text(self, row: int, name: str) -> str:
        """Return the text a table cell shows: code chips and labels for tags, else the cell."""
        tags = self.tag_labels(row, name)
        if tags:
            chips = " ".join(f" {code} " for code, _label, _color in tags)
            return chips + " " + ", ".join(label for _code, label, _color in tags)
        return unicodedata.normalize("NFC", self.cell_text(row, name))
