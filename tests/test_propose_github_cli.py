"""datami propose --github, end to end against the local GitHub emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.github_emulator import EDITOR_TOKEN
from tests.helpers import REPOSITORY, git

TITLE = "Corriger le lien de Saint-Martin-d’Uriage"
KEY = "Co-construction de la révision du Plan Local d'Urbanisme"
CSV = "data/decider-ensemble-ressources-geocoded.csv"


def package_files() -> dict[str, bytes]:
    files = {"datapackage.json": (REPOSITORY / "datapackage.json").read_bytes()}
    for folder in ("schemas", "data"):
        for path in (REPOSITORY / folder).rglob("*"):
            if path.is_file():
                files[path.relative_to(REPOSITORY).as_posix()] = path.read_bytes()
    return files


def datami(folder: Path, environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from datami_py.cli import main; main()", *arguments]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)


def test_propose_github_opens_one_pull_request(tmp_path, github_emulator):
    github_emulator.create_repo("decider-ensemble", "donnees", package_files())
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(github_emulator.bare_path("decider-ensemble", "donnees")), str(clone)], check=True)
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "fr_FR.UTF-8",
        "GITHUB_TOKEN": EDITOR_TOKEN,
        "GITHUB_API_URL": github_emulator.base_url,
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.com",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.com",
    }
    edited = datami(clone, environment, "edit", "--row", KEY, "--set", "SITE WEB=https://mairie.saintmartinduriage.fr")
    assert edited.returncode == 0, edited.stderr

    proposed = datami(clone, environment, "propose", "--github", "decider-ensemble/donnees", "--title", TITLE)

    assert proposed.returncode == 0, proposed.stderr
    assert EDITOR_TOKEN not in proposed.stdout + proposed.stderr
    pulls = github_emulator.pulls("decider-ensemble", "donnees")
    assert len(pulls) == 1
    assert pulls[0]["title"] == TITLE
    assert "SITE WEB" in pulls[0]["body"]
    assert "https://mairie.saintmartinduriage.fr" in pulls[0]["body"]
    assert pulls[0]["html_url"] in proposed.stdout
    new = github_emulator.read_file("decider-ensemble", "donnees", pulls[0]["head"]["sha"], CSV)
    old = github_emulator.read_file("decider-ensemble", "donnees", "main", CSV)
    changed = [index for index, (before, after) in enumerate(zip(old.split(b"\n"), new.split(b"\n"))) if before != after]
    assert len(changed) == 1
    assert b"https://mairie.saintmartinduriage.fr" in new.split(b"\n")[changed[0]]
