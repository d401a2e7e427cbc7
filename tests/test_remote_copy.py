"""Packages opened as github:OWNER/REPO without a clone, end to end against the GitHub emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from datami_py.errors import DatamiError, describe
from datami_py.forge.remote import github_repository, is_working_copy
from datami_py.forge.remote_copy import RemoteSpec, open_remote, parse_remote_spec
from datami_py.forge.tokens import Secret
from tests.github_emulator import EDITOR_TOKEN
from tests.test_propose_github_cli import CSV, KEY, package_files

OWNER, NAME = "decider-ensemble", "donnees"
SPEC = f"github:{OWNER}/{NAME}"
NEW_SITE = "https://mairie.saintmartinduriage.fr"
SCHEMA = "schemas/decider-ensemble-ressources.json"


@pytest.fixture
def upstream(github_emulator):
    github_emulator.create_repo(OWNER, NAME, package_files(), collaborators={"editor": "push"})
    return github_emulator


@pytest.fixture
def environment(tmp_path, upstream) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "fr_FR.UTF-8",
        "GITHUB_TOKEN": EDITOR_TOKEN,
        "GITHUB_API_URL": upstream.base_url,
        "DATAMI_WORKING_COPIES": str(tmp_path / "copies"),
        "DATAMI_JOURNAL_DIR": str(tmp_path / "journals"),
    }


def datami(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from datami_py.cli import main; main()", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=environment["HOME"])
    assert EDITOR_TOKEN not in completed.stdout + completed.stderr
    return completed


def read(upstream, spec: RemoteSpec, tmp_path: Path, token: str | None = EDITOR_TOKEN):
    return open_remote(spec, token=Secret(token) if token else None, api_url=upstream.base_url,
                       directory=tmp_path / "copies", retry_delays=())


# Addresses

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github:decider-ensemble/donnees", RemoteSpec(OWNER, NAME, None, "")),
        ("github:decider-ensemble/donnees.git@main", RemoteSpec(OWNER, NAME, "main", "")),
        ("github:o/r@feature/x:data/table.csv", RemoteSpec("o", "r", "feature/x", "data/table.csv")),
        ("github:o/r:sub/folder/", RemoteSpec("o", "r", None, "sub/folder")),
        ("./github", None),
    ],
)
def test_parse_remote_spec(text, expected):
    assert parse_remote_spec(text) == expected


def test_invalid_address_is_explained():
    with pytest.raises(DatamiError) as caught:
        parse_remote_spec("github:decider-ensemble")

    assert describe(caught.value, "en") == (
        "“github:decider-ensemble” is not a GitHub package address. Write it as github:OWNER/REPOSITORY, "
        "optionally followed by @BRANCH and :PATH, for example github:multi-coop/datami@main:data."
    )


# Reading

def test_read_copy_has_package_files_only(upstream, tmp_path):
    upstream.commit_files(OWNER, NAME, "main", {"README.md": b"not part of the package\n"}, "Add a readme")
    upstream.reset_calls()

    copy = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert copy.refreshed and not copy.kept_work
    assert copy.calls == 6  # repository, branch, tree, then the descriptor, the schema and the data file
    tracked = subprocess.run(["git", "-C", str(copy.root), "ls-files"], capture_output=True, text=True).stdout.split()
    assert sorted(tracked) == [CSV, "datapackage.json", SCHEMA]
    assert (copy.root / CSV).read_bytes() == upstream.read_file(OWNER, NAME, "main", CSV)
    local_blob = subprocess.run(["git", "-C", str(copy.root), "rev-parse", f"HEAD:{CSV}"], capture_output=True, text=True)
    assert local_blob.stdout.strip() in {entry for entry in _remote_blobs(upstream)}
    assert github_repository(copy.root) == f"{OWNER}/{NAME}"
    assert is_working_copy(copy.root)
    assert copy.branch == "main"
    assert copy.package == copy.root / "datapackage.json"


def _remote_blobs(upstream) -> set[str]:
    bare = upstream.bare_path(OWNER, NAME)
    listing = subprocess.run(["git", "-C", str(bare), "ls-tree", "-r", "main"], capture_output=True, text=True).stdout
    return {line.split()[2] for line in listing.splitlines()}


def test_reopen_unchanged_reads_nothing(upstream, tmp_path):
    read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)
    upstream.reset_calls()

    again = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert not again.refreshed
    assert again.calls == 2


def test_reopen_clean_copy_refreshes(upstream, tmp_path):
    first = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)
    changed = upstream.read_file(OWNER, NAME, "main", CSV).replace(b"Saint-Martin", b"Saint-Martin ", 1)
    commit = upstream.commit_files(OWNER, NAME, "main", {CSV: changed}, "Someone else edits")

    again = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert again.refreshed
    assert again.commit == commit
    assert again.root == first.root
    assert (again.root / CSV).read_bytes() == changed
    status = subprocess.run(["git", "-C", str(again.root), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""


def test_reopen_copy_with_edits_keeps_them(upstream, tmp_path):
    first = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)
    edited = (first.root / CSV).read_bytes() + b""
    (first.root / CSV).write_bytes(edited.replace(b"Saint-Martin", b"Saint Martin", 1))
    upstream.commit_files(OWNER, NAME, "main", {"other.txt": b"x\n"}, "Someone else commits")

    again = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert again.kept_work
    assert not again.refreshed
    assert again.commit == first.commit
    assert (again.root / CSV).read_bytes() == edited.replace(b"Saint-Martin", b"Saint Martin", 1)


def test_read_bare_csv_alone(upstream, tmp_path):
    copy = read(upstream, RemoteSpec(OWNER, NAME, "main", CSV), tmp_path)

    assert copy.package == copy.root / CSV
    tracked = subprocess.run(["git", "-C", str(copy.root), "ls-files"], capture_output=True, text=True).stdout.split()
    assert tracked == [CSV]


def test_read_public_repository_without_token(upstream, tmp_path):
    copy = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path, token=None)

    assert (copy.root / CSV).is_file()


# Failures

def test_missing_file_names_the_path_and_branch(upstream, tmp_path):
    with pytest.raises(DatamiError) as caught:
        read(upstream, RemoteSpec(OWNER, NAME, None, "autre"), tmp_path)

    assert describe(caught.value, "fr") == (
        "autre/datapackage.json n’est pas dans la branche main de decider-ensemble/donnees. "
        "Vérifiez le chemin après les deux-points dans l’adresse du paquet."
    )


def test_unsafe_path_in_the_descriptor_reads_nothing(upstream, tmp_path):
    upstream.commit_files(OWNER, NAME, "main", {"datapackage.json": b'{"resources": [{"name": "x", "path": "../secret.csv"}]}'}, "Bad path")

    with pytest.raises(DatamiError) as caught:
        read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert caught.value.code == "package.unsafe-path"
    assert "../secret.csv" in describe(caught.value, "en")
    assert not (tmp_path / "copies").exists()


def test_invalid_descriptor_is_explained(upstream, tmp_path):
    upstream.commit_files(OWNER, NAME, "main", {"datapackage.json": b"{ not json"}, "Broken descriptor")

    with pytest.raises(DatamiError) as caught:
        read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    assert describe(caught.value, "en").startswith(
        "datapackage.json in decider-ensemble/donnees is not valid JSON (Expecting property name enclosed in double quotes"
    )


def test_missing_repository_and_branch_are_explained(environment):
    missing = datami(environment, "show", "github:decider-ensemble/inconnu")
    no_branch = datami(environment, "show", f"{SPEC}@brouillon")

    assert missing.returncode == 1
    assert "decider-ensemble/inconnu" in missing.stderr
    assert "Traceback" not in missing.stderr + no_branch.stderr
    assert no_branch.returncode == 1 and "brouillon" in no_branch.stderr.splitlines()[-1]


def test_bad_token_is_explained_without_the_token(environment):
    environment["GITHUB_TOKEN"] = "ghp_" + "x" * 36

    shown = datami(environment, "show", SPEC)

    assert shown.returncode == 1
    assert "ghp_" + "x" * 36 not in shown.stderr
    assert "Traceback" not in shown.stderr


# From the command line, end to end

def test_edit_and_propose_without_a_clone(environment, upstream, tmp_path):
    edited = datami(environment, "edit", SPEC, "--row", KEY, "--set", f"SITE WEB={NEW_SITE}")
    assert edited.returncode == 0, edited.stderr
    assert "Copie de travail de decider-ensemble/donnees" in edited.stderr

    proposed = datami(environment, "propose", SPEC, "--title", "Corriger un lien")

    assert proposed.returncode == 0, proposed.stderr
    pulls = upstream.pulls(OWNER, NAME)
    assert len(pulls) == 1 and pulls[0]["title"] == "Corriger un lien"
    assert NEW_SITE in pulls[0]["body"]
    old = upstream.read_file(OWNER, NAME, "main", CSV).split(b"\n")
    new = upstream.read_file(OWNER, NAME, pulls[0]["head"]["sha"], CSV).split(b"\n")
    assert [index for index, (before, after) in enumerate(zip(old, new)) if before != after] == [
        next(index for index, line in enumerate(new) if NEW_SITE.encode() in line)
    ]
    copy = next((tmp_path / "copies").rglob("datapackage.json")).parent
    assert (copy / CSV).read_bytes() == upstream.read_file(OWNER, NAME, "main", CSV)
    assert datami(environment, "diff", SPEC).stdout.strip() == "Aucune différence avec la dernière version enregistrée dans Git."


def test_propose_merges_what_changed_on_github_since_reading(environment, upstream):
    assert datami(environment, "edit", SPEC, "--row", KEY, "--set", f"SITE WEB={NEW_SITE}").returncode == 0
    theirs = upstream.read_file(OWNER, NAME, "main", CSV).replace(b"Lavelanet", b"LAVELANET (09)", 1)
    upstream.commit_files(OWNER, NAME, "main", {CSV: theirs}, "Someone else edits another row")

    kept = datami(environment, "show", SPEC, "--row", KEY)
    proposed = datami(environment, "propose", SPEC, "--title", "Corriger un lien")

    assert "modifications pas encore proposées" in kept.stderr
    assert proposed.returncode == 0, proposed.stderr
    head = upstream.pulls(OWNER, NAME)[0]["head"]["sha"]
    merged = upstream.read_file(OWNER, NAME, head, CSV)
    assert NEW_SITE.encode() in merged and b"LAVELANET (09)" in merged


def test_propose_from_a_copy_needs_a_token(environment):
    assert datami(environment, "edit", SPEC, "--row", KEY, "--set", f"SITE WEB={NEW_SITE}").returncode == 0
    del environment["GITHUB_TOKEN"]
    environment["PATH"] = "/usr/bin:/bin"  # no gh program with a stored login

    proposed = datami(environment, "propose", SPEC, "--title", "Corriger un lien")

    assert proposed.returncode == 1
    assert "GITHUB_TOKEN" in proposed.stderr


# From the terminal editor

async def test_terminal_editor_proposes_from_a_working_copy(upstream, tmp_path, monkeypatch):
    from datami_py.ui.app import DatamiApp
    from tests.test_ui import SIZE, wait_for_main

    monkeypatch.setenv("GITHUB_TOKEN", EDITOR_TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", upstream.base_url)
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    copy = read(upstream, RemoteSpec(OWNER, NAME, None, ""), tmp_path)

    app = DatamiApp(copy.package, "fr")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_main(app, pilot)
        app.editor.set_cell(screen.table.find_row(KEY), "SITE WEB", NEW_SITE)
        screen.start_proposal()
        await pilot.pause()
        await pilot.press("enter")  # Accept the default title.
        for _ in range(400):
            await pilot.pause(0.05)
            if upstream.pulls(OWNER, NAME):
                break
        await pilot.pause(0.2)

    pulls = upstream.pulls(OWNER, NAME)
    assert len(pulls) == 1
    assert NEW_SITE.encode() in upstream.read_file(OWNER, NAME, pulls[0]["head"]["sha"], CSV)
    assert (copy.root / CSV).read_bytes() == upstream.read_file(OWNER, NAME, "main", CSV)


def test_unreachable_github_is_explained_in_french(environment):
    environment["GITHUB_API_URL"] = "http://127.0.0.1:9"

    shown = datami(environment, "show", SPEC)

    assert shown.returncode == 1
    assert shown.stderr.endswith(
        "GitHub n’a pas répondu après 3 tentatives pendant la lecture du dépôt (pas de connexion). Rien n’a été "
        "modifié : vérifiez la connexion à Internet, puis ouvrez de nouveau le paquet.\n")
    assert "try 2 of 3" not in shown.stderr
    assert "Traceback" not in shown.stderr
