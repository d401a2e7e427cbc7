"""What the terminal map draws for a selection of rows: points, counts per département, rows without position.

The positions and the spatial join run once per version of the table
(:meth:`MapRows.compute`). A search or a filter then only selects among them
(:meth:`MapRows.subset`), so each keystroke stays fast on large tables.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from datami_py.geo.canvas import load_outlines
from datami_py.errors import DatamiError
from datami_py.geo.departements import MISSING_LIBRARY, departement_of_rows
from datami_py.geo.points import PointSet, Unplaced, points
from datami_py.table import Table


@dataclass(frozen=True)
class MapSubset:
    """The points, counts and rows without position of the rows shown."""

    longitudes: np.ndarray
    latitudes: np.ndarray
    rows: np.ndarray
    counts: dict[str, int]
    unplaced: list[Unplaced]


@dataclass(frozen=True)
class MapRows:
    """Every placed row of a table with its position and département, and the rows without position.

    ``join_problem`` is the error that kept the rows from being joined to the
    départements (geopandas missing), None when the join ran.
    """

    point_set: PointSet
    longitudes: np.ndarray
    latitudes: np.ndarray
    rows: np.ndarray
    departements: dict[int, str | None]
    join_problem: DatamiError | None = None

    @classmethod
    def compute(cls, table: Table, settings: dict[str, Any]) -> MapRows:
        """Place the rows of ``table`` and find each one's département with :func:`departement_of_rows`.

        Without geopandas the points are still placed, with no département, and
        :attr:`join_problem` is the ``geo.missing-library`` error.

        Raises:
            DatamiError: ``geo.no-coordinate-fields``.
        """
        point_set = points(table, settings)
        problem = None
        try:
            departements = departement_of_rows(point_set)
        except DatamiError as error:
            if error.code != MISSING_LIBRARY:
                raise
            departements, problem = {}, error
        return cls(
            point_set,
            np.array([point.longitude for point in point_set.points], dtype=float),
            np.array([point.latitude for point in point_set.points], dtype=float),
            np.array([point.row for point in point_set.points], dtype=np.int64),
            departements,
            problem,
        )

    def subset(self, shown: Sequence[int]) -> MapSubset:
        """Return what the map shows for the rows ``shown`` (row ids), such as the rows of a search.

        Counts per département are those of :func:`datami_py.geo.departement_counts` on
        the shown points, computed from the join made once by :meth:`compute`.
        """
        shown_array = np.fromiter(shown, dtype=np.int64, count=len(shown))
        keep = np.isin(self.rows, shown_array)
        rows = self.rows[keep]
        counts = Counter(code for row in rows.tolist() if (code := self.departements.get(row)) is not None)
        shown_set = set(shown_array.tolist())
        unplaced = [item for item in self.point_set.unplaced if item.row in shown_set]
        return MapSubset(self.longitudes[keep], self.latitudes[keep], rows, dict(sorted(counts.items())), unplaced)


def class_index(count: int, stops: Sequence[tuple[int, str]]) -> int:
    """Return the index of the choropleth class of ``count``: the last class whose lower bound it reaches."""
    index = 0
    for position, (low, _color) in enumerate(stops):
        if count >= low:
            index = position
    return index


def fill_classes(counts: dict[str, int], stops: Sequence[tuple[int, str]]) -> dict[str, int]:
    """Return the class index of every shipped département, those without a count being in the class of 0."""
    return {outline.code: class_index(counts.get(outline.code, 0), stops) for outline in load_outlines()}
