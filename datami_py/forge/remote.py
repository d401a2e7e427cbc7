"""The GitHub repository a local clone comes from, where proposals go by default."""

from __future__ import annotations

import re
from pathlib import Path

from datami_py.errors import DatamiError
from datami_py.gitrepo import run_git

# https://github.com/OWNER/REPO(.git), git@github.com:OWNER/REPO(.git), ssh://git@github.com/OWNER/REPO
_GITHUB_REMOTE = re.compile(r"(?:https?://|ssh://git@|git@)github\.com[/:]([^/\s]+)/([^/\s]+?)(?:\.git)?/?$")

# Set in the git configuration of a working copy read over the API (see remote_copy).
WORKING_COPY_KEY = "datami.github-repository"


def github_repository(root: Path, remote: str = "origin") -> str | None:
    """Return "OWNER/REPO" where proposals from ``root`` go on GitHub, else None.

    That is the repository a working copy was read from, else the one ``remote`` points
    to when it is on github.com.
    """
    configured = git_config(root, WORKING_COPY_KEY)
    if configured:
        return configured

    url = _git_output(root, "remote", "get-url", remote) or ""
    match = _GITHUB_REMOTE.match(url)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def is_working_copy(root: Path) -> bool:
    """True when ``root`` is a working copy read from GitHub over the API, not a clone."""
    return bool(git_config(root, WORKING_COPY_KEY))


def git_config(root: Path, key: str) -> str | None:
    """Return the value of git configuration ``key`` in the repository at ``root``, None when unset."""
    return _git_output(root, "config", "--get", key) or None


def _git_output(root: Path, *arguments: str) -> str | None:
    """Return git's output stripped, None when git fails (no such key, remote or repository)."""
    try:
        return run_git(root, *arguments).decode().strip()
    except DatamiError:
        return None
