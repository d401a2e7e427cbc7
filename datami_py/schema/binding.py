"""Binding CSV header labels to Table Schema fields, by name and never by position.

Labels are matched to field names exactly first, then by a normalised form (case,
accents, spaces and underscores, outer spaces) when that match is unambiguous. Whatever
does not match exactly is reported, so that the user sees every difference before
reading typed data, and a column is never read as another field because of its place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from datami_py.errors import Finding, Location
from datami_py.i18n import message

LABEL_RENAMED = message(
    "header.label-renamed",
    "Column {column} is labelled “{label}” in the CSV and “{name}” in the schema; it is read as “{name}” "
    "because the names differ only in case, accents or spaces. Rename one of them so they match exactly.",
)
LABEL_MISMATCH = message(
    "header.label-mismatch",
    "Column {column} is labelled “{label}” in the CSV, which matches no schema field, and the schema field “{name}” "
    "is not in the CSV. Rename the column to “{name}” or fix the schema.",
)
EXTRA_COLUMN = message(
    "header.extra-column",
    "Column {column} “{label}” is not in the schema. Add a field named “{label}” to the schema, or remove the column.",
)
MISSING_FIELD = message(
    "header.missing-field",
    "The schema field “{name}” is not a column of the CSV. Add the column, or remove the field from the schema.",
)
DUPLICATE_LABEL = message(
    "header.duplicate-label",
    "Column {column} repeats the label “{label}” of an earlier column. Give each column its own name.",
)


def normalize_label(label: str) -> str:
    """Return ``label`` without case, accents, outer spaces or space/underscore/hyphen differences."""
    decomposed = unicodedata.normalize("NFKD", label.strip().casefold())
    without_marks = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.sub(r"[\s_\-]+", " ", without_marks)


@dataclass
class HeaderBinding:
    """Which CSV column holds each schema field, and what did not match.

    ``columns`` maps field name to column index (0-based). ``findings`` lists every
    difference between the header and the schema.
    """

    columns: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        """True when a field or a column could not be bound."""
        return any(finding.severity == "error" for finding in self.findings)


def bind_header(header: Sequence[str], field_names: Sequence[str], file: str | None = None) -> HeaderBinding:
    """Bind ``header`` labels to ``field_names``; see the module docstring for the rules."""
    binding = HeaderBinding()
    seen: set[str] = set()
    free_columns: list[int] = []

    for column, label in enumerate(header):
        if label in seen:
            binding.findings.append(Finding(DUPLICATE_LABEL, "error", Location(file=file), {"column": column + 1, "label": label}))
            continue
        seen.add(label)
        if label in field_names and label not in binding.columns:
            binding.columns[label] = column
        else:
            free_columns.append(column)

    unbound = [name for name in field_names if name not in binding.columns]
    renamed = _bind_normalized(header, free_columns, unbound)
    for name, column in renamed.items():
        binding.columns[name] = column
        params = {"column": column + 1, "label": header[column], "name": name}
        binding.findings.append(Finding(LABEL_RENAMED, "warning", Location(file=file, field=name), params))

    extra = [column for column in free_columns if column not in renamed.values() and header[column] not in _duplicates(header)]
    missing = [name for name in unbound if name not in renamed]
    binding.findings.extend(_unmatched_findings(header, extra, missing, field_names, file))
    binding.findings.sort(key=lambda finding: finding.params.get("column", len(header) + 1))
    return binding


def _duplicates(header: Sequence[str]) -> set[str]:
    return {label for label in header if header.count(label) > 1}


def _bind_normalized(header: Sequence[str], columns: list[int], names: list[str]) -> dict[str, int]:
    """Match leftover columns to leftover fields whose normalised forms are equal and unique on both sides."""
    by_label: dict[str, list[int]] = {}
    for column in columns:
        by_label.setdefault(normalize_label(header[column]), []).append(column)
    by_name: dict[str, list[str]] = {}
    for name in names:
        by_name.setdefault(normalize_label(name), []).append(name)

    matches = {}
    for key, candidates in by_name.items():
        if len(candidates) == 1 and len(by_label.get(key, [])) == 1:
            matches[candidates[0]] = by_label[key][0]
    return matches


def _unmatched_findings(
    header: Sequence[str], extra: list[int], missing: list[str], field_names: Sequence[str], file: str | None
) -> list[Finding]:
    """Report unmatched columns and fields, pairing a column with the field of the same position."""
    findings = []
    paired: set[str] = set()
    for column in extra:
        # One leftover on each side is a rename; otherwise pair only columns and fields of the same position.
        if len(extra) == 1 and len(missing) == 1:
            name = missing[0]
        else:
            name = field_names[column] if column < len(field_names) else None
        if name in missing and name not in paired:
            paired.add(name)
            params = {"column": column + 1, "label": header[column], "name": name}
            findings.append(Finding(LABEL_MISMATCH, "error", Location(file=file, field=name), params))
        else:
            findings.append(Finding(EXTRA_COLUMN, "error", Location(file=file), {"column": column + 1, "label": header[column]}))

    for name in missing:
        if name not in paired:
            findings.append(Finding(MISSING_FIELD, "error", Location(file=file, field=name), {"name": name}))
    return findings
