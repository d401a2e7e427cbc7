"""Finding rows: search ignoring case and accents, the package's filters, and sorting."""

from __future__ import annotations

import csv
import io
import unicodedata
from types import SimpleNamespace

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datami_py import quality
from datami_py.csvfile import CsvDocument
from datami_py.csvfile.cells import ArrowCells
from datami_py.errors import DatamiError
from datami_py.session import Session
from datami_py.table import Table
from datami_py.table import query
from datami_py.table.query import FilterOption, FilterSpec, apply_filters, filter_options, filter_specs, fold, search, sort_rows
from tests.helpers import REPOSITORY

REAL_CSV = REPOSITORY / "data" / "decider-ensemble-ressources-geocoded.csv"
DEMARCHE = "CODE DEMARCHE"


@pytest.fixture(scope="module")
def real():
    session = Session.open(REPOSITORY)
    opened = session.open_table()
    return opened.table, opened.resource.settings


def reopen(table: Table, fast: bool) -> Table:
    """Return a new table on the same file, parsed into Arrow columns or Python lists."""
    document = CsvDocument.parse(REAL_CSV.read_bytes(), fast=fast)
    return Table(document, table.schema, name=table.name, file=table.file)


def make_table(header: list[str], rows: list[list[str]], fields: list[dict] | None = None, fast: bool = False, missing: list[str] | None = None) -> Table:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    schema = {"fields": fields or [{"name": name, "type": "string"} for name in header], "missingValues": missing or [""]}
    return Table(CsvDocument.parse(buffer.getvalue().encode("utf-8"), fast=fast, delimiter=","), schema)


def column_table(values: list[str], field_type: str = "string", fast: bool = False, **options) -> Table:
    return make_table(["id", "value"], [[str(number), value] for number, value in enumerate(values)], [{"name": "id", "type": "string"}, {"name": "value", "type": field_type, **options}], fast=fast)


def plain_fold(text: str) -> str:
    """An independent fold: strip accents from the NFD form, then lower-case."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(character for character in decomposed if unicodedata.category(character) != "Mn").lower()


def values_of(table: Table, rows: list[int], name: str = "value") -> list[str | None]:
    return [table.cell(row, name) for row in rows]


# fold


def test_fold_ignores_case_and_accents():
    assert fold("Saint-Étienne") == "saint-etienne"
    assert fold("ÉVRY") == "evry"


def test_fold_nfc_and_nfd_agree():
    composed = "Orléans Évry Noël Crèvecœur"
    decomposed = unicodedata.normalize("NFD", composed)

    assert decomposed != composed
    assert fold(decomposed) == fold(composed)


def test_fold_expands_ligatures():
    assert fold("Cœur") == "coeur"
    assert fold("CŒUR") == "coeur"
    assert fold("Lætitia") == "laetitia"
    assert fold("Straße") == "strasse"


def test_fold_compatibility_characters():
    assert fold("ﬁn") == "fin"
    assert fold("1\u00a0000") == "1 000"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12), st.text(max_size=12))
def test_fold_each_character_alone(first, second):
    assert fold(first + second) == fold(first) + fold(second)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=15), max_size=20))
def test_fold_array_equals_fold(texts):
    folded = query._fold_array(pa.array(texts, pa.string())).to_pylist()

    assert folded == [fold(text) for text in texts]


def test_unsafe_characters_leave_french_letters_to_arrow():
    unsafe = query._unsafe_characters()
    texts = pa.array(["Évry", "cœur", "naïve", "l’été", "Straße", "ς", "\U0001f600"], pa.string())

    flagged = query.pc.match_substring_regex(texts, unsafe).to_pylist()

    assert flagged == [False, False, False, False, False, True, True]


def test_column_index_over_several_chunks():
    chunks = [pa.record_batch([pa.array(["Évry", None, "Tours"], pa.string())], names=["value"]), pa.record_batch([pa.array(["Tours", "Blois"], pa.string())], names=["value"])]
    cells = ArrowCells(pa.Table.from_batches(chunks))
    table = SimpleNamespace(document=SimpleNamespace(cells=cells))

    index = query._build_column_index(table, 0)

    texts = index.dictionary.to_pylist() + [None]
    assert [texts[entry] for entry in index.entries] == ["Évry", None, "Tours", "Tours", "Blois"]
    assert index.size == 3


# search


def test_search_budget_real_package(real):
    table, _ = real
    expected = [row for row in table.row_ids if any("budget" in plain_fold(table.cell(row, name) or "") for name in table.field_names)]

    found = search(table, "budget")

    assert found == expected
    assert len(found) == 30


def test_search_case_and_accents_real_package(real):
    table, _ = real

    assert search(table, "BUDGET") == search(table, "budget")
    assert search(table, "Budgét") == search(table, "budget")


@pytest.mark.parametrize("fast", [False, True])
def test_search_etienne_in_nfc_and_nfd(fast):
    names = ["Saint-Étienne", unicodedata.normalize("NFD", "Saint-Étienne"), "SAINT-ÉTIENNE", "Saint-Denis", "Étampes"]
    table = column_table(names, fast=fast)

    assert search(table, "etienne") == [0, 1, 2]
    assert search(table, unicodedata.normalize("NFD", "Étienne")) == [0, 1, 2]
    assert search(table, "ÉTIENNE") == [0, 1, 2]


@pytest.mark.parametrize("fast", [False, True])
def test_search_coeur_matches_ligature(fast):
    table = column_table(["Crèvecœur", "CŒUR DE VILLE", "coeur", "chœur", "cour"], fast=fast)

    assert search(table, "coeur") == [0, 1, 2]
    assert search(table, "cœur") == [0, 1, 2]
    assert search(table, "oe") == [0, 1, 2, 3]


def test_search_empty_query_returns_all_rows():
    table = column_table(["a", "b", "c"])

    assert search(table, "") == [0, 1, 2]
    assert search(table, "\u0301") == [0, 1, 2]


def test_search_restricted_to_fields():
    table = make_table(["titre", "commune"], [["Budget", "Paris"], ["Fête", "Budgetville"]])

    assert search(table, "budget") == [0, 1]
    assert search(table, "budget", fields=["titre"]) == [0]
    assert search(table, "budget", fields=["commune"]) == [1]


def test_search_unknown_field_raises():
    table = column_table(["a"])

    with pytest.raises(DatamiError) as caught:
        search(table, "a", fields=["nope"])

    assert caught.value.code == "table.field-not-found"


@pytest.mark.parametrize("fast", [False, True])
def test_search_sees_edits(fast):
    table = column_table(["Orléans", "Tours", "Blois"], fast=fast)
    assert search(table, "tours") == [1]

    table.set_cell(0, "value", "Châteauroux")
    assert search(table, "chateauroux") == [0]
    assert search(table, "orleans") == []

    added = table.add_row({"value": "Tours-sur-Marne"})
    assert search(table, "tours") == [1, added]

    table.delete_row(1)
    assert search(table, "tours") == [added]

    table.undo()
    table.undo()
    table.undo()
    assert search(table, "orleans") == [0]
    assert search(table, "tours") == [1]


def test_search_edit_in_other_column_keeps_match():
    table = make_table(["titre", "commune"], [["Budget", "Paris"], ["Fête", "Lyon"]])

    table.set_cell(0, "commune", "Nantes")
    assert search(table, "budget") == [0]
    assert search(table, "nantes") == [0]
    assert search(table, "paris") == []


def test_search_narrowing_typed_letter_by_letter():
    table = column_table(["Budget participatif", "Budget", "Bureau", "Débat"])

    assert search(table, "b") == [0, 1, 2, 3]
    assert search(table, "bu") == [0, 1, 2]
    assert search(table, "bud") == [0, 1]
    assert search(table, "budget p") == [0]
    assert search(table, "bu") == [0, 1, 2]
    assert search(table, "ébat") == [3]


def test_search_after_save_sees_new_document():
    table = column_table(["Orléans", "Tours"])
    assert search(table, "tours") == [1]

    table.set_cell(1, "value", "Blois")
    changes = table.changes()
    table.mark_saved(table.document.with_changes(changes, table.document.render(changes)))

    assert search(table, "tours") == []
    assert search(table, "blois") == [1]


def brute_force(table: Table, text: str) -> list[int]:
    folded_query = fold(text)
    return [row for row in table.row_ids if any(folded_query in fold(table.cell(row, name) or "") for name in table.field_names)]


# French letters, decomposed accents, ligatures, and characters that Arrow folds
# differently from Python (final sigma, an Indic vowel sign, titlecase ǅ, an emoji).
ALPHABET = st.sampled_from(list("aeEcoOsS -'é") + ["\u0301", "\u0300", "œ", "Œ", "ß", "ẞ", "æ", "ς", "Σ", "ǅ", "\u093f", "ﬁ", "İ", "\u0345", "\U0001f600", "É", "ê"])
TEXTS = st.text(alphabet=ALPHABET, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=8), st.lists(TEXTS, min_size=1, max_size=4), st.booleans(), st.data())
def test_search_equals_brute_force(rows, queries, fast, data):
    table = make_table(["a", "b"], [list(row) for row in rows], fast=fast)
    if data.draw(st.booleans()):
        table.set_cell(data.draw(st.integers(0, len(rows) - 1)), "b", data.draw(TEXTS))
    if data.draw(st.booleans()):
        table.add_row({"a": data.draw(TEXTS)})

    for text in queries:
        assert search(table, text) == brute_force(table, text), text


# filters


def demarche_codes(text: str | None) -> set[str]:
    """Read a CODE DEMARCHE cell independently: no code there contains the delimiter."""
    return {part.strip() for part in (text or "").split("-") if part.strip()}


def test_filter_specs_from_real_settings(real):
    _, resource_settings = real

    assert filter_specs(resource_settings) == [
        FilterSpec("CODE PORTEUR DE PROJET", "OR"),
        FilterSpec(DEMARCHE, "OR"),
        FilterSpec("CODE THEMATIQUE", "OR"),
    ]


def test_filter_specs_defaults_and_case():
    specs = filter_specs({"filters": [{"field": "a"}, {"field": "b", "operator": "or"}, {"operator": "OR"}]})

    assert specs == [FilterSpec("a", "AND"), FilterSpec("b", "OR")]


def test_filter_spec_invalid_operator():
    with pytest.raises(ValueError, match="XOR"):
        filter_specs({"filters": [{"field": "a", "operator": "XOR"}]})


def test_filter_options_counts_real_package(real):
    table, _ = real
    options = filter_options(table, FilterSpec(DEMARCHE, "OR"))

    assert [option.value for option in options] == ["AU", "BP", "DPP", "DC", "IP", "PN", "IIC"]
    assert options[1] == FilterOption("BP", "Budget et financement participatif", 17)
    for option in options:
        expected = sum(1 for row in table.row_ids if option.value in demarche_codes(table.cell(row, DEMARCHE)))
        assert option.count == expected, option.value


def test_filter_bp_or_and_real_package(real):
    table, _ = real
    cells = {row: demarche_codes(table.cell(row, DEMARCHE)) for row in table.row_ids}

    either = apply_filters(table, {DEMARCHE: {"BP", "PN"}}, [FilterSpec(DEMARCHE, "OR")])
    both = apply_filters(table, {DEMARCHE: {"BP", "PN"}}, [FilterSpec(DEMARCHE, "AND")])

    assert either == [row for row, codes in cells.items() if codes & {"BP", "PN"}]
    assert both == [row for row, codes in cells.items() if {"BP", "PN"} <= codes]
    assert len(both) == 9
    assert apply_filters(table, {DEMARCHE: {"BP"}}, [FilterSpec(DEMARCHE, "OR")]) == [row for row, codes in cells.items() if "BP" in codes]


def test_filter_counts_agree_with_filtering(real):
    table, resource_settings = real
    specs = filter_specs(resource_settings)
    rows = search(table, "participati")

    for spec in specs:
        for option in filter_options(table, spec, rows):
            filtered = apply_filters(table, {spec.field: {option.value}}, specs, rows)
            assert len(filtered) == option.count, (spec.field, option.value)


def test_filters_combine_fields_with_and(real):
    table, resource_settings = real
    specs = filter_specs(resource_settings)
    active = {DEMARCHE: {"BP"}, "CODE THEMATIQUE": {"MTH"}}

    filtered = apply_filters(table, active, specs)

    expected = [row for row in table.row_ids if "BP" in demarche_codes(table.cell(row, DEMARCHE)) and "MTH" in demarche_codes(table.cell(row, "CODE THEMATIQUE"))]
    assert filtered == expected
    assert filtered


def test_filter_empty_choice_and_unknown_value(real):
    table, resource_settings = real
    specs = filter_specs(resource_settings)

    assert apply_filters(table, {DEMARCHE: set()}, specs) == list(table.row_ids)
    assert apply_filters(table, {DEMARCHE: {"ZZ"}}, specs) == []
    with pytest.raises(ValueError, match="TITRE DU PROJET"):
        apply_filters(table, {"TITRE DU PROJET": {"x"}}, specs)


CODES_FIELD = {"name": "value", "type": "list", "delimiter": "-", "categories": [{"value": "DC", "label": "Dispositif"}, {"value": "PN", "label": "En ligne"}, {"value": "Cœur-de-ville"}]}


@pytest.mark.parametrize("fast", [False, True])
def test_filter_codes_follow_edits(fast):
    table = make_table(["id", "value"], [["1", "DC"], ["2", "DC - PN"], ["3", "Cœur-de-ville-PN"], ["4", ""]], [{"name": "id", "type": "string"}, CODES_FIELD], fast=fast)
    spec = FilterSpec("value", "OR")

    assert [(option.value, option.label, option.count) for option in filter_options(table, spec)] == [("DC", "Dispositif", 2), ("PN", "En ligne", 2), ("Cœur-de-ville", "Cœur-de-ville", 1)]

    table.set_cell(0, "value", "PN")
    table.add_row({"id": "5", "value": "DC-Cœur-de-ville"})
    table.delete_row(1)

    assert [option.count for option in filter_options(table, spec)] == [1, 2, 2]
    assert apply_filters(table, {"value": {"PN"}}, [spec]) == [0, 2]
    assert apply_filters(table, {"value": {"PN", "Cœur-de-ville"}}, [FilterSpec("value", "AND")]) == [2]


CODE_CELLS = st.sampled_from(["DC", "PN", "DC-PN", "PN - DC", "Cœur-de-ville", "Cœur-de-ville-PN", "dc", "XX", "DC-XX", "", " PN "])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CODE_CELLS, min_size=1, max_size=10), st.sets(st.sampled_from(["DC", "PN", "Cœur-de-ville", "ZZ"]), max_size=3), st.booleans(), st.data())
def test_filters_equal_brute_force(cells, chosen, fast, data):
    table = make_table(["id", "value"], [[str(number), cell] for number, cell in enumerate(cells)], [{"name": "id", "type": "string"}, CODES_FIELD], fast=fast)
    if data.draw(st.booleans()):
        table.set_cell(data.draw(st.integers(0, len(cells) - 1)), "value", data.draw(CODE_CELLS))
    if data.draw(st.booleans()):
        table.add_row({"value": data.draw(CODE_CELLS)})
    codes = {row: set(quality.check_codes(table.cell(row, "value") or "", ["DC", "PN", "Cœur-de-ville"], "-").codes) for row in table.row_ids}

    for option in filter_options(table, FilterSpec("value", "OR")):
        assert option.count == sum(1 for found in codes.values() if option.value in found), option.value
    for operator in ("OR", "AND"):
        expected = [row for row, found in codes.items() if not chosen or (chosen <= found if operator == "AND" else chosen & found)]
        assert apply_filters(table, {"value": chosen}, [FilterSpec("value", operator)]) == expected, operator


def test_filter_plain_field_options():
    table = column_table(["Lyon", "Paris ", "Évry", "Paris", "", "Lyon"])
    spec = FilterSpec("value", "OR")

    options = filter_options(table, spec, rows=[0, 1, 2])

    assert options == [FilterOption("Évry", "Évry", 1), FilterOption("Lyon", "Lyon", 1), FilterOption("Paris", "Paris", 1)]
    assert apply_filters(table, {"value": {"Paris"}}, [spec]) == [1, 3]
    assert apply_filters(table, {"value": {"Paris", "Lyon"}}, [spec]) == [0, 1, 3, 5]
    assert apply_filters(table, {"value": {"Paris", "Lyon"}}, [FilterSpec("value", "AND")]) == []


def test_filter_plain_field_sees_new_value():
    table = column_table(["Lyon", "Paris"])
    table.set_cell(0, "value", "Nantes")

    options = filter_options(table, FilterSpec("value", "OR"))

    assert [(option.value, option.count) for option in options] == [("Nantes", 1), ("Paris", 1)]
    assert apply_filters(table, {"value": {"Nantes"}}, [FilterSpec("value", "OR")]) == [0]
    assert apply_filters(table, {"value": {"Lyon"}}, [FilterSpec("value", "OR")]) == []


# sorting


@pytest.mark.parametrize("fast", [False, True])
def test_sort_french_order(fast):
    names = ["Ézy", "etampes", "Évry", "", "Etampes", "zèbre", "Abbeville", "Evry", "  Cergy"]
    table = column_table(names, fast=fast)

    ascending = values_of(table, sort_rows(table, table.row_ids, "value"))
    descending = values_of(table, sort_rows(table, table.row_ids, "value", descending=True))

    assert ascending == ["Abbeville", "  Cergy", "etampes", "Etampes", "Evry", "Évry", "Ézy", "zèbre", ""]
    assert descending == ["zèbre", "Ézy", "Évry", "Evry", "Etampes", "etampes", "  Cergy", "Abbeville", ""]


def test_sort_accents_before_case():
    table = column_table(["côte", "Cote", "coté", "cote", "côté"])

    assert values_of(table, sort_rows(table, table.row_ids, "value")) == ["cote", "Cote", "coté", "côte", "côté"]


def test_sort_stable_for_equal_values():
    table = column_table(["b", "a", "b", "a", "b"])

    assert sort_rows(table, table.row_ids, "value") == [1, 3, 0, 2, 4]
    assert sort_rows(table, table.row_ids, "value", descending=True) == [0, 2, 4, 1, 3]
    assert sort_rows(table, [4, 2, 0], "value") == [4, 2, 0]


@pytest.mark.parametrize("fast", [False, True])
def test_sort_numbers_with_invalid_and_empty(fast):
    table = column_table(["10", "9", "", "abc", "-1.5", "1e3", "NaN", "x", "2.50"], "number", fast=fast)

    ascending = values_of(table, sort_rows(table, table.row_ids, "value"))
    descending = values_of(table, sort_rows(table, table.row_ids, "value", descending=True))

    assert ascending == ["-1.5", "2.50", "9", "10", "1e3", "NaN", "abc", "x", ""]
    assert descending == ["1e3", "10", "9", "2.50", "-1.5", "NaN", "x", "abc", ""]


def test_sort_decimal_comma_and_integers():
    commas = column_table(["10,5", "9,25", "1.5", ""], "number", decimalChar=",")
    integers = column_table(["10", "9", "+3", "1.0", "12345678901234567"], "integer")

    assert values_of(commas, sort_rows(commas, commas.row_ids, "value")) == ["9,25", "10,5", "1.5", ""]
    assert values_of(integers, sort_rows(integers, integers.row_ids, "value")) == ["+3", "9", "10", "12345678901234567", "1.0"]


def test_sort_dates_and_times():
    dates = column_table(["2024-02-01", "31/12/2023", "2023-12-31", "", "2024-01-15"], "date")
    datetimes = column_table(["2024-01-01T12:00:00+02:00", "2024-01-01T11:00:00", "2024-01-01T09:30:00Z"], "datetime")

    assert values_of(dates, sort_rows(dates, dates.row_ids, "value")) == ["2023-12-31", "2024-01-15", "2024-02-01", "31/12/2023", ""]
    assert values_of(datetimes, sort_rows(datetimes, datetimes.row_ids, "value")) == ["2024-01-01T09:30:00Z", "2024-01-01T12:00:00+02:00", "2024-01-01T11:00:00"]


def test_sort_booleans_and_durations():
    booleans = column_table(["true", "false", "oui", "0"], "boolean")
    durations = column_table(["P1D", "PT12H", "P1Y", "P2W", "PT90M"], "duration")

    assert values_of(booleans, sort_rows(booleans, booleans.row_ids, "value")) == ["false", "0", "true", "oui"]
    assert values_of(durations, sort_rows(durations, durations.row_ids, "value")) == ["PT90M", "PT12H", "P1D", "P2W", "P1Y"]


def test_sort_missing_values_and_short_records_last():
    document = CsvDocument.parse(b"id,value\n1,NA\n2,b\n3\n4,a\n", fast=False, delimiter=",")
    table = Table(document, {"fields": [{"name": "id"}, {"name": "value"}], "missingValues": ["", "NA"]})

    assert sort_rows(table, table.row_ids, "value") == [3, 1, 0, 2]
    assert sort_rows(table, table.row_ids, "value", descending=True) == [1, 3, 0, 2]


@pytest.mark.parametrize("fast", [False, True])
def test_sort_sees_edits(fast):
    table = column_table(["Blois", "Tours", "Orléans"], fast=fast)

    table.set_cell(1, "value", "Angers")
    added = table.add_row({"value": "Nantes"})
    other = table.add_row({"value": "Niort"})
    table.add_row({"value": ""})

    ordered = values_of(table, sort_rows(table, table.row_ids, "value"))
    assert ordered == ["Angers", "Blois", "Nantes", "Niort", "Orléans", ""]
    assert sort_rows(table, [other, added], "value", descending=True) == [other, added]


def test_sort_edited_number_becomes_invalid():
    table = column_table(["3", "1", "2"], "number")

    table.set_cell(1, "value", "un")
    table.set_cell(2, "value", "")

    assert values_of(table, sort_rows(table, table.row_ids, "value")) == ["3", "un", ""]


def test_sort_numeric_missing_value_last():
    document = CsvDocument.parse(b"id,value\n1,5\n2,-1\n3,2\n", fast=False, delimiter=",")
    table = Table(document, {"fields": [{"name": "id"}, {"name": "value", "type": "number"}], "missingValues": ["", "-1"]})

    assert values_of(table, sort_rows(table, table.row_ids, "value")) == ["2", "5", "-1"]
    assert values_of(table, sort_rows(table, table.row_ids, "value", descending=True)) == ["5", "2", "-1"]


def brute_force_sort(table: Table, descending: bool) -> list[int]:
    """Sort by (group, value) with Python's stable sort: numbers, then other texts, then blanks."""

    def group(row: int) -> int:
        text = table.cell(row, "value")
        if text is None or not text.strip():
            return 2
        try:
            float(text)
        except ValueError:
            return 1
        return 0

    def value(row: int):
        text = table.cell(row, "value") or ""
        if group(row) == 0:
            return float(text)
        if group(row) == 1:
            return query._collation_key(text)
        return ()

    by_value = {index: sorted((row for row in table.row_ids if group(row) == index), key=value, reverse=descending) for index in range(3)}
    return by_value[0] + by_value[1] + by_value[2]


NUMBER_CELLS = st.sampled_from(["1", "2.5", "-3", "10", "1e1", "01", "", " ", "abc", "Abc", "évry", "Evry", "x1"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NUMBER_CELLS, min_size=1, max_size=12), st.booleans(), st.booleans(), st.data())
def test_sort_equals_brute_force(cells, fast, descending, data):
    table = column_table(cells, "number", fast=fast)
    if data.draw(st.booleans()):
        table.set_cell(data.draw(st.integers(0, len(cells) - 1)), "value", data.draw(NUMBER_CELLS))
    if data.draw(st.booleans()):
        table.add_row({"value": data.draw(NUMBER_CELLS)})

    assert sort_rows(table, table.row_ids, "value", descending) == brute_force_sort(table, descending)


def test_sort_field_missing_from_file_keeps_order():
    document = CsvDocument.parse(b"id\n1\n2\n", fast=False, delimiter=",")
    table = Table(document, {"fields": [{"name": "id"}, {"name": "absent"}]})

    assert sort_rows(table, [1, 0], "absent") == [1, 0]


# Arrow and list storage


@pytest.mark.parametrize("text", ["budget", "etienne", "participation citoyenne", "2019", "https", "zzzz"])
def test_arrow_and_lists_search_alike(real, text):
    table, _ = real
    arrow, lists = reopen(table, fast=True), reopen(table, fast=False)

    assert type(arrow.document.cells).__name__ == "ArrowCells"
    assert type(lists.document.cells).__name__ == "RowCells"
    assert search(arrow, text) == search(lists, text)


def test_arrow_and_lists_filter_and_sort_alike(real):
    table, resource_settings = real
    arrow, lists = reopen(table, fast=True), reopen(table, fast=False)
    specs = filter_specs(resource_settings)

    for spec in specs:
        assert filter_options(arrow, spec) == filter_options(lists, spec)
    assert apply_filters(arrow, {DEMARCHE: {"BP", "DC"}}, specs) == apply_filters(lists, {DEMARCHE: {"BP", "DC"}}, specs)
    for name in ("TITRE DU PROJET", "COMMUNE", "BAN_latitude", "CODE_POSTAL"):
        assert sort_rows(arrow, arrow.row_ids, name) == sort_rows(lists, lists.row_ids, name), name
        assert sort_rows(arrow, arrow.row_ids, name, descending=True) == sort_rows(lists, lists.row_ids, name, descending=True), name


def test_sort_real_latitudes_numeric(real):
    table, _ = real

    ordered = sort_rows(table, table.row_ids, "BAN_latitude")

    numbers = [float(text) for text in values_of(table, ordered, "BAN_latitude") if text]
    assert numbers == sorted(numbers)
