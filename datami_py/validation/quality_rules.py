"""The choice of quality checks for each field of a table, from its schema and Datami settings.

The checks themselves are pure functions in :mod:`datami_py.quality`; this module picks
them per field (links, codes, coordinates, text) and turns their issues into findings.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from datami_py import quality
from datami_py.errors import Finding, Severity
from datami_py.i18n import message
from datami_py.table import Table

UNKNOWN_CODE = message(
    "value.unknown-code",
    "“{value}” contains {unknown}, which is not a defined code of this field. Known codes: {allowed}.",
)
NOT_A_CODE = message(
    "value.not-a-code",
    "“{value}” is not a defined code of this field. Known codes: {allowed}.",
)
NO_POSITION = message(
    "row.no-position",
    "This row has no coordinates ({latitude_field}, {longitude_field} are empty), so it is not on the map. "
    "Fill them in, or geocode the address.",
)
LINK_SUBTYPES = ("link", "image")
TEXT_TYPES = ("string", "list", "any")
LATITUDE_NAMES = ("latitude", "lat")
LONGITUDE_NAMES = ("longitude", "lon", "lng", "long")


def field_settings(descriptor: dict[str, Any]) -> dict[str, Any]:
    """Return the Datami view settings (``x-datami``) of a schema field, empty when absent."""
    return descriptor.get("x-datami") or {}


def coordinate_fields(table: Table, settings: dict[str, Any]) -> tuple[str, str] | None:
    """Return the (latitude, longitude) field names of the table's map, or None.

    The map settings name them; failing that, two fields of subtype ``geopoint`` whose
    names contain “lat” and “lon”; failing that, number fields named latitude and
    longitude (or lat and lon).
    """
    map_settings = settings.get("map") or {}
    latitude, longitude = map_settings.get("latitudeField"), map_settings.get("longitudeField")
    if latitude in table.field_names and longitude in table.field_names:
        return latitude, longitude

    geopoints = [str(item.get("name")) for item in table.fields if field_settings(item).get("subtype") == "geopoint"]
    latitudes = [name for name in geopoints if "lat" in name.lower()]
    longitudes = [name for name in geopoints if "lon" in name.lower() or "lng" in name.lower()]
    if len(latitudes) == 1 and len(longitudes) == 1:
        return latitudes[0], longitudes[0]

    numbers = {str(item.get("name")).lower(): str(item.get("name")) for item in table.fields if item.get("type") == "number"}
    latitude = next((numbers[name] for name in LATITUDE_NAMES if name in numbers), None)
    longitude = next((numbers[name] for name in LONGITUDE_NAMES if name in numbers), None)
    return (latitude, longitude) if latitude and longitude else None


@dataclass
class QualityRules:
    """The quality checks chosen for each field of one table."""

    text_fields: list[str] = field(default_factory=list)
    link_fields: list[str] = field(default_factory=list)
    code_fields: dict[str, tuple[list[str], str]] = field(default_factory=dict)
    coordinates: tuple[str, str] | None = None
    decimal_chars: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_table(cls, table: Table, settings: dict[str, Any]) -> QualityRules:
        """Choose the checks for ``table`` from its schema and resource ``settings``."""
        from datami_py.validation.validator import category_values

        rules = cls(coordinates=coordinate_fields(table, settings))
        for descriptor in table.fields:
            name = str(descriptor.get("name"))
            if table.column_of(name) is None:
                continue
            field_type = descriptor.get("type", "string")
            subtype = field_settings(descriptor).get("subtype")
            codes = category_values(descriptor)

            if field_type in TEXT_TYPES:
                rules.text_fields.append(name)
            if subtype in LINK_SUBTYPES or descriptor.get("format") == "uri":
                rules.link_fields.append(name)
            if codes and field_type == "list":
                rules.code_fields[name] = (codes, str(descriptor.get("delimiter", ",")))
            if field_type == "number":
                rules.decimal_chars[name] = str(descriptor.get("decimalChar", "."))
        return rules

    def value_issues(self, name: str, text: str | None, missing: bool) -> list[tuple[str, Severity, dict[str, Any]]]:
        """Return the quality issues of one cell of field ``name`` as (code, severity, params).

        They depend on the text alone, so a validator may check each distinct value once.
        Unknown codes are errors; everything else is a warning. Each code appears once.
        """
        issues: list[tuple[str, Severity, dict[str, Any]]] = []
        if text and name in self.text_field_set:
            issues.extend((issue.code, "warning", dict(issue.params)) for issue in quality.check_text(text))
        if text and name in self.link_field_set:
            issues.extend((issue.code, "warning", dict(issue.params)) for issue in quality.check_link(text))
        if name in self.code_fields and not missing:
            codes, delimiter = self.code_fields[name]
            parse = quality.check_codes(text or "", codes, delimiter)
            if parse.unknown:
                params = {"unknown": ", ".join(parse.unknown), "allowed": ", ".join(codes)}
                # "“XYZ” contains XYZ" reads oddly when the whole cell is the unknown code.
                whole = parse.unknown == [(text or "").strip()]
                issues.append((NOT_A_CODE if whole else UNKNOWN_CODE, "error", params))
            issues.extend((issue.code, "warning", dict(issue.params)) for issue in parse.issues if "unknown" not in issue.code)

        unique: dict[str, tuple[str, Severity, dict[str, Any]]] = {}
        for issue in issues:
            unique.setdefault(issue[0], issue)
        return list(unique.values())

    @functools.cached_property
    def text_field_set(self) -> frozenset[str]:
        """The fields checked as text."""
        return frozenset(self.text_fields)

    @functools.cached_property
    def link_field_set(self) -> frozenset[str]:
        """The fields checked as links."""
        return frozenset(self.link_fields)

    @property
    def checked_fields(self) -> set[str]:
        """Every field with a value-level quality check."""
        return set(self.text_fields) | set(self.link_fields) | set(self.code_fields)

    def coordinate_findings(self, table: Table, row: int) -> Iterator[Finding]:
        """Yield the coordinate findings of ``row`` (none when the table has no coordinates)."""
        if self.coordinates is not None:
            yield from self._coordinate_findings(table, row)

    def _coordinate_findings(self, table: Table, row: int) -> Iterator[Finding]:
        assert self.coordinates is not None
        latitude_name, longitude_name = self.coordinates
        latitude = self._coordinate(table.cell(row, latitude_name), latitude_name, table)
        longitude = self._coordinate(table.cell(row, longitude_name), longitude_name, table)
        if latitude is False or longitude is False:
            return  # Not a number: the type check already reports it.

        location = table.location(row, latitude_name, table.cell(row, latitude_name))
        if latitude is None and longitude is None:
            params = {"latitude_field": latitude_name, "longitude_field": longitude_name}
            yield Finding(NO_POSITION, "warning", location, params)
            return
        for issue in quality.check_coordinates(latitude, longitude):
            yield Finding(issue.code, "warning", location, dict(issue.params))

    def _coordinate(self, text: str | None, name: str, table: Table) -> float | None | bool:
        """Return the coordinate as a float, None when missing, False when not a number."""
        if table.is_missing(text):
            return None
        decimal_char = self.decimal_chars.get(name, ".")
        try:
            return float((text or "").replace(decimal_char, "."))
        except ValueError:
            return False
