"""Small modal dialogs: a question with buttons, and a message to read."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from datami_py.ui import strings


class ChoiceDialog(ModalScreen[str | None]):
    """Ask a question; dismiss with the id of the button pressed, or None on Escape."""

    BINDINGS = [Binding("escape", "dismiss(None)", show=False)]

    def __init__(self, question: str, choices: list[tuple[str, str, str]]) -> None:
        """``choices`` are (id, label, variant) triples, the first one focused."""
        super().__init__()
        self.question = question
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question")
            with Horizontal(classes="buttons"):
                for choice_id, label, variant in self.choices:
                    yield Button(label, id=choice_id, variant=variant)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


class TextDialog(ModalScreen[str | None]):
    """Ask for one line of text; dismiss with it on Enter, or None on Escape.

    Enter on an empty line does nothing, unless ``optional``: then it dismisses with "".
    """

    BINDINGS = [Binding("escape", "dismiss(None)", strings.BUTTON_CANCEL)]

    def __init__(self, question: str, value: str = "", *, optional: bool = False) -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.optional = optional

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="question")
            yield Input(self.value, id="answer")
            yield Static(self.app.tr(strings.TEXT_DIALOG_HINT), classes="hint")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() or self.optional:
            self.dismiss(event.value.strip())
