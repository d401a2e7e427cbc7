"""Time the link check of datami links on the real package and on a large synthetic tree.

The repository trees are given in memory, so the figures are the time spent parsing links,
indexing the file list and looking for repairs, without the one GitHub call (or the
``git ls-tree``) that reads a tree.

    /work/venv/bin/python benchmarks/bench_links.py [--files 100000] [--rows 10000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from pathlib import Path

from datami_py.csvfile import CsvDocument
from datami_py.forge.trees import RepositoryTree
from datami_py.links import LinkChecker
from datami_py.session import Session
from datami_py.table import Table

ROOT = Path(__file__).resolve().parents[1]
REAL_TREE = ROOT / "tests" / "data" / "decider-ensemble" / "repo-tree.txt"
RAW = "https://raw.githubusercontent.com/owner/repo/main/"
SCHEMA = {"fields": [{"name": "id", "type": "string"},
                     {"name": "link", "type": "string", "x-datami": {"subtype": "link"}}],
          "primaryKey": ["id"]}


class MemoryTrees:
    """Trees given in memory, in place of a TreeCache."""

    def __init__(self, tree: RepositoryTree) -> None:
        self.repository_tree = tree
        self.calls = 0

    def tree(self, owner: str, repo: str, ref: str) -> RepositoryTree:
        return self.repository_tree


def time_check(checker: LinkChecker, table: Table, settings: dict) -> tuple[float, Counter]:
    start = time.perf_counter()
    checks = checker.check_table(table, settings)
    return time.perf_counter() - start, Counter(cell.check.status for cell in checks)


def real_package() -> None:
    paths = frozenset(REAL_TREE.read_text(encoding="utf-8").splitlines())
    tree = RepositoryTree("multi-coop/data-decider-ensemble", "main", paths, "github")
    opened = Session.open(ROOT).open_table()
    seconds, counts = time_check(LinkChecker(MemoryTrees(tree), ""), opened.table, opened.resource.settings)
    print(f"real: {len(paths)} files, {sum(counts.values())} links in {seconds * 1000:.1f} ms: {dict(counts)}")


def synthetic(files: int, rows: int, seed: int) -> None:
    """Check ROWS links into a tree of FILES files in 1,000 folders; one link in ten is broken."""
    generator = random.Random(seed)
    paths = [f"folder{index % 1000}/file-{index}.png" for index in range(files)]
    tree = RepositoryTree("owner/repo", "main", frozenset(paths), "github")
    lines = ["id,link"]
    for row in range(rows):
        path = generator.choice(paths)
        if row % 10 == 0:
            path = path.replace(".png", ".jpg") if row % 20 == 0 else path + ".png"
        lines.append(f"{row},{RAW}{path}")
    document = CsvDocument.parse(("\n".join(lines) + "\n").encode("utf-8"), name="links.csv")
    table = Table(document, SCHEMA, name="links", file="links.csv")

    seconds, counts = time_check(LinkChecker(MemoryTrees(tree), ""), table, {})
    print(f"synthetic: {files} files, {rows} links in {seconds * 1000:.1f} ms: {dict(counts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000, help="files in the synthetic tree")
    parser.add_argument("--rows", type=int, default=10_000, help="links in the synthetic table")
    parser.add_argument("--seed", type=int, default=20240)
    options = parser.parse_args()
    real_package()
    synthetic(options.files, options.rows, options.seed)


if __name__ == "__main__":
    main()
