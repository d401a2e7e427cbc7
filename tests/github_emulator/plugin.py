"""Pytest fixtures that provide a running GitHub emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import EDITOR_LOGIN, EDITOR_TOKEN
from .server import GitHubEmulator


@pytest.fixture
def github_emulator(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A started GitHubEmulator in ``tmp_path / "github"`` with the user ``editor``.

    The user's token is EDITOR_TOKEN. The emulator stops when the test ends.
    """
    with GitHubEmulator(tmp_path / "github") as emulator:
        emulator.add_user(EDITOR_LOGIN, EDITOR_TOKEN, name="Editor", email="editor@example.com")
        yield emulator
