"""Map files of a table: GeoJSON of the rows, and a self-contained HTML page.

The PNG map is drawn by :mod:`datami_py.geo.render`. Nothing is downloaded while
exporting: the département outlines are package data.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from datami_py.errors import DatamiError
from datami_py.geo.departements import ATTRIBUTION, departement_counts, departement_outlines
from datami_py.geo.page import LEAFLET_CSS_INTEGRITY, LEAFLET_JS_INTEGRITY, MAP_PAGE
from datami_py.geo.points import PointSet, points
from datami_py.i18n import message, render
from datami_py.table import Table

WRITE_FAILED = message("geo.write-failed", "Cannot write {path}: {reason}.")
DEFAULT_MAP_TITLE = message("geo.default-title", "Map of {resource}")
LEGEND_TITLE = message("geo.legend-title", "Rows per département")
POINTS_LAYER = message("geo.points-layer", "Rows")
OUTLINES_LAYER = message("geo.outlines-layer", "French départements")
PLACED_NOTE = message("geo.placed-note", "{count} row(s) on the map.")
UNPLACED_NOTE = message("geo.unplaced-note", "{count} row(s) without position are not on the map.")

# Leaflet is loaded by the viewer's browser when the page opens, never by datami-py.
LEAFLET_VERSION = "1.9.4"
LEAFLET_CSS = f"https://unpkg.com/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"
LEAFLET_JS = f"https://unpkg.com/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"

# Count classes of the choropleth (lower bounds) and their colours, used when the
# settings give no ``fillColor`` interpolation; these are Décider Ensemble's.
DEFAULT_STOPS: list[tuple[int, str]] = [(0, "#f2f3f3"), (1, "#d2ede9"), (5, "#67c1b5"), (10, "#158b7b"), (30, "#106268")]
DEFAULT_POINT_COLOR = "#004494"


def localized(value: Any, language: str) -> str | None:
    """Return the text of a setting that is a string or a ``{"fr": …, "en": …}`` object, in ``language`` if present."""
    if value is None:
        return None
    if isinstance(value, dict):
        for key in (language, "en", "fr"):
            if value.get(key):
                return str(value[key])
        return next((str(text) for text in value.values() if text), None)
    return str(value)


def map_title(table: Table, settings: dict[str, Any], language: str) -> str:
    """Return the map title from the settings, or “Map of <resource>”."""
    title = localized((settings.get("map") or {}).get("title"), language)
    return title or render(DEFAULT_MAP_TITLE, language, resource=table.name)


def choropleth_stops(settings: dict[str, Any]) -> list[tuple[int, str]]:
    """Return the choropleth classes as (lowest count, colour), from the first source's MapLibre
    ``["interpolate", ["linear"], ["get", …], n0, colour0, n1, colour1, …]`` when it has one."""
    layers = (settings.get("map") or {}).get("layers") or {}
    sources = (layers.get("choropleth") or {}).get("sources") or []
    fill = sources[0].get("fillColor") if sources else None
    if isinstance(fill, list) and len(fill) > 3 and fill[0] == "interpolate":
        pairs = fill[3:]
        stops = [(int(pairs[index]), str(pairs[index + 1])) for index in range(0, len(pairs) - 1, 2) if isinstance(pairs[index], (int, float))]
        if stops:
            return sorted(stops)
    return list(DEFAULT_STOPS)


def class_labels(stops: list[tuple[int, str]]) -> list[str]:
    """Return the count range of each class: "0", "1–4", "5–9", "≥ 30"."""
    labels = []
    for index, (low, _color) in enumerate(stops):
        if index + 1 < len(stops):
            high = stops[index + 1][0] - 1
            labels.append(str(low) if high <= low else f"{low}–{high}")
        else:
            labels.append(f"≥ {low}")
    return labels


def color_for(count: int, stops: list[tuple[int, str]]) -> str:
    """Return the colour of the class that ``count`` falls in."""
    color = stops[0][1]
    for low, stop_color in stops:
        if count >= low:
            color = stop_color
    return color


def point_color(settings: dict[str, Any]) -> str:
    """Return the point colour of the settings' points layer, or the default blue."""
    layers = (settings.get("map") or {}).get("layers") or {}
    color = (layers.get("points") or {}).get("color")
    return str(color) if isinstance(color, str) and color.startswith("#") else DEFAULT_POINT_COLOR


def popup_field(table: Table, settings: dict[str, Any]) -> str | None:
    """Return the field shown as the popup title of a point: the settings' ``main_title`` line, else the primary key."""
    layers = (settings.get("map") or {}).get("layers") or {}
    lines = ((layers.get("points") or {}).get("popup") or {}).get("lines") or []
    for line in lines:
        if line.get("field") in table.field_names:
            return str(line["field"])
    return table.primary_key[0] if table.primary_key else None


def features(table: Table, point_set: PointSet) -> list[dict[str, Any]]:
    """Return one GeoJSON feature per placed row: a Point, and every field's cell text as properties (null when missing)."""
    result = []
    for point in point_set.points:
        properties = {name: (None if table.is_missing(text) else text) for name, text in table.record(point.row).items()}
        result.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [point.longitude, point.latitude]},
            "properties": properties,
        })
    return result


def export_geojson(table: Table, settings: dict[str, Any], path: Path | str) -> PointSet:
    """Write every row with a position as a GeoJSON FeatureCollection (RFC 7946, WGS 84) and return the points.

    Raises:
        DatamiError: ``geo.no-coordinate-fields``, or ``geo.write-failed`` when the file cannot be written.
    """
    point_set = points(table, settings)
    # One feature per line: readable and diffable, and json's C encoder only runs without indent.
    lines = ",\n".join(json.dumps(feature, ensure_ascii=False) for feature in features(table, point_set))
    write_text(Path(path), '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n")
    return point_set


def export_html(table: Table, settings: dict[str, Any], path: Path | str, language: str) -> PointSet:
    """Write an interactive map page and return the points.

    The page embeds the points, the département outlines with their counts and the legend.
    It loads Leaflet (version :data:`LEAFLET_VERSION`) from unpkg.com when a browser opens
    it and draws no basemap, so the page makes no other request.

    Raises:
        DatamiError: ``geo.no-coordinate-fields``, ``geo.missing-library`` or ``geo.write-failed``.
    """
    point_set = points(table, settings)
    counts = departement_counts(point_set)
    stops = choropleth_stops(settings)

    outlines = departement_outlines()
    outlines["count"] = outlines["code"].map(lambda code: counts.get(code, 0))
    outlines["color"] = outlines["count"].map(lambda count: color_for(int(count), stops))
    title_field = popup_field(table, settings)
    point_features = features(table, point_set)
    for feature in point_features:
        properties = feature["properties"]
        feature["properties"] = {"title": properties.get(title_field) if title_field else None}

    data = {
        "departements": json.loads(outlines.to_json()),
        "points": {"type": "FeatureCollection", "features": point_features},
        "pointColor": point_color(settings),
        "legend": [{"label": label, "color": color} for label, (_low, color) in zip(class_labels(stops), stops)],
    }
    page = MAP_PAGE.format(
        language=language,
        title=html.escape(map_title(table, settings, language)),
        leaflet_css=LEAFLET_CSS,
        leaflet_js=LEAFLET_JS,
        css_integrity=LEAFLET_CSS_INTEGRITY,
        js_integrity=LEAFLET_JS_INTEGRITY,
        legend_title=_script_text(render(LEGEND_TITLE, language)),
        points_label=_script_text(render(POINTS_LAYER, language)),
        outlines_label=_script_text(render(OUTLINES_LAYER, language)),
        unplaced=html.escape(render(UNPLACED_NOTE, language, count=len(point_set.unplaced))),
        attribution=html.escape(ATTRIBUTION),
        data=_script_text(data),
    )
    write_text(Path(path), page)
    return point_set


def _script_text(value: Any) -> str:
    # JSON inside a script element: "</" would end the element early.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 through a temporary file, so a failed export leaves no partial file."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder.

    Raises:
        DatamiError: ``geo.write-failed`` with the system's reason.
    """
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise DatamiError(WRITE_FAILED, path=str(path), reason=error.strerror or str(error)) from error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
