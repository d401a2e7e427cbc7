"""The few git commands the library needs, run with the ``git`` program.

Git is called as a subprocess rather than through a binding because the ``git`` CLI is
what users have and what the tests create repositories with; its exit status and
messages are the reference.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from datami_py.errors import DatamiError, Location
from datami_py.i18n import message

GIT_MISSING = message("git.missing", "The git program was not found. Install git, then try again.")
NOT_A_REPOSITORY = message(
    "git.not-a-repository",
    "{path} is not inside a git repository, so there is no committed version to compare with. Run “git init” and commit the files first.",
)
GIT_FAILED = message("git.failed", "The command “git {command}” failed: {error}")


def run_git(root: Path, *arguments: str, input_bytes: bytes | None = None) -> bytes:
    """Run ``git -C root ARGUMENTS`` and return its standard output.

    Raises:
        DatamiError: ``git.missing`` or ``git.failed`` with git's own message.
    """
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *arguments],
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise DatamiError(GIT_MISSING) from None
    if completed.returncode != 0:
        error = completed.stderr.decode("utf-8", "replace").strip()
        raise DatamiError(GIT_FAILED, command=" ".join(arguments), error=error)
    return completed.stdout


def repository_root(path: Path) -> Path:
    """Return the top folder of the git repository holding ``path``.

    Raises:
        DatamiError: ``git.not-a-repository``.
    """
    folder = path if path.is_dir() else path.parent
    try:
        output = run_git(folder, "rev-parse", "--show-toplevel")
    except DatamiError as error:
        if error.code == GIT_FAILED:
            raise DatamiError(NOT_A_REPOSITORY, Location(), path=str(folder)) from None
        raise
    return Path(output.decode().strip())


def committed_file(path: Path, revision: str = "HEAD") -> bytes | None:
    """Return the bytes of ``path`` at ``revision``, or None when it is not in that commit."""
    root = repository_root(path)
    relative = path.resolve().relative_to(root.resolve()).as_posix()
    try:
        return run_git(root, "show", f"{revision}:{relative}")
    except DatamiError as error:
        if error.code == GIT_FAILED:
            return None
        raise


def blob_sha(data: bytes) -> str:
    """Return the git blob sha of ``data``, as ``git hash-object`` computes it (GitHub's blob sha too)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
