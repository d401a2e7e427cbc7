"""The main screen: search box, table or cards, status line and footer."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static

from datami_py.errors import DatamiError, describe
from datami_py.fixes import Fix, apply_chosen_fixes, find_fixes
from datami_py.forge.github import propose_github
from datami_py.forge.local import propose_local, restore_data_files
from datami_py.forge.proposal import build_proposal
from datami_py.forge.remote import github_repository
from datami_py.forge.split import TITLES as SPLIT_TITLES, propose_split
from datami_py.forge.tokens import Secret, api_url_from_environment, find_token
from datami_py.geo.geocode import PROGRESS, STOPPED
from datami_py.gitrepo import repository_root
from datami_py.session import OpenTable, Session
from datami_py.table import Edit, Table, query
from datami_py.table.diff import TableDiff
from datami_py.ui import map_strings, strings
from datami_py.ui.screens import geocode_review
from datami_py.ui.screens.card_detail import CardDetailScreen
from datami_py.ui.screens.conflicts import ConflictScreen
from datami_py.ui.screens.dialogs import ChoiceDialog, TextDialog
from datami_py.ui.screens.filters import FiltersScreen
from datami_py.ui.screens.fixes import CHECK_LINKS, FixesScreen
from datami_py.ui.screens.help import HelpScreen
from datami_py.ui.screens.problems import ProblemsScreen
from datami_py.ui.screens.review import ReviewScreen
from datami_py.ui.screens.row_editor import RowEditorScreen
from datami_py.ui.widgets.cards_grid import CardsGrid, CardTile
from datami_py.ui.widgets.charts_view import ChartsView
from datami_py.ui.widgets.map_view import MapView
from datami_py.ui.widgets.rows_table import RowsTable
from datami_py.ui.widgets.terminal_map import TerminalMap
from datami_py.validation import ValidationReport
from datami_py.views import TableView


# Above this size the review shows only the unsaved edits: comparing with the committed file
# would read it again on the UI thread.
REVIEW_COMMITTED_LIMIT = 20 * 1024 * 1024


class MainScreen(Screen[None]):
    """Browse, search, filter, sort and edit one table."""

    # The footer shows the bindings in this order and cuts what does not fit, so help and
    # quit come first; F1 lists every key. Redo and the rarer keys stay out of it.
    BINDINGS = [
        Binding("f1", "help", strings.KEY_HELP),
        Binding("q", "quit", strings.KEY_QUIT),
        Binding("slash", "search", strings.KEY_SEARCH),
        Binding("escape", "leave_search", strings.KEY_LEAVE_SEARCH, show=False),
        Binding("e", "edit", strings.KEY_EDIT),
        Binding("ctrl+s", "save", strings.KEY_SAVE),
        Binding("ctrl+z", "undo", strings.KEY_UNDO),
        Binding("ctrl+y", "redo", strings.KEY_REDO, show=False),
        Binding("r", "review", strings.KEY_REVIEW),
        Binding("f", "filters", strings.KEY_FILTERS),
        Binding("t", "show('table')", strings.KEY_TABLE),
        Binding("c", "show('cards')", strings.KEY_CARDS),
        Binding("m", "show('map')", map_strings.KEY_MAP),
        Binding("g", "show('charts')", map_strings.KEY_CHARTS),
        Binding("s", "sort", strings.KEY_SORT, show=False),
        Binding("a", "add", strings.KEY_ADD, show=False),
        Binding("d", "duplicate", strings.KEY_DUPLICATE, show=False),
        Binding("delete", "delete", strings.KEY_DELETE, show=False),
        # Not in the footer: the status line names "v" beside the counts.
        Binding("v", "problems", strings.KEY_PROBLEMS, show=False),
        Binding("G", "geocode", geocode_review.KEY_GEOCODE, show=False),
    ]

    def __init__(self, session: Session, opened: OpenTable) -> None:
        super().__init__()
        self.session = session
        self.opened = opened
        self.table = opened.table
        self.settings = opened.resource.settings
        self.view = TableView(self.table, self.settings)
        self.report: ValidationReport | None = None
        # The snapshot the report was made from: its row numbers are those of this table.
        self.report_table: Table | None = None
        # Set to stop the geocoding worker after its current request, and set by the worker
        # when it ends: a set event means no geocoding runs. None before the first one.
        self._geocode_stop: threading.Event | None = None
        # The name a browser editor gave with their last proposal, offered again.
        self.proposer = ""
        views = self.settings.get("views") or {}
        self.default_view = "cards" if views.get("default") == "cards" else "table"

    # Layout

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder=self.app.tr(strings.SEARCH_PLACEHOLDER), id="search")
            with ContentSwitcher(initial=self.default_view, id="views"):
                yield RowsTable(self.view, id="table")
                yield CardsGrid(self.view, self.settings, id="cards")
                yield MapView(self.view, self.settings, id="map")
                yield ChartsView(self.view, self.settings, id="charts")
            yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.app.translate_bindings(self.query_one(CardsGrid))
        self._focus_view()
        self.update_status()
        # Slow work starts once the first screen is painted, so a large file shows at once.
        self.call_after_refresh(self._start_background_work)

    def _start_background_work(self) -> None:
        self.prepare_search()
        self.validate()

    def validate(self) -> None:
        """Validate the table as it is now, in a worker, and show the result in the status line."""
        # Workers read a snapshot taken here, on the UI thread, because the user may go on
        # editing (and deleting rows) while they run.
        self._validate(self.table.snapshot())

    @work(thread=True, group="prepare")
    def prepare_search(self) -> None:
        """Build the search caches in a worker, so the first keystroke of a search is fast."""
        query.prepare(self.table)

    @property
    def rows_table(self) -> RowsTable:
        return self.query_one(RowsTable)

    @property
    def cards(self) -> CardsGrid:
        return self.query_one(CardsGrid)

    @property
    def current_view(self) -> str:
        return self.query_one(ContentSwitcher).current or "table"

    def _focus_view(self) -> None:
        if self.current_view == "table":
            self.rows_table.focus()
        elif self.current_view == "map":
            self.query_one(TerminalMap).focus()
        elif self.current_view == "charts":
            self.query_one(ChartsView).focus()
        else:
            self.cards.focus_first()

    def _reload_map_and_charts(self, data_changed: bool = False) -> None:
        """Bring the map and the charts up to date with the rows shown (hidden ones only note it)."""
        self.query_one(MapView).reload(data_changed)
        self.query_one(ChartsView).reload(data_changed)

    def current_row(self) -> int | None:
        """Return the row under the cursor in the table, or of the focused card."""
        if self.current_view == "cards":
            # A card keeps its row when the cards are redrawn after an edit and lose the focus.
            if isinstance(self.focused, CardTile):
                return self.focused.row
            selected = self.cards.selected_row
            return selected if selected in self.view.rows else None
        if self.current_view == "map":
            return self.query_one(TerminalMap).selected
        return self.rows_table.current_row

    # Status

    def update_status(self) -> None:
        """Show rows shown out of total, active filters, unsaved changes and validation state."""
        tr = self.app.tr
        parts = [tr(strings.STATUS_ROWS, shown=len(self.view.rows), total=len(self.table))]
        active = [self._filter_text(name, values) for name, values in self.view.active_filters.items() if values]
        parts.append(tr(strings.STATUS_FILTERS, filters=", ".join(active)) if active else tr(strings.STATUS_NO_FILTER))
        if self.view.sort_field:
            direction = tr(strings.SORT_DESCENDING if self.view.sort_descending else strings.SORT_ASCENDING)
            parts.append(tr(strings.STATUS_SORT, field=self.view.sort_field, direction=direction))
        pending = len(self.table.history)
        parts.append(tr(strings.STATUS_UNSAVED, count=pending) if self.table.is_dirty else tr(strings.STATUS_SAVED))
        if self.report is not None:
            errors, warnings = len(self.report.errors), len(self.report.warnings)
            if errors:
                parts.append(tr(strings.STATUS_ERRORS, errors=errors, warnings=warnings) + tr(strings.STATUS_PROBLEMS_KEY))
            elif warnings:
                parts.append(tr(strings.STATUS_WARNINGS, warnings=warnings) + tr(strings.STATUS_PROBLEMS_KEY))
            else:
                parts.append(tr(strings.STATUS_VALID))
        self.query_one("#status", Static).update(" · ".join(parts))

    def _filter_text(self, name: str, values: set[str]) -> str:
        """Word an active filter as its field and chosen values, codes shown by their labels."""
        labels = query.code_labels(self.table.field(name))
        return f"{name}={'|'.join(sorted(labels.get(value, value) for value in values))}"

    @work(exclusive=True, thread=True, group="validate")
    def _validate(self, table: Table) -> None:
        report = self.session.validate(self.opened.resource.name, table=table)
        self.app.call_from_thread(self._validated, report, table)

    def _validated(self, report: ValidationReport, table: Table) -> None:
        self.report = report
        self.report_table = table
        self.view.flag_errors(report.findings)
        self.rows_table.reload()
        self.update_status()

    def refresh_rows(self) -> None:
        """Redraw both views after the rows or their order changed."""
        self.view.refresh()
        self.rows_table.reload()
        self.cards.reload(keep_page=True)
        self._reload_map_and_charts(data_changed=True)
        self.update_status()

    # Finding rows

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.view.set_query(event.value)
            self.rows_table.reload()
            self.cards.reload()
            self._reload_map_and_charts()
            self.update_status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            self._focus_view()

    def action_leave_search(self) -> None:
        """Leave the search box with Escape, keeping the search, so that the view's keys work again."""
        if isinstance(self.focused, Input):
            self._focus_view()

    def action_show(self, name: str) -> None:
        self.query_one(ContentSwitcher).current = name
        self._focus_view()

    def action_filters(self) -> None:
        if not self.view.filter_specs:
            return

        def closed(_: None) -> None:
            self.rows_table.reload()
            self.cards.reload()
            self._reload_map_and_charts()
            self.update_status()

        self.app.push_screen(FiltersScreen(self.view), closed)

    def action_sort(self) -> None:
        self.view.sort_by(self.rows_table.current_field)
        self.rows_table.reload()
        self.cards.reload()
        self.update_status()

    # Cards

    def on_rows_table_activated(self, event: RowsTable.Activated) -> None:
        self.open_card(event.row)

    def on_card_tile_opened(self, event: CardTile.Opened) -> None:
        self.open_card(event.row)

    def on_terminal_map_point_opened(self, event: TerminalMap.PointOpened) -> None:
        self.open_card(event.row)

    def open_card(self, row: int) -> None:
        """Show the detail card of ``row``; its "edit" key opens the row editor."""

        def closed(choice: str | None) -> None:
            if choice == "edit":
                self.edit_row(row)

        self.app.push_screen(CardDetailScreen(self.view, self.settings, row), closed)

    # Editing

    def _apply(self, edits: list[Edit | None]) -> None:
        """Show applied edits: repaint, revalidate, update the status line."""
        if any(edits):
            self.refresh_rows()
            self.validate()

    def edit_row(self, row: int, field: str | None = None) -> None:
        """Open the row editor on ``row``, at ``field`` if given, and apply the changed fields as edits."""

        def closed(values: dict[str, str] | None) -> None:
            if values:
                self._apply([self.app.editor.set_cell(row, name, text) for name, text in values.items()])

        self.app.push_screen(RowEditorScreen(self.session, self.table, row, focus_field=field), closed)

    def action_edit(self) -> None:
        row = self.current_row()
        if row is not None:
            self.edit_row(row)

    def _add_with(self, initial: dict[str, str] | None) -> None:
        def closed(values: dict[str, str] | None) -> None:
            if values is not None:
                self.app.editor.add_row(values)
                self.refresh_rows()
                self.validate()

        self.app.push_screen(RowEditorScreen(self.session, self.table, None, initial), closed)

    def action_add(self) -> None:
        self._add_with(None)

    def action_duplicate(self) -> None:
        row = self.current_row()
        if row is not None:
            self._add_with({name: text or "" for name, text in self.table.record(row).items()})

    def action_delete(self) -> None:
        row = self.current_row()
        if row is None:
            return

        def answered(choice: str | None) -> None:
            if choice == "delete":
                self.app.editor.delete_row(row)
                self.refresh_rows()
                self.validate()

        question = self.app.tr(strings.DELETE_CONFIRM, row=self.table.row_number(row), key=self.table.key_of(row) or "-")
        choices = [("cancel", self.app.tr(strings.BUTTON_CANCEL), "primary"), ("delete", self.app.tr(strings.BUTTON_DELETE), "error")]
        self.app.push_screen(ChoiceDialog(question, choices), answered)

    def _describe_edit(self, edit: Edit) -> str:
        tr = self.app.tr
        number = self.table.row_number(edit.row) if self.table.has_row(edit.row) else edit.row + 1
        if edit.kind == "set":
            return tr(strings.EDIT_SET, field=edit.field, row=number)
        if edit.kind == "add":
            return tr(strings.EDIT_ADD, row=number)
        return tr(strings.EDIT_DELETE, row=number)

    def action_undo(self) -> None:
        edit = self.app.editor.undo()
        if edit is None:
            self.notify(self.app.tr(strings.NOTHING_TO_UNDO))
            return
        self.refresh_rows()
        self.validate()
        self.notify(self.app.tr(strings.UNDONE, what=self._describe_edit(edit)))

    def action_redo(self) -> None:
        edit = self.app.editor.redo()
        if edit is None:
            self.notify(self.app.tr(strings.NOTHING_TO_REDO))
            return
        self.refresh_rows()
        self.validate()
        self.notify(self.app.tr(strings.REDONE, what=self._describe_edit(edit)))

    def action_save(self) -> bool:
        """Save through the byte-faithful writer; return True when the file is saved."""
        if not self.table.is_dirty:
            self.notify(self.app.tr(strings.NOTHING_TO_SAVE))
            return True
        try:
            self.app.editor.save()
        except DatamiError as error:
            self.notify(describe(error, self.app.language), severity="error", timeout=15)
            return False
        self.notify(self.app.tr(strings.SAVED_NOTICE, file=self.table.file))
        self.refresh_rows()
        return True

    def action_review(self) -> None:
        diff = self._changes_to_review()
        report = self.report
        if report is None:
            summary = "…"
        elif report.errors:
            summary = self.app.tr(strings.STATUS_ERRORS, errors=len(report.errors), warnings=len(report.warnings))
        elif report.warnings:
            summary = self.app.tr(strings.STATUS_WARNINGS, warnings=len(report.warnings))
        else:
            summary = self.app.tr(strings.STATUS_VALID)
        def closed(choice: str | None) -> None:
            if choice == "propose":
                self.start_proposal()
            elif choice == "propose-split":
                self.start_proposal(split=True)
            elif choice == "fixes":
                self.open_fixes()

        self.app.push_screen(ReviewScreen(diff, summary), closed)

    def _changes_to_review(self) -> TableDiff:
        """Return the saved and unsaved edits since the last commit: what a proposal would contain.

        Outside git, or for a file too large to read again at once, only the unsaved edits.
        """
        committed = self._changes_since_commit()
        return committed if committed is not None else self.session.diff_unsaved(self.opened.resource.name)

    def _nothing_to_propose(self) -> bool:
        """Tell whether the data file is known to equal its last commit (False when it cannot be compared cheaply)."""
        committed = self._changes_since_commit()
        return committed is not None and committed.is_empty

    def _changes_since_commit(self) -> TableDiff | None:
        """Return the changes since the last commit, or None outside git or above :data:`REVIEW_COMMITTED_LIMIT`."""
        if self.opened.resource.file.stat().st_size > REVIEW_COMMITTED_LIMIT:
            return None
        try:
            return self.session.diff(self.opened.resource.name)
        except DatamiError:
            return None

    # Proposing

    def start_proposal(self, split: bool = False) -> None:
        """Save if needed, ask for a title, then make the proposal (one per kind of fix with ``split``) in a worker."""
        if self.table.is_dirty and not self.action_save():
            return
        if self._nothing_to_propose():
            self.notify(self.app.tr(strings.REVIEW_EMPTY))
            return

        def signed(title: str, name: str | None) -> None:
            if name is None:
                return  # Escape on the name: no proposal.
            self.proposer = name
            message = self.app.tr(strings.PROPOSED_BY, name=name) if name else None
            self.notify(self.app.tr(strings.PROPOSE_WORKING))
            if split:
                self.propose_split(title, message)
            else:
                self.propose(title, message=message)

        def titled(title: str | None) -> None:
            if not title:
                return
            if not self.app.asks_proposer():
                signed(title, "")
                return
            question = self.app.tr(strings.PROPOSER_QUESTION)
            self.app.push_screen(TextDialog(question, self.proposer, optional=True), lambda name: signed(title, name))

        default = self.app.proposal_title([self.table.file or ""])
        self.app.push_screen(TextDialog(self.app.tr(strings.PROPOSE_TITLE), default), titled)

    @work(thread=True, exclusive=True, group="propose")
    def propose(self, title: str, resolutions: dict | None = None, message: str | None = None) -> None:
        """Turn the saved edits into a proposal: a pull request when the clone comes from GitHub
        and a token is found, else a local branch."""
        language = self.app.language
        try:
            proposal = build_proposal(self.session, title, message, language)
            target = self._github_target()
            if target is not None:
                repository, token = target
                result = propose_github(proposal, repository, token=token, api_url=api_url_from_environment(), resolutions=resolutions)
                code = strings.PROPOSE_UPDATED_GITHUB if result.updated else strings.PROPOSE_DONE_GITHUB
                text = self.app.tr(code, url=result.pull_url, number=result.pull_number)
                branch = result.branch
                # The pull request contains the edits now, so the data files go back as after a local proposal.
                restore_data_files(repository_root(self.session.package.root), proposal)
            else:
                local = propose_local(self.session.package.root, proposal, resolutions=resolutions)
                text = self.app.tr(strings.PROPOSE_DONE_LOCAL, branch=local.branch)
                branch = local.branch
        except DatamiError as error:
            conflicts = getattr(error, "conflicts", None)
            if conflicts and resolutions is None:
                self.app.call_from_thread(self._resolve_conflicts, title, conflicts, message)
                return
            self.app.call_from_thread(self.notify, describe(error, language), severity="error", timeout=20)
            return
        self.app.call_from_thread(self._proposed, text, branch, target is None)

    @work(thread=True, exclusive=True, group="propose")
    def propose_split(self, title: str, message: str | None = None) -> None:
        """Make one proposal per kind of fix among the saved edits, each titled after ``title``."""
        language = self.app.language
        try:
            target = self._github_target()
            repository, token = target if target is not None else (None, None)
            parts, _ = propose_split(self.session, build_proposal(self.session, title, message, language),
                                     repository=repository, token=token, api_url=api_url_from_environment(), title=title)
        except DatamiError as error:
            self.app.call_from_thread(self.notify, describe(error, language), severity="error", timeout=20)
            return

        lines = [self.app.tr(strings.PROPOSE_SPLIT_PART, title=part.title, cells=part.cells,
                             place=part.pull_url or part.branch) for part in parts]
        self.app.call_from_thread(self._proposed, "\n".join(lines), parts[-1].branch if parts else "", target is None)

    def _github_target(self) -> tuple[str, Secret] | None:
        """Return the GitHub repository and token that proposals go to, or None for a local branch.

        Raises:
            DatamiError: ``github.api-url-invalid`` when ``GITHUB_API_URL`` is not an address.
        """
        repository = github_repository(self.session.package.root)
        found = find_token(api_url_from_environment()) if repository else None
        if repository is None or found is None:
            return None
        return repository, found.secret

    # Validation panel

    def action_problems(self) -> None:
        """List the errors and warnings; Enter edits the row of one, x opens the clean-ups."""
        if self.report is None or self.report_table is None:
            self.notify(self.app.tr(strings.PROBLEMS_PENDING))
            return

        def closed(choice: tuple[str, int | None, str | None] | None) -> None:
            if choice is None:
                return
            action, row, field = choice
            if action == "fixes":
                self.open_fixes()
            elif row is not None and self.table.has_row(row):
                self.edit_row(row, field)
            else:
                self.notify(self.app.tr(strings.PROBLEMS_ROW_GONE), severity="warning")

        self.app.push_screen(ProblemsScreen(self.report, self.report_table), closed)

    # Clean-ups

    def action_fixes(self) -> None:
        self.open_fixes()

    def open_fixes(self, fixes: list[Fix] | None = None, links_checked: bool = False) -> None:
        """Show every cell the clean-ups would change; apply the ticked ones as undoable edits.

        ``fixes`` comes from :meth:`check_links`; by default the clean-ups are found
        without link checking, which reads file lists over the network.
        """
        if fixes is None:
            fixes = find_fixes(self.table, self.settings)
        titles = {kind: self.app.tr(code) for kind, code in SPLIT_TITLES.items()}

        def chosen(selected: list[Fix] | str | None) -> None:
            if selected == CHECK_LINKS:
                self.notify(self.app.tr(strings.FIXES_CHECKING_LINKS))
                self.check_links(self.table.snapshot())
                return
            if not selected:
                return
            applied = apply_chosen_fixes(self.app.editor, fixes, selected)
            if applied:
                self.refresh_rows()
                self.validate()
            self.notify(self.app.tr(strings.FIXES_APPLIED, count=applied))

        self.app.push_screen(FixesScreen(self.table, fixes, titles, links_checked=links_checked), chosen)

    @work(thread=True, exclusive=True, group="links")
    def check_links(self, table: Table) -> None:
        """Find the clean-ups of ``table`` (a snapshot) again with link checking, then show them."""
        from datami_py.links import LinkChecker

        try:
            checker = LinkChecker.for_package(self.session.package.root)
            fixes = find_fixes(table, self.settings, links=checker)
        except DatamiError as error:
            self.app.call_from_thread(self.notify, describe(error, self.app.language), severity="error", timeout=20)
            return
        self.app.call_from_thread(self.open_fixes, fixes, True)

    def _resolve_conflicts(self, title: str, conflicts: dict, message: str | None = None) -> None:
        """Show both values of each conflicting cell; propose again with the user's choices."""

        def chosen(resolutions: dict | None) -> None:
            if resolutions is not None:
                self.propose(title, resolutions, message)

        self.app.push_screen(ConflictScreen(conflicts), chosen)

    def _proposed(self, text: str, branch: str, local: bool) -> None:
        self.notify(text, timeout=20)
        if not local:
            # The data files went back to their committed version: read them again.
            self.app.reload_package()
        self.app.proposal_made(branch, local)

    # Geocoding

    def action_geocode(self) -> None:
        """Start geocoding, or ask the running geocoding to stop after its current request."""
        if self._geocode_stop is not None and not self._geocode_stop.is_set():
            self._geocode_stop.set()
            self.notify(self.app.tr(geocode_review.STOPPING))
            return
        self._geocode_stop = threading.Event()
        self.notify(self.app.tr(geocode_review.WORKING))
        self.find_geocoding(self.table.snapshot(), self._geocode_stop)

    @work(thread=True, exclusive=True, group="geocode")
    def find_geocoding(self, table: Table, stop: threading.Event) -> None:
        """Query the address API for ``table`` (a snapshot) in a worker, then open the review screen with the results."""

        def progress(done: int, total: int) -> None:
            if total > done:
                self.app.call_from_thread(self.notify, self.app.tr(PROGRESS, done=done, total=total))

        try:
            results, reasons = geocode_review.find_geocoding(table, self.settings, progress=progress, should_stop=stop.is_set)
        except DatamiError as error:
            severity = "information" if error.code == STOPPED else "error"
            self.app.call_from_thread(self.notify, describe(error, self.app.language), severity=severity, timeout=20)
            return
        finally:
            stop.set()
        self.app.call_from_thread(self._review_geocoding, results, reasons)

    def _review_geocoding(self, results: list, reasons: dict) -> None:
        if not results:
            self.notify(self.app.tr(geocode_review.NOTHING))
            return

        def closed(count: int | None) -> None:
            if count:
                self.notify(self.app.tr(geocode_review.APPLIED, count=count))
                self.refresh_rows()
                self.validate()

        self.app.push_screen(geocode_review.GeocodeReviewScreen(self.app.editor, self.settings, results, reasons), closed)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        if not self.table.is_dirty:
            self.app.exit()
            return

        def answered(choice: str | None) -> None:
            if choice == "save" and self.action_save():
                self.app.exit()
            elif choice == "quit":
                # The button promises the edits are not kept: their journal is set aside as a
                # .discarded file (nothing typed is deleted) and not offered at the next start.
                self.app.editor.discard()
                self.app.exit()

        question = self.app.tr(strings.QUIT_UNSAVED, count=len(self.table.history))
        choices = [
            ("save", self.app.tr(strings.BUTTON_SAVE), "primary"),
            ("quit", self.app.tr(strings.BUTTON_QUIT), "error"),
            ("cancel", self.app.tr(strings.BUTTON_CANCEL), "default"),
        ]
        self.app.push_screen(ChoiceDialog(question, choices), answered)
