"""The review screen: every pending change, cell by cell, and the validation of the table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from datami_py.table.diff import TableDiff
from datami_py.ui import strings


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

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog review"):
            yield Static(self.app.tr(strings.REVIEW_TITLE), classes="title")
            if self.diff.is_empty:
                yield Static(self.app.tr(strings.REVIEW_EMPTY))
            else:
                yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
            yield Static(self.app.tr(strings.REVIEW_VALIDATION, summary=self.summary), id="review-validation")
        yield Footer()

    def on_mount(self) -> None:
        if self.diff.is_empty:
            return
        table = self.query_one("#changes", DataTable)
        table.add_columns(*self.app.tr(strings.REVIEW_COLUMNS).split("|"))
        for change in self.diff.cells:
            table.add_row(str(change.row), change.key or "", change.field, change.old or "", change.new or "")
        for row in self.diff.added:
            table.add_row(str(row["row"]), row["key"] or "", self.app.tr(strings.REVIEW_ADDED), "", "")
        for row in self.diff.deleted:
            table.add_row(str(row["row"]), row["key"] or "", self.app.tr(strings.REVIEW_DELETED), "", "")
        table.focus()
