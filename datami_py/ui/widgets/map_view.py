"""The map view of the main screen: the terminal map on the left, legend, counts and rows without position on the right.

The map shows the rows of the main screen's search and filters. Placing the rows and
joining them to the départements runs in a worker, once per version of the table.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static
from textual.worker import get_current_worker

from datami_py.errors import DatamiError, describe
from datami_py.geo.canvas import load_outlines
from datami_py.geo.export import LEGEND_TITLE, PLACED_NOTE, UNPLACED_NOTE, class_labels, map_title, popup_field
from datami_py.geo.layers import MapRows, MapSubset, fill_classes
from datami_py.geo.viewpoint import MapViewSettings
from datami_py.table import Table
from datami_py.ui import map_strings
from datami_py.ui.widgets.terminal_map import TerminalMap
from datami_py.views import TableView


# The side panel lists at most this many rows without position, then how many more there are.
UNPLACED_SHOWN = 200


class MapView(Horizontal):
    """The terminal map of the view's rows and its side panel."""

    BINDINGS = [
        Binding("pagedown", "scroll_side(1)", map_strings.KEY_SCROLL_PANEL, show=False),
        Binding("pageup", "scroll_side(-1)", map_strings.KEY_SCROLL_PANEL, show=False),
    ]

    DEFAULT_CSS = """
    MapView #map-side {
        width: 38;
        height: 1fr;
        padding: 0 1;
        background: $panel;
    }
    MapView #map-side Static {
        margin: 0 0 1 0;
    }
    """

    def __init__(self, view: TableView, settings: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.settings = settings
        self.map_settings = MapViewSettings.from_settings(settings)
        self.map_rows: MapRows | None = None
        self.subset: MapSubset | None = None
        self.problem: str | None = None
        self.stale = True

    def compose(self) -> ComposeResult:
        yield TerminalMap(self.map_settings, id="terminal-map")
        with VerticalScroll(id="map-side"):
            yield Static(id="map-summary")
            yield Static(id="map-legend")
            yield Static(id="map-counts")
            yield Static(id="map-unplaced")

    @property
    def terminal_map(self) -> TerminalMap:
        return self.query_one(TerminalMap)

    def on_mount(self) -> None:
        self.app.translate_bindings(self.terminal_map)
        self.app.translate_bindings(self)

    def action_scroll_side(self, pages: int) -> None:
        side = self.query_one("#map-side", VerticalScroll)
        if pages > 0:
            side.scroll_page_down()
        else:
            side.scroll_page_up()

    # Data

    def reload(self, data_changed: bool = False) -> None:
        """Show the view's current rows; ``data_changed`` (after an edit) places every row again.

        While the view is hidden this only marks the map out of date.
        """
        if data_changed:
            self.map_rows = None
            self.problem = None
        if self.problem is not None:
            return
        if not self.display:
            self.stale = True
            return
        self.stale = False
        if self.map_rows is None:
            self.query_one("#map-summary", Static).update(self.app.tr(map_strings.MAP_LOADING))
            # The worker reads a snapshot: the user may edit while the rows are placed.
            self.place_rows(self.view.table.snapshot())
        else:
            self._show_subset()

    def on_show(self) -> None:
        if self.stale:
            self.reload()

    @work(thread=True, exclusive=True, group="map")
    def place_rows(self, table: Table) -> None:
        """Place the rows of ``table`` and join them to the départements in a worker (geopandas takes a moment to load)."""
        try:
            map_rows = MapRows.compute(table, self.settings)
        except DatamiError as error:
            self.app.call_from_thread(self._failed, describe(error, self.app.language))
            return
        # A later edit started a newer worker: its result, not this one, is current.
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._placed, map_rows)

    def _failed(self, description: str) -> None:
        self.problem = description
        self.query_one("#map-summary", Static).update(Text(description, style="bold"))

    def _placed(self, map_rows: MapRows) -> None:
        self.problem = None
        self.map_rows = map_rows
        self._show_subset()

    def _show_subset(self) -> None:
        assert self.map_rows is not None
        self.subset = self.map_rows.subset(self.view.rows)
        stops = self.map_settings.stops
        # Without the join there are no counts, and every département would look empty.
        classes = fill_classes(self.subset.counts, stops) if self.map_rows.join_problem is None else {}
        self.terminal_map.set_points(self.subset.longitudes, self.subset.latitudes, self.subset.rows, classes)
        self.update_panel()

    # Side panel

    def on_terminal_map_changed(self, _event: TerminalMap.Changed) -> None:
        self.update_panel()

    def update_panel(self) -> None:
        """Write the summary, the legend, the counts per département and the rows without position."""
        if self.subset is None or self.problem is not None:
            return
        self.query_one("#map-summary", Static).update(self._summary())
        self.query_one("#map-legend", Static).update(self._legend())
        self.query_one("#map-counts", Static).update(self._counts())
        self.query_one("#map-unplaced", Static).update(self._unplaced())

    def _summary(self) -> Text:
        tr = self.app.tr
        terminal_map = self.terminal_map
        text = Text(map_title(self.view.table, self.settings, self.app.language) + "\n", style="bold")
        text.append(tr(PLACED_NOTE, count=len(self.subset.rows)) + "\n")
        if self.subset.unplaced:
            text.append(tr(UNPLACED_NOTE, count=len(self.subset.unplaced)) + "\n")
        if terminal_map.viewpoint is not None:
            zoom = f"{terminal_map.viewpoint.zoom:g}"
            # French writes a decimal comma.
            text.append(tr(map_strings.MAP_ZOOM, zoom=zoom.replace(".", ",") if self.app.language == "fr" else zoom) + "\n")
        on, off = tr(map_strings.MAP_ON), tr(map_strings.MAP_OFF)
        points, departements = (on if terminal_map.show_points else off), (on if terminal_map.show_departements else off)
        text.append(tr(map_strings.MAP_LAYERS, points=points, departements=departements) + "\n")
        text.append(self._selection())
        return text

    def _selection(self) -> Text:
        tr = self.app.tr
        row = self.terminal_map.selected
        if row is None:
            return Text(tr(map_strings.MAP_NOTHING_SELECTED), style="dim")
        table = self.view.table
        title_field = popup_field(table, self.settings)
        title = (table.cell(row, title_field) or "").strip() if title_field else ""
        code = self.map_rows.departements.get(row) if self.map_rows else None
        names = {outline.code: outline.name for outline in load_outlines()}
        departement = f"{code} {names.get(code, '')}".strip() if code else tr(map_strings.MAP_NO_DEPARTEMENT)
        if self.map_rows is not None and self.map_rows.join_problem is not None:
            departement = "-"  # unknown: the join did not run
        return Text(tr(map_strings.MAP_SELECTED, title=title or table.key_of(row) or "-", row=table.row_number(row), departement=departement), style="bold #d4351c")

    def _legend(self) -> Text:
        stops = self.map_settings.stops
        text = Text(self.app.tr(LEGEND_TITLE) + "\n", style="bold")
        for label, (_low, color) in zip(class_labels(list(stops)), stops):
            text.append("  ", style=f"on {color}")
            text.append(f" {label}\n")
        return text

    def _counts(self) -> Text:
        tr = self.app.tr
        text = Text(tr(map_strings.MAP_COUNTS_TITLE) + "\n", style="bold")
        if self.map_rows is not None and self.map_rows.join_problem is not None:
            text.append(describe(self.map_rows.join_problem, self.app.language), style="bold")
            return text
        if not self.subset.counts:
            text.append(tr(map_strings.MAP_NO_COUNTS), style="dim")
            return text
        names = {outline.code: outline.name for outline in load_outlines()}
        for code, count in sorted(self.subset.counts.items(), key=lambda item: (-item[1], item[0])):
            text.append(f"{count:>5}  {code} {names.get(code, '')}\n")
        return text

    def _unplaced(self) -> Text:
        tr = self.app.tr
        if not self.subset.unplaced:
            return Text()
        table = self.view.table
        text = Text(tr(map_strings.MAP_UNPLACED_TITLE) + "\n", style="bold")
        for item in self.subset.unplaced[:UNPLACED_SHOWN]:
            reason = tr(item.message_code, **item.params)
            text.append(tr(map_strings.MAP_UNPLACED_ROW, row=table.row_number(item.row), key=table.key_of(item.row) or "-", reason=reason) + "\n")
        hidden = len(self.subset.unplaced) - UNPLACED_SHOWN
        if hidden > 0:
            text.append(tr(map_strings.MAP_UNPLACED_MORE, count=hidden) + "\n", style="dim")
        return text
