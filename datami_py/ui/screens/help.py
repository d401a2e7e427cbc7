"""The help screen: every key and what it does."""

from __future__ import annotations

from rich.table import Table as RichTable
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from datami_py.i18n import message
from datami_py.ui import map_strings, strings
from datami_py.ui.screens import geocode_review

# Keys whose name is printed on French keyboards in French.
KEY_ENTER = message("ui.key-name.enter", "Enter")
KEY_DELETE = message("ui.key-name.delete", "Del")
KEY_PAGES = message("ui.key-name.pages", "PgUp / PgDn")

# (key, description codes), in the order of the help screen.
KEYS = [
    ("/", (strings.KEY_SEARCH,)),
    ("t", (strings.KEY_TABLE,)),
    ("c", (strings.KEY_CARDS,)),
    ("m", (map_strings.KEY_MAP,)),
    ("g", (map_strings.KEY_CHARTS,)),
    ("f", (strings.KEY_FILTERS,)),
    ("s", (strings.KEY_SORT,)),
    (KEY_ENTER, (strings.KEY_OPEN,)),
    ("e", (strings.KEY_EDIT,)),
    ("a", (strings.KEY_ADD,)),
    ("d", (strings.KEY_DUPLICATE,)),
    (KEY_DELETE, (strings.KEY_DELETE,)),
    ("Ctrl+Z", (strings.KEY_UNDO,)),
    ("Ctrl+Y", (strings.KEY_REDO,)),
    ("Ctrl+S", (strings.KEY_SAVE,)),
    ("r", (strings.KEY_REVIEW,)),
    ("r, p", (strings.KEY_PROPOSE,)),
    ("r, P", (strings.KEY_PROPOSE_SPLIT,)),
    ("r, x", (strings.KEY_FIXES,)),
    ("v", (strings.KEY_PROBLEMS,)),
    ("v, x", (strings.KEY_FIXES,)),
    ("G", (geocode_review.KEY_GEOCODE,)),
    ("n / p", (strings.KEY_NEXT_PAGE, strings.KEY_PREVIOUS_PAGE)),
    ("n / p", (map_strings.KEY_NEXT_POINT, map_strings.KEY_PREVIOUS_POINT)),
    ("n / p", (map_strings.KEY_NEXT_CHART, map_strings.KEY_PREVIOUS_CHART)),
    ("+ / -", (map_strings.KEY_ZOOM_IN, map_strings.KEY_ZOOM_OUT)),
    ("← ↑ → ↓", (map_strings.KEY_PAN,)),
    ("0", (map_strings.KEY_RESET,)),
    ("1 / 2", (map_strings.KEY_POINTS_LAYER, map_strings.KEY_DEPARTEMENTS_LAYER)),
    (KEY_PAGES, (map_strings.KEY_SCROLL_PANEL,)),
    ("F1", (strings.KEY_HELP,)),
    ("q", (strings.KEY_QUIT,)),
]


NAMED_KEYS = {KEY_ENTER, KEY_DELETE, KEY_PAGES}


# (description code, main screen action), for the command palette.
ACTIONS = [
    (strings.KEY_SEARCH, "search"),
    (strings.KEY_TABLE, "show('table')"),
    (strings.KEY_CARDS, "show('cards')"),
    (map_strings.KEY_MAP, "show('map')"),
    (map_strings.KEY_CHARTS, "show('charts')"),
    (strings.KEY_FILTERS, "filters"),
    (strings.KEY_SORT, "sort"),
    (strings.KEY_EDIT, "edit"),
    (strings.KEY_ADD, "add"),
    (strings.KEY_DUPLICATE, "duplicate"),
    (strings.KEY_DELETE, "delete"),
    (strings.KEY_UNDO, "undo"),
    (strings.KEY_REDO, "redo"),
    (strings.KEY_SAVE, "save"),
    (strings.KEY_REVIEW, "review"),
    (strings.KEY_FIXES, "fixes"),
    (strings.KEY_PROBLEMS, "problems"),
    (strings.KEY_HELP, "help"),
    (strings.KEY_QUIT, "quit"),
]


class HelpScreen(ModalScreen[None]):
    """The list of keys; Escape or F1 closes it."""

    BINDINGS = [Binding("escape,f1,q", "dismiss(None)", strings.KEY_CLOSE)]

    def compose(self) -> ComposeResult:
        table = RichTable(title=self.app.tr(strings.HELP_TITLE), show_header=False, expand=True)
        table.add_column(style="bold", width=10)
        table.add_column()
        for key, descriptions in KEYS:
            table.add_row(self.app.tr(key) if key in NAMED_KEYS else key, " / ".join(self.app.tr(code) for code in descriptions))
        with VerticalScroll(classes="dialog"):
            yield Static(table)
