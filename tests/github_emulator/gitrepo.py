"""Bare git repositories driven through the ``git`` command line.

Every object the emulator serves is a real git object written by ``git``
itself (``hash-object -w``, ``mktree``, ``commit-tree``, ``update-ref``), so
the shas match what GitHub would compute for the same content.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ZERO_SHA = "0" * 40
EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

TREE_MODE = "040000"
FILE_MODE = "100644"


def _git_environment() -> dict[str, str]:
    """Return an environment that hides the user's and the system's git config.

    A developer's global config (signing, hooks, ``init.defaultBranch``) must
    not change the objects the tests see, so only the repository config counts.
    """
    env = dict(os.environ)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


_GIT_ENV = _git_environment()


class GitError(RuntimeError):
    """A ``git`` command exited with a non-zero status."""

    def __init__(self, args: list[str], returncode: int, stderr: bytes) -> None:
        self.args_list = args
        self.returncode = returncode
        self.stderr = stderr.decode("utf-8", "replace").strip()
        super().__init__(f"git {' '.join(args)} failed with exit status {returncode}: {self.stderr}")


def run_git(args: list[str], *, input: bytes | None = None, extra_env: Mapping[str, str] | None = None) -> bytes:
    """Run ``git ARGS`` and return its standard output; raise GitError on failure."""
    env = _GIT_ENV if not extra_env else {**_GIT_ENV, **extra_env}
    completed = subprocess.run(
        ["git", *args], input=input, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False,
    )
    if completed.returncode != 0:
        raise GitError(args, completed.returncode, completed.stderr)
    return completed.stdout


def is_valid_ref_name(refname: str) -> bool:
    """Return whether ``git check-ref-format`` accepts REFNAME as a full ref name."""
    try:
        run_git(["check-ref-format", refname])
    except GitError:
        return False
    return True


@dataclass(frozen=True)
class Identity:
    """Author or committer of a commit; DATE is timezone-aware."""

    name: str
    email: str
    date: datetime

    def git_date(self) -> str:
        """Format the date as git's internal ``@SECONDS +HHMM`` form."""
        offset = self.date.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"@{int(self.date.timestamp())} {sign}{hours:02d}{rest:02d}"


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree; PATH is relative to the tree that was listed.

    SIZE is the blob size in bytes, or None for trees and submodules.
    """

    mode: str
    type: str
    sha: str
    path: str
    size: int | None = None


@dataclass(frozen=True)
class CommitInfo:
    """The parsed header and message of a commit object."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: Identity
    committer: Identity
    message: str


@dataclass(frozen=True)
class FileChange:
    """One changed path between two commits, as ``git diff-tree -M`` reports it.

    STATUS uses GitHub's words: added, removed, modified, renamed, copied,
    changed (mode or type only). PATCH contains the hunks without the diff
    header, or None for binary files.
    """

    status: str
    path: str
    previous_path: str | None
    old_sha: str
    new_sha: str
    additions: int
    deletions: int
    patch: str | None


_STATUS_WORDS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed",
                 "C": "copied", "T": "changed"}


def _parse_identity(line: str) -> Identity:
    """Parse ``Name <email> SECONDS +HHMM`` from a commit header line."""
    name, _, rest = line.partition(" <")
    email, _, stamp = rest.partition("> ")
    seconds, _, offset = stamp.partition(" ")
    sign = -1 if offset.startswith("-") else 1
    minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
    zone = timezone(timedelta(minutes=minutes))
    return Identity(name, email, datetime.fromtimestamp(int(seconds), zone))


class BareRepository:
    """A bare git repository on disk, read and written only through ``git``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- creation ---------------------------------------------------------

    @classmethod
    def create(cls, path: Path, default_branch: str) -> BareRepository:
        """Initialise an empty bare repository whose HEAD names DEFAULT_BRANCH."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # An empty template skips copying git's sample hooks, which makes init several times faster.
        run_git(["init", "--quiet", "--bare", "--template=", f"--initial-branch={default_branch}", str(path)])
        return cls(path)

    @classmethod
    def clone(cls, source: BareRepository, path: Path, branches: Iterable[str] | None = None) -> BareRepository:
        """Copy SOURCE into a new bare repository at PATH, as a fork does.

        BRANCHES limits the copied branches; None copies every branch and tag.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        run_git(["clone", "--quiet", "--bare", "--no-local", "--template=", str(source.path), str(path)])
        repository = cls(path)
        if branches is not None:
            keep = {f"refs/heads/{name}" for name in branches}
            for refname, _, _ in repository.list_refs("refs/"):
                if refname not in keep:
                    repository.delete_ref(refname)
        return repository

    def _git(self, *args: str, input: bytes | None = None,
             extra_env: Mapping[str, str] | None = None) -> bytes:
        return run_git(["--git-dir", str(self.path), *args], input=input, extra_env=extra_env)

    # -- objects ----------------------------------------------------------

    def object_type(self, sha: str) -> str | None:
        """Return ``blob``, ``tree``, ``commit`` or ``tag``, or None when SHA is absent."""
        if len(sha) != 40 or any(c not in "0123456789abcdef" for c in sha):
            return None
        try:
            return self._git("cat-file", "-t", sha).decode().strip()
        except GitError:
            return None

    def write_blob(self, data: bytes) -> str:
        """Store DATA as a blob and return its sha."""
        return self._git("hash-object", "-w", "--stdin", input=data).decode().strip()

    def read_blob(self, sha: str) -> bytes:
        """Return the bytes of blob SHA; raise GitError when it is no blob."""
        return self._git("cat-file", "blob", sha)

    def make_tree(self, entries: Iterable[TreeEntry]) -> str:
        """Write a tree with ENTRIES (names without slashes) and return its sha."""
        lines = b"".join(
            f"{entry.mode} {entry.type} {entry.sha}\t{entry.path}".encode() + b"\0"
            for entry in entries
        )
        return self._git("mktree", "-z", input=lines).decode().strip()

    def list_tree(self, treeish: str, recursive: bool = False) -> list[TreeEntry]:
        """List the entries of TREEISH; RECURSIVE also lists nested trees and their entries."""
        args = ["ls-tree", "-l", "-z", "--full-tree"]
        if recursive:
            args += ["-r", "-t"]
        output = self._git(*args, treeish)
        return [_parse_ls_tree_record(record) for record in output.split(b"\0") if record]

    def entry_at(self, commit: str, path: str) -> TreeEntry | None:
        """Return the tree entry at PATH in COMMIT, or None when nothing is there.

        An empty PATH returns the root tree as an entry with path "".
        """
        if path == "":
            tree = self.read_commit(commit).tree
            return TreeEntry(TREE_MODE, "tree", tree, "")
        output = self._git("ls-tree", "-l", "-z", "--full-tree", commit, "--", path)
        for record in output.split(b"\0"):
            if record:
                entry = _parse_ls_tree_record(record)
                if entry.path == path:
                    return entry
        return None

    def update_tree(self, base_tree: str | None, changes: Mapping[str, TreeEntry | None]) -> str:
        """Write a tree equal to BASE_TREE with CHANGES applied and return its sha.

        CHANGES maps slash-separated paths to a new entry, or to None to remove
        the path (a removed directory loses everything under it). Only the
        directories on a changed path are read and rewritten. Raise ValueError
        when one path is changed both as a file and as a directory.
        """
        nested = _nest_changes(changes)
        new_tree = self._rewrite_tree(base_tree, nested)
        return new_tree if new_tree is not None else self.make_tree([])

    def _rewrite_tree(self, tree_sha: str | None, nested: dict) -> str | None:
        entries = {entry.path: entry for entry in self.list_tree(tree_sha)} if tree_sha else {}

        for name, change in nested.items():
            if isinstance(change, dict):
                current = entries.get(name)
                subtree = current.sha if current is not None and current.type == "tree" else None
                new_subtree = self._rewrite_tree(subtree, change)
                if new_subtree is not None:
                    entries[name] = TreeEntry(TREE_MODE, "tree", new_subtree, name)
                elif subtree is not None:
                    # Every entry under the directory was removed, and git has no empty trees.
                    del entries[name]
            elif change is None:
                entries.pop(name, None)
            else:
                entries[name] = replace(change, path=name)

        if not entries:
            return None
        return self.make_tree(entries.values())

    def create_commit(self, tree: str, parents: Iterable[str], message: str,
                      author: Identity, committer: Identity) -> str:
        """Write a commit object with ``git commit-tree`` and return its sha."""
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        env = {
            "GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": author.git_date(),
            "GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": committer.git_date(),
        }
        # commit-tree reads the message from standard input verbatim, so no trailing newline is added.
        return self._git(*args, input=message.encode("utf-8"), extra_env=env).decode().strip()

    def read_commit(self, sha: str) -> CommitInfo:
        """Parse commit SHA; raise GitError when SHA is no commit."""
        raw = self._git("cat-file", "commit", sha).decode("utf-8", "replace")
        header, _, message = raw.partition("\n\n")
        tree = ""
        parents: list[str] = []
        author = committer = None
        for line in header.split("\n"):
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key == "author":
                author = _parse_identity(value)
            elif key == "committer":
                committer = _parse_identity(value)
        assert author is not None and committer is not None, f"commit {sha} lacks author or committer"
        return CommitInfo(sha, tree, tuple(parents), author, committer, message)

    # -- refs -------------------------------------------------------------

    def resolve_commit(self, revision: str) -> str | None:
        """Return the commit sha that REVISION (branch, ref or sha) names, or None."""
        try:
            output = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
        except GitError:
            return None
        return output.decode().strip() or None

    def resolve_tree(self, revision: str) -> str | None:
        """Return the tree sha that REVISION (tree sha, commit sha or ref) names, or None."""
        try:
            output = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{tree}}")
        except GitError:
            return None
        return output.decode().strip() or None

    def ref_target(self, refname: str) -> str | None:
        """Return the sha that the full ref REFNAME points to, or None when it is absent."""
        for name, sha, _ in self.list_refs(refname):
            if name == refname:
                return sha
        return None

    def list_refs(self, prefix: str = "refs/") -> list[tuple[str, str, str]]:
        """Return (refname, sha, object type) for every ref whose name starts with PREFIX.

        PREFIX may end inside a path component (``refs/heads/fea`` matches
        ``refs/heads/feature``), as GitHub's matching-refs endpoint does.
        """
        output = self._git("for-each-ref", "--format=%(refname)%00%(objectname)%00%(objecttype)")
        refs = []
        for line in output.decode().splitlines():
            name, sha, kind = line.split("\0")
            if name.startswith(prefix):
                refs.append((name, sha, kind))
        return refs

    def set_ref(self, refname: str, new_sha: str, expected_old: str | None = None) -> None:
        """Point REFNAME at NEW_SHA.

        EXPECTED_OLD makes the update conditional: ZERO_SHA requires that the
        ref does not exist yet, any other sha requires that the ref points
        there. Raise GitError when the condition or the ref name fails.
        """
        args = ["update-ref", refname, new_sha]
        if expected_old is not None:
            args.append(expected_old)
        self._git(*args)

    def delete_ref(self, refname: str, expected_old: str | None = None) -> None:
        """Delete REFNAME, optionally only while it points at EXPECTED_OLD."""
        args = ["update-ref", "-d", refname]
        if expected_old is not None:
            args.append(expected_old)
        self._git(*args)

    def set_head(self, branch: str) -> None:
        """Make HEAD name BRANCH, which makes it the default branch of clones."""
        self._git("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def fetch_ref(self, source: BareRepository, source_ref: str, target_ref: str) -> None:
        """Copy SOURCE_REF of SOURCE, with its objects, to TARGET_REF here."""
        self._git("fetch", "--quiet", "--no-tags", str(source.path), f"+{source_ref}:{target_ref}")

    # -- history ----------------------------------------------------------

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Return whether commit ANCESTOR is reachable from DESCENDANT (or equal to it)."""
        try:
            self._git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError as error:
            if error.returncode == 1:
                return False
            raise
        return True

    def merge_base(self, first: str, second: str) -> str | None:
        """Return the best common ancestor of two commits, or None when histories are unrelated."""
        try:
            return self._git("merge-base", first, second).decode().strip() or None
        except GitError as error:
            if error.returncode == 1:
                return None
            raise

    def count_commits(self, base: str, head: str) -> int:
        """Return how many commits HEAD has that BASE lacks (``base..head``)."""
        return int(self._git("rev-list", "--count", f"{base}..{head}").decode())

    def list_commits(self, base: str, head: str) -> list[str]:
        """Return the shas of ``base..head``, oldest first."""
        return self._git("rev-list", "--reverse", f"{base}..{head}").decode().split()

    def diff(self, old_commit: str, new_commit: str) -> list[FileChange]:
        """List the files changed from OLD_COMMIT to NEW_COMMIT, with rename detection."""
        raw = self._git("diff-tree", "-r", "-M", "-z", "--no-commit-id", old_commit, new_commit)
        numstat = self._git("diff-tree", "-r", "-M", "-z", "--numstat", "--no-commit-id", old_commit, new_commit)
        counts = _parse_numstat(numstat)

        changes = []
        for record in _parse_raw_diff(raw):
            status, old_sha, new_sha, old_path, new_path = record
            line_counts = counts.get(new_path, (0, 0))
            binary = line_counts is None
            additions, deletions = line_counts or (0, 0)
            paths = [new_path] if old_path == new_path else [old_path, new_path]
            patch = None if binary else self._patch(old_commit, new_commit, paths)
            changes.append(FileChange(
                status=_STATUS_WORDS.get(status, "modified"),
                path=new_path,
                previous_path=old_path if status in ("R", "C") else None,
                old_sha=old_sha, new_sha=new_sha,
                additions=additions, deletions=deletions, patch=patch,
            ))
        return changes

    def _patch(self, old_commit: str, new_commit: str, paths: list[str]) -> str | None:
        """Return the hunks of the diff for PATHS, without the ``diff --git`` header."""
        output = self._git("diff-tree", "-p", "-M", "--no-color", "--no-ext-diff", "--no-commit-id",
                           old_commit, new_commit, "--", *paths).decode("utf-8", "replace")
        start = output.find("\n@@")
        if start < 0:
            return None
        return output[start + 1:].rstrip("\n")


def _parse_ls_tree_record(record: bytes) -> TreeEntry:
    """Parse one ``ls-tree -l -z`` record: ``MODE TYPE SHA SIZE<TAB>PATH``."""
    meta, _, path = record.partition(b"\t")
    mode, kind, sha, size = meta.decode().split()
    return TreeEntry(mode, kind, sha, path.decode("utf-8", "surrogateescape"),
                     None if size == "-" else int(size))


def _nest_changes(changes: Mapping[str, TreeEntry | None]) -> dict:
    """Turn ``{"a/b/c": entry}`` into ``{"a": {"b": {"c": entry}}}``."""
    root: dict = {}
    for path, change in changes.items():
        parts = [part for part in path.split("/") if part]
        if not parts:
            raise ValueError(f"invalid tree path {path!r}: it is empty")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"path {path!r} is changed both as a file and as a directory")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError(f"path {path!r} is changed both as a file and as a directory")
        node[parts[-1]] = change
    return root


def _parse_raw_diff(raw: bytes) -> list[tuple[str, str, str, str, str]]:
    """Parse ``diff-tree -z`` raw output into (status, old sha, new sha, old path, new path)."""
    fields = raw.split(b"\0")
    records = []
    index = 0
    while index < len(fields) and fields[index]:
        meta = fields[index].decode().lstrip(":").split()
        status = meta[4][0]
        old_sha, new_sha = meta[2], meta[3]
        if status in ("R", "C"):
            old_path, new_path = fields[index + 1].decode(), fields[index + 2].decode()
            index += 3
        else:
            old_path = new_path = fields[index + 1].decode()
            index += 2
        records.append((status, old_sha, new_sha, old_path, new_path))
    return records


def _parse_numstat(output: bytes) -> dict[str, tuple[int, int] | None]:
    """Map each new path to (additions, deletions); binary files map to None."""
    fields = output.split(b"\0")
    counts: dict[str, tuple[int, int] | None] = {}
    index = 0
    while index < len(fields) and fields[index]:
        added, deleted, path = fields[index].decode().split("\t", 2)
        if path == "":
            # A rename: the old and the new path follow as separate fields.
            path = fields[index + 2].decode()
            index += 3
        else:
            index += 1
        counts[path] = None if added == "-" else (int(added), int(deleted))
    return counts
