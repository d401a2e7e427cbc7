"""Position checks of a table's rows, and the choice of the rows to geocode.

A row's position is suspect when it is missing, outside France, apparently swapped
(latitude and longitude exchanged), or in another département than the one its address
gives. The first three come from :func:`datami_py.quality.check_coordinates`, which
validation already reports. The département check needs a spatial join on the shipped
outlines (:func:`departement_of_rows`), so it runs only when geopandas is installed and
once for all rows.

The département a row states comes from its postcode column (the first two digits, three
overseas), else from a département column. Postcodes of Corsica (20…) stand for 2A or
2B, and a département column holding only "97" stands for any overseas département.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from datami_py import quality
from datami_py.errors import DatamiError, Finding, Location
from datami_py.fixes import _is_department_field, _name_tokens, _postcode_fields
from datami_py.geo.geocode import DEFAULT_MIN_SCORE, AddressQuery, BanClient, GeocodeResult, geocode
from datami_py.geo.points import Point, PointSet, map_coordinate_fields, points
from datami_py.i18n import message
from datami_py.table import Table

OUTSIDE_DEPARTEMENT = message(
    "geo.outside-departement",
    "The point lies in département {found} but {source} says {stated}. "
    "Check the coordinates, or run datami geocode.",
)
OUTSIDE_EVERY_DEPARTEMENT = message(
    "geo.outside-every-departement",
    "The point ({latitude}, {longitude}) lies in no French département, but {source} says {stated}. "
    "Check the coordinates, or run datami geocode.",
)
NO_ADDRESS_FIELDS = message(
    "geocode.no-address-fields",
    "The table {resource} has no address fields to geocode. Name them in the resource settings "
    "(x-datami.consolidation, sourceFields of the api-adresse entry).",
)

REASON_OUTSIDE_FRANCE = message("geocode.reason.outside-france", "outside France")
REASON_SWAPPED = message("geocode.reason.swapped", "latitude and longitude swapped")
REASON_DEPARTEMENT = message("geocode.reason.departement", "in département {found} but {source} gives {stated}")
REASON_NO_DEPARTEMENT = message("geocode.reason.no-departement", "in no département but {source} gives {stated}")
REASON_MESSAGES = {"outside-france": REASON_OUTSIDE_FRANCE, "swapped": REASON_SWAPPED}

Problem = Literal["missing", "outside-france", "swapped", "outside-departement"]
Selection = Literal["needed", "all", "missing", "outliers", "departement"]

PROBLEMS: tuple[Problem, ...] = ("missing", "outside-france", "swapped", "outside-departement")
OUTLIERS: frozenset[Problem] = frozenset({"outside-france", "swapped", "outside-departement"})

# Words of a field name that mark a part of a postal address (street, town).
_STREET_WORDS = ("adresse", "address", "rue", "street", "voie")
_TOWN_WORDS = ("commune", "ville", "city", "town", "localite")
# Prefix of the columns that the BAN consolidation of Datami fills. They hold the
# geocoder's response, not what the row states.
_GEOCODER_PREFIX = "ban"

_FIVE_DIGITS = re.compile(r"\d{5}", re.ASCII)
_FOUR_DIGITS = re.compile(r"\d{4}", re.ASCII)
_DEPARTEMENT_CODE = re.compile(r"\d{1,3}|2[AB]", re.ASCII | re.IGNORECASE)
_OVERSEAS = frozenset({"971", "972", "973", "974", "976"})


@dataclass(frozen=True)
class AddressFields:
    """The fields that geocoding reads and writes.

    ``address`` are joined with spaces to make the address sent; ``postcode`` and
    ``departement`` (either may be None) give the département the row states.
    """

    address: tuple[str, ...]
    latitude: str
    longitude: str
    postcode: str | None = None
    departement: str | None = None


@dataclass(frozen=True)
class PositionProblem:
    """A row whose position is suspect: the problem and the values that show it."""

    row: int
    problem: Problem
    params: dict[str, Any] = field(default_factory=dict)


def address_fields(table: Table, settings: dict[str, Any]) -> AddressFields:
    """Return the fields of the address, coordinates, postcode and département of ``table``.

    The address is the ``sourceFields`` of the resource's BAN consolidation setting (the
    entry whose URL names api-adresse), else the fields named like a street, a postcode
    and a town, in table order. Coordinates are those of the map
    (:func:`map_coordinate_fields`).

    Raises:
        DatamiError: ``geo.no-coordinate-fields`` when the table has no coordinate fields.
    """
    latitude, longitude = map_coordinate_fields(table, settings)
    present = [name for name in table.field_names if table.column_of(name) is not None]
    stated = [name for name in present if not _is_geocoder_field(name)]
    postcodes = [name for name in _postcode_fields(table) if name in stated]
    departements = [name for name in present if _is_department_field(name)]
    departements.sort(key=_is_geocoder_field)

    address = _consolidation_fields(table, settings)
    if not address:
        address = [name for name in stated if _is_street_field(name) or name in postcodes[:1] or _is_town_field(name)]
    return AddressFields(
        address=tuple(address),
        latitude=latitude,
        longitude=longitude,
        postcode=postcodes[0] if postcodes else None,
        departement=departements[0] if departements else None,
    )


def stated_departements(table: Table, row: int, fields: AddressFields) -> tuple[str, frozenset[str]] | None:
    """Return (source field, possible département codes) that ``row`` states, or None when it states none.

    The postcode wins over the département column; a 4-digit postcode is read with its
    leading zero restored. Postcodes starting with 98 (Monaco, overseas collectivities)
    state no département.
    """
    for name, reader in _stated_sources(fields):
        text = (table.cell(row, name) or "").strip()
        if not text or table.is_missing(text):
            continue
        codes = reader(text)
        if codes:
            return name, codes
    return None


def position_problems(table: Table, settings: dict[str, Any], *, departements: bool = True) -> list[PositionProblem]:
    """Return every row whose position is suspect, in row order, at most one problem per row.

    A row without coordinates (or with a coordinate that is not a number) is ``missing``.
    A point outside France, at (0, 0) or out of range is ``outside-france``, unless the
    swapped pair is in France (``swapped``). A point in France that lies in another
    département than the row states is ``outside-departement``. That check runs only when
    ``departements`` is true and geopandas is installed.

    Raises:
        DatamiError: ``geo.no-coordinate-fields`` when the table has no coordinate fields.
    """
    point_set = points(table, settings)
    problems: dict[int, PositionProblem] = {}
    for unplaced in point_set.unplaced:
        problems[unplaced.row] = PositionProblem(unplaced.row, "missing", {"reason": unplaced.reason, **unplaced.params})

    for point in point_set.points:
        issues = quality.check_coordinates(point.latitude, point.longitude)
        params = {"latitude": point.latitude, "longitude": point.longitude}
        if not issues:
            continue
        if issues[0].code == quality.COORDINATES_SWAPPED:
            problems[point.row] = PositionProblem(point.row, "swapped", params)
        else:
            problems[point.row] = PositionProblem(point.row, "outside-france", params)

    if departements and geopandas_available():
        for problem in departement_problems(table, address_fields(table, settings)):
            problems.setdefault(problem.row, problem)
    return [problems[row] for row in table.row_ids if row in problems]


def departement_problems(table: Table, fields: AddressFields) -> list[PositionProblem]:
    """Return the rows whose point, in France, lies outside the département the row states, in row order.

    ``params`` of each problem: ``found`` (the département of the point, None outside
    every outline), ``stated`` (the codes the row gives, joined by " / "), ``source``
    (the field read), ``latitude`` and ``longitude``. Points outside France and rows
    stating no département are left out. Requires geopandas.

    Each point is first tested against the outline of the département its row states,
    in one vectorised call per département. Only the points outside it go through the
    spatial join of :func:`departement_of_rows`, which finds where they are. So a point
    where two simplified outlines overlap counts as in the stated one.
    """
    from datami_py.geo.departements import departement_of_rows

    if fields.postcode is None and fields.departement is None:
        return []
    rows = list(table.row_ids)
    latitudes = _coordinates(table, fields.latitude, 90.0)
    longitudes = _coordinates(table, fields.longitude, 180.0)
    stated = _stated_column(table, fields)

    groups: dict[frozenset[str], list[int]] = {}
    for index in np.flatnonzero(_in_france(latitudes, longitudes)):
        if stated[index] is not None:
            groups.setdefault(stated[index][1], []).append(int(index))
    suspects = [index for codes, indices in groups.items() for index in _outside_outlines(codes, indices, latitudes, longitudes)]

    point_set = PointSet(fields.latitude, fields.longitude)
    point_set.points = [Point(rows[index], float(longitudes[index]), float(latitudes[index])) for index in sorted(suspects)]
    located = departement_of_rows(point_set)
    problems: list[PositionProblem] = []
    for index in sorted(suspects):
        found = located[rows[index]]
        source, codes = stated[index]  # type: ignore[misc]
        if found in codes:
            continue  # Within reach of the stated outline, by the nearest-outline rule.
        params = {
            "found": found,
            "stated": " / ".join(sorted(codes)),
            "source": source,
            "latitude": float(latitudes[index]),
            "longitude": float(longitudes[index]),
        }
        problems.append(PositionProblem(rows[index], "outside-departement", params))
    return problems


def departement_findings(table: Table, settings: dict[str, Any]) -> list[Finding]:
    """Return a warning for each row whose point lies outside the département it states.

    Returns nothing when geopandas is not installed, or when the table has no coordinate,
    postcode or département fields. Missing, swapped and outside-France points are left
    to the coordinate checks of validation.
    """
    if not geopandas_available():
        return []
    try:
        fields = address_fields(table, settings)
    except DatamiError:  # The table has no coordinate fields: nothing to check.
        return []

    findings = []
    for problem in departement_problems(table, fields):
        location = table.location(problem.row, fields.latitude, table.cell(problem.row, fields.latitude))
        code = OUTSIDE_DEPARTEMENT if problem.params["found"] is not None else OUTSIDE_EVERY_DEPARTEMENT
        findings.append(Finding(code, "warning", location, dict(problem.params)))
    return findings


def rows_to_geocode(table: Table, settings: dict[str, Any], selection: Selection = "needed") -> list[int]:
    """Return the row ids to geocode, in row order (see :func:`problems_to_geocode`)."""
    return [row for row, _ in problems_to_geocode(table, settings, selection)]


def problems_to_geocode(table: Table, settings: dict[str, Any], selection: Selection = "needed") -> list[tuple[int, PositionProblem | None]]:
    """Return the rows to geocode, in row order, each with its position problem (None for a sound one).

    ``needed``: missing positions and outliers; ``missing``: rows without a position;
    ``outliers``: points outside France, swapped, or outside their stated département;
    ``departement``: points outside their stated département only; ``all``: every row.
    """
    found = {problem.row: problem for problem in position_problems(table, settings)}
    if selection == "all":
        return [(row, found.get(row)) for row in table.row_ids]
    choices: dict[str, Iterable[Problem]] = {
        "needed": PROBLEMS,
        "missing": ("missing",),
        "outliers": tuple(OUTLIERS),
        "departement": ("outside-departement",),
    }
    wanted = choices[selection]
    return [(row, problem) for row, problem in found.items() if problem.problem in wanted]


def problem_message(problem: PositionProblem) -> str | None:
    """Return the message code that words ``problem`` in a review, None for a missing position.

    A missing position needs no words, because the review already shows "no position".
    """
    if problem.problem == "outside-departement":
        return REASON_DEPARTEMENT if problem.params.get("found") else REASON_NO_DEPARTEMENT
    return REASON_MESSAGES.get(problem.problem)


def address_queries(table: Table, fields: AddressFields, rows: Iterable[int]) -> list[AddressQuery]:
    """Return one query per row: the address fields joined by spaces, and the current coordinates."""
    queries = []
    for row in rows:
        parts = [(table.cell(row, name) or "").strip() for name in fields.address]
        address = " ".join(part for part in parts if part and not table.is_missing(part))
        postcode = (table.cell(row, fields.postcode) or "").strip() if fields.postcode else None
        queries.append(
            AddressQuery(
                row=row,
                address=" ".join(address.split()),
                old_latitude=_present(table, table.cell(row, fields.latitude)),
                old_longitude=_present(table, table.cell(row, fields.longitude)),
                postcode=postcode or None,
            )
        )
    return queries


def geopandas_available() -> bool:
    """True when geopandas can be imported (the ``maps`` extra), without importing it."""
    return importlib.util.find_spec("geopandas") is not None


def _stated_sources(fields: AddressFields) -> list[tuple[str, Callable[[str], frozenset[str]]]]:
    """Return the fields that state a département, with their readers, postcode first."""
    sources = [(fields.postcode, _postcode_departements), (fields.departement, _code_departements)]
    return [(name, reader) for name, reader in sources if name is not None]


def _current_column(table: Table, name: str) -> list[str | None]:
    """Return the current text of field ``name`` in every row, in :attr:`Table.row_ids` order.

    Unedited records come from the file's Arrow column when the reader kept one, which
    is much faster than one :meth:`Table.cell` call per row on large tables.
    """
    rows = table.row_ids
    column = table.column_of(name)
    if column is None:
        return [None] * len(rows)
    arrow = table.document.cells.arrow_column(column)
    if arrow is None:
        return [table.raw_cell(row, column) for row in rows]

    original = arrow.to_pylist()
    # NOTE: reads the edits overlay directly, as the validator does, to find the edited cells.
    edited = {row for row, columns in table._overlay.cells.items() if column in columns}
    count = len(original)
    return [original[row] if row < count and row not in edited else table.raw_cell(row, column) for row in rows]


def _coordinates(table: Table, name: str, limit: float) -> np.ndarray:
    """Return field ``name`` as floats, NaN where :func:`points` would not place the row (``limit``: 90 or 180)."""
    decimal_char = str(table.field(name).get("decimalChar", "."))
    values = np.full(len(table.row_ids), np.nan)
    for index, text in enumerate(_current_column(table, name)):
        text = _present(table, text)
        if text is None:
            continue
        try:
            number = float(text.replace(decimal_char, ".") if decimal_char != "." else text)
        except ValueError:
            continue
        if math.isfinite(number) and abs(number) <= limit:
            values[index] = number
    return values


def _in_france(latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """Return where the point lies in one of the boxes of :data:`quality.TERRITORIES` (NaN never does)."""
    inside = np.zeros(len(latitudes), dtype=bool)
    margin = quality.MARGIN_DEGREES
    with np.errstate(invalid="ignore"):
        for _, box in quality.TERRITORIES:
            in_latitude = (latitudes >= box.south - margin) & (latitudes <= box.north + margin)
            in_longitude = (longitudes >= box.west - margin) & (longitudes <= box.east + margin)
            inside |= in_latitude & in_longitude
    return inside


def _stated_column(table: Table, fields: AddressFields) -> list[tuple[str, frozenset[str]] | None]:
    """Return the département stated by each row (see :func:`stated_departements`), in row order."""
    sources = [(name, reader, _current_column(table, name)) for name, reader in _stated_sources(fields)]
    cache: dict[tuple[str, str], frozenset[str]] = {}
    stated: list[tuple[str, frozenset[str]] | None] = []
    for index in range(len(table.row_ids)):
        stated.append(None)
        for name, reader, texts in sources:
            text = (texts[index] or "").strip()
            if not text or table.is_missing(text):
                continue
            if (name, text) not in cache:
                cache[(name, text)] = reader(text)
            codes = cache[(name, text)]
            if codes:
                stated[index] = (name, codes)
                break
    return stated


def _outside_outlines(codes: frozenset[str], indices: list[int], latitudes: np.ndarray, longitudes: np.ndarray) -> list[int]:
    """Return the ``indices`` whose point lies in none of the outlines of ``codes``."""
    import shapely

    from datami_py.geo.departements import OUTLINES_LOCK

    selected = np.array(indices)
    inside = np.zeros(len(selected), dtype=bool)
    # Prepared geometries build their index on first use, so two validations must not
    # test points against them at once.
    with OUTLINES_LOCK:
        outlines = _prepared_outlines()
        for code in codes:
            if code in outlines:
                inside |= shapely.contains_xy(outlines[code], longitudes[selected], latitudes[selected])
    return [int(index) for index in selected[~inside]]


@functools.cache
def _prepared_outlines() -> dict[str, Any]:
    """Return each département's outline by code, prepared for fast point tests.

    Use them only while holding ``OUTLINES_LOCK``.
    """
    import shapely

    from datami_py.geo.departements import departement_outlines

    frame = departement_outlines()
    outlines = {str(code): geometry for code, geometry in zip(frame["code"], frame.geometry)}
    for geometry in outlines.values():
        shapely.prepare(geometry)
    return outlines


def _present(table: Table, text: str | None) -> str | None:
    if text is None or table.is_missing(text) or not text.strip():
        return None
    return text


def _postcode_departements(text: str) -> frozenset[str]:
    if _FOUR_DIGITS.fullmatch(text):
        text = "0" + text
    if not _FIVE_DIGITS.fullmatch(text) or text.startswith("98"):
        return frozenset()
    if text.startswith("20"):
        return frozenset({"2A", "2B"})
    if text.startswith("97"):
        return frozenset({text[:3]})
    return frozenset({text[:2]})


def _code_departements(text: str) -> frozenset[str]:
    if not _DEPARTEMENT_CODE.fullmatch(text):
        return frozenset()
    code = text.upper().zfill(2)
    if code == "20":
        return frozenset({"2A", "2B"})
    if code == "97":
        return _OVERSEAS
    return frozenset({code})


def _is_geocoder_field(name: str) -> bool:
    tokens = _name_tokens(name)
    return bool(tokens) and tokens[0] == _GEOCODER_PREFIX


def _is_street_field(name: str) -> bool:
    return any(token.startswith(_STREET_WORDS) for token in _name_tokens(name))


def _is_town_field(name: str) -> bool:
    return any(token in _TOWN_WORDS for token in _name_tokens(name))


def _consolidation_fields(table: Table, settings: dict[str, Any]) -> list[str]:
    """Return the source fields of the enabled BAN consolidation setting, when the table has them all."""
    for entry in settings.get("consolidation") or []:
        if not isinstance(entry, dict) or entry.get("enabled") is False:
            continue
        if "api-adresse" not in str(entry.get("url", "")) and "adresse" not in str(entry.get("name", "")):
            continue
        names = [str(name) for name in entry.get("sourceFields") or []]
        if names and all(table.column_of(name) is not None for name in names):
            return names
    return []


def geocode_rows(
    table: Table,
    settings: dict[str, Any],
    rows: Iterable[int],
    client: BanClient,
    min_score: float = DEFAULT_MIN_SCORE,
    **options: Any,
) -> list[GeocodeResult]:
    """Geocode the addresses of ``rows`` and return the results in row order; nothing is changed.

    ``options`` (``progress``, ``should_stop``) go to :func:`~datami_py.geo.geocode.geocode`.

    Raises:
        DatamiError: ``geocode.no-address-fields`` when the table has no address fields,
            ``geo.no-coordinate-fields`` without coordinate fields, and the errors of
            :func:`~datami_py.geo.geocode.geocode`.
    """
    fields = address_fields(table, settings)
    if not fields.address:
        raise DatamiError(NO_ADDRESS_FIELDS, Location(file=table.file), resource=table.name)
    return geocode(address_queries(table, fields, rows), client, min_score, **options)
