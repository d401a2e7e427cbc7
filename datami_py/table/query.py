"""Find rows in a table: accent-insensitive full-text search, the package's filters, sorting.

The terminal UI calls these functions on every keystroke. So the records of the file as
read are processed column by column in Arrow, once per distinct cell text, and the
results are cached on the table until its document is replaced (after a save or a
conversion). The user's edits are patched in on every call, in Python. They are few,
and because they are read afresh, no cache needs to follow the undo history.

Every function takes and returns *row ids* (see :class:`~datami_py.table.Table`).
Results follow the file order of the current rows, except where a function's
documentation states another order.

The functions of one table run one at a time (a lock per table), so a UI may call them
from worker threads. They must not run while the same table is being edited.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
import threading
import unicodedata
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datami_py import quality
from datami_py.schema.types import CellTypeError, parse_cell
from datami_py.table.table import Table
from datami_py.validation.validator import category_values

__all__ = [
    "FILTER_OPERATORS",
    "FilterOption",
    "FilterSpec",
    "apply_filters",
    "filter_options",
    "filter_specs",
    "fold",
    "prepare",
    "search",
    "sort_rows",
]

# The characters str.isspace() accepts, listed so that Python's str.strip and Arrow's
# utf8_trim remove exactly the same ones.
SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(chr(code) for code in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000"

# Ligatures that NFKD keeps and French readers treat as two letters. Upper-case Œ and Æ
# are case-folded to these first. Case folding already turns ß and ẞ into "ss".
_LIGATURES = {"œ": "oe", "æ": "ae"}
_LIGATURE_TABLE = str.maketrans(_LIGATURES)
_ARROW_LIGATURES = (*_LIGATURES.items(), ("ß", "ss"))

# Folded query -> hits, remembered per column so that typing one more letter only
# rechecks the texts that matched the shorter query.
_SEARCH_MEMORY = 8


# Folding


def fold(text: str) -> str:
    """Return the case- and accent-insensitive form of ``text`` used to compare texts.

    NFKD decomposition, case folding, NFKD again (some case foldings are precomposed),
    then every character of non-zero canonical combining class is dropped, and œ and æ
    become "oe" and "ae". Precomposed and decomposed (NFD) input give the same result.

    Each character folds on its own: ``fold(a + b) == fold(a) + fold(b)``, because
    decomposition only reorders combining marks and all of those are dropped, except
    U+0345, whose case folding is the letter ι.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    folded = unicodedata.normalize("NFKD", decomposed.casefold())
    bare = "".join(character for character in folded if not unicodedata.combining(character))
    return bare.translate(_LIGATURE_TABLE)


_fold_cached = functools.lru_cache(maxsize=16384)(fold)


def _fold_with_arrow(values: pa.Array) -> pa.Array:
    """Fold non-ASCII ``values`` with Arrow kernels, an approximation of :func:`fold`.

    Arrow drops the marks of category Mn and lower-cases with simple mappings. So the two
    differ from :func:`fold`, but only on the characters :func:`_unsafe_characters` lists.
    """
    decomposed = pc.utf8_normalize(values, form="NFKD")
    lowered = pc.utf8_normalize(pc.utf8_lower(decomposed), form="NFKD")
    bare = pc.replace_substring_regex(lowered, r"\p{Mn}", "")
    for ligature, letters in _ARROW_LIGATURES:
        bare = pc.replace_substring(bare, ligature, letters)
    return bare


@functools.cache
def _unsafe_characters() -> str:
    """Return an RE2 class of the characters that :func:`_fold_with_arrow` may fold wrongly.

    Each character of the Basic Multilingual Plane is folded both ways and kept out of
    the class when the results agree. This runs once per process and took 0.13 s on a
    2-core x86_64 VM with pyarrow 26 and Python 3.11. Both foldings fold each character
    on its own, so a text made of agreeing characters folds the same both ways.
    Characters beyond U+FFFF are all in the class, because they are rare in French data
    and costly to check.
    """
    characters = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF]
    by_arrow = _fold_with_arrow(pa.array(characters, pa.string())).to_pylist()
    codes = [ord(character) for character, folded in zip(characters, by_arrow) if fold(character) != folded]
    ranges = _code_ranges(codes) + [(0x10000, 0x10FFFF)]
    return "[" + "".join(_class_range(first, last) for first, last in ranges) + "]"


def _code_ranges(codes: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _class_range(first: int, last: int) -> str:
    if first == last:
        return f"\\x{{{first:x}}}"
    return f"\\x{{{first:x}}}-\\x{{{last:x}}}"


def _fold_array(values: pa.Array) -> pa.Array:
    """Return :func:`fold` of every text of ``values`` (a string array without nulls).

    ASCII texts are lower-cased. Other texts are folded by Arrow, except those containing
    a character where Arrow and :func:`fold` disagree, which are folded in Python, so the
    result equals :func:`fold` exactly.
    """
    folded = pc.ascii_lower(values)
    non_ascii = pc.invert(pc.string_is_ascii(values))
    if not pc.any(non_ascii).as_py():
        return folded

    subset = pc.filter(values, non_ascii)
    folded_subset = _fold_with_arrow(subset)
    unsafe = pc.match_substring_regex(subset, _unsafe_characters())
    if pc.any(unsafe).as_py():
        exact = [fold(text) for text in pc.filter(subset, unsafe).to_pylist()]
        folded_subset = pc.replace_with_mask(folded_subset, unsafe, pa.array(exact, folded_subset.type))
    return pc.replace_with_mask(folded, non_ascii, folded_subset)


def _collation_key(text: str) -> tuple[str, str, str, str]:
    """Return the French sort key of a non-empty text.

    ``locale.strxfrm`` is not used: a French locale may not be installed (many Linux
    images have only C.UTF-8), and setlocale changes the whole process. So the key
    imitates the collation levels: the folded text first (accents and case ignored),
    then accents (unaccented first, "cote" < "coté" < "côte"), then case (lower case
    first), then the text itself so that the order is total. Outer spaces are ignored.
    """
    stripped = text.strip(SPACES)
    decomposed = unicodedata.normalize("NFD", stripped)
    return (_fold_cached(text).strip(SPACES), decomposed.casefold(), decomposed.swapcase(), text)


def _is_blank(text: str | None, missing_values: frozenset[str]) -> bool:
    """True for a missing cell, a missing value of the schema, or spaces only."""
    return text is None or text in missing_values or not text.strip(SPACES)


# Per-table caches


@dataclass
class _ColumnIndex:
    """The distinct texts of one CSV column of the file as read, and where each record's text is.

    ``entries[record]`` is the position of the record's text in ``dictionary``. Records
    without that cell get ``len(dictionary)``, so per-entry arrays have one more element,
    for "no cell".
    """

    dictionary: pa.Array
    entries: np.ndarray
    folded: pa.Array | None = None
    memory: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)
    derived: dict[Any, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.dictionary)

    def texts_at(self, entries: Sequence[int] | np.ndarray) -> list[str]:
        """Return the distinct texts at ``entries`` as Python strings."""
        return self.dictionary.take(pa.array(np.asarray(entries, dtype=np.int64))).to_pylist()

    def folded_texts(self) -> pa.Array:
        """Return :func:`fold` of each distinct text (computed once)."""
        if self.folded is None:
            self.folded = _fold_array(self.dictionary)
        return self.folded

    def per_record(self, values: np.ndarray, records: np.ndarray) -> np.ndarray:
        """Return ``values`` (one per entry, plus "no cell") for each record of ``records``."""
        return values[self.entries[records]]


def _build_column_index(table: Table, column: int) -> _ColumnIndex:
    """Dictionary-encode ``column`` of the file as read. A store without Arrow columns is converted first."""
    cells = table.document.cells
    arrow = cells.arrow_column(column)
    if arrow is None:
        values = [cells.cell(record, column) for record in range(len(cells))]
        arrow = pa.chunked_array([pa.array(values, pa.string())])

    encoded = pc.dictionary_encode(arrow)
    if encoded.num_chunks == 0:
        return _ColumnIndex(pa.array([], pa.string()), np.zeros(0, np.int32))

    # pyarrow 26 gives every chunk the same dictionary, which the check below confirms
    # cheaply. Unifying takes seconds for a million distinct texts, so it is only a fallback.
    dictionary = encoded.chunk(0).dictionary
    if not all(chunk.dictionary.equals(dictionary) for chunk in encoded.chunks):
        encoded = encoded.unify_dictionaries()
        dictionary = encoded.chunk(0).dictionary
    indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks])
    entries = pc.fill_null(indices, len(dictionary)).to_numpy()
    return _ColumnIndex(dictionary, np.asarray(entries, dtype=np.int32))


@dataclass
class _TableCache:
    document: Any
    columns: dict[int, _ColumnIndex] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    # The table's row id list, which it replaces when rows are added or deleted, and its array.
    row_ids: list[int] | None = None
    row_id_array: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def ids(self, table: Table, rows: Iterable[int] | None = None) -> np.ndarray:
        """Return ``rows`` (the current rows when None) as an array, converting the current rows once."""
        current = table.row_ids
        if rows is not None and rows is not current:
            return _as_ids(rows)
        if self.row_ids is not current:
            self.row_ids = current
            self.row_id_array = np.asarray(current, dtype=np.int64)
        return self.row_id_array


_CACHES: weakref.WeakKeyDictionary[Table, _TableCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(table: Table) -> _TableCache:
    """Return the cache of ``table``, new when its document was replaced."""
    with _CACHES_LOCK:
        cache = _CACHES.get(table)
        if cache is None or cache.document is not table.document:
            cache = _TableCache(table.document)
            _CACHES[table] = cache
        return cache


def _column_index(cache: _TableCache, table: Table, column: int) -> _ColumnIndex:
    index = cache.columns.get(column)
    if index is None:
        index = _build_column_index(table, column)
        cache.columns[column] = index
    return index


def _columns_of(table: Table, fields: Iterable[str] | None) -> list[int]:
    """Return the CSV columns of ``fields`` (every schema field when None), skipping fields the file lacks."""
    names = table.field_names if fields is None else list(fields)
    columns: list[int] = []
    for name in names:
        table.field(name)
        column = table.column_of(name)
        if column is not None and column not in columns:
            columns.append(column)
    return columns


def prepare(table: Table, fields: Iterable[str] | None = None) -> None:
    """Build the search caches of ``fields`` (every field when None) ahead of the first query.

    The first search otherwise pays for it. With benchmarks/bench_query.py on a 2-core VM
    this took 0.6 to 1.0 s for 100,000 rows of 34 columns, and 3.7 s for 1,000,000 rows.
    A UI can call this in a worker thread once the table is loaded.
    """
    cache = _cache(table)
    with cache.lock:
        for column in _columns_of(table, fields):
            _column_index(cache, table, column).folded_texts()


# The user's edits


@dataclass
class _Edits:
    """The current edits of a table, read once per call."""

    record_count: int
    cells: dict[int, dict[int, str]]
    added: list[int]

    @classmethod
    def of(cls, table: Table) -> _Edits:
        record_count = table.document.record_count
        # Row ids are ascending: kept records, then added rows in the order they were added.
        row_ids = table.row_ids
        added = row_ids[bisect.bisect_left(row_ids, record_count) :]
        return cls(record_count, table.changes().cells, added)

    def rows_edited_in(self, column: int) -> dict[int, str]:
        """Return the records whose cell ``column`` was edited, with the new text."""
        return {row: columns[column] for row, columns in self.cells.items() if column in columns}


def _current_text(table: Table, edits: _Edits, row: int, column: int) -> str | None:
    if row >= edits.record_count:
        return table.raw_cell(row, column)
    edited = edits.cells.get(row)
    if edited is not None and column in edited:
        return edited[column]
    return table.document.cells.cell(row, column)


def _as_ids(rows: Iterable[int]) -> np.ndarray:
    if isinstance(rows, (list, tuple, np.ndarray)):
        return np.asarray(rows, dtype=np.int64)
    return np.fromiter(rows, dtype=np.int64)


def _overlay_positions(ids: np.ndarray, edits: _Edits, edited_rows: Iterable[int]) -> np.ndarray:
    """Return the positions in ``ids`` of added rows and of records in ``edited_rows``."""
    outside = ids >= edits.record_count
    edited = np.fromiter(edited_rows, dtype=np.int64)
    if len(edited):
        outside |= np.isin(ids, edited)
    return np.flatnonzero(outside)


# Search


def search(table: Table, query: str, fields: Iterable[str] | None = None) -> list[int]:
    """Return the current rows where some field contains ``query``, ignoring case and accents.

    A row matches when the :func:`fold` of the current text of one of ``fields`` (every
    schema field when None) contains the :func:`fold` of ``query``. Edited cells are
    searched with their new text, added rows are included and deleted rows are not.
    An empty query, or one that folds to nothing, returns every current row. Rows come
    in file order.

    Raises:
        DatamiError: ``table.field-not-found`` for an unknown field name.
    """
    folded_query = fold(query)
    columns = _columns_of(table, fields)
    if not folded_query:
        return list(table.row_ids)

    cache = _cache(table)
    with cache.lock:
        edits = _Edits.of(table)
        hits = {column: _entry_hits(_column_index(cache, table, column), folded_query) for column in columns}
        record_hits = _record_hits(cache, edits.record_count, hits)
        _patch_edited_records(record_hits, cache, edits, hits, folded_query)
        return _current_rows_where(table, cache, edits, record_hits, columns, folded_query)


def _entry_hits(index: _ColumnIndex, folded_query: str) -> np.ndarray:
    """Return, per distinct text of the column plus "no cell", whether it contains the query.

    When a remembered query is part of this one, only the texts it matched can match, so
    only those are checked: typing a word letter by letter stays cheap.
    """
    remembered = index.memory.get(folded_query)
    if remembered is not None:
        index.memory.move_to_end(folded_query)
        return _unpack(remembered, index.size)

    folded = index.folded_texts()
    shorter = [known for known in index.memory if known in folded_query]
    candidates = None
    if shorter:
        candidates = np.flatnonzero(_unpack(index.memory[max(shorter, key=len)], index.size))

    hits = np.zeros(index.size + 1, dtype=bool)
    if candidates is None or len(candidates) > index.size // 2:
        hits[: index.size] = pc.match_substring(folded, folded_query).to_numpy(zero_copy_only=False)
    elif len(candidates):
        matched = pc.match_substring(folded.take(pa.array(candidates)), folded_query).to_numpy(zero_copy_only=False)
        hits[candidates[matched]] = True

    index.memory[folded_query] = np.packbits(hits)
    if len(index.memory) > _SEARCH_MEMORY:
        index.memory.popitem(last=False)
    return hits


def _unpack(packed: np.ndarray, size: int) -> np.ndarray:
    return np.unpackbits(packed, count=size + 1).astype(bool)


def _record_hits(cache: _TableCache, record_count: int, hits: dict[int, np.ndarray]) -> np.ndarray:
    """Return, per record of the file as read, whether one of the columns matched."""
    matched = np.zeros(record_count, dtype=bool)
    for column, entry_hits in hits.items():
        if not entry_hits.any():
            continue
        index = cache.columns[column]
        if entry_hits[: index.size].all() and not entry_hits[index.size]:
            matched |= index.entries != index.size
        else:
            matched |= entry_hits[index.entries]
    return matched


def _patch_edited_records(
    record_hits: np.ndarray, cache: _TableCache, edits: _Edits, hits: dict[int, np.ndarray], folded_query: str
) -> None:
    """Recompute the records with an edited cell in a searched column, from their current texts."""
    for row, edited in edits.cells.items():
        if not edited.keys() & hits.keys():
            continue
        matched = False
        for column, entry_hits in hits.items():
            if column in edited:
                matched = folded_query in _fold_cached(edited[column])
            else:
                index = cache.columns[column]
                matched = bool(entry_hits[index.entries[row]])
            if matched:
                break
        record_hits[row] = matched


def _current_rows_where(table: Table, cache: _TableCache, edits: _Edits, record_hits: np.ndarray, columns: list[int], folded_query: str) -> list[int]:
    """Return the current rows, in order, that are matching records or matching added rows."""
    row_ids = table.row_ids
    if not edits.added and len(row_ids) == edits.record_count:
        return np.flatnonzero(record_hits).tolist()

    ids = cache.ids(table)
    matched = np.zeros(len(ids), dtype=bool)
    records = ids < edits.record_count
    matched[records] = record_hits[ids[records]]
    for position in np.flatnonzero(~records):
        row = int(ids[position])
        texts = (table.raw_cell(row, column) for column in columns)
        matched[position] = any(text is not None and folded_query in _fold_cached(text) for text in texts)
    return ids[matched].tolist()


# Filters


FILTER_OPERATORS = ("OR", "AND", "RADIO")


@dataclass(frozen=True)
class FilterSpec:
    """One filter of the resource settings (``x-datami.filters``).

    ``operator`` combines the values chosen in this field: ``OR`` keeps rows that have any
    of them, ``AND`` rows that have all of them, and ``RADIO`` (a single choice in Datami)
    works as ``OR``. Different filters always combine with AND.
    """

    field: str
    operator: str = "AND"

    def __post_init__(self) -> None:
        if self.operator not in FILTER_OPERATORS:
            raise ValueError(f"Invalid filter operator {self.operator!r} on field {self.field!r}: use one of {', '.join(FILTER_OPERATORS)}.")


@dataclass(frozen=True)
class FilterOption:
    """A value a filter offers: the code or text, its label, and how many rows have it."""

    value: str
    label: str
    count: int


def filter_specs(settings: Mapping[str, Any]) -> list[FilterSpec]:
    """Return the filters of resource settings (``x-datami``).

    Entries without a field are skipped. Operators are read in any case, and a missing
    operator is AND, Datami's default.

    Raises:
        ValueError: for an operator other than OR, AND or RADIO.
    """
    specs = []
    for item in settings.get("filters") or []:
        if isinstance(item, Mapping) and item.get("field"):
            specs.append(FilterSpec(str(item["field"]), str(item.get("operator") or "AND").upper()))
    return specs


@dataclass
class _Vocabulary:
    """The codes a field defines, with their labels, and how a cell is read into codes."""

    codes: list[str]
    labels: list[str]
    is_list: bool
    delimiter: str

    @classmethod
    def of(cls, descriptor: Mapping[str, Any]) -> _Vocabulary | None:
        codes = category_values(dict(descriptor))
        if not codes:
            return None
        items = descriptor.get("categories") or descriptor.get("x-allowed-items") or []
        labels = {str(item.get("value")): _label_text(item) for item in items if isinstance(item, Mapping)}
        return cls(codes, [labels.get(code, code) for code in codes], descriptor.get("type") == "list", str(descriptor.get("delimiter", ",")))

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        """Position of each code, by the code stripped and in NFC as :func:`quality.check_codes` spells it."""
        positions: dict[str, int] = {}
        for position, code in enumerate(self.codes):
            positions.setdefault(unicodedata.normalize("NFC", code.strip()), position)
        return positions

    def read(self, text: str | None, missing_values: frozenset[str]) -> list[int]:
        """Return the positions of the defined codes that cell ``text`` contains."""
        if _is_blank(text, missing_values):
            return []
        assert text is not None
        if self.is_list:
            found = quality.check_codes(text, self.codes, self.delimiter).codes
        else:
            found = [unicodedata.normalize("NFC", text.strip(SPACES))]
        return [self.positions[code] for code in found if code in self.positions]


def code_labels(descriptor: Mapping[str, Any]) -> dict[str, str]:
    """Return the label of each code that field ``descriptor`` defines; empty without codes."""
    vocabulary = _Vocabulary.of(descriptor)
    if vocabulary is None:
        return {}
    return dict(zip(vocabulary.codes, vocabulary.labels))


def _label_text(item: Mapping[str, Any]) -> str:
    """Return a category's label, its French text for a multilingual label, else its value."""
    label = item.get("label")
    if isinstance(label, Mapping):
        label = label.get("fr") or next(iter(label.values()), None)
    return str(label or item.get("value"))


class _CodeMembership:
    """The defined codes of each row, for a field with a vocabulary."""

    def __init__(self, table: Table, cache: _TableCache, name: str, vocabulary: _Vocabulary) -> None:
        self.table = table
        self.vocabulary = vocabulary
        self.missing = frozenset(table.missing_values)
        self.column = table.column_of(name)
        self.index = None if self.column is None else _column_index(cache, table, self.column)

    def _entry_matrix(self) -> np.ndarray:
        """Return a (codes, entries + 1) matrix: whether each distinct text has each code."""
        assert self.index is not None
        key = ("codes", tuple(self.vocabulary.codes), self.vocabulary.is_list, self.vocabulary.delimiter, self.missing)
        matrix = self.index.derived.get(key)
        if matrix is None:
            matrix = np.zeros((len(self.vocabulary.codes), self.index.size + 1), dtype=bool)
            for entry, text in enumerate(self.index.dictionary.to_pylist()):
                matrix[self.vocabulary.read(text, self.missing), entry] = True
            self.index.derived[key] = matrix
        return matrix

    def _overlay_codes(self, ids: np.ndarray, edits: _Edits) -> dict[int, list[int]]:
        """Return the code positions of the added rows and edited records of ``ids``, by position in ``ids``."""
        assert self.column is not None
        overlay = _overlay_positions(ids, edits, edits.rows_edited_in(self.column))
        return {int(position): self.vocabulary.read(_current_text(self.table, edits, int(ids[position]), self.column), self.missing) for position in overlay}

    def counts(self, ids: np.ndarray, edits: _Edits) -> np.ndarray:
        """Return how many rows of ``ids`` have each code."""
        if self.index is None:
            return np.zeros(len(self.vocabulary.codes), dtype=np.int64)

        overlay = self._overlay_codes(ids, edits)
        from_file = ids < edits.record_count
        from_file[list(overlay)] = False
        entry_counts = np.bincount(self.index.entries[ids[from_file]], minlength=self.index.size + 1)
        counts = self._entry_matrix().astype(np.int64) @ entry_counts
        for found in overlay.values():
            counts[found] += 1
        return counts

    def passing(self, ids: np.ndarray, edits: _Edits, values: set[str], operator: str) -> np.ndarray:
        """Return whether each row of ``ids`` has any (OR, RADIO) or all (AND) of ``values``."""
        known = [self.vocabulary.positions[value] for value in values if value in self.vocabulary.positions]
        result = np.zeros(len(ids), dtype=bool)
        # No row has an unknown code, so AND with one fails everywhere.
        if self.index is None or not known or (operator == "AND" and len(known) < len(values)):
            return result

        combine = all if operator == "AND" else any
        chosen = self._entry_matrix()[known]
        entry_passing = chosen.all(axis=0) if operator == "AND" else chosen.any(axis=0)
        from_file = ids < edits.record_count
        result[from_file] = entry_passing[self.index.entries[ids[from_file]]]
        for position, found in self._overlay_codes(ids, edits).items():
            result[position] = combine(code in found for code in known)
        return result


class _ValueMembership:
    """The trimmed text of each row, as a position in a list of values, for a field without codes."""

    def __init__(self, table: Table, cache: _TableCache, name: str) -> None:
        self.table = table
        self.missing = frozenset(table.missing_values)
        self.column = table.column_of(name)
        self.index = None if self.column is None else _column_index(cache, table, self.column)
        self.values: list[str] = []
        self.positions: dict[str, int] = {}
        self.entry_values = np.full(1, -1, dtype=np.int64)
        if self.index is not None:
            self._read_entries()

    def _read_entries(self) -> None:
        assert self.index is not None
        key = ("values", self.missing)
        if key not in self.index.derived:
            self.index.derived[key] = self._entry_values(self.index)
        values, entry_values = self.index.derived[key]
        self.values = list(values)
        self.positions = {value: position for position, value in enumerate(values)}
        self.entry_values = entry_values

    def _entry_values(self, index: _ColumnIndex) -> tuple[list[str], np.ndarray]:
        """Return the distinct trimmed texts and, per entry plus "no cell", its position there (-1: blank)."""
        trimmed = pc.utf8_trim(index.dictionary, SPACES)
        encoded = pc.dictionary_encode(trimmed)
        values = encoded.dictionary.to_pylist()
        entry_values = np.full(index.size + 1, -1, dtype=np.int64)
        entry_values[: index.size] = encoded.indices.to_numpy(zero_copy_only=False)

        blank = pc.or_(pc.equal(trimmed, ""), pc.is_in(index.dictionary, value_set=pa.array(list(self.missing), pa.string())))
        entry_values[: index.size][blank.to_numpy(zero_copy_only=False)] = -1
        return values, entry_values

    def position_of(self, text: str | None) -> int:
        """Return the position of the trimmed ``text`` in :attr:`values`, adding it when new (-1: blank)."""
        if _is_blank(text, self.missing):
            return -1
        assert text is not None
        value = text.strip(SPACES)
        if value not in self.positions:
            self.positions[value] = len(self.values)
            self.values.append(value)
        return self.positions[value]

    def passing(self, ids: np.ndarray, edits: _Edits, values: set[str], operator: str) -> np.ndarray:
        """Return whether each row of ``ids`` has one of ``values`` (OR, RADIO), or all of them (AND).

        A cell has a single value, so AND with two or more values fails everywhere.
        """
        # Reading the rows first adds the values that only edits have.
        row_values = self.rows(ids, edits)
        known = [self.positions[value] for value in values if value in self.positions]
        if not known or (operator == "AND" and len(values) > 1):
            return np.zeros(len(ids), dtype=bool)
        return np.isin(row_values, known)

    def rows(self, ids: np.ndarray, edits: _Edits) -> np.ndarray:
        """Return the value position of each row of ``ids`` (-1: blank or no cell)."""
        result = np.full(len(ids), -1, dtype=np.int64)
        if self.column is None:
            return result

        assert self.index is not None
        records = ids < edits.record_count
        result[records] = self.entry_values[self.index.entries[ids[records]]]
        for position in _overlay_positions(ids, edits, edits.rows_edited_in(self.column)):
            result[position] = self.position_of(_current_text(self.table, edits, int(ids[position]), self.column))
        return result


def _membership(table: Table, cache: _TableCache, name: str) -> _CodeMembership | _ValueMembership:
    vocabulary = _Vocabulary.of(table.field(name))
    if vocabulary is not None:
        return _CodeMembership(table, cache, name, vocabulary)
    return _ValueMembership(table, cache, name)


def filter_options(table: Table, spec: FilterSpec, rows: Sequence[int] | None = None) -> list[FilterOption]:
    """Return the values filter ``spec`` offers, each with how many of ``rows`` have it.

    ``rows`` defaults to every current row. For a field with defined codes (``categories``)
    the options are all the codes in their defined order, with their labels, including
    codes no row has. A list cell is read into codes by the vocabulary, so "DC - PN" has
    DC and PN. For another field the options are the distinct texts, outer spaces removed,
    of the current rows (blank cells and missing values left out), in French order, each
    labelled with itself. A count is exactly the number of rows that
    :func:`apply_filters` keeps when that value alone is chosen.

    Raises:
        DatamiError: ``table.field-not-found`` when the field is not in the schema.
    """
    cache = _cache(table)
    with cache.lock:
        edits = _Edits.of(table)
        ids = cache.ids(table, rows)
        membership = _membership(table, cache, spec.field)
        if isinstance(membership, _CodeMembership):
            counts = membership.counts(ids, edits)
            vocabulary = membership.vocabulary
            return [FilterOption(code, label, int(count)) for code, label, count in zip(vocabulary.codes, vocabulary.labels, counts)]
        return _value_options(membership, ids, edits, cache.ids(table))


def _value_options(membership: _ValueMembership, ids: np.ndarray, edits: _Edits, current: np.ndarray) -> list[FilterOption]:
    present = np.unique(membership.rows(current, edits))
    present = present[present >= 0]
    counted = membership.rows(ids, edits)
    counts = np.bincount(counted[counted >= 0], minlength=len(membership.values))
    values = sorted((membership.values[position] for position in present), key=_collation_key)
    return [FilterOption(value, value, int(counts[membership.positions[value]])) for value in values]


def apply_filters(
    table: Table, active: Mapping[str, Iterable[str]], specs: Sequence[FilterSpec], rows: Sequence[int] | None = None
) -> list[int]:
    """Return the rows of ``rows`` (every current row when None) that pass the chosen filter values.

    ``active`` maps a field to its chosen values; a field with no value chosen filters
    nothing. Within a field, the values combine with the field's operator from ``specs``:
    OR keeps rows with any of them, AND rows with all of them, and RADIO works as OR.
    Different fields combine with AND. A value matches as in :func:`filter_options`.
    Rows keep the order of ``rows``.

    Raises:
        ValueError: when ``active`` names a field that no spec filters.
        DatamiError: ``table.field-not-found`` when the field is not in the schema.
    """
    operators = {spec.field: spec.operator for spec in specs}
    cache = _cache(table)
    with cache.lock:
        edits = _Edits.of(table)
        ids = cache.ids(table, rows)
        keep = np.ones(len(ids), dtype=bool)
        for name, chosen in active.items():
            values = set(chosen)
            if not values:
                continue
            if name not in operators:
                raise ValueError(f"No filter is defined on the field {name!r}: add it to the resource's x-datami filters, or choose among {', '.join(operators)}.")
            keep &= _membership(table, cache, name).passing(ids, edits, values, operators[name])
        return ids[keep].tolist()


# Sorting

# Sort groups, in this order whatever the direction.
_VALID, _UNORDERED, _INVALID, _EMPTY = 0, 1, 2, 3

_TYPED = ("number", "integer", "date", "datetime", "time", "year", "yearmonth", "boolean", "duration")
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
# Up to 15 digits, so that the value is exact as a float64.
_PLAIN_INTEGER = r"^[+-]?[0-9]{1,15}$"
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([YMWDHS])")
# Approximate lengths: a duration of months cannot be converted exactly.
_DURATION_SECONDS = {"Y": 365.2425 * 86400, "M": 30.436875 * 86400, "W": 7 * 86400, "D": 86400, "H": 3600, "S": 1}
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass
class _TextOrder:
    """The French order of the non-blank distinct texts of a column.

    ``ranks`` has, per entry plus "no cell", the entry's position in that order (blank
    entries get 0 and are never used).
    """

    index: _ColumnIndex
    sorted_entries: np.ndarray
    ranks: np.ndarray
    blank: np.ndarray

    def key_at(self, position: int) -> tuple[str, str, str, str]:
        return _collation_key(self.index.dictionary[int(self.sorted_entries[position])].as_py())

    def ranks_of(self, texts: Iterable[str]) -> dict[str, float]:
        """Return ranks for texts outside the column, between the ranks of their neighbours.

        Texts falling between the same two neighbours are spread evenly in their own order.
        """
        keys = _LazyKeys(self)
        ranks: dict[str, float] = {}
        gaps: dict[int, list[tuple[tuple[str, str, str, str], str]]] = {}
        for text in set(texts):
            key = _collation_key(text)
            position = bisect.bisect_left(keys, key)
            if position < len(keys) and keys[position] == key:
                ranks[text] = float(position)
            else:
                gaps.setdefault(position, []).append((key, text))
        for position, members in gaps.items():
            members.sort()
            for offset, (_, text) in enumerate(members):
                ranks[text] = position - 1 + (offset + 1) / (len(members) + 1)
        return ranks


class _LazyKeys(Sequence[tuple[str, str, str, str]]):
    """The collation keys of a :class:`_TextOrder`, computed only where bisect looks."""

    def __init__(self, order: _TextOrder) -> None:
        self.order = order

    def __len__(self) -> int:
        return len(self.order.sorted_entries)

    def __getitem__(self, position: Any) -> Any:
        return self.order.key_at(position)


def _text_order(index: _ColumnIndex, missing: frozenset[str]) -> _TextOrder:
    key = ("text-order", missing)
    if key not in index.derived:
        index.derived[key] = _build_text_order(index, missing)
    return index.derived[key]


def _build_text_order(index: _ColumnIndex, missing: frozenset[str]) -> _TextOrder:
    """Sort the distinct texts by their folded form in Arrow, then settle ties with the full key in Python."""
    blank = np.ones(index.size + 1, dtype=bool)
    if index.size:
        empty = pc.equal(pc.utf8_trim(index.dictionary, SPACES), "")
        listed = pc.is_in(index.dictionary, value_set=pa.array(list(missing), pa.string()))
        blank[: index.size] = pc.or_(empty, listed).to_numpy(zero_copy_only=False)

    candidates = np.flatnonzero(~blank)
    primary = pc.utf8_trim(index.folded_texts(), SPACES).take(pa.array(candidates))
    order = pc.sort_indices(primary).to_numpy()
    sorted_entries = candidates[order]

    sorted_primary = primary.take(pa.array(order))
    for start, stop in _equal_runs(sorted_primary):
        run = sorted_entries[start:stop]
        keys = [_collation_key(text) for text in index.texts_at(run)]
        sorted_entries[start:stop] = [entry for _, entry in sorted(zip(keys, run.tolist()))]

    ranks = np.zeros(index.size + 1, dtype=np.float64)
    ranks[sorted_entries] = np.arange(len(sorted_entries), dtype=np.float64)
    return _TextOrder(index, sorted_entries, ranks, blank)


def _equal_runs(values: pa.Array) -> list[tuple[int, int]]:
    """Return the [start, stop) ranges of two or more equal neighbours in sorted ``values``."""
    if len(values) < 2:
        return []
    same = pc.equal(values.slice(1), values.slice(0, len(values) - 1)).to_numpy(zero_copy_only=False)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], same.astype(np.int8), [0]))))
    return [(int(start), int(stop) + 1) for start, stop in zip(edges[0::2], edges[1::2])]


def _typed_number(field_type: str, value: Any) -> float:
    """Return a float whose order is the order of the typed values of ``field_type``."""
    if isinstance(value, dt.datetime):
        # NOTE: a datetime without a time zone is taken as UTC, so that naive and aware
        # values compare instead of raising.
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return (value - _EPOCH).total_seconds()
    if isinstance(value, dt.date):
        return float(value.toordinal())
    if isinstance(value, dt.time):
        offset = value.utcoffset() or dt.timedelta()
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6 - offset.total_seconds()
    if field_type == "yearmonth":
        year, month = str(value).split("-")
        return int(year) * 12 + int(month) - 1
    if field_type == "duration":
        return sum(float(amount) * _DURATION_SECONDS[unit] for amount, unit in _duration_parts(str(value)))
    # NOTE: integers beyond 2**53 lose precision here, so close ones may tie.
    return float(value)


def _duration_parts(text: str) -> list[tuple[str, str]]:
    """Split an ISO 8601 duration into (amount, unit) pairs, with minutes (M after T) converted to seconds."""
    date_part, _, time_part = text.removeprefix("P").partition("T")
    parts = _DURATION_PART.findall(date_part)
    for amount, unit in _DURATION_PART.findall(time_part):
        parts.append((str(float(amount) * 60), "S") if unit == "M" else (amount, unit))
    return parts


def _typed_key(descriptor: Mapping[str, Any], text: str) -> tuple[int, float]:
    """Return (group, key) of a non-blank ``text``. Invalid texts get key 0, which the caller replaces."""
    field_type = str(descriptor.get("type") or "string")
    try:
        number = _typed_number(field_type, parse_cell(text, descriptor))
    except (CellTypeError, ValueError, OverflowError):
        return _INVALID, 0.0
    if number != number:
        return _UNORDERED, 0.0
    return _VALID, number


def _entry_keys(index: _ColumnIndex, descriptor: Mapping[str, Any], missing: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return the sort group and key of each distinct text of a column, plus "no cell"."""
    cache_key = ("sort", repr(sorted(descriptor.items())), missing)
    if cache_key in index.derived:
        return index.derived[cache_key]

    order = _text_order(index, missing)
    groups = np.where(order.blank, _EMPTY, _VALID).astype(np.int8)
    keys = order.ranks.copy()
    if str(descriptor.get("type") or "string") in _TYPED:
        _fill_typed_keys(index, descriptor, order, groups, keys)
    index.derived[cache_key] = (groups, keys)
    return groups, keys


def _fill_typed_keys(index: _ColumnIndex, descriptor: Mapping[str, Any], order: _TextOrder, groups: np.ndarray, keys: np.ndarray) -> None:
    """Give typed keys to the valid entries. Invalid ones keep their text rank, in their own group."""
    pending = np.flatnonzero(~order.blank[: index.size])
    plain = _plain_numbers(index.dictionary, descriptor)
    if plain is not None:
        matched, numbers = plain
        # A missing value written as a number, such as "-1", stays blank.
        present = ~order.blank[matched]
        keys[matched[present]] = numbers[present]
        pending = np.setdiff1d(pending, matched, assume_unique=True)

    for entry, text in zip(pending, index.texts_at(pending)):
        group, key = _typed_key(descriptor, text)
        groups[entry] = group
        if group != _INVALID:
            keys[entry] = key


def _plain_numbers(dictionary: pa.Array, descriptor: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Convert in Arrow the entries written as plain decimal numbers, which parse exactly like float().

    Returns the entries and their values, or None when the field's options make Python
    parsing necessary (decimal comma, group character, non-bare numbers).
    """
    field_type = descriptor.get("type")
    if field_type not in ("number", "integer") or descriptor.get("groupChar") or descriptor.get("bareNumber", True) is False:
        return None
    if field_type == "number" and descriptor.get("decimalChar", ".") != ".":
        return None

    pattern = _PLAIN_NUMBER if field_type == "number" else _PLAIN_INTEGER
    matched = np.flatnonzero(pc.match_substring_regex(dictionary, pattern).to_numpy(zero_copy_only=False))
    try:
        numbers = pc.cast(dictionary.take(pa.array(matched)), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        # Exponents beyond the float range: Python turns them into infinities.
        return None
    return matched, numbers


def sort_rows(table: Table, rows: Iterable[int], field: str, descending: bool = False) -> list[int]:
    """Return ``rows`` sorted by the current value of ``field``.

    Values are compared by their schema type: numbers as numbers, dates and times
    chronologically, booleans false first. Other fields are compared as text in French
    order, where case and accents count only between otherwise equal texts (see
    :func:`_collation_key`). Texts that are not valid
    values of the type come after the valid values, ordered as text, and blank cells,
    missing values and absent cells come last, in both directions. NaN comes after the
    other numbers. Equal values keep their order in ``rows``.

    Raises:
        DatamiError: ``table.field-not-found`` for an unknown field.
    """
    descriptor = table.field(field)
    column = table.column_of(field)
    cache = _cache(table)
    with cache.lock:
        ids = cache.ids(table, rows)
        if column is None or len(ids) < 2:
            return ids.tolist()

        edits = _Edits.of(table)
        index = _column_index(cache, table, column)
        missing = frozenset(table.missing_values)
        groups, keys = _row_keys(table, edits, index, descriptor, missing, ids, column)

    if descending:
        keys = -keys
    # np.lexsort is stable: rows with equal group and key keep their order in ``rows``.
    return ids[np.lexsort((keys, groups))].tolist()


def _row_keys(
    table: Table, edits: _Edits, index: _ColumnIndex, descriptor: Mapping[str, Any], missing: frozenset[str], ids: np.ndarray, column: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the sort group and key of each row of ``ids``, edited cells read from the edits."""
    entry_groups, entry_keys = _entry_keys(index, descriptor, missing)
    groups = np.full(len(ids), _EMPTY, dtype=np.int8)
    keys = np.zeros(len(ids), dtype=np.float64)
    records = ids < edits.record_count
    groups[records] = index.per_record(entry_groups, ids[records])
    keys[records] = index.per_record(entry_keys, ids[records])

    overlay = _overlay_positions(ids, edits, edits.rows_edited_in(column))
    groups[overlay] = _EMPTY
    keys[overlay] = 0.0
    present: dict[int, str] = {}
    for position in overlay:
        text = _current_text(table, edits, int(ids[position]), column)
        if text is not None and not _is_blank(text, missing):
            present[int(position)] = text

    text_ranks = _text_order(index, missing).ranks_of(present.values())
    typed = str(descriptor.get("type") or "string") in _TYPED
    for position, text in present.items():
        group, key = _typed_key(descriptor, text) if typed else (_VALID, 0.0)
        groups[position] = group
        keys[position] = text_ranks[text] if group == _INVALID or not typed else key
    return groups, keys
