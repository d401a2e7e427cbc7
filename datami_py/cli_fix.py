"""The ``fix`` command: list, preview and apply the clean-up fixes of :mod:`datami_py.fixes`.

Exit status: 0 on success, 1 when the package cannot be read or saved or a kind is
unknown, 2 for a wrong command line. This module does not import :mod:`datami_py.cli`, which registers
the command, so that either can be imported first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError, describe
from datami_py.fixes import DESCRIPTIONS, KINDS, REVIEWED_KINDS, Fix, apply_fixes, count_fixes, find_fixes
from datami_py.i18n import detect_language, message, render
from datami_py.session import OpenTable, Session
from datami_py.table import Table

if TYPE_CHECKING:
    from datami_py.links import LinkChecker

ERROR_LINE = message("fixes.error-line", "Error: {message}")
KIND_LINE = message("fixes.kind-line", "{kind} ({count} cell(s)): {description}")
KIND_LINE_UNCHECKED = message(
    "fixes.kind-line-unchecked",
    "{kind} ({count} cell(s) among the links checked; {unchecked} link(s) not checked, see below): {description}",
)
FIX_LINE = message("fixes.fix-line", "{file}: {kind}, row {row} ({key}), {field}: “{before}” → “{after}”")
NOTHING_TO_FIX = message("fixes.nothing-to-fix", "Nothing to fix: no cell needs these fixes.")
KINDS_REQUIRED = message(
    "fixes.kinds-required",
    "Name the fixes to apply ({kinds}), or list them with --list.",
)
DRY_RUN_DONE = message("fixes.dry-run", "Nothing was written (--dry-run): {count} change(s) proposed.")
FIXES_SAVED = message("fixes.saved", "Saved {file}: {count} change(s) applied.")


@click.command("fix", cls=DatamiCommand)
@click.argument("arguments", nargs=-1, metavar="[PACKAGE] KIND...")
@click.option("--resource", help="Name of the resource (default: the first one).")
@click.option("--list", "list_kinds", is_flag=True, help="List each kind of fix with the number of cells it would change.")
@click.option("--dry-run", is_flag=True, help="Print the changes without writing the file.")
@click.option("--api-url", help="For regeocode: root address of the address API (default: $DATAMI_BAN_URL, else https://api-adresse.data.gouv.fr).")
@click.option("--yes", is_flag=True, help="For regeocode: apply every result whose score reaches 0.6, without asking.")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default=None, help="Language of messages: fr or en (default: from the locale).")
def fix(
    arguments: tuple[str, ...], resource: str | None, list_kinds: bool, dry_run: bool, api_url: str | None, yes: bool, language: str | None
) -> None:
    """Fix known data-quality problems: outer spaces, decomposed accents, codes, links, postcodes.

    KIND is one of trim, nfc, codes, scheme, postcode, links; several kinds apply in that
    order. links repairs links to missing repository files and lists on stderr the ones it
    cannot repair, with the reason.
    regeocode geocodes again the points outside their département, with the review of
    datami geocode, before the other kinds.
    PACKAGE (default: the current folder) comes first when given. Write a folder named
    like a kind as ./NAME. Every change is printed as “before” → “after”.
    """
    context = click.get_current_context()
    # Inside the datami program, "datami --lang fr fix …" sets the language on the group.
    language = detect_language(language or context.find_root().params.get("language"))
    package, kinds = _split_arguments(arguments, list_kinds)
    try:
        session = Session.open(package)
        opened = session.open_table(resource)
        checker = _link_checker(session) if list_kinds or "links" in kinds else None
        if list_kinds:
            counts = count_fixes(opened.table, opened.resource.settings, links=checker) | {"regeocode": _regeocode_count(opened)}
            _print_kinds(counts, language, _unchecked_links(opened, checker))
            _report_links(opened, checker, language)
            return
        if not kinds:
            raise DatamiError(KINDS_REQUIRED, kinds=", ".join(KINDS + REVIEWED_KINDS))

        table = opened.table
        if "regeocode" in kinds:
            _regeocode(session, opened, api_url, yes, dry_run, language)
            kinds = [kind for kind in kinds if kind not in REVIEWED_KINDS]
            if not kinds:
                return
        fixes = find_fixes(table, opened.resource.settings, kinds, links=checker)
        _report_links(opened, checker, language)
        if not fixes:
            click.echo(render(NOTHING_TO_FIX, language))
            return
        for item in fixes:
            click.echo(_fix_line(table, item, language))
        if dry_run:
            click.echo(render(DRY_RUN_DONE, language, count=len(fixes)))
            return

        applied = apply_fixes(table, fixes)
        session.save(opened.resource.name)
    except DatamiError as error:
        click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
        context.exit(1)
        return
    click.echo(render(FIXES_SAVED, language, file=table.file, count=applied))


def _link_checker(session: Session) -> LinkChecker:
    """Return the checker of the package's links; it lists each repository's files at most once."""
    from datami_py.links import LinkChecker

    return LinkChecker.for_package(session.package.root)


def _report_links(opened: OpenTable, checker: LinkChecker | None, language: str) -> None:
    """Print on stderr the links that the links kind leaves broken or could not check, with the reason."""
    if checker is None:
        return
    from datami_py.cli_links import problem_lines

    checks = checker.check_table(opened.table, opened.resource.settings)
    checker.trees.close()
    for line in problem_lines(opened.table, checks, language, include_repairable=False):
        click.echo(line, err=True)


def _split_arguments(arguments: tuple[str, ...], list_kinds: bool) -> tuple[Path, list[str]]:
    """Return the package path and the kinds.

    The first argument is the package when it is not a kind and either exists on disk, is
    followed by other arguments or comes with --list. So a mistyped kind alone is reported
    as an unknown kind, not as a missing package.
    """
    first_is_package = list_kinds or len(arguments) > 1 or (len(arguments) == 1 and Path(arguments[0]).exists())
    if arguments and arguments[0] not in KINDS + REVIEWED_KINDS and first_is_package:
        return Path(arguments[0]), list(arguments[1:])
    return Path("."), list(arguments)


def _print_kinds(counts: dict[str, int], language: str, unchecked_links: int) -> None:
    """Print each kind with its count; the links count gives how many links could not be checked, so that 0 is not read as "none broken"."""
    for kind in KINDS + REVIEWED_KINDS:
        description = render(DESCRIPTIONS[kind], language)
        if kind == "links" and unchecked_links:
            line = render(KIND_LINE_UNCHECKED, language, kind=kind, count=counts[kind], unchecked=unchecked_links, description=description)
        else:
            line = render(KIND_LINE, language, kind=kind, count=counts[kind], description=description)
        click.echo(line)


def _unchecked_links(opened: OpenTable, checker: LinkChecker | None) -> int:
    """Return how many links could not be checked; the checker keeps each result, so the report later reads no tree again."""
    if checker is None:
        return 0
    return sum(cell.check.status == "not-checked" for cell in checker.check_table(opened.table, opened.resource.settings))


def _regeocode_count(opened: OpenTable) -> int:
    """Return the number of coordinate cells regeocode may change: two per point outside its département."""
    from datami_py.geo.checks import rows_to_geocode

    try:
        return 2 * len(rows_to_geocode(opened.table, opened.resource.settings, "departement"))
    except DatamiError:
        return 0  # The table has no coordinate fields.


def _regeocode(session: Session, opened: OpenTable, api_url: str | None, yes: bool, dry_run: bool, language: str) -> None:
    """Geocode again the points outside their département, through the review of datami geocode."""
    from datami_py.cli_geocode import NOTHING_TO_GEOCODE, review_and_apply
    from datami_py.geo.checks import problems_to_geocode
    from datami_py.geo.geocode import DEFAULT_MIN_SCORE

    candidates = problems_to_geocode(opened.table, opened.resource.settings, "departement")
    if not candidates:
        click.echo(render(NOTHING_TO_GEOCODE, language))
        return
    review_and_apply(session, opened, candidates, api_url=api_url, min_score=DEFAULT_MIN_SCORE, yes=yes, dry_run=dry_run, language=language)


def _fix_line(table: Table, item: Fix, language: str) -> str:
    key = table.key_of(item.row)
    return render(
        FIX_LINE,
        language,
        file=table.file,
        kind=item.kind,
        row=table.row_number(item.row),
        key=key if key is not None else "-",
        field=item.field,
        before=_visible(item.before),
        after=_visible(item.after),
    )


def _visible(text: str) -> str:
    """Return ``text`` on one line: line breaks and tabs written as \\n, \\r and \\t."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
