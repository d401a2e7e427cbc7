"""Clean-up fixes: cell changes proposed for known data-quality problems, applied as edits.

A fix kind finds the cells it would change and proposes a :class:`Fix` for each. Applying
fixes is ordinary :meth:`Table.set_cell` calls (or :meth:`JournaledTable.set_cell`, which
journals them), so they can be undone, show in ``datami diff`` and save byte for byte like
any other edit. A fix never touches the header or a cell it does not list.

The kinds, in the order they compose:

* ``trim``: delete outer whitespace (what :meth:`str.strip` removes) in the fields checked
  as text, code fields first.
* ``nfc``: normalize the fields checked as text to Unicode NFC.
* ``codes``: rewrite a multi-valued code cell as :func:`quality.check_codes` spells it
  (known codes, the field's delimiter, no repeats), only when every part is a known code.
* ``scheme``: add ``https://`` to a link without a scheme, when :func:`quality.check_link`
  suggests exactly that and reports nothing else wrong.
* ``postcode``: restore the leading zero of a French postcode written with 4 digits, when
  another column of the row (a département code, or a 5-digit postcode) gives the same
  département. Rows without such a column, or whose columns disagree, are left alone.
* ``links``: repair a link to a file of a Git repository that is not in the repository's
  file list, when exactly one file there matches it (see :mod:`datami_py.links`). It needs
  a :class:`~datami_py.links.LinkChecker`, which reads the file lists; without one it
  finds nothing.

``codes``, ``scheme`` and ``postcode`` keep the cell's outer whitespace, which is ``trim``'s
business. When several kinds change one cell, each later kind starts from the value the
earlier ones left, so applying ``trim`` and then ``nfc`` gives the same cells as applying
both at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from datami_py import quality
from datami_py.errors import DatamiError
from datami_py.i18n import message
from datami_py.table import Edit, Table
from datami_py.validation.quality_rules import QualityRules

if TYPE_CHECKING:
    from datami_py.links import LinkChecker

KINDS: tuple[str, ...] = ("trim", "nfc", "codes", "scheme", "postcode", "links")

DESCRIPTIONS: dict[str, str] = {
    "trim": message("fixes.trim", "Delete the spaces at the start and end of text cells."),
    "nfc": message("fixes.nfc", "Store accented letters as single characters (Unicode NFC)."),
    "codes": message(
        "fixes.codes",
        "Write multi-valued codes as the schema defines them, joined by the field's delimiter without spaces.",
    ),
    "scheme": message("fixes.scheme", "Add https:// to links that have no scheme."),
    "postcode": message(
        "fixes.postcode",
        "Restore the leading zero of 4-digit French postcodes, when another column of the row gives the same département.",
    ),
    "links": message(
        "fixes.links",
        "Repair links to files of a Git repository that has no file of that name, when exactly one file there matches.",
    ),
}

# Kinds that change coordinates found by the address API: each result is shown for review
# before it is applied, so find_fixes never proposes them. The CLI runs them through
# datami_py.cli_geocode on the rows of datami_py.geo.checks.rows_to_geocode.
REVIEWED_KINDS: tuple[str, ...] = ("regeocode",)
DESCRIPTIONS["regeocode"] = message(
    "fixes.regeocode",
    "Geocode again the rows whose point lies outside the département of their address, after a review of each result.",
)

UNKNOWN_KIND = message(
    "fixes.unknown-kind",
    "“{kind}” is not a kind of fix. Known kinds: {kinds}. Run “datami fix --list” to see what each one changes.",
)

# Normalized field names (see _name_tokens) that hold a French postcode or a département code.
_POSTCODE_NAME_ENDINGS = ("codepostal", "postcode", "postalcode", "zipcode")
_POSTCODE_LAST_WORDS = ("cp", "zip")
_DEPARTMENT_NAME_ENDINGS = ("depcode", "codedep", "codedepartement", "departementcode", "departement", "numdep")
_DEPARTMENT_LAST_WORDS = ("dep", "dept")

_FOUR_DIGITS = re.compile(r"\d{4}", re.ASCII)
_FIVE_DIGITS = re.compile(r"\d{5}", re.ASCII)
# A département code as written in a cell: 1 to 3 digits (9, 09, 971), 2A or 2B.
_DEPARTMENT_CODE = re.compile(r"\d{1,3}|2[AB]", re.ASCII | re.IGNORECASE)


@dataclass(frozen=True)
class Fix:
    """One proposed cell change: the kind that proposes it, the row id, the field, and the text before and after."""

    kind: str
    row: int
    field: str
    before: str
    after: str


class CellEditor(Protocol):
    """The editing interface of :func:`apply_fixes`: a :class:`Table` or a :class:`~datami_py.journal.JournaledTable`."""

    def set_cell(self, row: int, name: str, text: str) -> Edit | None: ...


def find_fixes(table: Table, settings: dict[str, Any], kinds: Iterable[str] = KINDS, *,
               links: LinkChecker | None = None) -> list[Fix]:
    """Return the fixes of ``kinds`` for the current cells of ``table``, ready for :func:`apply_fixes`.

    ``settings`` are the resource's Datami settings, which :meth:`QualityRules.for_table`
    reads to choose the fields of each kind. Fixes come in :data:`KINDS` order, then by
    field, then by row. A cell changed by several kinds gets one fix per kind, and each
    fix's ``before`` is the previous fix's ``after``. Missing values (the schema's
    ``missingValues``) are never changed, and a fix that would give two rows the same
    primary key is dropped. ``links`` proposes fixes only when the checker ``links`` is given.

    NOTE: ``trim`` and ``nfc`` also change primary-key cells. :meth:`Session.diff` matches
    rows by key, so it shows such a row as deleted and added rather than as changed cells.

    Raises:
        DatamiError: ``fixes.unknown-kind`` for a kind not in :data:`KINDS`.
    """
    requested = set(kinds)
    for kind in requested:
        if kind not in KINDS:
            raise DatamiError(UNKNOWN_KIND, kind=kind, kinds=", ".join(KINDS))

    rules = QualityRules.for_table(table, settings)
    rows = list(table.iter_rows())
    current: dict[tuple[int, str], str] = {}
    fixes: list[Fix] = []
    for kind in KINDS:
        if kind not in requested or (kind == "links" and links is None):
            continue
        for name in _fields_of(kind, table, rules):
            for row in rows:
                before = current.get((row, name), table.cell(row, name))
                if before is None or table.is_missing(before):
                    continue
                if kind == "links" and links is not None:
                    after = links.repaired_text(before, relative=name in rules.link_field_set)
                else:
                    after = _fixed_value(kind, table, rules, row, name, before)
                if after is None or after == before:
                    continue
                fixes.append(Fix(kind, row, name, before, after))
                current[(row, name)] = after
    return _without_duplicate_keys(table, fixes, current)


def count_fixes(table: Table, settings: dict[str, Any], *, links: LinkChecker | None = None) -> dict[str, int]:
    """Return, for each kind in :data:`KINDS` order, the number of cells it would change if applied alone.

    ``links`` is counted only when the checker ``links`` is given, because without it
    the links cannot be compared with any file list.
    """
    kinds = [kind for kind in KINDS if kind != "links" or links is not None]
    return {kind: len(find_fixes(table, settings, (kind,), links=links)) for kind in kinds}


def apply_fixes(editor: CellEditor, fixes: Sequence[Fix]) -> int:
    """Apply ``fixes`` in order, each as one undoable edit, and return the number of edits made.

    ``editor`` is a :class:`Table` or a :class:`~datami_py.journal.JournaledTable`; through
    the latter every edit is journaled. A fix whose ``before`` no longer matches the cell
    (someone edited it since the fixes were found), or whose row was deleted since, is
    skipped, so a stale fix never overwrites newer text.
    """
    table: Table = getattr(editor, "table", editor)
    applied = 0
    for fix in fixes:
        if _is_stale(table, fix.row, fix.field, fix.before):
            continue
        if editor.set_cell(fix.row, fix.field, fix.after) is not None:
            applied += 1
    return applied


def apply_chosen_fixes(editor: CellEditor, shown: Sequence[Fix], chosen: Iterable[Fix]) -> int:
    """Apply the fixes an editor ticked among ``shown`` (a :func:`find_fixes` result), one edit per cell.

    A cell takes the ``after`` of its last chosen fix. That value contains the earlier
    fixes of its chain, because each fix starts from the previous one's result, so
    ticking "add https://" on a link with an outer space also trims it. A cell that no
    longer has the value the first of its fixes started from is skipped, as in
    :func:`apply_fixes`. Returns the number of edits made.
    """
    table: Table = getattr(editor, "table", editor)
    wanted = set(chosen)
    first: dict[tuple[int, str], Fix] = {}
    last_chosen: dict[tuple[int, str], Fix] = {}
    for fix in shown:
        first.setdefault((fix.row, fix.field), fix)
        if fix in wanted:
            last_chosen[(fix.row, fix.field)] = fix

    applied = 0
    for cell, fix in last_chosen.items():
        if _is_stale(table, fix.row, fix.field, first[cell].before):
            continue
        if editor.set_cell(fix.row, fix.field, fix.after) is not None:
            applied += 1
    return applied


def _is_stale(table: Table, row: int, name: str, before: str | None) -> bool:
    """True when ``row`` was deleted, or its cell no longer contains ``before``, since the fix was found."""
    return not table.has_row(row) or table.cell(row, name) != before


# ---------------------------------------------------------------------------------------------
# Fields and values of each kind
# ---------------------------------------------------------------------------------------------


def _fields_of(kind: str, table: Table, rules: QualityRules) -> list[str]:
    if kind == "trim":
        code_fields = [name for name in rules.text_fields if name in rules.code_fields]
        return code_fields + [name for name in rules.text_fields if name not in rules.code_fields]
    if kind == "nfc":
        return list(rules.text_fields)
    if kind == "codes":
        return list(rules.code_fields)
    if kind == "scheme":
        return list(rules.link_fields)
    if kind == "links":
        # Any field may hold a URL into a repository; relative paths count only in link fields.
        return [str(item.get("name")) for item in table.fields if table.column_of(str(item.get("name"))) is not None]
    return _postcode_fields(table)


def _fixed_value(kind: str, table: Table, rules: QualityRules, row: int, name: str, value: str) -> str | None:
    """Return ``value`` with the fix of ``kind`` applied, or None when the kind leaves it alone."""
    if kind == "trim":
        return value.strip()
    if kind == "nfc":
        # NOTE: a link or file name that points to a file stored under a decomposed name
        # stops matching it once normalized. The links kind, which runs later, finds it again.
        return unicodedata.normalize("NFC", value)

    leading, text, trailing = _split_outer_whitespace(value)
    if kind == "codes":
        codes, delimiter = rules.code_fields[name]
        parse = quality.check_codes(text, codes, delimiter)
        if parse.unknown or not parse.canonical:
            return None
        return leading + parse.canonical + trailing
    if kind == "scheme":
        fixed = _link_with_scheme(text)
        return None if fixed is None else leading + fixed + trailing
    fixed = _postcode_with_zero(table, row, name, text)
    return None if fixed is None else leading + fixed + trailing


def _split_outer_whitespace(value: str) -> tuple[str, str, str]:
    text = value.strip()
    if not text:
        return value, "", ""
    start = len(value) - len(value.lstrip())
    return value[:start], text, value[start + len(text):]


def _link_with_scheme(link: str) -> str | None:
    """Return ``https://`` + ``link`` when that is the only fix :func:`quality.check_link` suggests."""
    issues = quality.check_link(link)
    suggestion = f"https://{link}"
    if len(issues) != 1 or issues[0].code != quality.LINK_NO_SCHEME:
        return None
    if issues[0].params.get("suggestion") != suggestion:
        return None  # An e-mail address gets mailto:, which this fix does not add.
    return suggestion


# ---------------------------------------------------------------------------------------------
# Postcodes
# ---------------------------------------------------------------------------------------------


def _name_tokens(name: str) -> list[str]:
    """Split a field name into lowercase words without accents: "BAN_depcode" gives ["ban", "depcode"]."""
    decomposed = unicodedata.normalize("NFD", name)
    bare = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.findall(r"[a-z0-9]+", bare.casefold())


def _is_postcode_field(name: str) -> bool:
    tokens = _name_tokens(name)
    return bool(tokens) and ("".join(tokens).endswith(_POSTCODE_NAME_ENDINGS) or tokens[-1] in _POSTCODE_LAST_WORDS)


def _is_department_field(name: str) -> bool:
    tokens = _name_tokens(name)
    return bool(tokens) and ("".join(tokens).endswith(_DEPARTMENT_NAME_ENDINGS) or tokens[-1] in _DEPARTMENT_LAST_WORDS)


def _postcode_fields(table: Table) -> list[str]:
    """Return the string fields whose name says they hold a postcode (CODE_POSTAL, BAN_postcode, cp…)."""
    return [
        str(item.get("name"))
        for item in table.fields
        if item.get("type", "string") == "string"
        and _is_postcode_field(str(item.get("name")))
        and table.column_of(str(item.get("name"))) is not None
    ]


def _postcode_department(postcode: str) -> str:
    """Return the département of a 5-digit postcode: 3 digits overseas (971…), else the first 2.

    NOTE: Corsican postcodes start with 20, which this returns instead of 2A or 2B, and a
    few communes have the postcode of a neighbouring département's post office. Both
    can only prevent a fix, never make a wrong one, because the fix needs two columns to agree.
    """
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    return postcode[:2]


def _row_department(table: Table, row: int, postcode_field: str) -> str | None:
    """Return the département that the other columns of ``row`` agree on, or None when unknown or in conflict."""
    departments: set[str] = set()
    for item in table.fields:
        name = str(item.get("name"))
        if name == postcode_field or table.column_of(name) is None:
            continue
        text = (table.cell(row, name) or "").strip()
        if not text:
            continue
        if _is_postcode_field(name) and _FIVE_DIGITS.fullmatch(text):
            departments.add(_postcode_department(text))
        elif _is_department_field(name) and _DEPARTMENT_CODE.fullmatch(text):
            departments.add(text.upper().zfill(2))

    if len(departments) != 1:
        return None
    return departments.pop()


def _postcode_with_zero(table: Table, row: int, name: str, text: str) -> str | None:
    if not _FOUR_DIGITS.fullmatch(text):
        return None
    fixed = "0" + text
    if _row_department(table, row, name) != _postcode_department(fixed):
        return None
    return fixed


# ---------------------------------------------------------------------------------------------
# Primary keys
# ---------------------------------------------------------------------------------------------


def _without_duplicate_keys(table: Table, fixes: list[Fix], final: dict[tuple[int, str], str]) -> list[Fix]:
    """Drop the primary-key fixes of every row whose fixed key another row would also have.

    ``final`` maps each fixed cell to its value once all fixes are applied.
    """
    key_fields = [name for name in table.primary_key if table.column_of(name) is not None]
    changed_rows = {fix.row for fix in fixes if fix.field in key_fields}
    if not changed_rows:
        return fixes

    def key(row: int) -> tuple[str | None, ...]:
        return tuple(final.get((row, name), table.cell(row, name)) for name in key_fields)

    counts = Counter(key(row) for row in table.iter_rows())
    clashing = {row for row in changed_rows if counts[key(row)] > 1}
    return [fix for fix in fixes if not (fix.row in clashing and fix.field in key_fields)]
