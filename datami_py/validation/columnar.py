"""Vectorised pre-checks: which cells of an Arrow column are certainly valid.

Validating a million rows cell by cell in Python is too slow, so the validator gets from
this module, per field, a mask of cells that are certainly valid and clean. Only the
other cells are checked in Python, once per distinct value, and the Python checks alone
decide what is reported. Every mask here may therefore be stricter than the Python check
(a valid cell left unmarked only costs time), but must never mark a cell the Python check
would reject. A field for which no safe mask is known gets None: all its values are
checked in Python.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datami_py.quality import TERRITORIES, MARGIN_DEGREES

# The characters str.isspace() accepts at either end of a cell, as an RE2 class: \s, the Unicode
# separators, and the information separators U+001C to U+001F and U+0085 that Python counts.
_WHITESPACE = r"[\s\p{Z}\x{1c}-\x{1f}\x{85}]"
_OUTER_WHITESPACE = f"^{_WHITESPACE}|{_WHITESPACE}$"
# Every control and format character (the quality check reports a subset of them).
_CONTROL_OR_FORMAT = r"[\p{Cc}\p{Cf}]"

# A web link that the link checks and the uri format both accept: http(s), a host of
# DNS labels ending in a top-level domain of letters, then printable ASCII without spaces.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
CLEAN_LINK = rf"^https?://(?:{_LABEL}\.)+[A-Za-z]{{2,63}}(?:/[!-~]*)?$"

_INTEGER = r"^[+-]?[0-9]+$"
# Days up to 28 only: later days depend on the month and go to the exact check.
_ISO_DATE = r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"


def _number_pattern(decimal_char: str) -> str:
    point = re.escape(decimal_char)
    return rf"^[+-]?(?:[0-9]+(?:{point}[0-9]*)?|{point}[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def _matches(column: pa.ChunkedArray, pattern: str) -> pa.ChunkedArray | None:
    """Return where ``column`` matches the RE2 ``pattern``, or None when RE2 rejects the pattern."""
    try:
        return pc.match_substring_regex(column, pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _and(left: pa.ChunkedArray | None, right: pa.ChunkedArray | None) -> pa.ChunkedArray | None:
    if left is None or right is None:
        return None
    return pc.and_(left, right)


def missing_mask(column: pa.ChunkedArray, missing_values: Sequence[str]) -> pa.ChunkedArray:
    """Return where a cell is absent (a short record) or one of the schema's missing values."""
    listed = pc.is_in(column, value_set=pa.array(list(missing_values), pa.string()))
    return pc.or_(pc.fill_null(listed, True), pc.is_null(column))


def _limits(numbers: pa.ChunkedArray, constraints: dict[str, Any]) -> pa.ChunkedArray | None:
    mask = pc.is_valid(numbers)
    for key, compare in (("minimum", pc.greater_equal), ("maximum", pc.less_equal)):
        if key in constraints:
            try:
                limit = float(constraints[key])
            except (TypeError, ValueError):
                return None
            mask = pc.and_(mask, compare(numbers, limit))
    return mask


def _numeric_mask(column: pa.ChunkedArray, descriptor: dict[str, Any]) -> pa.ChunkedArray | None:
    field_type = descriptor.get("type")
    if descriptor.get("groupChar") or descriptor.get("bareNumber", True) is False:
        return None

    decimal_char = str(descriptor.get("decimalChar", "."))
    pattern = _INTEGER if field_type == "integer" else _number_pattern(decimal_char)
    syntax = _matches(column, pattern)
    constraints = descriptor.get("constraints") or {}
    if syntax is None or not ({"minimum", "maximum"} & constraints.keys()):
        return syntax

    text = pc.if_else(syntax, column, pa.scalar("0"))
    if decimal_char != ".":
        text = pc.replace_substring(text, decimal_char, ".")
    try:
        numbers = pc.cast(text, pa.float64())
    except pa.ArrowInvalid:
        return None
    return _and(syntax, _limits(numbers, constraints))


def type_mask(column: pa.ChunkedArray, descriptor: dict[str, Any]) -> pa.ChunkedArray | None:
    """Return where a non-missing cell is certainly of the field's type and within its limits."""
    field_type = descriptor.get("type", "string") or "string"
    if field_type in ("string", "any", "list"):
        return pc.is_valid(column)
    if field_type in ("number", "integer"):
        return _numeric_mask(column, descriptor)
    if field_type == "boolean":
        values = list(descriptor.get("trueValues", ["true", "True", "TRUE", "1"])) + list(
            descriptor.get("falseValues", ["false", "False", "FALSE", "0"])
        )
        return pc.is_in(column, value_set=pa.array(values, pa.string()))
    if field_type == "date" and descriptor.get("format", "default") == "default":
        if descriptor.get("constraints", {}).keys() & {"minimum", "maximum"}:
            return None
        return _matches(column, _ISO_DATE)
    return None


def string_constraints_mask(column: pa.ChunkedArray, descriptor: dict[str, Any], codes: Sequence[str]) -> pa.ChunkedArray | None:
    """Return where a cell certainly meets the pattern, enum, length, format and code constraints."""
    constraints = descriptor.get("constraints") or {}
    mask = pc.is_valid(column)
    if "pattern" in constraints:
        mask = _and(mask, _matches(column, f"^(?:{constraints['pattern']})$"))
    if "enum" in constraints:
        if descriptor.get("type", "string") not in ("string", "any"):
            return None
        mask = _and(mask, pc.is_in(column, value_set=pa.array([str(item) for item in constraints["enum"]], pa.string())))
    if {"minLength", "maxLength"} & constraints.keys():
        if descriptor.get("type", "string") not in ("string", "any"):
            return None
        lengths = pc.utf8_length(column)
        if "minLength" in constraints:
            mask = _and(mask, pc.greater_equal(lengths, int(constraints["minLength"])))
        if "maxLength" in constraints:
            mask = _and(mask, pc.less_equal(lengths, int(constraints["maxLength"])))

    form = descriptor.get("format")
    if descriptor.get("type", "string") == "string" and form not in (None, "default"):
        mask = _and(mask, _matches(column, CLEAN_LINK)) if form == "uri" else None
    if codes and descriptor.get("type") != "list":
        mask = _and(mask, pc.is_in(column, value_set=pa.array(list(codes), pa.string())))
    return mask


def clean_text_mask(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Return where a cell has no outer whitespace, no control or format character, and is in NFC."""
    outer_whitespace = _matches(column, _OUTER_WHITESPACE)
    control = _matches(column, _CONTROL_OR_FORMAT)
    if outer_whitespace is None or control is None:
        return None
    composed = pc.equal(pc.utf8_normalize(column, form="NFC"), column)
    return pc.and_(pc.and_(pc.invert(outer_whitespace), pc.invert(control)), composed)


def clean_link_mask(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Return where a cell is empty or a plain web link that no link check reports."""
    return _and(pc.or_(pc.equal(column, ""), _matches(column, CLEAN_LINK)), pc.is_valid(column))


def single_code_mask(column: pa.ChunkedArray, codes: Sequence[str]) -> pa.ChunkedArray:
    """Return where a cell is exactly one defined code (cells with several codes go to the exact check, which reports repeated codes)."""
    return pc.is_in(column, value_set=pa.array(list(codes), pa.string()))


def rows_where(mask: pa.ChunkedArray) -> np.ndarray:
    """Return the indexes where ``mask`` is true (nulls count as false)."""
    filled = pc.fill_null(mask, False)
    return np.flatnonzero(filled.to_numpy(zero_copy_only=False))


def metropolitan_points(latitudes: pa.ChunkedArray, longitudes: pa.ChunkedArray, decimal_chars: tuple[str, str]) -> np.ndarray:
    """Return a boolean array: where both texts are plain numbers inside metropolitan France.

    Those rows have no coordinate issue; every other row goes to the exact check.
    """
    box = dict(TERRITORIES)["France métropolitaine"]
    numbers = []
    for column, decimal_char in zip((latitudes, longitudes), decimal_chars):
        syntax = pc.fill_null(_matches(column, _number_pattern(decimal_char)), False)
        text = pc.if_else(syntax, column, pa.scalar("nan"))
        if decimal_char != ".":
            text = pc.replace_substring(text, decimal_char, ".")
        numbers.append(pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False))

    latitude, longitude = numbers
    inside = (latitude >= box.south - MARGIN_DEGREES) & (latitude <= box.north + MARGIN_DEGREES)
    inside &= (longitude >= box.west - MARGIN_DEGREES) & (longitude <= box.east + MARGIN_DEGREES)
    return inside
