"""Tests of the Datami configuration importer, on the real Décider Ensemble files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import Package

from datami_py.cli_import import import_datami as import_command
from datami_py.errors import DatamiError, describe
from datami_py.package import importer
from datami_py.package.importer import import_datami, resolve_repository_url

REPOSITORY = Path(__file__).resolve().parents[1]
SOURCE = Path(__file__).resolve().parent / "data" / "decider-ensemble"
GITFILES = SOURCE / "widget" / "gitfiles.json"
CSV_FILE = SOURCE / "csv" / "geocoding" / "decider-ensemble-ressources-geocoded.csv"
SCHEMA_FILE = "json/decider-ensemble-ressources-schema.json"
METADATA = REPOSITORY / "data" / "package-metadata.json"

MISSING_FROM_CSV = [
    "ADRESSE",
    "DEPARTEMENT",
    "SOURCE_codes",
    "CONCAT_TYPO",
    "PUBLICS",
    "TYPOLOGIE",
    "DEPARTEMENT_NOM",
    "latitude",
    "longitude",
]
COLUMN_NOT_IN_SCHEMA_CODES = {
    "importer.column-not-in-schema",
    "importer.code-column-not-in-schema",
    "importer.coordinate-not-in-schema",
}


@pytest.fixture(scope="module")
def result() -> importer.ImportResult:
    return import_datami(GITFILES, SOURCE)


def csv_header() -> list[str]:
    with CSV_FILE.open(encoding="utf-8-sig", newline="") as stream:
        return next(csv.reader(stream))


def fields_by_name(result: importer.ImportResult) -> dict[str, dict]:
    return {field["name"]: field for field in result.schema["fields"]}


def findings(result: importer.ImportResult, *codes: str) -> list:
    return [finding for finding in result.report if finding.code in codes]


def test_csv_has_34_columns() -> None:
    assert len(csv_header()) == 34


def test_report_schema_fields_missing_from_csv(result: importer.ImportResult) -> None:
    missing = findings(result, "importer.schema-field-not-in-csv")

    assert [finding.location.field for finding in missing] == MISSING_FROM_CSV
    assert all(finding.location.file == SCHEMA_FILE for finding in missing)


def test_report_csv_columns_missing_from_schema(result: importer.ImportResult) -> None:
    missing = findings(result, *COLUMN_NOT_IN_SCHEMA_CODES)
    declared = {field["name"] for field in json.loads((SOURCE / SCHEMA_FILE).read_text(encoding="utf-8"))["fields"]}
    expected = [name for name in csv_header() if name not in declared]

    assert len(missing) == 22
    assert [finding.location.field for finding in missing] == expected


def test_report_field_order_differences(result: importer.ImportResult) -> None:
    moved = {finding.location.field: finding.params for finding in findings(result, "importer.field-order")}

    assert set(moved) == {"PRÉSENTATION DU PROJET", "SITE WEB", "LOGO URL", "LIEN PDF PROTEGE"}
    assert moved["SITE WEB"] == {"schema_position": 8, "column": 15}


def test_report_lists_mismatches_first(result: importer.ImportResult) -> None:
    codes = [finding.code for finding in result.report]
    first_other = next(index for index, code in enumerate(codes) if code not in COLUMN_NOT_IN_SCHEMA_CODES | {
        "importer.schema-field-not-in-csv",
        "importer.field-order",
    })

    assert first_other == 9 + 22 + 4


def test_schema_lists_every_column_in_header_order(result: importer.ImportResult) -> None:
    assert [field["name"] for field in result.schema["fields"]] == csv_header()
    assert result.schema["missingValues"] == [""]


@pytest.mark.parametrize("name", ["CODE_POSTAL", "BAN_postcode", "BAN_depcode"])
def test_postcode_columns_are_strings(result: importer.ImportResult, name: str) -> None:
    assert fields_by_name(result)[name]["type"] == "string"


@pytest.mark.parametrize("name", ["lat", "lon", "BAN_latitude", "BAN_longitude"])
def test_coordinate_columns_are_numbers(result: importer.ImportResult, name: str) -> None:
    assert fields_by_name(result)[name]["type"] == "number"


@pytest.mark.parametrize(
    ("name", "count", "first"),
    [
        ("CODE PORTEUR DE PROJET", 9, {"value": "AC", "label": "Association ou collectif citoyen"}),
        ("CODE DEMARCHE", 7, {"value": "AU", "label": "Autre"}),
        ("CODE THEMATIQUE", 6, {"value": "ACT", "label": "Action sociale et inclusion"}),
    ],
)
def test_code_columns_are_lists_with_categories(result: importer.ImportResult, name: str, count: int, first: dict) -> None:
    field = fields_by_name(result)[name]

    assert field["type"] == "list"
    assert field["delimiter"] == "-"
    assert field["itemType"] == "string"
    assert len(field["categories"]) == count
    assert field["categories"][0] == first
    assert all(set(category) == {"value", "label"} for category in field["categories"])


def test_code_columns_keep_colour_and_tags(result: importer.ImportResult) -> None:
    view = fields_by_name(result)["CODE PORTEUR DE PROJET"]["x-datami"]

    assert view == {"subtype": "tags", "separator": "-", "color": "#f6c131"}


def test_label_columns_stay_hidden_strings(result: importer.ImportResult) -> None:
    field = fields_by_name(result)["FILTRE 1 - TYPE DE PORTEUR DE PROJET"]

    assert field["type"] == "string"
    assert "categories" not in field
    assert field["x-datami"] == {"subtype": "tags", "separator": "-", "hide": True}


def test_primary_key_is_required_title(result: importer.ImportResult) -> None:
    assert result.schema["primaryKey"] == "TITRE DU PROJET"
    assert fields_by_name(result)["TITRE DU PROJET"]["constraints"] == {"required": True}


def test_no_field_declares_uri_format(result: importer.ImportResult) -> None:
    assert all("format" not in field for field in result.schema["fields"])

    dropped = {finding.location.field: finding.params for finding in findings(result, "importer.uri-format-dropped")}
    assert dropped["SITE WEB"] == {"count": 3, "total": 101}


def test_custom_title_wins_and_is_reported(result: importer.ImportResult) -> None:
    assert fields_by_name(result)["LIEN PDF PROTEGE"]["title"] == "URL du fichier pdf"

    replaced = {finding.location.field for finding in findings(result, "importer.title-replaced")}
    assert replaced == {"SITE WEB", "LIEN PDF PROTEGE"}


def test_longtext_and_timeline_settings(result: importer.ImportResult) -> None:
    fields = fields_by_name(result)

    assert fields["À RETENIR"]["x-datami"] == {
        "subtype": "longtext",
        "maxLength": 150,
        "longtext": {"paragraphSeparator": "//", "bulletMarker": "- "},
    }
    assert fields["ÉTAPES"]["x-datami"] == {
        "subtype": "timeline",
        "timeline": {"stepSeparator": "//", "titleSeparator": "::", "endLabel": "Début du projet"},
    }


def test_report_setting_naming_absent_column(result: importer.ImportResult) -> None:
    absent = findings(result, "importer.setting-unknown-column")

    assert [(finding.location.field, finding.params["setting"]) for finding in absent] == [
        ("DESCRIPTION", "options.cardssettings.detail")
    ]


def test_imge_typo_is_read_as_image(result: importer.ImportResult) -> None:
    typo = findings(result, "importer.card-position-typo")
    detail = result.resource["x-datami"]["cards"]["detail"]

    assert [(finding.location.field, finding.params["position"]) for finding in typo] == [("LOGO URL", "imge")]
    assert {"field": "LOGO URL", "position": "image"} in detail
    assert all(block["field"] != "DESCRIPTION" for block in detail)


def test_dead_template_is_dropped(result: importer.ImportResult) -> None:
    dead = findings(result, "importer.dead-template")

    assert [finding.params["template"] for finding in dead] == ["siren"]
    assert "templates" not in result.resource["x-datami"]["cards"]


def test_report_ignored_keys(result: importer.ImportResult) -> None:
    separator = findings(result, "importer.tag-separator-key")
    not_read = {finding.params["setting"] for finding in findings(result, "importer.key-not-read")}
    switched_off = {finding.params["setting"] for finding in findings(result, "importer.switched-off-key")}

    assert len(separator) == 6
    assert "fields[TITRE DU PROJET].sticky" in not_read
    assert "mapOptions.url" in not_read
    assert "validation" in not_read
    assert "gitfile_" in switched_off
    assert "options.schema.file_" in switched_off
    assert not findings(result, "importer.unknown-key")


def test_resource_view_settings(result: importer.ImportResult) -> None:
    view = result.resource["x-datami"]

    assert view["views"] == {"enabled": ["table", "cards", "charts", "map"], "default": "cards"}
    assert [entry["operator"] for entry in view["filters"]] == ["OR", "OR", "OR"]
    assert view["minimap"]["latitudeField"] == "BAN_latitude"
    assert view["map"]["center"] == {"longitude": 1.9, "latitude": 47.7}
    assert view["map"]["layers"]["choropleth"]["sources"][0]["joinField"] == "BAN_depcode"
    assert [chart["kind"] for chart in view["charts"]] == ["treemap", "donut", "donut"]
    assert view["consolidation"][0]["sourceFields"] == ["adresse_postale"]


def test_resource_descriptor(result: importer.ImportResult) -> None:
    resource = result.resource

    assert resource["name"] == "decider-ensemble-ressources"
    assert resource["path"] == "data/decider-ensemble-ressources-geocoded.csv"
    assert resource["schema"] == "schemas/decider-ensemble-ressources.json"
    assert resource["dialect"] == {"delimiter": ","}
    assert resource["encoding"] == "utf-8"
    assert result.csv_path == CSV_FILE


def test_committed_package_matches_import() -> None:
    fresh = import_datami(GITFILES, SOURCE, metadata=importer.load_metadata(METADATA))
    committed = json.loads((REPOSITORY / "datapackage.json").read_text(encoding="utf-8"))
    committed_schema = json.loads((REPOSITORY / fresh.resource["schema"]).read_text(encoding="utf-8"))

    assert committed == fresh.package
    assert committed_schema == fresh.schema
    assert (REPOSITORY / fresh.resource["path"]).read_bytes() == CSV_FILE.read_bytes()


def test_committed_package_states_no_licence() -> None:
    committed = json.loads((REPOSITORY / "datapackage.json").read_text(encoding="utf-8"))

    assert committed["title"] == "Ressources Décider ensemble"
    assert "licenses" not in committed
    assert "No licence is stated upstream" in committed["description"]


def run_import(*arguments: str) -> object:
    return CliRunner().invoke(import_command, [str(GITFILES), *arguments])


def test_cli_writes_three_files(tmp_path: Path) -> None:
    outcome = run_import("--output", str(tmp_path), "--lang", "en")

    assert outcome.exit_code == 0, outcome.output
    assert (tmp_path / "datapackage.json").is_file()
    assert (tmp_path / "schemas" / "decider-ensemble-ressources.json").is_file()
    assert (tmp_path / "data" / "decider-ensemble-ressources-geocoded.csv").read_bytes() == CSV_FILE.read_bytes()
    assert "34 fields" in outcome.output


def test_cli_refuses_to_overwrite(tmp_path: Path) -> None:
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text("{}", encoding="utf-8")

    outcome = run_import("--output", str(tmp_path), "--lang", "en")

    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("Error: These files already exist")
    assert outcome.stderr.count("\n") == 1
    assert "Traceback" not in outcome.output
    assert descriptor.read_text(encoding="utf-8") == "{}"
    assert not (tmp_path / "data").exists()


def test_cli_force_overwrites(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text("{}", encoding="utf-8")

    outcome = run_import("--output", str(tmp_path), "--force", "--lang", "en")

    assert outcome.exit_code == 0, outcome.output
    assert json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))["resources"]


def test_cli_reports_in_french(tmp_path: Path) -> None:
    outcome = run_import("--output", str(tmp_path), "--lang", "fr")

    assert outcome.exit_code == 0, outcome.output
    assert "avertissement : " in outcome.output
    assert "34 champs" in outcome.output


def test_cli_missing_gitfiles(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(import_command, [str(tmp_path / "absent.json"), "--lang", "en"])

    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("Error: File not found")


def test_produced_package_validates(tmp_path: Path) -> None:
    outcome = run_import("--output", str(tmp_path), "--lang", "en")
    assert outcome.exit_code == 0, outcome.output

    report = Package(str(tmp_path / "datapackage.json")).validate()

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def write_config(folder: Path, side_file_url: str) -> Path:
    """Write a one-tab configuration whose schema side file is ``side_file_url``, with a small CSV."""
    (folder / "data.csv").write_text("id,name\n1,a\n2,b\n", encoding="utf-8")
    tab = {
        "title": "Data",
        "gitfile": "https://github.com/owner/repo/blob/main/data.csv",
        "options": {"schema": {"file": side_file_url}},
    }
    gitfiles = folder / "gitfiles.json"
    gitfiles.write_text(json.dumps([tab]), encoding="utf-8")
    return gitfiles


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/owner/repo/blob/main/../../outside.json",
        "https://github.com/owner/repo/blob/main/%2E%2E/outside.json",
        "https://raw.githubusercontent.com/owner/repo/main/../outside.json",
        "../outside.json",
    ],
)
def test_unsafe_side_file_path_rejected(tmp_path: Path, url: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.json").write_text('{"fields": []}', encoding="utf-8")
    gitfiles = write_config(root, url)

    with pytest.raises(DatamiError) as caught:
        import_datami(gitfiles, root)

    assert caught.value.code == "importer.unsafe-path"


def test_cli_rejects_unsafe_side_file(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    gitfiles = write_config(root, "https://github.com/owner/repo/blob/main/../../outside.json")

    outcome = CliRunner().invoke(import_command, [str(gitfiles), "--source-dir", str(root), "--output", str(tmp_path / "out"), "--lang", "en"])

    assert outcome.exit_code == 1
    assert "outside the source folder" in outcome.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("https://github.com/o/r/blob/main/json/x.json", "json/x.json"),
        ("https://github.com/o/r/raw/dev/json/x.json", "json/x.json"),
        ("https://raw.githubusercontent.com/o/r/main/json/x.json", "json/x.json"),
        ("https://raw.githubusercontent.com/o/r/refs/heads/main/json/x.json", "json/x.json"),
        ("https://gitlab.com/group/sub/project/-/blob/main/json/x.json", "json/x.json"),
        ("https://github.com/o/r/blob/main/json/a%20b.json", "json/a b.json"),
        ("json/x.json", "json/x.json"),
    ],
)
def test_repository_url_forms(tmp_path: Path, url: str, relative: str) -> None:
    assert resolve_repository_url(url, tmp_path) == (tmp_path / relative).resolve()


def test_unknown_url_host_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatamiError) as caught:
        resolve_repository_url("https://example.org/o/r/blob/main/x.json", tmp_path)

    assert caught.value.code == "importer.unsupported-url"


def test_tab_choice_errors() -> None:
    with pytest.raises(DatamiError) as not_table:
        import_datami(GITFILES, SOURCE, tab="Introduction")
    with pytest.raises(DatamiError) as not_found:
        import_datami(GITFILES, SOURCE, tab="Absent")

    assert not_table.value.code == "importer.tab-not-table"
    assert not_found.value.code == "importer.tab-not-found"
    assert "Données Décider ensemble" in describe(not_found.value, "en")


def test_tab_chosen_by_title_matches_default(result: importer.ImportResult) -> None:
    chosen = import_datami(GITFILES, SOURCE, tab="Données Décider ensemble")

    assert chosen.package == result.package


def test_duplicate_header_rejected(tmp_path: Path) -> None:
    gitfiles = write_config(tmp_path, "schema.json")
    (tmp_path / "schema.json").write_text('{"fields": []}', encoding="utf-8")
    (tmp_path / "data.csv").write_text("id,id\n1,2\n", encoding="utf-8")

    with pytest.raises(DatamiError) as caught:
        import_datami(gitfiles, tmp_path)

    assert caught.value.code == "importer.csv-duplicate-label"


def test_repeated_primary_key_not_declared(tmp_path: Path) -> None:
    shutil.copy(GITFILES, tmp_path / "gitfiles.json")
    (tmp_path / "data.csv").write_text("id,name\n1,a\n1,b\n", encoding="utf-8")
    (tmp_path / "props.json").write_text('{"fields": [{"name": "id", "primaryKey": true}]}', encoding="utf-8")
    tab = {
        "title": "Data",
        "gitfile": "data.csv",
        "options": {"fields-custom-properties": {"file": "props.json"}},
    }
    (tmp_path / "gitfiles.json").write_text(json.dumps([tab]), encoding="utf-8")

    imported = import_datami(tmp_path / "gitfiles.json", tmp_path)

    assert "primaryKey" not in imported.schema
    assert [finding.params for finding in findings(imported, "importer.primary-key-not-unique")] == [
        {"duplicates": 1, "empty": 0}
    ]
