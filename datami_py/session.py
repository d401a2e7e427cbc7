"""The actions a user takes on a data package, as plain Python calls.

The CLI and the terminal UI are thin layers over :class:`Session`: open a package, read
and edit its tables, check a value before it is written, validate, save byte for byte,
and compare with the last commit. Nothing here imports a user interface library.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datami_py.csvfile import CsvDocument
from datami_py.csvfile.cells import head
from datami_py.errors import DatamiError, Finding, Location
from datami_py.geo.checks import departement_findings
from datami_py.gitrepo import committed_file
from datami_py.i18n import message
from datami_py.package.descriptor import RESOURCE_FILE_MISSING, Package, Resource, load_package
from datami_py.schema.infer import infer_schema
from datami_py.schema.types import CellTypeError
from datami_py.table import Table
from datami_py.table.diff import TableDiff, diff_edits, diff_tables
from datami_py.validation import ValidationReport, validate_table
from datami_py.validation.constraints import FieldChecker
from datami_py.validation.quality_rules import QualityRules
from datami_py.validation.validator import DUPLICATE_KEY, category_values, compile_checker, compile_checkers

# Rows read to infer the types of a bare CSV file.
INFER_SAMPLE_ROWS = 10_000

ENCODING_DECLARED = message(
    "session.encoding-declared",
    "The package declares this file's encoding as {encoding}. Change \"encoding\" to \"utf-8\" for this resource "
    "in datapackage.json, then save again with the conversion to UTF-8.",
)
FILE_CHANGED_ON_DISK = message(
    "session.file-changed",
    "The file changed on disk since it was opened, so saving would overwrite someone else's change. "
    "Your edits are kept: reopen the package to merge them.",
)


@dataclass
class OpenTable:
    """A table with the resource it belongs to and the fingerprint of the file it was read from."""

    resource: Resource
    table: Table
    fingerprint: str


@dataclass
class Session:
    """An open data package and the tables read from it so far."""

    package: Package
    tables: dict[str, OpenTable] = field(default_factory=dict)
    # Compiled checks by resource name: schemas do not change while a session is open.
    _checkers: dict[str, dict[str, FieldChecker]] = field(default_factory=dict, repr=False)
    _rules: dict[str, QualityRules] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: Path | str = ".") -> Session:
        """Open the package at ``path`` (see :func:`load_package`)."""
        return cls(load_package(Path(path)))

    # Reading

    def open_table(self, resource_name: str | None = None) -> OpenTable:
        """Read the table of ``resource_name`` (the first resource when None), once per session.

        Raises:
            DatamiError: when the file is missing, cannot be decoded or parsed.
        """
        resource = self.package.resource(resource_name)
        if resource.name in self.tables:
            return self.tables[resource.name]

        if not resource.file.is_file():
            raise DatamiError(RESOURCE_FILE_MISSING, Location(file=resource.path), resource=resource.name, path=resource.path)
        fingerprint = _file_fingerprint(resource.file)
        document = CsvDocument.read(resource.file, encoding=resource.encoding, delimiter=resource.delimiter, name=resource.path)

        schema = resource.schema or infer_schema(document.header, head(document.cells, INFER_SAMPLE_ROWS))
        table = Table(document, schema, name=resource.name, file=resource.path)
        opened = OpenTable(resource, table, fingerprint)
        self.tables[resource.name] = opened
        return opened

    def table(self, resource_name: str | None = None) -> Table:
        """Return the editable table of ``resource_name`` (the first resource when None)."""
        return self.open_table(resource_name).table

    def checkers(self, table: Table) -> dict[str, FieldChecker]:
        """Return the compiled checks of ``table``'s fields, compiled once per session."""
        if table.name not in self._checkers:
            self._checkers[table.name] = compile_checkers(table)
        return self._checkers[table.name]

    def quality_rules(self, table: Table) -> QualityRules:
        """Return the quality checks chosen for ``table``'s fields, chosen once per session."""
        if table.name not in self._rules:
            settings = self.open_table(table.name).resource.settings if table.name in self.tables else {}
            self._rules[table.name] = QualityRules.for_table(table, settings)
        return self._rules[table.name]

    def typed_record(self, table: Table, row: int) -> dict[str, Any]:
        """Return the typed values of ``row``; a cell that does not parse keeps its text."""
        checkers = self.checkers(table)
        values: dict[str, Any] = {}
        for name in table.field_names:
            text = table.cell(row, name)
            checker = checkers.get(name)
            descriptor = table.field(name)
            if checker is None:
                values[name] = text
                continue
            try:
                values[name] = _typed_value(table, descriptor, checker.parse(text), text)
            except CellTypeError:
                values[name] = text
        return values

    # Editing

    def check_value(self, table: Table, row: int | None, name: str, text: str) -> list[Finding]:
        """Return the errors that writing ``text`` into field ``name`` of ``row`` would cause.

        ``row`` is None for a row about to be added. Checks the type, the constraints, the
        defined codes and, for a primary-key field, that no other row has the new key.
        """
        descriptor = table.field(name)
        location = Location(file=table.file, row=table.row_number(row) if row is not None else None, key=table.key_of(row) if row is not None else None, field=name, value=text)
        findings: list[Finding] = []

        checker = self.checkers(table).get(name) or compile_checker(table, descriptor)
        problem = checker.check(text)
        if problem is not None:
            findings.append(Finding(problem[0], "error", location, problem[1]))

        # Unknown codes are the one quality issue that is an error.
        for code, severity, params in self.quality_rules(table).value_issues(name, text, table.is_missing(text)):
            if severity == "error":
                findings.append(Finding(code, severity, location, params))

        if name in table.primary_key:
            findings.extend(self._duplicate_key(table, row, name, text, location))
        return findings

    def _duplicate_key(self, table: Table, row: int | None, name: str, text: str, location: Location) -> list[Finding]:
        for other in table.row_ids:
            if other == row:
                continue
            candidate = [text if key_field == name else (table.cell(row, key_field) if row is not None else "") for key_field in table.primary_key]
            existing = [table.cell(other, key_field) for key_field in table.primary_key]
            if candidate == existing:
                return [Finding(DUPLICATE_KEY, "error", location, {"other_row": table.row_number(other)})]
        return []

    def validate(self, resource_name: str | None = None, *, table: Table | None = None) -> ValidationReport:
        """Validate the table of ``resource_name`` with its current edits.

        Besides :func:`validate_table`, points outside the département their row states
        are reported as warnings when geopandas is installed (see
        :func:`datami_py.geo.checks.departement_findings`).

        ``table`` replaces the open table, typically a :meth:`Table.snapshot` of it, so
        that another thread can validate while the user goes on editing.
        """
        opened = self.open_table(resource_name)
        table = opened.table if table is None else table
        report = validate_table(table, opened.resource.settings)
        extra = departement_findings(table, opened.resource.settings)
        if not extra:
            return report
        # A stable sort by row keeps the order of each row's findings; header findings (no row) stay first.
        findings = sorted(report.findings + extra, key=lambda finding: finding.location.row or 0)
        return ValidationReport(findings)

    # Saving

    def save(self, resource_name: str | None = None, *, convert_to_utf8: bool = False) -> Path | None:
        """Write the table's edits to its file; return the file, or None when nothing changed.

        With ``convert_to_utf8`` the whole file is written in UTF-8, the user's explicit
        choice after ``csv.unencodable``. The resource's declared ``encoding``, if any, must
        then be updated in datapackage.json, which this method does not do.

        Rows nobody edited keep their exact bytes. The file is replaced atomically, and
        only when it is still the file that was read.

        Raises:
            DatamiError: ``session.file-changed`` when the file changed on disk meanwhile;
                ``csv.unencodable`` when a value cannot be written in the file's encoding.
                The edits are kept in memory in both cases.
        """
        opened = self.open_table(resource_name)
        table = opened.table
        if not table.is_dirty:
            return None

        if convert_to_utf8 and table.document.encoding.name != "utf-8":
            declared = opened.resource.encoding
            if declared and declared.lower().replace("_", "-") not in ("utf-8", "utf8"):
                raise DatamiError(ENCODING_DECLARED, Location(file=opened.resource.path), encoding=declared)
            table.convert_to_utf8()
        changes = table.changes()
        content = table.document.render(changes)
        target = opened.resource.file
        if _file_fingerprint(target) != opened.fingerprint:
            raise DatamiError(FILE_CHANGED_ON_DISK, Location(file=opened.resource.path))

        _write_atomically(target, content)
        table.mark_saved(table.document.with_changes(changes, content))
        opened.fingerprint = hashlib.sha256(content).hexdigest()
        return target

    # Comparing

    def diff_unsaved(self, resource_name: str | None = None) -> TableDiff:
        """Compare the table with its edits to the file as it was read (the changes a save would write)."""
        return diff_edits(self.table(resource_name))

    def diff(self, resource_name: str | None = None, revision: str = "HEAD") -> TableDiff:
        """Compare the table (with its unsaved edits) with its file at git ``revision``.

        Raises:
            DatamiError: ``git.not-a-repository`` outside a git repository.
        """
        opened = self.open_table(resource_name)
        table = opened.table
        committed = committed_file(opened.resource.file, revision)
        if committed is None:
            committed = table.document.read_span(0, table.document.starts[1])
        document = CsvDocument.parse(committed, delimiter=table.document.dialect.delimiter, name=opened.resource.path)
        base = Table(document, table.schema, name=table.name, file=table.file)
        return diff_tables(base, table)


def _typed_value(table: Table, descriptor: dict[str, Any], value: Any, text: str | None) -> Any:
    """Return a JSON-friendly form of a typed value; codes of list fields are read by vocabulary."""
    codes = category_values(descriptor)
    if codes and descriptor.get("type") == "list" and text and not table.is_missing(text):
        from datami_py import quality

        return quality.check_codes(text, codes, str(descriptor.get("delimiter", ","))).codes
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _file_fingerprint(path: Path) -> str:
    """Return the SHA-256 of the file at ``path``, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _write_atomically(target: Path, content: bytes) -> None:
    """Replace ``target`` with ``content`` so that a crash leaves either the old or the new file."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
