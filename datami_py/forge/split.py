"""Split a batch of clean-ups into one proposal per kind of fix.

A reviewer can then merge the trimmed spaces without merging, say, the repaired links.
Each saved cell change is attributed to the fix kind that produces it from the committed
value (see :func:`datami_py.fixes.find_fixes`). The proposal of a kind is the committed
file with only that kind's cells changed, so each one applies to the base branch on its
own. A cell that several kinds change (spaces trimmed, then accents normalized) goes with
the first kind, in :data:`~datami_py.fixes.KINDS` order, with its final value. A change
that no fix explains goes in the proposal of geocoded coordinates when it is a cell of
the map's coordinate fields, else in a last proposal of other edits (an edit typed by
hand, say), so that nothing saved is left out.

NOTE: two proposals that change different cells of one row change the same CSV line, so
once one is merged, GitHub reports a conflict in the other. Proposing the batch again
from the same saved edits rebuilds the remaining ones on the new base, merged cell by
cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from datami_py.csvfile import CsvDocument
from datami_py.errors import DatamiError, Location
from datami_py.fixes import KINDS, Fix, find_fixes
from datami_py.forge.proposal import Proposal, TableFormat, ValidationSummary
from datami_py.forge.tokens import Secret
from datami_py.gitrepo import committed_file, repository_root
from datami_py.i18n import message, render
from datami_py.session import Session
from datami_py.table import Table
from datami_py.table.diff import diff_tables
from datami_py.validation import validate_table

if TYPE_CHECKING:
    from datami_py.links import LinkChecker

GEOCODE = "regeocode"
OTHER = "other"

TITLES: dict[str, str] = {
    "trim": message("split.trim", "Remove the spaces around values"),
    "nfc": message("split.nfc", "Store accented letters as single characters"),
    "codes": message("split.codes", "Write multi-valued codes as the schema defines them"),
    "scheme": message("split.scheme", "Add https:// to links"),
    "postcode": message("split.postcode", "Restore the leading zero of postcodes"),
    "links": message("split.links", "Repair links to repository files"),
    GEOCODE: message("split.regeocode", "Correct coordinates from the address"),
    OTHER: message("split.other", "Other edits"),
}
TITLED = message("split.titled", "{title}: {kind}")
ROWS_CHANGED = message(
    "split.rows-changed",
    "{file}: rows were added or deleted, and a clean-up only changes cells, so the batch cannot be split by fix. "
    "Propose these edits without --split-by-fix, or propose the added and deleted rows first.",
)


@dataclass(frozen=True)
class ProposalPart:
    """The proposal of one fix kind (or :data:`OTHER`) and how many cells it changes."""

    kind: str
    proposal: Proposal
    cells: int


def split_by_fix(session: Session, proposal: Proposal, *, links: Callable[[], LinkChecker] | None = None,
                 title: str | None = None) -> list[ProposalPart]:
    """Return one proposal per fix kind found among ``proposal``'s changed cells, in :data:`KINDS` order.

    Each part's title is the kind's title, after ``title`` when given. ``links`` makes the
    link checker that recognizes repaired links. It is called only when other kinds leave
    a change unexplained, because checking links reads repository file lists over the
    network. Without it, repaired links count as other edits.

    Raises:
        DatamiError: ``split.rows-changed`` when a file has rows added or deleted.
    """
    root = repository_root(session.package.root)
    assigned: dict[str, dict[str, dict[tuple[int, str], str]]] = {}
    bases: dict[str, tuple[Table, dict]] = {}
    for path, content in proposal.files.items():
        table_format = proposal.formats[path]
        settings = session.package.resource(table_format.resource).settings
        base, current = _tables(proposal, root / path, table_format, content, path)
        bases[path] = (base, settings)
        for kind, cells in _attribute(base, current, settings, links).items():
            assigned.setdefault(kind, {})[path] = cells

    parts = []
    for kind in (*KINDS, GEOCODE, OTHER):
        if kind in assigned:
            parts.append(_part(kind, proposal, bases, assigned[kind], title))
    return parts


def _tables(proposal: Proposal, file: Path, table_format: TableFormat, content: bytes,
            path: str) -> tuple[Table, Table]:
    """Return the committed and the saved version of one data file as tables."""
    committed = committed_file(file, proposal.base_commit) or content[:0]
    options = {"encoding": table_format.encoding, "delimiter": table_format.delimiter, "name": path}
    base = Table(CsvDocument.parse(committed, **options), table_format.schema, name=table_format.resource, file=path)
    current = Table(CsvDocument.parse(content, **options), table_format.schema, name=table_format.resource, file=path)
    if len(base.row_ids) != len(current.row_ids):
        raise DatamiError(ROWS_CHANGED, Location(), file=path)
    return base, current


def _attribute(base: Table, current: Table, settings: dict,
               links: Callable[[], LinkChecker] | None) -> dict[str, dict[tuple[int, str], str]]:
    """Return ``{kind: {(row, field): saved text}}`` for every cell that differs between the versions."""
    assigned = _attribute_with(base, current, settings, None)
    if OTHER in assigned and links is not None:
        assigned = _attribute_with(base, current, settings, links())
    return assigned


def _attribute_with(base: Table, current: Table, settings: dict,
                    checker: LinkChecker | None) -> dict[str, dict[tuple[int, str], str]]:
    """Attribute each changed cell to a kind, with fixes found by ``checker`` for links when given.

    Rows pair by position, which is exact because neither version added or deleted one.
    """
    chains: dict[tuple[int, str], list[Fix]] = {}
    for fix in find_fixes(base, settings, links=checker):
        chains.setdefault((fix.row, fix.field), []).append(fix)
    # When only some kinds were applied, a cell contains one kind's fix of the committed value,
    # or the value after the first kinds of its chain.
    alone: dict[tuple[int, str, str], str] = {}
    for kind in {fix.kind for fixes in chains.values() for fix in fixes}:
        for fix in find_fixes(base, settings, [kind], links=checker):
            alone[(fix.row, fix.field, fix.after)] = kind
    coordinates = _coordinate_fields(base, settings)

    assigned: dict[str, dict[tuple[int, str], str]] = {}
    names = [item["name"] for item in base.schema.get("fields", [])]
    for base_row, current_row in zip(base.row_ids, current.row_ids):
        for name in names:
            saved = current.cell(current_row, name)
            if saved == base.cell(base_row, name):
                continue
            chain = chains.get((base_row, name), [])
            kind = alone.get((base_row, name, saved))
            if kind is None and any(fix.after == saved for fix in chain):
                kind = chain[0].kind
            if kind is None:
                kind = GEOCODE if name in coordinates else OTHER
            assigned.setdefault(kind, {})[(base_row, name)] = saved if saved is not None else ""
    return assigned


def _coordinate_fields(table: Table, settings: dict) -> tuple[str, ...]:
    """Return the map's latitude and longitude fields, none when the table has no map."""
    from datami_py.geo.points import map_coordinate_fields

    try:
        return map_coordinate_fields(table, settings)
    except DatamiError:
        return ()


def _part(kind: str, proposal: Proposal, bases: dict[str, tuple[Table, dict]], cells_by_file: dict[str, dict[tuple[int, str], str]],
          title: str | None) -> ProposalPart:
    """Build the proposal of one kind: each committed file with only that kind's cells changed."""
    files, diffs = {}, {}
    errors = warnings = count = 0
    for path, cells in cells_by_file.items():
        base, settings = bases[path]
        edited = Table(base.document, base.schema, name=base.name, file=path)
        for (row, name), text in cells.items():
            edited.set_cell(row, name, text)
        files[path] = edited.render()
        diffs[path] = diff_tables(base, edited)
        count += len(cells)

        report = validate_table(edited, settings)
        errors, warnings = errors + len(report.errors), warnings + len(report.warnings)

    kind_title = render(TITLES[kind], proposal.language)
    part_title = render(TITLED, proposal.language, title=title, kind=kind_title) if title else kind_title
    part = replace(
        proposal,
        title=part_title,
        files=files,
        base_blobs={path: blob for path, blob in proposal.base_blobs.items() if path in files},
        diffs=diffs,
        validation=ValidationSummary(errors, warnings),
        formats={path: table_format for path, table_format in proposal.formats.items() if path in files},
    )
    return ProposalPart(kind, part, count)


@dataclass(frozen=True)
class PartResult:
    """One proposal of a split batch once made: its kind, title, cell count, branch and pull request address."""

    kind: str
    title: str
    cells: int
    branch: str
    pull_url: str | None = None
    reused: bool = False


def propose_split(
    session: Session,
    proposal: Proposal,
    *,
    repository: str | None = None,
    token: Secret | None = None,
    api_url: str | None = None,
    prefer: Literal["ours", "theirs"] | None = None,
    title: str | None = None,
    links: Callable[[], LinkChecker] | None = None,
    progress: Callable[[PartResult], None] | None = None,
) -> tuple[list[PartResult], list[str]]:
    """Propose each kind of fix apart: a pull request into ``repository`` with ``token``, else a local branch.

    ``progress`` is called after each part. The data files go back to their committed
    version only after every part was proposed, so a failure midway leaves the saved
    edits in place, and running again reuses the parts already made. Returns the parts
    and the data files left as they are (see :func:`~datami_py.forge.local.restore_data_files`).

    Raises:
        DatamiError: from :func:`split_by_fix`, :func:`~datami_py.forge.local.check_working_tree`
            and the proposal backends.
    """
    from datami_py.forge.github import propose_github
    from datami_py.forge.local import check_working_tree, propose_local, restore_data_files

    root = repository_root(session.package.root)
    check_working_tree(root, proposal)
    parts = split_by_fix(session, proposal, title=title, links=links)

    results = []
    for part in parts:
        if repository is not None:
            made = propose_github(part.proposal, repository, token=token, api_url=api_url or "", prefer=prefer)
            result = PartResult(part.kind, part.proposal.title, part.cells, made.branch, made.pull_url, made.updated)
        else:
            local = propose_local(root, part.proposal, prefer=prefer, part_of_batch=True)
            result = PartResult(part.kind, part.proposal.title, part.cells, local.branch, None, local.reused)
        results.append(result)
        if progress is not None:
            progress(result)

    return results, restore_data_files(root, proposal)
