"""A fast path for large CSV files: record boundaries with NumPy, cells with pyarrow.

It reads exactly what :func:`datami_py.csvfile.parser.parse_records` reads, for the files
it accepts: RFC 4180 quoting, ``\\n`` or ``\\r\\n`` record ends, every record as wide as
the header. For anything else (ragged or blank rows, bare ``\\r`` line ends, broken
quoting) it returns None, and the caller uses the exact Python parser, which also words
the errors. Record boundaries come from quote parity: a line feed ends a record when an
even number of quotes precede it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

import numpy as np

QUOTE = ord('"')
LINE_FEED = ord("\n")
CARRIAGE_RETURN = ord("\r")

# Bytes scanned at once; the parity of the quotes seen so far carries over between blocks.
BLOCK_SIZE = 1 << 25


@dataclass
class FastRecords:
    """Record starts (with the end of the last record appended) and the data cells as an Arrow table."""

    starts: array
    table: Any


def _record_ends(body: np.ndarray, delimiter: int) -> np.ndarray | None:
    """Return the offsets just after each record-ending line feed, or None when quoting is not RFC 4180.

    A quote that opens a quoted field must follow a delimiter, a line feed or the start of
    the body; a quote that closes one must be followed by a delimiter, a line break, the
    end of the body, or a second quote (an escaped quote).
    """
    ends: list[np.ndarray] = []
    parity = 0
    length = len(body)
    for block_start in range(0, length, BLOCK_SIZE):
        block = body[block_start : block_start + BLOCK_SIZE]
        quote_positions = np.flatnonzero(block == QUOTE)
        line_feeds = np.flatnonzero(block == LINE_FEED)

        # Parity just after each quote, and before each line feed.
        after_quote = (np.arange(1, len(quote_positions) + 1) + parity) & 1
        quotes_before = np.searchsorted(quote_positions, line_feeds)
        outside = ((quotes_before + parity) & 1) == 0
        ends.append(line_feeds[outside] + block_start + 1)

        absolute = quote_positions + block_start
        if not _quotes_well_placed(body, absolute, after_quote.astype(bool), delimiter):
            return None
        parity = (parity + len(quote_positions)) & 1

    if parity:
        return None  # A quote is never closed.
    return np.concatenate(ends) if ends else np.empty(0, dtype=np.int64)


def _quotes_well_placed(body: np.ndarray, positions: np.ndarray, opens: np.ndarray, delimiter: int) -> bool:
    """Check the neighbours of opening and closing quotes (see :func:`_record_ends`)."""
    length = len(body)
    opening = positions[opens]
    previous = body[np.maximum(opening - 1, 0)]
    valid_open = (opening == 0) | (previous == delimiter) | (previous == LINE_FEED) | (previous == QUOTE)

    closing = positions[~opens]
    following = body[np.minimum(closing + 1, length - 1)]
    at_end = closing == length - 1
    valid_close = at_end | (following == delimiter) | (following == LINE_FEED) | (following == CARRIAGE_RETURN) | (following == QUOTE)
    return bool(valid_open.all() and valid_close.all())


def _has_blank_record(body: np.ndarray, starts: np.ndarray) -> bool:
    """True when a record is only a line terminator (``\n`` or ``\r\n``)."""
    lengths = np.diff(starts)
    first_bytes = body[np.minimum(starts[:-1], len(body) - 1)]
    blank = (lengths == 1) & (first_bytes == LINE_FEED) | (lengths == 2) & (first_bytes == CARRIAGE_RETURN)
    return bool(blank.any())


def parse_fast(data: bytes, body_start: int, delimiter: str, encoding: str, width: int) -> FastRecords | None:
    """Parse the data records of ``data`` (the header record included in the starts).

    ``width`` is the number of header fields. Returns None when the file needs the exact
    parser (see the module docstring).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    view = memoryview(data)[body_start:]
    if data.count(b"\r", body_start) != data.count(b"\r\n", body_start):
        return None  # Bare carriage returns: old Mac line ends, or a CR inside a field.

    body = np.frombuffer(view, dtype=np.uint8)
    ends = _record_ends(body, ord(delimiter))
    if ends is None or len(ends) == 0:
        return None

    starts = np.concatenate(([0], ends[ends < len(body)], [len(body)])) + body_start
    if _has_blank_record(body, starts - body_start):
        return None  # pyarrow would read a blank line as a row of empty cells, not as one empty field.
    header_end = int(starts[1])
    # A memoryview slice shares the file's bytes; only other encodings need a UTF-8 copy.
    records_body: bytes | memoryview = memoryview(data)[header_end:]
    if encoding != "utf-8":
        records_body = bytes(records_body).decode(encoding).encode("utf-8")

    names = [f"c{index}" for index in range(width)]
    spans_lines = data.count(b"\n", header_end) != len(starts) - 2
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(records_body),
            read_options=pa_csv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=spans_lines,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None

    if table.num_rows != len(starts) - 2:
        return None
    return FastRecords(array("q", starts.tolist()), table)
