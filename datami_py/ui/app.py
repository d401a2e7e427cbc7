"""The datami terminal app: opens a package and shows its first table.

The app keeps the session and the editor (edits are journaled before they show, see
:mod:`datami_py.journal`); screens are thin views over them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Static

from datami_py.errors import DatamiError, describe
from datami_py.forge.proposal import default_title
from datami_py.i18n import render
from datami_py.session import OpenTable, Session
from datami_py.ui import strings
from datami_py.ui.bindings import translate_bindings
from datami_py.ui.commands import ActionsProvider
from datami_py.journal import JournaledTable, JournalState
from datami_py.ui.screens.dialogs import ChoiceDialog
from datami_py.ui.screens.load_error import LoadErrorScreen
from datami_py.ui.screens.main import MainScreen


class DatamiApp(App[None]):
    """Browse and edit the data package at ``package`` in ``language`` (fr or en)."""

    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {ActionsProvider}
    TITLE = "datami"
    BINDINGS = [
        Binding("f1", "help", strings.KEY_HELP, show=False),
        # Textual adds this binding with an English description unless the app has one.
        Binding("ctrl+p", "command_palette", strings.KEY_PALETTE, show=False, priority=True),
    ]

    def __init__(self, package: Path | str = ".", language: str = "en", resource: str | None = None) -> None:
        super().__init__()
        self.package = Path(package)
        self.language = language
        self.resource_name = resource
        self.session: Session | None = None
        self.editor: JournaledTable | None = None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Offer only the theme among Textual's own commands, in the app's language.

        The main screen's actions come from :class:`ActionsProvider`. Textual's quit would
        leave without asking about unsaved edits, and its screenshot writes a file
        wherever the program runs.
        """
        yield SystemCommand(self.tr(strings.COMMAND_THEME), self.tr(strings.COMMAND_THEME_HELP), self.action_change_theme)

    def action_command_palette(self) -> None:
        """Open the command palette with a prompt in the app's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=self.tr(strings.PALETTE_PLACEHOLDER), id="--command-palette"))

    def tr(self, code: str, **params: Any) -> str:
        """Word message ``code`` in the app's language."""
        return render(code, self.language, **params)

    def translate_bindings(self, node: Any) -> None:
        """Show ``node``'s key descriptions in the app's language."""
        translate_bindings(node, self.tr)
        self.refresh_bindings()

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Push ``screen`` with its key descriptions in the app's language."""
        if not isinstance(screen, str):
            translate_bindings(screen, self.tr)
        return super().push_screen(screen, *args, **kwargs)

    def on_mount(self) -> None:
        self.translate_bindings(self)
        self.mount(Static(self.tr(strings.LOADING, file=str(self.package)), id="loading"))
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        """Open the package and read its table in a worker, so the screen stays responsive."""
        try:
            session = Session.open(self.package)
            opened = session.open_table(self.resource_name)
        except DatamiError as error:
            self.call_from_thread(self._failed, describe(error, self.language))
            return
        self.call_from_thread(self._loaded, session, opened)

    def _failed(self, description: str) -> None:
        self.push_screen(LoadErrorScreen(description))

    def _loaded(self, session: Session, opened: OpenTable) -> None:
        self.session = session
        self.title = session.package.title
        try:
            self.editor = JournaledTable(session, opened.resource.name)
            state = self.editor.pending()
        except DatamiError as error:
            self.push_screen(LoadErrorScreen(describe(error, self.language)))
            return

        self.push_screen(MainScreen(session, opened))
        if state is not None:
            self._offer_restore(state)
        else:
            self.opened_without_journal()

    def opened_without_journal(self) -> None:
        """Called once the table shows, when no unsaved edits were left to restore."""

    def _offer_restore(self, state: JournalState) -> None:
        """Ask whether to restore the edits a previous run left unsaved; never drop them silently."""
        question = "\n".join(self.tr(phrase.code, **phrase.params) for phrase in state.messages())

        def answered(choice: str | None) -> None:
            if choice == "restore":
                try:
                    warnings = self.editor.restore(state)
                except DatamiError as error:
                    self.notify(describe(error, self.language), severity="error", timeout=20)
                    return
                for warning in warnings:
                    self.notify(describe(warning, self.language), severity="warning", timeout=20)
                screen = self.screen
                if isinstance(screen, MainScreen):
                    screen.refresh_rows()
                    screen.validate()
            elif choice == "discard":
                self.editor.discard()
            else:
                self._offer_restore(state)  # Escape: the question stays until answered.

        choices = [("restore", self.tr(strings.BUTTON_RESTORE), "primary"), ("discard", self.tr(strings.BUTTON_DISCARD), "default")]
        self.push_screen(ChoiceDialog(question, choices), answered)

    def proposal_title(self, files: list[str]) -> str:
        """Return the title the proposal dialog offers for a proposal that changes ``files``."""
        return default_title(files, self.language)

    def asks_proposer(self) -> bool:
        """Tell whether proposing prompts for the editor's name (no: the terminal's commits carry the user's git identity)."""
        return False

    def proposal_made(self, branch: str, local: bool) -> None:
        """Follow up a proposal that now exists on ``branch``.

        A local proposal put the data files back to their committed version, so they are read again.
        """
        if local:
            self.reload_package()

    def reload_package(self) -> None:
        """Close the table and open the package again (after a proposal put the files back)."""
        if self.editor is not None:
            self.editor.close()
            self.editor = None
        self.pop_screen()
        self.load()

    def on_unmount(self) -> None:
        if self.editor is not None:
            self.editor.close()
