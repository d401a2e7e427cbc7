"""Map domain: positions of rows, counts per département, and the GeoJSON, PNG and HTML files.

geopandas, matplotlib and shapely come with the ``maps`` extra. The tests that need them
skip when they are missing, and the position tests run without them.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from datami_py.errors import DatamiError
from datami_py.geo import departement_counts, departement_of_rows, export_geojson, export_html, export_png, points
from datami_py.geo.points import REASON_LATITUDE_ONLY
from datami_py.i18n import render
from datami_py.session import Session

REPOSITORY = Path(__file__).resolve().parent.parent
OUTLINES = REPOSITORY / "datami_py" / "geo" / "data" / "departements.geojson"

def places_descriptor(csv_name: str = "lieux.csv") -> dict:
    return {
        "name": "lieux",
        "resources": [
            {
                "name": "lieux",
                "path": csv_name,
                "format": "csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {"name": "id", "type": "integer"},
                        {"name": "nom", "type": "string"},
                        {"name": "latitude", "type": "number", "constraints": {"minimum": -90, "maximum": 90}},
                        {"name": "longitude", "type": "number", "constraints": {"minimum": -180, "maximum": 180}},
                    ],
                    "missingValues": ["", "NA"],
                    "primaryKey": ["id"],
                },
            }
        ],
    }


def write_package(folder: Path, csv_text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lieux.csv").write_text(csv_text, encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps(places_descriptor()), encoding="utf-8")
    return folder


def open_package(path: Path):
    opened = Session.open(path).open_table()
    return opened.table, opened.resource.settings


@pytest.fixture
def places():
    # Ids 1 and 5 complete, 2 both empty, 3 latitude only, 4 NA/NA (a missing value of the schema).
    return open_package(REPOSITORY / "tests" / "data" / "cases" / "B14")


@pytest.fixture(scope="module")
def decider():
    return open_package(REPOSITORY)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an export tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def needs(*libraries: str) -> None:
    for library in libraries:
        pytest.importorskip(library)


def key_of_rows(table, rows) -> list[str]:
    return sorted(table.key_of(row) for row in rows)


# Runs the page script of an HTML map under Node.js against minimal stand-ins for the DOM
# and Leaflet, and prints what it drew as JSON.
PAGE_SCRIPT_RUNNER = r"""
// Runs the page script against minimal stand-ins for the DOM and Leaflet, and prints what it drew.
const fs = require("fs");
const page = fs.readFileSync(process.argv[2], "utf8");
const data = page.split('id="map-data">')[1].split("</script>")[0];
const script = page.split("<script>")[1].split("</script>")[0];
function element() { return { style: {}, children: [], appendChild(child) { this.children.push(child); } }; }
const drawn = { outlines: 0, points: 0, popups: 0, tooltips: 0, legendLines: 0, fitted: false };
global.document = {
  getElementById: () => ({ textContent: data }),
  createElement: element,
  createTextNode: (text) => ({ text }),
};
function layerGroup(collection, options, kind) {
  const layers = [];
  for (const feature of collection.features) {
    const layer = { bindPopup() { drawn.popups++; }, bindTooltip() { drawn.tooltips++; } };
    if (options.style) options.style(feature);
    if (options.pointToLayer) options.pointToLayer(feature, feature.geometry.coordinates);
    if (options.onEachFeature) options.onEachFeature(feature, layer);
    layers.push(layer);
    drawn[kind]++;
  }
  return { addTo() { return this; }, getLayers: () => layers, getBounds: () => ({ pad: () => "bounds" }) };
}
let geoJsonCalls = 0;
global.L = {
  map: () => ({ fitBounds() { drawn.fitted = true; } }),
  geoJSON: (collection, options) => layerGroup(collection, options, geoJsonCalls++ === 0 ? "outlines" : "points"),
  circleMarker: () => ({}),
  control: Object.assign(() => ({ addTo() { const box = this.onAdd(); drawn.legendLines = box.children.length - 1; } }), {
    layers: () => ({ addTo() {} }),
  }),
  DomUtil: { create: element },
};
eval(script);
console.log(JSON.stringify(drawn));
"""


# Positions


def test_points_partial_coordinates(places):
    table, settings = places

    point_set = points(table, settings)

    assert key_of_rows(table, [point.row for point in point_set.points]) == ["1", "5"]
    assert all((point.longitude, point.latitude) != (0.0, 0.0) for point in point_set.points)
    reasons = {table.key_of(item.row): item.reason for item in point_set.unplaced}
    assert reasons == {"2": "missing", "3": "latitude-only", "4": "missing"}


def test_points_latitude_only_message(places):
    table, settings = places

    unplaced = [item for item in points(table, settings).unplaced if table.key_of(item.row) == "3"]

    assert render(unplaced[0].message_code, "fr") == "latitude sans longitude"
    assert unplaced[0].message_code == REASON_LATITUDE_ONLY


def test_points_extent_from_valid_rows(places):
    table, settings = places

    extent = points(table, settings).extent

    assert extent == (1.9047, 47.9016, 1.9103, 47.9078)


def test_points_bad_numbers(tmp_path):
    csv_text = "id,nom,latitude,longitude\n1,a,abc,2.0\n2,b,95.5,2.0\n3,c,45.0,-181\n4,d,nan,2.0\n5,e,,3.0\n6,f,0,0\n"
    table, settings = open_package(write_package(tmp_path, csv_text))

    point_set = points(table, settings)

    reasons = {table.key_of(item.row): (item.reason, item.params.get("field")) for item in point_set.unplaced}
    assert reasons == {
        "1": ("not-a-number", "latitude"),
        "2": ("out-of-range", "latitude"),
        "3": ("out-of-range", "longitude"),
        "4": ("not-a-number", "latitude"),
        "5": ("longitude-only", None),
    }
    # A real (0, 0) written in the file is a position, unlike an empty cell.
    assert [(point.longitude, point.latitude) for point in point_set.points] == [(0.0, 0.0)]


def test_points_follow_edits(places):
    table, settings = places
    row = table.find_row("2")

    table.set_cell(row, "latitude", "47.9087")
    table.set_cell(row, "longitude", "1.9166")

    assert len(points(table, settings).points) == 3


def test_points_map_settings_fields(decider):
    table, settings = decider

    point_set = points(table, settings)

    assert (point_set.latitude_field, point_set.longitude_field) == ("BAN_latitude", "BAN_longitude")
    assert len(point_set.points) == 101


def test_points_without_coordinate_fields(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "table.csv").write_text("id,nom\n1,a\n", encoding="utf-8")

    table, settings = open_package(folder / "table.csv")

    with pytest.raises(DatamiError) as raised:
        points(table, settings)
    assert raised.value.code == "geo.no-coordinate-fields"


def test_geo_import_stays_light():
    script = "import sys, datami_py.geo, datami_py.charts; print(sorted(m for m in ('geopandas', 'matplotlib', 'shapely') if m in sys.modules))"

    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPOSITORY).stdout

    assert output.strip() == "[]"


# Départements


def test_outlines_package_data():
    collection = json.loads(OUTLINES.read_text(encoding="utf-8"))
    codes = {feature["properties"]["code"] for feature in collection["features"]}

    assert len(collection["features"]) == 101
    assert {"971", "972", "973", "974", "976", "2A", "2B", "75"} <= codes
    assert all(feature["properties"]["nom"] for feature in collection["features"])
    assert OUTLINES.stat().st_size < 1_000_000
    assert (OUTLINES.parent / "LICENSE.md").is_file()


CONCURRENT_CHECKS = """
import threading
from datami_py.geo import checks
from datami_py.session import Session

opened = Session.open(".").open_table()
table, settings = opened.table, opened.resource.settings
fields = checks.address_fields(table, settings)
# Each round starts with outlines not yet prepared, so that the threads race to build
# their point indexes, as two validation workers of the terminal UI do.
barrier = threading.Barrier(4, action=checks._prepared_outlines.cache_clear)
found = []

def check():
    for _ in range(25):
        barrier.wait()
        found.append(len(checks.departement_problems(table, fields)))

threads = [threading.Thread(target=check) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(sorted(set(found)), len(found))
"""


def test_departement_checks_in_threads_at_once():
    # Run in a child process: without the outlines lock, GEOS corrupted the heap and
    # the process aborted ("malloc_consolidate(): unaligned fastbin chunk detected").
    completed = subprocess.run([sys.executable, "-c", CONCURRENT_CHECKS], capture_output=True, text=True, cwd=REPOSITORY, timeout=120)

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == "[6] 100"


def test_counts_match_independent_join(decider, tmp_path, no_network):
    needs("geopandas", "shapely")
    from shapely.geometry import Point as ShapelyPoint
    from shapely.geometry import shape

    table, settings = decider
    target = tmp_path / "map.geojson"
    export_geojson(table, settings, target)
    exported = json.loads(target.read_text(encoding="utf-8"))["features"]
    outlines = [
        (feature["properties"]["code"], shape(feature["geometry"]))
        for feature in json.loads(OUTLINES.read_text(encoding="utf-8"))["features"]
    ]

    expected = Counter()
    for feature in exported:
        position = ShapelyPoint(feature["geometry"]["coordinates"])
        containing = sorted(code for code, outline in outlines if outline.covers(position))
        assert containing, f"no département contains {feature['properties']['TITRE DU PROJET']!r}"
        expected[containing[0]] += 1

    assert departement_counts(points(table, settings)) == dict(expected)
    assert sum(expected.values()) == 101


def test_overseas_rows_in_their_departements(decider):
    needs("geopandas")
    table, settings = decider
    overseas = [row for row in table.iter_rows() if table.cell(row, "BAN_depcode") == "97"]

    codes = departement_of_rows(points(table, settings))

    assert sorted(codes[row] for row in overseas) == ["973", "974"]
    counts = departement_counts(points(table, settings))
    assert counts["973"] == 1
    assert counts["974"] == 1
    assert "97" not in counts


def test_counts_ignore_wrong_depcode(decider):
    needs("geopandas")
    table, settings = decider
    codes = departement_of_rows(points(table, settings))

    # The geocoder put “quai Ceineray, Nantes” in Roubaix (BAN_depcode 59), but its coordinates are in Nantes.
    nantes = [row for row in table.iter_rows() if table.cell(row, "BAN_depcode") == "59" and table.cell(row, "BAN_city") == "Roubaix"]
    assert nantes
    assert {codes[row] for row in nantes} == {"44"}


# Files


def test_geojson_partial_coordinates(places, tmp_path, no_network):
    table, settings = places
    target = tmp_path / "lieux.geojson"

    export_geojson(table, settings, target)

    collection = json.loads(target.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert [feature["properties"]["id"] for feature in collection["features"]] == ["1", "5"]
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [1.9103, 47.9016]}
    assert collection["features"][0]["properties"] == {"id": "1", "nom": "Cathédrale Sainte-Croix", "latitude": "47.9016", "longitude": "1.9103"}


def test_geojson_real_package(decider, tmp_path):
    table, settings = decider
    target = tmp_path / "decider.geojson"

    export_geojson(table, settings, target)

    features = json.loads(target.read_text(encoding="utf-8"))["features"]
    assert len(features) == 101
    assert set(features[0]["properties"]) == set(table.field_names)


def test_png_real_package(decider, tmp_path, no_network):
    needs("geopandas", "matplotlib")
    table, settings = decider
    target = tmp_path / "decider.png"

    export_png(table, settings, target, "fr")

    content = target.read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(content) > 50_000


def test_png_partial_coordinates(places, tmp_path, no_network):
    needs("geopandas", "matplotlib")
    table, settings = places
    target = tmp_path / "lieux.png"

    point_set = export_png(table, settings, target, "en")

    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert len(point_set.points) == 2


def test_html_contains_points(decider, tmp_path, no_network):
    needs("geopandas")
    table, settings = decider
    target = tmp_path / "decider.html"

    point_set = export_html(table, settings, target, "fr")

    page = target.read_text(encoding="utf-8")
    data_text = page.split('id="map-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(data_text)
    coordinates = [tuple(feature["geometry"]["coordinates"]) for feature in data["points"]["features"]]
    assert coordinates == [(point.longitude, point.latitude) for point in point_set.points]
    counts = {feature["properties"]["code"]: feature["properties"]["count"] for feature in data["departements"]["features"]}
    assert counts["974"] == 1
    assert "<title>CARTOGRAPHIE</title>" in page
    assert 'integrity="sha256-' in page


def test_html_escapes_titles(tmp_path):
    needs("geopandas")
    csv_text = "id,nom,latitude,longitude\n1,</script><b>x</b>,47.9,1.9\n"
    table, settings = open_package(write_package(tmp_path, csv_text))
    target = tmp_path / "lieux.html"

    export_html(table, settings, target, "en")

    page = target.read_text(encoding="utf-8")
    assert "</script><b>" not in page
    assert page.count("</script>") == 3


def test_export_to_missing_folder(places, tmp_path):
    table, settings = places

    with pytest.raises(DatamiError) as raised:
        export_geojson(table, settings, tmp_path / "absent" / "lieux.geojson")

    assert raised.value.code == "geo.write-failed"


def test_png_points_outside_france(tmp_path):
    needs("geopandas", "matplotlib")
    csv_text = "id,nom,latitude,longitude\n1,Bruxelles,50.8467,4.3525\n2,Liège,50.6326,5.5797\n"
    table, settings = open_package(write_package(tmp_path, csv_text))
    target = tmp_path / "belgique.png"

    point_set = export_png(table, settings, target, "fr")

    assert departement_counts(point_set) == {}
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_html_script_runs(decider, tmp_path):
    needs("geopandas")
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    table, settings = decider
    page = tmp_path / "decider.html"
    runner = tmp_path / "run.js"
    export_html(table, settings, page, "en")
    runner.write_text(PAGE_SCRIPT_RUNNER, encoding="utf-8")

    output = subprocess.run([node, str(runner), str(page)], capture_output=True, text=True, check=True).stdout

    drawn = json.loads(output)
    assert drawn["outlines"] == 101
    assert drawn["points"] == 101
    assert drawn["popups"] == 101
    assert drawn["legendLines"] == 5
    assert drawn["fitted"] is True
