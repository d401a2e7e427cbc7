"""The validation panel: every error and warning of the table, to read, filter and open."""

from __future__ import annotations

import functools

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from datami_py.errors import Finding, describe, describe_message
from datami_py.table import Table
from datami_py.table.query import fold
from datami_py.ui import strings
from datami_py.ui.cells import cell_line
from datami_py.validation import ValidationReport

# Lines listed at most, so that a very large report stays quick to draw; the filter
# narrows the rest down.
LISTED_LIMIT = 2000
# Widths of the key and field columns, in cells: titles can be a hundred characters long,
# and the message needs the rest of the line. The line below the list shows them whole.
KEY_WIDTH = 30
FIELD_WIDTH = 24


class Problem:
    """One finding as the panel lists it, with its row id in the validated table (None for the header).

    Its texts are worded when first needed and kept: a large table can have tens of
    thousands of findings, and the list shows at most :data:`LISTED_LIMIT` of them.
    """

    def __init__(self, finding: Finding, row: int | None, language: str) -> None:
        self.finding = finding
        self.row = row
        self.language = language

    @property
    def is_error(self) -> bool:
        return self.finding.severity == "error"

    @functools.cached_property
    def message(self) -> str:
        """The finding's message, without its place."""
        return describe_message(self.finding, self.language)

    @functools.cached_property
    def description(self) -> str:
        """The finding with its file, row, key and field."""
        return describe(self.finding, self.language)

    @functools.cached_property
    def folded(self) -> str:
        """Row, key, field and message, folded for the filter."""
        location = self.finding.location
        parts = (location.row, location.key, location.field, self.message)
        return fold(" ".join(str(part) for part in parts if part))


class ProblemsScreen(ModalScreen[tuple[str, int | None, str | None] | None]):
    """Lists the findings of ``report``, errors first, with a filter on their text.

    ``validated`` is the table the report was made from (a snapshot), which turns the row
    numbers of the findings back into row ids. Enter dismisses with ("edit", row id,
    field) for a finding of a row, and ``x`` with ("fixes", None, None).
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", strings.KEY_CLOSE),
        Binding("x", "dismiss(('fixes', None, None))", strings.KEY_FIXES),
        Binding("slash", "focus_filter", strings.KEY_PROBLEMS_FILTER),
    ]

    def __init__(self, report: ValidationReport, validated: Table) -> None:
        super().__init__()
        self.report = report
        self.validated = validated
        self.problems: list[Problem] = []
        self.listed: list[Problem] = []

    def compose(self) -> ComposeResult:
        self.problems = _problems(self.report, self.validated, self.app.language)
        with Vertical(classes="dialog problems"):
            yield Static(self.app.tr(strings.PROBLEMS_TITLE), classes="title")
            yield Static(self._summary(), id="problems-summary")
            if self.problems:
                yield Input(placeholder=self.app.tr(strings.PROBLEMS_FILTER), id="problems-filter")
                yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)
                yield Static(id="problems-detail")
                yield Static(self.app.tr(strings.PROBLEMS_HINT), classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        if not self.problems:
            return
        table = self.query_one("#problems", DataTable)
        mark, row, key, field, message = self.app.tr(strings.PROBLEMS_COLUMNS).split("|")
        table.add_column(mark, width=1)
        table.add_column(row, width=max(len(row), 5))
        table.add_column(key, width=KEY_WIDTH)
        table.add_column(field, width=FIELD_WIDTH)
        table.add_column(message)
        self._show("")
        table.focus()

    def _summary(self) -> str:
        errors, warnings = len(self.report.errors), len(self.report.warnings)
        if not errors and not warnings:
            return self.app.tr(strings.PROBLEMS_NONE)
        return self.app.tr(strings.STATUS_ERRORS, errors=errors, warnings=warnings)

    def _show(self, text: str) -> None:
        """List the problems whose text contains ``text`` (case and accents ignored)."""
        # NOTE: the first filter words every finding: 0.8 s for 60,000 findings on 2 cores
        # (benchmarks/bench_problems.py).
        folded = fold(text.strip())
        matching = [problem for problem in self.problems if folded in problem.folded] if folded else self.problems
        self.listed = matching[:LISTED_LIMIT]

        table = self.query_one("#problems", DataTable)
        table.clear()
        for problem in self.listed:
            location = problem.finding.location
            mark = Text("✖", style="bold red") if problem.is_error else Text("!", style="bold yellow")
            table.add_row(mark, str(location.row or ""), cell_line(location.key or "", KEY_WIDTH),
                          cell_line(location.field or "", FIELD_WIDTH), problem.message)
        if len(matching) > len(self.listed):
            note = self.app.tr(strings.PROBLEMS_LIMITED, shown=len(self.listed), count=len(matching))
        else:
            note = self.app.tr(strings.PROBLEMS_COUNT, count=len(matching))
        self.query_one("#problems-summary", Static).update(f"{self._summary()} · {note}")
        self._detail(0)

    def _detail(self, index: int) -> None:
        """Show the highlighted problem whole, with its place: the table cuts long texts."""
        detail = self.query_one("#problems-detail", Static)
        detail.update(self.listed[index].description if 0 <= index < len(self.listed) else "")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "problems-filter":
            self._show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#problems", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        problem = self.listed[event.cursor_row]
        if problem.row is not None:
            self.dismiss(("edit", problem.row, problem.finding.location.field))

    def action_focus_filter(self) -> None:
        # A valid table has no list and no filter.
        if self.problems:
            self.query_one("#problems-filter", Input).focus()


def _problems(report: ValidationReport, validated: Table, language: str) -> list[Problem]:
    """Return the findings of ``report``, errors first, each with its row id in ``validated``."""
    problems = []
    for finding in sorted(report.findings, key=lambda finding: finding.severity != "error"):
        number = finding.location.row
        row = validated.row_at(number) if number is not None and 1 <= number <= len(validated) else None
        problems.append(Problem(finding, row, language))
    return problems
