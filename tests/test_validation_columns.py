"""The column-by-column validator gives exactly the findings of the cell-by-cell reference."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datami_py import quality
from datami_py.csvfile import CsvDocument
from datami_py.table import Table
from datami_py.validation import columnar, validate_table
from datami_py.validation.constraints import _check_uri

SCHEMA = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "codes", "type": "list", "delimiter": "-", "categories": [{"value": "DC"}, {"value": "PN"}, {"value": "Cœur-de-ville"}]},
        {"name": "site", "type": "string", "x-datami": {"subtype": "link"}},
        {"name": "titre", "type": "string", "constraints": {"required": True, "maxLength": 6}},
        {"name": "code_postal", "type": "string", "constraints": {"pattern": "[0-9]{5}"}},
        {"name": "montant", "type": "number", "decimalChar": ",", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "rang", "type": "integer", "constraints": {"unique": True}},
        {"name": "actif", "type": "boolean"},
        {"name": "debut", "type": "date"},
        {"name": "type", "type": "string", "constraints": {"enum": ["commune", "région"]}},
        {"name": "latitude", "type": "number"},
        {"name": "longitude", "type": "number"},
    ],
    "primaryKey": ["id"],
    "missingValues": ["", "NA"],
}

CELLS = {
    "id": ["a", "b", "a", "", " a", "NA"],
    "codes": ["DC", "DC-PN", "DC - PN", "PN ", "XX", "Cœur-de-ville-DC", "DC-DC", "", "NA"],
    "site": ["https://www.exemple.fr/a", "www.exemple.fr", " https://a.fr", "https://a.fr/b c", "", "mailto:x@y.fr", "https://localhost/"],
    "titre": ["Blois", "Tours ", "Orléans", "", "Cafe\u0301", "a\tb", "Évry"],
    "code_postal": ["41000", "9300", "", "1000a", "07000"],
    "montant": ["12,5", "1.5", "-1", "101", "NaN", "", "0", "1e2", "abc"],
    "rang": ["1", "01", "2", "x", "", "+1"],
    "actif": ["true", "0", "oui", "", "TRUE"],
    "debut": ["2024-02-28", "2024-02-30", "2024-02-29", "2024-W10-1", "", "2023-12-31"],
    "type": ["commune", "région", "ville", "Commune", ""],
    "latitude": ["47.59", "1.33", "", "-21.1", "0", "x"],
    "longitude": ["1.33", "47.59", "", "55.5", "0", "200"],
}


@st.composite
def tables(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    names = [field["name"] for field in SCHEMA["fields"]]
    rows = []
    for _ in range(count):
        if draw(st.integers(0, 9)) == 0:
            rows.append(["NA" if draw(st.booleans()) else "" for _ in names])
        else:
            rows.append([draw(st.sampled_from(CELLS[name])) for name in names])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([names, *rows])
    return buffer.getvalue().encode("utf-8")


def findings(table: Table, by_rows: bool) -> list[tuple]:
    report = validate_table(table, {}, by_rows=by_rows)
    return [(item.code, item.severity, item.location, item.params) for item in report.findings]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_columns_match_row_reference(data):
    for fast in (False, True):
        table = Table(CsvDocument.parse(data, fast=fast), SCHEMA, file="t.csv")

        assert findings(table, by_rows=False) == findings(table, by_rows=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.data())
def test_columns_match_reference_after_edits(data, draw):
    table = Table(CsvDocument.parse(data, fast=True), SCHEMA, file="t.csv")
    names = [field["name"] for field in SCHEMA["fields"]]
    for _ in range(draw.draw(st.integers(1, 4))):
        row = draw.draw(st.sampled_from(table.row_ids))
        name = draw.draw(st.sampled_from(names))
        table.set_cell(row, name, draw.draw(st.sampled_from(CELLS[name])))
    if draw.draw(st.booleans()):
        table.delete_row(draw.draw(st.sampled_from(table.row_ids)))
    table.add_row({"id": draw.draw(st.sampled_from(CELLS["id"])), "titre": "Tours"})

    assert findings(table, by_rows=False) == findings(table, by_rows=True)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(columnar.CLEAN_LINK, fullmatch=True))
def test_clean_link_mask_implies_no_link_issue(link):
    assert quality.check_link(link) == []
    assert quality.check_text(link) == []
    assert _check_uri(link)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12))
def test_clean_text_mask_implies_no_text_issue(text):
    mask = columnar.clean_text_mask(pa.chunked_array([pa.array([text], pa.string())]))

    if mask is not None and mask[0].as_py():
        assert quality.check_text(text) == []
