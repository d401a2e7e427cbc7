"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import copy_real_package


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the repository's Décider Ensemble package in a fresh git repository."""
    return copy_real_package(tmp_path)
