"""Validation of a table: schema errors first, then the quality warnings editors need.

Errors mean the data breaks its Table Schema (what frictionless-py reports too: types,
constraints, keys, row shape, header). Warnings are quality problems that do not break
the schema: outer spaces, decomposed accents, links without a scheme, code cells written
inconsistently, coordinates outside France. Codes of multi-valued fields are read by
the field's vocabulary (``categories``), never by a literal split, so a code that
contains the delimiter is still one code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datami_py.csvfile.document import CsvDocument
from datami_py.csvfile.parser import physical_line, split_raw_record
from datami_py.errors import Finding, Severity
from datami_py.i18n import message
from datami_py.table import Table
from datami_py.schema.types import CellTypeError
from datami_py.validation.constraints import CATEGORY, FieldChecker, compile_field
from datami_py.validation import columnar
from datami_py.validation.quality_rules import QualityRules

BLANK_ROW = message("row.blank", "This row is empty. Delete it, or fill it in.")
MISSING_CELL = message(
    "row.missing-cell",
    "This row has {count} cells but the header has {expected}: the cell for this field is missing. "
    "Add the missing delimiters in a text editor.",
)
EXTRA_CELL = message(
    "row.extra-cell",
    "This row has {count} cells but the header has {expected}: cell {column} has no column. "
    "Look in this row for a value that contains a delimiter but has no quotes, or for a missing quote, "
    "and correct it in a text editor. No cell is deleted.",
)
EXTRA_CELLS = message(
    "row.extra-cells",
    "This row has {count} cells but the header has {expected}: cells {column} to {count} have no column. "
    "Look in this row for a value that contains a delimiter but has no quotes, or for a missing quote, "
    "and correct it in a text editor. No cell is deleted.",
)
UNCLOSED_QUOTE = message(
    "row.unclosed-quote",
    "This row has {count} cells instead of {expected} because the quoted value that starts in cell {column} "
    "seems to have no closing quote: it runs on up to the next quote, taking in the delimiters and line breaks "
    "of lines {first_line} to {last_line} of the file. In a text editor, check that the quote (\") that opens "
    "this cell is closed at the end of its value. No cell is deleted.",
)
DUPLICATE_KEY = message(
    "row.duplicate-key",
    "This row has the same key as row {other_row}. Each row needs its own key: change one of them.",
)
BLANK_KEY = message(
    "row.blank-key",
    "This empty row has no key, and every row needs one. Delete the row, or fill it in with its own key.",
)
DUPLICATE_VALUE = message(
    "value.duplicate",
    "“{value}” is already used in row {other_row}, and this field requires unique values.",
)


@dataclass
class ValidationReport:
    """The findings of a validation, errors and warnings together, in row order."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        """Findings that break the schema."""
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Quality findings, which never block saving or proposing."""
        return [finding for finding in self.findings if finding.severity == "warning"]

    @property
    def valid(self) -> bool:
        """True when there is no error."""
        return not self.errors


def category_values(descriptor: dict[str, Any]) -> list[str]:
    """Return the codes a field allows: its ``categories`` (plain values or ``{value, label}``
    objects), else the ``x-allowed-items`` vocabulary some packages give list fields."""
    items = descriptor.get("categories") or descriptor.get("x-allowed-items") or []
    return [str(item.get("value")) if isinstance(item, dict) else str(item) for item in items]


def _string_category_check(codes: list[str]) -> Any:
    allowed = frozenset(codes)

    def check(text: str, value: Any) -> tuple[str, dict[str, Any]] | None:
        if text in allowed:
            return None
        return CATEGORY, {"value": text, "allowed": ", ".join(codes)}

    return check


def compile_checker(table: Table, descriptor: dict[str, Any]) -> FieldChecker:
    """Compile the checks of one field of ``table``; codes of list fields are checked separately."""
    codes = category_values(descriptor)
    if codes and descriptor.get("type") == "list":
        plain = {key: value for key, value in descriptor.items() if key != "categories"}
        checker = compile_field({**plain, "type": "string"}, table.missing_values)
    else:
        checker = compile_field(descriptor, table.missing_values)
        if codes:
            checker.extra.append(_string_category_check(codes))

    # Table Schema: every field of the primary key is required.
    if descriptor.get("name") in table.primary_key:
        checker.required = True
    return checker


def compile_checkers(table: Table) -> dict[str, FieldChecker]:
    """Compile the checks of every field the CSV file has (see :func:`compile_checker`)."""
    return {
        str(descriptor.get("name")): compile_checker(table, descriptor)
        for descriptor in table.fields
        if table.column_of(str(descriptor.get("name"))) is not None
    }


def _is_blank(table: Table, row: int) -> bool:
    """True when every cell of ``row`` is missing: an empty line, delimiters only, or missing values such as NA."""
    width = max(len(table.document.header), 1)
    return all(not text or table.is_missing(text) for text in (table.raw_cell(row, column) for column in range(width)))


def _structure_findings(table: Table, row: int, width: int) -> Iterator[Finding]:
    if table.is_added(row):
        return
    length = table.document.cells.width(row)
    if length < width:
        for column in range(length, width):
            label = table.document.header[column]
            location = table.location(row, label)
            yield Finding(MISSING_CELL, "error", location, {"count": length, "expected": width})
    elif length > width:
        yield _extra_cells_finding(table, row, length, width)


def _extra_cells_finding(table: Table, row: int, length: int, width: int) -> Finding:
    """Report, once for the whole record, the cells of ``row`` beyond the header's ``width``.

    The record's bytes in the file tell the likely cause: a quoted value that contains a
    line break followed by more delimited text has probably lost its closing quote and
    swallowed the cells and records after it.
    """
    params: dict[str, Any] = {"count": length, "expected": width, "column": width + 1}
    signs = _unclosed_quote_signs(table.document, row)
    if signs is not None:
        column, first_line, last_line = signs
        name = table.document.header[column] if column < width else None
        location = table.location(row, name)
        return Finding(UNCLOSED_QUOTE, "error", location, {**params, "column": column + 1, "first_line": first_line, "last_line": last_line})
    return Finding(EXTRA_CELL if length == width + 1 else EXTRA_CELLS, "error", table.location(row), params)


def _unclosed_quote_signs(document: CsvDocument, row: int) -> tuple[int, int, int] | None:
    """Find the quoted field of record ``row`` that looks like an unclosed quote.

    Returns its column and the first and last lines of the file the record spans, or None
    when no quoted field contains a line break followed by a delimiter.
    NOTE: a correct multi-line quoted value in a row with an unquoted delimiter elsewhere
    shows the same signs, which is why the message only calls the missing quote likely.
    """
    delimiter = document.dialect.delimiter.encode("ascii")
    record = document.record_bytes(row + 1)
    raw_fields, terminator = split_raw_record(record, document.dialect.delimiter)
    for column, raw in enumerate(raw_fields):
        if not raw.startswith(b'"'):
            continue
        after_break = re.split(rb"\r\n|\n|\r", raw, maxsplit=1)
        if len(after_break) == 2 and delimiter in after_break[1]:
            start = document.starts[row + 1]
            first_line = physical_line(document.data, start)
            last_line = first_line + physical_line(record, len(record) - len(terminator)) - 1
            return column, first_line, last_line
    return None


def _logical(checkers: dict[str, FieldChecker], name: str, text: str | None) -> Any:
    """Return the typed value of a cell for comparisons (``01`` equals ``1`` as integers), else its text."""
    checker = checkers.get(name)
    try:
        value = checker.parse(text) if checker else text
    except CellTypeError:
        return ("text", text)
    return ("value", repr(value) if isinstance(value, (list, dict)) else value)


def _repeated_rows(table: Table, name: str, rows: list[int]) -> list[int]:
    """Return the rows, in order, that may repeat another row's value of field ``name``.

    For a text field read from the file and not edited, only rows whose exact text occurs
    twice can repeat, and Arrow counts them. Otherwise (typed fields compare values, so
    ``01`` repeats ``1``; edits change the values) every row is a candidate.
    """
    overlay = table._overlay
    column = table.column_of(name)
    edited = any(column in columns for columns in overlay.cells.values())
    if table.field(name).get("type", "string") not in ("string", "any") or edited or overlay.added or overlay.deleted:
        return rows

    values = _original_column(table, name)
    counts = pc.value_counts(values)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    return [int(row) for row in columnar.rows_where(pc.is_in(values, value_set=repeated))]


def _key_findings(table: Table, rows: list[int], checkers: dict[str, FieldChecker], blank: set[int]) -> Iterator[Finding]:
    """Report rows whose primary key, or a unique field's value, repeats an earlier row's."""
    if table.primary_key and all(table.column_of(name) is not None for name in table.primary_key):
        first_row: dict[Any, int] = {}
        for row in _repeated_rows(table, table.primary_key[0], rows):
            if row in blank:
                continue
            key = tuple(_logical(checkers, name, table.cell(row, name)) for name in table.primary_key)
            if key in first_row:
                params = {"other_row": table.row_number(first_row[key])}
                yield Finding(DUPLICATE_KEY, "error", table.location(row), params)
            else:
                first_row[key] = row

    for descriptor in table.fields:
        name = str(descriptor.get("name"))
        if not (descriptor.get("constraints") or {}).get("unique") or table.column_of(name) is None:
            continue
        seen: dict[Any, int] = {}
        for row in _repeated_rows(table, name, rows):
            text = table.cell(row, name)
            if table.is_missing(text):
                continue
            value = _logical(checkers, name, text)
            if value in seen:
                params = {"value": text, "other_row": table.row_number(seen[value])}
                yield Finding(DUPLICATE_VALUE, "error", table.location(row, name, text), params)
            else:
                seen[value] = row


Problem = tuple[str, Severity, dict[str, Any]]

# Order of findings within one row.
_PHASE_ROW, _PHASE_CELL, _PHASE_COORDINATES, _PHASE_KEY = range(4)


class _Validation:
    """One validation run: the compiled checks and the findings collected with their sort keys."""

    def __init__(self, table: Table, settings: dict[str, Any], quality: bool) -> None:
        self.table = table
        self.checkers = compile_checkers(table)
        self.rules = QualityRules.for_table(table, settings) if quality else None
        self.field_order = {name: index for index, name in enumerate(table.field_names)}
        self.sorted: list[tuple[tuple[int, int, int, int], Finding]] = []

    def add(self, row: int, phase: int, name: str | None, finding: Finding) -> None:
        key = (self.table.row_number(row), phase, self.field_order.get(name or "", -1), len(self.sorted))
        self.sorted.append((key, finding))

    def value_problems(self, name: str, text: str | None) -> list[Problem]:
        """Return every problem of one cell of field ``name``: schema error first, then quality issues."""
        problems: list[Problem] = []
        checker = self.checkers.get(name)
        if checker is not None:
            problem = checker.check(text)
            if problem is not None:
                problems.append((problem[0], "error", problem[1]))
        if self.rules is not None:
            problems.extend(self.rules.value_issues(name, text, self.table.is_missing(text)))
        return problems

    def checked_fields(self) -> list[str]:
        names = set(self.checkers)
        if self.rules is not None:
            names |= self.rules.checked_fields
        return [name for name in self.table.field_names if name in names and self.table.column_of(name) is not None]

    def add_cell(self, row: int, name: str, text: str | None, problems: list[Problem]) -> None:
        for code, severity, params in problems:
            self.add(row, _PHASE_CELL, name, Finding(code, severity, self.table.location(row, name, text), params))

    def findings(self) -> list[Finding]:
        self.sorted.sort(key=lambda item: item[0])
        return [finding for _, finding in self.sorted]


def validate_table(
    table: Table, settings: dict[str, Any] | None = None, *, quality: bool = True, by_rows: bool = False
) -> ValidationReport:
    """Validate every row of ``table``; ``settings`` are the resource's Datami view settings.

    Header problems come first, then findings in row order. Records read from the file are
    checked column by column, each distinct value once (see :mod:`.columnar`); edited and
    added rows are checked cell by cell. Both use the same checks. ``by_rows`` checks
    every row cell by cell instead: slower, and the reference the tests compare with.
    """
    run = _Validation(table, settings or {}, quality)
    width = len(table.document.header)
    edited = {row for row, columns in table._overlay.cells.items() if columns}
    by_cell = set(range(table.document.record_count)) if by_rows else edited
    deleted = table._overlay.deleted

    # Blank records of the file, as they are now (an edit may fill or empty a row).
    file_blank = _blank_records(table, width)
    current_blank = (file_blank - edited) | {row for row in edited | set(table._overlay.added) if width > 1 and _is_blank(table, row)}

    skipped = file_blank | by_cell | deleted
    for row in sorted(file_blank - by_cell - deleted):
        _add_blank_row(run, row)

    _check_structure(run, width, skipped)
    for name in run.checked_fields():
        _check_column(run, name, skipped)
    _check_coordinates(run, skipped)

    for row in table.row_ids:
        if row in by_cell or table.is_added(row):
            _check_row(run, row, width)

    for finding in _key_findings(table, table.row_ids, run.checkers, current_blank - deleted):
        run.add(table.row_at(finding.location.row or 1), _PHASE_KEY, None, finding)
    return ValidationReport(list(table.binding.findings) + run.findings())


def _original_column(table: Table, name: str) -> pa.ChunkedArray:
    """Return the file's cells of field ``name`` as an Arrow column (nulls for short records)."""
    column = table.column_of(name)
    assert column is not None
    return _column_array(table, column)


def _column_array(table: Table, column: int) -> pa.ChunkedArray:
    """Return CSV column ``column`` of the file's records as Arrow strings (nulls for short records)."""
    cells = table.document.cells
    arrow = cells.arrow_column(column)
    if arrow is not None:
        return arrow
    values = [cells.cell(record, column) for record in range(len(cells))]
    return pa.chunked_array([pa.array(values, pa.string())])


def _clean_mask(run: _Validation, name: str, column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Combine the vectorised pre-checks of every check that applies to field ``name``."""
    table = run.table
    descriptor = table.field(name)
    missing = columnar.missing_mask(column, table.missing_values)
    mask: pa.ChunkedArray | None = pc.is_valid(column)

    checker = run.checkers.get(name)
    if checker is not None:
        codes = category_values(descriptor)
        present_ok = columnar._and(columnar.type_mask(column, descriptor), columnar.string_constraints_mask(column, descriptor, codes))
        if present_ok is None:
            return None
        schema_ok = pc.if_else(missing, pa.scalar(not checker.required), present_ok)
        mask = columnar._and(mask, schema_ok)

    rules = run.rules
    if rules is not None and name in rules.text_field_set:
        mask = columnar._and(mask, columnar.clean_text_mask(column))
    if rules is not None and name in rules.link_field_set:
        mask = columnar._and(mask, columnar.clean_link_mask(column))
    if rules is not None and name in rules.code_fields:
        single = columnar.single_code_mask(column, rules.code_fields[name][0])
        mask = columnar._and(mask, pc.or_(missing, single))
    return mask


def _check_column(run: _Validation, name: str, skipped: set[int]) -> None:
    """Report the problems of field ``name`` in the file's records, checking each distinct value once."""
    column = _original_column(run.table, name)
    mask = _clean_mask(run, name, column)
    suspects = column if mask is None else pc.filter(column, pc.invert(pc.fill_null(mask, False)))

    bad: dict[str | None, list[Problem]] = {}
    for text in pc.unique(suspects).to_pylist():
        problems = run.value_problems(name, text)
        if problems:
            bad[text] = problems
    if not bad:
        return

    texts = [text for text in bad if text is not None]
    where = pc.is_in(column, value_set=pa.array(texts, pa.string()))
    if None in bad:
        where = pc.or_(pc.fill_null(where, False), pc.is_null(column))
    for row in columnar.rows_where(where):
        row = int(row)
        if row in skipped:
            continue
        text = run.table.document.cells.cell(row, run.table.column_of(name) or 0)
        run.add_cell(row, name, text, bad[text])


def _check_structure(run: _Validation, width: int, skipped: set[int]) -> None:
    """Report records with fewer or more fields than the header (only the exact reader keeps those)."""
    table = run.table
    if table.document.cells.arrow_column(0) is not None:
        return  # The fast reader only accepts records as wide as the header.
    for row in range(table.document.record_count):
        if row not in skipped:
            for finding in _structure_findings(table, row, width):
                run.add(row, _PHASE_ROW, finding.location.field, finding)


def _check_coordinates(run: _Validation, skipped: set[int]) -> None:
    rules = run.rules
    if rules is None or rules.coordinates is None:
        return
    table = run.table
    latitude_name, longitude_name = rules.coordinates
    if table.column_of(latitude_name) is None or table.column_of(longitude_name) is None:
        return

    decimal_chars = (rules.decimal_chars.get(latitude_name, "."), rules.decimal_chars.get(longitude_name, "."))
    fine = columnar.metropolitan_points(_original_column(table, latitude_name), _original_column(table, longitude_name), decimal_chars)
    for row in np.flatnonzero(~fine):
        row = int(row)
        if row not in skipped:
            for finding in rules.coordinate_findings(table, row):
                run.add(row, _PHASE_COORDINATES, latitude_name, finding)


def _add_blank_row(run: _Validation, row: int) -> None:
    """Report a blank row, and its missing key when the table has a primary key."""
    location = run.table.location(row)
    run.add(row, _PHASE_ROW, None, Finding(BLANK_ROW, "error", location))
    if run.table.primary_key:
        run.add(row, _PHASE_ROW, None, Finding(BLANK_KEY, "error", location))


def _check_row(run: _Validation, row: int, width: int) -> None:
    """Check one edited or added row cell by cell, with the same checks as the columns."""
    table = run.table
    if width > 1 and _is_blank(table, row):
        _add_blank_row(run, row)
        return

    for finding in _structure_findings(table, row, width):
        run.add(row, _PHASE_ROW, finding.location.field, finding)
    for name in run.checked_fields():
        text = table.cell(row, name)
        run.add_cell(row, name, text, run.value_problems(name, text))
    if run.rules is not None:
        for finding in run.rules.coordinate_findings(table, row):
            run.add(row, _PHASE_COORDINATES, finding.location.field, finding)


def _blank_records(table: Table, width: int) -> set[int]:
    """Return the file's records whose cells are all empty or missing values."""
    if width <= 1 or table.document.record_count == 0:
        return set()
    blank = None
    for column in range(width):
        arrow = _column_array(table, column)
        empty = pc.or_(columnar.missing_mask(arrow, table.missing_values), pc.equal(pc.fill_null(arrow, ""), ""))
        blank = empty if blank is None else pc.and_(blank, empty)
    return {int(row) for row in columnar.rows_where(blank)}
