"""The screen shown when a package cannot be opened: why, where, and what to do."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from datami_py.ui import strings


class LoadErrorScreen(Screen[None]):
    """Shows the error in the user's language; q quits."""

    BINDINGS = [Binding("q", "app.quit", strings.KEY_QUIT)]

    def __init__(self, description: str) -> None:
        super().__init__()
        self.description = description

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Static(self.app.tr(strings.LOAD_ERROR_TITLE), classes="title")
            yield Static(self.description, id="error-text")
            yield Static(self.app.tr(strings.LOAD_ERROR_HINT), classes="hint")
        yield Footer()
