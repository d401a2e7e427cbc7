"""The charts view of the main screen: the package's charts (``x-datami.charts``) drawn with text blocks.

Bars are horizontal bars with their label and count. A donut is a strip of coloured
blocks proportional to the counts, with the rows counted in its middle. A treemap is
tiled with :func:`datami_py.charts.squarify`. Donuts and treemaps list every slice with
its count under the drawing, because a small slice may get no cell. Counts are those of
:func:`datami_py.charts.chart_data` on the rows of the main screen's search and filters.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from datami_py.chart_text import bar_text, strip_widths, tile_boxes, treemap_cells
from datami_py.charts import DEFAULT_CHART_TITLE, DEFAULT_UNIT, FALLBACK_COLORS, ChartSource, chart_data, chart_settings, chart_source, empty_rows
from datami_py.errors import DatamiError, describe
from datami_py.geo.export import localized
from datami_py.ui import map_strings
from datami_py.ui.widgets.terminal_map import is_dark
from datami_py.views import TableView

LABEL_SHARE = 0.4
DONUT_HEIGHT = 3
TREEMAP_HEIGHT = 16


class ChartPicture(Widget):
    """The drawing of one chart, laid out for the widget's width."""

    DEFAULT_CSS = """
    ChartPicture {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = "bar"
        self.data: list[tuple[str, int]] = []
        self.palette: list[str] = list(FALLBACK_COLORS)
        self.unit = ""
        self.counted_rows = 0

    def show(self, kind: str, data: list[tuple[str, int]], colors: list[str], unit: str, counted_rows: int) -> None:
        """Draw ``data`` (label, count) as a chart of ``kind``; ``counted_rows`` is the number of rows with a value."""
        self.kind, self.data, self.palette, self.unit, self.counted_rows = kind, data, colors or list(FALLBACK_COLORS), unit, counted_rows
        self.refresh(layout=True)

    def color(self, index: int) -> str:
        return self.palette[index % len(self.palette)]

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))

    def lines(self, width: int) -> list[Text]:
        """Return the chart as lines of rich text for ``width`` cells."""
        if not self.data:
            return [Text(self.app.tr(map_strings.CHARTS_NO_DATA), style="dim")]
        if self.kind == "treemap":
            return self._treemap(width) + [Text()] + self._legend()
        if self.kind in ("donut", "pie"):
            return self._donut(width) + [Text()] + self._legend()
        return self._bars(width)

    def _bars(self, width: int) -> list[Text]:
        count_width = max(len(str(count)) for _label, count in self.data)
        label_width = max(int(width * LABEL_SHARE), 10)
        bar_width = max(width - label_width - count_width - 3, 1)
        maximum = max(count for _label, count in self.data)
        lines = []
        for index, (label, count) in enumerate(self.data):
            line = Text(_fit(label, label_width).ljust(label_width) + " ")
            line.append(bar_text(count, maximum, bar_width), style=self.color(index))
            line.append(f" {count}", style="bold")
            lines.append(line)
        return lines

    def _donut(self, width: int) -> list[Text]:
        widths = strip_widths([count for _label, count in self.data], width)
        strip = Text()
        for index, cells in enumerate(widths):
            strip.append(" " * cells, style=f"on {self.color(index)}")
        middle = Text(f"{self.counted_rows} {self.unit}".center(width), style="bold")
        return [strip, middle, strip.copy()][:DONUT_HEIGHT]

    def _treemap(self, width: int) -> list[Text]:
        cells = treemap_cells([count for _label, count in self.data], width, TREEMAP_HEIGHT)
        rows = [[" "] * width for _line in range(TREEMAP_HEIGHT)]
        for index, (left, top, tile_width, tile_height) in tile_boxes(cells).items():
            label, count = self.data[index]
            for offset, words in enumerate([label, f"{count} {self.unit}".strip()][:tile_height]):
                for position, character in enumerate(_fit(words, tile_width - 1)):
                    rows[top + offset][left + 1 + position] = character
        lines = []
        for line, characters in enumerate(rows):
            text = Text()
            for column, character in enumerate(characters):
                index = int(cells[line, column])
                if index < 0:
                    text.append(character)
                    continue
                background = self.color(index)
                text.append(character, style=f"{'#ffffff' if is_dark(background) else '#000000'} on {background}")
            lines.append(text)
        return lines

    def _legend(self) -> list[Text]:
        # A share of the rows counted, as the note under the chart gives them: a row with
        # several codes counts in each, so the shares may add up to more than 100 %.
        total = self.counted_rows or sum(count for _label, count in self.data) or 1
        lines = []
        for index, (label, count) in enumerate(self.data):
            line = Text()
            line.append("  ", style=f"on {self.color(index)}")
            line.append(f" {label} ")
            line.append(f"{count}", style="bold")
            line.append(f" ({count * 100 / total:.0f} %)", style="dim")
            lines.append(line)
        return lines


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class ChartsView(VerticalScroll, can_focus=True):
    """One chart of the package at a time; n and p move between them."""

    BINDINGS = [
        Binding("n,right", "chart(1)", map_strings.KEY_NEXT_CHART),
        Binding("p,left", "chart(-1)", map_strings.KEY_PREVIOUS_CHART),
    ]

    def __init__(self, view: TableView, settings: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.settings = settings
        self.charts: list[dict[str, Any]] = list(settings.get("charts") or [])
        self.index = 0
        self.stale = True
        # The field and method of each chart, chosen on every row, so kept until the data changes.
        self.sources: dict[int, ChartSource] = {}

    def compose(self):
        yield Static(id="chart-title")
        yield ChartPicture(id="chart-picture")
        yield Static(id="chart-note")

    def on_mount(self) -> None:
        self.app.translate_bindings(self)

    def on_show(self) -> None:
        if self.stale:
            self.reload()

    def reload(self, data_changed: bool = False) -> None:
        """Count the current chart again on the view's rows; only marks it out of date while hidden.

        ``data_changed`` (after an edit) chooses each chart's field and method again.
        """
        if data_changed:
            self.sources.clear()
        if not self.display:
            self.stale = True
            return
        self.stale = False
        title = self.query_one("#chart-title", Static)
        picture = self.query_one(ChartPicture)
        note = self.query_one("#chart-note", Static)
        tr = self.app.tr
        if not self.charts:
            title.update(tr(map_strings.CHARTS_NONE))
            picture.show("bar", [], [], "", 0)
            note.update("")
            return

        language = self.app.language
        try:
            chart = chart_settings(self.view.table, self.settings, self.index)
            source = self.sources.get(self.index) or chart_source(self.view.table, chart)
            data = chart_data(self.view.table, chart, self.view.rows, source)
            empty = empty_rows(self.view.table, chart, self.view.rows, source)
        except DatamiError as error:
            title.update(Text(describe(error, language), style="bold"))
            picture.show("bar", [], [], "", 0)
            note.update("")
            return

        self.sources[self.index] = source
        kind = str(chart.get("kind") or "bar")
        kind_name = tr({"treemap": map_strings.CHARTS_KIND_TREEMAP, "donut": map_strings.CHARTS_KIND_DONUT, "pie": map_strings.CHARTS_KIND_DONUT}.get(kind, map_strings.CHARTS_KIND_BARS))
        heading = localized(chart.get("title"), language) or tr(DEFAULT_CHART_TITLE, field=chart.get("field"))
        text = Text(heading, style="bold")
        text.append(f"  ({kind_name})\n", style="dim")
        text.append(tr(map_strings.CHARTS_POSITION, number=self.index + 1, count=len(self.charts)), style="dim")
        title.update(text)
        unit = localized(chart.get("unit"), language) or tr(DEFAULT_UNIT)
        colors = [str(color) for color in chart.get("colors") or FALLBACK_COLORS]
        counted = len(self.view.rows) - empty
        picture.show(kind, data, colors, unit, counted)
        words = tr(map_strings.CHARTS_TOTAL, rows=counted, empty=empty)
        codes = sum(count for _label, count in data)
        if codes > counted:
            words += " " + tr(map_strings.CHARTS_SEVERAL_CODES, codes=codes)
        note.update(Text(words, style="dim"))

    def action_chart(self, step: int) -> None:
        if self.charts:
            self.index = (self.index + step) % len(self.charts)
            self.reload()
