"""Geocoding: position checks, the address API client against a local emulator, and the CLI review.

The emulator (tests/ban_server.py) serves on 127.0.0.1 the responses of api-adresse.data.gouv.fr.
The fixture package tests/data/geocode has seven places: L1 in Amiens (correct), L2 and
L6 without a position, L3 with latitude and longitude swapped, L4 in the Atlantic, L5 in
Hérault (34) although its postcode is in Seine-Saint-Denis (93), and L7 in Corsica (2A).
"""

from __future__ import annotations

import json
import shutil
import socket
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from datami_py.cli import cli
from datami_py.errors import DatamiError, describe
from datami_py.geo.checks import (
    address_fields,
    position_problems,
    rows_to_geocode,
    stated_departements,
)
from datami_py.geo.geocode import (
    AddressQuery,
    BanClient,
    api_url_from_environment,
    apply_results,
    coordinate_text,
    geocode,
)
from datami_py.journal import JournaledTable
from datami_py.session import Session
from tests.ban_server import BanServer
from tests.helpers import TEST_DATA, git, init_repository

CSV = "data/lieux.csv"


@pytest.fixture
def ban() -> BanServer:
    server = BanServer().start()
    server.add("Place de la Mairie", latitude=48.935, longitude=2.354, label="1 Place de la Mairie 93200 Saint-Denis")
    server.add("Avenue de Ségur", latitude=48.8497, longitude=2.3088, label="20 Avenue de Ségur 75007 Paris")
    server.add("Rue Inconnue", "not-found")
    server.add("Rue de la Paix", latitude=48.9362, longitude=2.3574, label="10 Rue de la Paix 93200 Saint-Denis")
    server.add("Quai Bas", "low-score", latitude=43.3, longitude=5.37, label="Quai du Port 13002 Marseille")
    yield server
    server.stop()


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ban: BanServer) -> Path:
    """A copy of the fixture package in a git repository, with the emulator as the address API."""
    folder = tmp_path / "places"
    shutil.copytree(TEST_DATA / "geocode", folder)
    init_repository(folder)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    monkeypatch.setenv("DATAMI_BAN_URL", ban.url)
    return folder


def client(ban: BanServer, **options: float) -> BanClient:
    settings = {"timeout": 2.0, "retries": 2, "backoff": 0.0} | options
    return BanClient(ban.url, **settings)  # type: ignore[arg-type]


def run_geocode(folder: Path, *arguments: str, reply: str | None = None, language: str = "en"):
    return CliRunner().invoke(cli, ["--lang", language, "geocode", str(folder), *arguments], input=reply, catch_exceptions=False)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Position checks
# ---------------------------------------------------------------------------------------------


def test_position_problems_of_fixture(places):
    opened = Session.open(places).open_table()
    table = opened.table

    problems = position_problems(table, opened.resource.settings)

    assert [(table.row_number(item.row), item.problem) for item in problems] == [
        (2, "missing"),
        (3, "swapped"),
        (4, "outside-france"),
        (5, "outside-departement"),
        (6, "missing"),
    ]
    assert problems[3].params == {"found": "34", "stated": "93", "source": "code_postal", "latitude": 43.6, "longitude": 3.9}


def test_rows_to_geocode_by_selection(places):
    opened = Session.open(places).open_table()
    table, settings = opened.table, opened.resource.settings

    def numbers(selection: str) -> list[int]:
        return [table.row_number(row) for row in rows_to_geocode(table, settings, selection)]  # type: ignore[arg-type]

    assert numbers("needed") == [2, 3, 4, 5, 6]
    assert numbers("missing") == [2, 6]
    assert numbers("outliers") == [3, 4, 5]
    assert numbers("departement") == [5]
    assert numbers("all") == [1, 2, 3, 4, 5, 6, 7]


def test_address_fields_from_consolidation(places):
    opened = Session.open(places).open_table()

    fields = address_fields(opened.table, opened.resource.settings)

    assert fields.address == ("adresse", "code_postal", "commune")
    assert (fields.latitude, fields.longitude) == ("latitude", "longitude")
    assert (fields.postcode, fields.departement) == ("code_postal", None)


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("93200", {"93"}),
        ("9300", {"09"}),
        ("20000", {"2A", "2B"}),
        ("97490", {"974"}),
        ("98000", None),
        ("75O01", None),
    ],
)
def test_stated_departement_of_postcode(places, postcode, expected):
    session = Session.open(places)
    opened = session.open_table()
    table = opened.table
    row = table.row_ids[0]
    table.set_cell(row, "code_postal", postcode)

    stated = stated_departements(table, row, address_fields(table, opened.resource.settings))

    if expected is None:
        assert stated is None
    else:
        assert stated == ("code_postal", frozenset(expected))


def test_validate_warns_outside_departement(places):
    report = Session.open(places).validate()

    findings = [finding for finding in report.findings if finding.code == "geo.outside-departement"]
    assert len(findings) == 1
    assert describe(findings[0], "en") == (
        'data/lieux.csv, row 5 (key "L5"), field "latitude": The point lies in département 34 but code_postal says 93. '
        "Check the coordinates, or run datami geocode."
    )
    assert describe(findings[0], "fr") == (
        "data/lieux.csv, ligne 5 (clé « L5 »), champ « latitude »\u00a0: Le point est dans le département 34, mais code_postal "
        "indique 93. Vérifiez les coordonnées, ou lancez datami geocode."
    )
    codes = [(finding.location.row, finding.code) for finding in report.findings if finding.location.row]
    assert codes == [
        (2, "row.no-position"),
        (3, "quality.coordinates-swapped"),
        (4, "quality.coordinates-outside-france"),
        (5, "geo.outside-departement"),
        (6, "row.no-position"),
    ]


def test_real_package_positions(package):
    opened = Session.open(package).open_table()
    table = opened.table

    problems = position_problems(table, opened.resource.settings)

    # The map fields (BAN_latitude, BAN_longitude) are filled in every row and all in France.
    assert Counter(item.problem for item in problems) == {"outside-departement": 6}
    assert [table.row_number(item.row) for item in problems] == [5, 10, 26, 70, 75, 92]
    # Three addresses in La Plaine Saint-Denis (93418, a CEDEX code) were placed in Montpellier (34).
    assert [item.params["found"] for item in problems] == ["34", "974", "34", "34", "59", "74"]
    assert [item.params["stated"] for item in problems] == ["93", "67", "93", "93", "35", "72"]


def test_real_package_validation_counts(package):
    report = Session.open(package).validate()

    codes = Counter(finding.code for finding in report.findings)
    assert codes["geo.outside-departement"] == 6
    assert codes["quality.coordinates-outside-france"] == 0
    assert codes["quality.coordinates-swapped"] == 0
    assert codes["row.no-position"] == 0


# ---------------------------------------------------------------------------------------------
# The client and the emulator
# ---------------------------------------------------------------------------------------------


def test_single_row_uses_search(ban):
    results = geocode([AddressQuery(0, "1 Place de la Mairie 93200 Saint-Denis")], client(ban))

    assert [request.path for request in ban.requests] == ["/search/"]
    assert ban.requests[0].params["q"] == ["1 Place de la Mairie 93200 Saint-Denis"]
    assert ban.requests[0].params["limit"] == ["1"]
    assert results[0].status == "found"
    assert (results[0].latitude, results[0].longitude, results[0].score) == (48.935, 2.354, 0.9)
    assert results[0].label == "1 Place de la Mairie 93200 Saint-Denis"


@pytest.mark.parametrize(("address", "status", "score"), [("2 Quai Bas", "low-score", 0.3), ("5 Rue Inconnue", "not-found", None)])
def test_single_row_statuses(ban, address, status, score):
    result = geocode([AddressQuery(0, address)], client(ban))[0]

    assert (result.status, result.score) == (status, score)
    assert not result.applicable


def test_several_rows_use_one_csv_request(ban):
    ban.add("9 Rue Cassée", "row-error")
    queries = [
        AddressQuery(1, "1 Place de la Mairie"),
        AddressQuery(2, "2 Quai Bas"),
        AddressQuery(3, "5 Rue Inconnue"),
        AddressQuery(4, ""),
        AddressQuery(5, "9 Rue Cassée"),
    ]

    results = geocode(queries, client(ban))

    assert [request.path for request in ban.requests] == ["/search/csv/"]
    assert ban.requests[0].params["columns"] == ["address"]
    # The empty address is not sent.
    assert [row["datami_row"] for row in ban.requests[0].rows] == ["1", "2", "3", "5"]
    assert [result.status for result in results] == ["found", "low-score", "not-found", "not-found", "error"]
    assert [result.row for result in results] == [1, 2, 3, 4, 5]


def test_batches_report_progress(ban):
    queries = [AddressQuery(row, f"{row} Place de la Mairie") for row in range(5)]
    seen = []

    results = geocode(queries, client(ban), batch_rows=2, progress=lambda done, total: seen.append((done, total)))

    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert [len(request.rows) for request in ban.requests] == [2, 2, 1]
    assert [result.status for result in results] == ["found"] * 5


def test_stop_between_batches(ban):
    queries = [AddressQuery(row, f"{row} Place de la Mairie") for row in range(5)]
    seen = []

    with pytest.raises(DatamiError) as raised:
        geocode(queries, client(ban), batch_rows=2, progress=lambda done, total: seen.append(done), should_stop=lambda: len(seen) == 2)

    assert describe(raised.value, "fr") == (
        "Géocodage arrêté à votre demande après 4 adresse(s) sur 5 ; aucune position n’a été modifiée.")
    assert len(ban.requests) == 2


def test_min_score_decides_status(ban):
    results = geocode([AddressQuery(1, "2 Quai Bas"), AddressQuery(2, "Place de la Mairie")], client(ban), min_score=0.25)

    assert [result.status for result in results] == ["found", "found"]


@pytest.mark.parametrize("mode", ["error-500", "error-503"])
def test_server_error_retried_then_reported(ban, mode):
    ban.add("7 Rue Panne", mode)
    waits: list[float] = []
    failing = BanClient(ban.url, timeout=2.0, retries=2, backoff=0.5, sleep=waits.append)

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "7 Rue Panne")], failing)

    status = mode.split("-")[1]
    assert raised.value.code == "geocode.server-error"
    assert describe(raised.value, "en") == f"The address service at {ban.url} failed with HTTP status {status} (3 attempts). Try again later."
    assert len(ban.requests) == 3
    assert waits == [0.5, 1.0]


def test_batch_server_error_reported(ban):
    ban.add("7 Rue Panne", "error-500")

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "7 Rue Panne"), AddressQuery(2, "Place de la Mairie")], client(ban, retries=1))

    assert raised.value.code == "geocode.server-error"
    assert [request.path for request in ban.requests] == ["/search/csv/", "/search/csv/"]


def test_one_failure_then_success(ban):
    ban.fail_next = 1

    results = geocode([AddressQuery(1, "Place de la Mairie"), AddressQuery(2, "Rue Inconnue")], client(ban))

    assert [result.status for result in results] == ["found", "not-found"]
    assert len(ban.requests) == 2


def test_timeout_reported_with_limit(ban):
    ban.add("3 Rue Lente", "timeout")
    ban.delay = 1.0

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "3 Rue Lente")], client(ban, timeout=0.2, retries=1))

    assert raised.value.code == "geocode.timed-out"
    assert describe(raised.value, "en") == (
        f"The address service at {ban.url} did not answer within 0.2 seconds (2 attempts). "
        "Try again later, or geocode fewer rows at a time."
    )
    assert describe(raised.value, "fr") == (
        f"Le service d’adresses {ban.url} n’a pas répondu en 0.2 secondes (2 essais). "
        "Réessayez plus tard, ou géocodez moins de lignes à la fois."
    )


def test_unreachable_service():
    url = f"http://127.0.0.1:{closed_port()}"

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "Place de la Mairie")], BanClient(url, retries=1, backoff=0.0))

    assert raised.value.code == "geocode.unreachable"
    assert describe(raised.value, "en") == (
        f"Cannot reach the address service at {url} (Connection refused). Check the internet connection. "
        "Another address for the service can be set in the variable DATAMI_BAN_URL (or with --api-url on the command line)."
    )


def test_invalid_csv_answer(ban):
    ban.add("4 Rue Travaux", "invalid")

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "4 Rue Travaux"), AddressQuery(2, "Place de la Mairie")], client(ban))

    assert raised.value.code == "geocode.invalid-answer"
    assert describe(raised.value, "en") == (
        f"The address service at {ban.url} sent a response that is not valid CSV: missing column(s) datami_row, latitude, "
        "longitude, result_score. Check that --api-url gives the address API (such as https://api-adresse.data.gouv.fr)."
    )


def test_invalid_geojson_answer(ban):
    ban.add("4 Rue Travaux", "invalid")

    with pytest.raises(DatamiError) as raised:
        geocode([AddressQuery(1, "4 Rue Travaux")], client(ban))

    assert raised.value.code == "geocode.invalid-answer"
    assert raised.value.params["answer_format"] == "GeoJSON"
    assert raised.value.params["detail"] == "Expecting value: line 1 column 1 (char 0)"


def test_rejected_request_shows_api_message(ban):
    with pytest.raises(DatamiError) as raised:
        client(ban).search("ab")

    assert raised.value.code == "geocode.rejected"
    assert raised.value.params["status"] == 400
    assert raised.value.params["detail"] == "q must contain between 3 and 200 chars and start with a number or a letter"


def test_api_url_must_be_http():
    with pytest.raises(DatamiError) as raised:
        BanClient("ftp://example.org")

    assert describe(raised.value, "en") == "“ftp://example.org” is not a web address: give the address API as http://… or https://…."


def test_api_url_from_environment(monkeypatch):
    monkeypatch.delenv("DATAMI_BAN_URL", raising=False)
    assert api_url_from_environment() == "https://api-adresse.data.gouv.fr"

    monkeypatch.setenv("DATAMI_BAN_URL", "http://127.0.0.1:9")
    assert api_url_from_environment() == "http://127.0.0.1:9"
    assert api_url_from_environment("http://127.0.0.1:8") == "http://127.0.0.1:8"


@pytest.mark.parametrize(("value", "text"), [(48.8497, "48.8497"), (2.3, "2.3"), (-0.0000001, "0"), (5.1234567, "5.123457"), (45.0, "45")])
def test_coordinate_text(value, text):
    assert coordinate_text(value) == text


def test_coordinate_text_decimal_comma():
    assert coordinate_text(48.85, ",") == "48,85"


# ---------------------------------------------------------------------------------------------
# Applying results
# ---------------------------------------------------------------------------------------------


def test_results_applied_as_undoable_edits(places, ban):
    session = Session.open(places)
    editor = JournaledTable(session)
    table = editor.table
    settings = session.open_table().resource.settings
    fields = address_fields(table, settings)
    from datami_py.geo.checks import address_queries

    results = geocode(address_queries(table, fields, rows_to_geocode(table, settings)), client(ban))
    applied = apply_results(editor, results, "latitude", "longitude")

    assert [table.row_number(result.row) for result in applied] == [2, 3, 5]
    assert table.record(table.row_at(2))["latitude"] == "48.935"
    assert table.record(table.row_at(3))["longitude"] == "2.3088"
    for _ in range(6):
        assert editor.undo() is not None
    assert not table.is_dirty
    editor.close()


def test_stale_result_not_applied(places, ban):
    session = Session.open(places)
    table = session.table()
    row = table.row_at(5)
    result = geocode([AddressQuery(row, "10 Rue de la Paix", "43.6", "3.9")], client(ban))[0]
    table.set_cell(row, "latitude", "43.61")

    assert apply_results(table, [result], "latitude", "longitude") == []
    assert table.cell(row, "longitude") == "3.9"


# ---------------------------------------------------------------------------------------------
# The geocode command
# ---------------------------------------------------------------------------------------------

REVIEW_EN = """Results to review (3):
  Row 2 (L2): no position → 48.935, 2.354, score 0.90, “1 Place de la Mairie 93200 Saint-Denis”
  Row 3 (L3), latitude and longitude swapped: 2.3088, 48.8497 → 48.8497, 2.3088, score 0.90, “20 Avenue de Ségur 75007 Paris”
  Row 5 (L5), in département 34 but code_postal gives 93: 43.6, 3.9 → 48.9362, 2.3574, score 0.90, “10 Rue de la Paix 93200 Saint-Denis”
Score below 0.60, not applied (1):
  Row 6 (L6): no position → 43.3, 5.37, score 0.30, “Quai du Port 13002 Marseille”
Address not found, not applied (1):
  Row 4 (L4), outside France: “5 Rue Inconnue 69001 Lyon”
"""


def test_dry_run_reviews_without_writing(places, ban):
    before = (places / CSV).read_bytes()

    result = run_geocode(places, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.output == f"Geocoding 5 row(s) with {ban.url}…\n" + REVIEW_EN + "Nothing was written (--dry-run): 3 result(s) could be applied.\n"
    assert (places / CSV).read_bytes() == before
    assert [request.path for request in ban.requests] == ["/search/csv/"]


def test_declined_results_leave_file_unchanged(places):
    before = (places / CSV).read_bytes()

    result = run_geocode(places, reply="n\n")

    assert result.exit_code == 0, result.output
    assert result.output.endswith("Apply these 3 result(s)? all (a), row by row (r), none (n) n\nNothing was applied: the file is unchanged.\n")
    assert (places / CSV).read_bytes() == before
    assert git(places, "status", "--porcelain") == ""


def test_end_of_input_applies_nothing(places):
    before = (places / CSV).read_bytes()

    result = run_geocode(places, reply="")

    assert result.exit_code == 0, result.output
    assert "Nothing was applied: the file is unchanged." in result.output
    assert (places / CSV).read_bytes() == before


def test_accept_all_changes_exactly_those_cells(places):
    result = run_geocode(places, reply="a\n")

    assert result.exit_code == 0, result.output
    assert result.output.endswith("Saved data/lieux.csv: 3 row(s) geocoded. See the changes with datami diff.\n")
    assert git(places, "diff", "--numstat") == "3\t3\tdata/lieux.csv\n"
    changes = Session.open(places).diff()
    assert [(change.key, change.field, change.old, change.new) for change in changes.cells] == [
        ("L2", "latitude", "", "48.935"),
        ("L2", "longitude", "", "2.354"),
        ("L3", "latitude", "2.3088", "48.8497"),
        ("L3", "longitude", "48.8497", "2.3088"),
        ("L5", "latitude", "43.6", "48.9362"),
        ("L5", "longitude", "3.9", "2.3574"),
    ]


def test_row_by_row_applies_only_accepted(places):
    result = run_geocode(places, reply="r\nx\ny\nn\nn\n")

    assert result.exit_code == 0, result.output
    assert "Type one of: y, n." in result.output
    assert git(places, "diff", "--numstat") == "1\t1\tdata/lieux.csv\n"
    assert "L2,1 Place de la Mairie,93200,Saint-Denis,48.935,2.354\r" in (places / CSV).read_bytes().decode("utf-8")


def test_yes_applies_above_min_score(places):
    result = run_geocode(places, "--yes", "--missing", "--min-score", "0.2")

    assert result.exit_code == 0, result.output
    assert "Results to review (2):" in result.output
    text = (places / CSV).read_bytes().decode("utf-8")
    assert "L6,2 Quai Bas,13001,Marseille,43.3,5.37\r" in text
    assert git(places, "diff", "--numstat") == "2\t2\tdata/lieux.csv\n"


def test_unsaved_terminal_edits_stay_restorable(places, tmp_path):
    # An editor typed a new commune in the terminal UI and quit without saving.
    editor = JournaledTable(Session.open(places))
    editor.set_cell(editor.table.row_at(1), "commune", "Amiens centre")
    editor.close()

    result = run_geocode(places, "--yes")

    assert result.exit_code == 0, result.output
    assert git(places, "diff", "--numstat") == "3\t3\tdata/lieux.csv\n"
    assert not list((tmp_path / "journals").rglob("*.discarded*"))
    reopened = JournaledTable(Session.open(places))
    state = reopened.pending()
    assert state is not None
    reopened.restore(state)
    assert reopened.table.cell(reopened.table.row_at(1), "commune") == "Amiens centre"
    assert reopened.table.cell(reopened.table.row_at(2), "latitude") == "48.935"
    reopened.close()


def test_french_review_and_answers(places, ban):
    result = run_geocode(places, "--outliers", reply="t\n", language="fr")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Géocodage de 3 ligne(s) avec {ban.url}…\nRésultats à examiner (2) :\n")
    assert "  Ligne 3 (L3), latitude et longitude inversées : 2.3088, 48.8497 → 48.8497, 2.3088, score 0.90, « 20 Avenue de Ségur 75007 Paris »\n" in result.output
    assert "Adresse introuvable, non appliqués (1) :\n  Ligne 4 (L4), hors de France : « 5 Rue Inconnue 69001 Lyon »\n" in result.output
    assert "Appliquer ces 2 résultat(s) ? tous (t), ligne par ligne (l), aucun (n)" in result.output
    assert result.output.endswith("data/lieux.csv enregistré : 2 ligne(s) géocodée(s). Voyez les changements avec datami diff.\n")


def test_progress_of_several_requests(places):
    with (places / CSV).open("a", encoding="utf-8", newline="") as file:
        file.writelines(f"M{number},{number} Place de la Mairie,93200,Saint-Denis,,\r\n" for number in range(600))

    result = run_geocode(places, "--dry-run", "--missing", language="fr")

    assert result.exit_code == 0, result.output
    assert result.stderr == "500 adresse(s) sur 602 géocodée(s)…\n602 adresse(s) sur 602 géocodée(s)…\n"


def test_timeout_option(places, ban):
    ban.add("1 Place de la Mairie", "timeout")
    ban.addresses.insert(0, ban.addresses.pop())
    ban.delay = 1.5

    result = CliRunner().invoke(cli, ["--lang", "en", "geocode", str(places), "--missing", "--timeout", "1"])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The address service at {ban.url} did not answer within 1 seconds (3 attempts).")
    assert git(places, "status", "--porcelain") == ""


def test_unreachable_api_fails_cleanly(places):
    url = f"http://127.0.0.1:{closed_port()}"
    before = (places / CSV).read_bytes()

    result = CliRunner().invoke(cli, ["geocode", str(places), "--api-url", url, "--yes"])

    assert result.exit_code == 1
    assert result.stderr.endswith(
        f"Error: Cannot reach the address service at {url} (Connection refused). Check the internet connection. "
        "Another address for the service can be set in the variable DATAMI_BAN_URL (or with --api-url on the command line).\n"
    )
    assert (places / CSV).read_bytes() == before


def test_invalid_answer_fails_cleanly(places, ban):
    ban.add("Rue Inconnue", "invalid")
    ban.addresses.insert(0, ban.addresses.pop())

    result = CliRunner().invoke(cli, ["geocode", str(places), "--yes"])

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: The address service at {ban.url} sent a response that is not valid CSV: missing column(s) datami_row, "
        "latitude, longitude, result_score. Check that --api-url gives the address API (such as https://api-adresse.data.gouv.fr).\n"
    )
    assert git(places, "status", "--porcelain") == ""


def test_server_error_fails_cleanly_in_french(places, ban):
    ban.add("Rue Inconnue", "error-503")
    ban.addresses.insert(0, ban.addresses.pop())

    result = CliRunner().invoke(cli, ["--lang", "fr", "geocode", str(places), "--yes"])

    assert result.exit_code == 1
    assert result.stderr == (
        f"Erreur : Le service d’adresses {ban.url} a échoué avec le statut HTTP 503 (3 essais). Réessayez plus tard.\n"
    )
    assert len(ban.requests) == 3
    assert git(places, "status", "--porcelain") == ""


def test_fix_regeocode_only_outside_departement(places):
    result = CliRunner().invoke(cli, ["fix", str(places), "regeocode", "--yes"])

    assert result.exit_code == 0, result.output
    assert "Results to review (1):\n  Row 5 (L5), in département 34 but code_postal gives 93: 43.6, 3.9 → 48.9362, 2.3574" in result.output
    assert git(places, "diff", "--numstat") == "1\t1\tdata/lieux.csv\n"

    again = CliRunner().invoke(cli, ["fix", str(places), "regeocode", "--yes"])
    assert again.output == "No row needs geocoding: every position is filled in and in its département.\n"


def test_table_without_coordinates(tmp_path):
    data = tmp_path / "noms.csv"
    data.write_bytes(b"id,nom\r\n1,Amiens\r\n")

    result = CliRunner().invoke(cli, ["geocode", str(data)])

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: noms.csv: The table noms has no latitude and longitude fields, so it cannot be drawn on a map. "
        "Name them in the resource settings (x-datami.map.latitudeField and longitudeField).\n"
    )


def test_table_without_address_fields(tmp_path, ban):
    (tmp_path / "points.csv").write_bytes(b"id,latitude,longitude\r\n1,,\r\n")
    fields = [{"name": "id", "type": "string"}, {"name": "latitude", "type": "number"}, {"name": "longitude", "type": "number"}]
    descriptor = {"name": "points", "resources": [{"name": "points", "path": "points.csv", "schema": {"fields": fields}}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")

    result = CliRunner().invoke(cli, ["geocode", str(tmp_path), "--api-url", ban.url])

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: points.csv: The table points has no address fields to geocode. Name them in the resource settings "
        "(x-datami.consolidation, sourceFields of the api-adresse entry).\n"
    )
    assert ban.requests == []


def test_row_error_listed_apart(places, ban):
    ban.add("Rue Inconnue", "row-error")
    ban.addresses.insert(0, ban.addresses.pop())

    result = run_geocode(places, "--outliers", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Address service error, not applied (1):\n  Row 4 (L4), outside France: “5 Rue Inconnue 69001 Lyon”\n" in result.output
    assert result.output.endswith("Nothing was written (--dry-run): 2 result(s) could be applied.\n")


def test_api_url_option_wins_over_environment(places, ban, monkeypatch):
    monkeypatch.setenv("DATAMI_BAN_URL", f"http://127.0.0.1:{closed_port()}")

    result = run_geocode(places, "--dry-run", "--api-url", ban.url + "/")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Geocoding 5 row(s) with {ban.url}…\n")


def test_fix_regeocode_dry_run(places):
    before = (places / CSV).read_bytes()

    result = CliRunner().invoke(cli, ["fix", str(places), "regeocode", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.endswith("Nothing was written (--dry-run): 1 result(s) could be applied.\n")
    assert (places / CSV).read_bytes() == before


def test_no_departement_check_without_geopandas(places, monkeypatch):
    monkeypatch.setattr("datami_py.geo.checks.geopandas_available", lambda: False)

    session = Session.open(places)
    opened = session.open_table()
    report = session.validate()
    problems = position_problems(opened.table, opened.resource.settings)

    assert [finding.code for finding in report.findings if finding.code.startswith("geo.")] == []
    assert "outside-departement" not in [problem.problem for problem in problems]
    assert len(problems) == 4


def test_validate_json_lists_departement_warning(places):
    result = CliRunner().invoke(cli, ["validate", str(places), "--json", "--lang", "fr"])

    findings = json.loads(result.output)["resources"]["lieux"]["findings"]
    warning = next(finding for finding in findings if finding["code"] == "geo.outside-departement")
    assert warning["row"] == 5
    assert warning["key"] == "L5"
    assert warning["field"] == "latitude"
    assert warning["params"] == {"found": "34", "stated": "93", "source": "code_postal", "latitude": 43.6, "longitude": 3.9}
    assert warning["message"].endswith("Le point est dans le département 34, mais code_postal indique 93. Vérifiez les coordonnées, ou lancez datami geocode.")


def test_large_batches_split(ban):
    queries = [AddressQuery(1, "Place de la Mairie"), AddressQuery(2, "Rue Inconnue"), AddressQuery(3, "Avenue de Ségur")]

    results = geocode(queries, client(ban), batch_rows=2)

    assert [request.path for request in ban.requests] == ["/search/csv/", "/search/csv/"]
    assert [[row["datami_row"] for row in request.rows] for request in ban.requests] == [["1", "2"], ["3"]]
    assert [result.status for result in results] == ["found", "not-found", "found"]
