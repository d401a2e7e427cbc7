"""A table of any number of rows, drawn with Textual's line API.

Only the visible lines are formatted, so a million rows open as fast as a hundred. The
header line and the key column stay in place while the rest scrolls. Cells are cut to
the column width with an ellipsis; the full value is in the card.
"""

from __future__ import annotations

from collections import OrderedDict

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from datami_py.views import TableView

# Formatted rows kept between repaints.
CACHE_SIZE = 512
GAP = 2


def _fit(text: str, width: int) -> str:
    """Cut or pad ``text`` to exactly ``width`` terminal cells."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    cut = ""
    for character in text:
        if cell_len(cut + character) > width - 1:
            break
        cut += character
    return cut + "…" + " " * (width - 1 - cell_len(cut))


def _text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#rrggbb)."""
    red, green, blue = (int(background[index : index + 2], 16) for index in (1, 3, 5))
    return "black" if (red * 299 + green * 587 + blue * 114) / 1000 > 140 else "white"


class RowsTable(ScrollView, can_focus=True):
    """The rows of a :class:`TableView`, with a cursor on one row and one column."""

    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
        Binding("left", "column(-1)", show=False),
        Binding("right", "column(1)", show=False),
    ]

    DEFAULT_CSS = """
    RowsTable { height: 1fr; }
    """

    cursor_row: reactive[int] = reactive(0)
    cursor_column: reactive[int] = reactive(0)

    class Activated(Message):
        """The user pressed Enter or clicked twice on a row."""

        def __init__(self, row: int) -> None:
            self.row = row
            super().__init__()

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, row: int | None) -> None:
            self.row = row
            super().__init__()

    def __init__(self, view: TableView, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self._cache: OrderedDict[int, tuple[list[Segment], list[Segment]]] = OrderedDict()
        self._widths: dict[str, int] = {}
        self.reload()

    # Data

    def reload(self) -> None:
        """Re-read the view (after a search, a filter, a sort or an edit) and repaint."""
        self._cache.clear()
        self._widths = self.view.column_widths(cell_len)
        width = sum(self._widths.values()) + GAP * len(self._widths)
        self.virtual_size = Size(width, len(self.view.rows) + 1)
        self.cursor_row = min(self.cursor_row, max(len(self.view.rows) - 1, 0))
        self.cursor_column = min(self.cursor_column, max(len(self.view.fields) - 1, 0))
        self.refresh()

    def forget(self, row: int) -> None:
        """Repaint ``row`` from the table (after an edit of its cells)."""
        self._cache.pop(row, None)
        self.refresh()

    @property
    def current_row(self) -> int | None:
        """The row id under the cursor, or None when no row is shown."""
        rows = self.view.rows
        return rows[self.cursor_row] if 0 <= self.cursor_row < len(rows) else None

    @property
    def current_field(self) -> str | None:
        """The field of the column under the cursor."""
        fields = self.view.fields
        return fields[self.cursor_column] if 0 <= self.cursor_column < len(fields) else None

    # Drawing

    def _cell_segments(self, row: int | None, name: str, width: int) -> list[Segment]:
        if row is None:
            style = Style(bold=True, underline=self.view.sort_field == name)
            arrow = ""
            if self.view.sort_field == name:
                arrow = "▼" if self.view.sort_descending else "▲"
            return [Segment(_fit(name + arrow, width) + " " * GAP, style)]

        tags = self.view.tag_labels(row, name)
        if tags:
            return self._tag_segments(tags, width)
        style = Style(color="red", bold=True, underline=True) if (row, name) in self.view.invalid else Style()
        return [Segment(_fit(self.view.cell_text(row, name), width), style), Segment(" " * GAP)]

    def _tag_segments(self, tags: list[tuple[str, str, str | None]], width: int) -> list[Segment]:
        """Codes as coloured chips, then their labels in the room left."""
        segments: list[Segment] = []
        used = 0
        for code, _label, color in tags:
            piece = f" {code} "
            if used + cell_len(piece) + 1 > width:
                break
            style = Style(bgcolor=color, color=_text_color(color)) if color else Style(reverse=True)
            segments += [Segment(piece, style), Segment(" ")]
            used += cell_len(piece) + 1

        labels = ", ".join(label for _code, label, _color in tags)
        room = width - used
        if room > 3:
            segments.append(Segment(_fit(labels, room), Style(dim=True)))
            used += room
        return segments + [Segment(" " * (width - used + GAP))]

    def _line_segments(self, row: int | None) -> tuple[list[Segment], list[Segment]]:
        """Return the key column's segments and the other columns' segments of one line."""
        fields = self.view.fields
        pinned = fields[:1]
        key_segments: list[Segment] = []
        for name in pinned:
            key_segments += self._cell_segments(row, name, self._widths[name])
        rest: list[Segment] = []
        for name in fields[1:]:
            rest += self._cell_segments(row, name, self._widths[name])
        return key_segments, rest

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            key, rest = self._line_segments(None)
            return self._assemble(key, rest, scroll_x, width, Style(bold=True))

        index = scroll_y + y - 1
        rows = self.view.rows
        if index >= len(rows):
            return Strip.blank(width)

        row = rows[index]
        cached = self._cache.get(row)
        if cached is None:
            cached = self._line_segments(row)
            self._cache[row] = cached
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(row)

        line_style = Style(reverse=True) if index == self.cursor_row and self.has_focus else Style()
        if index == self.cursor_row and not self.has_focus:
            line_style = Style(underline=True)
        return self._assemble(cached[0], cached[1], scroll_x, width, line_style)

    def _assemble(self, key: list[Segment], rest: list[Segment], scroll_x: int, width: int, style: Style) -> Strip:
        key_strip = Strip(key)
        rest_width = max(width - key_strip.cell_length, 0)
        rest_strip = Strip(rest).crop(scroll_x, scroll_x + rest_width)
        strip = Strip.join([key_strip, rest_strip]).extend_cell_length(width)
        return strip.apply_style(style) if style else strip

    # Cursor

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self.current_row))

    def watch_cursor_column(self) -> None:
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height - 1
        if height <= 0:
            return
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + height:
            self.scroll_to(y=self.cursor_row - height + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self.cursor_row = max(0, min(len(self.view.rows) - 1, self.cursor_row + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(self.scrollable_content_region.height - 1, 1))

    def action_first(self) -> None:
        self.cursor_row = 0

    def action_last(self) -> None:
        self.cursor_row = max(len(self.view.rows) - 1, 0)

    def action_column(self, step: int) -> None:
        self.cursor_column = max(0, min(len(self.view.fields) - 1, self.cursor_column + step))
        start = sum(self._widths[name] + GAP for name in self.view.fields[1 : self.cursor_column])
        if self.cursor_column >= 1:
            self.scroll_to(x=start, animate=False)
        else:
            self.scroll_to(x=0, animate=False)

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y - 1
        if event.y == 0 or not 0 <= index < len(self.view.rows):
            return
        self.cursor_row = index
        if event.chain == 2:
            self.post_message(self.Activated(self.view.rows[index]))

    def key_enter(self) -> None:
        if self.current_row is not None:
            self.post_message(self.Activated(self.current_row))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def region_of_cursor(self) -> Region:
        """Return the screen region of the cursor line (for tests and scrolling)."""
        return Region(0, self.cursor_row + 1, self.size.width, 1)
