"""Charts laid out in terminal character cells: bar lengths, donut strips and treemap tiles.

Only the geometry is here (which cell belongs to which slice); the terminal UI colours
the cells. Counts come from :func:`datami_py.charts.chart_data`.
"""

from __future__ import annotations

import math

import numpy as np

from datami_py.charts import squarify

# Block characters from one eighth to seven eighths of a cell, for the end of a bar.
EIGHTHS = " ▏▎▍▌▋▊▉"
FULL_BLOCK = "█"


def bar_text(count: int, maximum: int, width: int) -> str:
    """Return a bar of ``count`` on a scale where ``maximum`` fills ``width`` cells, to the eighth of a cell.

    A positive count always shows at least one eighth.
    """
    if maximum <= 0 or width <= 0 or count <= 0:
        return ""
    eighths = max(round(count / maximum * width * 8), 1)
    full, rest = divmod(eighths, 8)
    return FULL_BLOCK * full + (EIGHTHS[rest] if rest else "")


def strip_widths(counts: list[int], width: int) -> list[int]:
    """Split ``width`` cells among ``counts`` in proportion, by largest remainder, so the widths add up to ``width``.

    A slice too small for a cell gets none; the legend still lists it.
    """
    total = sum(counts)
    if total <= 0 or width <= 0:
        return [0 for _count in counts]
    shares = [count * width / total for count in counts]
    widths = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(counts)), key=lambda index: (-(shares[index] - widths[index]), index))
    for index in by_remainder[: width - sum(widths)]:
        widths[index] += 1
    return widths


def treemap_cells(counts: list[int], width: int, height: int) -> np.ndarray:
    """Return a ``height`` × ``width`` array giving, for each cell, the index of its tile (-1 for none).

    Tiles come from :func:`datami_py.charts.squarify` with ``counts`` sorted by decreasing
    size. Terminal cells are about twice as tall as wide, so the layout is computed on a
    rectangle of ``width`` × 2 ``height`` units to keep tiles close to squares on screen.
    Tile edges are rounded to whole cells, so a very small tile may get no cell.
    """
    cells = np.full((max(height, 0), max(width, 0)), -1, dtype=np.int64)
    if width <= 0 or height <= 0 or sum(counts) <= 0:
        return cells
    for index, (x, y, tile_width, tile_height) in enumerate(squarify(counts, 0.0, 0.0, float(width), 2.0 * height)):
        left, right = round(x), round(x + tile_width)
        top, bottom = round(y / 2), round((y + tile_height) / 2)
        cells[top:bottom, left:right] = index
    return cells


def tile_boxes(cells: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    """Return each tile's (left, top, width, height) in cells, for the tiles present in ``cells``."""
    boxes = {}
    for index in np.unique(cells[cells >= 0]):
        lines, columns = np.nonzero(cells == index)
        boxes[int(index)] = (int(columns.min()), int(lines.min()), int(columns.max() - columns.min() + 1), int(lines.max() - lines.min() + 1))
    return boxes
