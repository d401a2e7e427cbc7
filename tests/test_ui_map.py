"""Pilot tests of the map view and the charts view on the real package, in French and English."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from textual.widgets import Input, Static

from datami_py.charts import chart_data
from datami_py.geo import departement_counts, export_geojson, points
from datami_py.geo.canvas import load_outlines
from datami_py.geo.layers import class_index
from datami_py.ui.app import DatamiApp
from datami_py.ui.screens.card_detail import CardDetailScreen
from datami_py.ui.screens.main import MainScreen
from datami_py.ui.screens.row_editor import RowEditorScreen
from datami_py.ui.widgets.charts_view import ChartPicture, ChartsView
from datami_py.ui.widgets.map_view import MapView
from datami_py.ui.widgets.terminal_map import TerminalMap
from tests.helpers import REPOSITORY, copy_case
from tests.test_ui import wait_for_main

pytest.importorskip("geopandas")

SIZE = (120, 40)
OUTLINES = REPOSITORY / "datami_py" / "geo" / "data" / "departements.geojson"


async def open_map(app: DatamiApp, pilot) -> tuple[MainScreen, TerminalMap]:
    """Open the app, press m, and wait until the rows are placed."""
    screen = await wait_for_main(app, pilot)
    await pilot.press("m")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert screen.current_view == "map"
    terminal_map = screen.query_one(TerminalMap)
    assert app.focused is terminal_map
    return screen, terminal_map


def panel_text(screen: MainScreen, name: str) -> str:
    return str(screen.query_one(f"#{name}", Static).render())


def shown_counts(screen: MainScreen) -> dict[str, int]:
    """Read the counts per département from the side panel: lines such as "   11  75 Paris"."""
    counts = {}
    for line in panel_text(screen, "map-counts").splitlines()[1:]:
        count, code = line.split()[:2]
        counts[code] = int(count)
    return counts


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_map_zoom_pan_layers_select(package, language):
    app = DatamiApp(package, language)
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        table, settings = screen.table, screen.settings
        home = terminal_map.viewpoint
        assert (home.longitude, home.latitude, home.zoom) == (1.9, 47.7, 4.7)

        # The panel shows the package's title, the rows placed and the counts of the spatial join.
        summary = panel_text(screen, "map-summary")
        assert "CARTOGRAPHIE" in summary
        assert ("101 ligne(s) sur la carte." if language == "fr" else "101 row(s) on the map.") in summary
        assert shown_counts(screen) == departement_counts(points(table, settings))

        # + and - zoom by half a level; 0 goes back home.
        await pilot.press("plus")
        assert terminal_map.viewpoint.zoom == 5.2
        assert ("Niveau de zoom 5,2" if language == "fr" else "Zoom 5.2") in panel_text(screen, "map-summary")
        await pilot.press("minus", "minus")
        assert terminal_map.viewpoint.zoom == 4.2
        await pilot.press("0")
        assert terminal_map.viewpoint == home

        # Arrows move the centre.
        await pilot.press("right", "up")
        assert terminal_map.viewpoint.longitude > home.longitude
        assert terminal_map.viewpoint.latitude > home.latitude
        await pilot.press("0")

        # 1 hides the points, 2 the choropleth.
        assert terminal_map.picture.point_bits.any()
        await pilot.press("1")
        await pilot.pause()
        assert not terminal_map.picture.point_bits.any()
        assert ("Points : masqués" if language == "fr" else "Points: off") in panel_text(screen, "map-summary")
        await pilot.press("1", "2")
        await pilot.pause()
        assert terminal_map.picture.point_bits.any()
        assert (terminal_map.picture.fill == -1).all()
        await pilot.press("2")
        await pilot.pause()
        assert (terminal_map.picture.fill >= 0).any()

        # n selects the first point in reading order, Enter opens its card.
        await pilot.press("n")
        first = terminal_map.picture.rows_in_reading_order()[0]
        assert terminal_map.selected == first
        assert ("Sélection :" if language == "fr" else "Selected:") in panel_text(screen, "map-summary")
        await pilot.press("n", "p")
        assert terminal_map.selected == first
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CardDetailScreen)
        assert app.screen.row == first

        # e in the card edits that row.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RowEditorScreen)
        assert app.screen.row == first
        await pilot.press("escape")
        await pilot.pause()

        # t and c go back to the table and the cards, m to the map.
        await pilot.press("t")
        assert screen.current_view == "table"
        await pilot.press("m")
        assert screen.current_view == "map"
        await pilot.press("c")
        assert screen.current_view == "cards"


async def test_map_click_opens_card(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        picture = terminal_map.picture
        # A row drawn in the main frame, and the row nearest its cell (several rows can share a cell).
        row = next(row for row in picture.rows_in_reading_order() if picture.layout.main.contains(*picture.cell_of_row(row)))
        column, line = picture.cell_of_row(row)
        expected = picture.rows_near(column, line, radius=1)[0]

        await pilot.click(TerminalMap, offset=(column, line))
        await pilot.pause()

        assert isinstance(app.screen, CardDetailScreen)
        assert app.screen.row == expected
        assert terminal_map.selected == expected


async def test_map_counts_match_geojson_export(package, tmp_path):
    from shapely.geometry import Point as ShapelyPoint
    from shapely.geometry import shape

    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        counts = shown_counts(screen)
        picture = terminal_map.picture
        stops = terminal_map.settings.stops
        table, settings = screen.table, screen.settings

    # Counts computed without datami-py's join: the exported points in the shipped outlines, with shapely.
    target = tmp_path / "carte.geojson"
    export_geojson(table, settings, target)
    outlines = [(feature["properties"]["code"], shape(feature["geometry"])) for feature in json.loads(OUTLINES.read_text(encoding="utf-8"))["features"]]
    expected = Counter()
    for feature in json.loads(target.read_text(encoding="utf-8"))["features"]:
        position = ShapelyPoint(feature["geometry"]["coordinates"])
        expected[sorted(code for code, outline in outlines if outline.covers(position))[0]] += 1

    assert counts == dict(expected)
    assert counts["974"] == 1
    assert counts["973"] == 1
    # Every drawn cell of a département is filled with the class of its count.
    codes = [outline.code for outline in load_outlines()]
    for index, code in enumerate(codes):
        cells = picture.departement == index
        if cells.any():
            assert (picture.fill[cells] == class_index(counts.get(code, 0), stops)).all(), code


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_map_unplaced_rows_listed(tmp_path, language):
    folder = copy_case("B14", tmp_path)
    app = DatamiApp(folder, language)
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)

        summary = panel_text(screen, "map-summary")
        unplaced = panel_text(screen, "map-unplaced")

    assert sorted(screen.table.key_of(row) for row in terminal_map.rows.tolist()) == ["1", "5"]
    if language == "fr":
        assert "2 ligne(s) sur la carte." in summary
        assert "3 ligne(s) sans position ne figurent pas sur la carte." in summary
        assert unplaced.splitlines() == [
            "Lignes sans position",
            "Ligne 2 (2) : ni latitude ni longitude",
            "Ligne 3 (3) : latitude sans longitude",
            "Ligne 4 (4) : ni latitude ni longitude",
        ]
    else:
        assert "3 row(s) without position are not on the map." in summary
        assert unplaced.splitlines() == [
            "Rows without position",
            "Row 2 (2): no latitude and no longitude",
            "Row 3 (3): latitude without longitude",
            "Row 4 (4): no latitude and no longitude",
        ]


async def test_map_follows_search(package):
    app = DatamiApp(package, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        view = screen.query_one(MapView)
        all_counts = shown_counts(screen)

        screen.query_one("#search", Input).value = "Paris"
        await pilot.pause()

        placed = set(view.map_rows.rows.tolist())
        expected = sorted(row for row in screen.view.rows if row in placed)
        assert 0 < len(expected) < 101
        assert sorted(terminal_map.rows.tolist()) == expected
        assert sum(shown_counts(screen).values()) == len(expected)
        assert shown_counts(screen) != all_counts


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_charts_show_chart_data(package, language):
    app = DatamiApp(package, language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        assert screen.current_view == "charts"
        charts_view = screen.query_one(ChartsView)
        assert app.focused is charts_view
        charts = screen.settings["charts"]
        picture = charts_view.query_one(ChartPicture)

        for index, chart in enumerate(charts):
            assert charts_view.index == index
            expected = chart_data(screen.table, chart)
            assert picture.data == expected
            assert picture.kind == chart["kind"]
            drawn = "\n".join(line.plain for line in picture.lines(picture.content_size.width))
            for label, count in expected:
                assert f"{label} {count} (" in drawn
            title = str(charts_view.query_one("#chart-title", Static).render())
            assert chart["title"]["fr"] in title
            # Rows with several codes count in each: the note states it when the counts add up to more.
            note = str(charts_view.query_one("#chart-note", Static).render())
            codes = sum(count for _label, count in expected)
            several = {"fr": f"les nombres font {codes} en tout", "en": f"the counts add up to {codes}"}[language]
            assert (several in note) == (codes > 101 - int(note.split(", ")[1].split()[0]))
            await pilot.press("n")
            await pilot.pause()
        assert charts_view.index == 0

        # p goes back to the last chart; a search counts only the rows it shows.
        await pilot.press("p")
        screen.query_one("#search", Input).value = "Paris"
        await pilot.pause()
        assert picture.data == chart_data(screen.table, charts[-1], screen.view.rows)
        assert sum(count for _label, count in picture.data) < sum(count for _label, count in chart_data(screen.table, charts[-1]))


def write_places(folder, settings: dict | None = None, coordinates: bool = True):
    """Write a small package of places in ``folder``: the B14 rows, with or without coordinate fields."""
    folder.mkdir()
    fields = [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string"}]
    header, lines = "id,nom", ["1,Cathédrale", "2,Gare"]
    if coordinates:
        fields += [{"name": "latitude", "type": "number"}, {"name": "longitude", "type": "number"}]
        header, lines = "id,nom,latitude,longitude", ["1,Cathédrale,47.9016,1.9103", "2,Gare,47.9078,1.9047"]
    (folder / "lieux.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    resource = {"name": "lieux", "path": "lieux.csv", "format": "csv", "encoding": "utf-8", "schema": {"fields": fields, "primaryKey": ["id"]}}
    if settings is not None:
        resource["x-datami"] = settings
    (folder / "datapackage.json").write_text(json.dumps({"name": "lieux", "resources": [resource]}), encoding="utf-8")
    return folder


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_map_without_coordinate_fields(tmp_path, language):
    from datami_py.errors import DatamiError, Location, describe
    from datami_py.geo.points import NO_COORDINATE_FIELDS

    folder = write_places(tmp_path / "lieux", coordinates=False)
    app = DatamiApp(folder, language)
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        summary = panel_text(screen, "map-summary")

    expected = describe(DatamiError(NO_COORDINATE_FIELDS, Location(file="lieux.csv"), resource="lieux"), language)
    assert summary == expected
    assert "x-datami.map.latitudeField" in summary
    assert len(terminal_map.rows) == 0


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_chart_of_missing_field(tmp_path, language):
    from datami_py.charts import CHART_FIELD_MISSING
    from datami_py.errors import DatamiError, Location, describe

    folder = write_places(tmp_path / "lieux", settings={"charts": [{"field": "absent", "kind": "bar"}, {"field": "nom", "kind": "bar"}]})
    app = DatamiApp(folder, language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        charts_view = screen.query_one(ChartsView)
        title = str(charts_view.query_one("#chart-title", Static).render())
        assert title == describe(DatamiError(CHART_FIELD_MISSING, Location(file="lieux.csv"), number=1, field="absent"), language)
        assert charts_view.query_one(ChartPicture).data == []

        # The next chart still shows.
        await pilot.press("n")
        await pilot.pause()
        assert charts_view.query_one(ChartPicture).data == [("Cathédrale", 1), ("Gare", 1)]


async def test_charts_without_settings(tmp_path):
    folder = write_places(tmp_path / "lieux")
    app = DatamiApp(folder, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        title = str(screen.query_one("#chart-title", Static).render())

    assert title == "Ce tableau n’a pas de graphique. Ajoutez-en dans les réglages de la ressource (x-datami.charts)."


async def test_map_after_edit(tmp_path):
    folder = copy_case("B14", tmp_path)
    app = DatamiApp(folder, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        table = screen.table
        row = next(row for row in table.row_ids if table.key_of(row) == "3")

        # Giving row 3 its missing longitude places it on the map and drops it from the list.
        app.editor.set_cell(row, "longitude", "1.9120")
        screen.refresh_rows()
        await app.workers.wait_for_complete()
        await pilot.pause()

        assert sorted(table.key_of(row) for row in terminal_map.rows.tolist()) == ["1", "3", "5"]
        assert "Row 3 (3)" not in panel_text(screen, "map-unplaced")
        assert shown_counts(screen) == {"45": 3}


async def test_unplaced_list_capped(tmp_path):
    from datami_py.ui.widgets.map_view import UNPLACED_SHOWN

    folder = write_places(tmp_path / "lieux")
    with (folder / "lieux.csv").open("a", encoding="utf-8") as handle:
        for key in range(3, UNPLACED_SHOWN + 6):
            handle.write(f"{key},Lieu {key},,\n")
    app = DatamiApp(folder, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen, _terminal_map = await open_map(app, pilot)
        lines = panel_text(screen, "map-unplaced").splitlines()
        side = screen.query_one("#map-side")

        # Page Down scrolls the side panel while the map keeps the focus.
        assert side.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert side.scroll_y > 0
        assert isinstance(app.focused, TerminalMap)

    assert len(lines) == 1 + UNPLACED_SHOWN + 1
    assert lines[1] == "Row 3 (3): no latitude and no longitude"
    assert lines[-1] == "… and 3 more; search or filter to see them."


async def test_palette_actions_and_edit_from_map(package):
    from datami_py.ui import map_strings
    from datami_py.ui.screens.help import ACTIONS

    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        actions = dict(ACTIONS)
        assert app.tr(map_strings.KEY_MAP) == "Carte"
        assert app.tr(map_strings.KEY_CHARTS) == "Graphiques"

        # The palette runs the screen's actions by name.
        await screen.run_action(actions[map_strings.KEY_CHARTS])
        assert screen.current_view == "charts"
        await screen.run_action(actions[map_strings.KEY_MAP])
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.current_view == "map"

        # e edits the selected point's row without opening its card first.
        await pilot.press("n", "n")
        selected = screen.query_one(TerminalMap).selected
        assert selected == screen.query_one(TerminalMap).picture.rows_in_reading_order()[1]
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RowEditorScreen)
        assert app.screen.row == selected


async def test_map_without_geopandas(package, monkeypatch):
    from datami_py.errors import DatamiError, describe
    from datami_py.geo import layers
    from datami_py.geo.departements import MISSING_LIBRARY

    def missing(_point_set):
        raise DatamiError(MISSING_LIBRARY, library="geopandas")

    monkeypatch.setattr(layers, "departement_of_rows", missing)
    app = DatamiApp(package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen, terminal_map = await open_map(app, pilot)
        counts = panel_text(screen, "map-counts")

        # The points are drawn; the départements are outlined but not filled.
        assert len(terminal_map.rows) == 101
        assert terminal_map.picture.point_bits.any()
        assert (terminal_map.picture.fill == -1).all()

    assert counts.splitlines() == ["Départements ayant des lignes", describe(DatamiError(MISSING_LIBRARY, library="geopandas"), "fr")]
    assert "pip install" in counts
