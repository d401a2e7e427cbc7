"""Property-based tests of the byte-faithful CSV engine over generated dialects and contents."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datami_py.csvfile import CsvChanges, CsvDocument, fastparse
from datami_py.csvfile import document as document_module
from datami_py.errors import DatamiError

# Letters French files contain, plus every character that quoting must handle.
ALPHABET = "abcXYZ019 éèàçÉœŒ’«»–€\"',;|\t\r\n"
CP1252_ALPHABET = "abcXYZ019 éèàçÉœŒ’«»–€\"',;|\t\r\n"
UTF8_ONLY = "→ŝ𝄞"


@st.composite
def csv_files(draw):
    """Draw a CSV file's bytes with the parameters used to write it."""
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    alphabet = CP1252_ALPHABET if encoding == "cp1252" else ALPHABET + UTF8_ONLY
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    quote_all = draw(st.booleans())
    final_newline = draw(st.booleans())
    width = draw(st.integers(min_value=2, max_value=5))
    header = [f"col{index}" for index in range(width)]
    cell = st.text(alphabet=alphabet, max_size=12)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=8))

    def write_field(text: str) -> str:
        special = delimiter in text or any(character in text for character in '"\r\n')
        # Some writers quote fields that do not need it: keep such files as they are too.
        if quote_all or special or draw(st.booleans()):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(write_field(text) for text in row) for row in [header, *rows]]
    content = terminator.join(lines) + (terminator if final_newline else "")
    data = content.encode("utf-8-sig" if encoding == "utf-8-sig" else encoding)
    # A short cp1252 text can also be valid UTF-8 ("ÉŒ" is the bytes of "Ɍ"), so no tool can
    # tell them apart: cp1252 files are declared, as their package would declare them.
    declared = "cp1252" if encoding == "cp1252" else None
    return data, delimiter, header, rows, declared


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_parse_then_render_is_identity(drawn):
    data, delimiter, header, rows, declared = drawn

    document = CsvDocument.parse(data, delimiter=delimiter, encoding=declared)

    assert document.header == header
    assert document.rows == rows
    assert document.render() == data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.data())
def test_one_edit_changes_one_record(drawn, data_strategy):
    data, delimiter, header, rows, declared = drawn
    if not rows:
        return
    document = CsvDocument.parse(data, delimiter=delimiter, encoding=declared)
    row = data_strategy.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    column = data_strategy.draw(st.integers(min_value=0, max_value=len(header) - 1))
    new_text = data_strategy.draw(st.text(alphabet="xyz é\";,\n", max_size=8))

    output = document.render(CsvChanges(cells={row: {column: new_text}}))

    start, end = document.starts[row + 1], document.starts[row + 2]
    assert output[:start] == data[:start]
    assert output[len(output) - (len(data) - end):] == data[end:]
    reparsed = CsvDocument.parse(output, delimiter=delimiter, encoding=declared)
    expected_rows = [list(values) for values in rows]
    expected_rows[row][column] = new_text
    assert reparsed.rows == expected_rows


@settings(max_examples=150, deadline=None)
@given(csv_files(), st.lists(st.text(alphabet="abc é\";\n", max_size=6), min_size=1, max_size=3))
def test_added_row_reads_back(drawn, values):
    data, delimiter, header, rows, declared = drawn
    document = CsvDocument.parse(data, delimiter=delimiter, encoding=declared)
    new_row = (values + [""] * len(header))[: len(header)]

    output = document.render(CsvChanges(added=[new_row]))

    assert output.startswith(data.rstrip(b"\r\n"))
    assert CsvDocument.parse(output, delimiter=delimiter, encoding=declared).rows == [*rows, new_row]
    assert output.endswith((b"\n", b"\r")) == data.endswith((b"\n", b"\r"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files())
def test_fast_reader_matches_exact_reader(drawn):
    data, delimiter, header, rows, declared = drawn

    exact = CsvDocument.parse(data, delimiter=delimiter, encoding=declared, fast=False)
    fast = CsvDocument.parse(data, delimiter=delimiter, encoding=declared, fast=True)

    assert fast.rows == exact.rows == rows
    assert list(fast.starts) == list(exact.starts)
    assert fast.render() == data


@pytest.mark.parametrize("text", [
    'a,b\n1,"x"y\n',
    'a,b\n1,x"y\n',
    'a,b\n1,"never closed\n2,3\n',
    'a,b\n1,2\n\n3,4\n',
    'a,b\n1,2,3\n',
    'a,b\r1,2\r',
])
def test_fast_reader_falls_back_on_irregular_files(text):
    data = text.encode()

    try:
        exact = CsvDocument.parse(data, delimiter=",", fast=False)
    except DatamiError as error:
        with pytest.raises(DatamiError) as raised:
            CsvDocument.parse(data, delimiter=",", fast=True)
        assert raised.value.code == error.code
        return

    fast = CsvDocument.parse(data, delimiter=",", fast=True)
    assert fast.rows == exact.rows
    assert list(fast.starts) == list(exact.starts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.data())
def test_document_after_edits_equals_fresh_parse(drawn, data_strategy):
    data, delimiter, header, rows, declared = drawn
    if not rows:
        return
    fast = data_strategy.draw(st.booleans())
    document = CsvDocument.parse(data, delimiter=delimiter, encoding=declared, fast=fast)
    cells = {}
    for _ in range(data_strategy.draw(st.integers(min_value=1, max_value=3))):
        row = data_strategy.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        column = data_strategy.draw(st.integers(min_value=0, max_value=len(header) - 1))
        cells.setdefault(row, {})[column] = data_strategy.draw(st.text(alphabet="xyz é\";,\n", max_size=8))
    changes = CsvChanges(cells=cells)

    content = document.render(changes)
    updated = document.with_changes(changes, content)
    fresh = CsvDocument.parse(content, delimiter=delimiter, encoding=declared, fast=False)

    assert updated.rows == fresh.rows
    assert list(updated.starts) == list(fresh.starts)
    assert updated.header == fresh.header
    assert updated.render() == content


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(csv_files(), st.integers(min_value=1, max_value=16))
def test_block_reader_matches_exact_reader(tmp_path, drawn, block_size):
    data, delimiter, header, rows, declared = drawn
    path = tmp_path / "file.csv"
    path.write_bytes(data)

    # Tiny blocks put block boundaries everywhere: inside quotes, between CR and LF.
    with mock.patch.object(fastparse, "BLOCK_SIZE", block_size), mock.patch.object(document_module, "HEAD_BYTES", 4096):
        read = CsvDocument.read(path, delimiter=delimiter, encoding=declared, fast=True)

    exact = CsvDocument.parse(data, delimiter=delimiter, encoding=declared, fast=False)
    assert read.header == exact.header
    assert read.rows == exact.rows
    assert list(read.starts) == list(exact.starts)
    assert read.dialect == exact.dialect
    assert read.render() == data


def test_block_reader_keeps_no_bytes_and_saves(tmp_path):
    lines = ["id,titre,commune"] + [f'{index},"Démarche n°{index}, « {index} »",Évry' for index in range(20_000)]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    path = tmp_path / "large.csv"
    path.write_bytes(data)

    document = CsvDocument.read(path, fast=True)
    assert document.raw is None
    assert document.rows[19_999] == ["19999", "Démarche n°19999, « 19999 »", "Évry"]

    content = document.render(CsvChanges(cells={5: {2: "Orléans"}}))
    expected = data.replace(b'5,"D\xc3\xa9marche n\xc2\xb05, \xc2\xab 5 \xc2\xbb",\xc3\x89vry', b'5,"D\xc3\xa9marche n\xc2\xb05, \xc2\xab 5 \xc2\xbb",Orl\xc3\xa9ans', 1)
    assert content == expected
