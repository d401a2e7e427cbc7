"""Positions of a table's rows, read from its latitude and longitude fields.

A row is placed on the map only when both coordinates are numbers within range. Every
other row is listed with the reason, so that no missing value ever becomes a marker at
(0, 0) or a ``POINT (NaN NaN)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from datami_py.errors import DatamiError, Location
from datami_py.i18n import message
from datami_py.table import Table
from datami_py.validation.quality_rules import coordinate_fields

NO_COORDINATE_FIELDS = message(
    "geo.no-coordinate-fields",
    "The table {resource} has no latitude and longitude fields, so it cannot be drawn on a map. "
    "Name them in the resource settings (x-datami.map.latitudeField and longitudeField).",
)
REASON_MISSING = message("geo.reason.missing", "no latitude and no longitude")
REASON_LATITUDE_ONLY = message("geo.reason.latitude-only", "latitude without longitude")
REASON_LONGITUDE_ONLY = message("geo.reason.longitude-only", "longitude without latitude")
REASON_NOT_A_NUMBER = message("geo.reason.not-a-number", "{field} is not a number: “{value}”")
REASON_OUT_OF_RANGE = message("geo.reason.out-of-range", "{field} is out of range: {value}")

Reason = Literal["missing", "latitude-only", "longitude-only", "not-a-number", "out-of-range"]

REASON_MESSAGES: dict[str, str] = {
    "missing": REASON_MISSING,
    "latitude-only": REASON_LATITUDE_ONLY,
    "longitude-only": REASON_LONGITUDE_ONLY,
    "not-a-number": REASON_NOT_A_NUMBER,
    "out-of-range": REASON_OUT_OF_RANGE,
}


@dataclass(frozen=True)
class Point:
    """A row placed on the map, in WGS 84 degrees."""

    row: int
    longitude: float
    latitude: float


@dataclass(frozen=True)
class Unplaced:
    """A row left off the map: the reason code (see :data:`REASON_MESSAGES`) and its parameters.

    ``params`` names the offending field and value for ``not-a-number`` and ``out-of-range``.
    """

    row: int
    reason: Reason
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message_code(self) -> str:
        """The message code that words the reason."""
        return REASON_MESSAGES[self.reason]


@dataclass
class PointSet:
    """The rows of a table split into placed points and rows without position."""

    latitude_field: str
    longitude_field: str
    points: list[Point] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        """(min longitude, min latitude, max longitude, max latitude) of the points, None without points."""
        if not self.points:
            return None
        longitudes = [point.longitude for point in self.points]
        latitudes = [point.latitude for point in self.points]
        return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def map_coordinate_fields(table: Table, settings: dict[str, Any]) -> tuple[str, str]:
    """Return the (latitude, longitude) field names of the table's map.

    ``x-datami.map.latitudeField`` and ``longitudeField`` win when the table has both
    fields; otherwise :func:`coordinate_fields` picks them from the schema.

    Raises:
        DatamiError: ``geo.no-coordinate-fields`` when neither names two existing fields.
    """
    map_settings = settings.get("map") or {}
    latitude, longitude = map_settings.get("latitudeField"), map_settings.get("longitudeField")
    if latitude in table.field_names and longitude in table.field_names:
        return str(latitude), str(longitude)

    found = coordinate_fields(table, settings)
    if found is None:
        raise DatamiError(NO_COORDINATE_FIELDS, Location(file=table.file), resource=table.name)
    return found


def points(table: Table, settings: dict[str, Any]) -> PointSet:
    """Split the current rows of ``table`` into points and rows without position.

    ``settings`` are the resource's ``x-datami`` settings. A cell is missing when it is
    one of the schema's missing values (or blank). Numbers are read with the field's
    ``decimalChar``; NaN and infinities count as not a number.

    Raises:
        DatamiError: ``geo.no-coordinate-fields`` when the table has no coordinate fields.
    """
    latitude_field, longitude_field = map_coordinate_fields(table, settings)
    latitude_decimal = str(table.field(latitude_field).get("decimalChar", "."))
    longitude_decimal = str(table.field(longitude_field).get("decimalChar", "."))
    result = PointSet(latitude_field, longitude_field)

    for row in table.iter_rows():
        latitude_text = _present(table, table.cell(row, latitude_field))
        longitude_text = _present(table, table.cell(row, longitude_field))
        if latitude_text is None or longitude_text is None:
            reason: Reason = "missing"
            if latitude_text is not None:
                reason = "latitude-only"
            elif longitude_text is not None:
                reason = "longitude-only"
            result.unplaced.append(Unplaced(row, reason))
            continue

        latitude = _number(latitude_text, latitude_decimal)
        longitude = _number(longitude_text, longitude_decimal)
        problem = _problem(latitude_field, latitude_text, latitude, 90.0) or _problem(longitude_field, longitude_text, longitude, 180.0)
        if problem is not None:
            result.unplaced.append(Unplaced(row, problem[0], problem[1]))
            continue

        assert latitude is not None and longitude is not None
        result.points.append(Point(row, longitude, latitude))
    return result


def _present(table: Table, text: str | None) -> str | None:
    if table.is_missing(text) or text is None or not text.strip():
        return None
    return text.strip()


def _number(text: str, decimal_char: str) -> float | None:
    try:
        value = float(text.replace(decimal_char, ".") if decimal_char != "." else text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _problem(name: str, text: str, value: float | None, limit: float) -> tuple[Reason, dict[str, Any]] | None:
    if value is None:
        return "not-a-number", {"field": name, "value": text}
    if not -limit <= value <= limit:
        return "out-of-range", {"field": name, "value": text}
    return None
