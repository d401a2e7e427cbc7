"""CSV dialect: the delimiter, quoting style and line endings a file is written in.

Detection reads the header record and a few records after it, outside quotes. What the
package declares wins over what is detected, except that a declared delimiter that never
occurs in a multi-column header is reported instead of silently giving one column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DELIMITERS = (",", ";", "\t", "|")
QUOTE = '"'

_QUOTED = re.compile(rb'"(?:[^"]|"")*"')


@dataclass(frozen=True)
class Dialect:
    """How records and fields are written in one file.

    ``line_terminator`` is the most common record ending, used for new rows; each
    existing record keeps its own. ``quote_all`` is true when every field of the sampled
    records is quoted, so new and edited rows are written that way too.
    ``final_newline`` is true when the last record ends with a line terminator.
    """

    delimiter: str = ","
    line_terminator: str = "\n"
    quote_all: bool = False
    final_newline: bool = True


def _unquoted(data: bytes) -> bytes:
    """Return ``data`` with every quoted section removed, so counts see only real delimiters."""
    return _QUOTED.sub(b"", data)


def sniff_delimiter(head: bytes) -> str:
    """Return the delimiter that splits the first line of ``head`` into the most fields.

    Ties go to the earlier entry of :data:`DELIMITERS` (comma first). Quoted text is
    ignored, because addresses and titles often contain commas and semicolons.
    """
    first_line = _unquoted(head).split(b"\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter.encode()) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def sniff_line_terminator(data: bytes) -> str:
    """Return the line terminator of the first record end outside quotes (``\\n`` when none)."""
    unquoted = _unquoted(data[: 1 << 20])
    position = unquoted.find(b"\n")
    if position == -1:
        return "\r" if b"\r" in unquoted else "\n"
    if position > 0 and unquoted[position - 1 : position] == b"\r":
        return "\r\n"
    return "\n"
