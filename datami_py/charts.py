"""Charts of a resource (``x-datami.charts``): rows counted by a field, as data and as PNG files.

Datami's charts count rows per distinct cell text. Décider Ensemble points its charts at
free-text label columns (``FILTRE *``), where one label has several spellings, so the
charts split into near-duplicate slices. Here a chart counts **codes with their labels**:

1. a field with defined codes (``categories``) is counted by code, each code of a
   multi-valued cell once, under the code's label;
2. a free-text field is counted through the code field that has the same role, when
   there is one. That is a field with defined codes where each normalised text of the
   chart field goes with one single set of codes, in every row where the text is filled.
   When several code fields qualify, the one whose name shares most words with the
   chart field wins, and when that still ties, none is used;
3. otherwise, normalised text is counted (case, accents, spaces and ``&``/``et`` folded),
   under its most frequent spelling.

Empty cells are not counted. Counting needs neither geopandas nor matplotlib, and PNG
files need matplotlib only.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from datami_py.cards import tags_of
from datami_py.errors import DatamiError, Location
from datami_py.i18n import message, render
from datami_py.table import Table
from datami_py.validation.validator import category_values

NO_CHARTS = message("chart.no-charts", "The resource {resource} has no charts (x-datami.charts is empty or absent).")
CHART_OUT_OF_RANGE = message(
    "chart.out-of-range",
    "There is no chart {number}: the resource {resource} has {count} chart(s). Choose a number from 1 to {count}.",
)
CHART_FIELD_MISSING = message(
    "chart.field-missing",
    "Chart {number} counts rows by the field {field}, which the table does not have. Fix \"field\" in x-datami.charts.",
)
DEFAULT_CHART_TITLE = message("chart.default-title", "Rows by {field}")
DEFAULT_UNIT = message("chart.default-unit", "rows")
CHART_SOURCE = message("chart.source", "Counted on the field {field}. {count} row(s) have no value.")

Method = Literal["codes", "text"]

# A free-text field counts as a category column only when it has at most this share of
# distinct values among its filled rows. Without this limit, a column of unique texts
# would "determine" every code column.
MAX_DISTINCT_SHARE = 0.5
PAGE_INCHES = (8.27, 6.0)
DPI = 200
FALLBACK_COLORS = ("#3B93A5", "#F7B844", "#ADD8C7", "#EC3C65", "#CDD7B6", "#C1F666", "#D43F97", "#1E5D8C", "#421243", "#EF6537", "#C0ADDB")


@dataclass(frozen=True)
class ChartSource:
    """The field a chart really counts, and how: by ``codes`` or by normalised ``text``."""

    field: str
    method: Method


def chart_source(table: Table, chart: dict[str, Any]) -> ChartSource:
    """Choose the field and method that ``chart`` is counted with (see the module documentation).

    Raises:
        DatamiError: ``table.field-not-found`` when the chart's field is not in the schema.
    """
    name = str(chart.get("field"))
    table.field(name)
    if _has_codes(table, name):
        return ChartSource(name, "codes")
    code_field = matching_code_field(table, name)
    if code_field is not None:
        return ChartSource(code_field, "codes")
    return ChartSource(name, "text")


def chart_data(table: Table, chart: dict[str, Any], rows: Iterable[int] | None = None, source: ChartSource | None = None) -> list[tuple[str, int]]:
    """Count the rows of ``table`` for one chart setting, as (label, count) by decreasing count, then label.

    A row with several codes counts once for each code. Rows where the field is empty
    are left out (see :func:`empty_rows`). ``rows`` (row ids) limits the count to those
    rows, such as the rows a search shows; the field and method are still chosen on
    every row, so that a search does not change how a chart counts. ``source``, when
    given, is the result of :func:`chart_source` for this chart, kept by a caller that
    counts the same chart many times.

    Raises:
        DatamiError: ``table.field-not-found`` when the chart's field is not in the schema.
    """
    return _counted(table, source or chart_source(table, chart), rows)


def empty_rows(table: Table, chart: dict[str, Any], rows: Iterable[int] | None = None, source: ChartSource | None = None) -> int:
    """Return the number of rows (of ``rows`` when given) that the chart leaves out because its field is empty."""
    return _empty_rows(table, source or chart_source(table, chart), rows)


def _counted(table: Table, source: ChartSource, rows: Iterable[int] | None = None) -> list[tuple[str, int]]:
    if source.method == "codes":
        counts = _count_codes(table, source.field, rows)
    else:
        counts = _count_texts(table, source.field, rows)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _empty_rows(table: Table, source: ChartSource, rows: Iterable[int] | None = None) -> int:
    return sum(1 for row in _rows(table, rows) if _text(table, row, source.field) is None)


def _rows(table: Table, rows: Iterable[int] | None) -> Iterable[int]:
    return table.iter_rows() if rows is None else rows


def matching_code_field(table: Table, name: str) -> str | None:
    """Return the field with defined codes that has the same role as the free-text field ``name``, or None.

    See rule 2 of the module documentation.
    """
    texts = {row: normalize(text) for row in table.iter_rows() if (text := _text(table, row, name)) is not None}
    if not texts or len(set(texts.values())) > MAX_DISTINCT_SHARE * len(texts):
        return None

    # NOTE: this splits every code cell once per candidate field, which is slow on tables of
    # hundreds of thousands of rows; no size limit is applied.
    qualified = []
    for candidate in table.field_names:
        if candidate == name or not _has_codes(table, candidate) or table.column_of(candidate) is None:
            continue
        code_sets: dict[str, set[frozenset[str]]] = defaultdict(set)
        for row, text in texts.items():
            code_sets[text].add(frozenset(tag.code for tag in tags_of(table, candidate, table.cell(row, candidate))))
        determined = all(len(sets) == 1 and frozenset() not in sets for sets in code_sets.values())
        distinct = {next(iter(sets)) for sets in code_sets.values()}
        if determined and len(distinct) > 1:
            qualified.append(candidate)

    if len(qualified) <= 1:
        return qualified[0] if qualified else None
    scores = {candidate: len(_words(candidate) & _words(name)) for candidate in qualified}
    best = max(scores.values())
    winners = [candidate for candidate, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


def normalize(text: str) -> str:
    """Fold ``text`` for counting: NFKD without accents, case-folded, ``&`` as “et”, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(character for character in decomposed if not unicodedata.combining(character))
    folded = without_accents.casefold().replace("&", " et ")
    return " ".join(folded.split())


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", normalize(name)))


def _has_codes(table: Table, name: str) -> bool:
    return bool(category_values(table.field(name)))


def _text(table: Table, row: int, name: str) -> str | None:
    text = table.cell(row, name)
    if table.is_missing(text) or text is None or not text.strip():
        return None
    return text


def _count_codes(table: Table, name: str, rows: Iterable[int] | None = None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in _rows(table, rows):
        labels = {tag.label or tag.code for tag in tags_of(table, name, _text(table, row, name))}
        counts.update(labels)
    return counts


def _count_texts(table: Table, name: str, rows: Iterable[int] | None = None) -> Counter[str]:
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _rows(table, rows):
        text = _text(table, row, name)
        if text is not None:
            spellings[normalize(text)][" ".join(text.split())] += 1
    counts: Counter[str] = Counter()
    for variants in spellings.values():
        label = sorted(variants.items(), key=lambda item: (-item[1], item[0]))[0][0]
        counts[label] = sum(variants.values())
    return counts


# PNG files


def chart_settings(table: Table, settings: dict[str, Any], index: int) -> dict[str, Any]:
    """Return chart ``index`` (0 for the first) of the resource settings.

    Raises:
        DatamiError: ``chart.no-charts`` or ``chart.out-of-range``.
    """
    charts = settings.get("charts") or []
    if not charts:
        raise DatamiError(NO_CHARTS, Location(file=table.file), resource=table.name)
    if not 0 <= index < len(charts):
        raise DatamiError(CHART_OUT_OF_RANGE, Location(file=table.file), number=index + 1, resource=table.name, count=len(charts))
    chart = charts[index]
    if str(chart.get("field")) not in table.field_names:
        raise DatamiError(CHART_FIELD_MISSING, Location(file=table.file), number=index + 1, field=chart.get("field"))
    return chart


def export_chart_png(table: Table, settings: dict[str, Any], index: int, path: Path | str, language: str) -> list[tuple[str, int]]:
    """Draw chart ``index`` (0 for the first) of the resource settings as a PNG file and return its data.

    The chart's ``kind`` picks the drawing: ``treemap``, ``donut`` (also ``pie``), any
    other kind is drawn as horizontal bars.

    Raises:
        DatamiError: ``chart.no-charts``, ``chart.out-of-range``, ``chart.field-missing``,
            ``geo.missing-library`` or ``geo.write-failed``.
    """
    from datami_py.geo.departements import require
    from datami_py.geo.export import localized, write_bytes

    chart = chart_settings(table, settings, index)
    source = chart_source(table, chart)
    data = _counted(table, source)
    empty = _empty_rows(table, source)
    figures = require("matplotlib.figure")

    title = localized(chart.get("title"), language) or render(DEFAULT_CHART_TITLE, language, field=chart.get("field"))
    unit = localized(chart.get("unit"), language) or render(DEFAULT_UNIT, language)
    colors = [str(color) for color in chart.get("colors") or FALLBACK_COLORS]
    kind = str(chart.get("kind") or "bar")

    # A Figure saved without pyplot renders with Agg and leaves the caller's backend alone.
    figure = figures.Figure(figsize=PAGE_INCHES, dpi=DPI)
    axes = figure.add_axes((0.05, 0.12, 0.9, 0.76))
    if not data:
        axes.set_axis_off()
    elif kind == "treemap":
        _draw_treemap(axes, data, colors, unit)
    elif kind in ("donut", "pie"):
        _draw_donut(axes, data, colors, unit, len(table) - empty, hole=kind == "donut")
    else:
        _draw_bars(axes, data, colors, unit)
    figure.suptitle(title, fontsize=14, y=0.96)
    note = render(CHART_SOURCE, language, field=source.field, count=empty)
    figure.text(0.05, 0.03, note, fontsize=7, color="#444444")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    write_bytes(Path(path), buffer.getvalue())
    return data


def _draw_bars(axes: Any, data: list[tuple[str, int]], colors: list[str], unit: str) -> None:
    labels = [label for label, _count in data][::-1]
    counts = [count for _label, count in data][::-1]
    bars = axes.barh(labels, counts, color=[colors[index % len(colors)] for index in range(len(data))][::-1])
    axes.bar_label(bars, padding=3, fontsize=8)
    axes.set_xlabel(unit)
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_position((0.35, 0.12, 0.6, 0.76))


def _draw_donut(axes: Any, data: list[tuple[str, int]], colors: list[str], unit: str, rows: int, hole: bool) -> None:
    counts = [count for _label, count in data]
    wedges, _texts = axes.pie(
        counts,
        colors=[colors[index % len(colors)] for index in range(len(data))],
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.4 if hole else 1.0, "edgecolor": "white"},
    )
    axes.set_aspect("equal")
    axes.set_position((0.0, 0.12, 0.5, 0.76))
    if hole:
        # Rows, not the sum of the slices: a row with two codes is in two slices.
        axes.text(0, 0, f"{rows}\n{unit}", ha="center", va="center", fontsize=10)
    labels = [f"{label} ({count})" for label, count in data]
    axes.legend(wedges, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)


def _draw_treemap(axes: Any, data: list[tuple[str, int]], colors: list[str], unit: str) -> None:
    from matplotlib import patches
    rectangles = squarify([count for _label, count in data], 0.0, 0.0, 1.0, 1.0)
    for index, ((label, count), (x, y, width, height)) in enumerate(zip(data, rectangles)):
        axes.add_patch(patches.Rectangle((x, y), width, height, facecolor=colors[index % len(colors)], edgecolor="white", linewidth=2))
        size = 9 if width * height > 0.04 else 6
        axes.text(x + 0.01, y + height - 0.01, f"{label}\n{count} {unit}", ha="left", va="top", fontsize=size, wrap=True, clip_on=True)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_axis_off()


def squarify(values: list[int], x: float, y: float, width: float, height: float) -> list[tuple[float, float, float, float]]:
    """Lay ``values`` (sorted by decreasing size) out as rectangles (x, y, width, height) that tile the
    given rectangle with areas proportional to the values, keeping them close to squares
    (Bruls, Huizing and van Wijk, “Squarified Treemaps”, 2000)."""
    total = float(sum(values))
    if total <= 0:
        return [(x, y, 0.0, 0.0) for _value in values]
    areas = [value * width * height / total for value in values]
    result: list[tuple[float, float, float, float]] = []
    start = 0
    while start < len(areas):
        side = min(width, height)
        end = start + 1
        while end < len(areas) and _worst(areas[start : end + 1], side) <= _worst(areas[start:end], side):
            end += 1
        row = areas[start:end]
        row_area = sum(row)
        if width >= height:
            column_width = row_area / height
            offset = y
            for area in row:
                result.append((x, offset, column_width, area / column_width))
                offset += area / column_width
            x, width = x + column_width, width - column_width
        else:
            row_height = row_area / width
            offset = x
            for area in row:
                result.append((offset, y, area / row_height, row_height))
                offset += area / row_height
            y, height = y + row_height, height - row_height
        start = end
    return result


def _worst(row: list[float], side: float) -> float:
    total = sum(row)
    if total <= 0 or side <= 0:
        return math.inf
    return max(max(side * side * area / (total * total), (total * total) / (side * side * area)) for area in row if area > 0)
