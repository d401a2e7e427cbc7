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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

QUOTE = ord('"')
LINE_FEED = ord("\n")
CARRIAGE_RETURN = ord("\r")

# Bytes scanned at once; the parity of the quotes seen so far carries over between blocks.
BLOCK_SIZE = 1 << 23
# pyarrow's CSV block size, read on one thread. Measured on a 118 MB, 1 M-row file (2 cores):
# 16 MiB blocks on two threads peaked about 75 MiB higher, for 0.1 s less.
READ_BLOCK_SIZE = 1 << 20


@dataclass
class FastRecords:
    """Record starts (with the end of the last record appended) and the data cells as an Arrow table."""

    starts: array
    table: Any


@dataclass
class _Scan:
    """The result of one pass over the body: record ends, and the facts that decide whether pyarrow can read it."""

    ends: np.ndarray
    carriage_return_before_end: np.ndarray
    line_feeds: int
    length: int


def _blocks_of_bytes(data: bytes, start: int) -> Iterator[bytes | memoryview]:
    view = memoryview(data)
    for block_start in range(start, len(data), BLOCK_SIZE):
        yield view[block_start : block_start + BLOCK_SIZE]


def _blocks_of_file(handle: BinaryIO, start: int) -> Iterator[bytes]:
    handle.seek(start)
    while block := handle.read(BLOCK_SIZE):
        yield block


def _scan(blocks: Iterator[bytes | memoryview], delimiter: int) -> _Scan | None:
    """Find the record ends of the body given as consecutive ``blocks``, or None for irregular files.

    Quote parity, the byte before and the byte after each block carry over between
    blocks, so the result does not depend on where blocks are cut. None means: a quote
    is never closed or sits where RFC 4180 forbids it, or a carriage return is not
    followed by a line feed.
    """
    ends: list[np.ndarray] = []
    carriage_returns: list[np.ndarray] = []
    parity = 0
    offset = 0
    line_feeds = 0
    previous = LINE_FEED  # The body starts a record, as if after a line feed.

    iterator = iter(blocks)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        block = np.frombuffer(current, dtype=np.uint8)
        next_byte = int(following[0]) if following is not None and len(following) else None
        if not _block_is_regular(block, previous, next_byte, parity, delimiter):
            return None

        quote_positions = np.flatnonzero(block == QUOTE)
        line_feed_positions = np.flatnonzero(block == LINE_FEED)
        quotes_before = np.searchsorted(quote_positions, line_feed_positions)
        outside = ((quotes_before + parity) & 1) == 0
        record_ends = line_feed_positions[outside]
        ends.append(record_ends + offset + 1)
        before = np.where(record_ends > 0, block[np.maximum(record_ends - 1, 0)], previous)
        carriage_returns.append(before == CARRIAGE_RETURN)

        line_feeds += len(line_feed_positions)
        parity = (parity + len(quote_positions)) & 1
        previous = int(block[-1])
        offset += len(block)
        current = following

    if parity:
        return None  # A quote is never closed.
    empty = np.empty(0, dtype=np.int64)
    return _Scan(
        np.concatenate(ends) if ends else empty,
        np.concatenate(carriage_returns) if carriage_returns else np.empty(0, dtype=bool),
        line_feeds,
        offset,
    )


def _block_is_regular(block: np.ndarray, previous: int, next_byte: int | None, parity: int, delimiter: int) -> bool:
    """Check the quotes and carriage returns of one block.

    A quote that opens a quoted field must follow a delimiter, a line feed, the start of
    the body or a second quote (an escaped quote). A quote that closes one must be
    followed by a delimiter, a line break, the end of the body or a second quote. A
    carriage return must be followed by a line feed.
    """
    length = len(block)
    quote_positions = np.flatnonzero(block == QUOTE)
    opens = ((np.arange(1, len(quote_positions) + 1) + parity) & 1).astype(bool)

    def before(positions: np.ndarray) -> np.ndarray:
        return np.where(positions > 0, block[np.maximum(positions - 1, 0)], previous)

    def after(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = positions < length - 1
        values = block[np.minimum(positions + 1, length - 1)]
        at_end = ~inside & (next_byte is None)
        values = np.where(inside, values, next_byte if next_byte is not None else 0)
        return values, at_end

    opening = quote_positions[opens]
    preceding = before(opening)
    valid_open = (preceding == delimiter) | (preceding == LINE_FEED) | (preceding == QUOTE)

    closing = quote_positions[~opens]
    following, at_end = after(closing)
    valid_close = at_end | (following == delimiter) | (following == LINE_FEED) | (following == CARRIAGE_RETURN) | (following == QUOTE)

    carriage_positions = np.flatnonzero(block == CARRIAGE_RETURN)
    after_carriage, carriage_at_end = after(carriage_positions)
    valid_carriage = (after_carriage == LINE_FEED) & ~carriage_at_end
    return bool(valid_open.all() and valid_close.all() and valid_carriage.all())


def _starts(scan: _Scan, body_start: int) -> np.ndarray | None:
    """Return the absolute record starts, or None when a record is blank.

    pyarrow would read a blank line as a row of empty cells, not as one empty field as
    the exact reader does, so such files go to the exact reader.
    """
    ends = scan.ends
    inner = ends[ends < scan.length]
    boundaries = np.concatenate(([0], ends))
    lengths = np.diff(boundaries)
    blank = (lengths == 1) | ((lengths == 2) & scan.carriage_return_before_end)
    if blank.any():
        return None
    return np.concatenate(([0], inner, [scan.length])) + body_start


def _read_table(source: Any, width: int, encoding: str, spans_lines: bool, delimiter: str) -> Any | None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    names = [f"c{index}" for index in range(width)]
    # pyarrow reads UTF-8 natively only under the name "utf8"; any other name goes through a
    # slower Python transcoding stream.
    arrow_encoding = "utf8" if encoding == "utf-8" else encoding
    try:
        return pa_csv.read_csv(
            source,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=READ_BLOCK_SIZE, encoding=arrow_encoding, use_threads=False),
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


def _finish(scan: _Scan | None, body_start: int, read: Any, width: int) -> FastRecords | None:
    import pyarrow as pa

    if scan is None or len(scan.ends) == 0:
        return None
    starts = _starts(scan, body_start)
    if starts is None:
        return None

    records = len(starts) - 2
    table = read(int(starts[1]), scan.line_feeds != len(scan.ends))
    if table is None or table.num_rows != records:
        return None

    offsets = array("q")
    offsets.frombytes(starts.astype(np.int64).tobytes())
    # The CSV reader's scratch buffers stay in Arrow's pool otherwise.
    pa.default_memory_pool().release_unused()
    return FastRecords(offsets, table)


def parse_fast(data: bytes, body_start: int, delimiter: str, encoding: str, width: int) -> FastRecords | None:
    """Parse the data records of ``data`` (the header record included in the starts).

    ``width`` is the number of header fields. Returns None when the file needs the exact
    parser (see the module docstring).
    """
    import pyarrow as pa

    scan = _scan(_blocks_of_bytes(data, body_start), ord(delimiter))

    def read(header_end: int, spans_lines: bool) -> Any | None:
        # A memoryview slice shares the file's bytes, with no copy.
        source = pa.py_buffer(memoryview(data)[header_end:])
        return _read_table(pa.BufferReader(source), width, encoding, spans_lines, delimiter)

    return _finish(scan, body_start, read, width)


def parse_fast_file(path: Path, body_start: int, delimiter: str, encoding: str, width: int) -> FastRecords | None:
    """Like :func:`parse_fast`, reading the file at ``path`` in blocks instead of from memory.

    Neither pass keeps the whole file in memory, so the peak memory of reading a large
    file is about the size of its Arrow table.
    """
    with path.open("rb") as handle:
        scan = _scan(_blocks_of_file(handle, body_start), ord(delimiter))

        def read(header_end: int, spans_lines: bool) -> Any | None:
            handle.seek(header_end)
            return _read_table(handle, width, encoding, spans_lines, delimiter)

        return _finish(scan, body_start, read, width)
