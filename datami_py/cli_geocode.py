"""The ``geocode`` command: find the coordinates of addresses, show them for review, apply the accepted ones.

No cell changes before the user has seen every result: the command queries the address
API, prints each result (old position → new position, score, matched address), lists the
low scores and the addresses not found apart, asks which results to apply (or takes
``--yes``), and only then applies them and saves the file.

Exit status: 0 when the command ran (whatever was found or accepted), 1 when the package
cannot be read or saved or the address API fails, 2 for a wrong command line. This
module does not import :mod:`datami_py.cli`, which registers the command, so that either
can be imported first. ``datami fix regeocode`` reuses :func:`review_and_apply`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError, Location, describe
from datami_py.geo.checks import (
    NO_ADDRESS_FIELDS,
    AddressFields,
    PositionProblem,
    address_fields,
    geocode_rows,
    problem_message,
    problems_to_geocode,
)
from datami_py.geo.geocode import BATCH_ROWS, DEFAULT_MIN_SCORE, DEFAULT_TIMEOUT, PROGRESS, BanClient, GeocodeResult, apply_results
from datami_py.i18n import detect_language, message, render
from datami_py.session import OpenTable, Session
from datami_py.table import Table

ERROR_LINE = message("geocode.error-line", "Error: {message}")
NOTHING_TO_GEOCODE = message("geocode.nothing", "No row needs geocoding: every position is filled in and in its département.")
QUERYING = message("geocode.querying", "Geocoding {count} row(s) with {url}…")
SECTION_FOUND = message("geocode.section-found", "Results to review ({count}):")
SECTION_LOW_SCORE = message("geocode.section-low-score", "Score below {minimum}, not applied ({count}):")
SECTION_NOT_FOUND = message("geocode.section-not-found", "Address not found, not applied ({count}):")
SECTION_ERROR = message("geocode.section-error", "Address service error, not applied ({count}):")
ROW = message("geocode.row", "Row {row} ({key})")
ROW_WITH_REASON = message("geocode.row-with-reason", "Row {row} ({key}), {reason}")
RESULT_LINE = message("geocode.result", "{where}: {old} → {new}, score {score}, “{label}”")
UNMATCHED_LINE = message("geocode.unmatched", "{where}: “{address}”")
NO_POSITION = message("geocode.no-position", "no position")
ASK_ALL = message(
    "geocode.ask-all",
    "Apply these {count} result(s)? all (a), row by row (r), none (n)",
)
ASK_ROW = message("geocode.ask-row", "Apply row {row} ({key})? yes (y), no (n)")
ANSWERS_ALL = message("geocode.answers-all", "a:all r:each n:none")
ANSWERS_ROW = message("geocode.answers-row", "y:yes n:no")
INVALID_ANSWER = message("geocode.invalid-reply", "Type one of: {letters}.")
NOTHING_APPLIED = message("geocode.nothing-applied", "Nothing was applied: the file is unchanged.")
DRY_RUN = message("geocode.dry-run", "Nothing was written (--dry-run): {count} result(s) could be applied.")
SAVED = message("geocode.saved", "Saved {file}: {count} row(s) geocoded. See the changes with datami diff.")

SELECTIONS = ("needed", "all", "missing", "outliers")


@click.command("geocode", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--all", "selection", flag_value="all", help="Geocode every row.")
@click.option("--missing", "selection", flag_value="missing", help="Geocode only the rows without a position.")
@click.option(
    "--outliers", "selection", flag_value="outliers", help="Geocode only points outside France, swapped, or outside their département."
)
@click.option("--min-score", type=click.FloatRange(0, 1), default=DEFAULT_MIN_SCORE, show_default=True, help="Lowest match score (0 to 1) that may be applied.")
@click.option("--api-url", help="Root address of the address API (default: $DATAMI_BAN_URL, else https://api-adresse.data.gouv.fr).")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds to wait for each response of the address API before trying again.",
)
@click.option("--resource", help="Name of the resource (default: the first one).")
@click.option("--yes", is_flag=True, help="Apply every result whose score reaches --min-score, without asking.")
@click.option("--dry-run", is_flag=True, help="Show the results without asking or writing anything.")
@click.option("--lang", "language", type=click.Choice(["fr", "en"]), default=None, help="Language of messages: fr or en (default: from the locale).")
def geocode_command(
    package: Path,
    selection: str | None,
    min_score: float,
    api_url: str | None,
    timeout: float,
    resource: str | None,
    yes: bool,
    dry_run: bool,
    language: str | None,
) -> None:
    """Find the coordinates of addresses with the French address API, review them, then apply them.

    Without --all, --missing or --outliers, geocodes the rows without a position and the
    suspect points. Every result is shown before anything is written; low scores and
    addresses not found are never applied.
    """
    context = click.get_current_context()
    # Inside the datami program, "datami --lang fr geocode …" sets the language on the group.
    language = detect_language(language or context.find_root().params.get("language"))
    try:
        session = Session.open(package)
        opened = session.open_table(resource)
        candidates = problems_to_geocode(opened.table, opened.resource.settings, selection or "needed")  # type: ignore[arg-type]
        if not candidates:
            click.echo(render(NOTHING_TO_GEOCODE, language))
            return
        review_and_apply(
            session, opened, candidates, api_url=api_url, min_score=min_score, yes=yes, dry_run=dry_run, language=language, timeout=timeout
        )
    except DatamiError as error:
        click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
        context.exit(1)


def review_and_apply(
    session: Session,
    opened: OpenTable,
    candidates: Sequence[tuple[int, PositionProblem | None]],
    *,
    api_url: str | None,
    min_score: float,
    yes: bool,
    dry_run: bool,
    language: str,
    timeout: float = DEFAULT_TIMEOUT,
) -> int:
    """Geocode the rows of ``candidates``, print the review, ask which results to apply, apply and save them.

    ``candidates`` are (row id, position problem or None), as :func:`problems_to_geocode`
    returns them; the review shows each problem beside its row. Returns the number of
    rows changed. Nothing is written with ``dry_run``, when no result is accepted, or when
    the prompt ends (end of input or Ctrl+C). When the rows take several requests, a line
    on standard error follows each one.

    Raises:
        DatamiError: when the table has no address fields, the address API fails, or
            saving fails.
    """
    table = opened.table
    fields = address_fields(table, opened.resource.settings)
    if not fields.address:
        raise DatamiError(NO_ADDRESS_FIELDS, Location(file=table.file), resource=table.name)
    client = BanClient(api_url, timeout=timeout)
    click.echo(render(QUERYING, language, count=len(candidates), url=client.api_url))

    def progress(done: int, total: int) -> None:
        if total > BATCH_ROWS:
            click.echo(render(PROGRESS, language, done=done, total=total), err=True)

    results = geocode_rows(table, opened.resource.settings, [row for row, _ in candidates], client, min_score, progress=progress)
    reasons = {row: problem for row, problem in candidates if problem is not None}
    applicable = print_review(table, results, min_score, language, reasons)

    if dry_run:
        click.echo(render(DRY_RUN, language, count=len(applicable)))
        return 0
    accepted = applicable if yes else _ask(table, applicable, language)
    if not accepted:
        click.echo(render(NOTHING_APPLIED, language))
        return 0
    return _apply_and_save(session, opened, fields, accepted, language)


def print_review(
    table: Table, results: Sequence[GeocodeResult], min_score: float, language: str, reasons: dict[int, PositionProblem] | None = None
) -> list[GeocodeResult]:
    """Print every result, grouped by status, and return the results that may be applied."""
    applicable = [result for result in results if result.applicable]
    groups = (
        (SECTION_FOUND, applicable, {}),
        (SECTION_LOW_SCORE, [result for result in results if result.status == "low-score"], {"minimum": f"{min_score:.2f}"}),
        (SECTION_NOT_FOUND, [result for result in results if result.status == "not-found"], {}),
        (SECTION_ERROR, [result for result in results if result.status == "error"], {}),
    )
    for title, members, params in groups:
        if not members:
            continue
        click.echo(render(title, language, count=len(members), **params))
        for result in members:
            click.echo("  " + result_line(table, result, language, (reasons or {}).get(result.row)))
    return applicable


def result_line(table: Table, result: GeocodeResult, language: str, problem: PositionProblem | None = None) -> str:
    """Word one result: the row and its problem, old → new position, score and matched address.

    Without a match, the line gives the address sent instead.
    """
    key = table.key_of(result.row) or "-"
    row = table.row_number(result.row)
    reason_code = problem_message(problem) if problem is not None else None
    if reason_code is None:
        where = render(ROW, language, row=row, key=key)
    else:
        reason = render(reason_code, language, **problem.params)  # type: ignore[union-attr]
        where = render(ROW_WITH_REASON, language, row=row, key=key, reason=reason)
    if result.latitude is None or result.longitude is None:
        return render(UNMATCHED_LINE, language, where=where, address=result.address)
    if result.old_latitude is None or result.old_longitude is None:
        old = render(NO_POSITION, language)
    else:
        old = f"{result.old_latitude}, {result.old_longitude}"
    new = f"{result.latitude:g}, {result.longitude:g}"
    return render(RESULT_LINE, language, where=where, old=old, new=new, score=f"{result.score:.2f}", label=result.label or "")


def _ask(table: Table, applicable: list[GeocodeResult], language: str) -> list[GeocodeResult]:
    """Ask whether to apply all, some or none of ``applicable``; the end of input means none."""
    if not applicable:
        return []
    try:
        choice = _prompt(render(ASK_ALL, language, count=len(applicable)), render(ANSWERS_ALL, language), language)
        if choice == "all":
            return applicable
        if choice == "none":
            return []
        accepted = []
        for result in applicable:
            question = render(ASK_ROW, language, row=table.row_number(result.row), key=table.key_of(result.row) or "-")
            if _prompt(question, render(ANSWERS_ROW, language), language) == "yes":
                accepted.append(result)
        return accepted
    except click.Abort:
        click.echo()
        return []


def _prompt(question: str, answers: str, language: str) -> str:
    """Ask ``question`` until the reply is one of ``answers`` ("letter:meaning …"); return the meaning."""
    meanings = dict(item.split(":", 1) for item in answers.split())
    while True:
        reply = click.prompt(question, default="", show_default=False, prompt_suffix=" ").strip().casefold()
        if reply in meanings:
            return meanings[reply]
        click.echo(render(INVALID_ANSWER, language, letters=", ".join(meanings)))


def _apply_and_save(session: Session, opened: OpenTable, fields: AddressFields, accepted: list[GeocodeResult], language: str) -> int:
    """Apply the accepted results and save the file, as ``datami edit`` and ``datami fix`` do.

    The results go straight to the table, not through a journal: starting a journal here
    would set aside the unsaved edits a terminal UI session left, which that session then
    no longer offers to restore.
    """
    applied = apply_results(opened.table, accepted, fields.latitude, fields.longitude)
    if not applied:
        click.echo(render(NOTHING_APPLIED, language))
        return 0
    session.save(opened.resource.name)
    click.echo(render(SAVED, language, file=opened.table.file, count=len(applied)))
    return len(applied)
