"""Which quality checks apply to which fields of a table, from its schema and Datami settings.

The checks themselves are pure functions in :mod:`datami_py.quality`; this module picks
them per field (links, codes, coordinates, text) and turns their issues into findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from datami_py import quality
from datami_py.errors import Finding
from datami_py.i18n import message
from datami_py.table import Table

UNKNOWN_CODE = message(
    "value.unknown-code",
    "“{value}” contains {unknown}, which is not a defined code of this field. Known codes: {allowed}.",
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
    points = map_settings.get("points") or map_settings.get("fields") or {}
    latitude, longitude = points.get("latitude"), points.get("longitude")
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

    def check_row(self, table: Table, row: int) -> Iterator[Finding]:
        """Yield the quality findings (and unknown-code errors) of ``row``, each (field, code) once.

        A link field is checked both as text and as a link, and both checks see outer spaces.
        """
        seen: set[tuple[str | None, str]] = set()
        for finding in self._row_findings(table, row):
            identity = (finding.location.field, finding.code)
            if identity not in seen:
                seen.add(identity)
                yield finding

    def _row_findings(self, table: Table, row: int) -> Iterator[Finding]:
        for name in self.text_fields:
            text = table.cell(row, name)
            if text:
                yield from self._findings(table, row, name, text, quality.check_text(text))

        for name in self.link_fields:
            text = table.cell(row, name)
            if text:
                yield from self._findings(table, row, name, text, quality.check_link(text))

        for name, (codes, delimiter) in self.code_fields.items():
            yield from self._code_findings(table, row, name, codes, delimiter)

        if self.coordinates is not None:
            yield from self._coordinate_findings(table, row)

    def _findings(self, table: Table, row: int, name: str, text: str, issues: list[Any]) -> Iterator[Finding]:
        for issue in issues:
            yield Finding(issue.code, "warning", table.location(row, name, text), dict(issue.params))

    def _code_findings(self, table: Table, row: int, name: str, codes: list[str], delimiter: str) -> Iterator[Finding]:
        text = table.cell(row, name)
        if table.is_missing(text):
            return
        parse = quality.check_codes(text or "", codes, delimiter)
        if parse.unknown:
            params = {"unknown": ", ".join(parse.unknown), "allowed": ", ".join(codes)}
            yield Finding(UNKNOWN_CODE, "error", table.location(row, name, text), params)
        known_issues = [issue for issue in parse.issues if "unknown" not in issue.code]
        yield from self._findings(table, row, name, text or "", known_issues)

    def _coordinate_findings(self, table: Table, row: int) -> Iterator[Finding]:
        assert self.coordinates is not None
        latitude_name, longitude_name = self.coordinates
        latitude = self._coordinate(table.cell(row, latitude_name), latitude_name, table)
        longitude = self._coordinate(table.cell(row, longitude_name), longitude_name, table)
        if latitude is False or longitude is False:
            return  # Not a number: the type check already reports it.

        location = table.location(row, latitude_name, table.cell(row, latitude_name))
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
