"""Time the terminal map: drawing 100,000 points in braille cells, and one render of the map widget.

Figures, each the median of ``--repeat`` runs unless stated otherwise:

- canvas, cold: a new :class:`MapCanvas` (outlines projected, dotted and rasterised for
  the frame) drawing every point on the home frame, as on the first press of ``m``;
- canvas, warm: the same frame again, outlines from the cache, as after a search;
- canvas, zoomed: a new frame 3 levels closer (every outline projected again);
- widget: the :class:`TerminalMap` widget of a headless app at the test size (120 × 40)
  turning the drawing into styled lines after ``set_points``;
- rows placed: :meth:`MapRows.compute` on the generated table (reading positions and
  the geopandas spatial join, done once per table version in a worker), and
  :meth:`MapRows.subset` (what each keystroke of a search costs).

Input: a package of ``--rows`` rows (100,000 by default) written once under
``benchmarks/out/map-<rows>/``. Each point is drawn uniformly in the bounding box of a
département taken at random, overseas ones included, with a fixed seed.

Usage: python benchmarks/bench_map.py [--rows 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import numpy as np

from datami_py.geo.canvas import MapCanvas, load_outlines
from datami_py.geo.layers import MapRows, fill_classes
from datami_py.geo.viewpoint import MapViewSettings, frame_of, home_viewpoint, zoomed
from datami_py.session import Session

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
SEED = 2025
CANVAS_SIZE = (82, 34)  # the map's part of a 120 × 40 terminal, beside the side panel


def make_points(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``rows`` seeded positions, each uniform in the bounding box of a random département."""
    generator = np.random.default_rng(SEED)
    bounds = np.array([outline.bounds for outline in load_outlines()])
    chosen = bounds[generator.integers(0, len(bounds), rows)]
    longitudes = generator.uniform(chosen[:, 0], chosen[:, 2])
    latitudes = generator.uniform(chosen[:, 1], chosen[:, 3])
    return longitudes, latitudes


def write_package(rows: int) -> Path:
    """Write a package of ``rows`` rows (id, name, latitude, longitude) once and return its folder."""
    folder = OUT / f"map-{rows}"
    csv_path = folder / "lieux.csv"
    if csv_path.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    longitudes, latitudes = make_points(rows)
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,nom,latitude,longitude\n")
        for index, (longitude, latitude) in enumerate(zip(longitudes, latitudes), start=1):
            handle.write(f"{index},Lieu n°{index},{latitude:.5f},{longitude:.5f}\n")
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "nom", "type": "string"},
            {"name": "latitude", "type": "number"},
            {"name": "longitude", "type": "number"},
        ],
        "primaryKey": ["id"],
    }
    resource = {"name": "lieux", "path": "lieux.csv", "format": "csv", "encoding": "utf-8", "schema": schema}
    (folder / "datapackage.json").write_text(json.dumps({"name": f"map-{rows}", "resources": [resource]}), encoding="utf-8")
    return folder


def timed(action, repeat: int) -> float:
    """Return the median time of ``action()`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_canvas(longitudes: np.ndarray, latitudes: np.ndarray, settings: MapViewSettings, repeat: int) -> dict[str, float]:
    rows = np.arange(len(longitudes))
    classes = fill_classes({}, settings.stops)
    width, height = CANVAS_SIZE

    def cold() -> None:
        canvas = MapCanvas(width, height)
        canvas.draw(frame_of(canvas, settings, home_viewpoint(canvas, settings)), longitudes, latitudes, rows, classes)

    canvas = MapCanvas(width, height)
    home = home_viewpoint(canvas, settings)
    frame = frame_of(canvas, settings, home)
    canvas.draw(frame, longitudes, latitudes, rows, classes)

    def zoomed_cold() -> None:
        fresh = MapCanvas(width, height)
        fresh.draw(frame_of(fresh, settings, zoomed(settings, home, 6)), longitudes, latitudes, rows, classes)

    return {
        "canvas_cold_s": timed(cold, repeat),
        "canvas_warm_s": timed(lambda: canvas.draw(frame, longitudes, latitudes, rows, classes), repeat),
        "canvas_zoomed_s": timed(zoomed_cold, repeat),
    }


def bench_widget(longitudes: np.ndarray, latitudes: np.ndarray, settings: MapViewSettings, repeat: int) -> dict[str, float]:
    from textual.app import App, ComposeResult

    from datami_py.ui.widgets.terminal_map import TerminalMap

    figures: dict[str, float] = {}
    rows = np.arange(len(longitudes))
    classes = fill_classes({}, settings.stops)

    class MapApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TerminalMap(settings)

    async def run() -> None:
        app = MapApp()
        async with app.run_test(size=(CANVAS_SIZE[0], CANVAS_SIZE[1])) as pilot:
            await pilot.pause()
            terminal_map = app.query_one(TerminalMap)

            def render() -> None:
                terminal_map.set_points(longitudes, latitudes, rows, classes)
                for line in range(terminal_map.size.height):
                    terminal_map.render_line(line)

            figures["widget_render_s"] = timed(render, repeat)
            started = time.perf_counter()
            terminal_map.set_points(longitudes, latitudes, rows, classes)
            await pilot.pause()
            figures["widget_refresh_s"] = time.perf_counter() - started

    asyncio.run(run())
    return figures


def bench_rows(folder: Path, repeat: int) -> dict[str, float]:
    opened = Session.open(folder).open_table()
    table, settings = opened.table, opened.resource.settings
    started = time.perf_counter()
    map_rows = MapRows.compute(table, settings)
    computed = time.perf_counter() - started
    half = table.row_ids[::2]
    return {
        "rows_compute_s": computed,
        "rows_subset_half_s": timed(lambda: map_rows.subset(half), repeat),
        "placed": float(len(map_rows.rows)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="number of points (default 100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the median is printed (default 5)")
    arguments = parser.parse_args()

    package = ROOT / "datapackage.json"
    settings = MapViewSettings.from_settings(Session.open(package.parent).open_table().resource.settings)
    longitudes, latitudes = make_points(arguments.rows)

    figures = {"points": arguments.rows}
    figures.update(bench_canvas(longitudes, latitudes, settings, arguments.repeat))
    figures.update(bench_widget(longitudes, latitudes, settings, arguments.repeat))
    figures.update(bench_rows(write_package(arguments.rows), arguments.repeat))
    for name, value in figures.items():
        print(f"{name:>22}: {value:.4f}" if isinstance(value, float) and name.endswith("_s") else f"{name:>22}: {value:.0f}")


if __name__ == "__main__":
    main()
