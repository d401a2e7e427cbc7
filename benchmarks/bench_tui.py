"""Time the terminal editor: first paint, memory, and search and filter per keystroke.

Figures, each measured in a child process started from this script so that interpreter
start-up and imports count:

- first paint: from spawning the child to the first screen refresh after the main
  screen is mounted, with the app running headless at 160×45;
- peak memory: the child's ``ru_maxrss`` at that moment, and again once the work started
  after the first paint (search index, validation) is done ("settled");
- the same first paint with Textual's own ``DataTable`` filled with every row, and the
  time ``vd -b`` (VisiData, when installed) takes to load the file, as ratios;
- search and filter per keystroke at 100 k rows, through the view model the UI uses.

Inputs: the repository's package, and synthetic CSVs of 100 k and 1 M rows × 10 columns
with accented French text written under ``benchmarks/out/`` (git-ignored).

Usage: python benchmarks/bench_tui.py [--rows 100000 1000000] [--skip-datatable] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"

TOWNS = ["Saint-Étienne", "Évry-Courcouronnes", "Orléans", "Besançon", "Nîmes", "Châlons-en-Champagne",
         "Béziers", "Agen", "Sète", "Montréal-la-Cluse", "Pézenas", "Lège-Cap-Ferret", "Aÿ-Champagne"]
CODES = ["DC", "PN", "BP", "IP", "DC-PN", "BP-IP"]

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "titre", "type": "string"},
        {"name": "commune", "type": "string"},
        {"name": "code_postal", "type": "string"},
        {"name": "latitude", "type": "number"},
        {"name": "longitude", "type": "number"},
        {"name": "date", "type": "date"},
        {"name": "code", "type": "list", "delimiter": "-", "categories": [{"value": code, "label": code} for code in ["DC", "PN", "BP", "IP"]]},
        {"name": "montant", "type": "number"},
        {"name": "actif", "type": "boolean"},
    ],
    "primaryKey": ["id"],
}


def write_package(rows: int) -> Path:
    """Write a 10-column package of ``rows`` rows (once) and return its folder."""
    folder = OUT / f"tui-{rows}"
    csv_path = folder / "data.csv"
    if csv_path.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    generator = random.Random(2024)
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,titre,commune,code_postal,latitude,longitude,date,code,montant,actif\n")
        for index in range(1, rows + 1):
            town = generator.choice(TOWNS)
            handle.write(
                f"{index},Démarche participative n°{index} à {town},{town},{generator.randint(1000, 97000):05d},"
                f"{generator.uniform(42.5, 50.9):.5f},{generator.uniform(-4.5, 7.9):.5f},"
                f"20{generator.randint(10, 24)}-0{generator.randint(1, 9)}-1{generator.randint(0, 9)},"
                f"{generator.choice(CODES)},{generator.randint(0, 100000)},{generator.choice(['true', 'false'])}\n"
            )
    resource = {"name": "data", "path": "data.csv", "schema": SCHEMA, "x-datami": {"filters": [{"field": "code", "operator": "OR"}]}}
    (folder / "datapackage.json").write_text(json.dumps({"name": f"tui-{rows}", "resources": [resource]}))
    return folder


FIRST_PAINT_CHILD = r"""
import json, resource, sys, time
started = float(sys.argv[1])
from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.main import MainScreen

figures = {}

def report(app):
    figures.update(first_paint=time.time() - started, peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    app.run_worker(settle(app), name="settle")

async def settle(app):
    # Peak once the background work started after the first paint (search index, validation) is done.
    import asyncio
    while any(worker.is_running for worker in app.workers if worker.name != "settle"):
        await asyncio.sleep(0.05)
    figures.update(settled=time.time() - started, settled_peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures), flush=True)
    app.exit()

original = MainScreen.on_mount
def on_mount(self):
    original(self)
    self.call_after_refresh(report, self.app)
MainScreen.on_mount = on_mount
DatamiApp(sys.argv[2], "en").run(headless=True, size=(160, 45))
"""

DATATABLE_CHILD = r"""
import json, resource, sys, time
started = float(sys.argv[1])
from textual.app import App
from textual.widgets import DataTable
from datami_py.csvfile import CsvDocument
from pathlib import Path

class Plain(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        document = CsvDocument.read(Path(sys.argv[2]))
        table = self.query_one(DataTable)
        table.add_columns(*document.header)
        table.add_rows(document.cells.record(index) for index in range(document.record_count))
        self.call_after_refresh(self.report)
    def report(self):
        print(json.dumps({"first_paint": time.time() - started, "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
        self.exit()
Plain().run(headless=True, size=(160, 45))
"""


def run_child(code: str, target: Path, timeout: float) -> dict:
    started = time.time()
    try:
        completed = subprocess.run([sys.executable, "-c", code, repr(started), str(target)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in completed.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    return {"error": (completed.stderr or completed.stdout)[-300:]}


def visidata_load(csv_path: Path, timeout: float) -> dict:
    vd = shutil.which("vd") or str(Path(sys.executable).parent / "vd")
    if not Path(vd).exists():
        return {"error": "VisiData is not installed (pip install visidata)"}
    started = time.time()
    try:
        subprocess.run([vd, "-b", "-f", "csv", str(csv_path)], capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    return {"load": time.time() - started}


def keystrokes(folder: Path) -> dict:
    """Time search (typing a word letter by letter) and a filter change through the view model."""
    sys.path.insert(0, str(ROOT))
    from datami_py.session import Session
    from datami_py.table import query
    from datami_py.views import TableView

    session = Session.open(folder)
    opened = session.open_table()
    view = TableView(opened.table, opened.resource.settings)
    query.prepare(opened.table)

    typing = []
    for end in range(1, len("étienne") + 1):
        started = time.perf_counter()
        view.set_query("étienne"[:end])
        typing.append(round((time.perf_counter() - started) * 1000, 1))

    started = time.perf_counter()
    view.toggle_filter("code", "BP")
    filtering = round((time.perf_counter() - started) * 1000, 1)
    return {"typing_ms": typing, "filter_ms": filtering, "rows_after": len(view.rows)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000], help="synthetic table sizes")
    parser.add_argument("--skip-datatable", action="store_true", help="do not measure Textual's DataTable")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a child is stopped (default 300)")
    arguments = parser.parse_args()

    results: dict[str, dict] = {"real": {"datami": run_child(FIRST_PAINT_CHILD, ROOT, arguments.timeout)}}
    print("real package:", results["real"], flush=True)
    for rows in arguments.rows:
        folder = write_package(rows)
        size_mb = (folder / "data.csv").stat().st_size / 1e6
        figures = {"size_mb": round(size_mb, 1), "datami": run_child(FIRST_PAINT_CHILD, folder, arguments.timeout)}
        if not arguments.skip_datatable:
            figures["datatable"] = run_child(DATATABLE_CHILD, folder / "data.csv", arguments.timeout)
        figures["visidata"] = visidata_load(folder / "data.csv", arguments.timeout)
        if rows <= 100_000:
            figures["keystrokes"] = keystrokes(folder)
        results[f"{rows}"] = figures
        print(f"{rows} rows:", figures, flush=True)

    (OUT / "tui.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
