"""The ``import-datami`` command: write a data package built from a Datami widget configuration.

It writes ``datapackage.json``, ``schemas/<resource>.json`` and a byte-for-byte copy of
the CSV file under ``data/``, then prints the import report in the user's language.
Exit status: 0 when the package was written (even with findings), 1 when the import
failed or a file would be overwritten without ``--force``, 2 for a wrong command line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from datami_py.cli_help import DatamiCommand
from datami_py.errors import DatamiError, Finding, Location, describe
from datami_py.i18n import detect_language, message, render
from datami_py.package import importer

OUTPUT_EXISTS = message(
    "importer.output-exists",
    "These files already exist: {paths}. Nothing was written. Pass --force to overwrite them.",
)
WRITE_FAILED = message("importer.write-failed", "Cannot write {path}: {reason}.")
ERROR_LINE = message("importer.error-line", "Error: {message}")
WARNING_LINE = message("importer.warning-line", "warning: {message}")
ERROR_FINDING_LINE = message("importer.error-finding-line", "error: {message}")
WRITTEN = message(
    "importer.written",
    "Wrote {descriptor}, {schema} and {data}: {fields} fields, {findings} findings.",
)

DESCRIPTOR_NAME = "datapackage.json"


@click.command("import-datami", cls=DatamiCommand)
@click.argument("gitfiles", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--source-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Local copy of the repository that the configuration's GitHub or GitLab URLs point into "
    "(default: the parent of the folder that holds GITFILES, as for widget/gitfiles.json at the repository root).",
)
@click.option(
    "--tab",
    metavar="TITLE",
    default=None,
    help="Title of the tab to import (default: the tab with default-tab: true, else the first active CSV tab).",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="CSV file to read instead of the one that the tab names.",
)
@click.option(
    "--metadata",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file of package properties (title, description, licenses, sources…) that replace the generated ones.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder where datapackage.json, schemas/ and data/ are written.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--lang",
    "language",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of messages: fr or en (default: from the locale).",
)
def import_datami(
    gitfiles: Path,
    source_dir: Path | None,
    tab: str | None,
    csv_path: Path | None,
    metadata: Path | None,
    output: Path,
    force: bool,
    language: str | None,
) -> None:
    """Build a data package from the Datami widget configuration GITFILES.

    GITFILES is a JSON file containing the gitfiles attribute of a <datami-multi-files>
    element. Nothing is fetched from the network: file URLs are read from --source-dir.
    """
    context = click.get_current_context()
    # Inside the datami program, "datami --lang fr import-datami …" sets the language on the group.
    language = detect_language(language or context.find_root().params.get("language"))
    try:
        result = _build(gitfiles, source_dir, tab, csv_path, metadata)
        targets = _write_package(result, output, force)
    except DatamiError as error:
        click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
        context.exit(1)
        return

    _print_report(result.report, language)
    click.echo(
        render(
            WRITTEN,
            language,
            descriptor=targets["descriptor"],
            schema=targets["schema"],
            data=targets["data"],
            fields=len(result.schema["fields"]),
            findings=len(result.report),
        )
    )


def _build(
    gitfiles: Path, source_dir: Path | None, tab: str | None, csv_path: Path | None, metadata: Path | None
) -> importer.ImportResult:
    # The configuration usually sits one folder below the repository root (widget/gitfiles.json).
    source_root = source_dir if source_dir is not None else gitfiles.resolve().parent.parent
    package_metadata = importer.load_metadata(metadata) if metadata is not None else None
    return importer.import_datami(gitfiles, source_root, tab=tab, csv_path=csv_path, metadata=package_metadata)


def _write_package(result: importer.ImportResult, output: Path, force: bool) -> dict[str, Path]:
    """Write the three files of the package under ``output`` and return their paths.

    The data file is written first and ``datapackage.json`` last, so that an interrupted
    run never leaves a descriptor pointing at a missing file.

    Raises:
        DatamiError: ``importer.output-exists`` when a file exists and ``force`` is off
            (nothing is written then), ``importer.write-failed`` when writing fails.
    """
    targets = {
        "data": output / result.resource["path"],
        "schema": output / result.resource["schema"],
        "descriptor": output / DESCRIPTOR_NAME,
    }
    # Importing a CSV file that already sits at its place in the package needs no copy.
    copy_data = not _same_file(result.csv_path, targets["data"])

    existing = [path for key, path in targets.items() if path.exists() and (key != "data" or copy_data)]
    if existing and not force:
        raise DatamiError(OUTPUT_EXISTS, Location(), paths=", ".join(str(path) for path in existing))

    if copy_data:
        _write_bytes(targets["data"], _read_bytes(result.csv_path))
    _write_bytes(targets["schema"], _json_bytes(result.schema))
    _write_bytes(targets["descriptor"], _json_bytes(result.package))
    return targets


def _same_file(source: Path, target: Path) -> bool:
    try:
        return target.exists() and os.path.samefile(source, target)
    except OSError:
        return False


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DatamiError(importer.FILE_UNREADABLE, Location(), path=str(path), reason=error.strerror) from None


def _write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a failed write leaves the old file whole."""
    # open() applies the umask, unlike tempfile, whose files are private to the user.
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise DatamiError(WRITE_FAILED, Location(), path=str(path), reason=error.strerror) from None


def _print_report(findings: list[Finding], language: str) -> None:
    for finding in findings:
        line = ERROR_FINDING_LINE if finding.severity == "error" else WARNING_LINE
        click.echo(render(line, language, message=describe(finding, language)))


if __name__ == "__main__":
    import_datami()
