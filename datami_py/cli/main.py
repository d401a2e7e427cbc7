"""Commands of the ``datami`` program."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from datami_py.cli.output import error_line, report_error, report_findings, say, say_json
from datami_py.cli_fix import fix
from datami_py.cli_geo import chart_command, map_command
from datami_py.cli_geocode import geocode_command
from datami_py.cli_help import DatamiGroup, language_from_arguments
from datami_py.cli_import import import_datami
from datami_py.cli_links import links_command
from datami_py.cli_propose import propose
from datami_py.cli_remote import local_package
from datami_py.cli_serve import serve
from datami_py.errors import DatamiError, Finding, describe
from datami_py.geo.checks import geopandas_available
from datami_py.i18n import detect_language, message, render
from datami_py.session import Session

INTERNAL_ERROR = message(
    "cli.internal-error",
    "Unexpected internal error ({error}). Nothing was written. Run the command again with --debug and report what it prints.",
)
SET_SYNTAX = message("cli.set-syntax", "“{text}” is not of the form FIELD=VALUE, as --set expects.")
ROW_REQUIRED = message("cli.row-required", "Choose the row with --row KEY (its primary key) or --row-number N.")
SAVED = message("cli.saved", "Saved {file}: {count} cell(s) changed.")
ROW_ADDED = message("cli.row-added", "Added row {row} to {file}.")
ROW_DELETED_DONE = message("cli.row-deleted", "Deleted row {row} ({key}) from {file}.")
NOTHING_CHANGED = message("cli.nothing-changed", "Nothing changed: the values are already those.")
NO_DIFFERENCE = message("cli.no-difference", "No difference with the last commit.")
DIFF_CELL = message("cli.diff-cell", "row {row} ({key}), {field}: “{old}” → “{new}”")
DIFF_ADDED = message("cli.diff-added", "row {row} ({key}): added")
DIFF_DELETED = message("cli.diff-deleted", "row {row} ({key}): deleted")
VALIDATE_SUMMARY = message("cli.validate-summary", "{resource}: {errors} error(s), {warnings} warning(s).")
VALIDATE_ERRORS = message("cli.validate-errors", "Errors")
VALIDATE_WARNINGS = message("cli.validate-warnings", "Warnings")
VALIDATE_NO_GEO = message(
    "cli.validate-no-geo",
    "Points were not checked against their département: that needs the Python package geopandas, "
    "which is not installed. Install it with: pip install \"datami-py[maps]\"",
)
VALIDATE_MORE = message("cli.validate-more", "… and {count} more of the same kind (add --all to list every one).")
SHOW_ROW = message("cli.show-row", "Row {row}")
VALIDATE_FIX_HINT = message(
    "cli.validate-fix-hint",
    "Clean-ups can fix some of these warnings at once: {kinds}. Run “datami fix --list” to see what each one changes, "
    "then “{command}” to apply them.",
)

# Findings of one kind listed by `datami validate` before it only counts the others.
SHOWN_PER_KIND = 5

LANGUAGE_OPTION = click.option(
    "--lang",
    "language",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of messages: fr or en (default: from the locale).",
)


class Context:
    """Options shared by every command."""

    def __init__(self, language: str, debug: bool) -> None:
        self.language = language
        self.debug = debug


def _language(context: click.Context, explicit: str | None) -> str:
    parent = context.find_object(Context)
    if explicit:
        return detect_language(explicit)
    return parent.language if parent else detect_language()


def guarded(exit_code: int = 1) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn a DatamiError raised by the command into one translated line on stderr and ``exit_code``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            context = click.get_current_context()
            language = _language(context, kwargs.get("language"))
            try:
                return command(*args, **kwargs)
            except DatamiError as error:
                settings = context.find_object(Context)
                if settings and settings.debug:
                    traceback.print_exc()
                report_error(error, language)
                context.exit(exit_code)

        return run

    return decorate


@click.group(cls=DatamiGroup, invoke_without_command=True)
@LANGUAGE_OPTION
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="datami-py")
@click.pass_context
def cli(context: click.Context, language: str | None, debug: bool) -> None:
    """Edit the CSV tables of a Frictionless data package kept in Git.

    PACKAGE, for every command, is a datapackage.json, its folder (default: the
    current folder) or a bare CSV file.
    """
    context.obj = Context(detect_language(language), debug)
    if context.invoked_subcommand is None:
        context.invoke(open_package, package=Path("."), resource=None, language=language)


def _package_argument(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.argument("package", required=False, default=".", type=click.Path(path_type=Path))(function)


def _resource_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--resource", help="Name of the resource (default: the first one).")(function)


def _parse_assignments(assignments: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for text in assignments:
        name, separator, value = text.partition("=")
        if not separator or not name:
            raise DatamiError(SET_SYNTAX, text=text)
        values[name] = value
    return values


def _choose_row(session: Session, resource: str | None, key: str | None, number: int | None) -> tuple[Any, int]:
    table = session.table(resource)
    if key is not None:
        return table, table.find_row(key)
    if number is not None:
        return table, table.row_at(number)
    raise DatamiError(ROW_REQUIRED)


@cli.command("open")
@_package_argument
@_resource_option
@LANGUAGE_OPTION
@guarded()
def open_package(package: Path, resource: str | None, language: str | None) -> None:
    """Open the terminal editor on the package (the same as running datami alone)."""
    from datami_py.ui.app import DatamiApp

    lang = _language(click.get_current_context(), language)
    DatamiApp(local_package(package, lang), lang, resource).run()


@cli.command()
@_package_argument
@_resource_option
@click.option("--row", "key", help="Show only the row with this primary key.")
@click.option("--row-number", type=int, help="Show only this data row (1 = first data row).")
@click.option("--json", "as_json", is_flag=True, help="Print typed values as JSON.")
@LANGUAGE_OPTION
@guarded()
def show(package: Path, resource: str | None, key: str | None, row_number: int | None, as_json: bool, language: str | None) -> None:
    """Print the rows as read: all of them, or one chosen by key or number."""
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    table = session.table(resource)
    rows = table.row_ids
    if key is not None or row_number is not None:
        rows = [_choose_row(session, resource, key, row_number)[1]]

    if as_json:
        records = [{"row": table.row_number(row), "key": table.key_of(row), "values": session.typed_record(table, row)} for row in rows]
        say_json(records)
        return

    for row in rows:
        heading = render(SHOW_ROW, lang, row=table.row_number(row))
        key_text = table.key_of(row)
        say(f"{heading} — {key_text}" if key_text is not None else heading)
        for name, text in table.record(row).items():
            say(f"  {name}: {text if text is not None else ''}")


TO_UTF8_OPTION = click.option(
    "--to-utf8",
    "to_utf8",
    is_flag=True,
    help="Convert the whole file to UTF-8 when saving; needed only for characters its encoding cannot hold.",
)


def _apply_and_save(
    session: Session, resource: str | None, row: int | None, values: dict[str, str], language: str, to_utf8: bool = False
) -> None:
    """Check every value, then write them all, or nothing when one is invalid."""
    table = session.table(resource)
    findings = []
    for name, text in values.items():
        findings.extend(session.check_value(table, row, name, text))
    if findings:
        report_findings(findings, language)
        click.get_current_context().exit(1)

    if row is None:
        new_row = table.add_row(values)
        session.save(resource, convert_to_utf8=to_utf8)
        say(render(ROW_ADDED, language, row=table.row_number(new_row), file=table.file))
        return

    changed = [edit for name, text in values.items() if (edit := table.set_cell(row, name, text)) is not None]
    if not changed:
        say(render(NOTHING_CHANGED, language))
        return
    session.save(resource, convert_to_utf8=to_utf8)
    say(render(SAVED, language, file=table.file, count=len(changed)))


@cli.command()
@_package_argument
@_resource_option
@click.option("--row", "key", help="Primary key of the row to edit.")
@click.option("--row-number", type=int, help="Data row number (1 = first data row), for tables without a primary key.")
@click.option("--set", "assignments", multiple=True, required=True, metavar="FIELD=VALUE", help="New value of a field; repeat for several fields.")
@TO_UTF8_OPTION
@LANGUAGE_OPTION
@guarded()
def edit(
    package: Path, resource: str | None, key: str | None, row_number: int | None, assignments: tuple[str, ...], to_utf8: bool, language: str | None
) -> None:
    """Change cells of one row. Every value is checked first: if one is invalid, nothing is written."""
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    values = _parse_assignments(assignments)
    _, row = _choose_row(session, resource, key, row_number)
    _apply_and_save(session, resource, row, values, lang, to_utf8)


@cli.command()
@_package_argument
@_resource_option
@click.option("--set", "assignments", multiple=True, required=True, metavar="FIELD=VALUE", help="Value of a field of the new row; repeat for several fields.")
@TO_UTF8_OPTION
@LANGUAGE_OPTION
@guarded()
def add(package: Path, resource: str | None, assignments: tuple[str, ...], to_utf8: bool, language: str | None) -> None:
    """Append a row. Fields not given are left empty; every value is checked first."""
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    values = _parse_assignments(assignments)
    table = session.table(resource)
    for name in values:
        table.field(name)

    # Every column gets a value, so that a required field left out is reported too.
    row_values = {name: values.get(name, "") for name in table.field_names if table.column_of(name) is not None}
    _apply_and_save(session, resource, None, row_values, lang, to_utf8)


@cli.command()
@_package_argument
@_resource_option
@click.option("--row", "key", help="Primary key of the row to delete.")
@click.option("--row-number", type=int, help="Data row number (1 = first data row), for tables without a primary key.")
@LANGUAGE_OPTION
@guarded()
def delete(package: Path, resource: str | None, key: str | None, row_number: int | None, language: str | None) -> None:
    """Delete one row."""
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    table, row = _choose_row(session, resource, key, row_number)
    number, key_text = table.row_number(row), table.key_of(row)
    table.delete_row(row)
    session.save(resource)
    say(render(ROW_DELETED_DONE, lang, row=number, key=key_text if key_text is not None else "-", file=table.file))


@cli.command()
@_package_argument
@_resource_option
@click.option("--json", "as_json", is_flag=True, help="Print the difference as JSON.")
@LANGUAGE_OPTION
@guarded()
def diff(package: Path, resource: str | None, as_json: bool, language: str | None) -> None:
    """Show the cell-level difference between the data files and the last git commit."""
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    names = [resource] if resource else [item.name for item in session.package.resources]
    results = {name: session.diff(name) for name in names}

    if as_json:
        say_json({name: result.to_dict() for name, result in results.items()})
        return
    if all(result.is_empty for result in results.values()):
        say(render(NO_DIFFERENCE, lang))
        return
    for name, result in results.items():
        file = session.table(name).file
        for change in result.cells:
            say(f"{file}: " + render(DIFF_CELL, lang, row=change.row, key=_key_text(change.key), field=change.field, old=change.old or "", new=change.new or ""))
        for row in result.added:
            say(f"{file}: " + render(DIFF_ADDED, lang, row=row["row"], key=_key_text(row["key"])))
        for row in result.deleted:
            say(f"{file}: " + render(DIFF_DELETED, lang, row=row["row"], key=_key_text(row["key"])))


@cli.command()
@_package_argument
@_resource_option
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--all", "list_all", is_flag=True, help="List every finding, not only the first ones of each kind.")
@LANGUAGE_OPTION
@guarded(exit_code=2)
def validate(package: Path, resource: str | None, as_json: bool, list_all: bool, language: str | None) -> None:
    """Check the data against its schema (errors) and for quality problems (warnings).

    Findings are grouped by kind, and only the first ones of each kind are listed unless
    --all is given; --json always gives them all.

    Exit status: 0 when there is no error, 1 when there is one, 2 when the package cannot be loaded.
    """
    lang = _language(click.get_current_context(), language)
    session = Session.open(local_package(package, lang))
    names = [resource] if resource else [item.name for item in session.package.resources]
    reports = {name: session.validate(name) for name in names}

    if as_json:
        say_json(
            {
                "valid": all(report.valid for report in reports.values()),
                "resources": {
                    name: {
                        "errors": len(report.errors),
                        "warnings": len(report.warnings),
                        "findings": [finding.to_dict(lang) for finding in report.findings],
                    }
                    for name, report in reports.items()
                },
            }
        )
    else:
        for name, report in reports.items():
            _print_report(name, report, lang, None if list_all else SHOWN_PER_KIND)
            if report.warnings:
                _print_fix_hint(session, name, lang)
        if not geopandas_available():
            say(render(VALIDATE_NO_GEO, lang))

    if not all(report.valid for report in reports.values()):
        click.get_current_context().exit(1)


def _print_report(name: str, report: Any, language: str, shown_per_kind: int | None) -> None:
    """Print errors, then warnings, grouped by kind in order of first appearance.

    With ``shown_per_kind`` set, each kind lists that many findings and counts the rest,
    so that 612 stray spaces do not hide the one wrong postcode.
    """
    for title, findings in ((VALIDATE_ERRORS, report.errors), (VALIDATE_WARNINGS, report.warnings)):
        if not findings:
            continue
        say(f"{render(title, language)} ({len(findings)})")
        kinds: dict[str, list[Finding]] = {}
        for finding in findings:
            kinds.setdefault(finding.code, []).append(finding)
        for same_kind in kinds.values():
            listed = same_kind if shown_per_kind is None else same_kind[:shown_per_kind]
            for finding in listed:
                say("  - " + describe(finding, language))
            if len(same_kind) > len(listed):
                say("    " + render(VALIDATE_MORE, language, count=len(same_kind) - len(listed)))
    say(render(VALIDATE_SUMMARY, language, resource=name, errors=len(report.errors), warnings=len(report.warnings)))


def _key_text(key: str | None) -> str:
    """Return a row key for display: "-" for a table without a primary key."""
    return key if key is not None else "-"


def _print_fix_hint(session: Session, name: str, language: str) -> None:
    """Say which warnings ``datami fix`` clears at once, with the number of cells of each kind."""
    from datami_py.fixes import count_fixes

    opened = session.open_table(name)
    counts = {kind: count for kind, count in count_fixes(opened.table, opened.resource.settings).items() if count}
    if counts:
        kinds = ", ".join(f"{kind} ({count})" for kind, count in counts.items())
        say(render(VALIDATE_FIX_HINT, language, kinds=kinds, command="datami fix " + " ".join(counts)))


cli.add_command(import_datami)
cli.add_command(propose)
cli.add_command(fix)
cli.add_command(map_command)
cli.add_command(chart_command)
cli.add_command(links_command)
cli.add_command(serve)
cli.add_command(geocode_command)


def main() -> None:
    """Run the ``datami`` program; no traceback reaches the user unless ``--debug`` is given."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(prog_name="datami", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence before the user
        if debug:
            raise
        language = detect_language(language_from_arguments(sys.argv[1:]))
        click.echo(error_line(render(INTERNAL_ERROR, language, error=type(error).__name__), language), err=True)
        sys.exit(3)

