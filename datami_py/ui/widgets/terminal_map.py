"""The terminal map widget: draws a :class:`~datami_py.geo.canvas.MapCanvas` and moves over it with keys and the mouse.

The widget keeps the view state (zoom, centre, layers, selected point); the drawing,
the projection and the hit-testing are in :mod:`datami_py.geo.canvas`.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from datami_py.geo.canvas import MapCanvas, Picture
from datami_py.geo.viewpoint import MapViewSettings, Viewpoint, frame_of, home_viewpoint, panned, zoomed
from datami_py.ui import map_strings, strings

# The map is drawn on paper-white whatever the terminal's theme, because the package's
# choropleth colours are light and its outlines and points dark.
PAPER = "#ffffff"
# Outlines without the choropleth, inset borders and titles.
PLAIN_OUTLINE = "#8c8c8c"
OUTLINE_STRENGTH = 0.5
SELECTED_STYLE = Style(color="#ffffff", bgcolor="#d4351c", bold=True)


def blend(color: str, background: str, share: float) -> str:
    """Return ``color`` mixed with ``background``, keeping ``share`` (0 to 1) of ``color``; both ``#rrggbb``."""
    mixed = [
        round(int(color[index : index + 2], 16) * share + int(background[index : index + 2], 16) * (1 - share))
        for index in (1, 3, 5)
    ]
    return "#" + "".join(f"{channel:02x}" for channel in mixed)


def is_dark(color: str) -> bool:
    """Tell whether a ``#rrggbb`` colour is dark enough to need light text (weighted brightness of the sRGB channels below 0.4)."""
    red, green, blue = (int(color[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.4


class TerminalMap(Widget, can_focus=True):
    """A map of points over the French départements, in braille dots, with a choropleth fill."""

    DEFAULT_CSS = """
    TerminalMap {
        width: 1fr;
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("plus,equals_sign", "zoom(1)", map_strings.KEY_ZOOM_IN),
        Binding("minus", "zoom(-1)", map_strings.KEY_ZOOM_OUT),
        Binding("0", "reset", map_strings.KEY_RESET, show=False),
        Binding("left", "pan(-1, 0)", map_strings.KEY_PAN, show=False),
        Binding("right", "pan(1, 0)", map_strings.KEY_PAN, show=False),
        Binding("up", "pan(0, -1)", map_strings.KEY_PAN, show=False),
        Binding("down", "pan(0, 1)", map_strings.KEY_PAN, show=False),
        Binding("1", "toggle_points", map_strings.KEY_POINTS_LAYER),
        Binding("2", "toggle_departements", map_strings.KEY_DEPARTEMENTS_LAYER),
        Binding("n,tab", "select(1)", map_strings.KEY_NEXT_POINT),
        Binding("p,shift+tab", "select(-1)", map_strings.KEY_PREVIOUS_POINT, show=False),
        Binding("enter", "open", strings.KEY_OPEN, show=False),
    ]

    class Changed(Message):
        """The view, the layers or the selected point changed."""

    class PointOpened(Message):
        """The user asked for the card of the point's row."""

        def __init__(self, row: int) -> None:
            self.row = row
            super().__init__()

    def __init__(self, settings: MapViewSettings, **kwargs) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.show_points = settings.show_points
        self.show_departements = settings.show_departements
        self.viewpoint: Viewpoint | None = None
        self.selected: int | None = None
        self.canvas: MapCanvas | None = None
        self.longitudes = np.zeros(0)
        self.latitudes = np.zeros(0)
        self.rows = np.zeros(0, dtype=np.int64)
        self.fill_classes: dict[str, int] = {}
        self._picture: Picture | None = None
        self._strips: list[Strip] = []

    # Data

    def set_points(self, longitudes: np.ndarray, latitudes: np.ndarray, rows: np.ndarray, fill_classes: dict[str, int]) -> None:
        """Show these points and this choropleth (class index by département code); keep the selection when still shown."""
        self.longitudes, self.latitudes, self.rows = longitudes, latitudes, rows
        self.fill_classes = fill_classes
        if self.selected is not None and self.selected not in set(rows.tolist()):
            self.selected = None
        self._redraw()

    @property
    def picture(self) -> Picture | None:
        """The current drawing, None before the widget has a size."""
        if self._picture is None and self.canvas is not None and self.viewpoint is not None:
            frame = frame_of(self.canvas, self.settings, self.viewpoint)
            fill = self.fill_classes if self.show_departements else None
            self._picture = self.canvas.draw(frame, self.longitudes, self.latitudes, self.rows, fill, self.show_points)
            self._strips = []
        return self._picture

    def _redraw(self) -> None:
        self._picture = None
        self._strips = []
        self.refresh()
        self.post_message(self.Changed())

    # Size

    def on_resize(self, event: events.Resize) -> None:
        self._make_canvas(event.size)

    def _make_canvas(self, size: Size) -> None:
        if size.width <= 0 or size.height <= 0:
            return
        if self.canvas is not None and (self.canvas.width, self.canvas.height) == (size.width, size.height):
            return
        self.canvas = MapCanvas(size.width, size.height)
        if self.viewpoint is None:
            self.viewpoint = home_viewpoint(self.canvas, self.settings)
        self._redraw()

    # Actions

    def action_zoom(self, steps: int) -> None:
        if self.viewpoint is not None:
            self.viewpoint = zoomed(self.settings, self.viewpoint, steps)
            self._redraw()

    def action_pan(self, across: int, down: int) -> None:
        if self.viewpoint is not None and self.canvas is not None:
            self.viewpoint = panned(self.canvas, self.settings, self.viewpoint, across, down)
            self._redraw()

    def action_reset(self) -> None:
        if self.canvas is not None:
            self.viewpoint = home_viewpoint(self.canvas, self.settings)
            self._redraw()

    def action_toggle_points(self) -> None:
        self.show_points = not self.show_points
        self._redraw()

    def action_toggle_departements(self) -> None:
        self.show_departements = not self.show_departements
        self._redraw()

    def action_select(self, step: int) -> None:
        """Select the next (or previous) drawn point in reading order: by line, then column."""
        picture = self.picture
        if picture is None:
            return
        order = picture.rows_in_reading_order()
        if not order:
            return
        if self.selected in order:
            position = (order.index(self.selected) + step) % len(order)
        else:
            position = 0 if step > 0 else len(order) - 1
        self.selected = order[position]
        self._strips = []
        self.refresh()
        self.post_message(self.Changed())

    def action_open(self) -> None:
        if self.selected is not None:
            self.post_message(self.PointOpened(self.selected))

    def on_click(self, event: events.Click) -> None:
        """Open the card of the point nearest the clicked cell, when one is drawn within a cell of it."""
        self.focus()
        picture = self.picture
        if picture is None:
            return
        rows = picture.rows_near(event.x, event.y, radius=1)
        if rows:
            self.selected = rows[0]
            self._strips = []
            self.refresh()
            self.post_message(self.Changed())
            self.post_message(self.PointOpened(rows[0]))

    # Drawing

    def render_line(self, y: int) -> Strip:
        picture = self.picture
        if picture is None:
            return Strip.blank(self.size.width)
        if not self._strips:
            self._strips = self._build_strips(picture)
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width)

    def _build_strips(self, picture: Picture) -> list[Strip]:
        lines = picture.lines()
        selected_cell = picture.cell_of_row(self.selected) if self.selected is not None else None
        stops = self.settings.stops
        styles: dict[tuple[int, int], Style] = {}
        strips = []
        for line, text in enumerate(lines):
            segments: list[Segment] = []
            run_start, run_key = 0, None
            for column in range(len(text)):
                key = self._cell_key(picture, column, line, selected_cell)
                if key != run_key:
                    if run_key is not None:
                        segments.append(Segment(text[run_start:column], styles[run_key]))
                    run_start, run_key = column, key
                    if key not in styles:
                        styles[key] = self._style(key, stops)
            if run_key is not None:
                segments.append(Segment(text[run_start:], styles[run_key]))
            strips.append(Strip(segments, len(text)))
        return strips

    def _cell_key(self, picture: Picture, column: int, line: int, selected_cell: tuple[int, int] | None) -> tuple[int, int]:
        """Return (fill class or -1, what is drawn: 0 outline or nothing, 1 a point, 2 the selected point, 3 a border)."""
        if selected_cell == (column, line):
            return -1, 2
        if picture.overlay[line, column]:
            return -1, 3
        fill = int(picture.fill[line, column])
        return fill, 1 if picture.point_bits[line, column] else 0

    def _style(self, key: tuple[int, int], stops: tuple[tuple[int, str], ...]) -> Style:
        fill, drawn = key
        if drawn == 2:
            return SELECTED_STYLE
        background = stops[fill][1] if 0 <= fill < len(stops) else PAPER
        if drawn == 1:
            color = self.settings.stroke_color if is_dark(background) else self.settings.point_color
            if color.lower() == background.lower():
                color = "#000000"
            return Style(color=color, bgcolor=background, bold=True)
        if drawn == 3:
            return Style(color=PLAIN_OUTLINE, bgcolor=PAPER)
        if fill < 0:
            return Style(color=PLAIN_OUTLINE, bgcolor=background)
        # Packages often give outlines and points one colour; halfway to the fill, outlines
        # keep their hue but stay fainter than the points.
        outline = self.settings.outline_color
        if is_dark(background) and is_dark(outline):
            outline = PAPER
        return Style(color=blend(outline, background, OUTLINE_STRENGTH), bgcolor=background)
