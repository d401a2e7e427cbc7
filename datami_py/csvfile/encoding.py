"""Character encoding of a CSV file, decided on the whole file.

A sample is not enough: a French file is often pure ASCII for megabytes before its
first ``é``. The order is: a byte-order mark, the encoding the package declares (when
the bytes decode with it), strict UTF-8, then Windows-1252, then Latin-1. Latin-1 comes
last because it decodes any byte, giving control characters where cp1252 has ``œ``,
``’``, ``–`` and ``€``.

Every encoding accepted here maps bytes to text one-to-one, so decoding a field and
encoding it again gives back the same bytes: that is what lets unedited rows be written
unchanged.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from datami_py.errors import DatamiError, Location
from datami_py.i18n import Phrase, message

UTF8_BOM = codecs.BOM_UTF8

DECLARED_ENCODING_INVALID = message(
    "csv.encoding-mismatch",
    "The file is declared as {declared} but byte {offset} (line {line} of the file, the header being line 1) "
    "is not valid {declared}; it reads as {detected_name}. Set \"encoding\": \"{detected}\" for this resource "
    "in datapackage.json, or save the file as {declared}.",
)
ENCODING_UNKNOWN = message(
    "csv.encoding-unknown",
    "The declared encoding {declared} is not known. Use utf-8, cp1252 or latin-1 in datapackage.json.",
)
UTF16_NOT_SUPPORTED = message(
    "csv.encoding-utf16",
    "The file is encoded in UTF-16, which this tool does not edit. Save it as UTF-8 (\"CSV UTF-8\" in Excel) and open it again.",
)

# Names of encodings in messages. cp1252 is what Excel on Windows writes, and users know it
# by that name rather than by the codec's.
CP1252_NAME = message("csv.encoding-name.cp1252", "Windows-1252 (cp1252, the encoding of Excel on Windows)")
DISPLAY_NAMES: dict[str, str | Phrase] = {
    "cp1252": Phrase(CP1252_NAME),
    "latin-1": "Latin-1 (ISO-8859-1)",
    "utf-8": "UTF-8",
}

# Names users and tools write for the encodings handled here, mapped to one spelling.
_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf_8": "utf-8",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "windows1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
    "ascii": "utf-8",
}


@dataclass(frozen=True)
class Encoding:
    """The encoding of one file: its Python codec name and the byte-order mark it starts with."""

    name: str
    bom: bytes = b""


def normalize_encoding_name(name: str) -> str:
    """Return the spelling of ``name`` used by this project (``utf-8``, ``cp1252``, ``latin-1``…).

    Raises:
        DatamiError: ``csv.encoding-unknown`` when Python has no codec of that name.
    """
    key = name.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]

    try:
        return codecs.lookup(key).name
    except LookupError:
        raise DatamiError(ENCODING_UNKNOWN, declared=name) from None


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _guess(data: bytes) -> str:
    for candidate in ("utf-8", "cp1252"):
        if _decodes(data, candidate):
            return candidate
    return "latin-1"


def detect_encoding(data: bytes, declared: str | None = None, file: str | None = None) -> Encoding:
    """Decide the encoding of the whole of ``data``.

    Raises:
        DatamiError: ``csv.encoding-mismatch`` when the package declares an encoding that
            the bytes do not decode with (the message names the first bad byte and the
            encoding that does work); ``csv.encoding-utf16`` for UTF-16 files.
    """
    if data.startswith(UTF8_BOM):
        return Encoding("utf-8", UTF8_BOM)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DatamiError(UTF16_NOT_SUPPORTED, Location(file=file))

    if declared is None:
        return Encoding(_guess(data))

    name = normalize_encoding_name(declared)
    try:
        data.decode(name)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DatamiError(
            DECLARED_ENCODING_INVALID,
            Location(file=file),
            declared=declared,
            offset=error.start,
            line=line,
            detected=(detected := _guess(data)),
            detected_name=DISPLAY_NAMES.get(detected, detected),
        ) from None
    return Encoding(name)


def detect_file_encoding(path: Path, declared: str | None = None, block_size: int = 1 << 22) -> Encoding | None:
    """Decide the encoding of the file at ``path`` reading it in blocks, as :func:`detect_encoding` does.

    Returns None when the declared encoding does not decode the file, or for UTF-16:
    the caller then reads the whole file with :func:`detect_encoding`, which words the error.
    """
    with path.open("rb") as handle:
        start = handle.read(3)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    bom = UTF8_BOM if start.startswith(UTF8_BOM) else b""

    candidates = [normalize_encoding_name(declared)] if declared is not None and not bom else ["utf-8", "cp1252", "latin-1"]
    if bom:
        candidates = ["utf-8"]
    for candidate in candidates:
        if _file_decodes(path, candidate, len(bom), block_size):
            return Encoding(candidate, bom)
    return None


def _file_decodes(path: Path, encoding: str, start: int, block_size: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        handle.seek(start)
        try:
            while block := handle.read(block_size):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True
