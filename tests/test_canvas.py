"""The terminal map drawing library (no Textual): projection into braille cells, insets, choropleth, hit-testing,
zoom and pan, the rows a map shows, and the text layout of charts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from datami_py.chart_text import bar_text, strip_widths, tile_boxes, treemap_cells
from datami_py.charts import chart_data, empty_rows
from datami_py.geo.canvas import BRAILLE_BLANK, OVERSEAS, Box, Frame, MapCanvas, load_outlines, make_layout
from datami_py.geo.layers import MapRows, class_index, fill_classes
from datami_py.geo.viewpoint import MapViewSettings, Viewpoint, frame_of, home_viewpoint, panned, zoomed
from datami_py.session import Session
from tests.helpers import CASES, REPOSITORY

# Places whose département is known: (longitude, latitude, INSEE code).
ORLEANS = (1.9093, 47.9029, "45")
REUNION_INLAND = (55.53, -21.13, "974")
CAYENNE = (-52.3260, 4.9224, "973")


def draw(canvas: MapCanvas, frame: Frame, places: list[tuple[float, float]], fill: dict[str, int] | None = None):
    longitudes = np.array([place[0] for place in places], dtype=float)
    latitudes = np.array([place[1] for place in places], dtype=float)
    return canvas.draw(frame, longitudes, latitudes, np.arange(len(places)), fill)


@pytest.fixture(scope="module")
def decider():
    opened = Session.open(REPOSITORY).open_table()
    return opened.table, opened.resource.settings


# Projection and dots


def test_point_lands_in_expected_cell():
    canvas = MapCanvas(60, 24, with_insets=False)
    # In the Atlantic, where no outline is drawn.
    frame = Frame(Box(0, 0, 60, 24), longitude=-30.0, latitude=40.0, scale=4.0)
    # 10 dots east of the centre is 10 / (4 · cos 40°) degrees of longitude; 8 dots north is 2 degrees.
    east = -30.0 + 10 / (4.0 * math.cos(math.radians(40.0)))

    picture = draw(canvas, frame, [(-30.0, 40.0), (east, 42.0)])

    # The centre dot is (60, 48): cell (30, 12), its top-left dot, bit 0x01.
    assert picture.point_bits[12, 30] == 0x01
    assert picture.lines()[12][30] == chr(BRAILLE_BLANK + 0x01)
    # Dot (70, 40): cell (35, 10), top-left dot again.
    assert picture.point_bits[10, 35] == 0x01
    assert picture.cell_of_row(0) == (30, 12)
    assert picture.cell_of_row(1) == (35, 10)
    assert int(np.count_nonzero(picture.point_bits)) == 2


def test_dot_bits_follow_braille_numbering():
    canvas = MapCanvas(10, 4, with_insets=False)
    frame = Frame(Box(0, 0, 10, 4), longitude=0.0, latitude=0.0, scale=1.0)
    # Dots (10, 8) to (11, 11) are the eight dots of cell (5, 2).
    offsets = [(dx, dy) for dy in range(4) for dx in range(2)]
    places = [(frame.to_degrees(10 + dx + 0.5, 8 + dy + 0.5)) for dx, dy in offsets]

    picture = draw(canvas, frame, places)

    assert picture.point_bits[2, 5] == 0xFF
    assert picture.lines()[2][5] == "⣿"


def test_points_off_frame_not_drawn():
    canvas = MapCanvas(60, 24, with_insets=False)
    frame = Frame(Box(0, 0, 60, 24), longitude=2.0, latitude=46.0, scale=4.0)

    picture = draw(canvas, frame, [(40.0, 46.0), (2.0, -30.0)])

    assert not picture.point_bits.any()
    assert picture.rows_in_reading_order() == []


def test_home_frame_shows_metropole(decider):
    canvas = MapCanvas(84, 34)
    frame = canvas.home_frame((1.9, 47.7))
    corners = np.array([[-5.2, 41.3], [9.7, 51.1]])

    x, y = frame.to_dots(corners[:, 0], corners[:, 1])

    assert frame.inside(x, y).all()
    assert frame.longitude == 1.9
    assert frame.latitude == 47.7


def test_outlines_read_without_geopandas():
    outlines = load_outlines()

    assert len(outlines) == 101
    assert [outline.code for outline in outlines] == sorted(outline.code for outline in outlines)
    assert {"2A", "2B", *OVERSEAS} <= {outline.code for outline in outlines}


# Insets


def test_insets_in_a_left_column():
    layout = make_layout(84, 35)

    assert [inset.code for inset in layout.insets] == list(OVERSEAS)
    assert all(inset.box.left == 0 for inset in layout.insets)
    assert [inset.box.top for inset in layout.insets] == [0, 7, 14, 21, 28]
    assert layout.main.left == layout.insets[0].box.width


def test_no_insets_on_small_canvas():
    assert make_layout(40, 12).insets == ()
    assert make_layout(84, 35, with_insets=False).insets == ()


def test_overseas_point_drawn_in_its_inset():
    canvas = MapCanvas(84, 35)
    frame = canvas.home_frame()

    picture = draw(canvas, frame, [ORLEANS[:2], REUNION_INLAND[:2], CAYENNE[:2]])

    insets = {inset.code: inset.box for inset in canvas.layout.insets}
    assert canvas.layout.main.contains(*picture.cell_of_row(0))
    assert insets["974"].contains(*picture.cell_of_row(1))
    assert insets["973"].contains(*picture.cell_of_row(2))
    assert picture.departement_at(*picture.cell_of_row(1)).code == "974"


def test_inset_titles_in_borders():
    canvas = MapCanvas(84, 35)

    lines = draw(canvas, canvas.home_frame(), []).lines()

    assert lines[0].startswith("┌971 Guadeloupe┐")
    assert lines[6].startswith("└")
    assert lines[21].startswith("┌974 La Réunion┐")


# Choropleth


def test_choropleth_fills_cells_of_departement():
    canvas = MapCanvas(84, 35)
    frame = canvas.home_frame()
    classes = {outline.code: 0 for outline in load_outlines()} | {"45": 3}

    picture = draw(canvas, frame, [ORLEANS[:2]], classes)

    column, line = picture.cell_of_row(0)
    assert picture.departement_at(column, line).code == "45"
    assert picture.fill[line, column] == 3
    cells_45 = picture.departement == [outline.code for outline in load_outlines()].index("45")
    assert (picture.fill[cells_45] == 3).all()
    assert (picture.fill[~cells_45 & (picture.departement >= 0)] == 0).all()


def test_no_fill_without_classes():
    canvas = MapCanvas(84, 35)

    picture = draw(canvas, canvas.home_frame(), [ORLEANS[:2]])

    assert (picture.fill == -1).all()
    assert picture.outline_bits.any()


def test_class_index_of_counts():
    stops = [(0, "#f2f3f3"), (1, "#d2ede9"), (5, "#67c1b5"), (10, "#158b7b"), (30, "#106268")]

    assert [class_index(count, stops) for count in (0, 1, 4, 5, 9, 10, 29, 30, 500)] == [0, 1, 1, 2, 2, 3, 3, 4, 4]
    classes = fill_classes({"75": 11, "974": 1}, stops)
    assert classes["75"] == 3
    assert classes["974"] == 1
    assert classes["01"] == 0
    assert len(classes) == 101


# Hit-testing


def test_rows_near_nearest_first():
    canvas = MapCanvas(60, 24, with_insets=False)
    frame = Frame(Box(0, 0, 60, 24), longitude=0.0, latitude=0.0, scale=1.0)
    # Row 0 in cell (30, 12), row 1 in the cell to its right, row 2 far away.
    places = [frame.to_degrees(60.5, 49.5), frame.to_degrees(62.5, 49.5), frame.to_degrees(10.5, 10.5)]

    picture = draw(canvas, frame, places)

    assert picture.rows_near(30, 12) == [0, 1]
    assert picture.rows_near(31, 12) == [1, 0]
    assert picture.rows_near(30, 12, radius=0) == [0]
    assert picture.rows_near(45, 20) == []
    assert picture.rows_near(5, 2) == [2]


def test_reading_order_by_line_then_column():
    canvas = MapCanvas(60, 24, with_insets=False)
    frame = Frame(Box(0, 0, 60, 24), longitude=0.0, latitude=0.0, scale=1.0)
    places = [frame.to_degrees(100.5, 80.5), frame.to_degrees(10.5, 80.5), frame.to_degrees(50.5, 4.5)]

    picture = draw(canvas, frame, places)

    assert picture.rows_in_reading_order() == [2, 1, 0]


# Zoom, pan and settings


def test_map_settings_of_real_package(decider):
    _table, settings = decider

    map_settings = MapViewSettings.from_settings(settings)

    assert map_settings.centre == (1.9, 47.7)
    assert map_settings.zoom == 4.7
    assert (map_settings.min_zoom, map_settings.max_zoom) == (2.0, 18.0)
    assert map_settings.stops[0] == (0, "#f2f3f3")
    assert map_settings.stops[-1] == (30, "#106268")
    assert map_settings.point_color == "#004494"
    assert map_settings.outline_color == "#004494"
    assert map_settings.show_points and map_settings.show_departements


def test_map_settings_defaults():
    map_settings = MapViewSettings.from_settings({"map": {"zoom": "près", "center": {"longitude": "x"}}})

    assert map_settings.centre is None
    assert map_settings.zoom == 5.0
    assert len(map_settings.stops) == 5


def test_zoom_doubles_scale_within_limits():
    canvas = MapCanvas(84, 35)
    map_settings = MapViewSettings(centre=(1.9, 47.7), zoom=4.7, min_zoom=4.0, max_zoom=6.0)
    home = home_viewpoint(canvas, map_settings)

    closer = zoomed(map_settings, zoomed(map_settings, home, 1), 1)

    assert frame_of(canvas, map_settings, closer).scale == pytest.approx(2 * frame_of(canvas, map_settings, home).scale)
    assert zoomed(map_settings, home, 10).zoom == 6.0
    assert zoomed(map_settings, home, -10).zoom == 4.0


def test_pan_moves_quarter_of_map():
    canvas = MapCanvas(84, 35)
    map_settings = MapViewSettings(centre=(2.0, 46.0))
    home = Viewpoint(2.0, 46.0, map_settings.zoom)
    frame = frame_of(canvas, map_settings, home)

    east = panned(canvas, map_settings, home, 1, 0)
    south = panned(canvas, map_settings, home, 0, 1)

    main = canvas.layout.main
    assert (east.longitude - 2.0) * frame.x_scale == pytest.approx(main.width * 2 / 4)
    assert (46.0 - south.latitude) * frame.scale == pytest.approx(main.height * 4 / 4)
    assert east.latitude == 46.0


def test_cached_outlines_reused():
    canvas = MapCanvas(84, 35)
    frame = canvas.home_frame()

    first = draw(canvas, frame, [ORLEANS[:2]])
    second = draw(canvas, frame, [REUNION_INLAND[:2]])

    assert np.array_equal(first.outline_bits, second.outline_bits)
    assert len(canvas._cache) == 1 + len(canvas.layout.insets)


# Rows shown on the map


def test_map_rows_subset_of_search(decider):
    pytest.importorskip("geopandas")
    table, settings = decider
    map_rows = MapRows.compute(table, settings)
    shown = [row for row in table.row_ids if table.cell(row, "BAN_depcode") == "75"]

    subset = map_rows.subset(shown)

    assert sorted(subset.rows.tolist()) == sorted(row for row in shown if row in set(map_rows.rows.tolist()))
    assert subset.counts == {"75": len(subset.rows)}
    assert len(map_rows.subset(table.row_ids).rows) == 101


def test_map_rows_unplaced_reasons():
    pytest.importorskip("geopandas")
    opened = Session.open(CASES / "B14").open_table()
    table = opened.table

    subset = MapRows.compute(table, opened.resource.settings).subset(table.row_ids)

    assert sorted(table.key_of(row) for row in subset.rows.tolist()) == ["1", "5"]
    assert {table.key_of(item.row): item.reason for item in subset.unplaced} == {"2": "missing", "3": "latitude-only", "4": "missing"}
    assert subset.counts == {"45": 2}


# Charts as text


def test_bar_text_eighths():
    assert bar_text(10, 10, 4) == "████"
    assert bar_text(5, 10, 4) == "██"
    assert bar_text(1, 16, 4) == "▎"
    assert bar_text(1, 1000, 4) == "▏"
    assert bar_text(0, 10, 4) == ""


def test_strip_widths_add_up():
    widths = strip_widths([50, 30, 15, 4, 1], 40)

    assert sum(widths) == 40
    assert widths == [20, 12, 6, 2, 0]
    assert strip_widths([], 10) == []
    assert strip_widths([0, 0], 10) == [0, 0]


def test_treemap_cells_proportional():
    counts = [60, 30, 10]

    cells = treemap_cells(counts, 40, 10)

    areas = [int(np.count_nonzero(cells == index)) for index in range(3)]
    assert sum(areas) == 400
    for area, count in zip(areas, counts):
        assert abs(area - count * 4) <= 20
    boxes = tile_boxes(cells)
    assert set(boxes) == {0, 1, 2}
    assert boxes[0][2] * boxes[0][3] == areas[0]


def test_chart_data_on_rows(decider):
    table, settings = decider
    chart = settings["charts"][1]
    shown = table.row_ids[:30]

    counts = dict(chart_data(table, chart, shown))

    assert chart_data(table, chart, table.row_ids) == chart_data(table, chart)
    sub_total = sum(counts.values())
    assert 0 < sub_total
    assert sum(dict(chart_data(table, chart)).values()) >= sub_total
    assert empty_rows(table, chart, shown) <= empty_rows(table, chart)


def test_small_departement_gets_a_cell():
    canvas = MapCanvas(84, 35)
    frame = canvas.home_frame((1.9, 47.7))
    codes = [outline.code for outline in load_outlines()]

    picture = draw(canvas, frame, [(2.3488, 48.8534)], {code: 0 for code in codes} | {"75": 3})

    # Paris is smaller than a cell here: it takes the cell at the middle of its bounding box.
    cells = picture.departement == codes.index("75")
    assert int(np.count_nonzero(cells)) == 1
    assert (picture.fill[cells] == 3).all()
    column, line = picture.cell_of_row(0)
    assert abs(int(np.argwhere(cells)[0][1]) - column) <= 1
    assert abs(int(np.argwhere(cells)[0][0]) - line) <= 1
