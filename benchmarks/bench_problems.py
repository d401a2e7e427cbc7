"""Time the validation panel of the terminal editor on a large report.

The panel words a finding only when it is listed (at most 2,000) or filtered, so opening
stays quick whatever the number of findings. The first filter words them all once.

    /work/venv/bin/python benchmarks/bench_problems.py [--findings 60000]
"""

from __future__ import annotations

import argparse
import time

from datami_py.csvfile import CsvDocument
from datami_py.errors import Finding, Location
from datami_py.table import Table
from datami_py.ui.screens.problems import LISTED_LIMIT, _problems
from datami_py.validation import ValidationReport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=60_000, help="warnings in the report, one per row")
    count = parser.parse_args().findings

    # One warning per row, as a table whose every name ends with a space would have.
    text = "id,nom\n" + "".join(f"{row},nom {row} \n" for row in range(count))
    document = CsvDocument.parse(text.encode("utf-8"), delimiter=",", name="noms.csv")
    table = Table(document, {"fields": [{"name": "id", "type": "string"}, {"name": "nom", "type": "string"}]},
                  name="noms", file="noms.csv")
    findings = [Finding("quality.trailing-whitespace", "warning", Location(file="noms.csv", row=row + 1, field="nom", value=f"nom {row} "))
                for row in range(count)]
    report = ValidationReport(findings)

    start = time.perf_counter()
    problems = _problems(report, table, "fr")
    listed = [problem.message for problem in problems[:LISTED_LIMIT]]
    opened = time.perf_counter() - start

    start = time.perf_counter()
    matching = [problem for problem in problems if "99" in problem.folded]
    filtered = time.perf_counter() - start

    print(f"{count} findings: panel contents ready in {opened:.2f} s ({len(listed)} listed); "
          f"first filter over all of them {filtered:.2f} s ({len(matching)} match)")


if __name__ == "__main__":
    main()
