"""Helpers for the tests: where the test data is, copying it, and running git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
TEST_DATA = REPOSITORY / "tests" / "data"
# The failure cases rebuilt from real bug reports; each folder's expected.md gives the outcome.
CASES = TEST_DATA / "cases"
DECIDER_ENSEMBLE = TEST_DATA / "decider-ensemble"


def copy_case(name: str, destination: Path) -> Path:
    """Copy case folder ``name`` into ``destination`` (writable) and return the copy."""
    target = destination / name
    shutil.copytree(CASES / name, target)
    for path in target.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return target


def git(folder: Path, *arguments: str) -> str:
    """Run git in ``folder`` with a fixed identity and return its output."""
    command = ["git", "-C", str(folder), "-c", "user.name=Test", "-c", "user.email=test@example.org", *arguments]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def init_repository(folder: Path) -> None:
    """Make ``folder`` a git repository with everything in it committed on ``main``."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "Initial data")


def copy_real_package(destination: Path) -> Path:
    """Copy the repository's own package into ``destination / "package"``, as a git repository on ``main``."""
    folder = destination / "package"
    folder.mkdir()
    shutil.copy(REPOSITORY / "datapackage.json", folder)
    shutil.copytree(REPOSITORY / "schemas", folder / "schemas")
    shutil.copytree(REPOSITORY / "data", folder / "data")
    init_repository(folder)
    return folder
