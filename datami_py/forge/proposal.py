"""A proposal: the saved edits of a session, ready to become a branch and a pull request.

:func:`build_proposal` compares every data file of the package with its version in
the last commit and gathers what changed: the new bytes, the blob each edit is based
on, the cell differences and a validation summary. :func:`describe_proposal` writes
the pull request body in the editor's language, and :func:`commit_message` the
commit message. Backends (:mod:`.local`, the GitHub one) turn a :class:`Proposal`
into a branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datami_py.csvfile import CsvDocument
from datami_py.errors import LOCATION_ROW, DatamiError, Location
from datami_py.gitrepo import GIT_FAILED, committed_file, repository_root, run_git
from datami_py.i18n import message, render
from datami_py.package.descriptor import Resource
from datami_py.session import Session
from datami_py.table import Table
from datami_py.table.diff import TableDiff, diff_tables
from datami_py.validation import validate_table

UNSAVED_EDITS = message(
    "forge.unsaved-edits",
    "This file has unsaved edits, and a proposal contains only saved files. Save the edits, then propose again.",
)
NOTHING_TO_PROPOSE = message(
    "forge.nothing-to-propose",
    "Nothing to propose: every data file is the same as in the last commit. Edit and save a cell first.",
)
NO_COMMIT = message(
    "forge.no-commit",
    "The git repository {path} has no commit yet, so there is no version to propose changes to. "
    "Commit the data package first (“git add -A”, then “git commit”).",
)
DETACHED_HEAD = message(
    "forge.detached-head",
    "The git repository is not on a branch (detached HEAD), so the proposal has no base branch. "
    "Switch to the branch to propose to, for example with “git switch main”, then propose again.",
)
STAGED_OTHER_VERSION = message(
    "forge.staged-other-version",
    "This file is staged in git with content that is neither the last commit nor the saved file, so the version your edits "
    "start from is unclear. Run “git diff --cached {file}” to see it, then commit it or unstage it with "
    "“git restore --staged {file}”, and propose again.",
)
DEFAULT_TITLE = message("forge.default-title", "Update {files}")
HEADING_ROW = message("forge.heading-row", "Row")
HEADING_FIELD = message("forge.heading-field", "Field")
HEADING_BEFORE = message("forge.heading-before", "Before")
HEADING_AFTER = message("forge.heading-after", "After")
HEADING_ADDED = message("forge.heading-added", "Added rows")
HEADING_DELETED = message("forge.heading-deleted", "Deleted rows")
EMPTY_VALUE = message("forge.empty-value", "(empty)")
VALIDATION_SUMMARY = message(
    "forge.validation-summary",
    "Validation of the changed files: {errors} error(s), {warnings} warning(s).",
)

# Characters that Markdown or HTML would read as markup in a GitHub table cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class TableFormat:
    """The settings for reading a data file again: its Table Schema, declared delimiter and encoding."""

    resource: str
    schema: dict[str, Any]
    delimiter: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class ValidationSummary:
    """Counts of schema errors and quality warnings in the changed files."""

    errors: int = 0
    warnings: int = 0


@dataclass
class Proposal:
    """Saved edits ready to be proposed: one commit on a new branch based on ``base_branch``.

    Paths are relative to the git repository root, with ``/``. ``files`` maps each changed
    data file to its new bytes. ``base_blobs`` maps it to the git blob sha of the version
    the edits start from, absent for a file that is new. ``base_commit`` is the commit
    those versions were read from. ``title`` is kept exactly as typed, accents and
    guillemets included, and ``message`` is the optional longer description.
    """

    title: str
    message: str | None
    language: str
    base_branch: str
    base_commit: str
    files: dict[str, bytes]
    base_blobs: dict[str, str]
    diffs: dict[str, TableDiff]
    validation: ValidationSummary
    formats: dict[str, TableFormat] = field(default_factory=dict)


def default_title(paths: list[str], language: str) -> str:
    """Return the title used when the editor gives none: "Update" and the changed files."""
    return render(DEFAULT_TITLE, language, files=", ".join(paths))


def commit_message(proposal: Proposal) -> str:
    """Return the commit message: the title as typed, then the description when there is one."""
    text = proposal.title.strip()
    if proposal.message and proposal.message.strip():
        text += "\n\n" + proposal.message.strip()
    return text + "\n"


# Building

def build_proposal(
    session: Session, title: str | None = None, message: str | None = None, language: str = "en", *, base_branch: str | None = None
) -> Proposal:
    """Gather the saved edits of every data file of ``session``'s package into a proposal.

    Each data file is compared with its version in the repository's HEAD commit. The
    proposal targets ``base_branch``, by default the branch that is checked out. A
    ``title`` of None or blank gets :func:`default_title`.

    Raises:
        DatamiError: ``git.not-a-repository``, ``forge.no-commit``, ``forge.detached-head``
            (only when ``base_branch`` is None), ``forge.unsaved-edits``,
            ``forge.staged-other-version`` or ``forge.nothing-to-propose``.
    """
    root = repository_root(session.package.root)
    head = _head_commit(root)
    branch = base_branch or _current_branch(root)

    proposal = Proposal(
        title=title or "",
        message=message,
        language=language,
        base_branch=branch,
        base_commit=head,
        files={},
        base_blobs={},
        diffs={},
        validation=ValidationSummary(),
    )
    errors = warnings = 0
    for resource in session.package.resources:
        found = _file_change(session, resource, root, head)
        if found is None:
            continue

        path, content, blob, diff, table = found
        report = validate_table(table, resource.settings)
        errors, warnings = errors + len(report.errors), warnings + len(report.warnings)
        proposal.files[path] = content
        proposal.diffs[path] = diff
        proposal.formats[path] = TableFormat(resource.name, table.schema, resource.delimiter, resource.encoding)
        if blob is not None:
            proposal.base_blobs[path] = blob

    if not proposal.files:
        raise DatamiError(NOTHING_TO_PROPOSE)
    proposal.validation = ValidationSummary(errors, warnings)
    if not proposal.title.strip():
        proposal.title = default_title(list(proposal.files), language)
    return proposal


def _file_change(
    session: Session, resource: Resource, root: Path, head: str
) -> tuple[str, bytes, str | None, TableDiff, Table] | None:
    """Return (path, new bytes, base blob, cell diff, new table) for a changed data file, else None."""
    opened = session.open_table(resource.name)
    if opened.table.is_dirty:
        raise DatamiError(UNSAVED_EDITS, Location(file=resource.path))

    path = resource.file.resolve().relative_to(root.resolve()).as_posix()
    content = resource.file.read_bytes()
    committed = committed_file(resource.file, head)
    if committed == content:
        return None

    blob = _blob_sha(root, f"{head}:{path}") if committed is not None else None
    _check_index(root, path, blob, content, resource.path)

    schema = opened.table.schema
    new_document = CsvDocument.parse(content, encoding=resource.encoding, delimiter=resource.delimiter, name=resource.path)
    new_table = Table(new_document, schema, name=resource.name, file=resource.path)
    # A file new in this commit is compared with its header alone, so every row shows as added.
    old_bytes = committed if committed is not None else content[: new_document.starts[1]]
    old_document = CsvDocument.parse(old_bytes, encoding=resource.encoding, delimiter=resource.delimiter, name=resource.path)
    old_table = Table(old_document, schema, name=resource.name, file=resource.path)
    return path, content, blob, diff_tables(old_table, new_table), new_table


def _check_index(root: Path, path: str, head_blob: str | None, content: bytes, file: str) -> None:
    """Reject a data file staged with a third version, whose edits may start from either version.

    The index differs from HEAD both when HEAD moved without updating the checkout (the
    edits then start from the index) and when part of the edits were staged (they then
    start from HEAD). Guessing wrong would undo someone's change, so the user decides.
    """
    staged = _blob_sha(root, f":{path}")
    if staged is None or staged == head_blob:
        return
    if staged == run_git(root, "hash-object", "--stdin", f"--path={path}", input_bytes=content).decode().strip():
        return
    raise DatamiError(STAGED_OTHER_VERSION, Location(file=file), file=path)


# Git queries shared with the backends

def _head_commit(root: Path) -> str:
    try:
        return run_git(root, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
    except DatamiError as error:
        if error.code == GIT_FAILED:
            raise DatamiError(NO_COMMIT, path=str(root)) from None
        raise


def _current_branch(root: Path) -> str:
    try:
        return run_git(root, "symbolic-ref", "--short", "HEAD").decode().strip()
    except DatamiError as error:
        if error.code == GIT_FAILED:
            raise DatamiError(DETACHED_HEAD) from None
        raise


def _blob_sha(root: Path, revision_path: str) -> str | None:
    """Return the blob sha of ``revision:path`` (or ``:path`` for the index), None when absent."""
    try:
        return run_git(root, "rev-parse", "--verify", "--quiet", revision_path).decode().strip() or None
    except DatamiError as error:
        if error.code == GIT_FAILED:
            return None
        raise


# Describing

def escape_markdown(text: str) -> str:
    """Return ``text`` safe for one GitHub Markdown table cell, shown as typed.

    HTML is escaped as entities and Markdown punctuation gets a backslash, so a value
    never becomes a link, emphasis, code or a new column. Line breaks become ``<br>``.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    return _LINE_BREAK.sub("<br>", escaped)


def _value(text: str | None, language: str) -> str:
    if not text:
        return "*" + render(EMPTY_VALUE, language) + "*"
    # NOTE: spaces at the start or end of a value are kept but GitHub does not show them.
    return escape_markdown(text)


def _row_label(key: str | None, row: int, language: str) -> str:
    if key:
        return escape_markdown(key)
    return render(LOCATION_ROW, language, row=row)


def _describe_file(path: str, diff: TableDiff, language: str) -> list[str]:
    lines = [f"### {escape_markdown(path)}", ""]
    if diff.cells:
        headings = [render(code, language) for code in (HEADING_ROW, HEADING_FIELD, HEADING_BEFORE, HEADING_AFTER)]
        lines.append("| " + " | ".join(headings) + " |")
        lines.append("| --- | --- | --- | --- |")
        for change in diff.cells:
            cells = [_row_label(change.key, change.row, language), escape_markdown(change.field), _value(change.old, language), _value(change.new, language)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")

    for heading, rows in ((HEADING_ADDED, diff.added), (HEADING_DELETED, diff.deleted)):
        if not rows:
            continue
        lines.append(f"**{render(heading, language)}**")
        lines.append("")
        for row in rows:
            values = "; ".join(f"{escape_markdown(name)}: {escape_markdown(text)}" for name, text in row["values"].items() if text)
            lines.append(f"- {_row_label(row['key'], row['row'], language)}: {values}")
        lines.append("")
    return lines


def describe_proposal(proposal: Proposal) -> str:
    """Return the pull request body in the proposal's language, as GitHub Markdown.

    The description comes first, then, per file, a table of changed cells (row key,
    field, before, after) and the lists of added and deleted rows, then the validation
    summary. Every value from the data is escaped (see :func:`escape_markdown`).
    """
    language = proposal.language
    lines: list[str] = []
    if proposal.message and proposal.message.strip():
        lines += [proposal.message.strip(), ""]

    for path, diff in proposal.diffs.items():
        lines += _describe_file(path, diff, language)

    summary = proposal.validation
    lines.append(render(VALIDATION_SUMMARY, language, errors=summary.errors, warnings=summary.warnings))
    return "\n".join(lines) + "\n"
