"""Validation of a table: schema errors first, then the quality warnings editors need.

Errors mean the data breaks its Table Schema (what frictionless-py reports too: types,
constraints, keys, row shape, header). Warnings are quality problems that do not break
the schema: outer spaces, decomposed accents, links without a scheme, code cells written
inconsistently, coordinates outside France. Codes of multi-valued fields are read by
the field's vocabulary (``categories``), never by a literal split, so a code that
contains the delimiter is still one code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from datami_py.errors import Finding
from datami_py.i18n import message
from datami_py.table import Table
from datami_py.schema.types import CellTypeError
from datami_py.validation.constraints import CATEGORY, FieldChecker, compile_field
from datami_py.validation.quality_rules import QualityRules

BLANK_ROW = message("row.blank", "This row is empty. Delete it, or fill it in.")
MISSING_CELL = message(
    "row.missing-cell",
    "This row has {count} cells but the header has {expected}: the cell for this field is missing. "
    "Add the missing delimiters in a text editor.",
)
EXTRA_CELL = message(
    "row.extra-cell",
    "This row has {count} cells but the header has {expected}: cell {column} is extra. "
    "Remove it, or check for a delimiter inside an unquoted value.",
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


def compile_checkers(table: Table) -> dict[str, FieldChecker]:
    """Compile the checks of every field the CSV file has; list fields with codes are checked separately."""
    checkers = {}
    for descriptor in table.fields:
        name = str(descriptor.get("name"))
        if table.column_of(name) is None:
            continue
        codes = category_values(descriptor)
        if codes and descriptor.get("type") == "list":
            plain = {key: value for key, value in descriptor.items() if key != "categories"}
            checkers[name] = compile_field({**plain, "type": "string"}, table.missing_values)
        else:
            checkers[name] = compile_field(descriptor, table.missing_values)
            if codes:
                checkers[name].extra.append(_string_category_check(codes))
        # Table Schema: every field of the primary key is required.
        if name in table.primary_key:
            checkers[name].required = True
    return checkers


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
        for column in range(width, length):
            yield Finding(EXTRA_CELL, "error", table.location(row), {"count": length, "expected": width, "column": column + 1})


def _logical(checkers: dict[str, FieldChecker], name: str, text: str | None) -> Any:
    """Return the typed value of a cell for comparisons (``01`` equals ``1`` as integers), else its text."""
    checker = checkers.get(name)
    try:
        value = checker.parse(text) if checker else text
    except CellTypeError:
        return ("text", text)
    return ("value", repr(value) if isinstance(value, (list, dict)) else value)


def _key_findings(table: Table, rows: list[int], checkers: dict[str, FieldChecker]) -> Iterator[Finding]:
    """Report rows whose primary key, or a unique field's value, repeats an earlier row's."""
    if table.primary_key and all(table.column_of(name) is not None for name in table.primary_key):
        first_row: dict[Any, int] = {}
        for row in rows:
            if _is_blank(table, row) and len(table.document.header) > 1:
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
        for row in rows:
            text = table.cell(row, name)
            if table.is_missing(text):
                continue
            value = _logical(checkers, name, text)
            if value in seen:
                params = {"value": text, "other_row": table.row_number(seen[value])}
                yield Finding(DUPLICATE_VALUE, "error", table.location(row, name, text), params)
            else:
                seen[value] = row


def validate_table(table: Table, settings: dict[str, Any] | None = None, *, quality: bool = True) -> ValidationReport:
    """Validate every row of ``table``; ``settings`` are the resource's Datami view settings.

    Header problems come first, then each row's findings in row order, then duplicate keys.
    """
    findings: list[Finding] = list(table.binding.findings)
    checkers = compile_checkers(table)
    rules = QualityRules.for_table(table, settings or {}) if quality else None
    width = len(table.document.header)
    rows = table.row_ids

    for row in rows:
        if width > 1 and _is_blank(table, row):
            findings.append(Finding(BLANK_ROW, "error", table.location(row)))
            if table.primary_key:
                findings.append(Finding(BLANK_KEY, "error", table.location(row)))
            continue
        findings.extend(_structure_findings(table, row, width))
        findings.extend(_cell_findings(table, row, checkers))
        if rules is not None:
            findings.extend(rules.check_row(table, row))

    findings.extend(_key_findings(table, rows, checkers))
    return ValidationReport(findings)


def _cell_findings(table: Table, row: int, checkers: dict[str, FieldChecker]) -> Iterable[Finding]:
    for name, checker in checkers.items():
        text = table.cell(row, name)
        problem = checker.check(text)
        if problem is not None:
            code, params = problem
            yield Finding(code, "error", table.location(row, name, text), params)
