"""The row editor: one input per field, chosen from the schema and the Datami settings.

Tag fields with defined codes get a multiple choice of codes with labels, long text and
timelines a text area, other fields a one-line input. Each value is checked as it is
typed and the reason shown under the field; an invalid value is kept as typed and can
be saved only after an explicit confirmation.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from datami_py import quality
from datami_py.errors import describe_message
from datami_py.session import Session
from datami_py.table import Table
from datami_py.ui import strings
from datami_py.ui.screens.dialogs import ChoiceDialog
from datami_py.validation.validator import category_values

LONG_SUBTYPES = ("longtext", "timeline")


def _widget_id(index: int) -> str:
    return f"field-{index}"


class RowEditorScreen(ModalScreen[dict[str, str] | None]):
    """Edit the fields of one row (``row`` None: a new row). Dismisses with the changed values, or None."""

    BINDINGS = [
        # Priority, so that no field keeps Escape for itself: one press always reaches the form.
        Binding("escape", "cancel", strings.BUTTON_CANCEL, priority=True),
        Binding("ctrl+s", "apply", strings.BUTTON_APPLY),
    ]

    def __init__(
        self, session: Session, table: Table, row: int | None, initial: dict[str, str] | None = None, focus_field: str | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.table = table
        self.row = row
        self.focus_field = focus_field
        self.names = [name for name in table.field_names if table.column_of(name) is not None]
        self.quality = session.quality_rules(table)
        if initial is not None:
            self.initial = {name: initial.get(name, "") for name in self.names}
        elif row is not None:
            self.initial = {name: table.cell(row, name) or "" for name in self.names}
        else:
            self.initial = {name: "" for name in self.names}

    # Layout

    def compose(self) -> ComposeResult:
        title = self.app.tr(strings.EDITOR_TITLE, row=self.table.row_number(self.row)) if self.row is not None else self.app.tr(strings.EDITOR_NEW_TITLE)
        with VerticalScroll(classes="dialog editor"):
            yield Static(title, classes="title")
            for index, name in enumerate(self.names):
                yield from self._field_widgets(index, name)
            with Horizontal(classes="buttons"):
                yield Button(self.app.tr(strings.BUTTON_APPLY), id="apply", variant="primary")
                yield Button(self.app.tr(strings.BUTTON_CANCEL), id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        # Typing goes straight into the first field, as in any form, or into the field a
        # problem was found in; Tab moves to the next.
        if self.names:
            index = self.names.index(self.focus_field) if self.focus_field in self.names else 0
            widget = self.query_one(f"#{_widget_id(index)}")
            widget.focus()
            self.call_after_refresh(widget.scroll_visible)

    def _field_widgets(self, index: int, name: str) -> ComposeResult:
        descriptor = self.table.field(name)
        required = bool((descriptor.get("constraints") or {}).get("required")) or name in self.table.primary_key
        label = str(descriptor.get("title") or name)
        if label != name:
            label += f" ({name})"
        if required:
            label += " *" + self.app.tr(strings.EDITOR_REQUIRED)
        yield Label(label, classes="field-label")
        if descriptor.get("description"):
            yield Static(str(descriptor["description"]), classes="field-help")

        widget = self._input_for(index, name, descriptor)
        widget.tooltip = str(descriptor.get("description") or name)
        yield widget
        yield Static("", id=f"{_widget_id(index)}-error", classes="field-error")

    def _input_for(self, index: int, name: str, descriptor: dict) -> Widget:
        text = self.initial[name]
        codes = category_values(descriptor)
        settings = descriptor.get("x-datami") or {}
        if codes and descriptor.get("type") == "list":
            parse = quality.check_codes(text, codes, str(descriptor.get("delimiter", ",")))
            # A cell with text that is not a code stays a plain input, so nothing is dropped.
            if not parse.unknown:
                labels = {str(item.get("value")): str(item.get("label") or "") for item in descriptor.get("categories") or [] if isinstance(item, dict)}
                options = [Selection(f"{code} — {labels.get(code, '').strip()}", code, code in parse.codes) for code in codes]
                return SelectionList[str](*options, id=_widget_id(index), classes="codes")
        if settings.get("subtype") in LONG_SUBTYPES or "\n" in text:
            return TextArea(text, id=_widget_id(index), soft_wrap=True, classes="long")
        return Input(text, id=_widget_id(index))

    # Values

    def _value(self, index: int, name: str) -> str:
        widget = self.query_one(f"#{_widget_id(index)}")
        if isinstance(widget, SelectionList):
            descriptor = self.table.field(name)
            codes = category_values(descriptor)
            chosen = [code for code in codes if code in widget.selected]
            return str(descriptor.get("delimiter", ",")).join(chosen)
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def values(self) -> dict[str, str]:
        """Return the current value of every field."""
        return {name: self._value(index, name) for index, name in enumerate(self.names)}

    def changed_values(self) -> dict[str, str]:
        """Return the fields whose value differs from the row's (every field for a new row)."""
        if self.row is None:
            return self.values()
        return self._typed()

    def _typed(self) -> dict[str, str]:
        """Return the fields whose value differs from the one the form opened with."""
        return {name: text for name, text in self.values().items() if text != self.initial[name]}

    def _check(self, index: int, name: str) -> bool:
        """Show the problems of one field under it; return True when it has no error.

        Errors (schema) are shown in red; quality warnings (a link without https://,
        outer spaces…) in yellow, and they never block applying.
        """
        text = self._value(index, name)
        findings = self.session.check_value(self.table, self.row, name, text)
        lines = [Text(describe_message(finding, self.app.language), style="red") for finding in findings]
        for code, severity, params in self.quality.value_issues(name, text, self.table.is_missing(text)):
            if severity == "warning":
                lines.append(Text(self.app.tr(code, **{"value": text, "field": name, **params}), style="yellow"))
        self.query_one(f"#{_widget_id(index)}-error", Static).update(Text("\n").join(lines))
        return not findings

    # Events

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check_widget(event.input)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._check_widget(event.text_area)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        self._check_widget(event.selection_list)

    def _check_widget(self, widget: Widget) -> None:
        if widget.id and widget.id.startswith("field-"):
            index = int(widget.id.split("-")[1])
            self._check(index, self.names[index])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        """Close without applying; when something was typed, ask first, so that no typing is lost by one key."""
        typed = list(self._typed())
        if not typed:
            self.dismiss(None)
            return

        def answered(choice: str | None) -> None:
            if choice == "apply":
                self.action_apply()
            elif choice == "discard":
                self.dismiss(None)

        question = self.app.tr(strings.DISCARD_TYPED_CONFIRM, fields=", ".join(typed))
        choices = [
            ("back", self.app.tr(strings.BUTTON_KEEP_EDITING), "primary"),
            ("apply", self.app.tr(strings.BUTTON_APPLY), "default"),
            ("discard", self.app.tr(strings.BUTTON_DISCARD_TYPED), "error"),
        ]
        self.app.push_screen(ChoiceDialog(question, choices), answered)

    def action_apply(self) -> None:
        invalid = [name for index, name in enumerate(self.names) if not self._check(index, name)]
        if not invalid:
            self.dismiss(self.changed_values())
            return

        def confirmed(choice: str | None) -> None:
            if choice == "keep":
                self.dismiss(self.changed_values())

        question = self.app.tr(strings.INVALID_CONFIRM, fields=", ".join(invalid))
        choices = [("cancel", self.app.tr(strings.BUTTON_CANCEL), "primary"), ("keep", self.app.tr(strings.BUTTON_KEEP), "warning")]
        self.app.push_screen(ChoiceDialog(question, choices), confirmed)
