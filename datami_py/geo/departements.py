"""French département outlines shipped with datami-py, and the count of points in each.

The outlines (``data/departements.geojson``, overseas départements included) come from
IGN Admin Express COG 2018 through gregoiredavid/france-geojson, simplified; see
``data/README.md`` and ``data/LICENSE.md``. Points are matched to outlines by a spatial
join, never by postcode prefix, because geocoded postcodes can be wrong and overseas
postcodes start with 97 for five départements.
"""

from __future__ import annotations

import functools
import threading
import warnings
from importlib import resources
from typing import TYPE_CHECKING, Any

from datami_py.errors import DatamiError
from datami_py.geo.points import PointSet
from datami_py.i18n import message

if TYPE_CHECKING:
    import geopandas

MISSING_LIBRARY = message(
    "geo.missing-library",
    "Maps and charts need the Python package {library}, which is not installed. "
    "Install it with: pip install \"datami-py[maps]\"",
)

OUTLINES_FILE = "departements.geojson"
ATTRIBUTION = "Contours des départements : IGN Admin Express COG 2018, via gregoiredavid/france-geojson — Licence Ouverte (Etalab)"

# A point in no outline (a gap left by simplifying each département on its own, or a
# point on the coast) goes to the nearest département within this distance, in degrees
# (about 5 km in latitude).
NEAREST_MAX_DEGREES = 0.05

# GEOS geometries must not be used by two threads at once: a prepared geometry builds its
# point index on first use, and concurrent validations crashed the process with heap
# corruption. The validation and map workers share the cached outlines, so every use of
# them holds this lock. Callers that need their own get copies from departement_outlines.
OUTLINES_LOCK = threading.RLock()


def require(library: str) -> Any:
    """Import and return ``library`` (geopandas, matplotlib…).

    Raises:
        DatamiError: ``geo.missing-library`` when it is not installed.
    """
    import importlib

    try:
        return importlib.import_module(library)
    except ImportError as error:
        raise DatamiError(MISSING_LIBRARY, library=library.split(".")[0]) from error


def _outlines() -> geopandas.GeoDataFrame:
    """Return the shared outlines; use them only while holding :data:`OUTLINES_LOCK`."""
    with OUTLINES_LOCK:
        return _read_outlines()


@functools.cache
def _read_outlines() -> geopandas.GeoDataFrame:
    geopandas = require("geopandas")
    source = resources.files("datami_py.geo").joinpath("data", OUTLINES_FILE)
    with resources.as_file(source) as path:
        return geopandas.read_file(path)


def departement_outlines() -> geopandas.GeoDataFrame:
    """Return the 101 département outlines: columns ``code``, ``nom``, ``geometry`` (EPSG:4326).

    The geometries are new objects, owned by the caller, so any thread may use them.
    """
    shapely = require("shapely")
    with OUTLINES_LOCK:
        frame = _outlines().copy()
        # A pandas copy shares the geometry objects; a WKB round trip makes new ones.
        frame["geometry"] = shapely.from_wkb(shapely.to_wkb(frame.geometry.values))
    return frame


def points_frame(point_set: PointSet) -> geopandas.GeoDataFrame:
    """Return the points as a GeoDataFrame in EPSG:4326 with a ``row`` column (the row id)."""
    geopandas = require("geopandas")
    return geopandas.GeoDataFrame(
        {"row": [point.row for point in point_set.points]},
        geometry=geopandas.points_from_xy(
            [point.longitude for point in point_set.points],
            [point.latitude for point in point_set.points],
        ),
        crs="EPSG:4326",
    )


def departement_of_rows(point_set: PointSet) -> dict[int, str | None]:
    """Return the département code of each point's row, None for a point outside every département.

    A point inside two outlines (an overlap left by simplification) gets the first by
    code. A point inside none gets the nearest département within
    :data:`NEAREST_MAX_DEGREES`.
    """
    geopandas = require("geopandas")
    result: dict[int, str | None] = {point.row: None for point in point_set.points}
    if not point_set.points:
        return result

    with OUTLINES_LOCK:
        return _join(geopandas, point_set, result)


def _join(geopandas: Any, point_set: PointSet, result: dict[int, str | None]) -> dict[int, str | None]:
    """Fill ``result`` with the département of each point; the caller holds :data:`OUTLINES_LOCK`."""
    outlines = _outlines()[["code", "geometry"]]
    frame = points_frame(point_set)
    joined = geopandas.sjoin(frame, outlines, how="left", predicate="within")
    joined = joined.sort_values(["row", "code"]).drop_duplicates("row")
    for row, code in zip(joined["row"], joined["code"]):
        result[int(row)] = code if isinstance(code, str) else None

    # NOTE: distances are in degrees, so the fallback reaches about 5 km north-south but
    # less east-west far from the equator.
    outside = frame[frame["row"].map(lambda row: result[int(row)] is None)]
    if len(outside):
        with warnings.catch_warnings():
            # Distances in degrees are enough to pick a neighbour a few hundred metres away.
            warnings.filterwarnings("ignore", message=".*[Gg]eographic CRS.*")
            nearest = geopandas.sjoin_nearest(outside, outlines, how="inner", max_distance=NEAREST_MAX_DEGREES)
        nearest = nearest.sort_values(["row", "code"]).drop_duplicates("row")
        for row, code in zip(nearest["row"], nearest["code"]):
            result[int(row)] = str(code)
    return result


def departement_counts(point_set: PointSet) -> dict[str, int]:
    """Return the number of points in each département, by INSEE code, for départements with at least one."""
    counts: dict[str, int] = {}
    for code in departement_of_rows(point_set).values():
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))
