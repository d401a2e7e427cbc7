"""Packages named ``github:OWNER/REPO[@BRANCH][:PATH]`` on the command line.

The commands that take PACKAGE call :func:`local_package`, which turns such a name
into the path of its working copy (read from GitHub when needed, see
:mod:`datami_py.forge.remote_copy`) and leaves any other path as it is. Messages go to
stderr so that ``--json`` output stays clean.
"""

from __future__ import annotations

from pathlib import Path

import click

from datami_py.i18n import message, render

READING = message("remote.reading", "Reading {repository} from GitHub…")
READ_DONE = message("remote.read-done", "Working copy of {repository} ({branch}, commit {commit}): {path}")
UP_TO_DATE = message("remote.up-to-date", "Working copy of {repository} ({branch}), up to date with GitHub: {path}")
KEPT_WORK = message(
    "remote.kept-work",
    "Working copy of {repository} kept as it is, because it holds edits not yet proposed: {path}. "
    "Propose them with “datami propose”; the changes made on GitHub meanwhile are merged then.",
)


def local_package(package: Path, language: str) -> Path:
    """Return ``package``, or the working copy's package path when it is a ``github:`` name.

    Raises:
        DatamiError: for an invalid name or any failure reading from GitHub.
    """
    from datami_py.forge.remote_copy import open_remote, parse_remote_spec

    spec = parse_remote_spec(str(package))
    if spec is None:
        return package

    from datami_py.forge.tokens import api_url_from_environment, find_token

    api_url = api_url_from_environment()
    found = find_token(api_url)
    click.echo(render(READING, language, repository=spec.repository), err=True)
    copy = open_remote(spec, token=found.secret if found else None, api_url=api_url)

    code = UP_TO_DATE
    if copy.kept_work:
        code = KEPT_WORK
    elif copy.refreshed:
        code = READ_DONE
    click.echo(render(code, language, repository=copy.repository, branch=copy.branch,
                      commit=copy.commit[:12], path=str(copy.package)), err=True)
    return copy.package
