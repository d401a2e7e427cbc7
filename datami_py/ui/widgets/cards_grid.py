"""The cards view: a page of small cards laid out from the package's card settings."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from datami_py.cards import CardBlock, Tag, build_card
from datami_py.ui import strings
from datami_py.views import TableView

# Cards on one page: Datami shows about 21; a multiple of 2, 3 and 4 fills any grid width.
PAGE_SIZE = 24
RESUME_CHARACTERS = 180


def tag_text(tags: list[Tag], with_labels: bool) -> Text:
    """Return tags as coloured chips: the label (or code) on the field's colour."""
    text = Text()
    for tag in tags:
        style = f"on {tag.color}" if tag.color else "reverse"
        if not tag.known:
            style = "bold red reverse"
        text.append(f" {tag.label if with_labels else tag.code} ", style=style)
        text.append(" ")
    return text


def mini_card_text(blocks: list[CardBlock]) -> Text:
    """Return the text of a small card: title, subtitle, address, tags, the start of the resume."""
    text = Text()
    for block in blocks:
        if block.is_empty:
            continue
        if block.position == "title":
            text.append(block.text.strip() + "\n", style="bold")
        elif block.position == "subtitle":
            text.append(block.text.strip() + "\n", style="italic")
        elif block.position == "address":
            text.append("⌂ " + block.text.strip() + "\n", style="dim")
        elif block.position == "tags":
            text.append_text(tag_text(block.tags, with_labels=True))
            text.append("\n")
        elif block.position == "resume":
            resume = " ".join(line for paragraph in block.paragraphs for line in paragraph) or block.text
            if len(resume) > RESUME_CHARACTERS:
                resume = resume[:RESUME_CHARACTERS].rsplit(" ", 1)[0] + "…"
            text.append(resume + "\n")
    return text


class CardTile(Static, can_focus=True):
    """One small card; Enter or a click opens its detail."""

    class Opened(Message):
        """The user asked for the detail of a card."""

        def __init__(self, row: int) -> None:
            self.row = row
            super().__init__()

    def __init__(self, row: int, content: Text) -> None:
        super().__init__(content, classes="card")
        self.row = row

    def key_enter(self) -> None:
        self.post_message(self.Opened(self.row))

    def on_click(self) -> None:
        self.focus()
        self.post_message(self.Opened(self.row))


class CardsGrid(VerticalScroll):
    """A page of :class:`CardTile` for the rows of a :class:`TableView`."""

    BINDINGS = [
        Binding("n", "page(1)", strings.KEY_NEXT_PAGE),
        Binding("p", "page(-1)", strings.KEY_PREVIOUS_PAGE),
    ]

    def __init__(self, view: TableView, settings: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.settings = settings
        self.page = 0
        # The row of the card that last had the focus: a redraw after an edit replaces the
        # cards, and the focus must come back to the same one.
        self.selected_row: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="page-label")
        yield Grid(id="cards")

    def on_mount(self) -> None:
        self.reload()

    @property
    def page_count(self) -> int:
        """How many pages the current rows take."""
        return max((len(self.view.rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def reload(self, keep_page: bool = False) -> None:
        """Redraw the current page from the view (after a search, a filter or an edit)."""
        if not keep_page:
            self.page = 0
        self.page = min(self.page, self.page_count - 1)
        grid = self.query_one("#cards", Grid)
        grid.remove_children()

        start = self.page * PAGE_SIZE
        tiles = [
            CardTile(row, mini_card_text(build_card(self.view.table, row, self.settings, "mini")))
            for row in self.view.rows[start : start + PAGE_SIZE]
        ]
        grid.mount_all(tiles)
        label = self.app.tr(strings.PAGE, page=self.page + 1, pages=self.page_count)
        self.query_one("#page-label", Static).update(label)
        if keep_page and any(tile.row == self.selected_row for tile in tiles):
            self.call_after_refresh(self._focus_row, self.selected_row)

    def _focus_row(self, row: int | None) -> None:
        for tile in self.query(CardTile):
            if tile.row == row:
                tile.focus()
                return

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, CardTile):
            self.selected_row = event.widget.row

    def action_page(self, step: int) -> None:
        self.page = max(0, min(self.page_count - 1, self.page + step))
        self.reload(keep_page=True)

    def focus_first(self) -> None:
        """Put the focus on the first card of the page."""
        tiles = self.query(CardTile)
        if tiles:
            tiles.first().focus()
