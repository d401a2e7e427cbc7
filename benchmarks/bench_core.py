"""Time and size datami-py's core operations on the packages written by make_data.py.

Each measurement runs in its own child process, so that its peak memory (``ru_maxrss``)
and its caches do not leak into the next one. For every package:

- ``load``: ``Session.open`` and ``session.table()``;
- ``validate``: ``session.validate()``, schema errors and quality warnings;
- ``validate-schema``: ``validate_table(..., quality=False)``, the schema errors only,
  which is what frictionless checks too;
- ``frictionless``: ``frictionless.validate(datapackage.json, limit_errors=0)``. The
  default stops at 1,000 errors (``settings.DEFAULT_LIMIT_ERRORS`` in frictionless 5.21)
  and 0 disables that; ``limit_rows`` is None by default, so every row is read;
- ``edit-save``: find a row near the middle of the table by its key, change one cell, save,
  then put the old text back and save again, on a scratch copy of the data file. The
  parent then checks that the first save changed exactly one line (what
  ``git diff --numstat`` counts as one insertion and one deletion) and that the second
  save restored the original bytes;
- ``identity``: open the table and render it with no edit: the bytes must be the file's.

Findings are compared as sets of ``(data row, field, frictionless error type)``.

Usage: python benchmarks/bench_core.py [--packages NAME ...] [--measures NAME ...] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
OUT = BENCHMARKS / "out"
RESULTS = OUT / "results"
SCRATCH = OUT / "scratch"
DATA_FILE = "ressources.csv"
EDITED_COPY = "ressources.edited.csv"
EDITED_FIELD = "TITRE DU PROJET"
MEASURES = ("load", "validate", "validate-schema", "frictionless", "edit-save", "identity")

# Finding codes of row-level errors and the frictionless 5.21 error types they match.
# Cell-level codes are mapped by datami_py.validation.constraints.FRICTIONLESS_TYPES.
ROW_TYPES = {
    "row.duplicate-key": "primary-key",
    "row.blank-key": "primary-key",
    "value.duplicate": "unique-error",
    "row.blank": "blank-row",
    "row.missing-cell": "missing-cell",
    "row.extra-cell": "extra-cell",
    "row.extra-cells": "extra-cell",
    "row.unclosed-quote": "extra-cell",
}
# Frictionless types whose field name is not comparable: row errors have none, and an
# extra cell has no schema field.
ROW_LEVEL = {"primary-key", "blank-row", "extra-cell"}


def _peak_memory_mb() -> float:
    """Return this process's peak resident memory in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _our_error_keys(findings: list[Any]) -> list[list[Any]]:
    from datami_py.validation.constraints import FRICTIONLESS_TYPES

    keys = []
    for finding in findings:
        if finding.severity != "error":
            continue
        error_type = FRICTIONLESS_TYPES.get(finding.code) or ROW_TYPES.get(finding.code) or f"datami:{finding.code}"
        field = None if error_type in ROW_LEVEL else finding.location.field
        keys.append([finding.location.row, field, error_type])
    return keys


# Child measurements: each returns a JSON-ready dict.


def measure_load(package: Path) -> dict[str, Any]:
    from datami_py.session import Session

    started = time.perf_counter()
    session = Session.open(package)
    table = session.table()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": table.document.record_count}


def measure_validate(package: Path, quality: bool) -> dict[str, Any]:
    from datami_py.session import Session
    from datami_py.validation.validator import validate_table

    session = Session.open(package)
    opened = session.open_table()
    started = time.perf_counter()
    if quality:
        report = session.validate()
    else:
        report = validate_table(opened.table, opened.resource.settings, quality=False)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "error_keys": _our_error_keys(report.findings),
    }


def measure_frictionless(package: Path) -> dict[str, Any]:
    import frictionless

    started = time.perf_counter()
    report = frictionless.validate(str(package / "datapackage.json"), limit_errors=0)
    seconds = time.perf_counter() - started
    keys = []
    for row_number, field, error_type in report.flatten(["rowNumber", "fieldName", "type"]):
        row = row_number - 1 if row_number is not None else None
        keys.append([row, None if error_type in ROW_LEVEL else field, error_type])
    warnings = [warning for task in report.tasks for warning in task.warnings]
    return {"seconds": seconds, "errors": len(keys), "error_keys": keys, "report_warnings": warnings, "version": frictionless.__version__}


def measure_edit_save(package: Path) -> dict[str, Any]:
    from datami_py.session import Session

    session = Session.open(package)
    table = session.table()
    # With its default --defect-every, make_data.py breaks only rows whose number is a
    # multiple of 1,000, some with a repeated key. The row after the middle is never one.
    middle = table.row_at(table.document.record_count // 2 + 1)
    key = table.key_of(middle)

    started = time.perf_counter()
    row = table.find_row(key or "")
    find_seconds = time.perf_counter() - started

    old_text = table.cell(row, EDITED_FIELD) or ""
    started = time.perf_counter()
    table.set_cell(row, EDITED_FIELD, old_text + " (version modifiée)")
    session.save()
    save_seconds = time.perf_counter() - started
    # Keep the file as this save wrote it, for the parent's line count.
    shutil.copyfile(package / DATA_FILE, package / EDITED_COPY)

    table.set_cell(row, EDITED_FIELD, old_text)
    started = time.perf_counter()
    session.save()
    restore_seconds = time.perf_counter() - started
    return {
        "seconds": save_seconds,
        "find_seconds": find_seconds,
        "restore_seconds": restore_seconds,
        "row_number": table.row_number(row),
    }


def measure_identity(package: Path) -> dict[str, Any]:
    from datami_py.session import Session

    session = Session.open(package)
    table = session.table()
    original = (package / DATA_FILE).read_bytes()
    started = time.perf_counter()
    rendered = table.render()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "identical": rendered == original,
        "save_writes": session.save() is not None,
        "bytes": len(original),
    }


def run_child(measure: str, package: Path, result_file: Path) -> None:
    """Run one measurement in this process and write its result with the peak memory.

    The 1-minute load average before and after shows whether other processes shared the
    CPUs during the measurement.
    """
    load_before = os.getloadavg()[0]
    if measure == "load":
        result = measure_load(package)
    elif measure == "validate":
        result = measure_validate(package, quality=True)
    elif measure == "validate-schema":
        result = measure_validate(package, quality=False)
    elif measure == "frictionless":
        result = measure_frictionless(package)
    elif measure == "edit-save":
        result = measure_edit_save(package)
    elif measure == "identity":
        result = measure_identity(package)
    else:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    result["peak_mb"] = _peak_memory_mb()
    result["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result_file.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


# Parent: run the children and compare.


def _scratch_copy(package: Path) -> Path:
    """Copy ``package`` to the scratch folder, so that saving never touches the generated data."""
    target = SCRATCH / package.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(package, target)
    return target


def spawn(measure: str, package: Path, timeout: float) -> dict[str, Any]:
    """Run ``measure`` on ``package`` in a child process; return its result, or an error entry."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result_file = RESULTS / f"{package.name}.{measure}.json"
    result_file.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", measure, str(package), str(result_file)]
    started = time.perf_counter()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {timeout:.0f} s"}
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"failed": f"exit {completed.returncode}: {last_line}"}
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result["wall_seconds"] = time.perf_counter() - started
    return result


def changed_lines(original: bytes, edited: bytes) -> tuple[int, int]:
    """Return (deleted, inserted) line counts for an edit that keeps the line count, like numstat.

    Lines are compared pairwise. That is what ``git diff --numstat`` reports when each
    changed line is replaced in place. When the number of lines changes, every line
    from the first difference on is counted.
    """
    old_lines = original.split(b"\n")
    new_lines = edited.split(b"\n")
    if len(old_lines) != len(new_lines):
        first = next((index for index, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b), min(len(old_lines), len(new_lines)))
        return len(old_lines) - first, len(new_lines) - first
    differing = sum(1 for a, b in zip(old_lines, new_lines) if a != b)
    return differing, differing


def compare_findings(ours: list[list[Any]], theirs: list[list[Any]]) -> dict[str, Any]:
    """Return the counts of findings in both sets, only ours and only frictionless'."""
    our_set = {tuple(key) for key in ours}
    their_set = {tuple(key) for key in theirs}
    return {
        "same": our_set == their_set,
        "common": len(our_set & their_set),
        "only_ours": sorted(our_set - their_set, key=str)[:20],
        "only_frictionless": sorted(their_set - our_set, key=str)[:20],
        "only_ours_count": len(our_set - their_set),
        "only_frictionless_count": len(their_set - our_set),
    }


def bench_package(package: Path, measures: list[str], timeout: float) -> dict[str, Any]:
    """Run the chosen measures on one package, one child process each."""
    results: dict[str, Any] = {"bytes": (package / DATA_FILE).stat().st_size}
    for measure in measures:
        print(f"  {package.name}: {measure} ...", flush=True)
        if measure == "edit-save":
            scratch = _scratch_copy(package)
            result = spawn(measure, scratch, timeout)
            if "failed" not in result:
                original = (package / DATA_FILE).read_bytes()
                result["restored_identical"] = (scratch / DATA_FILE).read_bytes() == original
                result["numstat"] = changed_lines(original, (scratch / EDITED_COPY).read_bytes())
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            result = spawn(measure, package, timeout)
        results[measure] = result
        print(f"    {_summary(measure, result)}", flush=True)

    frictionless_result = results.get("frictionless", {})
    for measure in ("validate", "validate-schema"):
        ours = results.get(measure, {})
        if "error_keys" in ours and "error_keys" in frictionless_result:
            ours["versus_frictionless"] = compare_findings(ours["error_keys"], frictionless_result["error_keys"])
    for result in results.values():
        if isinstance(result, dict):
            result.pop("error_keys", None)
    return results


def _summary(measure: str, result: dict[str, Any]) -> str:
    if "failed" in result:
        return f"FAILED: {result['failed']}"
    parts = [f"{result['seconds']:.2f} s", f"peak {result['peak_mb']:.0f} MiB"]
    for key in ("rows", "errors", "warnings", "identical", "numstat", "restored_identical", "find_seconds", "load_average"):
        if key in result:
            parts.append(f"{key} {result[key]}")
    return ", ".join(parts)


def print_table(all_results: dict[str, dict[str, Any]]) -> None:
    """Print one line per package with the figures the README records."""

    def seconds(result: dict[str, Any] | None) -> str:
        if not result:
            return "-"
        if "failed" in result:
            return result["failed"]
        return f"{result['seconds']:.2f}"

    def peak(result: dict[str, Any] | None) -> str:
        return f"{result['peak_mb']:.0f}" if result and "peak_mb" in result else "-"

    header = ["package", "MB", "rows", "load s", "validate s", "schema-only s", "frictionless s", "ratio", "same findings", "save 1 edit s", "1 line changed", "identical", "peak MiB load/validate/fl/save"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, results in all_results.items():
        load = results.get("load")
        schema_only = results.get("validate-schema")
        friction = results.get("frictionless")
        ratio = "-"
        if schema_only and friction and "seconds" in schema_only and "seconds" in friction:
            ratio = f"{friction['seconds'] / schema_only['seconds']:.2f}x"
        same = (schema_only or {}).get("versus_frictionless", {}).get("same", "-")
        edit = results.get("edit-save")
        numstat = (edit or {}).get("numstat")
        identity = results.get("identity")
        row = [
            name,
            f"{results['bytes'] / 1e6:.1f}",
            f"{load['rows']:,}" if load and "rows" in load else "-",
            seconds(load),
            seconds(results.get("validate")),
            seconds(schema_only),
            seconds(friction),
            ratio,
            str(same),
            seconds(edit),
            str(numstat == (1, 1) or numstat == [1, 1]) if numstat is not None else "-",
            str((identity or {}).get("identical", "-")),
            "/".join(peak(results.get(measure)) for measure in ("load", "validate", "frictionless", "edit-save")),
        ]
        print("| " + " | ".join(row) + " |")


def describe_machine() -> dict[str, Any]:
    """Return the versions and machine facts recorded with the results."""
    import frictionless

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCHMARKS, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "datami_py"], cwd=BENCHMARKS.parent, capture_output=True, text=True).stdout
    return {
        "python": platform.python_version(),
        "frictionless": frictionless.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "datami_commit": commit,
        "datami_uncommitted_files": len(dirty.splitlines()),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        run_child(argv[1], Path(argv[2]), Path(argv[3]))
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--packages",
        nargs="+",
        default=["real", "rows-10k", "rows-20k", "size-100mb"],
        help="package folders under benchmarks/out (default: real rows-10k rows-20k size-100mb, where every measure ends in minutes)",
    )
    parser.add_argument("--measures", nargs="+", choices=MEASURES, default=list(MEASURES), help="measurements to run (default: all)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a measurement's child process is stopped (default: 900)")
    parser.add_argument("--json", type=Path, help="also write every result to this JSON file")
    options = parser.parse_args(argv)

    machine = describe_machine()
    print(json.dumps(machine))
    all_results = {}
    for name in options.packages:
        package = OUT / name
        if not (package / "datapackage.json").is_file():
            print(f"{name}: not found; run benchmarks/make_data.py --only {name}")
            continue
        all_results[name] = bench_package(package, options.measures, options.timeout)

    print()
    print_table(all_results)
    if options.json:
        options.json.write_text(json.dumps({"machine": machine, "results": all_results}, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
