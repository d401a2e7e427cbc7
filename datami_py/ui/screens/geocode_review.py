"""The geocoding review screen: every result of the address API, accepted row by row before any edit.

The main screen queries the address API in a worker (see :func:`find_geocoding`) and opens
this screen with the results. Only results whose score reaches the minimum can be
accepted; low scores, addresses not found and errors are listed for information. The
accepted results are applied through the app's :class:`~datami_py.journal.JournaledTable`,
so each cell change is journaled and can be undone with Ctrl+Z.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from datami_py.geo.checks import PositionProblem, address_fields, geocode_rows, problem_message, problems_to_geocode
from datami_py.geo.geocode import DEFAULT_MIN_SCORE, BanClient, GeocodeResult, apply_results
from datami_py.i18n import message
from datami_py.journal import JournaledTable
from datami_py.table import Table
from datami_py.ui import strings

KEY_GEOCODE = message("ui.key.geocode", "Geocode addresses")
KEY_TOGGLE = message("ui.key.geocode-toggle", "Accept / refuse")
KEY_ACCEPT_ALL = message("ui.key.geocode-accept-all", "Accept all")
TITLE = message("ui.geocode.title", "Geocoding: {count} result(s) to review")
HINT = message(
    "ui.geocode.hint",
    "Space accepts or refuses a row, a accepts all, Enter applies the accepted rows, Escape cancels. "
    "Results below the minimum score, or not found, are never applied.",
)
COLUMNS = message("ui.geocode.columns", "Row|Key|Problem|Before|After|Score|Address found|Decision")
ACCEPTED = message("ui.geocode.accepted", "accepted")
REFUSED = message("ui.geocode.refused", "refused")
LOW_SCORE = message("ui.geocode.low-score", "score too low")
NOT_FOUND = message("ui.geocode.not-found", "not found")
ERROR = message("ui.geocode.error", "service error")
NO_POSITION = message("ui.geocode.no-position", "no position")
NOT_APPLICABLE = message("ui.geocode.not-applicable", "This result cannot be applied: {reason}.")
WORKING = message("ui.geocode.working", "Geocoding the addresses… Press G again to stop.")
STOPPING = message("ui.geocode.stopping", "Geocoding stops after the current request; nothing will be changed.")
NOTHING = message("ui.geocode.nothing", "No row needs geocoding: every position is filled in and in its département.")
APPLIED = message("ui.geocode.applied", "{count} row(s) geocoded. Ctrl+Z undoes each change.")

STATUS_LABELS = {"low-score": LOW_SCORE, "not-found": NOT_FOUND, "error": ERROR}

# (description code, main screen action), for the command palette.
ACTIONS = [(KEY_GEOCODE, "geocode")]


def find_geocoding(
    table: Table, settings: dict[str, Any], api_url: str | None = None, **options: Any
) -> tuple[list[GeocodeResult], dict[int, PositionProblem]]:
    """Geocode the rows that need it (missing or suspect positions) and return the results with each row's problem.

    The results are empty when no row needs geocoding. Runs in a worker, because it calls
    the address API, so it must not touch widgets. ``options`` (``progress``,
    ``should_stop``) go to :func:`~datami_py.geo.geocode.geocode`.

    Raises:
        DatamiError: as :func:`datami_py.geo.checks.geocode_rows`.
    """
    candidates = problems_to_geocode(table, settings, "needed")
    reasons = {row: problem for row, problem in candidates if problem is not None}
    if not candidates:
        return [], reasons
    rows = [row for row, _ in candidates]
    return geocode_rows(table, settings, rows, BanClient(api_url), DEFAULT_MIN_SCORE, **options), reasons


class GeocodeReviewScreen(ModalScreen[int | None]):
    """Lists the results (row, key, problem, before, after, score, address found, decision).

    Dismisses with the number of rows changed, or None when cancelled.
    """

    BINDINGS = [
        Binding("space", "toggle", KEY_TOGGLE),
        Binding("a", "accept_all", KEY_ACCEPT_ALL),
        Binding("enter", "apply", strings.BUTTON_APPLY, priority=True),
        Binding("escape", "dismiss(None)", strings.BUTTON_CANCEL),
    ]

    def __init__(
        self, editor: JournaledTable, settings: dict[str, Any], results: list[GeocodeResult], reasons: dict[int, PositionProblem] | None = None
    ) -> None:
        super().__init__()
        self.editor = editor
        self.settings = settings
        self.results = results
        self.reasons = reasons or {}
        # Applicable results start refused: nothing is applied that the user did not accept.
        self.accepted = [False] * len(results)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog review"):
            yield Static(self.app.tr(TITLE, count=len(self.results)), classes="title")
            yield Static(self.app.tr(HINT), classes="hint")
            yield DataTable(id="geocode-results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.app.tr(COLUMNS).split("|"))
        for index in range(len(self.results)):
            table.add_row(*self._cells(index), key=str(index))
        table.focus()

    def _cells(self, index: int) -> list[str]:
        result = self.results[index]
        table = self.editor.table
        tr = self.app.tr
        if result.old_latitude is None or result.old_longitude is None:
            before = tr(NO_POSITION)
        else:
            before = f"{result.old_latitude}, {result.old_longitude}"
        after = "" if result.latitude is None or result.longitude is None else f"{result.latitude:g}, {result.longitude:g}"
        score = "" if result.score is None else f"{result.score:.2f}"
        if result.applicable:
            decision = tr(ACCEPTED if self.accepted[index] else REFUSED)
        else:
            decision = tr(STATUS_LABELS[result.status])
        label = result.label or result.address
        row = str(table.row_number(result.row))
        return [row, table.key_of(result.row) or "", self._reason(result.row), before, after, score, label, decision]

    def _reason(self, row: int) -> str:
        problem = self.reasons.get(row)
        code = problem_message(problem) if problem is not None else None
        return "" if code is None else self.app.tr(code, **problem.params)  # type: ignore[union-attr]

    def _redraw(self, index: int) -> None:
        table = self.query_one(DataTable)
        for column, value in enumerate(self._cells(index)):
            table.update_cell_at((index, column), value)

    def action_toggle(self) -> None:
        index = self.query_one(DataTable).cursor_row
        if not 0 <= index < len(self.results):
            return
        result = self.results[index]
        if not result.applicable:
            reason = self.app.tr(STATUS_LABELS[result.status])
            self.notify(self.app.tr(NOT_APPLICABLE, reason=reason), severity="warning")
            return
        self.accepted[index] = not self.accepted[index]
        self._redraw(index)

    def action_accept_all(self) -> None:
        for index, result in enumerate(self.results):
            if result.applicable and not self.accepted[index]:
                self.accepted[index] = True
                self._redraw(index)

    def action_apply(self) -> None:
        """Apply the accepted results as journaled edits and close with the number of rows changed."""
        chosen = [result for result, accepted in zip(self.results, self.accepted) if accepted]
        if not chosen:
            self.dismiss(0)
            return
        fields = address_fields(self.editor.table, self.settings)
        applied = apply_results(self.editor, chosen, fields.latitude, fields.longitude)
        self.dismiss(len(applied))
