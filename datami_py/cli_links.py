"""The ``links`` command: check the links to repository files without changing anything.

Exit status: 0 when every link was checked and none is broken, 1 when one is broken or
could not be checked, 2 when the package cannot be read or the GitHub address is
invalid. ``datami fix links`` applies the repairs this command proposes. This module does
not import :mod:`datami_py.cli`, which registers the command, so either can be imported first.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError, describe, describe_location
from datami_py.i18n import detect_language, message, render
from datami_py.links import CellCheck, LinkChecker
from datami_py.session import Session
from datami_py.table import Table

ERROR_LINE = message("links.error-line", "Error: {message}")
REPAIRABLE_LINE = message(
    "links.repairable-line",
    "“{path}” is not in {repository} at {ref}. Found “{new_path}” ({reasons}): “datami fix links” repairs the link.",
)
NOT_CHECKED_LINE = message("links.not-checked-line", "{count} link(s) to {repository} at {ref} not checked: {reason}")
LOCAL_REPOSITORY = message("links.local-repository", "the package's repository")
SUMMARY = message(
    "links.summary",
    "{total} link(s) to repository files: {found} found, {repairable} to repair with “datami fix links”, "
    "{unrepairable} to correct by hand, {unchecked} not checked.",
)


@click.command("links", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--resource", help="Name of the resource (default: the first one).")
@click.option("--json", "as_json", is_flag=True, help="Print every checked link as JSON.")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default=None, help="Language of messages: fr or en (default: from the locale).")
def links_command(package: Path, resource: str | None, as_json: bool, language: str | None) -> None:
    """Check the links to files of Git repositories (GitHub or this one) and propose repairs.

    Only the list of files of each repository is read, in one GitHub call per repository
    and branch; no file is downloaded. Nothing is written: “datami fix links” applies the
    repairs.
    """
    context = click.get_current_context()
    language = detect_language(language or context.find_root().params.get("language"))
    try:
        session = Session.open(package)
        opened = session.open_table(resource)
        checker = LinkChecker.for_package(session.package.root)
    except DatamiError as error:
        click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
        context.exit(2)
        return

    try:
        checks = checker.check_table(opened.table, opened.resource.settings)
    finally:
        checker.trees.close()
    if as_json:
        click.echo(_json(opened.table, checks, checker.trees.calls, language))
    else:
        for line in problem_lines(opened.table, checks, language, include_repairable=True):
            click.echo(line)
        counts = Counter(cell.check.status for cell in checks)
        click.echo(render(SUMMARY, language, total=len(checks), found=counts["found"],
                          repairable=counts["repairable"], unrepairable=counts["unrepairable"],
                          unchecked=counts["not-checked"]))
    # A link that could not be checked is not known to work, so a script must not read success.
    if any(cell.check.status in ("repairable", "unrepairable", "not-checked") for cell in checks):
        context.exit(1)


def problem_lines(table: Table, checks: Sequence[CellCheck], language: str, *,
                  include_repairable: bool) -> Iterator[str]:
    """Yield one line per broken link, then one per repository whose links were not checked."""
    # Counted by repository, ref and worded reason: the reason's parameters may not be hashable.
    unchecked: Counter[tuple[str, str, str]] = Counter()
    for cell in checks:
        check = cell.check
        if check.status == "not-checked":
            repository = check.repository or render(LOCAL_REPOSITORY, language)
            unchecked[(repository, check.link.ref, render(check.problem or "", language, **check.params))] += 1
        elif check.status == "unrepairable" or (check.status == "repairable" and include_repairable):
            yield _located(table, cell, _problem_text(cell, language), language)

    for (repository, ref, reason), count in unchecked.items():
        yield render(NOT_CHECKED_LINE, language, count=count, repository=repository, ref=ref, reason=reason)


def _problem_text(cell: CellCheck, language: str) -> str:
    check = cell.check
    if check.status == "repairable":
        reasons = ", ".join(render(reason, language) for reason in check.reasons)
        return render(REPAIRABLE_LINE, language, path=check.path, repository=check.repository, ref=check.link.ref,
                      new_path=check.new_path, reasons=reasons)
    return render(check.problem or "", language, **check.params)


def _located(table: Table, cell: CellCheck, text: str, language: str) -> str:
    where = describe_location(table.location(cell.row, cell.field), language)
    separator = "\u00a0: " if language == "fr" else ": "
    return where + separator + text


def _json(table: Table, checks: Sequence[CellCheck], calls: int, language: str) -> str:
    items = []
    for cell in checks:
        check = cell.check
        items.append({
            "row": table.row_number(cell.row),
            "key": table.key_of(cell.row),
            "field": cell.field,
            "link": cell.text,
            "status": check.status,
            "repository": check.repository,
            "ref": check.link.ref,
            "path": check.path,
            "new_path": check.new_path,
            "repaired": check.repaired,
            "reasons": [render(reason, language) for reason in check.reasons],
            "candidates": list(check.candidates),
            "message": render(check.problem, language, **check.params) if check.problem else None,
        })
    counts = Counter(cell.check.status for cell in checks)
    summary = {status: counts[status] for status in ("found", "repairable", "unrepairable", "not-checked")}
    return json.dumps({"links": items, "counts": summary, "api_calls": calls}, ensure_ascii=False, indent=2)
