"""Differential test: datami-py's validation errors against frictionless-py 5.21's.

Both validators read the same data package, and their errors are compared as sets of
``(data row, field, frictionless error type)``. The data row is frictionless'
``rowNumber - 1`` (1 for the first row under the header). Quality warnings have no
frictionless counterpart and are left out. Header findings differ by design (datami-py
binds columns by name), so only packages whose header matches the schema are compared.

Where the two disagree, the Table Schema specification decides (Data Package v2,
``content/docs/standard/table-schema.mdx`` in frictionlessdata/datapackage):

- constraints, ``unique`` and keys apply to logical values, not to the text;
- primary-key fields cannot be null, as if they had ``required: true``;
- number accepts ``NaN``, ``INF`` and ``-INF`` in any case, and nothing else spelled out;
- the default date form is exactly ``yyyy-mm-dd``;
- ``pattern`` is an XML Schema regular expression, which matches the whole value.

Frictionless 5.21 departs from these rules on some inputs, so the generated tables avoid
them (``test_spec_rules_frictionless_breaks`` checks datami-py on them instead). It
strips outer spaces around numbers. It accepts ``1_000``, ``Infinity`` and ``2024-3-5``,
because it reads cells with Python's ``int``, ``Decimal`` and ``strptime``. It compiles a
pattern as ``^pattern$``, so ``a|b`` accepts ``ab`` and ``$`` accepts a final line
break. It also adds a primary-key error to a key cell that fails its type. A failing
test here is a mismatch where datami-py is the one that breaks the specification.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import frictionless
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from datami_py.session import Session
from datami_py.validation.constraints import FRICTIONLESS_TYPES
from tests.helpers import CASES

CASES_ROOT = CASES

# The cases whose CSV header matches their schema. B07 is left out on purpose: its
# header names differ in case and order from the schema, which datami-py reports as
# header findings while frictionless reports label and cell errors.
MATCHING_HEADER_CASES = ["B01", "B03", "B04", "B06", "B10", "B14"]

# Row-level finding codes and their frictionless 5.21 error types. Frictionless 5.21
# names the primary-key error type "primary-key" (errors/row.py).
ROW_TYPES = {
    "row.duplicate-key": "primary-key",
    "row.blank-key": "primary-key",
    "value.duplicate": "unique-error",
    "row.blank": "blank-row",
    "row.missing-cell": "missing-cell",
    "row.extra-cell": "extra-cell",
    "row.extra-cells": "extra-cell",
    "row.unclosed-quote": "extra-cell",
}
# Error types that concern a whole row, or a cell beyond the schema's fields: their
# field name is not compared (frictionless gives None or "" there).
ROW_LEVEL_TYPES = {"primary-key", "blank-row", "extra-cell"}

ErrorKey = tuple[int | None, str | None, str]


def frictionless_errors(descriptor: Path) -> set[ErrorKey]:
    """Return frictionless' errors for the package at ``descriptor``, with no error limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = frictionless.validate(str(descriptor), limit_errors=0)
    keys: set[ErrorKey] = set()
    for row_number, field, error_type in report.flatten(["rowNumber", "fieldName", "type"]):
        row = row_number - 1 if row_number is not None else None
        keys.add((row, None if error_type in ROW_LEVEL_TYPES else field, error_type))
    return keys


def our_errors(descriptor: Path) -> set[ErrorKey]:
    """Return datami-py's errors for the package at ``descriptor`` as frictionless types."""
    report = Session.open(descriptor).validate()
    keys: set[ErrorKey] = set()
    for finding in report.errors:
        error_type = FRICTIONLESS_TYPES.get(finding.code) or ROW_TYPES.get(finding.code) or f"datami:{finding.code}"
        field = None if error_type in ROW_LEVEL_TYPES else finding.location.field
        keys.add((finding.location.row, field, error_type))
    return keys


def write_package(folder: Path, schema: dict[str, Any], rows: list[list[str]]) -> Path:
    """Write ``rows`` under a header of the schema's field names; return the descriptor path.

    The dialect is declared so that frictionless does not guess it from a few rows. It
    would take a delimiter from rows full of decimal commas, and without ``headerRows``
    frictionless 5.21 guesses which row is the header: with eight fields, a two-cell first
    data row followed by an empty line becomes the header.
    """
    names = [field["name"] for field in schema["fields"]]
    with open(folder / "data.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    descriptor = {
        "name": "parity",
        "resources": [
            {
                "name": "data",
                "path": "data.csv",
                "format": "csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "quoteChar": '"', "headerRows": [1]},
                "schema": schema,
            }
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return path


def mismatch_message(ours: set[ErrorKey], theirs: set[ErrorKey], rows: list[list[str]] | None = None) -> str:
    lines = [f"only datami-py: {sorted(ours - theirs, key=str)}", f"only frictionless: {sorted(theirs - ours, key=str)}"]
    if rows is not None:
        lines.append("rows: " + json.dumps(rows, ensure_ascii=False))
    return "\n".join(lines)


# (a) The failure cases whose header matches the schema.


@pytest.mark.parametrize("case", MATCHING_HEADER_CASES)
def test_case_errors_match_frictionless(case: str) -> None:
    descriptor = CASES_ROOT / case / "datapackage.json"
    ours = our_errors(descriptor)
    theirs = frictionless_errors(descriptor)
    assert ours == theirs, mismatch_message(ours, theirs)


# Single mismatches that the generated tables found, each on its smallest input. In each,
# frictionless agrees with the specification.


def _compare(tmp_path: Path, schema: dict[str, Any], rows: list[list[str]]) -> tuple[set[ErrorKey], set[ErrorKey]]:
    descriptor = write_package(tmp_path, schema, rows)
    return our_errors(descriptor), frictionless_errors(descriptor)


def test_nan_breaks_minimum(tmp_path: Path) -> None:
    # NaN is not greater than or equal to any minimum, so the constraint fails.
    schema = {"fields": [{"name": "x", "type": "number", "constraints": {"minimum": 0, "maximum": 10}}]}
    ours, theirs = _compare(tmp_path, schema, [["NaN"]])
    assert theirs == {(1, "x", "constraint-error")}
    assert ours == theirs, mismatch_message(ours, theirs)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "Inf"])
def test_special_numbers_ignore_case(tmp_path: Path, text: str) -> None:
    # "NaN, INF, -INF ... (case need not be respected)".
    schema = {"fields": [{"name": "x", "type": "number"}]}
    ours, theirs = _compare(tmp_path, schema, [[text]])
    assert theirs == set()
    assert ours == theirs, mismatch_message(ours, theirs)


def test_week_date_is_not_a_default_date(tmp_path: Path) -> None:
    # The default date form is yyyy-mm-dd; Python 3.11's date.fromisoformat also reads
    # ISO week dates, which have the same length.
    schema = {"fields": [{"name": "day", "type": "date"}]}
    ours, theirs = _compare(tmp_path, schema, [["2024-W10-1"]])
    assert theirs == {(1, "day", "type-error")}
    assert ours == theirs, mismatch_message(ours, theirs)


@pytest.mark.parametrize(
    ("field_type", "first", "second"),
    [("integer", "1", "01"), ("integer", "7", "+7"), ("number", "1.5", "1.50"), ("number", "2", "2e0")],
)
def test_unique_compares_logical_values(tmp_path: Path, field_type: str, first: str, second: str) -> None:
    schema = {"fields": [{"name": "x", "type": field_type, "constraints": {"unique": True}}]}
    ours, theirs = _compare(tmp_path, schema, [[first], [second]])
    assert theirs == {(2, "x", "unique-error")}
    assert ours == theirs, mismatch_message(ours, theirs)


def test_primary_key_compares_logical_values(tmp_path: Path) -> None:
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string"}], "primaryKey": ["id"]}
    ours, theirs = _compare(tmp_path, schema, [["45", "Orléans"], ["045", "Orléans-la-Source"]])
    assert theirs == {(2, None, "primary-key")}
    assert ours == theirs, mismatch_message(ours, theirs)


def test_missing_primary_key_is_an_error(tmp_path: Path) -> None:
    # Primary-key fields cannot be null. Frictionless reports a primary-key error; the
    # specification's wording (as if required) gives a constraint error on the field.
    schema = {"fields": [{"name": "id", "type": "string"}, {"name": "nom", "type": "string"}], "primaryKey": ["id"]}
    ours, theirs = _compare(tmp_path, schema, [["45234", "Orléans"], ["", "Tours"]])
    assert theirs == {(2, None, "primary-key")}
    assert ours in ({(2, None, "primary-key")}, {(2, "id", "constraint-error")}), mismatch_message(ours, theirs)


def test_row_of_empty_cells_is_blank(tmp_path: Path) -> None:
    # A spreadsheet export writes an empty row as delimiters only: ",,".
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string"}, {"name": "lat", "type": "number"}]}
    ours, theirs = _compare(tmp_path, schema, [["1", "Blois", "47.59"], ["", "", ""], ["2", "Tours", "47.39"]])
    assert theirs == {(2, None, "blank-row")}
    assert ours == theirs, mismatch_message(ours, theirs)


def test_row_of_missing_values_is_blank(tmp_path: Path) -> None:
    # "NA" is a missing value of this schema, so a row of "NA" cells has no value at all.
    schema = {
        "fields": [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string"}, {"name": "lat", "type": "number"}],
        "missingValues": ["", "NA"],
    }
    ours, theirs = _compare(tmp_path, schema, [["1", "Blois", "47.59"], ["NA", "NA", "NA"], ["2", "Tours", "47.39"]])
    assert theirs == {(2, None, "blank-row")}
    assert ours == theirs, mismatch_message(ours, theirs)


def test_blank_row_has_no_cell_errors(tmp_path: Path) -> None:
    # Frictionless reports an empty line once, as blank-row, and checks none of its cells.
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "nom", "type": "string", "constraints": {"required": True}}]}
    ours, theirs = _compare(tmp_path, schema, [["1", "Blois"], [], ["2", "Tours"]])
    assert theirs == {(2, None, "blank-row")}
    assert ours == theirs, mismatch_message(ours, theirs)


# Where frictionless 5.21 breaks the specification, datami-py must follow the specification.


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ({"name": "x", "type": "string", "constraints": {"pattern": "a|b"}}, "ab"),
        ({"name": "x", "type": "string", "constraints": {"pattern": "[a-z]+"}}, "abc\n"),
        ({"name": "x", "type": "integer"}, "1_000"),
        ({"name": "x", "type": "number"}, "Infinity"),
        ({"name": "x", "type": "date"}, "2024-3-5"),
        ({"name": "x", "type": "string", "format": "uri"}, "https://www.exemple.fr/la page"),
    ],
)
def test_spec_rules_frictionless_breaks(tmp_path: Path, field: dict[str, Any], text: str) -> None:
    ours, _ = _compare(tmp_path, {"fields": [field]}, [[text]])
    expected_type = "constraint-error" if "constraints" in field else "type-error"
    assert ours == {(1, "x", expected_type)}


# (b) Generated tables: several types and constraints, valid and invalid cells.

CODES = ["AB-12", "DC-01", "PN-07", "ab-12", "ABC-12", "AB12", "AB-1", "É1-23"]
KINDS = ["commune", "département", "région", "Commune", "region", "departement"]
LABEL_LETTERS = "aeéèçôÉ '-x"


def _write_integer(value: int, plus_sign: bool, leading_zeros: int) -> str:
    sign = "+" if plus_sign else ""
    if value < 0:
        sign = "-"
    return sign + "0" * leading_zeros + str(abs(value))


def _integer_texts(values: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """Integers in the forms the specification allows: a sign, leading zeros."""
    return st.builds(_write_integer, values, st.booleans(), st.integers(0, 2))


def _number_texts(decimal_char: str) -> st.SearchStrategy[str]:
    """Numbers written with ``decimal_char``, the special values, and common mistakes."""
    plain = st.builds(
        lambda sign, whole, fraction, exponent: sign + whole + (decimal_char + fraction if fraction is not None else "") + exponent,
        st.sampled_from(["", "-", "+"]),
        st.from_regex(r"[0-9]{1,4}", fullmatch=True),
        st.none() | st.from_regex(r"[0-9]{0,3}", fullmatch=True),
        st.sampled_from(["", "", "E3", "e-2", "E+1"]),
    )
    special = st.sampled_from(["NaN", "INF", "-INF", "nan", "inf", "-Inf"])
    other_char = "." if decimal_char == "," else ","
    mistakes = st.sampled_from([f"1{other_char}5", f"1{decimal_char}2{decimal_char}3", "--1", "1e", "abc", "12 €", "E3"])
    return st.one_of(plain, plain, special, mistakes)


def _date_texts() -> st.SearchStrategy[str]:
    valid = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)).map(lambda day: day.isoformat())
    mistakes = st.sampled_from(["2024-02-30", "2024-13-01", "24-01-01", "2024/01/05", "20240105", "2024-W10-1", "05/01/2024", "2024-01-05T00:00"])
    return st.one_of(valid, valid, mistakes)


@st.composite
def generated_tables(draw: st.DrawFn) -> tuple[dict[str, Any], list[list[str]]]:
    """Draw a schema of eight fields and up to eight rows, some of them malformed."""
    decimal_char = draw(st.sampled_from([".", ","]))
    missing_values = draw(st.sampled_from([[""], ["", "NA"], ["-"]]))
    number_field: dict[str, Any] = {"name": "montant", "type": "number", "constraints": {"minimum": -1000, "maximum": 1000}}
    if decimal_char == "," or draw(st.booleans()):
        number_field["decimalChar"] = decimal_char
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            number_field,
            {"name": "actif", "type": "boolean"},
            {"name": "date_debut", "type": "date", "constraints": {"minimum": "2000-01-01"}},
            {"name": "code", "type": "string", "constraints": {"required": True, "pattern": "[A-Z]{2}-[0-9]{2}", "unique": True}},
            {"name": "type", "type": "string", "constraints": {"enum": KINDS[:3]}},
            {"name": "libelle", "type": "string", "constraints": {"minLength": 2, "maxLength": 8}},
            {"name": "rang", "type": "integer", "constraints": {"minimum": 1, "maximum": 5}},
        ],
        "primaryKey": ["id"],
        "missingValues": missing_values,
    }
    missing = st.sampled_from(missing_values + ["NA", "-", ""])
    cells = [
        # Key cells are type-valid, and missing only in blank rows (see the module docstring).
        _integer_texts(st.integers(0, 12)),
        st.one_of(_number_texts(decimal_char), missing),
        st.one_of(st.sampled_from(["true", "True", "TRUE", "1", "false", "False", "FALSE", "0", "yes", "vrai", "tRUE", "2"]), missing),
        st.one_of(_date_texts(), missing),
        st.one_of(st.sampled_from(CODES), missing),
        st.one_of(st.sampled_from(KINDS), missing),
        st.one_of(st.text(alphabet=LABEL_LETTERS, max_size=10), missing),
        st.one_of(_integer_texts(st.integers(-1, 7)), st.sampled_from(["1.5", "deux", "1e2"]), missing),
    ]
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = [draw(strategy) for strategy in cells]
        shape = draw(st.sampled_from(["full"] * 12 + ["short", "long", "empty line", "empty cells"]))
        if shape == "short":
            row = row[: draw(st.integers(1, len(row) - 1))]
        elif shape == "long":
            row = row + draw(st.lists(st.sampled_from(["", "x", "9"]), min_size=1, max_size=2))
        elif shape == "empty line":
            row = []
        elif shape == "empty cells":
            row = [missing_values[0]] * len(row)
        rows.append(row)
    return schema, rows


# Without the explain phase: its coverage tracing made a failing run take 44 s instead of 8 s.
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(generated_tables())
def test_generated_tables_match_frictionless(table: tuple[dict[str, Any], list[list[str]]]) -> None:
    schema, rows = table
    folder = Path(tempfile.mkdtemp(prefix="parity-"))
    try:
        descriptor = write_package(folder, schema, rows)
        ours = our_errors(descriptor)
        theirs = frictionless_errors(descriptor)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert ours == theirs, mismatch_message(ours, theirs, rows) + "\nschema: " + json.dumps(schema, ensure_ascii=False)
