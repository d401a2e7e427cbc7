"""Conversion of a Datami widget configuration into a Frictionless data package.

A Datami page embeds a ``<datami-multi-files>`` element whose ``gitfiles`` attribute is a
JSON array of tabs. A CSV tab names its data file, a Table-Schema-like side file, a
"fields custom properties" side file and the settings of the cards, chart and map views.
:func:`import_datami` turns one such tab into:

- a Table Schema with one field per CSV column, in CSV header order. Columns are bound
  to settings by name, never by position, because Datami matches settings to header
  labels and the side files list fields in another order than the CSV;
- a package descriptor whose resource carries every Datami-only view setting under the
  one property ``x-datami``, with Datami's spellings replaced by documented names
  (see ``docs/datami-settings.md``);
- a report of every mismatch and of every setting that was dropped, so that nothing is
  fixed silently.

GitHub and GitLab file URLs in the configuration are read from a local copy of the
repository (``source_root``): nothing is fetched from the network.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from frictionless import Detector

from datami_py.errors import DatamiError, Finding, Location
from datami_py.i18n import Phrase, message

# Failures: the import stops.
CONFIG_NOT_A_LIST = message(
    "importer.config-not-a-list",
    "The widget configuration must be a JSON array of tabs, as in the gitfiles attribute of <datami-multi-files>.",
)
FILE_NOT_FOUND = message("importer.file-not-found", "File not found: {path}.")
FILE_UNREADABLE = message("importer.file-unreadable", "Cannot read {path}: {reason}.")
INVALID_JSON = message(
    "importer.invalid-json",
    "Invalid JSON (line {line}, column {column}: {error}). Fix the file in a text editor.",
)
UNSUPPORTED_URL = message(
    "importer.unsupported-url",
    "Cannot map the URL “{url}” to a file of the repository. Expected a github.com or gitlab.com "
    "file URL, a raw.githubusercontent.com URL, or a path relative to the repository.",
)
UNSAFE_PATH = message(
    "importer.unsafe-path",
    "The URL “{url}” points to “{path}”, outside the source folder {root}. The import is rejected.",
)
TAB_NOT_FOUND = message("importer.tab-not-found", "No tab is titled “{tab}”. Tabs: {tabs}.")
TAB_NOT_TABLE = message(
    "importer.tab-not-table",
    "Tab “{tab}” shows {path}, which is not a CSV or TSV file, so it cannot be imported as a table.",
)
NO_TABLE_TAB = message(
    "importer.no-table-tab",
    "No active tab shows a CSV or TSV file. Choose a tab with --tab.",
)
CSV_NOT_UTF8 = message(
    "importer.csv-not-utf8",
    "The CSV file is not valid UTF-8 (byte {position}). Convert it to UTF-8 and import again.",
)
CSV_NO_HEADER = message("importer.csv-no-header", "The CSV file is empty: it has no header row.")
CSV_EMPTY_LABEL = message(
    "importer.csv-empty-label",
    "Column {column} of the CSV header has no label. Columns are bound to settings by name, so every column needs one.",
)
CSV_DUPLICATE_LABEL = message(
    "importer.csv-duplicate-label",
    "The CSV header has the column “{name}” {count} times. Columns are bound to settings by name, "
    "so every label must be unique.",
)
METADATA_INVALID = message(
    "importer.metadata-invalid",
    "The package metadata must be a JSON object of package properties without “resources”.",
)

# Report: schema and CSV mismatches.
SCHEMA_FIELD_NOT_IN_CSV = message(
    "importer.schema-field-not-in-csv",
    "The Datami schema declares this field, but the CSV header has no such column, so the field is left out.",
)
COLUMN_NOT_IN_SCHEMA = message(
    "importer.column-not-in-schema",
    "The Datami schema does not declare this column, so its type “{type}” was inferred from the data.",
)
CODE_COLUMN_NOT_IN_SCHEMA = message(
    "importer.code-column-not-in-schema",
    "The Datami schema does not declare this column. The data looks like “{inferred}”, but the column "
    "holds codes (postcode, INSEE or département code), so it is typed “string” to keep leading zeros.",
)
COORDINATE_NOT_IN_SCHEMA = message(
    "importer.coordinate-not-in-schema",
    "The Datami schema does not declare this column. It holds coordinates, so it is typed “number” "
    "(the data looks like “{inferred}”).",
)
FIELD_ORDER = message(
    "importer.field-order",
    "The Datami schema lists this field at position {schema_position}, but it is column {column} of the CSV. "
    "The Table Schema follows the CSV header order.",
)
DUPLICATE_FIELD = message(
    "importer.duplicate-field",
    "This field is described twice in {setting}, so the last description is used.",
)
TYPE_REPLACED = message(
    "importer.type-replaced",
    "The Datami schema types this field “{declared}”, but it holds {kind}, so it is typed “{type}”.",
)
KIND_CODES = message("importer.kind-codes", "codes that keep their leading zeros")
KIND_COORDINATES = message("importer.kind-coordinates", "coordinates")
KIND_TAGS = message("importer.kind-tags", "several codes separated by “{separator}”")
UNKNOWN_TYPE = message(
    "importer.unknown-type",
    "The Datami schema gives the unknown type “{declared}”, so the type “{type}” was inferred from the data.",
)
TITLE_REPLACED = message(
    "importer.title-replaced",
    "The custom properties title “{title}” replaces the Datami schema title “{schema_title}”. "
    "Check that the schema title was not copied from another field.",
)
URI_FORMAT_DROPPED = message(
    "importer.uri-format-dropped",
    "The Datami schema declares the format “uri”, which is not kept: {count} of {total} values have no "
    "URI scheme, and datami-py checks links with warnings instead.",
)
PRIMARY_KEY_NOT_UNIQUE = message(
    "importer.primary-key-not-unique",
    "This column is marked as the primary key, but {duplicates} values repeat and {empty} are empty, "
    "so no primary key is declared.",
)
VALUES_NOT_IN_CATEGORIES = message(
    "importer.values-not-in-categories",
    "{count} values are not among the {categories} codes of the definitions, even once trimmed, for example {values}.",
)

# Report: settings.
SETTING_UNKNOWN_COLUMN = message(
    "importer.setting-unknown-column",
    "Setting “{setting}” names this column, but the CSV header has no such column, so the entry is not imported.",
)
SWITCHED_OFF_KEY = message(
    "importer.switched-off-key",
    "Setting “{setting}” ends with “_”, which switches it off in Datami, so it is ignored.",
)
KEY_NOT_READ = message(
    "importer.key-not-read",
    "Datami does not read setting “{setting}”, so it is not imported.",
)
KEY_NOT_IMPORTED = message(
    "importer.key-not-imported",
    "Setting “{setting}” has no equivalent in datami-py yet, so it is not imported.",
)
UNKNOWN_KEY = message(
    "importer.unknown-key",
    "Setting “{setting}” is unknown, so it is not imported.",
)
UNKNOWN_VALUE = message(
    "importer.unknown-value",
    "Setting “{setting}” has the value “{value}”, which Datami does not know, so it is not imported.",
)
EXPECTED_OBJECT = message(
    "importer.expected-object",
    "Setting “{setting}” must be a JSON object, so it is not imported.",
)
EXPECTED_ARRAY = message(
    "importer.expected-array",
    "Setting “{setting}” must be a JSON array, so it is not imported.",
)
TAG_SEPARATOR_KEY = message(
    "importer.tag-separator-key",
    "Datami reads the tag separator from “tagSeparator” and ignores “separator”: “{value}”, "
    "so the tags are split on “{used}”.",
)
CARD_POSITION_TYPO = message(
    "importer.card-position-typo",
    "Setting “{setting}” gives the card position “{position}”, which Datami does not know, so Datami never "
    "shows this block. It is imported as “{correction}”.",
)
CARD_POSITION_UNKNOWN = message(
    "importer.card-position-unknown",
    "Setting “{setting}” gives the card position “{position}”, which Datami does not know, so the block is not imported.",
)
DEAD_TEMPLATE = message(
    "importer.dead-template",
    "Card template “{template}” is keyed on a column that the CSV does not have, so Datami never shows it. "
    "It is not imported (it also refers to: {placeholders}).",
)
TEMPLATE_UNKNOWN_COLUMNS = message(
    "importer.template-unknown-columns",
    "Setting “{setting}” refers to columns that the CSV does not have: {columns}.",
)
UNKNOWN_LAYER = message(
    "importer.unknown-layer",
    "Layer switch “{label}” names the layer “{layer}”, which no imported map layer has.",
)
EXTRA_MAP_SKIPPED = message(
    "importer.extra-map-skipped",
    "The map view has {count} maps, but datami-py keeps one map per table, so only the first is imported.",
)
LOCALDEV_IGNORED = message(
    "importer.localdev-ignored",
    "Setting “{setting}” switches Datami to a local development URL, but the importer reads the git URL.",
)
TOKEN_IGNORED = message(
    "importer.token-ignored",
    "Setting “{setting}” holds an access token. It is not imported, and anyone who can read this "
    "configuration can use it, so revoke it.",
)

# Findings listed first in a report, in this order. The others follow in the order met.
_MISMATCH_ORDER = {
    SCHEMA_FIELD_NOT_IN_CSV: 0,
    COLUMN_NOT_IN_SCHEMA: 1,
    CODE_COLUMN_NOT_IN_SCHEMA: 1,
    COORDINATE_NOT_IN_SCHEMA: 1,
    FIELD_ORDER: 2,
}

# Subtypes that Datami renders, with the name used in ``x-datami``.
_SUBTYPES = {
    "longtext": "longtext",
    "timelinetext": "timeline",
    "tag": "tag",
    "tags": "tags",
    "image": "image",
    "link": "link",
    "email": "email",
    "geopoint": "geopoint",
    "percent": "percent",
}

# Datami splits tags on "-" when a field gives no ``tagSeparator``.
_DEFAULT_TAG_SEPARATOR = "-"

# Card positions that Datami renders, with the name used in ``x-datami``.
_CARD_POSITIONS = {
    "title": "title",
    "subtitle": "subtitle",
    "adress": "address",
    "logo": "logo",
    "image": "image",
    "resume": "resume",
    "infos": "infos",
    "description": "description",
    "tags": "tags",
    "tags_top": "tags_top",
    "tags_middle": "tags_middle",
    "links": "links",
    "links_top": "links_top",
    "links_middle": "links_middle",
    "timeline": "timeline",
    "map_top": "map_top",
    "map_middle": "map_middle",
    "map_bottom": "map_bottom",
}

_FILTER_OPERATORS = ("OR", "AND", "RADIO")

# Table Schema field properties copied as they are from the Datami schema.
_STANDARD_FIELD_KEYS = (
    "example",
    "rdfType",
    "constraints",
    "trueValues",
    "falseValues",
    "decimalChar",
    "groupChar",
    "bareNumber",
    "missingValues",
)
_TABLE_SCHEMA_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "list",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
}
_LIST_ITEM_TYPES = {"string", "integer", "boolean", "number", "datetime", "date", "time"}

# Words of column names that mark codes written with digits but compared as text.
_CODE_WORDS = {"postcode", "zipcode", "zip", "cp", "insee", "depcode", "codepostal", "codeinsee", "codedep"}
_CODE_QUALIFIERS = {"postal", "postale", "insee", "dep", "departement", "commune", "region", "reg"}
_COORDINATE_WORDS = {"lat", "lon", "lng", "latitude", "longitude"}

_TEMPLATE_PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}|~~\s*(.+?)\s*~~")


@dataclass(frozen=True)
class ImportResult:
    """Result of :func:`import_datami`: a package descriptor, its Table Schema and a report.

    ``package`` is the data package descriptor. Its one resource names the data file
    ``data/<CSV file name>`` and the schema file ``schemas/<resource name>.json``, both
    relative to the folder where the package is written. ``schema`` is the Table Schema
    to write at that schema path. ``csv_path`` is the CSV file that was read, to be copied
    unchanged to the data path. ``report`` lists mismatches and dropped settings.
    """

    package: dict[str, Any]
    schema: dict[str, Any]
    report: list[Finding]
    csv_path: Path

    @property
    def resource(self) -> dict[str, Any]:
        """The package's one resource descriptor."""
        return self.package["resources"][0]


@dataclass
class _Report:
    """The findings gathered while importing, in the order they were met."""

    findings: list[Finding] = field(default_factory=list)

    def warn(self, code: str, location: Location, **params: Any) -> None:
        self.findings.append(Finding(code, "warning", location, params))

    def ordered(self) -> list[Finding]:
        """Return the findings with the schema and CSV mismatches first, each group in met order."""
        return sorted(self.findings, key=lambda finding: _MISMATCH_ORDER.get(finding.code, len(_MISMATCH_ORDER)))


class _Settings:
    """One configuration object being read, remembering which of its keys were used.

    :meth:`finish` reports every key that no reader used, so that a setting is never
    dropped without a finding. ``path`` is the dotted name of the object in its file, and
    ``field`` is the CSV column the object describes, if any, for the findings' location.
    """

    def __init__(
        self, data: Mapping[str, Any], path: str, file: str, report: _Report, field: str | None = None
    ) -> None:
        self.data = data
        self.path = path
        self.file = file
        self.report = report
        self.field = field
        self._used: set[str] = set()

    def name(self, key: str) -> str:
        """Return the dotted setting name of ``key`` in this object."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        self._used.add(key)
        return self.data.get(key, default)

    def skip(self, *keys: str) -> None:
        """Mark ``keys`` as read without importing them. Callers give the reason in a comment."""
        self._used.update(keys)

    def child(self, key: str) -> _Settings | None:
        """Return the object under ``key``, or None (reported) when it is not an object."""
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.warn(EXPECTED_OBJECT, setting=self.name(key))
            return None
        return _Settings(value, self.name(key), self.file, self.report, self.field)

    def items(self, key: str) -> list[Any]:
        """Return the array under ``key``, or an empty list (reported) when it is not an array."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.warn(EXPECTED_ARRAY, setting=self.name(key))
            return []
        return value

    def warn(self, code: str, field: str | None = None, **params: Any) -> None:
        self.report.warn(code, Location(file=self.file, field=field or self.field), **params)

    def finish(self, not_read: Iterable[str] = (), not_imported: Iterable[str] = ()) -> None:
        """Report the keys that no reader used: switched off, ignored by Datami, without equivalent, or unknown."""
        not_read = set(not_read)
        not_imported = set(not_imported)
        for key in self.data:
            if key in self._used or key.startswith("_COMMENT"):
                # Keys starting with "_COMMENT" are the configuration's own comments.
                continue
            if key.endswith("_"):
                self.warn(SWITCHED_OFF_KEY, setting=self.name(key))
            elif key in not_read:
                self.warn(KEY_NOT_READ, setting=self.name(key))
            elif key in not_imported:
                self.warn(KEY_NOT_IMPORTED, setting=self.name(key))
            else:
                self.warn(UNKNOWN_KEY, setting=self.name(key))


@dataclass(frozen=True)
class _Context:
    """The CSV header and the report, shared by every settings reader."""

    columns: Sequence[str]
    report: _Report

    def has_column(self, name: Any) -> bool:
        return isinstance(name, str) and name in self.columns


# Side files and URLs


def resolve_repository_url(url: str, source_root: Path) -> Path:
    """Return the local file under ``source_root`` that a repository file URL names.

    Accepted forms: ``https://github.com/OWNER/REPO/blob/BRANCH/PATH`` (or ``/raw/``),
    ``https://raw.githubusercontent.com/OWNER/REPO/BRANCH/PATH``,
    ``https://gitlab.com/GROUP/PROJECT/-/blob/BRANCH/PATH`` (or ``/-/raw/``), and a
    relative path. The branch is ignored because ``source_root`` is one checkout.

    Raises:
        DatamiError: ``importer.unsupported-url`` for another form, ``importer.unsafe-path``
            when the path leaves ``source_root`` (``..``, encoded ``..`` or a symbolic link).
    """
    repository_path = _repository_path(url)
    if repository_path is None:
        raise DatamiError(UNSUPPORTED_URL, Location(), url=url)

    root = source_root.resolve()
    candidate = (root / repository_path).resolve()
    if not candidate.is_relative_to(root):
        raise DatamiError(UNSAFE_PATH, Location(), url=url, path=str(candidate), root=str(root))
    return candidate


def _repository_path(url: str) -> str | None:
    """Return the repository path named by ``url``, percent-decoded, or None for an unknown form."""
    parts = urllib.parse.urlsplit(url.strip())
    segments = [urllib.parse.unquote(segment) for segment in parts.path.split("/") if segment]

    if not parts.scheme and not parts.netloc:
        # A relative path written in the configuration. An absolute one is not a repository path.
        return None if url.startswith("/") or not segments else "/".join(segments)

    host = parts.netloc.lower()
    # NOTE: a branch name containing "/" cannot be distinguished from the path, as in
    # Datami, so the first segment after the marker is taken as the branch.
    if host == "github.com" and len(segments) > 4 and segments[2] in ("blob", "raw"):
        return "/".join(segments[4:])
    if host == "raw.githubusercontent.com" and len(segments) > 3:
        rest = segments[3:]
        if segments[2:4] == ["refs", "heads"] and len(segments) > 5:
            rest = segments[5:]
        return "/".join(rest)
    if host == "gitlab.com" and "-" in segments:
        marker = segments.index("-")
        rest = segments[marker + 1 :]
        if len(rest) > 2 and rest[0] in ("blob", "raw"):
            return "/".join(rest[2:])
    return None


def _display_path(path: Path, source_root: Path) -> str:
    """Return ``path`` relative to ``source_root`` when it is inside, for messages."""
    try:
        return path.resolve().relative_to(source_root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _load_json(path: Path, display: str) -> Any:
    """Read a UTF-8 JSON file, raising DatamiError for a missing, unreadable or invalid file."""
    location = Location(file=display)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatamiError(FILE_NOT_FOUND, Location(), path=display) from None
    except OSError as error:
        raise DatamiError(FILE_UNREADABLE, Location(), path=display, reason=error.strerror) from None
    except UnicodeDecodeError as error:
        raise DatamiError(FILE_UNREADABLE, Location(), path=display, reason=str(error)) from None

    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DatamiError(INVALID_JSON, location, line=error.lineno, column=error.colno, error=error.msg) from None


@dataclass(frozen=True)
class _SideFile:
    """A side file that a configuration object names, once loaded."""

    data: Any
    display: str


def _side_file(settings: _Settings | None, source_root: Path) -> _SideFile | None:
    """Load the side file named by ``settings.file``. The keys ``file_`` and ``filelocal`` are not read."""
    if settings is None:
        return None

    if settings.get("localdev"):
        settings.warn(LOCALDEV_IGNORED, setting=settings.name("localdev"))
    # The local development URL points at a developer's machine, not at the repository.
    settings.skip("filelocal")

    url = settings.get("file")
    if not isinstance(url, str) or not url:
        return None

    path = resolve_repository_url(url, source_root)
    display = _display_path(path, source_root)
    return _SideFile(_load_json(path, display), display)


def _side_file_entry(options: _Settings | None, key: str, source_root: Path) -> _SideFile | None:
    """Load the side file that the tab option ``key`` names, reporting its unused keys."""
    settings = options.child(key) if options is not None else None
    side_file = _side_file(settings, source_root)
    if settings is not None:
        settings.finish()
    return side_file


# Tabs and CSV


def _is_table_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    suffix = PurePosixPath(urllib.parse.urlsplit(url).path).suffix.lower()
    return suffix in (".csv", ".tsv")


def _select_tab(tabs: list[Any], title: str | None) -> Mapping[str, Any]:
    """Return the tab titled ``title``, else the ``default-tab``, else the first active table tab."""
    mappings = [tab for tab in tabs if isinstance(tab, Mapping)]

    if title is not None:
        for tab in mappings:
            if tab.get("title") == title:
                if not _is_table_url(tab.get("gitfile")):
                    raise DatamiError(TAB_NOT_TABLE, Location(), tab=title, path=tab.get("gitfile"))
                return tab
        names = ", ".join(f"“{tab.get('title')}”" for tab in mappings)
        raise DatamiError(TAB_NOT_FOUND, Location(), tab=title, tabs=names)

    candidates = [tab for tab in mappings if tab.get("activate", True) and _is_table_url(tab.get("gitfile"))]
    if not candidates:
        raise DatamiError(NO_TABLE_TAB, Location())
    for tab in candidates:
        if tab.get("default-tab"):
            return tab
    return candidates[0]


@dataclass(frozen=True)
class _Table:
    """The CSV file as read: header labels, data rows padded to the header width, BOM presence."""

    header: list[str]
    rows: list[list[str]]
    has_bom: bool


def _read_table(path: Path, display: str, delimiter: str, quote_char: str) -> _Table:
    """Read every row of the CSV file with Python's ``csv`` module and check the header labels."""
    location = Location(file=display)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatamiError(FILE_NOT_FOUND, Location(), path=display) from None
    except OSError as error:
        raise DatamiError(FILE_UNREADABLE, Location(), path=display, reason=error.strerror) from None

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatamiError(CSV_NOT_UTF8, location, position=error.start) from None

    # newline="" keeps line breaks inside quoted cells, as the csv module requires.
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote_char))
    if not rows:
        raise DatamiError(CSV_NO_HEADER, location)

    header = rows[0]
    for column, label in enumerate(header, start=1):
        if label == "":
            raise DatamiError(CSV_EMPTY_LABEL, location, column=column)
    for label, count in Counter(header).items():
        if count > 1:
            raise DatamiError(CSV_DUPLICATE_LABEL, location, name=label, count=count)

    width = len(header)
    data = [(row + [""] * width)[:width] for row in rows[1:] if row]
    return _Table(header, data, raw.startswith(b"\xef\xbb\xbf"))


def _infer_types(table: _Table) -> dict[str, str]:
    """Return the type of every column that fits all its non-empty values (frictionless inference)."""
    # A confidence of 1 keeps a type only when every value fits, so the package validates.
    detector = Detector(field_confidence=1.0, field_missing_values=[""])
    schema = detector.detect_schema(table.rows, labels=table.header)
    types = {}
    for label, inferred in zip(table.header, schema.fields):
        # A column with no value at all is inferred as "any", and Datami treats it as text.
        types[label] = "string" if inferred.type == "any" else inferred.type
    return types


def _column_values(table: _Table, name: str) -> list[str]:
    index = table.header.index(name)
    return [row[index] for row in table.rows]


# Table Schema fields


def _name_words(name: str) -> list[str]:
    """Split a column name into lower-case ASCII words: "BAN_depcode" gives ["ban", "depcode"]."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", ascii_name)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def _is_code_column(name: str, values: Sequence[str]) -> bool:
    """Tell whether a column contains codes made of digits that must stay text (postcodes, INSEE codes)."""
    words = set(_name_words(name))
    if words & _CODE_WORDS or ("code" in words and words & _CODE_QUALIFIERS):
        return True
    # A leading zero would be lost if the column were read as numbers.
    return any(re.fullmatch(r"0\d+", value) for value in values)


def _is_coordinate_column(name: str, subtype: str | None) -> bool:
    return subtype == "geopoint" or bool(set(_name_words(name)) & _COORDINATE_WORDS)


@dataclass
class _FieldSources:
    """The Datami schema entry and the custom properties of one CSV column."""

    declared: Mapping[str, Any] | None
    custom: _Settings | None


def _index_by_name(items: list[Any], setting: str, file: str, report: _Report) -> dict[str, Mapping[str, Any]]:
    """Index field descriptions by ``name``. A repeated name keeps the last one, with a finding."""
    indexed: dict[str, Mapping[str, Any]] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            report.warn(EXPECTED_OBJECT, Location(file=file), setting=setting)
            continue
        name = item["name"]
        if name in indexed:
            report.warn(DUPLICATE_FIELD, Location(file=file, field=name), setting=setting)
        indexed[name] = item
    return indexed


def _report_schema_mismatches(header: Sequence[str], declared: Mapping[str, Any], schema_file: str, report: _Report) -> None:
    """Report schema fields absent from the CSV, then shared fields listed in another order."""
    for name in declared:
        if name not in header:
            report.warn(SCHEMA_FIELD_NOT_IN_CSV, Location(file=schema_file, field=name))

    schema_order = list(declared)
    shared_in_schema = [name for name in schema_order if name in header]
    shared_in_csv = [name for name in header if name in declared]
    for name in shared_in_schema:
        if shared_in_schema.index(name) != shared_in_csv.index(name):
            report.warn(
                FIELD_ORDER,
                Location(file=schema_file, field=name),
                schema_position=schema_order.index(name) + 1,
                column=header.index(name) + 1,
            )


def _field_type(
    name: str,
    sources: _FieldSources,
    inferred: str,
    subtype: str | None,
    values: Sequence[str],
    schema_file: str,
    csv_file: str,
    report: _Report,
) -> str:
    """Choose the Table Schema type of a column and report every choice that overrides the configuration."""
    declared_type = sources.declared.get("type") if sources.declared is not None else None
    forced = None
    kind = None
    if _is_code_column(name, values):
        forced, kind = "string", Phrase(KIND_CODES)
    elif _is_coordinate_column(name, subtype):
        forced, kind = "number", Phrase(KIND_COORDINATES)

    if sources.declared is None:
        location = Location(file=csv_file, field=name)
        if forced == "string" and inferred != "string":
            report.warn(CODE_COLUMN_NOT_IN_SCHEMA, location, inferred=inferred)
        elif forced == "number" and inferred != "number":
            report.warn(COORDINATE_NOT_IN_SCHEMA, location, inferred=inferred)
        else:
            report.warn(COLUMN_NOT_IN_SCHEMA, location, type=forced or inferred)
        return forced or inferred

    location = Location(file=schema_file, field=name)
    if declared_type is not None and declared_type not in _TABLE_SCHEMA_TYPES:
        report.warn(UNKNOWN_TYPE, location, declared=declared_type, type=forced or inferred)
        return forced or inferred
    if forced is not None:
        if declared_type not in (None, forced):
            report.warn(TYPE_REPLACED, location, declared=declared_type, kind=kind, type=forced)
        return forced
    # Datami reads a field without "type" as text.
    return declared_type or "string"


def _categories(definitions: list[Any], settings: _Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split Datami ``definitions`` into Table Schema categories and per-value display details."""
    categories = []
    details = []
    for definition in definitions:
        if not isinstance(definition, Mapping) or "value" not in definition:
            settings.warn(EXPECTED_OBJECT, setting=settings.name("definitions"))
            continue
        category = {"value": definition["value"]}
        if "label" in definition:
            category["label"] = definition["label"]
        categories.append(category)

        detail = {"value": definition["value"]}
        if "description" in definition:
            detail["description"] = definition["description"]
        if "bgColor" in definition:
            detail["color"] = definition["bgColor"]
        if len(detail) > 1:
            details.append(detail)
    return categories, details


def _report_values_outside(
    values: Sequence[str], categories: list[dict[str, Any]], separator: str | None, location: Location, report: _Report
) -> None:
    """Report cell values that match no category once split and trimmed, as Datami matches them."""
    known = {str(category["value"]) for category in categories}
    unknown: Counter[str] = Counter()
    for value in values:
        if value == "":
            continue
        items = value.split(separator) if separator else [value]
        for item in items:
            if item.strip() not in known:
                unknown[item.strip()] += 1
    if unknown:
        examples = ", ".join(f"“{item}”" for item in sorted(unknown)[:5])
        report.warn(VALUES_NOT_IN_CATEGORIES, location, count=sum(unknown.values()), categories=len(known), values=examples)


def _uri_without_scheme(values: Sequence[str]) -> int:
    return sum(1 for value in values if value and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value))


def _field_view_settings(custom: _Settings, field_type: str) -> dict[str, Any]:
    """Translate one field's Datami custom properties into its ``x-datami`` object."""
    view: dict[str, Any] = {}

    subtype = custom.get("subtype")
    if subtype is not None:
        if subtype in _SUBTYPES:
            view["subtype"] = _SUBTYPES[subtype]
        else:
            custom.warn(UNKNOWN_VALUE, setting=custom.name("subtype"), value=subtype)

    if subtype == "tags":
        view["separator"] = custom.get("tagSeparator", _DEFAULT_TAG_SEPARATOR)
        if custom.has("separator") and not custom.has("tagSeparator"):
            custom.warn(TAG_SEPARATOR_KEY, value=custom.get("separator"), used=view["separator"])

    renames = {"bgColor": "color", "hide": "hide", "locked": "locked", "allowNew": "allowNew", "maxLength": "maxLength"}
    for datami_key, name in renames.items():
        if custom.has(datami_key):
            view[name] = custom.get(datami_key)

    longtext = custom.child("longtextOptions")
    if longtext is not None:
        view["longtext"] = _renamed(longtext, {"breakSeparator": "paragraphSeparator", "bulletSeparator": "bulletMarker"})
        longtext.finish()

    steps = custom.child("stepOptions")
    if steps is not None:
        step_names = {
            "stepSeparator": "stepSeparator",
            "stepTitleSeparator": "titleSeparator",
            "stepStart": "startLabel",
            "stepEnd": "endLabel",
        }
        view["timeline"] = _renamed(steps, step_names)
        steps.finish()

    view.update(_number_view_settings(custom))
    if field_type == "boolean":
        view.update(_boolean_labels(custom))
    return view


def _number_view_settings(custom: _Settings) -> dict[str, Any]:
    """Read Datami's number display settings: ``unit``, ``round.digits`` and ``transform.multiplyBy``."""
    view: dict[str, Any] = {}
    if custom.has("unit"):
        view["unit"] = custom.get("unit")

    rounding = custom.child("round")
    if rounding is not None:
        if rounding.has("digits"):
            view["roundDigits"] = rounding.get("digits")
        rounding.finish()

    transform = custom.child("transform")
    if transform is not None:
        if transform.has("multiplyBy"):
            view["multiplyBy"] = transform.get("multiplyBy")
        transform.finish()
    return view


def _boolean_labels(custom: _Settings) -> dict[str, Any]:
    """Return the ``booleanLabels`` view setting. The raw values go to trueValues/falseValues."""
    options = custom.child("booleanOptions")
    if options is None:
        return {}
    labels = {}
    for side in ("true", "false"):
        side_options = options.child(side)
        if side_options is None:
            continue
        if side_options.has("label"):
            labels[side] = side_options.get("label")
        side_options.skip("value")
        side_options.finish()
    options.finish()
    return {"booleanLabels": labels} if labels else {}


def _boolean_values(custom: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return trueValues/falseValues from Datami ``booleanOptions.{true,false}.value``."""
    options = custom.get("booleanOptions")
    if not isinstance(options, Mapping):
        return {}
    values = {}
    for side, key in (("true", "trueValues"), ("false", "falseValues")):
        side_options = options.get(side)
        if isinstance(side_options, Mapping) and "value" in side_options:
            values[key] = [side_options["value"]]
    return values


def _renamed(settings: _Settings, renames: Mapping[str, str]) -> dict[str, Any]:
    """Copy the keys of ``settings`` listed in ``renames`` under their new names."""
    copied = {}
    for datami_key, name in renames.items():
        if settings.has(datami_key):
            copied[name] = settings.get(datami_key)
    return copied


def _build_field(
    name: str,
    sources: _FieldSources,
    table: _Table,
    inferred: str,
    files: Mapping[str, str],
    report: _Report,
) -> dict[str, Any]:
    """Build the Table Schema field of one CSV column from the Datami schema and custom properties."""
    declared = sources.declared or {}
    custom = sources.custom
    values = _column_values(table, name)
    subtype = custom.data.get("subtype") if custom is not None else None

    field_type = _field_type(name, sources, inferred, subtype, values, files["schema"], files["csv"], report)
    field: dict[str, Any] = {"name": name}

    # Titles and descriptions: the custom properties win over the schema, as in Datami.
    for key in ("title", "description"):
        schema_text = declared.get(key)
        custom_text = custom.get(key) if custom is not None else None
        if custom_text is not None:
            field[key] = custom_text
            if key == "title" and schema_text is not None and schema_text != custom_text:
                report.warn(TITLE_REPLACED, Location(file=files["custom"], field=name), title=custom_text, schema_title=schema_text)
        elif schema_text is not None:
            field[key] = schema_text

    field["type"] = field_type
    declared_format = declared.get("format")
    if declared_format == "uri":
        report.warn(
            URI_FORMAT_DROPPED,
            Location(file=files["schema"], field=name),
            count=_uri_without_scheme(values),
            total=sum(1 for value in values if value),
        )
    elif declared_format is not None:
        field["format"] = declared_format

    for key in _STANDARD_FIELD_KEYS:
        if key in declared:
            field[key] = declared[key]
    for key in declared:
        if key not in ("name", "title", "description", "type", "format", *_STANDARD_FIELD_KEYS):
            report.warn(UNKNOWN_KEY, Location(file=files["schema"], field=name), setting=f"fields[{name}].{key}")
    if custom is not None and field_type == "boolean":
        field.update(_boolean_values(custom.data))

    view = _field_view_settings(custom, field_type) if custom is not None else {}
    _add_categories(field, view, custom, values, files, report)

    if view:
        field["x-datami"] = view
    return field


def _add_categories(
    field: dict[str, Any],
    view: dict[str, Any],
    custom: _Settings | None,
    values: Sequence[str],
    files: Mapping[str, str],
    report: _Report,
) -> None:
    """Turn Datami definitions into categories, and tags with definitions into a Table Schema list."""
    definitions = custom.items("definitions") if custom is not None else []
    constraints = dict(field.get("constraints") or {})
    enum = constraints.get("enum")
    if not definitions and not enum:
        return

    if definitions:
        categories, details = _categories(definitions, custom)
    else:
        categories, details = [{"value": value} for value in enum], []
    if details:
        view["categoryDetails"] = details

    separator = view.get("separator") if view.get("subtype") == "tags" else None
    if separator is not None:
        # A list field cannot carry "enum" (frictionless 5 rejects it), and the categories list the same codes.
        constraints.pop("enum", None)
        item_type = field["type"] if field["type"] in _LIST_ITEM_TYPES else "string"
        if field["type"] != "list" and field["type"] != "string":
            report.warn(
                TYPE_REPLACED,
                Location(file=files["schema"], field=field["name"]),
                declared=field["type"],
                kind=Phrase(KIND_TAGS, {"separator": separator}),
                type="list",
            )
        field["type"] = "list"
        field["delimiter"] = separator
        field["itemType"] = item_type
    field["categories"] = categories
    if constraints:
        field["constraints"] = constraints
    elif "constraints" in field:
        del field["constraints"]

    _report_values_outside(values, categories, separator, Location(file=files["csv"], field=field["name"]), report)


def _order_field_keys(field: dict[str, Any]) -> dict[str, Any]:
    """Return ``field`` with its keys in a fixed, readable order."""
    order = ("name", "title", "description", "type", "format", "delimiter", "itemType", "categories", "constraints")
    ordered = {key: field[key] for key in order if key in field}
    ordered.update({key: value for key, value in field.items() if key not in ordered and key != "x-datami"})
    if "x-datami" in field:
        ordered["x-datami"] = field["x-datami"]
    return ordered


def _primary_key(
    custom_fields: Mapping[str, _Settings], declared_key: Any, table: _Table, csv_file: str, report: _Report
) -> list[str]:
    """Return the primary-key columns marked in the custom properties or the schema, if unique and filled."""
    names = [name for name, custom in custom_fields.items() if custom.get("primaryKey") is True]
    if not names and declared_key:
        names = [declared_key] if isinstance(declared_key, str) else list(declared_key)
    names = [name for name in names if name in table.header]
    if not names:
        return []

    keys = [tuple(row[table.header.index(name)] for name in names) for row in table.rows]
    duplicates = sum(count - 1 for count in Counter(keys).values() if count > 1)
    empty = sum(1 for key in keys if any(part == "" for part in key))
    if duplicates or empty:
        for name in names:
            report.warn(PRIMARY_KEY_NOT_UNIQUE, Location(file=csv_file, field=name), duplicates=duplicates, empty=empty)
        return []
    return names


def _build_schema(
    table: _Table,
    schema_file: _SideFile | None,
    custom_file: _SideFile | None,
    files: Mapping[str, str],
    context: _Context,
) -> tuple[dict[str, Any], _Settings | None]:
    """Build the Table Schema, and return it with the custom-properties root left to read."""
    report = context.report
    declared_items = []
    declared_key = None
    if schema_file is not None and isinstance(schema_file.data, Mapping):
        declared_items = schema_file.data.get("fields") or []
        declared_key = schema_file.data.get("primaryKey")
    declared = _index_by_name(declared_items, "fields", files["schema"], report)
    if schema_file is not None:
        _report_schema_mismatches(table.header, declared, files["schema"], report)

    custom_root = None
    custom_fields: dict[str, _Settings] = {}
    if custom_file is not None and isinstance(custom_file.data, Mapping):
        custom_root = _Settings(custom_file.data, "", files["custom"], report)
        indexed = _index_by_name(custom_root.items("fields"), "fields", files["custom"], report)
        for name, item in indexed.items():
            if context.has_column(name):
                custom_fields[name] = _Settings(item, f"fields[{name}]", files["custom"], report, field=name)
            else:
                report.warn(SETTING_UNKNOWN_COLUMN, Location(file=files["custom"], field=name), setting="fields")

    inferred = _infer_types(table)
    fields = []
    for name in table.header:
        sources = _FieldSources(declared.get(name), custom_fields.get(name))
        fields.append(_build_field(name, sources, table, inferred[name], files, report))

    primary_key = _primary_key(custom_fields, declared_key, table, files["csv"], report)
    for field in fields:
        if field["name"] in primary_key:
            field["constraints"] = {**field.get("constraints", {}), "required": True}
    fields = [_order_field_keys(field) for field in fields]

    for custom in custom_fields.values():
        # "name" binds the entry. Datami no longer reads "sticky".
        custom.skip("name")
        custom.finish(not_read=("sticky", "separator"), not_imported=("foreignKey",))

    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if primary_key:
        schema["primaryKey"] = primary_key[0] if len(primary_key) == 1 else primary_key
    return schema, custom_root


# Resource view settings


def _views(options: _Settings) -> dict[str, Any]:
    """Read which views are on and which one opens first, as Datami picks it."""
    enabled = ["table"]
    default = "table"
    cards_view = options.child("cardsview")
    if cards_view is not None:
        cards_view.skip("activate", "default")
        cards_view.finish()

    for datami_key, name in (("cardsview", "cards"), ("datavizview", "charts"), ("mapview", "map")):
        view = options.data.get(datami_key)
        if not isinstance(view, Mapping) or not view.get("activate"):
            continue
        enabled.append(name)
        # Datami opens the first of cards, dataviz and map that is both active and default.
        if view.get("default") and default == "table":
            default = name
    return {"enabled": enabled, "default": default}


def _filters(options: _Settings, context: _Context) -> list[dict[str, Any]]:
    """Read the custom filters: one entry per field, with how its values combine."""
    settings = options.child("customfilters")
    if settings is None:
        return []
    active = settings.get("activate", False)

    filters = []
    for index, item in enumerate(settings.items("filterfields")):
        setting = settings.name(f"filterfields[{index}]")
        if not isinstance(item, Mapping):
            settings.warn(EXPECTED_OBJECT, setting=setting)
            continue
        entry = _Settings(item, setting, settings.file, context.report)
        name = entry.get("name")
        # Datami combines the values of one field with AND when "filtering" is absent.
        operator = entry.get("filtering", "AND")
        entry.finish()
        if not context.has_column(name):
            entry.warn(SETTING_UNKNOWN_COLUMN, field=str(name), setting=setting)
            continue
        if operator not in _FILTER_OPERATORS:
            entry.warn(UNKNOWN_VALUE, field=name, setting=entry.name("filtering"), value=operator)
            continue
        filters.append({"field": name, "operator": operator})
    settings.finish()
    # A switched-off filter bar shows nothing in Datami, so its fields are not imported.
    return filters if active else []


def _card_blocks(settings: _Settings | None, context: _Context) -> list[dict[str, Any]]:
    """Read one card layout (mini or detail): a block per column, in configuration order."""
    if settings is None:
        return []

    blocks = []
    for name in settings.data:
        block_settings = settings.child(name)
        settings.skip(name)
        if block_settings is None:
            continue
        if not context.has_column(name):
            settings.warn(SETTING_UNKNOWN_COLUMN, field=name, setting=settings.path)
            continue

        position = block_settings.get("position")
        normalised = _card_position(position, block_settings, name)
        if normalised is not None:
            block: dict[str, Any] = {"field": name, "position": normalised}
            if block_settings.has("block_title"):
                block["title"] = block_settings.get("block_title")
            if block_settings.has("right"):
                block["column"] = "right" if block_settings.get("right") else "left"
            blocks.append(block)
        block_settings.finish()
    return blocks


def _card_position(position: Any, settings: _Settings, name: str) -> str | None:
    """Return the ``x-datami`` name of a card position. A near miss such as "imge" is read as its match."""
    if position in _CARD_POSITIONS:
        return _CARD_POSITIONS[position]

    setting = settings.name("position")
    matches = difflib.get_close_matches(str(position), list(_CARD_POSITIONS), n=1, cutoff=0.8)
    if matches:
        correction = _CARD_POSITIONS[matches[0]]
        settings.warn(CARD_POSITION_TYPO, field=name, setting=setting, position=position, correction=correction)
        return correction
    settings.warn(CARD_POSITION_UNKNOWN, field=name, setting=setting, position=position)
    return None


def _placeholders(texts: Iterable[Any]) -> list[str]:
    """Return the column names that template texts refer to with {{ name }} or ~~ name ~~, in order."""
    names: list[str] = []
    for text in texts:
        strings = text.values() if isinstance(text, Mapping) else [text]
        for string in strings:
            for match in _TEMPLATE_PLACEHOLDER.finditer(str(string)):
                name = match.group(1) or match.group(2)
                if name not in names:
                    names.append(name)
    return names


def _card_templates(settings: _Settings | None, context: _Context) -> list[dict[str, Any]]:
    """Read the text templates. One keyed on a missing column is never shown by Datami, so it is dropped."""
    if settings is None:
        return []

    templates = []
    for key in settings.data:
        template = settings.child(key)
        settings.skip(key)
        if template is None:
            continue

        paragraphs = []
        for index, paragraph in enumerate(template.items("paragraphs")):
            if isinstance(paragraph, Mapping) and "text" in paragraph:
                paragraphs.append(paragraph["text"])
            else:
                template.warn(EXPECTED_OBJECT, setting=template.name(f"paragraphs[{index}]"))
        referenced = _placeholders(paragraphs)
        unknown = [name for name in referenced if not context.has_column(name)]

        if not context.has_column(key):
            template.warn(DEAD_TEMPLATE, template=key, placeholders=", ".join(referenced) or "-")
            template.skip("use_on_mini", "use_on_detail")
            template.finish()
            continue
        if unknown:
            template.warn(TEMPLATE_UNKNOWN_COLUMNS, field=key, setting=template.path, columns=", ".join(unknown))

        templates.append(
            {
                "field": key,
                "mini": bool(template.get("use_on_mini", False)),
                "detail": bool(template.get("use_on_detail", False)),
                "paragraphs": paragraphs,
            }
        )
        template.finish()
    return templates


def _geo_fields(settings: _Settings, key: str, target: dict[str, Any], context: _Context) -> None:
    """Copy ``item_geo_fields`` as ``latitudeField``/``longitudeField`` when both name columns."""
    geo = settings.child(key)
    if geo is None:
        return
    for datami_key, name in (("latitude", "latitudeField"), ("longitude", "longitudeField")):
        column = geo.get(datami_key)
        if context.has_column(column):
            target[name] = column
        elif column is not None:
            geo.warn(SETTING_UNKNOWN_COLUMN, field=str(column), setting=geo.name(datami_key))
    geo.finish()


def _minimap(settings: _Settings | None, context: _Context) -> dict[str, Any]:
    """Read the card-detail minimap: zooms, point columns and marker."""
    if settings is None:
        return {}

    minimap: dict[str, Any] = {"enabled": bool(settings.get("activate", False))}
    if settings.has("right_side"):
        minimap["column"] = "right" if settings.get("right_side") else "left"

    options = settings.child("mapOptions")
    if options is not None:
        minimap.update(_renamed(options, {"zoom": "zoom", "minZoom": "minZoom", "maxZoom": "maxZoom", "zoom_item": "itemZoom"}))
        _geo_fields(options, "item_geo_fields", minimap, context)
        marker = _renamed(
            options,
            {"marker_icon": "icon", "marker_height": "height", "marker_width": "width", "marker_color": "color"},
        )
        if marker:
            minimap["marker"] = marker
        options.finish()
    settings.finish()
    return minimap


def _cards(options: _Settings, context: _Context) -> dict[str, Any]:
    """Read the cards view: mini and detail layouts, templates, and whether the detail opens."""
    cards: dict[str, Any] = {}
    if options.has("cardsdetail"):
        cards["detailEnabled"] = bool(options.get("cardsdetail"))

    settings = options.child("cardssettings")
    if settings is None:
        return cards

    for key in ("mini", "detail"):
        layout = settings.child(key)
        blocks = _card_blocks(layout, context)
        if layout is not None:
            layout.finish()
            cards[key] = blocks

    templates_settings = settings.child("templates")
    templates = _card_templates(templates_settings, context)
    if templates_settings is not None:
        templates_settings.finish()
    if templates:
        cards["templates"] = templates

    settings.skip("minimap")
    settings.finish()
    return cards


# Map settings: Datami key -> x-datami key, shared by every layer kind.
_LAYER_RENAMES = {
    "layer_id": "id",
    "is_activated": "enabled",
    "is_default_visible": "visible",
    "is_clickable": "clickable",
    "min_zoom": "minZoom",
    "max_zoom": "maxZoom",
    "add_zoom_on_click": "zoomOnClick",
    "direct_to_detail": "openDetailOnClick",
    "circle_color": "color",
    "circle_stroke_color": "strokeColor",
    "circle_stroke_width": "strokeWidth",
    "circle_opacity": "opacity",
    "circle_radius": "radius",
    "radius_min": "radiusMin",
    "radius_max": "radiusMax",
    "text_size": "textSize",
    "text_color": "textColor",
    "prop_weight": "weightProperty",
    "source_url": "url",
    "polygon_prop_id": "polygonIdProperty",
    "agregated_data_field": "valueProperty",
    "fill_color": "fillColor",
    "fill_opacity": "fillOpacity",
    "fill_outline_color": "outlineColor",
}

# Keys that wire MapLibre sources inside Datami's page. A package has one data source, so
# they carry no setting.
_LAYER_WIRING = ("source_id", "source", "is_source_distant", "update_src_from_previous_layer")

# Keys present in configurations that Datami never reads (checked against Datami at commit
# e05768f, 2024-06-20).
_MAP_NOT_READ = (
    "url",
    "attribution",
    "subdomains",
    "useMarkerCluster",
    "pinIconSize",
    "DEPRECATED_pinIconUrl",
)
_LAYER_NOT_READ = (
    "is_hoverable",
    "change_source_by_zoom",
    *(f"circle_color_{step}" for step in (100, 250, 500, 750)),
    *(f"circle_radius_{step}" for step in (100, 250, 500, 750)),
)

_LAYER_KINDS = {
    "all_points_layer": "points",
    "cluster_circles_layer": "clusters",
    "cluster_count_layer": "clusterCounts",
    "cluster_unclustered_layer": "unclusteredPoints",
    "choropleth_layer": "choropleth",
    "heatmap_layer": "heatmap",
}


def _layer(settings: _Settings, context: _Context) -> dict[str, Any]:
    """Read one map layer (or choropleth source) into its ``x-datami`` form."""
    layer = _renamed(settings, _LAYER_RENAMES)
    settings.skip(*_LAYER_WIRING)

    if settings.get("is_live_data"):
        settings.warn(KEY_NOT_IMPORTED, setting=settings.name("is_live_data"))
    # The refresh delay only applies to live data, which is reported above when on.
    settings.skip("refresh_delay")

    hover = settings.get("hover_infos")
    if hover:
        settings.warn(KEY_NOT_IMPORTED, setting=settings.name("hover_infos"))

    join_field = settings.get("join_polygon_id_to_field")
    if join_field is not None:
        if context.has_column(join_field):
            layer["joinField"] = join_field
        else:
            settings.warn(SETTING_UNKNOWN_COLUMN, field=str(join_field), setting=settings.name("join_polygon_id_to_field"))
    if settings.get("need_aggregation"):
        layer["aggregation"] = "count"

    # A popup switched off with "has_popup": false is never shown, so its lines are not imported.
    has_popup = settings.get("has_popup")
    popup_settings = settings.child("popup_config")
    if popup_settings is not None and has_popup:
        layer["popup"] = _popup(popup_settings, context)

    legend = settings.child("legend")
    if legend is not None:
        layer["legend"] = _legend(legend)

    sources = settings.items("sources")
    if sources:
        layer["sources"] = [
            _layer(_Settings(source, settings.name(f"sources[{index}]"), settings.file, context.report), context)
            for index, source in enumerate(sources)
            if isinstance(source, Mapping)
        ]
    settings.finish(not_read=_LAYER_NOT_READ)
    return layer


def _popup(settings: _Settings, context: _Context) -> dict[str, Any]:
    """Read a point popup: what opens it, and its lines in order."""
    popup: dict[str, Any] = {}
    if settings.has("action"):
        popup["trigger"] = settings.get("action")

    lines = []
    fields = settings.child("fields_settings")
    for key in fields.data if fields is not None else ():
        line_settings = fields.child(key)
        fields.skip(key)
        if line_settings is None:
            continue
        line: dict[str, Any] = {}
        # "_datami_" is Datami's pseudo-column for a line that only shows its prefix and suffix.
        if key != "_datami_":
            if not context.has_column(key):
                fields.warn(SETTING_UNKNOWN_COLUMN, field=key, setting=fields.path)
                line_settings.skip(*line_settings.data)
                continue
            line["field"] = key
        line["position"] = line_settings.get("position")
        for part in ("prefix", "suffix"):
            if line_settings.get(part) is not None:
                line[part] = line_settings.get(part)
        # "class" contains CSS classes of Datami's own style sheet, which mean nothing elsewhere.
        line_settings.skip("class")
        line_settings.finish()
        lines.append(line)
    if fields is not None:
        fields.finish()

    popup["lines"] = lines
    settings.finish()
    return popup


def _legend(settings: _Settings) -> dict[str, Any]:
    """Read a choropleth legend: position, title and colour scale."""
    legend = _renamed(settings, {"position": "position", "title": "title"})
    scales = []
    for index, item in enumerate(settings.items("scales")):
        if isinstance(item, Mapping):
            scale = _Settings(item, settings.name(f"scales[{index}]"), settings.file, settings.report)
            scales.append(_renamed(scale, {"value": "label", "color": "color"}))
            scale.finish()
    legend["scales"] = scales
    settings.finish()
    return legend


def _layer_switcher(settings: _Settings, layer_ids: set[str]) -> dict[str, Any]:
    """Read the layer switcher drawer, and report switches naming layers that were not imported."""
    switcher = _renamed(settings, {"is_activated": "enabled", "is_drawer_open": "open"})
    switches = []
    for index, item in enumerate(settings.items("layers_switches")):
        if not isinstance(item, Mapping):
            continue
        entry = _Settings(item, settings.name(f"layers_switches[{index}]"), settings.file, settings.report)
        switch = _renamed(entry, {"label": "label", "layers": "layers", "default_visible": "visible"})
        for layer in switch.get("layers", []):
            if layer not in layer_ids:
                entry.warn(UNKNOWN_LAYER, label=switch.get("label"), layer=layer)
        entry.finish()
        switches.append(switch)
    switcher["switches"] = switches
    settings.finish()
    return switcher


def _layer_ids(layers: Mapping[str, Any]) -> set[str]:
    ids = set()
    for layer in layers.values():
        if "id" in layer:
            ids.add(layer["id"])
        ids.update(source["id"] for source in layer.get("sources", []) if "id" in source)
    return ids


def _map(options: _Settings, source_root: Path, context: _Context) -> dict[str, Any]:
    """Read the map view: its frame in the page, then the map settings side file."""
    view = options.child("mapview")
    if view is None:
        return {}
    view.skip("activate", "default")

    maps = view.items("maps")
    if len(maps) > 1:
        view.warn(EXTRA_MAP_SKIPPED, count=len(maps))
    if not maps or not isinstance(maps[0], Mapping):
        view.finish()
        return {}

    frame = _Settings(maps[0], view.name("maps[0]"), view.file, context.report)
    result = _renamed(frame, {"title": "title", "height": "height", "cols": "columns"})
    side_file = _side_file(frame, source_root)
    frame.finish()
    view.finish()
    if side_file is None or not isinstance(side_file.data, Mapping):
        return result

    root = _Settings(side_file.data, "", side_file.display, context.report)
    settings = root.child("mapOptions")
    if settings is not None:
        result.update(_map_options(settings, context))
    root.finish()
    return result


def _map_options(settings: _Settings, context: _Context) -> dict[str, Any]:
    """Read ``mapOptions``: view, basemap style, point columns, marker, layers and switcher."""
    result: dict[str, Any] = {}
    center = settings.get("center")
    if isinstance(center, list) and len(center) == 2:
        # MapLibre orders a centre as [longitude, latitude].
        result["center"] = {"longitude": center[0], "latitude": center[1]}
    result.update(_renamed(settings, {"zoom": "zoom", "minZoom": "minZoom", "maxZoom": "maxZoom", "mapStyle": "basemap"}))
    _geo_fields(settings, "item_geo_fields", result, context)

    marker = _renamed(
        settings,
        {"item_marker": "icon", "item_marker_color": "color", "item_marker_offset": "offset", "item_marker_anchor": "anchor"},
    )
    if marker:
        result["marker"] = marker

    layers_settings = settings.child("map_layers")
    layers: dict[str, Any] = {}
    if layers_settings is not None:
        for datami_key, name in _LAYER_KINDS.items():
            layer_settings = layers_settings.child(datami_key)
            if layer_settings is not None:
                layers[name] = _layer(layer_settings, context)
        layers_settings.finish()
    result["layers"] = layers

    switcher = settings.child("layers_visibility")
    if switcher is not None:
        result["layerSwitcher"] = _layer_switcher(switcher, _layer_ids(layers))
    settings.finish(not_read=_MAP_NOT_READ)
    return result


def _charts(options: _Settings, source_root: Path, context: _Context) -> list[dict[str, Any]]:
    """Read the dataviz settings side file: one chart per entry."""
    view = options.child("datavizview")
    if view is None:
        return []
    view.skip("activate", "default")
    side_file = _side_file(view, source_root)
    view.finish()
    if side_file is None or not isinstance(side_file.data, Mapping):
        return []

    root = _Settings(side_file.data, "", side_file.display, context.report)
    charts = []
    for index, item in enumerate(root.items("charts")):
        if isinstance(item, Mapping):
            chart = _chart(_Settings(item, f"charts[{index}]", side_file.display, context.report), context)
            if chart is not None:
                charts.append(chart)
    root.finish()
    return charts


def _chart(settings: _Settings, context: _Context) -> dict[str, Any] | None:
    """Read one chart. ApexCharts options other than kind, size and colours are kept as they are."""
    chart = _renamed(settings, {"title": "title", "cols": "columns", "unit": "unit"})

    for datami_key, name in (("aggregatebyfield", "field"), ("categoriesbyfield", "categoriesField")):
        column = settings.get(datami_key)
        if column is None:
            continue
        if not context.has_column(column):
            settings.warn(SETTING_UNKNOWN_COLUMN, field=str(column), setting=settings.name(datami_key))
            settings.finish()
            return None
        chart[name] = column

    aggregation = settings.get("aggregationtype", "countitems")
    if aggregation == "countitems":
        chart["aggregation"] = "count"
    else:
        # Datami only implements counting.
        settings.warn(UNKNOWN_VALUE, setting=settings.name("aggregationtype"), value=aggregation)

    apex = dict(settings.get("chartOptions") or {})
    frame = dict(apex.pop("chart", {}) or {})
    for datami_key, name in (("type", "kind"), ("height", "height"), ("width", "width")):
        if datami_key in frame:
            chart[name] = frame.pop(datami_key)
    if "colors" in apex:
        chart["colors"] = apex.pop("colors")
    if frame:
        apex["chart"] = frame
    if apex:
        chart["apexcharts"] = apex
    settings.finish()
    return chart


def _consolidation(custom_root: _Settings | None, context: _Context) -> list[dict[str, Any]]:
    """Read the consolidation APIs: URL template, source columns and where results go."""
    if custom_root is None:
        return []

    services = []
    for index, item in enumerate(custom_root.items("consolidation")):
        if not isinstance(item, Mapping):
            continue
        settings = _Settings(item, f"consolidation[{index}]", custom_root.file, context.report)
        service = _renamed(settings, {"api_name": "name", "activate": "enabled", "api": "url"})

        sources = []
        for source in settings.items("source_fields"):
            name = source.get("name") if isinstance(source, Mapping) else None
            if context.has_column(name):
                sources.append(name)
            else:
                settings.warn(SETTING_UNKNOWN_COLUMN, field=str(name), setting=settings.name("source_fields"))
        service["sourceFields"] = sources

        results = []
        for result in settings.items("results_fields"):
            if not isinstance(result, Mapping):
                continue
            target = result.get("map_to_field")
            if context.has_column(target):
                results.append({"responsePath": result.get("resp_field"), "field": target})
            else:
                settings.warn(SETTING_UNKNOWN_COLUMN, field=str(target), setting=settings.name("results_fields"))
        service["results"] = results

        unknown = [name for name in _placeholders([service.get("url", "")]) if not context.has_column(name)]
        if unknown:
            settings.warn(TEMPLATE_UNKNOWN_COLUMNS, setting=settings.name("api"), columns=", ".join(unknown))
        settings.finish()
        services.append(service)
    return services


def _resource_view_settings(
    tab: _Settings, options: _Settings | None, custom_root: _Settings | None, source_root: Path, context: _Context
) -> dict[str, Any]:
    """Build the resource's ``x-datami`` object from the tab, its options and the side files."""
    view: dict[str, Any] = {}
    if tab.get("onlypreview"):
        view["readOnly"] = True
    if options is None:
        view["views"] = {"enabled": ["table"], "default": "table"}
        return view

    if options.has("height"):
        view["height"] = options.get("height")
    if options.has("lockcolumns"):
        view["lockHeaders"] = bool(options.get("lockcolumns"))
    view["views"] = _views(options)

    sections = {
        "filters": _filters(options, context),
        "cards": _cards(options, context),
        "minimap": {},
        "map": _map(options, source_root, context),
        "charts": _charts(options, source_root, context),
        "consolidation": _consolidation(custom_root, context),
    }
    cards_settings = options.data.get("cardssettings")
    if isinstance(cards_settings, Mapping) and isinstance(cards_settings.get("minimap"), Mapping):
        minimap = _Settings(cards_settings["minimap"], options.name("cardssettings.minimap"), options.file, context.report)
        sections["minimap"] = _minimap(minimap, context)

    for key, value in sections.items():
        if value:
            view[key] = value
    return view


# Package


def _slug(text: str) -> str:
    """Return a Data Package name: lower-case ASCII letters, digits and hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "data"


def _resource_name(schema_display: str | None, csv_path: Path) -> str:
    """Name the resource after the schema side file without its "-schema" suffix, else after the CSV file."""
    if schema_display is not None:
        stem = PurePosixPath(schema_display).stem
        if stem.endswith("-schema"):
            return _slug(stem.removesuffix("-schema"))
    return _slug(csv_path.stem)


def _check_metadata(metadata: Any, display: str | None = None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping) or "resources" in metadata:
        raise DatamiError(METADATA_INVALID, Location(file=display))
    return dict(metadata)


def load_metadata(path: Path) -> dict[str, Any]:
    """Read a JSON file of package properties for the ``metadata`` argument of :func:`import_datami`.

    Raises:
        DatamiError: when the file is missing, unreadable, not JSON, not an object, or
            contains ``resources``.
    """
    return _check_metadata(_load_json(Path(path), str(path)), str(path))


def import_datami(
    gitfiles: Path,
    source_root: Path,
    *,
    tab: str | None = None,
    csv_path: Path | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> ImportResult:
    """Convert one CSV tab of a Datami ``gitfiles`` configuration into a data package.

    ``gitfiles`` is a JSON file containing the ``gitfiles`` attribute of a
    ``<datami-multi-files>`` element. Repository URLs in it are read from the local
    checkout ``source_root`` (see :func:`resolve_repository_url`). ``tab`` is a tab title;
    by default the tab marked ``default-tab``, else the first active CSV tab, is used.
    ``csv_path`` replaces the tab's CSV file. ``metadata`` holds package properties
    (``name``, ``title``, ``description``, ``licenses``, ``sources``…) that replace the
    generated ones; it must not contain ``resources``.

    Nothing is written: the caller writes the result (see :mod:`datami_py.cli_import`).

    Raises:
        DatamiError: when a file is missing, unreadable or invalid, a URL is unsupported or
            leaves ``source_root``, the tab does not exist, or the CSV header has an empty or
            repeated label.
    """
    source_root = Path(source_root)
    gitfiles = Path(gitfiles)
    extra_metadata = _check_metadata(metadata)
    gitfiles_display = _display_path(gitfiles, source_root)
    tabs = _load_json(gitfiles, gitfiles_display)
    if not isinstance(tabs, list):
        raise DatamiError(CONFIG_NOT_A_LIST, Location(file=gitfiles_display))

    report = _Report()
    tab_data = _select_tab(tabs, tab)
    tab_settings = _Settings(tab_data, "", gitfiles_display, report)
    tab_title = str(tab_settings.get("title") or "")
    csv_url = tab_settings.get("gitfile")
    _read_tab_plumbing(tab_settings)

    options = tab_settings.child("options")
    csv_file = Path(csv_path) if csv_path is not None else resolve_repository_url(csv_url, source_root)
    csv_display = _display_path(csv_file, source_root)
    is_tsv = csv_file.suffix.lower() == ".tsv"
    delimiter = "\t" if is_tsv else ","
    quote_char = '"'
    if options is not None:
        # Datami parses the file with the tab's "separator" and "quoteChar" options.
        delimiter = options.get("separator", delimiter)
        quote_char = options.get("quoteChar", quote_char)
    table = _read_table(csv_file, csv_display, delimiter, quote_char)
    context = _Context(table.header, report)

    schema_file = _side_file_entry(options, "schema", source_root)
    custom_file = _side_file_entry(options, "fields-custom-properties", source_root)
    files = {
        "csv": csv_display,
        "schema": schema_file.display if schema_file else gitfiles_display,
        "custom": custom_file.display if custom_file else gitfiles_display,
    }
    schema, custom_root = _build_schema(table, schema_file, custom_file, files, context)

    view = _resource_view_settings(tab_settings, options, custom_root, source_root, context)
    if custom_root is not None:
        # Datami's own custom-properties file marks "validation" as not implemented.
        custom_root.finish(not_read=("validation",))
    if options is not None:
        options.finish(not_imported=("pagination", "customsorting"))
    tab_settings.finish()

    name = _resource_name(schema_file.display if schema_file else None, csv_file)
    resource = _resource_descriptor(name, tab_title, csv_url, csv_file, table, delimiter, quote_char, view)
    package = {
        "name": name,
        "title": tab_title or name,
        "description": f"Imported from the Datami widget configuration, tab “{tab_title}”.",
        **extra_metadata,
        "resources": [resource],
    }
    return ImportResult(package=package, schema=schema, report=report.ordered(), csv_path=csv_file)


def _read_tab_plumbing(tab: _Settings) -> None:
    """Consume the tab keys that only wire the widget to its page, reporting those that matter."""
    # "activate" and "default-tab" chose the tab, and "gitfilelocal" points at a developer's
    # machine.
    tab.skip("activate", "default-tab", "gitfilelocal")
    if tab.get("localdev"):
        tab.warn(LOCALDEV_IGNORED, setting="localdev")
    if tab.get("usertoken"):
        tab.warn(TOKEN_IGNORED, setting="usertoken")


def _resource_descriptor(
    name: str,
    tab_title: str,
    csv_url: Any,
    csv_file: Path,
    table: _Table,
    delimiter: str,
    quote_char: str,
    view: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the resource descriptor, with paths relative to the folder the package is written to."""
    is_tsv = csv_file.suffix.lower() == ".tsv"
    dialect: dict[str, Any] = {"delimiter": delimiter}
    if quote_char != '"':
        dialect["quoteChar"] = quote_char

    resource: dict[str, Any] = {
        "name": name,
        "type": "table",
        "path": f"data/{csv_file.name}",
        "format": "tsv" if is_tsv else "csv",
        "mediatype": "text/tab-separated-values" if is_tsv else "text/csv",
        # A byte order mark must be declared, or the first column's name would start with it.
        "encoding": "utf-8-sig" if table.has_bom else "utf-8",
        "dialect": dialect,
        "schema": f"schemas/{name}.json",
    }
    if tab_title:
        resource["title"] = tab_title
    if isinstance(csv_url, str) and csv_url:
        resource["sources"] = [{"title": f"Datami widget tab “{tab_title}”", "path": csv_url}]
    resource["x-datami"] = view
    return resource
