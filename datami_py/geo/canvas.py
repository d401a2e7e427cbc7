"""A map drawn in a grid of terminal character cells, with Unicode braille dots.

Each cell shows a braille character, a 2 × 4 grid of dots, so a canvas of W × H cells
has 2W × 4H dots. Terminal cells are about twice as tall as wide, so a dot is about
square. Longitude and latitude are projected with an equirectangular projection
centred on the frame, with longitudes shrunk by cos(latitude of the centre) so that
shapes keep their proportions at that latitude.

The canvas has a main frame (metropolitan France at first, then wherever the user pans
and zooms) and, as on French statistical maps, one small fixed box per overseas
département, stacked on the left. Outlines and points are dots. The choropleth is a
class index per cell: the class of the département that contains the cell's centre.
The caller colours cells; nothing here knows about Textual or colours.

Outlines are read from the shipped GeoJSON with :mod:`json`, so drawing needs neither
geopandas nor shapely. Counts per département come from the caller, which computes them
with the spatial join of :mod:`datami_py.geo.departements`.
"""

from __future__ import annotations

import functools
import json
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from datami_py.geo.departements import OUTLINES_FILE
from datami_py.geo.render import METROPOLE_EXTENT, OVERSEAS

BRAILLE_BLANK = 0x2800
# Bit of the braille dot at [dot row][dot column] of a cell (Unicode numbers the dots
# 1, 2, 3, 7 down the left column and 4, 5, 6, 8 down the right one).
DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
DOTS_ACROSS = 2
DOTS_DOWN = 4

# The inset column takes at most this share of the canvas width, and insets are left out
# of canvases smaller than the minimum (they would be too small to read).
INSET_WIDTH = 16
INSET_MAX_SHARE = 0.2
INSET_MIN_CANVAS = (50, 20)
# Margin around an overseas département in its inset, as a share of its size.
INSET_PADDING = 0.1
# Projected outlines and fills kept for this many frames, so that panning back and forth
# or redrawing points on the same frame costs no outline work.
FRAME_CACHE_SIZE = 32


@dataclass(frozen=True)
class Outline:
    """One département: INSEE code, name, and its rings as (n, 2) arrays of longitude, latitude."""

    code: str
    name: str
    rings: tuple[np.ndarray, ...]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min longitude, min latitude, max longitude, max latitude) of every ring."""
        stacked = np.concatenate(self.rings)
        return float(stacked[:, 0].min()), float(stacked[:, 1].min()), float(stacked[:, 0].max()), float(stacked[:, 1].max())


@functools.cache
def load_outlines() -> tuple[Outline, ...]:
    """Return the shipped département outlines (``data/departements.geojson``), sorted by code."""
    source = resources.files("datami_py.geo").joinpath("data", OUTLINES_FILE)
    collection = json.loads(source.read_text(encoding="utf-8"))
    outlines = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = tuple(np.asarray(ring, dtype=float)[:, :2] for polygon in polygons for ring in polygon)
        properties = feature["properties"]
        outlines.append(Outline(str(properties["code"]), str(properties["nom"]), rings))
    return tuple(sorted(outlines, key=lambda outline: outline.code))


@dataclass(frozen=True)
class Box:
    """A rectangle of cells: left column, top line, width and height in cells."""

    left: int
    top: int
    width: int
    height: int

    def contains(self, column: int, line: int) -> bool:
        """Tell whether the cell at (column, line) is inside the box."""
        return self.left <= column < self.left + self.width and self.top <= line < self.top + self.height

    def dot_limits(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the box in dots, right and bottom exclusive."""
        return (
            self.left * DOTS_ACROSS,
            self.top * DOTS_DOWN,
            (self.left + self.width) * DOTS_ACROSS,
            (self.top + self.height) * DOTS_DOWN,
        )


@dataclass(frozen=True)
class Frame:
    """An equirectangular projection of longitude and latitude onto the dots of a box.

    ``scale`` is in dots per degree of latitude; a degree of longitude is ``scale`` times
    the cosine of ``latitude`` (the centre's).
    """

    box: Box
    longitude: float
    latitude: float
    scale: float

    @property
    def x_scale(self) -> float:
        """Dots per degree of longitude."""
        return self.scale * math.cos(math.radians(self.latitude))

    def to_dots(self, longitudes: np.ndarray, latitudes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project degrees to dot coordinates of the canvas (x to the right, y down)."""
        left, top, right, bottom = self.box.dot_limits()
        x = (left + right) / 2 + (np.asarray(longitudes, dtype=float) - self.longitude) * self.x_scale
        y = (top + bottom) / 2 - (np.asarray(latitudes, dtype=float) - self.latitude) * self.scale
        return x, y

    def to_degrees(self, x: float, y: float) -> tuple[float, float]:
        """Return the (longitude, latitude) at dot (x, y) of the canvas."""
        left, top, right, bottom = self.box.dot_limits()
        return self.longitude + (x - (left + right) / 2) / self.x_scale, self.latitude - (y - (top + bottom) / 2) / self.scale

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the mask of dots that fall inside the box."""
        left, top, right, bottom = self.box.dot_limits()
        return (x >= left) & (x < right) & (y >= top) & (y < bottom)

    @classmethod
    def fit(cls, box: Box, extent: tuple[float, float, float, float], centre: tuple[float, float] | None = None) -> Frame:
        """Return the largest frame on ``box`` that shows all of ``extent``, centred on ``centre``
        (longitude, latitude) when given, else on the middle of the extent."""
        west, south, east, north = extent
        longitude, latitude = centre if centre is not None else ((west + east) / 2, (south + north) / 2)
        cosine = math.cos(math.radians(latitude))
        half_width = max(abs(east - longitude), abs(longitude - west), 1e-9) * cosine
        half_height = max(abs(north - latitude), abs(latitude - south), 1e-9)
        scale = min(box.width * DOTS_ACROSS / 2 / half_width, box.height * DOTS_DOWN / 2 / half_height)
        return cls(box, longitude, latitude, scale)


@dataclass(frozen=True)
class Inset:
    """The fixed box of one overseas département: ``box`` with its border, ``frame`` inside it."""

    code: str
    name: str
    box: Box
    frame: Frame


@dataclass(frozen=True)
class Layout:
    """The boxes of the main frame and of the insets on a canvas of ``width`` × ``height`` cells."""

    width: int
    height: int
    main: Box
    insets: tuple[Inset, ...]


def make_layout(width: int, height: int, with_insets: bool = True) -> Layout:
    """Split a canvas into the inset column (left) and the main box (the rest).

    Insets are left out when ``with_insets`` is false or the canvas is smaller than
    :data:`INSET_MIN_CANVAS`.
    """
    width, height = max(width, 1), max(height, 1)
    if not with_insets or width < INSET_MIN_CANVAS[0] or height < INSET_MIN_CANVAS[1]:
        return Layout(width, height, Box(0, 0, width, height), ())

    by_code = {outline.code: outline for outline in load_outlines()}
    column = min(INSET_WIDTH, int(width * INSET_MAX_SHARE))
    box_height = height // len(OVERSEAS)
    insets = []
    for index, code in enumerate(OVERSEAS):
        outline = by_code[code]
        box = Box(0, index * box_height, column, box_height)
        inner = Box(box.left + 1, box.top + 1, box.width - 2, box.height - 2)
        insets.append(Inset(code, outline.name, box, Frame.fit(inner, _padded(outline.bounds, INSET_PADDING))))
    return Layout(width, height, Box(column, 0, width - column, height), tuple(insets))


def _padded(bounds: tuple[float, float, float, float], ratio: float) -> tuple[float, float, float, float]:
    west, south, east, north = bounds
    pad = max(east - west, north - south) * ratio
    return west - pad, south - pad, east + pad, north + pad


@dataclass
class Picture:
    """One drawing of the canvas, as arrays of ``height`` × ``width`` cells.

    ``outline_bits`` and ``point_bits`` are braille dot bits; ``fill`` is the choropleth
    class of each cell (-1 for none); ``departement`` is the index in
    :func:`load_outlines` of the département under each cell (-1 for none);
    ``overlay`` contains the inset borders and titles (empty string where there is none).
    The point arrays list every point drawn, with its row and its cell.
    """

    layout: Layout
    outline_bits: np.ndarray
    point_bits: np.ndarray
    fill: np.ndarray
    departement: np.ndarray
    overlay: np.ndarray
    point_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    point_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    point_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    point_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    point_y: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def lines(self) -> list[str]:
        """Return the picture as text, one string per line of cells."""
        bits = self.outline_bits | self.point_bits
        codes = np.where(bits > 0, BRAILLE_BLANK + bits.astype(np.int64), 0x20)
        result = []
        for line in range(self.layout.height):
            characters = [chr(value) for value in codes[line]]
            for column in np.flatnonzero(self.overlay[line] != ""):
                characters[column] = str(self.overlay[line, column])
            result.append("".join(characters))
        return result

    def rows_near(self, column: int, line: int, radius: int = 1) -> list[int]:
        """Return the rows drawn within ``radius`` cells of (column, line), nearest first, then by row.

        A row drawn twice (in the main frame and in an inset) is listed once.
        """
        near = (np.abs(self.point_columns - column) <= radius) & (np.abs(self.point_lines - line) <= radius)
        if not near.any():
            return []
        centre_x = column * DOTS_ACROSS + DOTS_ACROSS / 2
        centre_y = line * DOTS_DOWN + DOTS_DOWN / 2
        distances = np.hypot(self.point_x[near] - centre_x, self.point_y[near] - centre_y)
        rows = self.point_rows[near]
        order = np.lexsort((rows, distances))
        return list(dict.fromkeys(int(row) for row in rows[order]))

    def cell_of_row(self, row: int) -> tuple[int, int] | None:
        """Return the (column, line) where ``row`` is drawn (its first place), None when it is not drawn."""
        found = np.flatnonzero(self.point_rows == row)
        if not len(found):
            return None
        return int(self.point_columns[found[0]]), int(self.point_lines[found[0]])

    def rows_in_reading_order(self) -> list[int]:
        """Return the drawn rows by line, then column, then row id, each once."""
        order = np.lexsort((self.point_rows, self.point_columns, self.point_lines))
        return list(dict.fromkeys(int(row) for row in self.point_rows[order]))

    def departement_at(self, column: int, line: int) -> Outline | None:
        """Return the département whose outline contains the centre of the cell, or None."""
        if not (0 <= line < self.layout.height and 0 <= column < self.layout.width):
            return None
        index = int(self.departement[line, column])
        return load_outlines()[index] if index >= 0 else None


class MapCanvas:
    """Draws outlines, a choropleth and points on a canvas of ``width`` × ``height`` cells.

    The projected outlines, their dots and the département of every cell are cached per
    frame, so redrawing with other points or other counts on the same frame only
    projects the points.
    """

    def __init__(self, width: int, height: int, with_insets: bool = True) -> None:
        self.layout = make_layout(width, height, with_insets)
        self.outlines = load_outlines()
        self._edges = _edge_table(self.outlines)
        self._cache: OrderedDict[Frame, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def height(self) -> int:
        return self.layout.height

    def home_frame(self, centre: tuple[float, float] | None = None) -> Frame:
        """Return the main frame that shows all of metropolitan France, centred on ``centre`` when given."""
        return Frame.fit(self.layout.main, METROPOLE_EXTENT, centre)

    def draw(
        self,
        frame: Frame,
        longitudes: np.ndarray,
        latitudes: np.ndarray,
        rows: np.ndarray,
        fill_classes: dict[str, int] | None = None,
        show_points: bool = True,
    ) -> Picture:
        """Draw outlines, the choropleth and points on the main ``frame`` and on the insets.

        ``longitudes``, ``latitudes`` and ``rows`` are arrays of the same length, one entry
        per point. ``fill_classes`` maps a département code to its class index; a
        département missing from it is not filled, and None draws no choropleth.
        """
        layout = self.layout
        shape = (layout.height, layout.width)
        picture = Picture(
            layout,
            outline_bits=np.zeros(shape, dtype=np.uint8),
            point_bits=np.zeros(shape, dtype=np.uint8),
            fill=np.full(shape, -1, dtype=np.int16),
            departement=np.full(shape, -1, dtype=np.int16),
            overlay=np.full(shape, "", dtype="<U1"),
        )
        frames = [frame] + [inset.frame for inset in layout.insets]
        for each in frames:
            bits, departements = self._outline_layer(each)
            picture.outline_bits |= bits
            inside = departements >= 0
            picture.departement[inside] = departements[inside]

        if fill_classes is not None:
            by_index = np.array([fill_classes.get(outline.code, -1) for outline in self.outlines] + [-1], dtype=np.int16)
            picture.fill = by_index[picture.departement]  # index -1 picks the trailing -1

        if show_points:
            self._draw_points(picture, frames, np.asarray(longitudes, dtype=float), np.asarray(latitudes, dtype=float), np.asarray(rows))
        for inset in layout.insets:
            _draw_border(picture.overlay, inset.box, f"{inset.code} {inset.name}")
        return picture

    # Outlines

    def _outline_layer(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """Return (outline dot bits, département index per cell) of ``frame``, from the cache when drawn before."""
        cached = self._cache.get(frame)
        if cached is not None:
            self._cache.move_to_end(frame)
            return cached

        x0, y0 = frame.to_dots(self._edges.x0, self._edges.y0)
        x1, y1 = frame.to_dots(self._edges.x1, self._edges.y1)
        bits = np.zeros((self.layout.height, self.layout.width), dtype=np.uint8)
        sample_x, sample_y = _segment_dots(x0, y0, x1, y1, frame.box)
        _set_dots(bits, sample_x, sample_y)
        departements = self._departement_cells(frame, x0, y0, x1, y1)

        self._cache[frame] = (bits, departements)
        if len(self._cache) > FRAME_CACHE_SIZE:
            self._cache.popitem(last=False)
        return bits, departements

    def _departement_cells(self, frame: Frame, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
        """Return the index of the département containing each cell centre of the frame's box, -1 elsewhere.

        A cell centre is inside an outline when a ray from it to the right crosses the
        outline's edges an odd number of times (even-odd rule, so holes stay empty).
        A département that contains no cell centre (Paris on the home frame is smaller
        than a cell) takes the cell at the middle of its bounding box, so that its class
        still shows.
        """
        result = np.full((self.layout.height, self.layout.width), -1, dtype=np.int16)
        left, top, right, bottom = frame.box.dot_limits()
        edges = self._edges
        small: list[tuple[int, float, float]] = []
        for index, (start, end) in enumerate(edges.spans):
            ex0, ey0, ex1, ey1 = x0[start:end], y0[start:end], x1[start:end], y1[start:end]
            low_x, high_x = max(min(ex0.min(), ex1.min()), left), min(max(ex0.max(), ex1.max()), right)
            low_y, high_y = max(min(ey0.min(), ey1.min()), top), min(max(ey0.max(), ey1.max()), bottom)
            if low_x >= high_x or low_y >= high_y:
                continue
            columns = np.arange(math.ceil((low_x - 1) / DOTS_ACROSS), math.floor((high_x - 1) / DOTS_ACROSS) + 1)
            lines = np.arange(math.ceil((low_y - 2) / DOTS_DOWN), math.floor((high_y - 2) / DOTS_DOWN) + 1)
            if not len(columns) or not len(lines):
                small.append((index, (low_x + high_x) / 2, (low_y + high_y) / 2))
                continue
            grid_columns, grid_lines = np.meshgrid(columns, lines)
            centre_x = (grid_columns * DOTS_ACROSS + 1).ravel()[:, None]
            centre_y = (grid_lines * DOTS_DOWN + 2).ravel()[:, None]
            crosses = (ey0 > centre_y) != (ey1 > centre_y)
            with np.errstate(divide="ignore", invalid="ignore"):
                crossing_x = ex0 + (centre_y - ey0) * (ex1 - ex0) / (ey1 - ey0)
            inside = (np.count_nonzero(crosses & (centre_x < crossing_x), axis=1) % 2).astype(bool)
            if not inside.any():
                small.append((index, (low_x + high_x) / 2, (low_y + high_y) / 2))
                continue
            result[grid_lines.ravel()[inside], grid_columns.ravel()[inside]] = index

        for index, middle_x, middle_y in small:
            result[int(middle_y // DOTS_DOWN), int(middle_x // DOTS_ACROSS)] = index
        return result

    # Points

    def _draw_points(self, picture: Picture, frames: list[Frame], longitudes: np.ndarray, latitudes: np.ndarray, rows: np.ndarray) -> None:
        found_rows, found_x, found_y = [], [], []
        for frame in frames:
            x, y = frame.to_dots(longitudes, latitudes)
            inside = frame.inside(x, y)
            found_rows.append(rows[inside])
            found_x.append(x[inside])
            found_y.append(y[inside])
        picture.point_rows = np.concatenate(found_rows).astype(np.int64)
        picture.point_x = np.concatenate(found_x)
        picture.point_y = np.concatenate(found_y)
        picture.point_columns = np.floor(picture.point_x / DOTS_ACROSS).astype(np.int64)
        picture.point_lines = np.floor(picture.point_y / DOTS_DOWN).astype(np.int64)
        _set_dots(picture.point_bits, picture.point_x, picture.point_y)


@dataclass(frozen=True)
class _Edges:
    """Every outline edge as arrays of start and end degrees; ``spans[i]`` are the edges of outline i."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    spans: tuple[tuple[int, int], ...]


def _edge_table(outlines: tuple[Outline, ...]) -> _Edges:
    starts, ends, spans = [], [], []
    count = 0
    for outline in outlines:
        first = count
        for ring in outline.rings:
            # GeoJSON rings repeat their first position at the end, so consecutive pairs close the ring.
            starts.append(ring[:-1])
            ends.append(ring[1:])
            count += len(ring) - 1
        spans.append((first, count))
    start, end = np.concatenate(starts), np.concatenate(ends)
    return _Edges(start[:, 0], start[:, 1], end[:, 0], end[:, 1], tuple(spans))


def _segment_dots(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Return dots along each segment, clipped to ``box`` first so that a deep zoom samples only what shows.

    Clipping is Liang–Barsky's, on every segment at once.
    """
    left, top, right, bottom = box.dot_limits()
    right, bottom = right - 1e-6, bottom - 1e-6
    dx, dy = x1 - x0, y1 - y0
    start = np.zeros_like(x0)
    end = np.ones_like(x0)
    keep = np.ones(len(x0), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
            ratio = q / p
            keep &= ~((p == 0) & (q < 0))
            start = np.where(p < 0, np.maximum(start, ratio), start)
            end = np.where(p > 0, np.minimum(end, ratio), end)
    keep &= start <= end
    x0, y0, dx, dy, start, end = x0[keep], y0[keep], dx[keep], dy[keep], start[keep], end[keep]

    # One sample per dot of the longer side, at least two (both ends).
    lengths = np.maximum(np.abs(dx), np.abs(dy)) * (end - start)
    samples = np.ceil(lengths).astype(np.int64) + 1
    firsts = np.cumsum(samples) - samples
    segment = np.repeat(np.arange(len(samples)), samples)
    step = np.arange(int(samples.sum())) - firsts[segment]
    t = start[segment] + (end - start)[segment] * step / np.maximum(samples[segment] - 1, 1)
    return x0[segment] + dx[segment] * t, y0[segment] + dy[segment] * t


def _set_dots(bits: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
    """Turn on the dots at canvas dot coordinates (x, y); dots off the canvas are ignored."""
    height, width = bits.shape
    dot_x = np.floor(x).astype(np.int64)
    dot_y = np.floor(y).astype(np.int64)
    inside = (dot_x >= 0) & (dot_x < width * DOTS_ACROSS) & (dot_y >= 0) & (dot_y < height * DOTS_DOWN)
    dot_x, dot_y = dot_x[inside], dot_y[inside]
    np.bitwise_or.at(bits, (dot_y // DOTS_DOWN, dot_x // DOTS_ACROSS), DOT_BITS[dot_y % DOTS_DOWN, dot_x % DOTS_ACROSS])


def _draw_border(overlay: np.ndarray, box: Box, title: str) -> None:
    """Draw a thin frame around ``box`` with ``title`` in its top edge, clearing nothing inside."""
    right, bottom = box.left + box.width - 1, box.top + box.height - 1
    overlay[box.top, box.left + 1 : right] = "─"
    overlay[bottom, box.left + 1 : right] = "─"
    overlay[box.top + 1 : bottom, box.left] = "│"
    overlay[box.top + 1 : bottom, right] = "│"
    overlay[box.top, box.left], overlay[box.top, right] = "┌", "┐"
    overlay[bottom, box.left], overlay[bottom, right] = "└", "┘"
    for offset, character in enumerate(title[: max(box.width - 2, 0)]):
        overlay[box.top, box.left + 1 + offset] = character
