"""Table Schema field types: turning a cell's text into a typed value.

Each parser takes the raw text of a non-missing cell and returns the typed value, or
raises :class:`CellTypeError`. The rules follow the Table Schema specification and
agree with frictionless-py 5.21 on the cases this project tests (decimal comma,
group characters, boolean words, ISO dates, lists).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

DEFAULT_TRUE_VALUES = ("true", "True", "TRUE", "1")
DEFAULT_FALSE_VALUES = ("false", "False", "FALSE", "0")

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_YEAR = re.compile(r"[+-]?\d{4}")
_YEARMONTH = re.compile(r"(\d{4})-(\d{2})")
_DURATION = re.compile(r"P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?")
_NON_BARE = re.compile(r"^[^\d.+-]+|[^\d.]+$")
# Table Schema's special number values; frictionless-py 5.21 reads them in any case.
_SPECIAL_NUMBERS = {"NAN": float("nan"), "INF": float("inf"), "-INF": float("-inf")}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class CellTypeError(ValueError):
    """The text of a cell is not a value of its field's type."""


Field = Mapping[str, Any]


def _strip_bare(text: str, field: Field) -> str:
    """Drop currency signs and units around a number when ``bareNumber`` is false."""
    if field.get("bareNumber", True):
        return text
    return _NON_BARE.sub("", text)


def parse_number(text: str, field: Field) -> float:
    """Parse a ``number`` cell honouring ``decimalChar``, ``groupChar`` and ``bareNumber``."""
    if text.upper() in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[text.upper()]

    decimal_char = field.get("decimalChar", ".")
    group_char = field.get("groupChar", "")
    text = _strip_bare(text, field)
    if group_char:
        text = text.replace(group_char, "")
    if decimal_char != ".":
        # With a decimal comma, a dot is not part of a number unless it is the group character.
        if "." in text:
            raise CellTypeError(text)
        text = text.replace(decimal_char, ".")

    if not _NUMBER.fullmatch(text):
        raise CellTypeError(text)
    return float(text)


def parse_integer(text: str, field: Field) -> int:
    """Parse an ``integer`` cell (``groupChar`` and ``bareNumber`` honoured)."""
    group_char = field.get("groupChar", "")
    text = _strip_bare(text, field)
    if group_char:
        text = text.replace(group_char, "")
    if not _INTEGER.fullmatch(text):
        raise CellTypeError(text)
    return int(text)


def parse_boolean(text: str, field: Field) -> bool:
    """Parse a ``boolean`` cell from ``trueValues`` / ``falseValues``."""
    if text in field.get("trueValues", DEFAULT_TRUE_VALUES):
        return True
    if text in field.get("falseValues", DEFAULT_FALSE_VALUES):
        return False
    raise CellTypeError(text)


def _strptime_format(pattern: str) -> str:
    """Return a strftime pattern; Table Schema v1 wrote them with a ``fmt:`` prefix."""
    return pattern.removeprefix("fmt:")


def parse_date(text: str, field: Field) -> dt.date:
    """Parse a ``date`` cell: ISO 8601 by default, ``any``, or a strftime pattern as ``format``."""
    form = field.get("format", "default")
    try:
        if form in ("default", None):
            # Python also reads week dates such as 2024-W10-1; Table Schema wants YYYY-MM-DD.
            if not _ISO_DATE.fullmatch(text):
                raise CellTypeError(text)
            return dt.date.fromisoformat(text)
        if form == "any":
            return dt.date.fromisoformat(text)
        return dt.datetime.strptime(text, _strptime_format(form)).date()
    except ValueError:
        raise CellTypeError(text) from None


def parse_datetime(text: str, field: Field) -> dt.datetime:
    """Parse a ``datetime`` cell: ISO 8601 by default, or a strftime pattern as ``format``."""
    form = field.get("format", "default")
    try:
        if form in ("default", "any", None):
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return dt.datetime.strptime(text, _strptime_format(form))
    except ValueError:
        raise CellTypeError(text) from None


def parse_time(text: str, field: Field) -> dt.time:
    """Parse a ``time`` cell: ISO 8601 by default, or a strftime pattern as ``format``."""
    form = field.get("format", "default")
    try:
        if form in ("default", "any", None):
            return dt.time.fromisoformat(text)
        return dt.datetime.strptime(text, _strptime_format(form)).time()
    except ValueError:
        raise CellTypeError(text) from None


def parse_year(text: str, field: Field) -> int:
    """Parse a ``year`` cell (four digits)."""
    if not _YEAR.fullmatch(text):
        raise CellTypeError(text)
    return int(text)


def parse_yearmonth(text: str, field: Field) -> str:
    """Parse a ``yearmonth`` cell (``YYYY-MM``); the value stays text."""
    match = _YEARMONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise CellTypeError(text)
    return text


def parse_duration(text: str, field: Field) -> str:
    """Parse a ``duration`` cell (ISO 8601 ``PnYnMnDTnHnMnS``); the value stays text."""
    if not _DURATION.fullmatch(text):
        raise CellTypeError(text)
    return text


def parse_geopoint(text: str, field: Field) -> list[float]:
    """Parse a ``geopoint`` cell as ``[longitude, latitude]`` in the three Table Schema forms."""
    form = field.get("format", "default")
    try:
        if form == "array":
            value = json.loads(text)
            longitude, latitude = float(value[0]), float(value[1])
        elif form == "object":
            value = json.loads(text)
            longitude, latitude = float(value["lon"]), float(value["lat"])
        else:
            longitude_text, latitude_text = text.split(",")
            longitude, latitude = float(longitude_text), float(latitude_text)
    except (ValueError, KeyError, IndexError, TypeError):
        raise CellTypeError(text) from None

    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise CellTypeError(text)
    return [longitude, latitude]


def parse_json(expected: type) -> Callable[[str, Field], Any]:
    """Return a parser for ``object`` or ``array`` cells holding JSON of type ``expected``."""

    def parse(text: str, field: Field) -> Any:
        try:
            value = json.loads(text)
        except ValueError:
            raise CellTypeError(text) from None
        if not isinstance(value, expected):
            raise CellTypeError(text)
        return value

    return parse


def parse_list(text: str, field: Field) -> list[Any]:
    """Parse a ``list`` cell: split on ``delimiter`` (default ``,``), items of ``itemType``.

    This is the literal split of the specification. Fields with a code vocabulary
    (``categories``) are split by the vocabulary instead, in :mod:`datami_py.schema.codes`.
    """
    delimiter = field.get("delimiter", ",")
    item_parser = PARSERS.get(field.get("itemType", "string"), parse_string)
    return [item_parser(item, field) for item in text.split(delimiter)]


def parse_string(text: str, field: Field) -> str:
    """Return the text of a ``string`` cell; ``format`` is checked by the validator."""
    return text


PARSERS: dict[str, Callable[[str, Field], Any]] = {
    "string": parse_string,
    "any": parse_string,
    "number": parse_number,
    "integer": parse_integer,
    "boolean": parse_boolean,
    "date": parse_date,
    "datetime": parse_datetime,
    "time": parse_time,
    "year": parse_year,
    "yearmonth": parse_yearmonth,
    "duration": parse_duration,
    "geopoint": parse_geopoint,
    "object": parse_json(dict),
    "array": parse_json(list),
    "geojson": parse_json(dict),
    "list": parse_list,
}


def parse_cell(text: str, field: Field) -> Any:
    """Return the typed value of a non-missing cell of ``field``.

    Raises:
        CellTypeError: when the text is not a value of the field's type.
    """
    parser = PARSERS.get(field.get("type", "string") or "string", parse_string)
    return parser(text, field)
