"""Tests of the data-quality checks: exact issue codes and parameters for each function.

The tables cover hand-made cells. The real-data tests run on the Décider Ensemble export and
its Datami field settings, as copied under ``tests/data/decider-ensemble``.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import string
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datami_py import quality
from datami_py.errors import Finding, Location, describe
from datami_py.i18n import MESSAGES, catalog, render
from datami_py.quality import (
    CODES_DELIMITER_SPACES,
    CODES_DUPLICATE,
    CODES_EMPTY,
    CODES_UNKNOWN,
    CODES_WRONG_CASE,
    CONTROL_CHARACTERS,
    COORDINATES_LATITUDE_ONLY,
    COORDINATES_LONGITUDE_ONLY,
    COORDINATES_OUT_OF_RANGE,
    COORDINATES_OUTSIDE_FRANCE,
    COORDINATES_SWAPPED,
    COORDINATES_ZERO,
    DECOMPOSED_ACCENTS,
    LEADING_WHITESPACE,
    LINK_CONTAINS_SPACES,
    LINK_INVALID_HOST,
    LINK_LOCAL_FILE,
    LINK_MALFORMED_SCHEME,
    LINK_NO_HOST,
    LINK_NO_SCHEME,
    LINK_NOT_A_LINK,
    LINK_UNSAFE_SCHEME,
    MARGIN_DEGREES,
    ONLY_WHITESPACE,
    OUTER_WHITESPACE,
    TERRITORIES,
    TRAILING_WHITESPACE,
    Issue,
    check_codes,
    check_coordinates,
    check_link,
    check_text,
    parse_coordinate,
    territory_of,
)

DECIDER_ENSEMBLE = Path(__file__).resolve().parent / "data" / "decider-ensemble"
GEOCODED_CSV = DECIDER_ENSEMBLE / "csv" / "geocoding" / "decider-ensemble-ressources-geocoded.csv"
FIELD_SETTINGS = DECIDER_ENSEMBLE / "json" / "decider-ensemble-ressources-fields-custom-props.json"

# The "CODE DEMARCHE" vocabulary of Décider Ensemble, and a vocabulary whose last code contains
# the delimiter "-".
APPROACH_CODES = ["AU", "BP", "DPP", "DC", "IP", "PN", "IIC"]
LABEL_CODES = ["AC", "DEP", "QPV", "Cœur-de-ville"]
LABELS_KNOWN = "AC, DEP, QPV, Cœur-de-ville"


# ---------------------------------------------------------------------------------------------
# check_text
# ---------------------------------------------------------------------------------------------

TEXT_CASES = [
    ("", []),
    ("Orléans", []),
    ("Saint-Jean-de-Braye", []),
    ("deux  espaces au milieu", []),
    ("ligne 1\nligne 2", []),
    ("ligne 1\r\nligne 2", []),
    (" Orléans", [Issue(LEADING_WHITESPACE)]),
    ("Orléans ", [Issue(TRAILING_WHITESPACE)]),
    ("Orléans\u00a0", [Issue(TRAILING_WHITESPACE)]),
    ("  Orléans  ", [Issue(OUTER_WHITESPACE)]),
    ("   ", [Issue(ONLY_WHITESPACE)]),
    ("Orle\u0301ans", [Issue(DECOMPOSED_ACCENTS, {"letters": "é"})]),
    ("E\u0301te\u0301 a\u0300 Orle\u0301ans", [Issue(DECOMPOSED_ACCENTS, {"letters": "É, é, à"})]),
    ("Cre\u0300che ", [Issue(TRAILING_WHITESPACE), Issue(DECOMPOSED_ACCENTS, {"letters": "è"})]),
    ("bip\x07", [Issue(CONTROL_CHARACTERS, {"characters": "U+0007"})]),
    ("a\u200bb\ufeffc\x00", [Issue(CONTROL_CHARACTERS, {"characters": "U+200B, U+FEFF, U+0000"})]),
    (
        "\tcolonne",
        [Issue(LEADING_WHITESPACE), Issue(CONTROL_CHARACTERS, {"characters": "U+0009"})],
    ),
]


@pytest.mark.parametrize(("value", "expected"), TEXT_CASES)
def test_check_text_cases(value: str, expected: list[Issue]) -> None:
    assert check_text(value) == expected


# ---------------------------------------------------------------------------------------------
# check_link
# ---------------------------------------------------------------------------------------------

LINK_CASES = [
    ("", []),
    ("   ", [Issue(ONLY_WHITESPACE)]),
    ("https://www.budgetparticipatif.gers.fr", []),
    ("http://example.fr/page?x=1#haut", []),
    ("HTTPS://WWW.EXAMPLE.FR", []),
    ("https://www.example.fr.", []),
    ("https://localhost:8080/data.csv", []),
    ("https://127.0.0.1/", []),
    ("https://[::1]/", []),
    ("https://département.example.fr/", []),
    ("mailto:contact@example.fr", []),
    ("tel:+33 2 38 79 22 22", []),
    ("ftp://ftp.example.fr/fichier.zip", []),
    ("https://www.sncf-reseau.com/fr ", [Issue(TRAILING_WHITESPACE)]),
    (" https://www.sncf-reseau.com/fr", [Issue(LEADING_WHITESPACE)]),
    (
        "www.example.fr",
        [Issue(LINK_NO_SCHEME, {"link": "www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        " www.example.fr",
        [
            Issue(LEADING_WHITESPACE),
            Issue(LINK_NO_SCHEME, {"link": "www.example.fr", "suggestion": "https://www.example.fr"}),
        ],
    ),
    (
        "mairie.example.fr/contact",
        [
            Issue(
                LINK_NO_SCHEME,
                {"link": "mairie.example.fr/contact", "suggestion": "https://mairie.example.fr/contact"},
            )
        ],
    ),
    (
        "www.example.fr:8080",
        [Issue(LINK_NO_SCHEME, {"link": "www.example.fr:8080", "suggestion": "https://www.example.fr:8080"})],
    ),
    (
        "www.example.fr/ma page",
        [
            Issue(LINK_NO_SCHEME, {"link": "www.example.fr/ma page", "suggestion": "https://www.example.fr/ma page"}),
            Issue(LINK_CONTAINS_SPACES, {"link": "www.example.fr/ma page"}),
        ],
    ),
    (
        "contact@example.fr",
        [Issue(LINK_NO_SCHEME, {"link": "contact@example.fr", "suggestion": "mailto:contact@example.fr"})],
    ),
    ("pas de site", [Issue(LINK_NOT_A_LINK, {"link": "pas de site"})]),
    ("N/A", [Issue(LINK_NOT_A_LINK, {"link": "N/A"})]),
    ("Voir : le site", [Issue(LINK_NOT_A_LINK, {"link": "Voir : le site"})]),
    (
        "htps://www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "htps://www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        "htp://www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "htp://www.example.fr", "suggestion": "http://www.example.fr"})],
    ),
    (
        "https//www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "https//www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        "https;//www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "https;//www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        "https:/www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "https:/www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        "https:///www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "https:///www.example.fr", "suggestion": "https://www.example.fr"})],
    ),
    (
        "http:www.example.fr",
        [Issue(LINK_MALFORMED_SCHEME, {"link": "http:www.example.fr", "suggestion": "http://www.example.fr"})],
    ),
    ("https://", [Issue(LINK_NO_HOST, {"link": "https://", "scheme": "https"})]),
    ("http://:8080/", [Issue(LINK_NO_HOST, {"link": "http://:8080/", "scheme": "http"})]),
    ("https://www.example.fr/ma page", [Issue(LINK_CONTAINS_SPACES, {"link": "https://www.example.fr/ma page"})]),
    (
        "https://www.example.fr,",
        [Issue(LINK_INVALID_HOST, {"link": "https://www.example.fr,", "host": "www.example.fr,"})],
    ),
    ("https://exemple", [Issue(LINK_INVALID_HOST, {"link": "https://exemple", "host": "exemple"})]),
    ("https://-site.fr/", [Issue(LINK_INVALID_HOST, {"link": "https://-site.fr/", "host": "-site.fr"})]),
    ("https://site.123/", [Issue(LINK_INVALID_HOST, {"link": "https://site.123/", "host": "site.123"})]),
    ("https://site.fr:99999/", [Issue(LINK_INVALID_HOST, {"link": "https://site.fr:99999/", "host": "site.fr:99999"})]),
    ("https://[site.fr/", [Issue(LINK_INVALID_HOST, {"link": "https://[site.fr/", "host": "[site.fr"})]),
    ("file:///home/marie/carte.pdf", [Issue(LINK_LOCAL_FILE, {"link": "file:///home/marie/carte.pdf"})]),
    ("C:\\Users\\marie\\carte.pdf", [Issue(LINK_LOCAL_FILE, {"link": "C:\\Users\\marie\\carte.pdf"})]),
    ("\\\\serveur\\partage\\carte.pdf", [Issue(LINK_LOCAL_FILE, {"link": "\\\\serveur\\partage\\carte.pdf"})]),
    (
        "javascript:alert(1)",
        [Issue(LINK_UNSAFE_SCHEME, {"link": "javascript:alert(1)", "scheme": "javascript"})],
    ),
    (
        "data:text/html,bonjour",
        [Issue(LINK_UNSAFE_SCHEME, {"link": "data:text/html,bonjour", "scheme": "data"})],
    ),
]


@pytest.mark.parametrize(("value", "expected"), LINK_CASES)
def test_check_link_cases(value: str, expected: list[Issue]) -> None:
    assert check_link(value) == expected


# ---------------------------------------------------------------------------------------------
# check_codes
# ---------------------------------------------------------------------------------------------

# (value, vocabulary, delimiter, codes, unknown, canonical, issues)
CODE_CASES: list[tuple[str, list[str], str, list[str], list[str], str, list[Issue]]] = [
    ("", APPROACH_CODES, "-", [], [], "", []),
    ("DC", APPROACH_CODES, "-", ["DC"], [], "DC", []),
    ("DC-PN", APPROACH_CODES, "-", ["DC", "PN"], [], "DC-PN", []),
    ("DPP-PN", APPROACH_CODES, "-", ["DPP", "PN"], [], "DPP-PN", []),
    (
        "DC - PN",
        APPROACH_CODES, "-", ["DC", "PN"], [], "DC-PN",
        [Issue(CODES_DELIMITER_SPACES, {"canonical": "DC-PN"})],
    ),
    (
        "BP - IP - PN",
        APPROACH_CODES, "-", ["BP", "IP", "PN"], [], "BP-IP-PN",
        [Issue(CODES_DELIMITER_SPACES, {"canonical": "BP-IP-PN"})],
    ),
    ("BP ", APPROACH_CODES, "-", ["BP"], [], "BP", [Issue(TRAILING_WHITESPACE)]),
    (
        " DC - PN ",
        APPROACH_CODES, "-", ["DC", "PN"], [], "DC-PN",
        [Issue(OUTER_WHITESPACE), Issue(CODES_DELIMITER_SPACES, {"canonical": "DC-PN"})],
    ),
    ("   ", APPROACH_CODES, "-", [], [], "", [Issue(ONLY_WHITESPACE)]),
    (
        "DC--PN",
        APPROACH_CODES, "-", ["DC", "PN"], [], "DC-PN",
        [Issue(CODES_EMPTY, {"delimiter": "-", "canonical": "DC-PN"})],
    ),
    (
        "-DC-",
        APPROACH_CODES, "-", ["DC"], [], "DC",
        [Issue(CODES_EMPTY, {"delimiter": "-", "canonical": "DC"})],
    ),
    (
        "DC-DC",
        APPROACH_CODES, "-", ["DC"], [], "DC",
        [Issue(CODES_DUPLICATE, {"duplicate": "DC", "canonical": "DC"})],
    ),
    (
        "dc-PN",
        APPROACH_CODES, "-", ["DC", "PN"], [], "DC-PN",
        [Issue(CODES_WRONG_CASE, {"part": "dc", "known_code": "DC", "canonical": "DC-PN"})],
    ),
    (
        "DC-XY",
        APPROACH_CODES, "-", ["DC"], ["XY"], "DC-XY",
        [Issue(CODES_UNKNOWN, {"part": "XY", "known": "AU, BP, DPP, DC, IP, PN, IIC", "delimiter": "-"})],
    ),
    (
        "DC PN",
        APPROACH_CODES, "-", [], ["DC PN"], "DC PN",
        [Issue(CODES_UNKNOWN, {"part": "DC PN", "known": "AU, BP, DPP, DC, IP, PN, IIC", "delimiter": "-"})],
    ),
    # A vocabulary code that contains the delimiter.
    ("AC-DEP", LABEL_CODES, "-", ["AC", "DEP"], [], "AC-DEP", []),
    ("Cœur-de-ville-AC", LABEL_CODES, "-", ["Cœur-de-ville", "AC"], [], "Cœur-de-ville-AC", []),
    ("QPV-Cœur-de-ville", LABEL_CODES, "-", ["QPV", "Cœur-de-ville"], [], "QPV-Cœur-de-ville", []),
    (
        "QPV - Cœur-de-ville",
        LABEL_CODES, "-", ["QPV", "Cœur-de-ville"], [], "QPV-Cœur-de-ville",
        [Issue(CODES_DELIMITER_SPACES, {"canonical": "QPV-Cœur-de-ville"})],
    ),
    (
        "cœur-de-ville",
        LABEL_CODES, "-", ["Cœur-de-ville"], [], "Cœur-de-ville",
        [
            Issue(
                CODES_WRONG_CASE,
                {"part": "cœur-de-ville", "known_code": "Cœur-de-ville", "canonical": "Cœur-de-ville"},
            )
        ],
    ),
    # Text that is not a code is reported whole, never as fragments.
    (
        "Saint-Jean-de-Braye",
        LABEL_CODES, "-", [], ["Saint-Jean-de-Braye"], "Saint-Jean-de-Braye",
        [Issue(CODES_UNKNOWN, {"part": "Saint-Jean-de-Braye", "known": LABELS_KNOWN, "delimiter": "-"})],
    ),
    (
        "QPV-Petite-ville-AC",
        LABEL_CODES, "-", ["QPV", "AC"], ["Petite-ville"], "QPV-Petite-ville-AC",
        [Issue(CODES_UNKNOWN, {"part": "Petite-ville", "known": LABELS_KNOWN, "delimiter": "-"})],
    ),
    (
        "Foo--bar-DC",
        APPROACH_CODES, "-", ["DC"], ["Foo--bar"], "Foo--bar-DC",
        [Issue(CODES_UNKNOWN, {"part": "Foo--bar", "known": "AU, BP, DPP, DC, IP, PN, IIC", "delimiter": "-"})],
    ),
    (
        "Foo--DC",
        APPROACH_CODES, "-", ["DC"], ["Foo"], "Foo-DC",
        [
            Issue(CODES_EMPTY, {"delimiter": "-", "canonical": "Foo-DC"}),
            Issue(CODES_UNKNOWN, {"part": "Foo", "known": "AU, BP, DPP, DC, IP, PN, IIC", "delimiter": "-"}),
        ],
    ),
    (
        "Coeur-de-ville",
        LABEL_CODES, "-", [], ["Coeur-de-ville"], "Coeur-de-ville",
        [Issue(CODES_UNKNOWN, {"part": "Coeur-de-ville", "known": LABELS_KNOWN, "delimiter": "-"})],
    ),
    # Other delimiters.
    ("AC,DEP", LABEL_CODES, ",", ["AC", "DEP"], [], "AC,DEP", []),
    (
        "AC, DEP",
        LABEL_CODES, ",", ["AC", "DEP"], [], "AC,DEP",
        [Issue(CODES_DELIMITER_SPACES, {"canonical": "AC,DEP"})],
    ),
    ("AC; DEP", LABEL_CODES, "; ", ["AC", "DEP"], [], "AC; DEP", []),
    (
        "AC;DEP",
        LABEL_CODES, "; ", ["AC", "DEP"], [], "AC; DEP",
        [Issue(CODES_DELIMITER_SPACES, {"canonical": "AC; DEP"})],
    ),
    ("AC DEP", LABEL_CODES, " ", ["AC", "DEP"], [], "AC DEP", []),
    (
        "AC  DEP",
        LABEL_CODES, " ", ["AC", "DEP"], [], "AC DEP",
        [Issue(CODES_EMPTY, {"delimiter": " ", "canonical": "AC DEP"})],
    ),
]


@pytest.mark.parametrize(
    ("value", "vocabulary", "delimiter", "codes", "unknown", "canonical", "issues"), CODE_CASES
)
def test_check_codes_cases(
    value: str,
    vocabulary: list[str],
    delimiter: str,
    codes: list[str],
    unknown: list[str],
    canonical: str,
    issues: list[Issue],
) -> None:
    parse = check_codes(value, vocabulary, delimiter)

    assert parse.codes == codes
    assert parse.unknown == unknown
    assert parse.canonical == canonical
    assert parse.issues == issues


def test_check_codes_decomposed_cell() -> None:
    decomposed = unicodedata.normalize("NFD", "QPV-Cœur-de-ville-Été")
    parse = check_codes(decomposed, ["QPV", "Cœur-de-ville", "Été"], "-")

    assert parse.codes == ["QPV", "Cœur-de-ville", "Été"]
    assert parse.canonical == "QPV-Cœur-de-ville-Été"
    assert parse.issues == [Issue(DECOMPOSED_ACCENTS, {"letters": "É, é"})]


def test_check_codes_longest_code_wins() -> None:
    parse = check_codes("A-B", ["A", "B", "A-B"], "-")

    assert parse.codes == ["A-B"]
    assert parse.issues == []


def test_check_codes_avoids_unknown_when_possible() -> None:
    # Taking "A-B" first would leave "C" unknown, but [A, B-C] reads the whole cell.
    parse = check_codes("A-B-C", ["A-B", "B-C", "A"], "-")

    assert parse.codes == ["A", "B-C"]
    assert parse.unknown == []


def test_check_codes_lists_at_most_30_known_codes() -> None:
    vocabulary = [f"C{number}" for number in range(40)]
    parse = check_codes("X", vocabulary, "-")

    known = parse.issues[0].params["known"]
    assert known.startswith("C0, C1, ")
    assert known.endswith("C29, …")


def test_check_codes_long_cell() -> None:
    value = "-".join(["AC", "Cœur-de-ville"] * 2000)
    parse = check_codes(value, LABEL_CODES, "-")

    assert parse.codes == ["AC", "Cœur-de-ville"]
    assert parse.unknown == []


def test_check_codes_rejects_empty_delimiter() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        check_codes("AC", LABEL_CODES, "")


# ---------------------------------------------------------------------------------------------
# Coordinates
# ---------------------------------------------------------------------------------------------

COORDINATE_CASES: list[tuple[float | None, float | None, list[Issue]]] = [
    (None, None, []),
    (math.nan, math.nan, []),
    (47.9016, 1.9103, []),
    (42.6977, 9.4503, []),  # Bastia
    (16.2412, -61.5331, []),  # Pointe-à-Pitre
    (-22.2758, 166.4580, []),  # Nouméa
    (-17.5350, -149.5696, []),  # Papeete
    (-13.2825, -176.1736, []),  # Mata-Utu
    (47.9042, None, [Issue(COORDINATES_LATITUDE_ONLY)]),
    (47.9042, math.nan, [Issue(COORDINATES_LATITUDE_ONLY)]),
    (None, 1.9103, [Issue(COORDINATES_LONGITUDE_ONLY)]),
    (0.0, 0.0, [Issue(COORDINATES_ZERO, {"latitude": 0.0, "longitude": 0.0})]),
    (
        1.9103, 47.9016,
        [Issue(COORDINATES_SWAPPED, {"latitude": 1.9103, "longitude": 47.9016, "territory": "France métropolitaine"})],
    ),
    (
        55.4500, -20.8800,
        [Issue(COORDINATES_SWAPPED, {"latitude": 55.45, "longitude": -20.88, "territory": "La Réunion"})],
    ),
    (
        -149.5696, -17.5350,
        [
            Issue(
                COORDINATES_SWAPPED,
                {"latitude": -149.5696, "longitude": -17.535, "territory": "Polynésie française"},
            )
        ],
    ),
    (95.0, 10.0, [Issue(COORDINATES_OUT_OF_RANGE, {"latitude": 95.0, "longitude": 10.0})]),
    (45.0, 200.0, [Issue(COORDINATES_OUT_OF_RANGE, {"latitude": 45.0, "longitude": 200.0})]),
    (40.7128, -74.0060, [Issue(COORDINATES_OUTSIDE_FRANCE, {"latitude": 40.7128, "longitude": -74.006})]),
    (-33.8688, 151.2093, [Issue(COORDINATES_OUTSIDE_FRANCE, {"latitude": -33.8688, "longitude": 151.2093})]),
]


@pytest.mark.parametrize(("latitude", "longitude", "expected"), COORDINATE_CASES)
def test_check_coordinates_cases(latitude: float | None, longitude: float | None, expected: list[Issue]) -> None:
    assert check_coordinates(latitude, longitude) == expected


TERRITORY_CASES = [
    (48.8566, 2.3522, "France métropolitaine"),  # Paris
    (48.4597, -5.0866, "France métropolitaine"),  # Ouessant
    (41.9192, 8.7386, "Corse"),  # Ajaccio
    (16.2412, -61.5331, "Guadeloupe"),
    (14.6161, -61.0588, "Martinique"),
    (4.9372, -52.3260, "Guyane"),
    (-20.8823, 55.4504, "La Réunion"),
    (-12.7806, 45.2279, "Mayotte"),
    (46.7811, -56.1764, "Saint-Pierre-et-Miquelon"),
    (17.8962, -62.8498, "Saint-Barthélemy"),
    (18.0731, -63.0822, "Saint-Martin"),
    (-13.2825, -176.1736, "Wallis-et-Futuna"),
    (-17.5350, -149.5696, "Polynésie française"),
    (-27.6100, -144.3300, "Polynésie française"),  # Rapa, in the Austral Islands
    (-22.2758, 166.4580, "Nouvelle-Calédonie"),
    (51.5074, -0.1278, None),  # London
    (40.4168, -3.7038, None),  # Madrid
    (15.3000, -61.3900, None),  # Roseau, Dominica
    (0.0, 0.0, None),
]


@pytest.mark.parametrize(("latitude", "longitude", "expected"), TERRITORY_CASES)
def test_territory_of_cases(latitude: float, longitude: float, expected: str | None) -> None:
    assert territory_of(latitude, longitude) == expected


@pytest.mark.parametrize(
    ("first", "second"), list(itertools.combinations(TERRITORIES, 2)), ids=lambda item: item[0]
)
def test_territory_boxes_do_not_overlap(first: Any, second: Any) -> None:
    (_, a), (_, b) = first, second
    margin = MARGIN_DEGREES
    latitudes_overlap = a.south - margin <= b.north + margin and b.south - margin <= a.north + margin
    longitudes_overlap = a.west - margin <= b.east + margin and b.west - margin <= a.east + margin
    boxes_intersect = latitudes_overlap and longitudes_overlap

    assert not boxes_intersect


@pytest.mark.parametrize(("name", "box"), TERRITORIES, ids=[name for name, _ in TERRITORIES])
def test_territory_boxes_are_well_formed(name: str, box: Any) -> None:
    assert -90 <= box.south < box.north <= 90
    assert -180 <= box.west < box.east <= 180
    assert territory_of((box.south + box.north) / 2, (box.west + box.east) / 2) == name


PARSE_CASES = [
    ("", None),
    ("   ", None),
    ("47.9016", 47.9016),
    (" 47.9016 ", 47.9016),
    ("-20.90233", -20.90233),
    ("+1.5", 1.5),
    ("2", 2.0),
    (".5", 0.5),
    ("5.", 5.0),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_coordinate_cases(text: str, expected: float | None) -> None:
    assert parse_coordinate(text) == expected


@pytest.mark.parametrize("text", ["47,9016", "NA", "nan", "inf", "1e3", "1_000", "47.9.1", "N 47.9", "-"])
def test_parse_coordinate_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid coordinate"):
        parse_coordinate(text)


# ---------------------------------------------------------------------------------------------
# Real data: Décider Ensemble
# ---------------------------------------------------------------------------------------------


def read_decider_ensemble() -> list[dict[str, str]]:
    with GEOCODED_CSV.open(encoding="utf-8", newline="") as csv_file:
        return list(csv.DictReader(csv_file))


def code_vocabularies() -> dict[str, tuple[list[str], str]]:
    """Return the Datami tag definitions of each code field: (codes, separator)."""
    settings = json.loads(FIELD_SETTINGS.read_text(encoding="utf-8"))
    return {
        item["name"]: ([definition["value"] for definition in item["definitions"]], item["separator"])
        for item in settings["fields"]
        if "definitions" in item
    }


def test_decider_ensemble_codes() -> None:
    rows = read_decider_ensemble()
    vocabularies = code_vocabularies()
    findings: Counter[tuple[str, str, str]] = Counter()
    unknown: list[str] = []

    for row in rows:
        for name, (codes, separator) in vocabularies.items():
            parse = check_codes(row[name], codes, separator)
            unknown.extend(parse.unknown)
            findings.update((name, row[name], issue.code) for issue in parse.issues)

    assert set(vocabularies) == {"CODE PORTEUR DE PROJET", "CODE DEMARCHE", "CODE THEMATIQUE"}
    assert unknown == []
    assert findings == {
        ("CODE DEMARCHE", "DC - PN", CODES_DELIMITER_SPACES): 4,
        ("CODE DEMARCHE", "PN - BP", CODES_DELIMITER_SPACES): 8,
        ("CODE DEMARCHE", "BP - IP - PN", CODES_DELIMITER_SPACES): 1,
        ("CODE DEMARCHE", "BP ", TRAILING_WHITESPACE): 1,
    }


def test_decider_ensemble_code_readings() -> None:
    codes, separator = code_vocabularies()["CODE DEMARCHE"]

    assert check_codes("DC - PN", codes, separator).codes == ["DC", "PN"]
    assert check_codes("DC - PN", codes, separator).canonical == "DC-PN"
    assert check_codes("BP ", codes, separator).codes == ["BP"]
    assert check_codes("BP ", codes, separator).canonical == "BP"


def test_decider_ensemble_links() -> None:
    # Three links would not open as written. Two lack a scheme (one of them also starts with
    # a space). The third, " https://www.sncf-reseau.com/fr", has a scheme once stripped, so
    # it counts as leading whitespace only.
    values_by_code: dict[str, set[str]] = {}
    for row in read_decider_ensemble():
        for issue in check_link(row["SITE WEB"]):
            values_by_code.setdefault(issue.code, set()).add(row["SITE WEB"])

    assert values_by_code[LINK_NO_SCHEME] == {" www.jeparticipe-grandpoitiers.fr", "mairie.saintmartinduriage.fr"}
    assert values_by_code[LEADING_WHITESPACE] == {
        " www.jeparticipe-grandpoitiers.fr",
        " https://www.sncf-reseau.com/fr",
    }
    assert len(values_by_code[TRAILING_WHITESPACE]) == 38
    assert len(values_by_code[LINK_CONTAINS_SPACES]) == 1
    assert set(values_by_code) == {LINK_NO_SCHEME, LEADING_WHITESPACE, TRAILING_WHITESPACE, LINK_CONTAINS_SPACES}


def test_decider_ensemble_text() -> None:
    rows = read_decider_ensemble()
    codes_by_cell = [[issue.code for issue in check_text(value)] for row in rows for value in row.values()]
    rows_with_decomposed = [
        row for row in rows if any(DECOMPOSED_ACCENTS in [i.code for i in check_text(v)] for v in row.values())
    ]
    whitespace_codes = {LEADING_WHITESPACE, TRAILING_WHITESPACE, OUTER_WHITESPACE, ONLY_WHITESPACE}

    assert len(rows) == 101
    assert len(rows_with_decomposed) == 47
    assert sum(1 for codes in codes_by_cell if whitespace_codes & set(codes)) == 612
    assert sum(1 for codes in codes_by_cell if CONTROL_CHARACTERS in codes) == 0


def test_decider_ensemble_coordinates() -> None:
    rows = read_decider_ensemble()
    territories: Counter[str | None] = Counter()
    issues: list[Issue] = []

    for row in rows:
        latitude = parse_coordinate(row["BAN_latitude"])
        longitude = parse_coordinate(row["BAN_longitude"])
        assert latitude is not None and longitude is not None
        territories[territory_of(latitude, longitude)] += 1
        issues.extend(check_coordinates(latitude, longitude))

    assert issues == []
    assert territories == {"France métropolitaine": 99, "La Réunion": 1, "Guyane": 1}


def test_decider_ensemble_overseas_rows() -> None:
    overseas = {
        row["BAN_city"]: territory_of(float(row["BAN_latitude"]), float(row["BAN_longitude"]))
        for row in read_decider_ensemble()
        if row["BAN_depcode"] == "97"
    }

    assert overseas == {"Saint-Denis": "La Réunion", "Macouria": "Guyane"}


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

# Vocabularies that cannot be ambiguous: no code equals other codes joined by the delimiter.
ROUND_TRIP_VOCABULARIES = [
    (APPROACH_CODES, "-"),
    (LABEL_CODES, "-"),
    (LABEL_CODES, ","),
    (["Été", "Hiver", "Cœur de ville"], ";"),
]


@st.composite
def known_code_lists(draw: st.DrawFn) -> tuple[list[str], str, list[str]]:
    vocabulary, delimiter = draw(st.sampled_from(ROUND_TRIP_VOCABULARIES))
    codes = draw(st.lists(st.sampled_from(vocabulary), unique=True))
    return vocabulary, delimiter, codes


@given(known_code_lists())
def test_check_codes_round_trip(case: tuple[list[str], str, list[str]]) -> None:
    vocabulary, delimiter, codes = case
    value = delimiter.join(codes)
    parse = check_codes(value, vocabulary, delimiter)

    assert parse.codes == codes
    assert parse.issues == []
    assert parse.canonical == value


@given(known_code_lists(), st.sampled_from([" ", "  ", "\t"]))
def test_check_codes_round_trip_with_spaces(case: tuple[list[str], str, list[str]], padding: str) -> None:
    vocabulary, delimiter, codes = case
    value = (padding + delimiter + padding).join(codes)
    parse = check_codes(value, vocabulary, delimiter)

    assert parse.codes == codes
    assert parse.canonical == delimiter.join(codes)


# Random vocabularies of codes without the delimiter, spaces or control characters.
code_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp", "Mn", "Mc", "Me"), blacklist_characters="-"
    ),
    min_size=1,
    max_size=6,
).map(lambda text: unicodedata.normalize("NFC", text)).filter(lambda text: text.strip() == text and text != "")


@given(st.lists(code_text, min_size=1, max_size=8, unique=True).flatmap(
    lambda vocabulary: st.tuples(st.just(vocabulary), st.lists(st.sampled_from(vocabulary), unique=True))
))
def test_check_codes_round_trip_random_vocabulary(case: tuple[list[str], list[str]]) -> None:
    vocabulary, codes = case
    value = "-".join(codes)
    parse = check_codes(value, vocabulary, "-")

    assert parse.codes == codes
    assert parse.canonical == value


@given(st.text(max_size=40), st.sampled_from(ROUND_TRIP_VOCABULARIES))
def test_check_codes_canonical_is_stable(value: str, vocabulary_and_delimiter: tuple[list[str], str]) -> None:
    vocabulary, delimiter = vocabulary_and_delimiter
    first = check_codes(value, vocabulary, delimiter)
    second = check_codes(first.canonical, vocabulary, delimiter)

    assert second.canonical == first.canonical
    assert second.codes == first.codes
    assert second.unknown == first.unknown
    assert all(issue.code == CODES_UNKNOWN for issue in second.issues)


@given(st.text(alphabet="ABCDEIPQNUVœurdeilv-,; \t\u0301", max_size=30), st.sampled_from(ROUND_TRIP_VOCABULARIES))
def test_check_codes_canonical_differs_only_with_fix(
    value: str, vocabulary_and_delimiter: tuple[list[str], str]
) -> None:
    vocabulary, delimiter = vocabulary_and_delimiter
    parse = check_codes(value, vocabulary, delimiter)
    needs_fix = any(issue.code != CODES_UNKNOWN for issue in parse.issues)

    assert (parse.canonical != value) == needs_fix


@given(st.text(max_size=40))
def test_nfc_fix_is_idempotent(value: str) -> None:
    composed = unicodedata.normalize("NFC", value)
    reported = DECOMPOSED_ACCENTS in [issue.code for issue in check_text(value)]

    assert reported == (composed != value)
    assert DECOMPOSED_ACCENTS not in [issue.code for issue in check_text(composed)]
    assert unicodedata.normalize("NFC", composed) == composed


@given(st.text(max_size=40))
def test_check_text_whitespace_matches_strip(value: str) -> None:
    codes = {issue.code for issue in check_text(value)}
    whitespace_codes = {LEADING_WHITESPACE, TRAILING_WHITESPACE, OUTER_WHITESPACE, ONLY_WHITESPACE}

    assert bool(codes & whitespace_codes) == (value != value.strip())
    assert len(codes & whitespace_codes) <= 1


@given(st.text(max_size=60))
def test_check_link_never_raises(value: str) -> None:
    for issue in check_link(value):
        assert issue.code in MESSAGES


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

QUALITY_CODES = sorted(code for code in MESSAGES if code.startswith("quality."))
LOCATION_PLACEHOLDERS = {"file", "row", "key", "field", "value"}
SAMPLE_PARAMS: dict[str, Any] = {
    "file": "data/lieux.csv",
    "row": 3,
    "key": "12",
    "field": "SITE WEB",
    "value": " www.example.fr",
    "letters": "é, à",
    "characters": "U+0007",
    "link": "www.example.fr",
    "suggestion": "https://www.example.fr",
    "scheme": "https",
    "host": "www.example,fr",
    "canonical": "DC-PN",
    "delimiter": "-",
    "duplicate": "DC",
    "part": "dc",
    "known_code": "DC",
    "known": "AU, BP, DC",
    "latitude": 1.9103,
    "longitude": 47.9016,
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_quality_codes_are_registered() -> None:
    module_codes = {
        value
        for name, value in vars(quality).items()
        if name.isupper() and isinstance(value, str) and value.startswith("quality.")
    }

    assert module_codes == set(QUALITY_CODES)
    assert len(QUALITY_CODES) == 25


@pytest.mark.parametrize("code", QUALITY_CODES)
def test_quality_message_renders_in_both_languages(code: str) -> None:
    names = placeholders(MESSAGES[code])
    params = {name: SAMPLE_PARAMS[name] for name in names}
    english = render(code, "en", **params)
    french = render(code, "fr", **params)

    assert MESSAGES[code] in catalog("fr")
    assert french != english
    assert "{" not in english
    assert "}" not in english
    assert "{" not in french
    assert "}" not in french
    assert placeholders(catalog("fr")[MESSAGES[code]]) == names


@pytest.mark.parametrize("code", QUALITY_CODES)
def test_quality_message_placeholders_are_safe(code: str) -> None:
    # render() takes the code and the language as its own arguments, so a parameter with
    # either name would collide.
    names = placeholders(MESSAGES[code])

    assert "code" not in names
    assert "language" not in names
    assert names <= set(SAMPLE_PARAMS)


def all_table_issues() -> list[Issue]:
    issues = [issue for _, expected in TEXT_CASES + LINK_CASES for issue in expected]
    issues += [issue for *_, expected in CODE_CASES for issue in expected]
    issues += [issue for *_, expected in COORDINATE_CASES for issue in expected]
    return issues


def test_issue_params_fill_their_messages() -> None:
    for issue in all_table_issues():
        missing = placeholders(MESSAGES[issue.code]) - set(issue.params) - LOCATION_PLACEHOLDERS

        assert missing == set(), issue
        assert not set(issue.params) & LOCATION_PLACEHOLDERS, issue


def test_issue_renders_as_finding() -> None:
    issue = check_codes("DC - PN", APPROACH_CODES, "-").issues[0]
    location = Location(
        file="ressources.csv",
        row=12,
        key="Budget Participatif Gersois",
        field="CODE DEMARCHE",
        value="DC - PN",
    )
    finding = Finding(issue.code, "warning", location, issue.params)

    assert describe(finding, "en") == (
        'ressources.csv, row 12 (key "Budget Participatif Gersois"), field "CODE DEMARCHE": '
        'The delimiter between the codes has extra or missing spaces: write "DC-PN".'
    )
    assert describe(finding, "fr").endswith("écrivez «\u00a0DC-PN\u00a0».")
