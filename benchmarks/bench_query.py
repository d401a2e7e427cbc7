"""Time finding rows (datami_py.table.query) on the synthetic packages written by make_data.py.

The synthetic schemas have no code vocabulary and the packages no filters, so the table
gets the real package's ``categories`` for the three CODE fields and its three filters
from ``x-datami``. Each package runs in its own child process, so that peak memory
(``ru_maxrss``) and caches do not carry over. For every package:

- ``prepare``: the first-time cache build of every column (distinct texts, folded texts);
- ``search``: a word typed letter by letter, each keystroke timed, then queries typed at
  once (pasted), each timed on its first run and again once remembered;
- ``filters``: what a UI needs when a filter changes: apply the chosen values, then
  count the options of every filter on the rows kept;
- ``sort``: by a text, a number and a postcode column, first and second time, both directions;
- ``edits``: 1,000 edited cells and 10 added rows, then a search and a filter change.

Usage: python benchmarks/bench_query.py [--packages NAME ...] [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
OUT = BENCHMARKS / "out"
CODE_FIELDS = ("CODE PORTEUR DE PROJET", "CODE DEMARCHE", "CODE THEMATIQUE")
TYPED_WORD = "budget"
PASTED_QUERIES = ("saint-étienne", "ÉVRY", "evry-courcouronnes", "participation citoyenne", "2.43", "91000", "zzzz", "e")
SORT_FIELDS = ("TITRE DU PROJET", "BAN_latitude", "CODE_POSTAL")


def load_table(package: Path) -> tuple[Any, list[Any]]:
    """Return the package's table with the real package's code fields, and the real filter specs."""
    from datami_py.csvfile import CsvDocument
    from datami_py.table import Table
    from datami_py.table.query import filter_specs

    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    resource_descriptor = descriptor["resources"][0]
    schema = json.loads((package / resource_descriptor["schema"]).read_text(encoding="utf-8"))

    real_schema = json.loads((REPOSITORY / "schemas" / "decider-ensemble-ressources.json").read_text(encoding="utf-8"))
    real_fields = {field["name"]: field for field in real_schema["fields"]}
    for field in schema["fields"]:
        if field["name"] in CODE_FIELDS:
            source = real_fields[field["name"]]
            field.update({key: source[key] for key in ("type", "delimiter", "itemType", "categories")})
            field.pop("constraints", None)

    data = (package / resource_descriptor["path"]).read_bytes()
    document = CsvDocument.parse(data, encoding="utf-8", delimiter=",")
    real_settings = json.loads((REPOSITORY / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["x-datami"]
    return Table(document, schema, name=resource_descriptor["name"]), filter_specs(real_settings)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def repeated(action: Callable[[], Any], repeat: int) -> dict[str, float]:
    """Return the min and median time of ``repeat`` runs, in milliseconds."""
    times = [timed(action)[0] * 1000 for _ in range(repeat)]
    return {"min_ms": round(min(times), 1), "median_ms": round(statistics.median(times), 1)}


def measure_search(table: Any, repeat: int) -> dict[str, Any]:
    from datami_py.table.query import search

    typed = []
    for length in range(1, len(TYPED_WORD) + 1):
        seconds, rows = timed(lambda: search(table, TYPED_WORD[:length]))
        typed.append({"query": TYPED_WORD[:length], "ms": round(seconds * 1000, 1), "rows": len(rows)})

    pasted = []
    for text in PASTED_QUERIES:
        seconds, rows = timed(lambda: search(table, text))
        pasted.append({"query": text, "first_ms": round(seconds * 1000, 1), "rows": len(rows), **repeated(lambda: search(table, text), repeat)})
    return {"typed": typed, "pasted": pasted}


def filter_change(table: Any, specs: list[Any], active: dict[str, set[str]]) -> int:
    """Apply the chosen values and recount every filter's options on the kept rows, as a UI would."""
    from datami_py.table.query import apply_filters, filter_options

    rows = apply_filters(table, active, specs)
    for spec in specs:
        filter_options(table, spec, rows)
    return len(rows)


def measure_filters(table: Any, specs: list[Any], repeat: int) -> list[dict[str, Any]]:
    choices = [
        {},
        {"CODE DEMARCHE": {"BP"}},
        {"CODE DEMARCHE": {"BP", "PN"}},
        {"CODE DEMARCHE": {"DC", "PN"}, "CODE THEMATIQUE": {"SAN"}},
    ]
    results = []
    for active in choices:
        seconds, count = timed(lambda: filter_change(table, specs, active))
        results.append({"active": {name: sorted(values) for name, values in active.items()}, "rows": count, "first_ms": round(seconds * 1000, 1), **repeated(lambda: filter_change(table, specs, active), repeat)})
    return results


def measure_sort(table: Any, repeat: int) -> list[dict[str, Any]]:
    from datami_py.table.query import sort_rows

    results = []
    rows = table.row_ids
    for name in SORT_FIELDS:
        for descending in (False, True):
            seconds, _ = timed(lambda: sort_rows(table, rows, name, descending))
            results.append({"field": name, "descending": descending, "first_ms": round(seconds * 1000, 1), **repeated(lambda: sort_rows(table, rows, name, descending), repeat)})
    return results


def measure_edits(table: Any, specs: list[Any], repeat: int) -> dict[str, Any]:
    from datami_py.table.query import search

    step = max(1, len(table.row_ids) // 1000)
    for row in list(table.row_ids)[::step][:1000]:
        table.set_cell(row, "COMMUNE", "Saint-Étienne-du-Rouvray")
    for number in range(10):
        table.add_row({"TITRE DU PROJET": f"Budget participatif ajouté {number}", "CODE DEMARCHE": "BP"})
    return {
        "search_etienne": repeated(lambda: search(table, "étienne"), repeat),
        "filter_bp": repeated(lambda: filter_change(table, specs, {"CODE DEMARCHE": {"BP"}}), repeat),
    }


def run_package(name: str, repeat: int) -> dict[str, Any]:
    """Run every measure on package ``name`` in this process."""
    from datami_py.table.query import prepare

    seconds_load, (table, specs) = timed(lambda: load_table(OUT / name))
    seconds_prepare, _ = timed(lambda: prepare(table))
    result = {
        "package": name,
        "rows": len(table.row_ids),
        "load_s": round(seconds_load, 2),
        "prepare_s": round(seconds_prepare, 2),
        "search": measure_search(table, repeat),
        "filters": measure_filters(table, specs, repeat),
        "sort": measure_sort(table, repeat),
        "edits": measure_edits(table, specs, repeat),
    }
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["load_average"] = [round(value, 2) for value in os.getloadavg()]
    return result


def print_result(result: dict[str, Any]) -> None:
    print(f"\n## {result['package']}: {result['rows']:,} rows, load {result['load_s']} s, prepare {result['prepare_s']} s, peak RSS {result['peak_rss_mib']} MiB, load average after {result['load_average']}")
    print("typed, per keystroke: " + ", ".join(f"{item['query']} {item['ms']} ms ({item['rows']:,})" for item in result["search"]["typed"]))
    print("| pasted query | rows | first ms | remembered min / median ms |")
    print("| --- | --- | --- | --- |")
    for item in result["search"]["pasted"]:
        print(f"| {item['query']} | {item['rows']:,} | {item['first_ms']} | {item['min_ms']} / {item['median_ms']} |")
    print("| filter change | rows | first ms | min / median ms |")
    print("| --- | --- | --- | --- |")
    for item in result["filters"]:
        print(f"| {item['active'] or 'none'} | {item['rows']:,} | {item['first_ms']} | {item['min_ms']} / {item['median_ms']} |")
    print("| sort | first ms | min / median ms |")
    print("| --- | --- | --- |")
    for item in result["sort"]:
        direction = "descending" if item["descending"] else "ascending"
        print(f"| {item['field']} {direction} | {item['first_ms']} | {item['min_ms']} / {item['median_ms']} |")
    edits = result["edits"]
    print(f"with 1,000 edited cells and 10 added rows: search {edits['search_etienne']}, filter change {edits['filter_bp']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", nargs="+", default=["rows-100k"], help="package folders under benchmarks/out/ (default: rows-100k)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timed operation after the first (default: 5)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.child:
        print(json.dumps(run_package(arguments.child, arguments.repeat)))
        return

    import pyarrow

    print(f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, pyarrow {pyarrow.__version__}")
    results = []
    for name in arguments.packages:
        if not (OUT / name / "datapackage.json").is_file():
            sys.exit(f"Package {OUT / name} not found: run benchmarks/make_data.py --only {name} first.")
        command = [sys.executable, __file__, "--child", name, "--repeat", str(arguments.repeat)]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            sys.exit(f"The {name} run failed:\n{completed.stderr}")
        result = json.loads(completed.stdout.splitlines()[-1])
        print_result(result)
        results.append(result)

    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
