"""Checking one cell against its Table Schema field: type, format and constraints.

:func:`compile_field` turns a field descriptor into a :class:`FieldChecker` once, so
that checking a million cells does not re-read the descriptor for each one. A check
returns the code and parameters of the first problem, the way frictionless reports one
error per cell.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datami_py.i18n import Phrase, message
from datami_py.schema.types import CellTypeError, parse_cell

TYPE_ERROR = message(
    "value.type",
    "“{value}” is not a valid {type}{format_hint}. {type_help}",
)
REQUIRED = message("value.required", "This field is required and the cell is empty. Fill it in.")
MIN_LENGTH = message("value.min-length", "“{value}” is shorter than {limit} characters, the minimum for this field.")
MAX_LENGTH = message("value.max-length", "“{value}” is longer than {limit} characters, the maximum for this field. Shorten it.")
MINIMUM = message("value.minimum", "{value} is below {limit}, the minimum for this field.")
MAXIMUM = message("value.maximum", "{value} is above {limit}, the maximum for this field.")
PATTERN = message("value.pattern", "“{value}” does not have the form this field requires (pattern {pattern}).")
ENUM = message("value.enum", "“{value}” is not one of the allowed values: {allowed}.")
CATEGORY = message("value.category", "“{value}” is not a defined code of this field. Known codes: {allowed}.")
FORMAT_EMAIL = message("value.format-email", "“{value}” is not a valid e-mail address.")
FORMAT_URI = message("value.format-uri", "“{value}” is not a valid web address; it must start with https:// or http://.")
FORMAT_UUID = message("value.format-uuid", "“{value}” is not a valid UUID.")

HELP_NUMBER = message("value.type.number-help", "Write a number such as 12{decimal}5, without units or spaces.")
# French writers type a decimal comma, so the help names the point this field expects.
HELP_NUMBER_POINT = message(
    "value.type.number-point-help", "Write a number such as 12.5, with a point rather than a comma, without units or spaces."
)
HELP_INTEGER = message("value.type.integer-help", "Write a whole number such as 42, without units or spaces.")
HELP_BOOLEAN = message("value.type.boolean-help", "Write one of: {choices}.")
HELP_DATE = message("value.type.date-help", "Write a date as YYYY-MM-DD, for example 2024-03-31.")
HELP_OTHER = message("value.type.other-help", "Check the value against the field description.")

# Type names as users read them in messages.
TYPE_NAMES = {
    name: message(f"type.{name}", text)
    for name, text in {
        "number": "number",
        "integer": "whole number",
        "boolean": "yes/no value",
        "date": "date",
        "datetime": "date and time",
        "time": "time",
        "year": "year",
        "yearmonth": "year and month",
        "duration": "duration",
        "geopoint": "geographic point",
        "object": "JSON object",
        "array": "JSON array",
        "geojson": "GeoJSON object",
        "list": "list",
        "string": "text",
        "any": "value",
    }.items()
}

# Codes used as parameters to say which rule a value breaks, for frictionless comparisons.
FRICTIONLESS_TYPES = {
    TYPE_ERROR: "type-error",
    REQUIRED: "constraint-error",
    MIN_LENGTH: "constraint-error",
    MAX_LENGTH: "constraint-error",
    MINIMUM: "constraint-error",
    MAXIMUM: "constraint-error",
    PATTERN: "constraint-error",
    ENUM: "constraint-error",
    FORMAT_EMAIL: "type-error",
    FORMAT_URI: "type-error",
    FORMAT_UUID: "type-error",
}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Problem = tuple[str, dict[str, Any]]


def _check_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text))


def _check_uri(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    return bool(parts.scheme and (parts.netloc or parts.scheme in ("mailto", "urn", "data"))) and " " not in text


def _check_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


_FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "email": (_check_email, FORMAT_EMAIL),
    "uri": (_check_uri, FORMAT_URI),
    "uuid": (_check_uuid, FORMAT_UUID),
}


def _type_params(descriptor: dict[str, Any], text: str) -> dict[str, Any]:
    field_type = descriptor.get("type", "string")
    form = descriptor.get("format")
    if field_type == "number":
        decimal = descriptor.get("decimalChar", ".")
        type_help = Phrase(HELP_NUMBER_POINT) if decimal == "." and "," in text else Phrase(HELP_NUMBER, {"decimal": decimal})
    elif field_type == "integer":
        type_help = Phrase(HELP_INTEGER)
    elif field_type == "boolean":
        choices = list(descriptor.get("trueValues", ["true"])) + list(descriptor.get("falseValues", ["false"]))
        type_help = Phrase(HELP_BOOLEAN, {"choices": ", ".join(choices)})
    elif field_type == "date" and form in (None, "default"):
        type_help = Phrase(HELP_DATE)
    else:
        type_help = Phrase(HELP_OTHER)
    format_hint = f" ({form})" if form and form != "default" else ""
    type_name = Phrase(TYPE_NAMES[field_type]) if field_type in TYPE_NAMES else field_type
    return {"value": text, "type": type_name, "format_hint": format_hint, "type_help": type_help}


@dataclass
class FieldChecker:
    """The compiled checks of one field; see :meth:`check`."""

    descriptor: dict[str, Any]
    missing_values: frozenset[str]
    required: bool = False
    pattern: re.Pattern[str] | None = None
    enum: frozenset[Any] | None = None
    format_check: tuple[Callable[[str], bool], str] | None = None
    extra: list[Callable[[str, Any], Problem | None]] = field(default_factory=list)

    def parse(self, text: str | None) -> Any:
        """Return the typed value of ``text``, None for a missing value.

        Raises:
            CellTypeError: when the text is not of the field's type.
        """
        if text is None or text in self.missing_values:
            return None
        return parse_cell(text, self.descriptor)

    def check(self, text: str | None) -> Problem | None:
        """Return the first problem of cell ``text`` as ``(code, params)``, or None when it is valid."""
        if text is None or text in self.missing_values:
            return (REQUIRED, {}) if self.required else None

        try:
            value = parse_cell(text, self.descriptor)
        except CellTypeError:
            return TYPE_ERROR, _type_params(self.descriptor, text)

        if self.format_check is not None and not self.format_check[0](text):
            return self.format_check[1], {"value": text}
        return self._check_constraints(text, value)

    def _check_constraints(self, text: str, value: Any) -> Problem | None:
        constraints = self.descriptor.get("constraints") or {}
        if self.enum is not None and value not in self.enum:
            allowed = ", ".join(str(item) for item in constraints.get("enum", []))
            return ENUM, {"value": text, "allowed": allowed}
        if self.pattern is not None and not self.pattern.fullmatch(text):
            return PATTERN, {"value": text, "pattern": constraints.get("pattern")}

        length = len(value) if isinstance(value, (str, list, dict)) else None
        if length is not None and "minLength" in constraints and length < constraints["minLength"]:
            return MIN_LENGTH, {"value": text, "limit": constraints["minLength"]}
        if length is not None and "maxLength" in constraints and length > constraints["maxLength"]:
            return MAX_LENGTH, {"value": text, "limit": constraints["maxLength"]}

        limit_problem = self._check_limits(text, value, constraints)
        if limit_problem is not None:
            return limit_problem

        for check in self.extra:
            problem = check(text, value)
            if problem is not None:
                return problem
        return None

    def _check_limits(self, text: str, value: Any, constraints: dict[str, Any]) -> Problem | None:
        for key, code, breaks in (("minimum", MINIMUM, lambda v, lim: v < lim), ("maximum", MAXIMUM, lambda v, lim: v > lim)):
            if key not in constraints:
                continue
            try:
                limit = parse_cell(str(constraints[key]), self.descriptor)
                # NaN compares false with everything, yet it is within no range.
                if value != value or breaks(value, limit):
                    return code, {"value": text, "limit": constraints[key]}
            except (CellTypeError, TypeError):
                continue
        return None


def compile_field(descriptor: dict[str, Any], missing_values: list[str]) -> FieldChecker:
    """Compile the checks of one schema field."""
    constraints = descriptor.get("constraints") or {}
    checker = FieldChecker(descriptor=descriptor, missing_values=frozenset(missing_values))
    checker.required = bool(constraints.get("required"))

    if "pattern" in constraints:
        checker.pattern = re.compile(str(constraints["pattern"]))
    if "enum" in constraints:
        enum_values = set()
        for item in constraints["enum"]:
            try:
                enum_values.add(parse_cell(str(item), descriptor) if not isinstance(item, str) else parse_cell(item, descriptor))
            except CellTypeError:
                enum_values.add(item)
        checker.enum = frozenset(enum_values)

    if descriptor.get("type", "string") == "string" and descriptor.get("format") in _FORMATS:
        checker.format_check = _FORMATS[descriptor["format"]]
    return checker
