"""Split a batch of clean-ups into one proposal per kind of fix.

A reviewer can then merge the trimmed spaces without merging, say, the repaired links.
Each saved cell change is attributed to the fix kind that produces it from the committed
value (see :func:`datami_py.fixes.find_fixes`), and the proposal of a kind changes only
that kind's cells. A cell that several kinds change (spaces trimmed, then accents normalized) goes with
the first kind, in :data:`~datami_py.fixes.KINDS` order, with its final value. A change
that no fix explains goes in the proposal of geocoded coordinates when it is a cell of
the map's coordinate fields. Any other change (an edit typed by hand, say) goes in a
last proposal of other edits, so that nothing saved is left out.

The proposals are stacked: each is based on the previous one's branch (its pull request
targets that branch), so each shows only its own cells and they merge one after the
other without conflicts. GitHub compares text line by line, and kinds that change
different cells of one row, or of neighbouring rows, would otherwise conflict as soon as
one is merged. A reviewer merges the kinds in order and can stop at any kind; GitHub
moves a pull request onto the base branch when the branch it targeted is merged and
deleted.

NOTE: without push access the previous part's branch is in a fork, which a pull request
cannot target, so each part then goes to the base branch alone and may conflict with the
others once one is merged.
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
from datami_py.gitrepo import blob_sha, committed_file, repository_root
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
                 title: str | None = None, stacked: bool = False) -> list[ProposalPart]:
    """Return one proposal per fix kind found among ``proposal``'s changed cells, in :data:`KINDS` order.

    Each part's title is the kind's title, after ``title`` when given. ``links`` makes the
    link checker that recognizes repaired links. It is called only when other kinds leave
    a change unexplained, because checking links reads repository file lists over the
    network. Without it, repaired links count as other edits. With ``stacked``, each part
    starts from the files the previous parts left (its ``base_blobs`` are theirs), to be
    proposed on the previous part's branch. Otherwise every part starts from the commit.

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
    earlier: dict[str, dict[tuple[int, str], str]] = {}
    for kind in (*KINDS, GEOCODE, OTHER):
        if kind not in assigned:
            continue
        parts.append(_part(kind, proposal, bases, earlier, assigned[kind], title))
        if stacked:
            for path, cells in assigned[kind].items():
                earlier.setdefault(path, {}).update(cells)
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


def _part(kind: str, proposal: Proposal, bases: dict[str, tuple[Table, dict]],
          earlier: dict[str, dict[tuple[int, str], str]], cells_by_file: dict[str, dict[tuple[int, str], str]],
          title: str | None) -> ProposalPart:
    """Build the proposal of one kind: each file as ``earlier`` cells left it, plus this kind's cells."""
    files, diffs, base_blobs = {}, {}, {}
    errors = warnings = count = 0
    for path, cells in cells_by_file.items():
        base, settings = bases[path]
        start = _with_cells(base, earlier.get(path, {}))
        edited = _with_cells(base, {**earlier.get(path, {}), **cells})
        files[path] = edited.render()
        diffs[path] = diff_tables(start, edited)
        count += len(cells)
        if path in earlier:
            base_blobs[path] = blob_sha(start.render())
        elif path in proposal.base_blobs:
            base_blobs[path] = proposal.base_blobs[path]

        report = validate_table(edited, settings)
        errors, warnings = errors + len(report.errors), warnings + len(report.warnings)

    kind_title = render(TITLES[kind], proposal.language)
    part_title = render(TITLED, proposal.language, title=title, kind=kind_title) if title else kind_title
    part = replace(
        proposal,
        title=part_title,
        files=files,
        base_blobs=base_blobs,
        diffs=diffs,
        validation=ValidationSummary(errors, warnings),
        formats={path: table_format for path, table_format in proposal.formats.items() if path in files},
    )
    return ProposalPart(kind, part, count)


def _with_cells(base: Table, cells: dict[tuple[int, str], str]) -> Table:
    """Return a table over ``base``'s file with ``cells`` set."""
    table = Table(base.document, base.schema, name=base.name, file=base.file)
    for (row, name), text in cells.items():
        table.set_cell(row, name, text)
    return table


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
    parts = split_by_fix(session, proposal, title=title, links=links, stacked=True)

    results: list[PartResult] = []
    for part in parts:
        # Each part is proposed on the previous one's branch, the first on the base branch.
        based = replace(part.proposal, base_branch=results[-1].branch) if results else part.proposal
        if repository is not None:
            alone = lambda kind=part.kind: _unstacked(session, proposal, title, links, kind)  # noqa: E731
            made = _propose_on_github(propose_github, based, alone, repository, token, api_url or "", prefer)
            result = PartResult(part.kind, part.proposal.title, part.cells, made.branch, made.pull_url, made.updated)
        else:
            local = propose_local(root, based, prefer=prefer, part_of_batch=True)
            result = PartResult(part.kind, part.proposal.title, part.cells, local.branch, None, local.reused)
        results.append(result)
        if progress is not None:
            progress(result)

    return results, restore_data_files(root, proposal)


def _propose_on_github(propose_github: Callable, based: Proposal, alone: Callable[[], Proposal], repository: str,
                       token: Secret | None, api_url: str, prefer: Literal["ours", "theirs"] | None):
    """Propose ``based`` (on the previous part's branch) to GitHub, or the part ``alone`` when that branch is not there.

    Without push access the previous part's branch is in a fork, which a pull request into
    ``repository`` cannot target, so the part is then proposed to the base branch, on its own.
    """
    from datami_py.forge.github import BASE_NOT_FOUND

    try:
        return propose_github(based, repository, token=token, api_url=api_url, base=based.base_branch, prefer=prefer)
    except DatamiError as error:
        if error.code != BASE_NOT_FOUND or based.base_branch == alone().base_branch:
            raise
    single = alone()
    return propose_github(single, repository, token=token, api_url=api_url, base=single.base_branch, prefer=prefer)


def _unstacked(session: Session, proposal: Proposal, title: str | None, links: Callable[[], LinkChecker] | None,
               kind: str) -> Proposal:
    """Return the part of ``kind`` based on the commit rather than on the previous parts."""
    return next(part.proposal for part in split_by_fix(session, proposal, title=title, links=links) if part.kind == kind)
