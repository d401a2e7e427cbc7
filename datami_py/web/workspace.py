"""Working copies for ``datami serve``: each browser session edits its own git clone with its own journal.

Two people editing in two browser tabs must never write the same files, so every session
gets a folder of its own under the serve state folder::

    <state>/claim.lock           held while a new session chooses its folder
    <state>/sessions/<id>/lock   held by the process of the live session (flock)
    <state>/sessions/<id>/copy/  a clone of the served repository, on its checked-out branch
    <state>/sessions/<id>/journal/   the session's edit journals (DATAMI_JOURNAL_DIR)

``<id>`` is six random hex digits. It also goes into the default proposal title, so that
the branches and pull requests of two sessions get distinct names.

In the copy, the remote ``served`` is the served repository and ``origin`` has the URL
of the served repository's ``origin``. A proposal therefore becomes a pull request when
``origin`` is on GitHub and a token is set, exactly as in the terminal. A local proposal
is made in the copy and then pushed to ``served`` (:func:`publish_branch`), so its branch
shows in the served repository.

When a browser tab closes, its process ends and releases the lock; the folder stays.
A new session takes over the most recently active folder that no process holds and that
has unfinished work: a journal (unsaved edits, which the app then offers to restore) or
saved edits not yet proposed. Folders without unfinished work are deleted, and when none
is left to take over, a new clone is made. The server has no login, so a new session
cannot tell whose work it takes over: whoever opens the page next gets it.

Nothing here imports Textual.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from datami_py.errors import DatamiError, Location
from datami_py.gitrepo import repository_root, run_git
from datami_py.i18n import message

try:
    import fcntl
except ImportError:  # Windows has no fcntl; serve then cannot tell live sessions apart.
    fcntl = None  # type: ignore[assignment]

SERVED_REMOTE = "served"
SESSIONS = "sessions"
IDENTIFIER_BYTES = 3

PUSH_FAILED = message(
    "serve.push-failed",
    "The proposal branch {branch} was made in this session's copy but could not be copied to the served "
    "repository {repository} ({error}). Propose again with another title.",
)
NO_LOCKING = message(
    "serve.no-locking",
    "This system cannot lock files, so datami serve cannot keep browser sessions apart. Use the terminal editor (datami open).",
)


@dataclass
class Workspace:
    """The folder of one browser session, whose ``lock`` this process holds until :meth:`release`.

    ``package`` is the package as served (a folder, a ``datapackage.json`` or a CSV file)
    inside the working copy, and ``restored`` is True when the folder was taken over from
    an earlier session.
    """

    folder: Path
    package: Path
    restored: bool
    _lock: IO[bytes] | None = field(default=None, repr=False)

    @property
    def identifier(self) -> str:
        """The six hex digits that name the session."""
        return self.folder.name

    @property
    def copy(self) -> Path:
        """The root of the session's git clone."""
        return self.folder / "copy"

    @property
    def journal(self) -> Path:
        """The session's journal folder, for ``DATAMI_JOURNAL_DIR``."""
        return self.folder / "journal"

    def release(self) -> None:
        """Release the session's lock; the folder and its unfinished work stay for a later session."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def default_state_folder(package: Path) -> Path:
    """Return the serve state folder of ``package``: one per served package, outside it.

    That is ``$XDG_STATE_HOME/datami-py/serve/<name>-<hash>``, or under ``~/.local/state``
    when ``XDG_STATE_HOME`` is unset or relative, as for the journals.
    """
    resolved = package.resolve()
    state_home = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):
        state_home = str(Path.home() / ".local" / "state")

    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:12]
    name = resolved.name if resolved.is_dir() else resolved.parent.name
    return Path(state_home) / "datami-py" / "serve" / f"{name or 'package'}-{digest}"


def claim_workspace(state: Path, package: Path) -> Workspace:
    """Return a session folder for this process, locked until the process ends or calls :meth:`Workspace.release`.

    ``package`` is the served package, inside a git repository. The folder is the most
    recently active abandoned one with unfinished work, else a new clone.

    Raises:
        DatamiError: ``git.not-a-repository`` when ``package`` is not in a git repository,
            ``git.failed`` when cloning fails, ``serve.no-locking`` without ``fcntl``.
    """
    if fcntl is None:
        raise DatamiError(NO_LOCKING, Location())
    source = repository_root(package).resolve()
    relative = package.resolve().relative_to(source)
    sessions = state / SESSIONS
    sessions.mkdir(parents=True, exist_ok=True)

    # One claim at a time, so that two new sessions never take over the same folder.
    with _locked(state / "claim.lock"):
        for folder in sorted(_folders(sessions), key=_last_activity, reverse=True):
            lock = _try_lock(folder / "lock")
            if lock is None:
                continue
            if _has_unfinished_work(folder):
                (folder / "lock").touch()
                return Workspace(folder, folder / "copy" / relative, restored=True, _lock=lock)
            shutil.rmtree(folder)
            lock.close()

        folder = _new_folder(sessions)
        lock = _try_lock(folder / "lock")
        _clone(source, folder / "copy")
        (folder / "journal").mkdir()
        return Workspace(folder, folder / "copy" / relative, restored=False, _lock=lock)


def publish_branch(workspace: Workspace, branch: str) -> None:
    """Copy ``branch`` of the session's clone to the served repository; never overwrite a branch there.

    Raises:
        DatamiError: ``serve.push-failed`` when git refuses, for example because the
            served repository has another branch of that name.
    """
    try:
        run_git(workspace.copy, "push", "--quiet", SERVED_REMOTE, f"refs/heads/{branch}:refs/heads/{branch}")
    except DatamiError as error:
        repository = run_git(workspace.copy, "remote", "get-url", SERVED_REMOTE).decode().strip()
        detail = str(error.params.get("error", error.code))
        raise DatamiError(PUSH_FAILED, Location(), branch=branch, repository=repository, error=detail) from error


def _folders(sessions: Path) -> list[Path]:
    return [path for path in sessions.iterdir() if path.is_dir()]


def _last_activity(folder: Path) -> float:
    """Return the time of the last edit or claim in ``folder`` (journal writes update their file's mtime)."""
    times = []
    for path in [folder / "lock", *(folder / "journal").glob("*")]:
        try:
            times.append(path.stat().st_mtime)
        except FileNotFoundError:
            # A live session deleted its journal (a save) since the folder was listed.
            continue
    return max(times, default=0.0)


def _has_unfinished_work(folder: Path) -> bool:
    """True when ``folder`` has a journal or saved edits not yet proposed."""
    if any((folder / "journal").glob("*.jsonl")):
        return True
    copy = folder / "copy"
    if not (copy / ".git").exists():
        return False
    try:
        return bool(run_git(copy, "status", "--porcelain").strip())
    except DatamiError:
        return False


def _new_folder(sessions: Path) -> Path:
    while True:
        folder = sessions / secrets.token_hex(IDENTIFIER_BYTES)
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def _clone(source: Path, copy: Path) -> None:
    """Clone ``source`` into ``copy``; name the source ``served`` and give ``origin`` the source's origin URL."""
    run_git(source, "clone", "--quiet", str(source), str(copy))
    run_git(copy, "remote", "rename", "origin", SERVED_REMOTE)
    try:
        origin = run_git(source, "remote", "get-url", "origin").decode().strip()
    except DatamiError:
        return
    run_git(copy, "remote", "add", "origin", origin)


def _try_lock(path: Path) -> IO[bytes] | None:
    """Return the open, exclusively locked ``path``, or None when another process holds it."""
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class _locked:
    """Hold an exclusive lock on ``path`` inside a ``with`` block, waiting for it if needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> None:
        self.handle = self.path.open("ab")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc_info: object) -> None:
        assert self.handle is not None
        self.handle.close()
