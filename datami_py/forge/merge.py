"""Three-way merge of a CSV table by primary key, for files that moved upstream.

The editor's changes (``base`` → ``ours``) are replayed onto the upstream file
(``theirs``): rows are matched by primary key and cells by field name, so a row moved
or a column added upstream does not matter. The result is built by rendering
``theirs`` with the replayed changes, so every record nobody touched keeps the exact
bytes it has upstream.

A conflict is a cell that both sides changed to different values, a row one side
deleted while the other changed it, or a row both sides added with the same key and
different values. Conflicts are returned, never decided silently; a caller decides
them with ``resolutions`` (see :func:`resolutions_for`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from datami_py.csvfile import CsvChanges, CsvDocument
from datami_py.table import Table

# Resolution of a whole-file conflict (tables without a usable primary key).
KEEP_OURS = "ours"
KEEP_THEIRS = "theirs"

# (row key, field) -> the text the merged cell gets. None means the row is deleted, which
# only applies to a row deleted on one side. A whole-file conflict has the key
# (None, None) and the value KEEP_OURS or KEEP_THEIRS.
Resolutions = Mapping[tuple[str | None, str | None], str | None]
RowKey = tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """A change made on both sides that the merge cannot decide.

    ``key`` is the row's primary key as users see it, with fields joined by ", ".
    ``row`` is its data row number in the local file, else in the upstream file.
    ``base``, ``ours`` and ``theirs`` are the cell text in each version, None when the
    row (or the column) does not exist in that version. A conflict over the whole file, for a table without
    a usable primary key, has every attribute None.
    """

    key: str | None
    row: int | None
    field: str | None
    base: str | None
    ours: str | None
    theirs: str | None

    @property
    def whole_file(self) -> bool:
        """True when the conflict is about the whole file rather than one cell."""
        return self.key is None and self.field is None


@dataclass
class MergeResult:
    """The merged file, or None when a conflict is left undecided, and every conflict found.

    ``conflicts`` also lists the conflicts that ``resolutions`` decided, so that a front
    end can show what was chosen.
    """

    content: bytes | None
    conflicts: list[Conflict] = field(default_factory=list)


def resolutions_for(conflicts: list[Conflict], side: Literal["ours", "theirs"]) -> dict[tuple[str | None, str | None], str | None]:
    """Return resolutions that decide every conflict for one side (``--ours`` or ``--theirs``)."""
    resolutions: dict[tuple[str | None, str | None], str | None] = {}
    for conflict in conflicts:
        if conflict.whole_file:
            resolutions[(None, None)] = KEEP_OURS if side == "ours" else KEEP_THEIRS
        else:
            resolutions[(conflict.key, conflict.field)] = conflict.ours if side == "ours" else conflict.theirs
    return resolutions


def merge_table(
    base: bytes,
    ours: bytes,
    theirs: bytes,
    *,
    schema: dict[str, Any],
    delimiter: str | None,
    encoding: str | None,
    resolutions: Resolutions | None = None,
) -> MergeResult:
    """Merge the changes from ``base`` to ``ours`` into ``theirs``; see the module docstring.

    ``delimiter`` and ``encoding`` are what the package declares (None: detect). When one
    side did not change the file, the other side's bytes are returned as they are.
    Without a primary key, with a duplicate key, or when the local header changed, rows
    cannot be matched, so a file changed on both sides is one whole-file conflict.

    Raises:
        DatamiError: when a version cannot be parsed as CSV, or a merged value cannot
            be written in the upstream file's encoding.
    """
    resolutions = resolutions or {}
    if ours in (base, theirs):
        return MergeResult(theirs)
    if theirs == base:
        return MergeResult(ours)

    versions = [_Version.read(data, schema, delimiter, encoding) for data in (base, ours, theirs)]
    base_version, our_version, their_version = versions
    matchable = all(version.keys is not None for version in versions) and our_version.document.header == base_version.document.header
    if not matchable:
        return _merge_whole_file(ours, theirs, resolutions)

    merger = _KeyMerge(base_version, our_version, their_version, resolutions)
    return merger.run()


def _merge_whole_file(ours: bytes, theirs: bytes, resolutions: Resolutions) -> MergeResult:
    conflict = Conflict(None, None, None, None, None, None)
    choice = resolutions.get((None, None))
    if choice == KEEP_OURS:
        return MergeResult(ours, [conflict])
    if choice == KEEP_THEIRS:
        return MergeResult(theirs, [conflict])
    return MergeResult(None, [conflict])


@dataclass
class _Version:
    """One version of the file: its document, each field's column, and each record's key.

    ``keys`` is None when rows cannot be matched by key: no primary key, a key field
    missing from the header, or a key repeated.
    """

    document: CsvDocument
    columns: dict[str, int]
    names: list[str]
    keys: list[RowKey] | None
    key_texts: list[str]

    @classmethod
    def read(cls, data: bytes, schema: dict[str, Any], delimiter: str | None, encoding: str | None) -> _Version:
        document = CsvDocument.parse(data, encoding=encoding, delimiter=delimiter)
        table = Table(document, schema)

        # Columns the schema does not describe are still merged, by their header label.
        columns = dict(table.binding.columns)
        bound = set(columns.values())
        for column, label in enumerate(document.header):
            if column not in bound and label not in columns:
                columns[label] = column
        names = sorted(columns, key=columns.__getitem__)

        keys = _row_keys(table)
        key_texts = [table.key_of(record) or "" for record in range(document.record_count)] if keys is not None else []
        return cls(document, columns, names, keys, key_texts)

    def cell(self, record: int, name: str) -> str | None:
        column = self.columns.get(name)
        if column is None:
            return None
        return self.document.cells.cell(record, column)

    def record_values(self, record: int) -> dict[str, str | None]:
        return {name: self.cell(record, name) for name in self.names}

    def index(self) -> dict[RowKey, int]:
        return {key: record for record, key in enumerate(self.keys or [])}


def _row_keys(table: Table) -> list[RowKey] | None:
    """Return each record's primary-key values, or None when they cannot identify rows."""
    if not table.primary_key or any(table.column_of(name) is None for name in table.primary_key):
        return None

    keys = [tuple(table.cell(record, name) or "" for name in table.primary_key) for record in range(table.document.record_count)]
    if len(set(keys)) != len(keys):
        return None
    return keys


def _pair_renamed_rows(base: _Version, ours: _Version) -> dict[int, int]:
    """Return ``{our record: base record}`` for rows whose key the editor changed.

    A key edit makes the row look deleted under its old key and added under its new
    one. Local edits never move records, so an unmatched local record between the same
    two matched rows as an unmatched base record, one for one, is that record edited.
    """
    base_index = base.index()
    anchors = [(our_record, base_index[key]) for our_record, key in enumerate(ours.keys or []) if key in base_index]
    our_keys = set(ours.keys or [])

    pairs: dict[int, int] = {}
    previous = (-1, -1)
    for anchor in [*anchors, (ours.document.record_count, base.document.record_count)]:
        our_gap = [record for record in range(previous[0] + 1, anchor[0]) if (ours.keys or [])[record] not in base_index]
        base_gap = [record for record in range(previous[1] + 1, anchor[1]) if (base.keys or [])[record] not in our_keys]
        # NOTE: rows deleted and rows appended after the last matched row are paired too.
        # The merged file then has the appended values in the deleted row's place.
        pairs.update(zip(our_gap, base_gap))
        previous = anchor
    return pairs


class _KeyMerge:
    """The replay of local changes onto the upstream file, row by row."""

    def __init__(self, base: _Version, ours: _Version, theirs: _Version, resolutions: Resolutions) -> None:
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.resolutions = resolutions
        self.base_index = base.index()
        self.their_index = theirs.index()
        self.changes = CsvChanges()
        self.conflicts: list[Conflict] = []
        self.undecided = False

    def run(self) -> MergeResult:
        renamed = _pair_renamed_rows(self.base, self.ours)
        for our_record, key in enumerate(self.ours.keys or []):
            base_record = self.base_index.get(key, renamed.get(our_record))
            if base_record is None:
                self._replay_added(our_record)
            else:
                self._replay_edited(base_record, our_record)

        matched_keys = {key for key in self.ours.keys or []} | {(self.base.keys or [])[record] for record in renamed.values()}
        for base_record, key in enumerate(self.base.keys or []):
            if key not in matched_keys:
                self._replay_deleted(base_record)

        if self.undecided:
            return MergeResult(None, self.conflicts)
        return MergeResult(self.theirs.document.render(self.changes), self.conflicts)

    # Decisions

    def _conflict(self, key: str, row: int, name: str, base: str | None, ours: str | None, theirs: str | None) -> tuple[bool, str | None]:
        """Record a conflict; return (decided, chosen text) from the resolutions."""
        self.conflicts.append(Conflict(key, row, name, base, ours, theirs))
        if (key, name) not in self.resolutions:
            self.undecided = True
            return False, None
        return True, self.resolutions[(key, name)]

    def _set(self, their_record: int, name: str, text: str) -> bool:
        """Write ``text`` into field ``name`` of an upstream record; False when upstream lacks the column."""
        column = self.theirs.columns.get(name)
        if column is None:
            return False
        if self.theirs.document.cells.cell(their_record, column) != text:
            self.changes.cells.setdefault(their_record, {})[column] = text
        return True

    def _append(self, values: Mapping[str, str | None]) -> None:
        """Append a row to the upstream file, its values placed by field name."""
        header = self.theirs.document.header
        by_column = {column: name for name, column in self.theirs.columns.items()}
        self.changes.added.append([values.get(by_column.get(column, ""), None) or "" for column in range(len(header))])

    # Replaying each kind of local change

    def _replay_edited(self, base_record: int, our_record: int) -> None:
        edits = {
            name: text
            for name in self.ours.names
            if (text := self.ours.cell(our_record, name)) != self.base.cell(base_record, name)
        }
        if not edits:
            return

        key_text = self.base.key_texts[base_record]
        their_record = self.their_index.get((self.base.keys or [])[base_record])
        if their_record is None:
            self._replay_edit_of_deleted(base_record, our_record, edits)
            return

        for name, text in edits.items():
            before, upstream = self.base.cell(base_record, name), self.theirs.cell(their_record, name)
            if upstream in (before, text) and self._set(their_record, name, text or ""):
                continue

            decided, chosen = self._conflict(key_text, our_record + 1, name, before, text, upstream)
            if decided and chosen is not None and not self._set(their_record, name, chosen):
                # Upstream removed the column, so the chosen text has nowhere to go.
                self.undecided = True

    def _replay_edit_of_deleted(self, base_record: int, our_record: int, edits: dict[str, str | None]) -> None:
        """Edited here, deleted upstream: the row comes back only when a resolution keeps it."""
        key_text = self.base.key_texts[base_record]
        values = self.ours.record_values(our_record)
        restore = False
        for name, text in edits.items():
            decided, chosen = self._conflict(key_text, our_record + 1, name, self.base.cell(base_record, name), text, None)
            if decided and chosen is not None:
                values[name] = chosen
                restore = True
        if restore:
            self._append(values)

    def _replay_added(self, our_record: int) -> None:
        key = (self.ours.keys or [])[our_record]
        their_record = self.their_index.get(key)
        if their_record is None:
            self._append(self.ours.record_values(our_record))
            return

        # Upstream added a row with the same key: keep it, and decide every differing cell.
        key_text = self.ours.key_texts[our_record]
        for name in self.ours.names:
            text, upstream = self.ours.cell(our_record, name), self.theirs.cell(their_record, name)
            if text == upstream:
                continue
            decided, chosen = self._conflict(key_text, our_record + 1, name, None, text, upstream)
            if decided and chosen is not None and not self._set(their_record, name, chosen):
                self.undecided = True

    def _replay_deleted(self, base_record: int) -> None:
        key = (self.base.keys or [])[base_record]
        their_record = self.their_index.get(key)
        if their_record is None:
            return

        changed = {
            name: upstream
            for name in self.theirs.names
            if (upstream := self.theirs.cell(their_record, name)) != self.base.cell(base_record, name)
        }
        if not changed:
            self.changes.deleted.add(their_record)
            return

        # Deleted here, changed upstream: the row goes only when every conflict is decided for deletion.
        key_text = self.base.key_texts[base_record]
        delete = True
        for name, upstream in changed.items():
            decided, chosen = self._conflict(key_text, their_record + 1, name, self.base.cell(base_record, name), None, upstream)
            if not decided or chosen is not None:
                delete = False
            if decided and chosen is not None:
                self._set(their_record, name, chosen)
        if delete:
            self.changes.deleted.add(their_record)
