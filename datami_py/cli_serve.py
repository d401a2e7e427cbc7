"""The ``datami serve`` command: the editor in a web browser, one working copy per browser session.

Textual and textual-serve are imported only when the server starts, so other commands do not load them.
"""

from __future__ import annotations

from pathlib import Path

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError
from datami_py.gitrepo import repository_root
from datami_py.i18n import detect_language, message

PACKAGE_MISSING = message("serve.package-missing", "{path} does not exist. Give the folder of the data package or its datapackage.json.")


@click.command("serve", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--resource", help="Name of the resource (default: the first one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on. Keep 127.0.0.1 unless a reverse proxy with a login is in front.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on; 0 takes a free port.")
@click.option("--public-url", help="Address browsers use to reach the server, when a reverse proxy is in front (for example https://donnees.example.org).")
@click.option(
    "--state",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the working copies and journals of the sessions (default: a folder per package under ~/.local/state/datami-py/serve).",
)
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default=None, help="Language of messages: fr or en (default: from the locale).")
def serve(package: Path, resource: str | None, host: str, port: int, public_url: str | None, state: Path | None, language: str | None) -> None:
    """Open the editor in a web browser: every browser tab edits its own copy of the package.

    The server has NO LOGIN of its own: anyone who can reach it can edit and propose. It
    listens on 127.0.0.1 (this machine only) unless --host says otherwise. Before anyone
    else can reach it, put it behind a reverse proxy that asks for a login.

    A GitHub token in the server's environment (GITHUB_TOKEN or GH_TOKEN) turns proposals
    into pull requests; it stays on the server and is never sent to the browser.
    """
    context = click.get_current_context()
    # Inside the datami program, "datami --lang fr serve …" sets the language on the group.
    language = detect_language(language or context.find_root().params.get("language"))
    try:
        if not package.exists():
            raise DatamiError(PACKAGE_MISSING, path=str(package))
        # Sessions clone the repository, so a package outside git fails here rather than in the browser.
        repository_root(package.resolve())
    except DatamiError as error:
        # Imported here because datami_py.cli imports this module to register the command.
        from datami_py.cli.output import report_error

        report_error(error, language)
        context.exit(1)
        return

    from datami_py.web.server import DatamiServer, session_command
    from datami_py.web.workspace import default_state_folder

    folder = state or default_state_folder(package)
    command = session_command(package, folder, language, resource)
    server = DatamiServer(command, host=host, port=port, title="datami", language=language, public_url=public_url, echo=click.echo)
    server.serve()
