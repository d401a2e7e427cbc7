"""Parse CSV bytes into records that remember where they came from.

The parser works on the raw bytes. Every encoding this project reads is ASCII-compatible
(UTF-8, cp1252, Latin-1), so a delimiter, a quote or a line break is always one byte
that cannot sit inside a multi-byte character. Each record keeps its byte span, which
lets the writer copy unedited records unchanged.

Quoting follows RFC 4180: a field is either quoted (quotes inside doubled, line breaks
allowed) or unquoted (no quote, delimiter or line break). Anything else is broken
quoting, reported with its row and field instead of guessed at.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field

from datami_py.errors import DatamiError, Location
from datami_py.i18n import message

UNCLOSED_QUOTE = message(
    "csv.unclosed-quote",
    "A quote opened in this field is never closed, so the rest of the file would be one cell. "
    "Add the missing closing quote (\") in a text editor.",
)
TEXT_AFTER_QUOTE = message(
    "csv.text-after-quote",
    "There is text after the closing quote of this field ({text}). Inside a quoted field, write a quote as two quotes (\"\").",
)
DELIMITER_MISMATCH = message(
    "csv.delimiter-mismatch",
    "The columns of this file seem to be separated by “{found}”, but the package declares “{declared}”, "
    "so its quotes cannot be read. In datapackage.json, give this resource \"dialect\": {{\"delimiter\": \"{found}\"}}, "
    "or save the file again with “{declared}” between columns.",
)
QUOTE_NOT_CLOSED = message(
    "csv.quote-not-closed",
    "The quoted value that starts in cell {column} of this row seems to have no closing quote: "
    "it runs on over lines {first_line} to {last_line} of the file, up to the next quote, so the file cannot be read. "
    "In a text editor, check that the quote (\") that opens this cell is closed at the end of its value. "
    "Nothing was changed in the file.",
)
QUOTE_IN_UNQUOTED = message(
    "csv.quote-in-unquoted-field",
    "This field contains a quote but is not itself in quotes ({text}). Put the whole field in quotes and double the quote inside.",
)


@dataclass
class ParsedRecords:
    """Fields of every record, with the byte offset where each record starts.

    ``starts`` has one more entry than ``rows``: the end of the last record. ``rows[i]``
    contains the field values of record ``i`` as unquoted bytes, and ``all_quoted[i]``
    is true when every field of that record was quoted.
    """

    rows: list[list[bytes]] = field(default_factory=list)
    starts: array = field(default_factory=lambda: array("q"))
    all_quoted: list[bool] = field(default_factory=list)


def _field_pattern(delimiter: bytes) -> re.Pattern[bytes]:
    escaped = re.escape(delimiter)
    return re.compile(
        rb'(?:"((?:[^"]|"")*)"|([^"\r\n' + escaped + rb"]*))(" + escaped + rb"|\r\n|\n|\r|\Z)"
    )


def physical_line(data: bytes, offset: int) -> int:
    """Return the line of the file (1 for the first) that byte ``offset`` of ``data`` is on.

    A line ends with CR LF, LF or CR, as a record may.
    """
    line_feeds = data.count(b"\n", 0, offset)
    carriage_returns = data.count(b"\r", 0, offset)
    return 1 + line_feeds + carriage_returns - data.count(b"\r\n", 0, offset)


def _broken_quoting(
    data: bytes, position: int, row: int, column: int, file: str | None, delimiter: str, field_name: str | None = None
) -> DatamiError:
    """Describe why no field could be read at ``position``.

    A file whose header splits better on another delimiter is usually a spreadsheet export
    with semicolons: that is the cause to name, not the quote it trips on. A quoted value
    that runs over a line break before the quote it trips on has most likely lost its
    closing quote, so that is named instead of the text after the quote.
    """
    from datami_py.csvfile.dialect import sniff_delimiter

    found = sniff_delimiter(data[:65536])
    if found != delimiter:
        return DatamiError(DELIMITER_MISMATCH, Location(file=file), found=found, declared=delimiter)

    location = Location(file=file, row=row, field=field_name)
    snippet = data[position : position + 40].split(b"\n", 1)[0].decode("utf-8", "replace")

    if data[position : position + 1] == b'"':
        closing = re.match(rb'"(?:[^"]|"")*"', data[position:])
        if closing is None:
            return DatamiError(UNCLOSED_QUOTE, Location(file=file, row=row), column=column + 1)
        value = data[position + 1 : position + closing.end() - 1]
        if b"\n" in value or b"\r" in value:
            first_line = physical_line(data, position)
            last_line = physical_line(data, position + closing.end() - 1)
            return DatamiError(QUOTE_NOT_CLOSED, location, column=column + 1, first_line=first_line, last_line=last_line)
        after = data[position + closing.end() : position + closing.end() + 20].decode("utf-8", "replace")
        return DatamiError(TEXT_AFTER_QUOTE, location, column=column + 1, text=after)

    return DatamiError(QUOTE_IN_UNQUOTED, location, column=column + 1, text=snippet)


def parse_records(
    data: bytes,
    delimiter: str,
    start: int = 0,
    file: str | None = None,
    max_records: int | None = None,
    encoding: str = "utf-8",
) -> ParsedRecords:
    """Split ``data[start:]`` into records and fields, stopping after ``max_records`` when given.

    Row numbers in errors count the first record as row 0 (the header), so the first
    data record is row 1, as users count data rows. Errors name the field by the header's
    text, decoded with ``encoding``.

    Raises:
        DatamiError: ``csv.unclosed-quote``, ``csv.text-after-quote`` or
            ``csv.quote-in-unquoted-field`` at the first broken field.
    """
    pattern = _field_pattern(delimiter.encode("ascii"))
    match_at = pattern.match
    end = len(data)
    parsed = ParsedRecords()
    position = start

    while position < end and (max_records is None or len(parsed.rows) < max_records):
        parsed.starts.append(position)
        fields: list[bytes] = []
        quoted_count = 0
        while True:
            match = match_at(data, position)
            if match is None:
                header = parsed.rows[0] if parsed.rows else []
                field_name = header[len(fields)].decode(encoding, "replace") if len(fields) < len(header) else None
                raise _broken_quoting(data, position, len(parsed.rows), len(fields), file, delimiter, field_name)

            quoted, plain, separator = match.groups()
            if quoted is not None:
                fields.append(quoted.replace(b'""', b'"'))
                quoted_count += 1
            else:
                fields.append(plain)
            position = match.end()

            if separator != delimiter.encode("ascii"):
                break
            if position == end:
                # A delimiter right before the end of the file closes one last, empty field.
                fields.append(b"")
                break

        parsed.rows.append(fields)
        parsed.all_quoted.append(quoted_count == len(fields))

    parsed.starts.append(position)
    return parsed


def split_raw_record(record: bytes, delimiter: str) -> tuple[list[bytes], bytes]:
    """Split one record's bytes into each field as written (quotes included) and its line terminator.

    The record must be one that :func:`parse_records` accepted.
    """
    pattern = _field_pattern(delimiter.encode("ascii"))
    raw_fields: list[bytes] = []
    position = 0
    while True:
        match = pattern.match(record, position)
        assert match is not None, "split_raw_record needs a record that parse_records accepted"
        raw_fields.append(record[match.start() : match.start(3)])
        separator = match.group(3)
        position = match.end()
        if separator != delimiter.encode("ascii"):
            return raw_fields, separator
        if position == len(record):
            raw_fields.append(b"")
            return raw_fields, b""
