"""The ``map`` and ``chart`` commands: write a table's map or one of its charts to a file.

``datami map [PACKAGE] --output FILE`` writes GeoJSON, PNG or HTML, chosen by the
extension of FILE. ``datami chart [PACKAGE] --output FILE.png [--chart N]`` draws chart
N (from 1) of the resource settings. Exit status: 0 when the file was written, 1 when
the command failed (one translated line on stderr, nothing written), 2 for a wrong
command line. This module does not import :mod:`datami_py.cli`, which registers the
commands, so that either can be imported first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError, describe
from datami_py.i18n import detect_language, message, render
from datami_py.session import Session

ERROR_LINE = message("geo.error-line", "Error: {message}")
MAP_FORMAT_UNKNOWN = message(
    "geo.format-unknown",
    "Cannot tell the map format from {path}: the file name must end with .geojson, .png or .html.",
)
CHART_FORMAT_UNKNOWN = message("chart.format-unknown", "Charts are written as PNG only: the file name {path} must end with .png.")
MAP_WRITTEN = message("geo.written", "Wrote {path}: {placed} row(s) on the map, {unplaced} without position.")
UNPLACED_LINE = message("geo.unplaced-line", "Row {row} ({key}) is not on the map: {reason}.")
CHART_WRITTEN = message("chart.written", "Wrote {path}: {categories} categories counted on the field {field}.")

MAP_FORMATS = (".geojson", ".png", ".html")


def _language_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--lang",
        "language",
        type=click.Choice(["fr", "en"]),
        default=None,
        help="Language of messages and of the map or chart text: fr or en (default: from the locale).",
    )(function)


def _command_language(explicit: str | None) -> str:
    # Inside the datami program, "datami --lang fr map …" sets the language on the group.
    context = click.get_current_context()
    return detect_language(explicit or context.find_root().params.get("language"))


def _fail(error: DatamiError, language: str) -> None:
    click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
    click.get_current_context().exit(1)


@click.command("map", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write: .geojson, .png or .html.")
@click.option("--resource", help="Name of the resource (default: the first one).")
@click.option("--list-unplaced", is_flag=True, help="Also print each row left off the map, with the reason.")
@_language_option
def map_command(package: Path, output: Path, resource: str | None, list_unplaced: bool, language: str | None) -> None:
    """Write the map of a table: GeoJSON of the rows, a PNG map or an HTML page.

    Rows without a valid position are left out and counted. Nothing is downloaded.
    """
    language = _command_language(language)
    try:
        suffix = output.suffix.lower()
        if suffix not in MAP_FORMATS:
            raise DatamiError(MAP_FORMAT_UNKNOWN, path=str(output))
        opened = Session.open(package).open_table(resource)
        table, settings = opened.table, opened.resource.settings

        from datami_py import geo

        if suffix == ".geojson":
            point_set = geo.export_geojson(table, settings, output)
        elif suffix == ".png":
            point_set = geo.export_png(table, settings, output, language)
        else:
            point_set = geo.export_html(table, settings, output, language)
    except DatamiError as error:
        _fail(error, language)
        return

    click.echo(render(MAP_WRITTEN, language, path=str(output), placed=len(point_set.points), unplaced=len(point_set.unplaced)))
    if list_unplaced:
        for item in point_set.unplaced:
            reason = render(item.message_code, language, **item.params)
            key = table.key_of(item.row) or "-"
            click.echo(render(UNPLACED_LINE, language, row=table.row_number(item.row), key=key, reason=reason))


@click.command("chart", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="PNG file to write.")
@click.option("--chart", "number", type=click.IntRange(min=1), default=1, show_default=True, help="Number of the chart in the resource settings, from 1.")
@click.option("--resource", help="Name of the resource (default: the first one).")
@_language_option
def chart_command(package: Path, output: Path, number: int, resource: str | None, language: str | None) -> None:
    """Draw one chart of a table's settings (x-datami.charts) as a PNG file."""
    language = _command_language(language)
    try:
        if output.suffix.lower() != ".png":
            raise DatamiError(CHART_FORMAT_UNKNOWN, path=str(output))
        opened = Session.open(package).open_table(resource)
        table, settings = opened.table, opened.resource.settings

        from datami_py import charts

        data = charts.export_chart_png(table, settings, number - 1, output, language)
        source = charts.chart_source(table, charts.chart_settings(table, settings, number - 1))
    except DatamiError as error:
        _fail(error, language)
        return

    click.echo(render(CHART_WRITTEN, language, path=str(output), categories=len(data), field=source.field))
