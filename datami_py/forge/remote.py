"""The GitHub repository a local clone comes from, where proposals go by default."""

from __future__ import annotations

import re
from pathlib import Path

from datami_py.errors import DatamiError
from datami_py.gitrepo import run_git

# https://github.com/OWNER/REPO(.git), git@github.com:OWNER/REPO(.git), ssh://git@github.com/OWNER/REPO
_GITHUB_REMOTE = re.compile(r"(?:https?://|ssh://git@|git@)github\.com[/:]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$")


def github_repository(root: Path, remote: str = "origin") -> str | None:
    """Return "OWNER/REPO" when ``remote`` of the repository at ``root`` is on github.com, else None."""
    try:
        url = run_git(root, "remote", "get-url", remote).decode().strip()
    except DatamiError:
        return None
    match = _GITHUB_REMOTE.match(url)
    return f"{match.group(1)}/{match.group(2)}" if match else None
