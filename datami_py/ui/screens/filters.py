"""The filter panel: the package's custom filters, each value with its label and count."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, SelectionList, Static
from textual.widgets.selection_list import Selection

from datami_py.ui import strings
from datami_py.views import TableView


class FiltersScreen(ModalScreen[None]):
    """One selection list per filter; ticking a value filters the rows at once."""

    BINDINGS = [Binding("escape,f", "dismiss(None)", strings.KEY_CLOSE)]

    def __init__(self, view: TableView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog filters"):
            yield Static(self.app.tr(strings.FILTERS_TITLE), classes="title")
            yield Static(self.app.tr(strings.FILTERS_HINT), classes="hint")
            for index, spec in enumerate(self.view.filter_specs):
                combination = strings.FILTER_ALL if spec.operator == "AND" else strings.FILTER_ANY
                yield Static(f"{spec.field} ({self.app.tr(combination)})", classes="filter-title")
                yield SelectionList[str](*self._selections(spec.field), id=f"filter-{index}")
        yield Footer()

    def on_mount(self) -> None:
        # Space and Enter tick values of the first filter at once, as the hint states.
        lists = self.query(SelectionList)
        if lists:
            lists.first().focus()

    def _selections(self, name: str) -> list[Selection[str]]:
        active = self.view.active_filters.get(name, set())
        return [
            Selection(self.app.tr(strings.FILTER_OPTION, label=option.label, value=option.value, count=option.count), option.value, option.value in active)
            for option in self.view.filter_options(name)
        ]

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        index = int((event.selection_list.id or "filter-0").split("-")[1])
        spec = self.view.filter_specs[index]
        self.view.active_filters[spec.field] = set(event.selection_list.selected)
        self.view.refresh()
