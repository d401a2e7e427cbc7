"""The detail card of one row: every block of the card settings, in two columns."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from datami_py.cards import CardBlock, build_card
from datami_py.ui import strings
from datami_py.ui.widgets.cards_grid import tag_text
from datami_py.views import TableView


def block_text(block: CardBlock, empty: str, link: str, image: str) -> Text:
    """Return one block of a detail card as rich text; the labels are already translated."""
    text = Text()
    if block.title:
        text.append(block.title + "\n", style="bold underline")
    if block.is_empty:
        text.append(empty, style="dim")
        return text

    if block.position == "title":
        text.append(block.text.strip(), style="bold")
    elif block.tags:
        text.append_text(tag_text(block.tags, with_labels=True))
        text.append("\n" + ", ".join(tag.code for tag in block.tags), style="dim")
    elif block.steps:
        for step in block.steps:
            text.append("● ", style="bold")
            if step.title:
                text.append(step.title + " — ", style="bold")
            text.append(step.text + "\n")
    elif block.paragraphs:
        text.append("\n\n".join("\n".join(lines) for lines in block.paragraphs))
    elif block.position == "links":
        text.append(link.format(url=block.text.strip()), style="underline")
    elif block.position == "image":
        text.append(image.format(url=block.text.strip()), style="italic")
    else:
        text.append(block.text)
    return text


class CardDetailScreen(ModalScreen[str | None]):
    """The detail card; e edits the row, Escape closes. Dismisses with "edit" or None."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", strings.KEY_CLOSE),
        Binding("e", "dismiss('edit')", strings.KEY_EDIT),
    ]

    def __init__(self, view: TableView, settings: dict, row: int) -> None:
        super().__init__()
        self.view = view
        self.settings = settings
        self.row = row

    def compose(self) -> ComposeResult:
        blocks = build_card(self.view.table, self.row, self.settings, "detail")
        words = {
            "empty": self.app.tr(strings.CARD_EMPTY),
            "link": self.app.tr(strings.CARD_LINK, url="{url}"),
            "image": self.app.tr(strings.CARD_IMAGE, url="{url}"),
        }
        title = [block for block in blocks if block.position == "title"]
        with VerticalScroll(classes="dialog detail"):
            for block in title:
                yield Static(block_text(block, **words), classes="card-title")
            with Horizontal():
                with VerticalScroll(classes="column"):
                    for block in blocks:
                        if block.position != "title" and block.column != "right":
                            yield Static(block_text(block, **words), classes="block")
                with VerticalScroll(classes="column"):
                    for block in blocks:
                        if block.column == "right":
                            yield Static(block_text(block, **words), classes="block")
        yield Footer()
