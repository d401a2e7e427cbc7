"""The datami command: exit statuses, exact messages and files left untouched on refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from datami_py.cli import cli
from tests.helpers import copy_case, git, init_repository

DATAMI = [sys.executable, "-c", "from datami_py.cli import main; main()"]


def run(*arguments: str) -> object:
    return CliRunner().invoke(cli, list(arguments), catch_exceptions=False)


@pytest.fixture
def b10(tmp_path) -> Path:
    folder = copy_case("B10", tmp_path)
    init_repository(folder)
    return folder


def test_edit_writes_one_line(b10):
    result = run("edit", str(b10), "--row", "37261", "--set", "nom=Tours Centre", "--lang", "en")

    assert result.exit_code == 0, result.output
    assert result.output == "Saved communes.csv: 1 cell(s) changed.\n"
    assert git(b10, "diff", "--numstat") == "1\t1\tcommunes.csv\n"


def test_edit_duplicate_key_refused(b10):
    before = (b10 / "communes.csv").read_bytes()

    result = run("edit", str(b10), "--row", "37261", "--set", "code_insee=41018", "--lang", "en")

    assert result.exit_code == 1
    assert result.stderr == (
        'Error: communes.csv, row 2 (key "37261"), field "code_insee": '
        "This row has the same key as row 4. Each row needs its own key: change one of them.\n"
    )
    assert (b10 / "communes.csv").read_bytes() == before


def test_edit_unknown_key_in_french(b10):
    result = run("--lang", "fr", "edit", str(b10), "--row", "99999", "--set", "nom=X")

    assert result.exit_code == 1
    assert result.stderr == (
        "Erreur\u00a0: communes.csv\u00a0: Aucune ligne n’a la clé « 99999 ». "
        "Lancez « datami show » pour lister les clés, et recopiez la clé exactement.\n"
    )


def test_edit_unknown_field(b10):
    result = run("edit", str(b10), "--row", "37261", "--set", "population=3", "--lang", "en")

    assert result.exit_code == 1
    assert "There is no field “population”. Fields of this table: code_insee, nom, departement." in result.stderr


def test_invalid_number_refused(tmp_path):
    folder = copy_case("B04", tmp_path)
    before = (folder / "mesures.csv").read_bytes()

    result = run("edit", str(folder), "--row-number", "1", "--set", "temperature=douze", "--lang", "fr")

    assert result.exit_code == 1
    assert result.stderr == (
        "Erreur\u00a0: mesures.csv, ligne 1, champ « temperature »\u00a0: « douze » n’est pas valide pour ce champ, qui attend : nombre. "
        "Écrivez un nombre comme 12,5, sans unité ni espace.\n"
    )
    assert (folder / "mesures.csv").read_bytes() == before


def test_add_and_delete_rows(b10):
    added = run("add", str(b10), "--set", "code_insee=28085", "--set", "nom=Chartres", "--set", "departement=28", "--lang", "en")
    assert added.exit_code == 0, added.output
    assert added.output == "Added row 5 to communes.csv.\n"

    deleted = run("delete", str(b10), "--row", "28085", "--lang", "en")
    assert deleted.exit_code == 0, deleted.output
    assert git(b10, "status", "--porcelain") == ""


def test_diff_lists_cell_changes(b10):
    run("edit", str(b10), "--row", "37261", "--set", "nom=Tours Centre")

    result = run("diff", str(b10), "--json")

    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["communes"]["cells"] == [{"key": "37261", "row": 2, "field": "nom", "old": "Tours", "new": "Tours Centre"}]
    assert data["communes"]["added"] == []
    assert data["communes"]["deleted"] == []


def test_diff_without_changes(b10):
    result = run("diff", str(b10), "--lang", "en")

    assert result.exit_code == 0
    assert result.output == "No difference with the last commit.\n"


def test_validate_exit_statuses(tmp_path, b10):
    valid = copy_case("B03", tmp_path)
    assert run("validate", str(valid)).exit_code == 0
    assert run("validate", str(b10)).exit_code == 1
    assert run("validate", str(tmp_path / "nowhere")).exit_code == 2


def test_validate_json_findings(b10):
    result = run("validate", str(b10), "--json", "--lang", "en")

    data = json.loads(result.output)
    assert data["valid"] is False
    finding = data["resources"]["communes"]["findings"][0]
    assert (finding["code"], finding["row"], finding["key"], finding["severity"]) == ("row.duplicate-key", 3, "45234", "error")


def test_show_json_typed_values(tmp_path):
    folder = copy_case("B04", tmp_path)

    result = run("show", str(folder), "--row-number", "2", "--json")

    assert json.loads(result.output) == [
        {"row": 2, "key": None, "values": {"station": "ST02", "commune": "Saint-Étienne", "temperature": -3.2, "precipitations": 10.0}}
    ]


def test_bare_csv_is_a_package(tmp_path):
    folder = copy_case("B19", tmp_path)

    result = run("show", str(folder / "associations.csv"), "--row-number", "3", "--json")

    assert json.loads(result.output)[0]["values"] == {"id": 3, "nom": 'Théâtre "La Fabrique"', "ville": "Blois", "subvention": 0}


def test_broken_quoting_names_row_without_traceback(tmp_path):
    (tmp_path / "broken.csv").write_text('id,nom\n1,"Orléans\n2,Tours\n', encoding="utf-8")

    completed = subprocess.run([*DATAMI, "--lang", "en", "show", str(tmp_path / "broken.csv")], capture_output=True, text=True)

    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr == (
        "Error: broken.csv, row 1: A quote opened in this field is never closed, so the rest of the file would be one cell. "
        'Add the missing closing quote (") in a text editor.\n'
    )


def declared_utf8(tmp_path: Path) -> Path:
    """The B01 package (a cp1252 file) with its resource declared as utf-8."""
    folder = copy_case("B01", tmp_path)
    descriptor = json.loads((folder / "datapackage.json").read_text())
    descriptor["resources"][0]["encoding"] = "utf-8"
    (folder / "datapackage.json").write_text(json.dumps(descriptor))
    return folder


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Error: communes.csv: The file is declared as utf-8 but byte 45 (line 2 of the file, the header being "
               "line 1) is not valid utf-8; it reads as Windows-1252 (cp1252, the encoding of Excel on Windows). Set "
               "\"encoding\": \"cp1252\" for this resource in datapackage.json, or save the file as utf-8.\n"),
        ("fr", "Erreur\u00a0: communes.csv\u00a0: Le fichier est déclaré en utf-8, mais l’octet 45 (ligne 2 du fichier, "
               "l’en-tête étant la ligne 1) n’est pas du utf-8 valide ; il se lit en Windows-1252 (cp1252, l’encodage "
               "d’Excel sous Windows). Indiquez \"encoding\": \"cp1252\" pour cette ressource dans datapackage.json, ou "
               "enregistrez le fichier en utf-8.\n"),
    ],
)
def test_wrong_declared_encoding_explained(tmp_path, language, expected):
    result = run("--lang", language, "validate", str(declared_utf8(tmp_path)))

    assert result.exit_code == 2
    assert result.stderr == expected


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, name
        assert run(name, "--help").exit_code == 0


def test_every_command_in_both_readmes():
    readmes = [Path(__file__).resolve().parents[1] / name for name in ("README.md", "README.fr.md")]
    for readme in readmes:
        text = readme.read_text(encoding="utf-8")
        for name in cli.commands:
            assert f"datami {name}" in text, (readme.name, name)


def test_unencodable_character_refused_then_converted(tmp_path):
    folder = copy_case("B01", tmp_path)
    before = (folder / "communes.csv").read_bytes()

    refused = run("edit", str(folder), "--row", "45234", "--set", "commentaire=Avant → après", "--lang", "fr")

    assert refused.exit_code == 1
    assert refused.stderr == (
        "Erreur\u00a0: communes.csv, ligne 1, champ « commentaire »\u00a0: Le caractère « → » ne peut pas être écrit "
        "dans l’encodage de ce fichier (cp1252). Retirez-le, ou convertissez tout le fichier en UTF-8 "
        "(option --to-utf8 de datami edit et datami add).\n"
    )
    assert (folder / "communes.csv").read_bytes() == before

    converted = run("edit", str(folder), "--row", "45234", "--set", "commentaire=Avant → après", "--to-utf8")

    assert converted.exit_code == 0, converted.stderr
    assert (folder / "communes.csv").read_bytes() == before.decode("cp1252").replace(
        "Cœur de ville – rénovation de l’hôtel de ville", "Avant → après"
    ).encode("utf-8")


def test_unsaved_diff_counts_key_change_as_one_cell(b10):
    from datami_py.session import Session

    session = Session.open(b10)
    table = session.table()
    table.set_cell(table.find_row("37261"), "code_insee", "37262")

    diff = session.diff_unsaved()

    assert [(change.key, change.row, change.field, change.old, change.new) for change in diff.cells] == [
        ("37262", 2, "code_insee", "37261", "37262")
    ]
    assert diff.added == []
    assert diff.deleted == []


def test_decimal_comma_gets_point_hint(package):
    key = "Co-construction de la révision du Plan Local d'Urbanisme"

    result = CliRunner().invoke(cli, ["--lang", "fr", "edit", str(package), "--row", key, "--set", "lat=43,64"])

    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "« 43,64 » n’est pas valide pour ce champ, qui attend : nombre. "
        "Écrivez un nombre comme 12.5, avec un point et non une virgule, sans unité ni espace."
    )


def test_missing_folder_is_named(tmp_path):
    result = CliRunner().invoke(cli, ["--lang", "fr", "validate", str(tmp_path / "nexistepas")])

    assert result.exit_code == 2
    assert result.output.strip().endswith(
        f"{tmp_path / 'nexistepas'} n’existe pas. Vérifiez son orthographe, ou donnez le chemin "
        "d’un datapackage.json, de son dossier ou d’un fichier CSV."
    )


def test_validate_points_to_clean_ups(package):
    result = CliRunner().invoke(cli, ["--lang", "en", "validate", str(package)])

    assert result.output.strip().splitlines()[-1] == (
        "Clean-ups can fix some of these warnings at once: trim (612), nfc (118), codes (13), scheme (2), postcode (1). "
        "Run “datami fix --list” to see what each one changes, then “datami fix trim nfc codes scheme postcode” to apply them."
    )


def test_diff_without_primary_key_shows_dash(tmp_path):
    (tmp_path / "lieux.csv").write_bytes(b"nom;ville\r\nMairie;Auch\r\n")
    init_repository(tmp_path)
    (tmp_path / "lieux.csv").write_bytes(b"nom;ville\r\nMairie;Condom\r\n")

    result = run("--lang", "en", "diff", str(tmp_path / "lieux.csv"))

    assert result.output == "lieux.csv: row 1 (-), ville: “Auch” → “Condom”\n"


def test_semicolon_file_declared_with_commas(tmp_path):
    # As a spreadsheet saves it: semicolons between columns, quotes around a value holding one.
    (tmp_path / "lieux.csv").write_bytes('nom;ville\r\n"Mairie; annexe";Auch\r\n'.encode("cp1252"))
    descriptor = {"resources": [{"name": "lieux", "path": "lieux.csv", "encoding": "cp1252", "dialect": {"delimiter": ","},
                                 "schema": {"fields": [{"name": "nom"}, {"name": "ville"}]}}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")

    result = run("--lang", "fr", "show", str(tmp_path))

    assert result.exit_code == 1
    assert result.output == (
        "Erreur\u00a0: lieux.csv\u00a0: Les colonnes de ce fichier semblent séparées par « ; », mais le paquet déclare « , » : "
        "ses guillemets ne peuvent donc pas être lus. Dans datapackage.json, donnez à cette ressource "
        '"dialect": {"delimiter": ";"}, ou enregistrez de nouveau le fichier avec « , » entre les colonnes.\n'
    )


def test_mistyped_field_and_key_get_suggestions(package):
    typed_key = CliRunner().invoke(cli, ["--lang", "en", "edit", str(package), "--row", "budget participatif gersois",
                                         "--set", "SITE WEB=https://example.org"])
    typed_field = CliRunner().invoke(cli, ["--lang", "en", "edit", str(package), "--row", "Budget Participatif Gersois",
                                           "--set", "site web=https://example.org"])

    assert typed_key.exit_code == 1
    assert typed_key.output.strip().endswith(
        "No row has the key “budget participatif gersois”. Did you mean “Budget Participatif Gersois” (row 1)? "
        "Write the key exactly, capitals and accents included."
    )
    assert typed_field.exit_code == 1
    assert typed_field.output.strip().endswith(
        "There is no field “site web”. Did you mean “SITE WEB”? Write the field name exactly, capitals and accents included."
    )


def test_validate_says_when_points_were_not_checked(tmp_path, monkeypatch):
    # datami_py.cli.main names the function main in the package, so the module is taken from sys.modules.
    monkeypatch.setattr(sys.modules["datami_py.cli.main"], "geopandas_available", lambda: False)
    valid = copy_case("B14", tmp_path)

    result = run("validate", str(valid), "--lang", "fr")

    assert result.stdout.splitlines()[-1] == (
        "Les points n’ont pas été comparés à leur département : il faut pour cela le paquet Python geopandas, "
        "qui n’est pas installé. Installez-le avec : pip install \"datami-py[maps]\"")


def test_no_package_names_the_full_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = run("--lang", "fr", "validate")

    assert result.exit_code == 2
    assert f"Aucun paquet de données dans {tmp_path.resolve()} : il n’y a pas de datapackage.json." in result.stderr
