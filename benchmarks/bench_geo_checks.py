"""Time the département check that validation adds, against the rest of validation.

Each package (the real one, and those of make_data.py found under benchmarks/out/) runs
in one process. The script times the first call of
``datami_py.geo.checks.departement_findings``, which includes importing geopandas and
reading the outlines, then its second call, then ``validate_table`` (every other check),
and counts the findings of each. The synthetic packages have no map settings, so their coordinate
fields are ``lat`` and ``lon``, and their postcode field ``CODE_POSTAL``.

Usage: python benchmarks/bench_geo_checks.py [--packages NAME ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPOSITORY = BENCHMARKS.parent
OUT = BENCHMARKS / "out"


def measure(package: Path) -> dict[str, float | int]:
    """Return the timings (seconds) and finding counts of one package."""
    from datami_py.geo.checks import departement_findings
    from datami_py.session import Session
    from datami_py.validation import validate_table

    opened = Session.open(package).open_table()
    table, settings = opened.table, opened.resource.settings

    start = time.perf_counter()
    findings = departement_findings(table, settings)
    first = time.perf_counter() - start

    start = time.perf_counter()
    departement_findings(table, settings)
    second = time.perf_counter() - start

    start = time.perf_counter()
    report = validate_table(table, settings)
    rest = time.perf_counter() - start
    return {"rows": len(table), "first": first, "second": second, "findings": len(findings), "validate_table": rest, "other": len(report.findings)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", nargs="*", default=["real", "rows-10k", "rows-100k"], help="Names: real, or folders under benchmarks/out/.")
    arguments = parser.parse_args()

    print("package | rows | département check, first (s) | again (s) | findings | validate_table (s) | its findings")
    for name in arguments.packages:
        package = REPOSITORY if name == "real" else OUT / name
        if not (package / "datapackage.json").is_file():
            print(f"{name}: missing, run benchmarks/make_data.py --only {name}")
            continue
        result = measure(package)
        print(
            f"{name} | {result['rows']} | {result['first']:.2f} | {result['second']:.2f} | {result['findings']} | "
            f"{result['validate_table']:.2f} | {result['other']}"
        )


if __name__ == "__main__":
    main()
