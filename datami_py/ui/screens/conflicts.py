"""The conflict screen: the same cell changed upstream and by the editor, both values side by side."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from datami_py.forge.merge import Conflict
from datami_py.ui import strings

# The side each conflict resolves to: "ours" keeps the editor's value, "theirs" the upstream one.
Choice = str


class ConflictScreen(ModalScreen[dict[str, dict] | None]):
    """Choose, conflict by conflict, which value to keep; Enter proposes with those choices.

    Dismisses with the resolutions by file (``{path: {(key, field): text}}``), or None.
    """

    BINDINGS = [
        Binding("o", "choose('ours')", strings.KEY_KEEP_OURS),
        Binding("t", "choose('theirs')", strings.KEY_KEEP_THEIRS),
        Binding("enter", "done", strings.KEY_PROPOSE, priority=True),
        Binding("escape", "dismiss(None)", strings.BUTTON_CANCEL),
    ]

    def __init__(self, conflicts: dict[str, list[Conflict]]) -> None:
        super().__init__()
        self.items = [(path, conflict) for path, items in conflicts.items() for conflict in items]
        self.choices: list[Choice] = ["ours"] * len(self.items)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog review"):
            yield Static(self.app.tr(strings.CONFLICTS_TITLE), classes="title")
            yield Static(self.app.tr(strings.CONFLICTS_HINT), classes="hint")
            yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.app.tr(strings.CONFLICTS_COLUMNS).split("|"))
        for index in range(len(self.items)):
            table.add_row(*self._cells(index), key=str(index))
        table.focus()

    def _cells(self, index: int) -> list[str]:
        path, conflict = self.items[index]
        keep = self.app.tr(strings.CONFLICT_KEEP_OURS if self.choices[index] == "ours" else strings.CONFLICT_KEEP_THEIRS)
        return [conflict.key or "", conflict.field or path, conflict.theirs or "", conflict.ours or "", keep]

    def action_choose(self, choice: Choice) -> None:
        table = self.query_one(DataTable)
        index = table.cursor_row
        if not 0 <= index < len(self.items):
            return
        self.choices[index] = choice
        for column, value in enumerate(self._cells(index)):
            table.update_cell_at((index, column), value)

    def action_done(self) -> None:
        resolutions: dict[str, dict] = {}
        for (path, conflict), choice in zip(self.items, self.choices):
            if conflict.key is None and conflict.field is None:
                value = choice  # A whole-file conflict (a table without a primary key) keeps one side.
            else:
                value = conflict.ours if choice == "ours" else conflict.theirs
            resolutions.setdefault(path, {})[(conflict.key, conflict.field)] = value
        self.dismiss(resolutions)
