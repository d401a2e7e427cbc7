"""The review screen: every pending change, cell by cell, and the validation of the table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from datami_py.table.diff import TableDiff
from datami_py.ui import strings
from datami_py.ui.cells import cell_line


# Column widths, in cells.
KEY_WIDTH = 20
FIELD_WIDTH = 18
VALUE_WIDTH = 32


class ReviewScreen(ModalScreen[str | None]):
    """Lists the changes since the last commit (row, key, field, before, after) and the validation summary.

    ``p`` dismisses with "propose": the main screen then turns the edits into a proposal.
    ``P`` dismisses with "propose-split" (one proposal per kind of fix) and ``x`` with
    "fixes" (the clean-up screen).
    """

    BINDINGS = [
        Binding("escape,q,r", "dismiss(None)", strings.KEY_CLOSE),
        Binding("p", "dismiss('propose')", strings.KEY_PROPOSE),
        Binding("P", "dismiss('propose-split')", strings.KEY_PROPOSE_SPLIT),
        Binding("x", "dismiss('fixes')", strings.KEY_FIXES),
    ]

    def __init__(self, diff: TableDiff, summary: str) -> None:
        super().__init__()
        self.diff = diff
        self.summary = summary
        # The whole text of each line of the table, shown under it when highlighted.
        self.details: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog review"):
            yield Static(self.app.tr(strings.REVIEW_TITLE), classes="title")
            if self.diff.is_empty:
                yield Static(self.app.tr(strings.REVIEW_EMPTY))
            else:
                yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
                yield Static(id="change-detail")
            yield Static(self.app.tr(strings.REVIEW_VALIDATION, summary=self.summary), id="review-validation")
        yield Footer()

    def on_mount(self) -> None:
        if self.diff.is_empty:
            return
        table = self.query_one("#changes", DataTable)
        row, key, field, before, after = self.app.tr(strings.REVIEW_COLUMNS).split("|")
        # Widths fit 120 columns: keys are long titles, and the values matter most. The line
        # under the table shows the highlighted change whole.
        for label, width in ((row, 6), (key, KEY_WIDTH), (field, FIELD_WIDTH), (before, VALUE_WIDTH), (after, VALUE_WIDTH)):
            table.add_column(label, width=max(width, len(label)))
        for change in self.diff.cells:
            table.add_row(str(change.row), cell_line(change.key or "", KEY_WIDTH), cell_line(change.field, FIELD_WIDTH),
                          cell_line(change.old or "", VALUE_WIDTH), cell_line(change.new or "", VALUE_WIDTH))
            self.details.append(self.app.tr(strings.REVIEW_DETAIL, field=change.field, old=change.old or "", new=change.new or ""))
        for rows, code in ((self.diff.added, strings.REVIEW_ADDED), (self.diff.deleted, strings.REVIEW_DELETED)):
            label = self.app.tr(code)
            for item in rows:
                table.add_row(str(item["row"]), cell_line(item["key"] or "", KEY_WIDTH), label, "", "")
                self.details.append(f"{item['key'] or ''} {label}")
        table.focus()
        self._detail(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        if 0 <= index < len(self.details):
            self.query_one("#change-detail", Static).update(Text(self.details[index]))
