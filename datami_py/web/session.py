"""The process of one browser session of ``datami serve``: the terminal app in its own working copy.

textual-serve starts ``python -m datami_py.web.session --state STATE PACKAGE`` for every
browser tab that connects and stops it when the tab closes. The process claims a session
folder (see :mod:`datami_py.web.workspace`), points the journal at that folder, and runs
:class:`WebDatamiApp`, which is the terminal app with two differences: the default
proposal title names the session, and the branch of a local proposal is copied to the
served repository.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from datami_py.errors import DatamiError, describe
from datami_py.i18n import detect_language, message, render
from datami_py.journal import JOURNAL_DIR_VARIABLE
from datami_py.ui import app as ui_app
from datami_py.ui.app import DatamiApp
from datami_py.web.workspace import Workspace, claim_workspace, publish_branch

logger = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Kept in the session folder: textual-serve stops passing on a session's standard error
# once its tab is closed, and the folder outlives the tab.
LOG_FILE = "session.log"

SESSION_TITLE = message("serve.session-title", "{title} (web session {session})")
SESSION_LABEL = message("serve.session-label", "web session {session}")
TAKEN_OVER = message(
    "serve.taken-over",
    "This page continues an earlier session: its saved changes are not proposed yet. Press r to see them.",
)
BRANCH_PUBLISHED = message("serve.branch-published", "The branch {branch} is now in the served repository.")


def _css_paths_in_full(paths: str | Path | list[str | Path]) -> list[str]:
    """Return the app's CSS files as absolute paths: Textual reads relative ones from a subclass's own folder."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return [str(Path(ui_app.__file__).parent / item) for item in items]


class WebDatamiApp(DatamiApp):
    """The terminal app, run by one browser session in the working copy of ``workspace``."""

    CSS_PATH = _css_paths_in_full(DatamiApp.CSS_PATH)

    def __init__(self, workspace: Workspace, language: str = "en", resource: str | None = None) -> None:
        super().__init__(workspace.package, language, resource)
        self.workspace = workspace
        self.sub_title = render(SESSION_LABEL, language, session=workspace.identifier)

    def proposal_title(self, files: list[str]) -> str:
        """Return the usual default title followed by the session, so that default titles and their branch names differ between sessions."""
        return self.tr(SESSION_TITLE, title=super().proposal_title(files), session=self.workspace.identifier)

    def opened_without_journal(self) -> None:
        """Say so when this tab took over a copy whose saved edits were never proposed.

        Unsaved edits are offered by the restore question; saved ones are simply in the
        files, and the editor must not propose them unknowingly.
        """
        if not self.workspace.restored or self.session is None:
            return
        try:
            unproposed = not self.session.diff(self.resource_name).is_empty
        except DatamiError:
            return
        if unproposed:
            self.notify(self.tr(TAKEN_OVER), timeout=30)

    def asks_proposer(self) -> bool:
        """Ask for the editor's name: without a login, the commit's author is the server's git identity."""
        return True

    def proposal_made(self, branch: str, local: bool) -> None:
        """Copy a local proposal's branch to the served repository, then go on as the terminal app does."""
        if local:
            try:
                publish_branch(self.workspace, branch)
                self.notify(self.tr(BRANCH_PUBLISHED, branch=branch), timeout=20)
            except DatamiError as error:
                logger.error("Session %s: %s", self.workspace.identifier, error)
                self.notify(describe(error, self.language), severity="error", timeout=30)
        super().proposal_made(branch, local)


class SessionFailedApp(DatamiApp):
    """Shows in the browser why the session got no working copy; q ends the session."""

    CSS_PATH = WebDatamiApp.CSS_PATH

    def __init__(self, description: str, language: str) -> None:
        super().__init__(".", language)
        self.description = description

    def load(self) -> None:
        """Show the error instead of opening a package."""
        self._failed(self.description)


def main(arguments: list[str] | None = None) -> int:
    """Claim a session folder and run the app in it; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m datami_py.web.session")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--lang", dest="language", default=None)
    parser.add_argument("--resource", default=None)
    parser.add_argument("package", type=Path)
    options = parser.parse_args(arguments)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    language = detect_language(options.language)

    try:
        workspace = claim_workspace(options.state, options.package)
    except DatamiError as error:
        # textual-serve copies the process's standard error to the server's output.
        logger.error("No working copy for a new session: %s", error)
        SessionFailedApp(describe(error, language), language).run()
        return 1

    log_file = _log_to_file(workspace.folder / LOG_FILE)
    os.environ[JOURNAL_DIR_VARIABLE] = str(workspace.journal)
    logger.info("Session %s started in %s (taken over: %s)", workspace.identifier, workspace.copy, workspace.restored)
    app = WebDatamiApp(workspace, language, options.resource)
    try:
        app.run()
    finally:
        logger.info("Session %s ended with status %s", workspace.identifier, app.return_code)
        logging.getLogger().removeHandler(log_file)
        log_file.close()
        workspace.release()
    return 0


def _log_to_file(path: Path) -> logging.Handler:
    """Also write the log lines to ``path``, appended across the sessions that use its folder; return the handler."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().addHandler(handler)
    return handler


if __name__ == "__main__":
    sys.exit(main())
