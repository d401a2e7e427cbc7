"""Branch names made from French proposal titles are valid, unique and never the base branch."""

from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datami_py.forge.naming import MAX_LENGTH, branch_name, slugify
from tests.helpers import CASES

TITLES = (CASES / "B21" / "titres.txt").read_text(encoding="utf-8").splitlines()
ALPHABET = re.compile(r"[a-z0-9._/-]+")


def git_accepts(name: str) -> bool:
    completed = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, text=True)
    return completed.returncode == 0 and completed.stdout.strip() == name


def assert_valid(name: str, base: str = "main") -> None:
    assert git_accepts(name), name
    assert ALPHABET.fullmatch(name), name
    assert not name.startswith("refs/"), name
    assert len(name) <= MAX_LENGTH, name
    assert name not in (base, "main", "master"), name


def test_case_titles_make_valid_branches():
    assert len(TITLES) == 10

    for title in TITLES:
        assert_valid(branch_name(title, [], "main"))


def test_case_titles_make_distinct_branches():
    existing: list[str] = []
    for title in TITLES:
        name = branch_name(title, existing, "main")
        assert name not in existing
        existing.append(name)

    assert existing[0] == "datami/mise-a-jour-orleans-loiret"
    assert existing[5] == "datami/mise-a-jour-orleans-loiret-2"


def test_raw_titles_that_git_accepts_are_still_changed():
    # git accepts "refs/heads/main" and "main" as branch names: the slug must not keep them.
    assert git_accepts(TITLES[6])
    assert git_accepts(TITLES[9])

    assert branch_name(TITLES[6], [], "main") == "datami/refs-heads-main"
    assert branch_name(TITLES[9], [], "main") == "datami/main"
    assert branch_name(TITLES[9], [], "main", prefix="") == "main-2"
    assert branch_name(TITLES[6], [], "main", prefix="") == "refs-heads-main"


def test_slug_drops_accents_quotes_and_apostrophes():
    assert slugify("Œuvre d’art « Été 2024 » ?") == "oeuvre-dart-ete-2024"
    assert slugify("Corriger le lien de Saint-Martin-d'Uriage") == "corriger-le-lien-de-saint-martin-duriage"
    assert slugify("Ajout ~ test..lock") == "ajout-test"
    assert slugify(".cache/.") == "cache"
    assert slugify("« ’ »") == "proposal"
    assert slugify("version 1.2") == "version-1.2"


def test_name_avoids_base_and_existing_refs():
    assert branch_name("develop", [], "datami/develop") == "datami/develop-2"
    assert branch_name("Titre", ["refs/heads/datami/titre"], "main") == "datami/titre-2"
    assert branch_name("Titre", ["datami/titre", "datami/titre-2"], "main") == "datami/titre-3"
    # Git cannot hold both "a" and "a/b", and refs clash by case on macOS and Windows.
    assert branch_name("Titre", ["datami/titre/old"], "main") == "datami/titre-2"
    assert branch_name("Titre", ["datami/Titre"], "main") == "datami/titre-2"


def test_long_title_is_cut_at_a_word():
    title = "Correction " * 30
    name = branch_name(title, [], "main")

    assert_valid(name)
    assert name.endswith("-correction")

    used = [name]
    second = branch_name(title, used, "main")
    assert_valid(second)
    assert second.endswith("-2")
    assert second != name


def test_invalid_prefix_is_rejected():
    for prefix in ("refs/heads/", "Datami/", "datami", "a..b/", "/"):
        with pytest.raises(ValueError):
            branch_name("Titre", [], "main", prefix=prefix)


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=150), existing=st.lists(st.sampled_from(["datami/a", "datami/proposal", "main", "datami/1"]), max_size=3))
def test_any_title_gives_valid_unused_name(title, existing):
    name = branch_name(title, existing, "main")

    assert_valid(name)
    assert name not in existing
