"""Pytest fixtures that provide a running GitHub emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import GitHubEmulator

EDITOR_LOGIN = "editor"
EDITOR_TOKEN = "ghp_editortoken0000000000000000000000"


@pytest.fixture
def github_emulator(tmp_path: Path) -> Iterator[GitHubEmulator]:
    """A started GitHubEmulator in ``tmp_path / "github"`` with the user ``editor``.

    The user's token is EDITOR_TOKEN. The emulator stops when the test ends.
    """
    with GitHubEmulator(tmp_path / "github") as emulator:
        emulator.add_user(EDITOR_LOGIN, EDITOR_TOKEN, name="Editor", email="editor@example.com")
        yield emulator
