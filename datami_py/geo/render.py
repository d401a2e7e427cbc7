"""PNG map of a table: rows per département (choropleth), the points, a legend and the source.

Metropolitan France fills the page. The five overseas départements are drawn as insets
in a column on the left, each at its own scale, as French statistical maps show them.
Figures are built with ``matplotlib.figure.Figure`` and saved through the Agg renderer,
never through pyplot, so no display is needed and a caller's pyplot backend is left alone.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from datami_py.geo.departements import ATTRIBUTION, departement_counts, departement_outlines, require
from datami_py.geo.export import (
    LEGEND_TITLE,
    PLACED_NOTE,
    UNPLACED_NOTE,
    choropleth_stops,
    class_labels,
    color_for,
    map_title,
    point_color,
    write_bytes,
)
from datami_py.geo.points import PointSet, points
from datami_py.i18n import render
from datami_py.table import Table

# (min longitude, min latitude, max longitude, max latitude) of metropolitan France and Corsica.
METROPOLE_EXTENT = (-5.3, 41.2, 9.8, 51.2)
# Overseas départements in the order of the inset column, top to bottom.
OVERSEAS = ("971", "972", "973", "974", "976")
PAGE_INCHES = (8.27, 9.0)
DPI = 200


def export_png(table: Table, settings: dict[str, Any], path: Path | str, language: str) -> PointSet:
    """Draw the map of ``table`` as a PNG file at ``path`` and return the points.

    Raises:
        DatamiError: ``geo.no-coordinate-fields``, ``geo.missing-library`` or ``geo.write-failed``.
    """
    figures = require("matplotlib.figure")
    patches = require("matplotlib.patches")

    point_set = points(table, settings)
    counts = departement_counts(point_set)
    stops = choropleth_stops(settings)
    outlines = departement_outlines()
    outlines["color"] = outlines["code"].map(lambda code: color_for(counts.get(code, 0), stops))
    longitudes = np.array([point.longitude for point in point_set.points], dtype=float)
    latitudes = np.array([point.latitude for point in point_set.points], dtype=float)
    marker_color = point_color(settings)

    figure = figures.Figure(figsize=PAGE_INCHES, dpi=DPI)
    main = figure.add_axes((0.2, 0.1, 0.78, 0.8))
    if point_set.points and not counts:
        # No point is in France: frame the points themselves, without the overseas insets.
        extent = _padded(point_set.extent or METROPOLE_EXTENT, 0.1, minimum=0.05)
        _draw(main, outlines, longitudes, latitudes, marker_color, extent)
    else:
        _draw(main, outlines, longitudes, latitudes, marker_color, METROPOLE_EXTENT)
        _draw_overseas(figure, outlines, longitudes, latitudes, marker_color)

    figure.suptitle(map_title(table, settings, language), fontsize=15, y=0.97)
    handles = [
        patches.Patch(facecolor=color, edgecolor="#004494", linewidth=0.5, label=label)
        for label, (_low, color) in zip(class_labels(stops), stops)
    ]
    main.legend(handles=handles, title=render(LEGEND_TITLE, language), loc="lower left", fontsize=8, title_fontsize=9, framealpha=0.9)

    notes = [render(PLACED_NOTE, language, count=len(point_set.points))]
    if point_set.unplaced:
        notes.append(render(UNPLACED_NOTE, language, count=len(point_set.unplaced)))
    figure.text(0.2, 0.06, "   ".join(notes), fontsize=8)
    figure.text(0.2, 0.03, ATTRIBUTION, fontsize=6.5, color="#444444")

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    write_bytes(Path(path), buffer.getvalue())
    return point_set


def _draw_overseas(figure: Any, outlines: Any, longitudes: np.ndarray, latitudes: np.ndarray, color: str) -> None:
    inset_height = 0.8 / len(OVERSEAS)
    for index, code in enumerate(OVERSEAS):
        bottom = 0.9 - (index + 1) * inset_height
        inset = figure.add_axes((0.02, bottom + 0.01, 0.16, inset_height - 0.02))
        shape = outlines[outlines["code"] == code]
        extent = _padded(tuple(shape.total_bounds), 0.15)
        _draw(inset, outlines, longitudes, latitudes, color, extent)
        name = str(shape["nom"].iloc[0]) if len(shape) else code
        inset.set_title(f"{name} ({code})", fontsize=7, pad=2)
        for spine in inset.spines.values():
            spine.set_visible(True)
            spine.set_color("#888888")


def _draw(axes: Any, outlines: Any, longitudes: np.ndarray, latitudes: np.ndarray, color: str, extent: tuple[float, ...]) -> None:
    west, south, east, north = extent
    outlines.plot(ax=axes, color=outlines["color"], edgecolor="#004494", linewidth=0.25)
    # Only the points inside the frame: matplotlib would draw the others outside it anyway.
    inside = (longitudes >= west) & (longitudes <= east) & (latitudes >= south) & (latitudes <= north)
    if inside.any():
        axes.scatter(longitudes[inside], latitudes[inside], s=9, color=color, edgecolors="white", linewidths=0.4, zorder=3)
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    # Degrees of longitude shrink with latitude: keep shapes true at the centre of the frame.
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    axes.set_xticks([])
    axes.set_yticks([])
    # geopandas labels the axes with the CRS axis names, which a printed map does not need.
    axes.set_xlabel("")
    axes.set_ylabel("")
    for spine in axes.spines.values():
        spine.set_visible(False)


def _padded(bounds: tuple[float, ...], ratio: float, minimum: float = 0.0) -> tuple[float, float, float, float]:
    west, south, east, north = (float(value) for value in bounds)
    pad = max((east - west) * ratio, (north - south) * ratio, minimum)
    return west - pad, south - pad, east + pad, north + pad
