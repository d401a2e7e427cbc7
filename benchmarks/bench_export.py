"""Time the map exports (GeoJSON, PNG, HTML) of a package with many positions.

Usage::

    python benchmarks/bench_export.py                  # 100,000 rows, best of 3 runs
    python benchmarks/bench_export.py --rows 1000000

The package is the one ``bench_map.py`` writes under ``benchmarks/out/map-<rows>/``:
seeded positions spread over every département. Each export runs in a fresh session so
that no table or outline cache is shared between runs; importing geopandas and
matplotlib happens once, before the first timing, and is reported apart.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_map import write_package

from datami_py.geo import export_geojson, export_html, export_png
from datami_py.session import Session

EXPORTS = {
    "geojson": lambda table, settings, path: export_geojson(table, settings, path),
    "png": lambda table, settings, path: export_png(table, settings, path, "fr"),
    "html": lambda table, settings, path: export_html(table, settings, path, "fr"),
}


def run_once(folder: Path, kind: str, target: Path) -> tuple[float, float, int]:
    """Return (seconds to open the table, seconds to export, bytes written) for one export."""
    started = time.perf_counter()
    opened = Session.open(folder).open_table(None)
    opened.table.row_ids
    loaded = time.perf_counter()

    EXPORTS[kind](opened.table, opened.resource.settings, target)
    return loaded - started, time.perf_counter() - loaded, target.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()

    folder = write_package(arguments.rows)
    started = time.perf_counter()
    import geopandas  # noqa: F401
    import matplotlib.figure  # noqa: F401
    print(f"imports (geopandas, matplotlib): {time.perf_counter() - started:.2f} s")

    with tempfile.TemporaryDirectory() as output:
        for kind in EXPORTS:
            runs = [run_once(folder, kind, Path(output) / f"map.{kind}") for _ in range(arguments.repeat)]
            load, export, size = min(runs, key=lambda run: run[1])
            print(f"{kind:8} {arguments.rows:>9,} rows: open {load:.2f} s, export {export:.2f} s "
                  f"(best of {arguments.repeat}), {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
