"""Charts counted by code with their labels, their PNG files, and the map and chart commands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from datami_py.charts import chart_data, chart_settings, chart_source, export_chart_png, matching_code_field, normalize, squarify
from datami_py.cli_geo import chart_command, map_command
from datami_py.errors import DatamiError
from datami_py.session import Session

REPOSITORY = Path(__file__).resolve().parent.parent
PLACES = REPOSITORY / "tests" / "data" / "cases" / "B14"
CHART_CODE_FIELDS = ["CODE THEMATIQUE", "CODE PORTEUR DE PROJET", "CODE DEMARCHE"]


@pytest.fixture(scope="module")
def decider():
    opened = Session.open(REPOSITORY).open_table()
    return opened.table, opened.resource.settings


def independent_code_counts(table, name: str) -> dict[str, int]:
    descriptor = table.field(name)
    labels = {item["value"]: item["label"].strip() for item in descriptor["categories"]}
    counts: Counter[str] = Counter()
    for row in table.iter_rows():
        text = table.cell(row, name) or ""
        codes = {part.strip() for part in text.split("-") if part.strip()}
        counts.update(labels[code] for code in codes)
    return dict(counts)


# Counting


@pytest.mark.parametrize("index", [0, 1, 2])
def test_chart_counts_codes(decider, index):
    table, settings = decider
    chart = settings["charts"][index]

    data = chart_data(table, chart)

    assert chart["field"].startswith("FILTRE")
    assert chart_source(table, chart).field == CHART_CODE_FIELDS[index]
    assert dict(data) == independent_code_counts(table, CHART_CODE_FIELDS[index])


def test_chart_labels_not_spellings(decider):
    table, settings = decider

    labels = [label for label, _count in chart_data(table, settings["charts"][1])]

    assert len(labels) == 9
    assert "GRANDE VILLE" not in labels


def test_chart_multi_code_rows(decider):
    table, settings = decider

    data = dict(chart_data(table, settings["charts"][2]))

    # “DC - PN”, “DC-PN”, “PN - BP” and “BP - IP - PN” count once for each of their codes.
    assert sum(data.values()) > len(table)
    assert data["Dispositif de consultation"] == 62


def test_chart_order(decider):
    table, settings = decider

    counts = [count for _label, count in chart_data(table, settings["charts"][0])]

    assert counts == sorted(counts, reverse=True)


def test_chart_code_field_directly(decider):
    table, _settings = decider

    data = chart_data(table, {"field": "CODE THEMATIQUE"})

    assert dict(data) == independent_code_counts(table, "CODE THEMATIQUE")


def test_chart_text_without_code_field(decider):
    table, _settings = decider

    data = dict(chart_data(table, {"field": "TITRE ÉTAPES"}))

    expected = Counter(normalize(table.cell(row, "TITRE ÉTAPES")) for row in table.iter_rows() if (table.cell(row, "TITRE ÉTAPES") or "").strip())
    assert chart_source(table, {"field": "TITRE ÉTAPES"}).method == "text"
    assert sorted(data.values()) == sorted(expected.values())


def test_unique_text_has_no_code_field(decider):
    table, _settings = decider

    assert matching_code_field(table, "TITRE DU PROJET") is None


def test_normalize_spellings():
    assert normalize("URBANISME & AMENAGEMENT       ") == normalize("Urbanisme et aménagement")
    assert normalize("GRANDE VILLE   COMMUNAUTÉ") == "grande ville communaute"


def test_squarify_tiles_rectangle():
    rectangles = squarify([40, 29, 16, 14, 4, 2], 0.0, 0.0, 1.0, 1.0)

    areas = [width * height for _x, _y, width, height in rectangles]
    assert sum(areas) == pytest.approx(1.0)
    assert areas[0] == pytest.approx(40 / 105)
    assert all(0 <= x and 0 <= y and x + width <= 1 + 1e-9 and y + height <= 1 + 1e-9 for x, y, width, height in rectangles)


def test_chart_settings_out_of_range(decider):
    table, settings = decider

    with pytest.raises(DatamiError) as raised:
        chart_settings(table, settings, 3)

    assert raised.value.code == "chart.out-of-range"


# PNG files


@pytest.mark.parametrize("index", [0, 1, 2])
def test_chart_png_written(decider, tmp_path, index):
    pytest.importorskip("matplotlib")
    table, settings = decider
    target = tmp_path / f"chart-{index}.png"

    export_chart_png(table, settings, index, target, "fr")

    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_chart_png_bar_kind(decider, tmp_path):
    pytest.importorskip("matplotlib")
    table, settings = decider
    bar_settings = {"charts": [dict(settings["charts"][2], kind="bar")]}
    target = tmp_path / "bar.png"

    export_chart_png(table, bar_settings, 0, target, "en")

    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# Commands


def run(command: click.Command, arguments: list[str]):
    return CliRunner().invoke(command, arguments, catch_exceptions=False)


def test_map_command_geojson(tmp_path):
    target = tmp_path / "lieux.geojson"

    result = run(map_command, [str(PLACES), "--output", str(target), "--lang", "en", "--list-unplaced"])

    assert result.exit_code == 0
    assert len(json.loads(target.read_text(encoding="utf-8"))["features"]) == 2
    assert "2 row(s) on the map, 3 without position" in result.output
    assert "Row 3 (3) is not on the map: latitude without longitude." in result.output


def test_map_command_french(tmp_path):
    target = tmp_path / "lieux.geojson"

    result = run(map_command, [str(PLACES), "-o", str(target), "--lang", "fr", "--list-unplaced"])

    assert result.exit_code == 0
    assert "La ligne 3 (3) n’est pas sur la carte : latitude sans longitude." in result.output


@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_map_command_drawings(tmp_path, suffix):
    pytest.importorskip("geopandas")
    pytest.importorskip("matplotlib")
    target = tmp_path / f"decider{suffix}"

    result = run(map_command, [str(REPOSITORY), "--output", str(target), "--lang", "en"])

    assert result.exit_code == 0
    assert target.stat().st_size > 10_000
    assert "101 row(s) on the map, 0 without position" in result.output


def test_map_command_unknown_format(tmp_path):
    target = tmp_path / "lieux.svg"

    result = run(map_command, [str(PLACES), "--output", str(target), "--lang", "en"])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: Cannot tell the map format from {target}: the file name must end with .geojson, .png or .html."
    ]
    assert not target.exists()


def test_map_command_no_coordinates(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "table.csv").write_text("id,nom\n1,a\n", encoding="utf-8")

    result = run(map_command, [str(folder / "table.csv"), "--output", str(tmp_path / "out.geojson"), "--lang", "fr"])

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Erreur : table.csv")
    assert "n’a pas de champs de latitude et de longitude" in result.stderr


def test_map_command_missing_output_option():
    result = run(map_command, [str(PLACES)])

    assert result.exit_code == 2


def test_chart_command_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "chart.png"

    result = run(chart_command, [str(REPOSITORY), "--output", str(target), "--chart", "2", "--lang", "en"])

    assert result.exit_code == 0
    assert target.read_bytes().startswith(b"\x89PNG")
    assert "9 categories counted on the field CODE PORTEUR DE PROJET" in result.output


def test_chart_command_chart_out_of_range(tmp_path):
    target = tmp_path / "chart.png"

    result = run(chart_command, [str(REPOSITORY), "--output", str(target), "--chart", "4", "--lang", "en"])

    assert result.exit_code == 1
    assert "There is no chart 4" in result.stderr
    assert "Choose a number from 1 to 3." in result.stderr
    assert not target.exists()


def test_chart_command_no_charts(tmp_path):
    target = tmp_path / "chart.png"

    result = run(chart_command, [str(PLACES), "--output", str(target), "--lang", "en"])

    assert result.exit_code == 1
    assert "has no charts" in result.stderr


def test_chart_command_not_png(tmp_path):
    result = run(chart_command, [str(REPOSITORY), "--output", str(tmp_path / "chart.svg"), "--lang", "en"])

    assert result.exit_code == 1
    assert "must end with .png" in result.stderr


def test_chart_command_missing_package(tmp_path):
    result = run(chart_command, [str(tmp_path / "absent"), "--output", str(tmp_path / "chart.png"), "--lang", "en"])

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_chart_png_leaves_pyplot_alone(decider, tmp_path):
    pyplot = pytest.importorskip("matplotlib.pyplot")
    table, settings = decider
    open_figures = pyplot.get_fignums()

    export_chart_png(table, settings, 0, tmp_path / "chart.png", "en")

    assert pyplot.get_fignums() == open_figures


def test_map_command_group_language(tmp_path):
    @click.group()
    @click.option("--lang", "language", default=None)
    def group(language):
        """Stand-in for the datami group, which carries --lang."""

    group.add_command(map_command)
    target = tmp_path / "lieux.geojson"

    result = CliRunner().invoke(group, ["--lang", "fr", "map", str(PLACES), "-o", str(target)], catch_exceptions=False)

    assert result.exit_code == 0
    assert "2 ligne(s) sur la carte, 3 sans position" in result.output
