"""Helpers shared by the tests: where the shared fixtures are, and copying them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = REPOSITORY.parent / "shared"
CASES = SHARED / "cases"
DECIDER_ENSEMBLE = SHARED / "data" / "decider-ensemble"


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
