"""What the terminal map shows: the package's map settings, and the zoom and pan state.

Zoom levels use the numbers of web maps (``x-datami.map.zoom``, ``minZoom``,
``maxZoom``). A terminal has far fewer dots than a browser has pixels, so the package's
``zoom`` is taken as the level at which metropolitan France fills the map. Each level
above it doubles the scale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from datami_py.geo.canvas import DOTS_ACROSS, DOTS_DOWN, Frame, MapCanvas
from datami_py.geo.export import choropleth_stops, point_color

DEFAULT_ZOOM = 5.0
DEFAULT_MIN_ZOOM = 2.0
DEFAULT_MAX_ZOOM = 18.0
ZOOM_STEP = 0.5
# One press of an arrow key moves the map by this share of the map's width or height.
PAN_SHARE = 0.25
DEFAULT_OUTLINE_COLOR = "#004494"
DEFAULT_STROKE_COLOR = "#ffffff"


@dataclass(frozen=True)
class MapViewSettings:
    """The map settings of a resource (``x-datami.map``) that the terminal map uses."""

    centre: tuple[float, float] | None = None
    zoom: float = DEFAULT_ZOOM
    min_zoom: float = DEFAULT_MIN_ZOOM
    max_zoom: float = DEFAULT_MAX_ZOOM
    stops: tuple[tuple[int, str], ...] = ()
    point_color: str = DEFAULT_OUTLINE_COLOR
    stroke_color: str = DEFAULT_STROKE_COLOR
    outline_color: str = DEFAULT_OUTLINE_COLOR
    show_points: bool = True
    show_departements: bool = True

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> MapViewSettings:
        """Read the resource's ``x-datami`` settings; every missing or malformed value keeps its default."""
        map_settings = settings.get("map") or {}
        layers = map_settings.get("layers") or {}
        points_layer = layers.get("points") or {}
        choropleth = layers.get("choropleth") or {}
        sources = choropleth.get("sources") or [{}]

        centre = None
        given = map_settings.get("center") or {}
        if _is_number(given.get("longitude")) and _is_number(given.get("latitude")):
            centre = (float(given["longitude"]), float(given["latitude"]))
        zoom = float(map_settings["zoom"]) if _is_number(map_settings.get("zoom")) else DEFAULT_ZOOM
        min_zoom = float(map_settings["minZoom"]) if _is_number(map_settings.get("minZoom")) else DEFAULT_MIN_ZOOM
        max_zoom = float(map_settings["maxZoom"]) if _is_number(map_settings.get("maxZoom")) else DEFAULT_MAX_ZOOM
        return cls(
            centre=centre,
            zoom=min(max(zoom, min_zoom), max_zoom),
            min_zoom=min_zoom,
            max_zoom=max(max_zoom, min_zoom),
            stops=tuple(choropleth_stops(settings)),
            point_color=point_color(settings),
            stroke_color=_color(points_layer.get("strokeColor"), DEFAULT_STROKE_COLOR),
            outline_color=_color(sources[0].get("outlineColor"), DEFAULT_OUTLINE_COLOR),
            show_points=points_layer.get("visible", True) is not False,
            show_departements=choropleth.get("visible", True) is not False,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _color(value: Any, default: str) -> str:
    return value if isinstance(value, str) and value.startswith("#") else default


@dataclass(frozen=True)
class Viewpoint:
    """The view of the main frame: its centre in degrees and its zoom level."""

    longitude: float
    latitude: float
    zoom: float


def home_viewpoint(canvas: MapCanvas, settings: MapViewSettings) -> Viewpoint:
    """Return the first view: the package's centre (or metropolitan France's) at the package's zoom."""
    home = canvas.home_frame(settings.centre)
    return Viewpoint(home.longitude, home.latitude, settings.zoom)


def frame_of(canvas: MapCanvas, settings: MapViewSettings, viewpoint: Viewpoint) -> Frame:
    """Return the main frame of ``viewpoint``: the home scale doubled for each level above the package's zoom."""
    home = canvas.home_frame(settings.centre)
    scale = home.scale * 2 ** (viewpoint.zoom - settings.zoom)
    return Frame(canvas.layout.main, viewpoint.longitude, viewpoint.latitude, scale)


def zoomed(settings: MapViewSettings, viewpoint: Viewpoint, steps: int) -> Viewpoint:
    """Return ``viewpoint`` zoomed in by ``steps`` steps (out when negative), within the package's zoom limits."""
    zoom = min(max(viewpoint.zoom + steps * ZOOM_STEP, settings.min_zoom), settings.max_zoom)
    return replace(viewpoint, zoom=zoom)


def panned(canvas: MapCanvas, settings: MapViewSettings, viewpoint: Viewpoint, across: int, down: int) -> Viewpoint:
    """Return ``viewpoint`` moved by ``across`` quarter-widths to the east and ``down`` quarter-heights to the south."""
    frame = frame_of(canvas, settings, viewpoint)
    box = canvas.layout.main
    longitude = viewpoint.longitude + across * PAN_SHARE * box.width * DOTS_ACROSS / frame.x_scale
    latitude = viewpoint.latitude - down * PAN_SHARE * box.height * DOTS_DOWN / frame.scale
    return replace(viewpoint, longitude=longitude, latitude=min(max(latitude, -85.0), 85.0))
