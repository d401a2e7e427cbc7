"""A CSV file held in memory so that it can be written back byte for byte.

:class:`CsvDocument` keeps the original bytes, the byte span of every record and the
decoded cell text. :meth:`CsvDocument.render` produces the new file from a set of
changes: unedited records are copied from the original bytes, edited records keep the
raw bytes of their unedited fields and get the file's own quoting, line ending and
encoding for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from array import array
from pathlib import Path

from datami_py.csvfile.cells import ArrowCells, Cells, RowCells
from datami_py.csvfile.dialect import Dialect, sniff_delimiter, sniff_line_terminator
from datami_py.csvfile.encoding import Encoding, detect_encoding, normalize_encoding_name
from datami_py.csvfile.parser import parse_records, split_raw_record
from datami_py.errors import DatamiError, Location
from datami_py.i18n import message

UNENCODABLE = message(
    "csv.unencodable",
    "The character “{character}” cannot be written in this file's encoding ({encoding}). "
    "Remove it, or convert the whole file to UTF-8 (option --to-utf8 of datami edit and datami add).",
)
DELIMITER_INVALID = message(
    "csv.delimiter-invalid",
    "The delimiter “{delimiter}” is not supported: use a single character such as , ; or a tab.",
)
EMPTY_FILE = message("csv.empty", "The file is empty: it has no header line.")
FILE_CHANGED = message(
    "csv.file-changed",
    "The file changed on disk while it was open, so it cannot be written back safely. Your edits are kept: reopen the file.",
)
# Bytes read at the start of a large file to find its header and quoting style.
HEAD_BYTES = 1 << 22

# Files from this size on are first tried with the NumPy and pyarrow reader.
FAST_PARSE_MIN_BYTES = 1 << 20
# Records sampled to decide whether the file quotes every field.
QUOTE_STYLE_SAMPLE = 50

# A record's fields after an edit: new text for edited fields, None to keep the raw bytes.
RecordChange = Mapping[int, str]


@dataclass
class CsvChanges:
    """Edits to apply when rendering: changed cells, deleted records, appended rows.

    Keys of ``cells`` and members of ``deleted`` are data record indexes (0 for the first
    record after the header). ``header`` replaces the header row when columns change.
    """

    cells: dict[int, dict[int, str]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    added: list[list[str]] = field(default_factory=list)
    header: list[str] | None = None


@dataclass
class CsvDocument:
    """The parsed content and the exact bytes of one CSV file."""

    raw: bytes | None
    encoding: Encoding
    dialect: Dialect
    header: list[str]
    cells: Cells
    starts: Sequence[int]
    path: Path | None = None

    @property
    def data(self) -> bytes:
        """The file's bytes: kept in memory for small files, read again from ``path`` for large ones.

        Raises:
            DatamiError: ``csv.file-changed`` when the file on disk no longer has the size
                it had when read, so its records are not where they were.
        """
        if self.raw is not None:
            return self.raw
        assert self.path is not None
        content = self.path.read_bytes()
        if len(content) != self.starts[-1]:
            raise DatamiError(FILE_CHANGED, Location(file=self.path.name))
        return content

    def read_span(self, start: int, end: int) -> bytes:
        """Return the original bytes from ``start`` to ``end`` without reading the whole file."""
        if self.raw is not None:
            return self.raw[start:end]
        assert self.path is not None
        with self.path.open("rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    @property
    def rows(self) -> list[list[str]]:
        """Every data record as a list of fields (builds Python lists: for small files and tests)."""
        return [self.cells.record(record) for record in range(len(self.cells))]

    @property
    def record_count(self) -> int:
        """The number of data records (the header excluded)."""
        return len(self.cells)

    @classmethod
    def parse(
        cls,
        data: bytes,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        path: Path | None = None,
        name: str | None = None,
        fast: bool | None = None,
    ) -> CsvDocument:
        """Parse ``data``; ``encoding`` and ``delimiter`` are what the package declares, if anything.

        ``fast`` forces (True) or prevents (False) the NumPy and pyarrow reader; by default
        it is tried for files of :data:`FAST_PARSE_MIN_BYTES` and more. Both readers give
        the same cells.

        Raises:
            DatamiError: for an undecodable file, a bad delimiter or broken quoting, naming
                ``name`` (or the file name) and the row.
        """
        file_name = name or (path.name if path else None)
        detected = detect_encoding(data, encoding, file=file_name)
        body_start = len(detected.bom)
        if body_start == len(data):
            raise DatamiError(EMPTY_FILE, Location(file=file_name))

        chosen_delimiter = delimiter if delimiter is not None else sniff_delimiter(data[body_start : body_start + 65536])
        if len(chosen_delimiter) != 1 or chosen_delimiter in '"\r\n':
            raise DatamiError(DELIMITER_INVALID, Location(file=file_name), delimiter=chosen_delimiter)

        sample = parse_records(data, chosen_delimiter, body_start, file=file_name, max_records=QUOTE_STYLE_SAMPLE + 1, encoding=detected.name)
        header = [value.decode(detected.name) for value in sample.rows[0]]
        quoted = sample.all_quoted[1:] or sample.all_quoted
        dialect = Dialect(
            delimiter=chosen_delimiter,
            line_terminator=sniff_line_terminator(data[body_start:]),
            quote_all=all(quoted),
            final_newline=data.endswith((b"\n", b"\r")),
        )

        cells, starts = _parse_cells(data, body_start, chosen_delimiter, detected.name, len(header), file_name, fast)
        return cls(raw=data, encoding=detected, dialect=dialect, header=header, cells=cells, starts=starts, path=path)

    @classmethod
    def read(
        cls, path: Path, *, encoding: str | None = None, delimiter: str | None = None, name: str | None = None, fast: bool | None = None
    ) -> CsvDocument:
        """Read and parse the file at ``path`` (see :meth:`parse`).

        A large file is read in blocks and not kept in memory: its cells go to Arrow
        columns and its bytes are read again when it is saved.
        """
        if fast is not False and (fast or path.stat().st_size >= FAST_PARSE_MIN_BYTES):
            document = _read_large(path, encoding, delimiter, name or path.name)
            if document is not None:
                return document
        return cls.parse(path.read_bytes(), encoding=encoding, delimiter=delimiter, path=path, name=name, fast=fast)

    # Writing

    def record_bytes(self, record: int) -> bytes:
        """Return the original bytes of ``record`` (0 = header), line terminator included."""
        return self.read_span(self.starts[record], self.starts[record + 1])

    def quote(self, text: str) -> str:
        """Return ``text`` as a field in this file's quoting style."""
        special = self.dialect.delimiter in text or any(character in text for character in '"\r\n')
        if self.dialect.quote_all or special:
            return '"' + text.replace('"', '""') + '"'
        return text

    def encode(self, text: str, *, record: int | None, column: int | None) -> bytes:
        """Encode ``text`` in the file's encoding.

        Raises:
            DatamiError: ``csv.unencodable`` naming the row, the field and the character.
        """
        try:
            return text.encode(self.encoding.name)
        except UnicodeEncodeError as error:
            field_name = self.header[column] if column is not None and column < len(self.header) else None
            location = Location(file=self.path.name if self.path else None, row=record, field=field_name)
            raise DatamiError(
                UNENCODABLE,
                location,
                character=error.object[error.start : error.end],
                encoding=self.encoding.name,
            ) from None

    def _render_record(self, record: int, changes: RecordChange, row_number: int) -> bytes:
        raw_fields, terminator = split_raw_record(self.record_bytes(record), self.dialect.delimiter)
        width = max(len(raw_fields), max(changes) + 1 if changes else 0)
        raw_fields += [b""] * (width - len(raw_fields))

        for column, text in changes.items():
            raw_fields[column] = self.encode(self.quote(text), record=row_number, column=column)

        return self.dialect.delimiter.encode("ascii").join(raw_fields) + terminator

    def _render_new_row(self, values: Sequence[str], row_number: int) -> bytes:
        fields = [self.encode(self.quote(value), record=row_number, column=column) for column, value in enumerate(values)]
        return self.dialect.delimiter.encode("ascii").join(fields)

    def _render_in_place(self, cells: dict[int, dict[int, str]]) -> bytes:
        """Render cell edits only: the bytes between edited records are copied in one piece each."""
        data = self.data
        parts: list[bytes] = []
        position = 0
        for index in sorted(cells):
            if not cells[index]:
                continue
            start, end = self.starts[index + 1], self.starts[index + 2]
            parts.append(data[position:start])
            parts.append(self._render_record(index + 1, cells[index], index + 1))
            position = end
        parts.append(data[position:])
        return b"".join(parts)

    def converted_to_utf8(self) -> CsvDocument:
        """Return this document re-encoded as UTF-8 without a byte-order mark.

        Every non-ASCII byte of the file changes, so this is only done at the user's request.
        """
        text = self.data[len(self.encoding.bom) :].decode(self.encoding.name)
        return CsvDocument.parse(text.encode("utf-8"), encoding="utf-8", delimiter=self.dialect.delimiter, path=self.path)

    def with_changes(self, changes: CsvChanges, content: bytes) -> CsvDocument:
        """Return the document of ``content``, the result of :meth:`render` with ``changes``.

        Cell edits are applied to the cells already read and the record offsets are
        shifted, which avoids reading a large file again. Added or deleted rows and a new
        header make it parse ``content``.
        """
        if changes.added or changes.deleted or changes.header is not None:
            return CsvDocument.parse(content, encoding=self.encoding.name, delimiter=self.dialect.delimiter, path=self.path)

        starts = list(self.starts)
        shift = 0
        edited = sorted(index for index, columns in changes.cells.items() if columns)
        new_starts = array("q", starts[: edited[0] + 2] if edited else starts)
        for position, index in enumerate(edited):
            old_length = starts[index + 2] - starts[index + 1]
            new_length = len(self._render_record(index + 1, changes.cells[index], index + 1))
            shift += new_length - old_length
            following = edited[position + 1] + 2 if position + 1 < len(edited) else len(starts)
            new_starts.extend(start + shift for start in starts[index + 2 : following])

        cells = self.cells.patched({index: changes.cells[index] for index in edited})
        # A document read in blocks keeps not holding the file's bytes: ``content`` is on disk now.
        raw = content if self.raw is not None else None
        return CsvDocument(raw, self.encoding, self.dialect, list(self.header), cells, new_starts, self.path)

    def render(self, changes: CsvChanges | None = None) -> bytes:
        """Return the file's bytes with ``changes`` applied; unchanged parts keep their bytes.

        The file keeps its encoding, byte-order mark, delimiter, quoting style, line
        endings and whether it ends with a line terminator.

        Raises:
            DatamiError: ``csv.unencodable`` when a new value cannot be written in the
                file's encoding; nothing is written in that case.
        """
        changes = changes or CsvChanges()
        if not changes.added and not changes.deleted and changes.header is None:
            return self._render_in_place(changes.cells)

        terminator = self.dialect.line_terminator.encode("ascii")

        if changes.header is None:
            records = [self.record_bytes(0)]
        else:
            records = [self._render_record(0, dict(enumerate(changes.header)), 0)]

        for index in range(self.record_count):
            if index in changes.deleted:
                continue
            record_changes = changes.cells.get(index)
            if record_changes:
                records.append(self._render_record(index + 1, record_changes, index + 1))
            else:
                records.append(self.record_bytes(index + 1))

        for offset, values in enumerate(changes.added):
            records.append(self._render_new_row(values, self.record_count + offset + 1) + terminator)

        return self.encoding.bom + _join_records(records, terminator, self.dialect.final_newline)


def _read_large(path: Path, encoding: str | None, delimiter: str | None, file_name: str) -> CsvDocument | None:
    """Read a large file with the block-wise fast reader, or return None for the exact reader.

    None is returned, and the exact reader then reports the problem precisely, when the
    encoding or the first records raise any doubt.
    """
    from datami_py.csvfile.encoding import detect_file_encoding
    from datami_py.csvfile.fastparse import parse_fast_file

    detected = detect_file_encoding(path, encoding)
    if detected is None:
        return None
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        handle.seek(-1, 2)
        last_byte = handle.read(1)

    body_start = len(detected.bom)
    chosen_delimiter = delimiter if delimiter is not None else sniff_delimiter(head[body_start : body_start + 65536])
    if len(chosen_delimiter) != 1 or chosen_delimiter in '"\r\n':
        return None
    try:
        sample = parse_records(head, chosen_delimiter, body_start, file=file_name, max_records=QUOTE_STYLE_SAMPLE + 1, encoding=detected.name)
    except DatamiError:
        return None  # Perhaps a record cut by the end of the head: the exact reader decides.
    if len(sample.rows) < 2:
        return None

    header = [value.decode(detected.name) for value in sample.rows[0]]
    parsed = parse_fast_file(path, body_start, chosen_delimiter, detected.name, len(header))
    if parsed is None:
        return None

    dialect = Dialect(
        delimiter=chosen_delimiter,
        line_terminator=sniff_line_terminator(head[body_start:]),
        quote_all=all(sample.all_quoted[1:]),
        final_newline=last_byte in (b"\n", b"\r"),
    )
    return CsvDocument(None, detected, dialect, header, ArrowCells(parsed.table), parsed.starts, path)


def _parse_cells(
    data: bytes, body_start: int, delimiter: str, encoding: str, width: int, file_name: str | None, fast: bool | None
) -> tuple[Cells, Sequence[int]]:
    """Parse the data records with the fast reader when allowed and possible, else the exact one."""
    if fast is None:
        fast = len(data) >= FAST_PARSE_MIN_BYTES
    if fast:
        from datami_py.csvfile.fastparse import parse_fast

        parsed = parse_fast(data, body_start, delimiter, encoding, width)
        if parsed is not None:
            return ArrowCells(parsed.table), parsed.starts

    records = parse_records(data, delimiter, body_start, file=file_name, encoding=encoding)
    rows = [[value.decode(encoding) for value in fields] for fields in records.rows[1:]]
    return RowCells(rows), records.starts


def _join_records(records: list[bytes], terminator: bytes, final_newline: bool) -> bytes:
    """Join records so that each but the last ends with a line terminator, and the last
    ends with one exactly when the original file's last record did.

    Only a record that used to be last can lack its terminator (rows were appended after
    it), and only the new last record can have one it should not (rows after it were
    deleted from a file without a final newline).
    """
    fixed = [record if record.endswith((b"\n", b"\r")) else record + terminator for record in records[:-1]]

    last = records[-1]
    ends_with_newline = last.endswith((b"\n", b"\r"))
    if final_newline and not ends_with_newline:
        last += terminator
    elif not final_newline and ends_with_newline:
        last = last.rstrip(b"\r\n")
    return b"".join(fixed) + last
