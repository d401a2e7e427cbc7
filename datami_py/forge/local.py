"""Proposals in the local git repository: a new branch with one commit, made offline.

The commit is built with git plumbing on a temporary index (``hash-object``,
``read-tree``, ``update-index``, ``write-tree``, ``commit-tree``, ``update-ref``), so the
user's index and working tree are never half-updated and a failure leaves them as
they were. Only once the branch exists are the data files in the working tree put
back to their committed version: the edits then live on the branch alone.

Author and committer are the user's git identity (``user.name`` and ``user.email``, or
git's ``GIT_AUTHOR_*``/``GIT_COMMITTER_*`` variables). When neither sets a value, it
is ``datami-py <datami@localhost>``, so that proposing works on a machine where git was
never configured.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from datami_py.errors import DatamiError, Location
from datami_py.forge.merge import Conflict, Resolutions, merge_table, resolutions_for
from datami_py.forge.naming import DEFAULT_PREFIX, branch_name
from datami_py.forge.proposal import DETACHED_HEAD, Proposal, commit_message
from datami_py.gitrepo import GIT_FAILED, GIT_MISSING, repository_root, run_git
from datami_py.i18n import Phrase, message

DEFAULT_NAME = "datami-py"
DEFAULT_EMAIL = "datami@localhost"
# Attempts at creating the branch when another process takes the chosen name meanwhile.
BRANCH_ATTEMPTS = 3
# Paths named in the "uncommitted changes" error; the rest is counted.
LISTED_PATHS = 10

BASE_NOT_FOUND = message(
    "forge.base-not-found",
    "There is no branch “{branch}” in this repository. List the branches with “git branch”, then give one with --base.",
)
OTHER_CHANGES = message(
    "forge.other-changes",
    "These files have uncommitted changes that the proposal would not contain: {paths}. "
    "Commit them or undo them (“git restore FILE”), then propose again.",
)
FILE_CHANGED_SINCE = message(
    "forge.file-changed-since",
    "This file changed since the proposal was prepared, so the proposal would miss the latest edits. Propose again.",
)
NOTHING_AFTER_MERGE = message(
    "forge.nothing-after-merge",
    "Nothing to propose: merged with the changes made on {branch}, the data files are the same as on {branch}. "
    "Your edits are still in the working copy.",
)
CONFLICTS = message(
    "forge.conflicts",
    "{count} change(s) conflict with changes made on {branch} meanwhile: {conflicts}. Nothing was written. "
    "Run again with --ours to keep your values or --theirs to keep those of {branch}.",
)
CONFLICT_CELL = message("forge.conflict-cell", "row {row} ({key}), {field}: yours “{ours}”, {branch} “{theirs}”")
CONFLICT_DELETED_HERE = message(
    "forge.conflict-deleted-here", "row {row} ({key}), {field}: you deleted the row, {branch} changed the value to “{theirs}”"
)
CONFLICT_DELETED_THERE = message(
    "forge.conflict-deleted-there", "row {row} ({key}), {field}: you changed the value to “{ours}”, {branch} deleted the row"
)
CONFLICT_ADDED_BOTH = message(
    "forge.conflict-added-both", "row {row} ({key}), {field}: added with “{ours}” by you and “{theirs}” on {branch}"
)
CONFLICT_WHOLE_FILE = message(
    "forge.conflict-whole-file",
    "the file changed here and on {branch}, and rows cannot be matched because the table has no usable primary key",
)
# Joins two items of a list; nesting it lists any number of items in one message.
LIST_PAIR = message("forge.list-pair", "{first}; {rest}")


@dataclass(frozen=True)
class ProposalResult:
    """The branch holding the proposal and its one commit.

    ``reused`` is True when a branch from an earlier run already held the same proposal.
    ``merged`` lists the files merged with changes made on the base branch meanwhile.
    ``not_restored`` lists the data files left as they are in the working tree, because they
    changed again while the proposal was being committed.
    """

    branch: str
    commit: str
    reused: bool
    merged: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()


def propose_local(
    repository: Path,
    proposal: Proposal,
    *,
    prefer: Literal["ours", "theirs"] | None = None,
    resolutions: Mapping[str, Resolutions] | None = None,
    part_of_batch: bool = False,
) -> ProposalResult:
    """Commit ``proposal`` on a new branch from ``proposal.base_branch`` in the repository at ``repository``.

    When the base branch changed a data file since the proposal was built, the edits
    are merged by primary key (see :func:`merge_table`). ``resolutions`` (by file path)
    decides conflicts, and ``prefer`` decides the rest for one side. Running again after
    a failure reuses the branch made by the earlier run instead of making a second one.
    Afterwards the data files in the working tree are back to their version in HEAD,
    so a session that had them open must read them again. With ``part_of_batch`` (one
    proposal of a batch split by fix) the data files may differ from ``proposal`` and
    stay as they are: the caller checks them before and restores them after the batch.

    Raises:
        DatamiError: ``git.not-a-repository``, ``forge.detached-head``,
            ``forge.base-not-found``, ``forge.other-changes``, ``forge.file-changed-since``,
            ``forge.conflicts`` or ``forge.nothing-after-merge``. Nothing is written then.
    """
    root = repository_root(repository)
    _check_on_branch(root)
    tip = _branch_tip(root, proposal.base_branch)
    if not part_of_batch:
        check_working_tree(root, proposal)

    contents, merged = _merged_contents(root, proposal, tip, prefer, resolutions or {})
    tree = _write_tree(root, tip, contents)
    if tree == _git(root, "rev-parse", f"{tip}^{{tree}}"):
        raise DatamiError(NOTHING_AFTER_MERGE, branch=proposal.base_branch)

    text = commit_message(proposal)
    existing = _find_proposal_branch(root, tip, tree, text)
    if existing is not None:
        branch, commit = existing
    else:
        commit = _commit_tree(root, tree, tip, text)
        branch = _create_branch(root, proposal, commit)

    not_restored = [] if part_of_batch else restore_data_files(root, proposal)
    return ProposalResult(branch, commit, existing is not None, tuple(merged), tuple(not_restored))


# Git with an environment (a temporary index, an identity)

def _git(root: Path, *arguments: str, input_bytes: bytes | None = None, environment: Mapping[str, str] | None = None) -> str:
    """Run git like :func:`run_git`, with extra environment variables; return stdout stripped."""
    if environment is None:
        return run_git(root, *arguments, input_bytes=input_bytes).decode().strip()

    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *arguments],
            input=input_bytes,
            capture_output=True,
            check=False,
            env={**os.environ, **environment},
        )
    except FileNotFoundError:
        raise DatamiError(GIT_MISSING) from None
    if completed.returncode != 0:
        error = completed.stderr.decode("utf-8", "replace").strip()
        raise DatamiError(GIT_FAILED, command=" ".join(arguments), error=error)
    return completed.stdout.decode().strip()


def _git_succeeds(root: Path, *arguments: str) -> str | None:
    """Return git's stripped output, or None when git exits with an error."""
    try:
        return _git(root, *arguments)
    except DatamiError as error:
        if error.code == GIT_FAILED:
            return None
        raise


# Checks before writing anything

def _check_on_branch(root: Path) -> None:
    if _git_succeeds(root, "symbolic-ref", "--quiet", "HEAD") is None:
        raise DatamiError(DETACHED_HEAD)


def _branch_tip(root: Path, branch: str) -> str:
    tip = _git_succeeds(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    if not tip:
        raise DatamiError(BASE_NOT_FOUND, branch=branch)
    return tip


def _changed_paths(root: Path) -> list[str]:
    """Return the tracked paths whose index or working tree differs from HEAD."""
    output = run_git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no")
    entries = output.decode("utf-8", "surrogateescape").split("\0")
    paths: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if not entry:
            continue
        paths.append(entry[3:])
        # A rename or copy is followed by its source path.
        if entry[0] in "RC":
            paths.append(entries[index])
            index += 1
    return paths


def check_working_tree(root: Path, proposal: Proposal) -> None:
    """Reject other uncommitted changes, and data files that differ from the proposal.

    Raises:
        DatamiError: ``forge.other-changes`` or ``forge.file-changed-since``.
    """
    others = [path for path in _changed_paths(root) if path not in proposal.files]
    if others:
        listed = ", ".join(others[:LISTED_PATHS])
        if len(others) > LISTED_PATHS:
            listed += f" (+{len(others) - LISTED_PATHS})"
        raise DatamiError(OTHER_CHANGES, paths=listed)

    for path, content in proposal.files.items():
        if _read_working_file(root, path) != content:
            raise DatamiError(FILE_CHANGED_SINCE, Location(file=path))


def _read_working_file(root: Path, path: str) -> bytes | None:
    try:
        return (root / path).read_bytes()
    except FileNotFoundError:
        return None


# Merging with the base branch

def _read_blob(root: Path, blob: str) -> bytes:
    return run_git(root, "cat-file", "blob", blob)


def _merged_contents(
    root: Path, proposal: Proposal, tip: str, prefer: Literal["ours", "theirs"] | None, resolutions: Mapping[str, Resolutions]
) -> tuple[dict[str, bytes], list[str]]:
    """Return the bytes each data file gets on the branch, and the files that needed a merge.

    Raises:
        DatamiError: ``forge.conflicts`` for the first file with an undecided conflict.
    """
    contents: dict[str, bytes] = {}
    merged: list[str] = []
    for path, ours in proposal.files.items():
        loaded = proposal.base_blobs.get(path)
        current = _git_succeeds(root, "rev-parse", "--verify", "--quiet", f"{tip}:{path}") or None
        if current == loaded:
            contents[path] = ours
            continue

        content = _merge_file(root, proposal, path, loaded, current, prefer, resolutions.get(path, {}))
        merged.append(path)
        if content is not None:
            contents[path] = content
    return contents, merged


def _merge_file(
    root: Path,
    proposal: Proposal,
    path: str,
    loaded: str | None,
    current: str | None,
    prefer: Literal["ours", "theirs"] | None,
    resolutions: Resolutions,
) -> bytes | None:
    """Merge one data file with its version on the base branch; None keeps the branch's version."""
    ours = proposal.files[path]
    theirs = _read_blob(root, current) if current else None
    if theirs == ours:
        return ours

    if loaded is None or theirs is None:
        # Added on both sides, or deleted on the base branch: no common rows to match.
        conflicts = [Conflict(None, None, None, None, None, None)]
        choice = resolutions.get((None, None)) or prefer
        if choice is None:
            raise conflict_error(path, conflicts, proposal.base_branch)
        return ours if choice == "ours" else theirs

    table_format = proposal.formats.get(path)
    options = {
        "schema": table_format.schema if table_format else {},
        "delimiter": table_format.delimiter if table_format else None,
        "encoding": table_format.encoding if table_format else None,
    }
    base = _read_blob(root, loaded)
    result = merge_table(base, ours, theirs, resolutions=resolutions, **options)
    if result.content is None and prefer is not None:
        decided = {**resolutions_for(result.conflicts, prefer), **resolutions}
        result = merge_table(base, ours, theirs, resolutions=decided, **options)
    if result.content is None:
        raise conflict_error(path, result.conflicts, proposal.base_branch)
    return result.content


def _conflict_phrase(conflict: Conflict, branch: str) -> Phrase:
    if conflict.whole_file:
        return Phrase(CONFLICT_WHOLE_FILE, {"branch": branch})

    params = {"row": conflict.row, "key": conflict.key, "field": conflict.field, "ours": conflict.ours, "theirs": conflict.theirs, "branch": branch}
    if conflict.ours is None:
        return Phrase(CONFLICT_DELETED_HERE, params)
    if conflict.theirs is None:
        return Phrase(CONFLICT_DELETED_THERE, params)
    if conflict.base is None:
        return Phrase(CONFLICT_ADDED_BOTH, params)
    return Phrase(CONFLICT_CELL, params)


def _phrase_list(phrases: list[Phrase]) -> Phrase:
    if len(phrases) == 1:
        return phrases[0]
    return Phrase(LIST_PAIR, {"first": phrases[0], "rest": _phrase_list(phrases[1:])})


def conflict_error(path: str, conflicts: list[Conflict], branch: str) -> DatamiError:
    """Return the error listing every conflict of ``path``: row, key, field and both values."""
    phrases = [_conflict_phrase(conflict, branch) for conflict in conflicts]
    error = DatamiError(CONFLICTS, Location(file=path), count=len(conflicts), conflicts=_phrase_list(phrases), branch=branch)
    # Kept as data too, so that a user interface can show both values and let the user choose.
    error.conflicts = {path: list(conflicts)}  # type: ignore[attr-defined]
    return error


# Writing the commit and the branch

def _write_tree(root: Path, tip: str, contents: Mapping[str, bytes]) -> str:
    """Write the tree of ``tip`` with ``contents`` replacing those files; return its id.

    The objects go into the repository, but the user's index is never touched: git
    works on a temporary index named by ``GIT_INDEX_FILE``.
    """
    with tempfile.TemporaryDirectory(prefix="datami-proposal-") as folder:
        environment = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
        _git(root, "read-tree", tip, environment=environment)

        for path, content in contents.items():
            # --path applies the file's git attributes (line endings, filters) as "git add" would.
            blob = _git(root, "hash-object", "-w", "--stdin", f"--path={path}", input_bytes=content)
            mode = _file_mode(root, tip, path)
            _git(root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", environment=environment)

        return _git(root, "write-tree", environment=environment)


def _file_mode(root: Path, tip: str, path: str) -> str:
    """Return the mode ``path`` has in ``tip`` (an executable bit is kept), 100644 for a new file."""
    listing = _git(root, "ls-tree", tip, "--", path)
    return listing.split(" ", 1)[0] if listing else "100644"


def _identity(root: Path) -> dict[str, str]:
    """Return the variables that fill in a git identity the user never set (see the module docstring)."""
    environment: dict[str, str] = {}
    for part, fallback in (("name", DEFAULT_NAME), ("email", DEFAULT_EMAIL)):
        variables = [f"GIT_AUTHOR_{part.upper()}", f"GIT_COMMITTER_{part.upper()}"]
        if _git_succeeds(root, "config", "--get", f"user.{part}"):
            continue
        for variable in variables:
            if not os.environ.get(variable):
                environment[variable] = fallback
    return environment


def _commit_tree(root: Path, tree: str, parent: str, text: str) -> str:
    return _git(root, "commit-tree", tree, "-p", parent, "-F", "-", input_bytes=text.encode("utf-8"), environment=_identity(root))


def _local_branches(root: Path) -> list[str]:
    output = _git(root, "for-each-ref", "--format=%(refname)", "refs/heads/")
    return [line.removeprefix("refs/heads/") for line in output.splitlines() if line]


def _find_proposal_branch(root: Path, tip: str, tree: str, text: str) -> tuple[str, str] | None:
    """Return (branch, commit) of an earlier run's branch for the same proposal, else None.

    Such a branch is under the proposal prefix and contains one commit on ``tip`` with the
    same tree and the same message, so reusing it changes nothing.
    """
    output = _git(root, "for-each-ref", "--format=%(refname) %(objectname) %(tree) %(parent)", f"refs/heads/{DEFAULT_PREFIX}")
    for line in output.splitlines():
        parts = line.split(" ")
        if len(parts) != 4 or parts[2] != tree or parts[3] != tip:
            continue
        stored = _git(root, "cat-file", "commit", parts[1]).split("\n\n", 1)[-1]
        if stored.rstrip("\n") == text.rstrip("\n"):
            return parts[0].removeprefix("refs/heads/"), parts[1]
    return None


def _create_branch(root: Path, proposal: Proposal, commit: str) -> str:
    """Create a new branch at ``commit``, named after the title; return its name.

    The ref is created only if it does not exist yet, so a branch made by another
    process at the same moment is never overwritten. The next free name is tried then.
    """
    for attempt in range(BRANCH_ATTEMPTS):
        name = branch_name(proposal.title, _local_branches(root), proposal.base_branch)
        try:
            _git(root, "update-ref", "-m", f"datami propose: {proposal.title}", f"refs/heads/{name}", commit, "")
            return name
        except DatamiError as error:
            if error.code != GIT_FAILED or attempt == BRANCH_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def restore_data_files(root: Path, proposal: Proposal) -> list[str]:
    """Put each proposed data file back to its version in HEAD; return the files left as they are.

    A file that changed again since the proposal was checked is left alone, so that an
    edit saved meanwhile is never lost.
    """
    not_restored: list[str] = []
    for path, content in proposal.files.items():
        if _read_working_file(root, path) != content:
            not_restored.append(path)
            continue
        if _git_succeeds(root, "rev-parse", "--verify", "--quiet", f"HEAD:{path}"):
            _git(root, "checkout", "HEAD", "--", path)
        else:
            # The file is new, and its content is now on the proposal branch.
            _git(root, "rm", "--cached", "--quiet", "--ignore-unmatch", "--", path)
            (root / path).unlink()
    return not_restored
