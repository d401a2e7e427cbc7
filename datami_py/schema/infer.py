"""A Table Schema inferred from a bare CSV file, for packages made around one file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from datami_py.schema.types import CellTypeError, parse_cell

# Codes with leading zeros (postcodes, INSEE codes) look like integers but are text.
_LEADING_ZERO = re.compile(r"0\d")


def _column_type(values: Sequence[str]) -> str:
    present = [value for value in values if value != ""]
    if not present or any(_LEADING_ZERO.match(value) for value in present):
        return "string"

    for candidate in ("integer", "number", "boolean", "date"):
        try:
            for value in present:
                parse_cell(value, {"type": candidate})
        except CellTypeError:
            continue
        return candidate
    return "string"


def infer_schema(header: Sequence[str], rows: Sequence[Sequence[str]], sample_size: int = 10_000) -> dict[str, Any]:
    """Return a Table Schema with one field per header label, typed from the first ``sample_size`` rows.

    Booleans are only inferred from the words true/false, because a column of 0 and 1
    is more often a count than a flag. No primary key is set: rows are then chosen by
    number.
    """
    sample = rows[:sample_size]
    fields = []
    for column, label in enumerate(header):
        values = [row[column] if column < len(row) else "" for row in sample]
        field_type = _column_type(values)
        if field_type == "boolean" and any(value in ("0", "1") for value in values):
            field_type = "integer"
        fields.append({"name": label, "type": field_type})
    return {"fields": fields, "missingValues": [""]}
