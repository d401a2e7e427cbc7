"""Local proposals on the repository's real package: one branch, one commit, a clean working copy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datami_py.errors import DatamiError
from datami_py.forge import local
from datami_py.forge.local import propose_local
from datami_py.forge.proposal import Proposal, TableFormat, ValidationSummary, build_proposal, describe_proposal
from datami_py.session import Session
from datami_py.table.diff import CellChange, TableDiff
from tests.helpers import REPOSITORY, git

CSV = "data/decider-ensemble-ressources-geocoded.csv"
TITLE = "Corriger le lien de Saint-Martin-d'Uriage"
BRANCH = "datami/corriger-le-lien-de-saint-martin-duriage"
ROW_25 = "Co-construction de la révision du Plan Local d'Urbanisme "
OLD_LINK = "mairie.saintmartinduriage.fr"
NEW_LINK = "https://mairie.saintmartinduriage.fr"
ROW_30_LINK = "https://www.haute-garonne.fr"

# Registers the command the way the datami program does, so the tests run "datami propose".
PROGRAM = (
    "from datami_py.cli.main import cli\n"
    "from datami_py.cli_propose import propose\n"
    "if 'propose' not in cli.commands:\n"
    "    cli.add_command(propose)\n"
    "cli.main(prog_name='datami')\n"
)


def datami(folder: Path, *arguments: str, language: str = "fr_FR.UTF-8") -> subprocess.CompletedProcess:
    # No HOME: git reads no user configuration, as on a machine where it was never set up.
    environment = {"LANG": language, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", PROGRAM, *arguments]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, env=environment)


def edit_link(folder: Path, value: str = NEW_LINK, *, row: int = 25) -> None:
    completed = datami(folder, "edit", "--row-number", str(row), "--set", f"SITE WEB={value}")
    assert completed.returncode == 0, completed.stderr


def proposal_branches(folder: Path) -> list[str]:
    return git(folder, "for-each-ref", "--format=%(refname:short)", "refs/heads/datami/").split()


def committed_csv(folder: Path, revision: str) -> str:
    return git(folder, "show", f"{revision}:{CSV}")


def commit_on_branch(folder: Path, branch: str, row: int, value: str, tmp_path: Path) -> None:
    """Commit a change of row ``row``'s link on ``branch`` from a separate worktree, as a colleague would."""
    worktree = tmp_path / f"worktree-{branch}"
    git(folder, "worktree", "add", "-q", "-B", f"{branch}-work", str(worktree), branch)
    edit_link(worktree, value, row=row)
    git(worktree, "commit", "-q", "-am", f"Change row {row}")
    git(folder, "update-ref", f"refs/heads/{branch}", f"refs/heads/{branch}-work")
    git(folder, "worktree", "remove", str(worktree))
    git(folder, "branch", "-q", "-D", f"{branch}-work")


# The local proposal from the command line

def test_propose_commits_one_line_on_new_branch(package):
    original = (package / CSV).read_bytes()
    edit_link(package)

    completed = datami(package, "propose", "--title", TITLE)

    assert completed.returncode == 0, completed.stderr
    assert BRANCH in completed.stdout
    assert proposal_branches(package) == [BRANCH]
    assert git(package, "rev-list", "--count", f"main..{BRANCH}") == "1\n"
    assert git(package, "diff", "--numstat", "main", BRANCH) == f"1\t1\t{CSV}\n"
    assert NEW_LINK in committed_csv(package, BRANCH)
    assert git(package, "log", "-1", "--format=%s", BRANCH) == TITLE + "\n"
    # No git identity is configured here, so the documented fallback is used.
    assert git(package, "log", "-1", "--format=%an <%ae>|%cn <%ce>", BRANCH) == "datami-py <datami@localhost>|datami-py <datami@localhost>\n"

    assert git(package, "symbolic-ref", "--short", "HEAD") == "main\n"
    assert git(package, "status", "--porcelain") == ""
    assert (package / CSV).read_bytes() == original


def test_propose_author_from_git_config(package):
    git(package, "config", "user.name", "Camille Martin")
    git(package, "config", "user.email", "camille@example.org")
    edit_link(package)

    datami(package, "propose", "--title", TITLE)

    assert git(package, "log", "-1", "--format=%an <%ae>", BRANCH) == "Camille Martin <camille@example.org>\n"


def test_propose_default_title_in_french(package):
    edit_link(package)

    completed = datami(package, "propose")

    assert completed.returncode == 0, completed.stderr
    assert git(package, "log", "-1", "--format=%s", "datami/mise-a-jour-de-data-decider-ensemble-ressources-geocoded.csv") == f"Mise à jour de {CSV}\n"


def test_propose_again_reuses_branch(package):
    edit_link(package)
    first = datami(package, "propose", "--title", TITLE)
    commit = git(package, "rev-parse", BRANCH)

    edit_link(package)
    second = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "already contains this proposal" in second.stdout
    assert proposal_branches(package) == [BRANCH]
    assert git(package, "rev-parse", BRANCH) == commit
    assert git(package, "rev-list", "--count", f"main..{BRANCH}") == "1\n"
    assert git(package, "status", "--porcelain") == ""


def test_same_title_other_edit_gets_new_branch(package):
    edit_link(package)
    datami(package, "propose", "--title", TITLE)

    edit_link(package, "https://www.saintmartinduriage.fr")
    completed = datami(package, "propose", "--title", TITLE)

    assert completed.returncode == 0, completed.stderr
    assert proposal_branches(package) == [BRANCH, BRANCH + "-2"]
    assert git(package, "rev-list", "--count", f"main..{BRANCH}-2") == "1\n"


def test_rerun_after_interrupted_proposal(package, monkeypatch):
    edit_link(package)
    session = Session.open(package)
    proposal = build_proposal(session, TITLE, language="fr")

    def interrupted(root, proposal):
        raise OSError("interrupted before the working copy was restored")

    monkeypatch.setattr(local, "restore_data_files", interrupted)
    with pytest.raises(OSError):
        propose_local(package, proposal)
    monkeypatch.undo()

    # The branch exists and the edit is still in the working copy: nothing is lost.
    assert proposal_branches(package) == [BRANCH]
    assert NEW_LINK in (package / CSV).read_text(encoding="utf-8")

    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 0, completed.stderr
    assert "already contains this proposal" in completed.stdout
    assert proposal_branches(package) == [BRANCH]
    assert git(package, "rev-list", "--count", f"main..{BRANCH}") == "1\n"
    assert git(package, "status", "--porcelain") == ""


# The base branch moved

def test_upstream_change_merged_by_key(package, tmp_path):
    edit_link(package)
    proposal = build_proposal(Session.open(package), TITLE, language="fr")
    commit_on_branch(package, "main", 30, "https://www.haute-garonne.fr/concertation", tmp_path)

    result = propose_local(package, proposal)

    merged = committed_csv(package, result.branch)
    assert result.merged == (CSV,)
    assert result.reused is False
    assert NEW_LINK in merged
    assert "https://www.haute-garonne.fr/concertation" in merged
    assert git(package, "rev-list", "--count", f"main..{result.branch}") == "1\n"
    assert git(package, "diff", "--numstat", "main", result.branch) == f"1\t1\t{CSV}\n"
    assert git(package, "status", "--porcelain") == ""
    assert (package / CSV).read_text(encoding="utf-8") == committed_csv(package, "main")


def conflicting_setup(package: Path, tmp_path: Path) -> None:
    """Make develop change row 25's link one way, and the working copy change it another way and row 30 too."""
    git(package, "branch", "develop")
    commit_on_branch(package, "develop", 25, "https://www.saintmartinduriage.fr", tmp_path)
    edit_link(package)
    edit_link(package, "https://www.haute-garonne.fr/concertation", row=30)


def test_conflict_lists_values_and_writes_nothing(package, tmp_path):
    conflicting_setup(package, tmp_path)
    before = (package / CSV).read_bytes()

    completed = datami(package, "propose", "--base", "develop", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    error = completed.stderr.strip()
    assert len(error.splitlines()) == 1
    assert error.startswith(f"Error: {CSV}: 1 change(s) conflict with changes made on develop")
    assert f"row 25 ({ROW_25}), SITE WEB: yours “{NEW_LINK}”, develop “https://www.saintmartinduriage.fr”" in error
    assert "--ours" in error
    assert proposal_branches(package) == []
    assert (package / CSV).read_bytes() == before

    french = datami(package, "propose", "--base", "develop", "--title", TITLE)

    assert french.returncode == 1
    assert "1 modification(s) en conflit" in french.stderr
    assert f"ligne 25 ({ROW_25}), SITE WEB : vous « {NEW_LINK} », develop « https://www.saintmartinduriage.fr »" in french.stderr


def test_conflict_resolved_with_ours(package, tmp_path):
    conflicting_setup(package, tmp_path)

    completed = datami(package, "propose", "--base", "develop", "--title", TITLE, "--ours")

    assert completed.returncode == 0, completed.stderr
    content = committed_csv(package, BRANCH)
    assert f",{NEW_LINK}," in content
    assert "https://www.haute-garonne.fr/concertation" in content
    assert git(package, "rev-list", "--count", f"develop..{BRANCH}") == "1\n"
    assert git(package, "diff", "--numstat", "develop", BRANCH) == f"2\t2\t{CSV}\n"
    assert git(package, "status", "--porcelain") == ""


def test_conflict_resolved_with_theirs(package, tmp_path):
    conflicting_setup(package, tmp_path)

    completed = datami(package, "propose", "--base", "develop", "--title", TITLE, "--theirs")

    assert completed.returncode == 0, completed.stderr
    content = committed_csv(package, BRANCH)
    assert ",https://www.saintmartinduriage.fr," in content
    assert "https://www.haute-garonne.fr/concertation" in content
    assert git(package, "diff", "--numstat", "develop", BRANCH) == f"1\t1\t{CSV}\n"


# Refusals: each one names the fix and writes nothing

def test_nothing_to_propose(package):
    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert completed.stderr.startswith("Error: Nothing to propose")
    assert proposal_branches(package) == []


def test_not_a_git_repository(package):
    shutil.rmtree(package / ".git")

    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert "not inside a git repository" in completed.stderr
    assert "git init" in completed.stderr


def test_detached_head_rejected(package):
    edit_link(package)
    git(package, "checkout", "-q", "--detach")

    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert "detached HEAD" in completed.stderr
    assert "git switch main" in completed.stderr
    assert NEW_LINK in (package / CSV).read_text(encoding="utf-8")


def test_other_uncommitted_changes_rejected(package):
    edit_link(package)
    with (package / "datapackage.json").open("a", encoding="utf-8") as descriptor:
        descriptor.write("\n")

    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert "uncommitted changes that the proposal would not contain: datapackage.json." in completed.stderr
    assert proposal_branches(package) == []
    assert NEW_LINK in (package / CSV).read_text(encoding="utf-8")


def test_staged_third_version_rejected(package):
    edit_link(package)
    git(package, "add", CSV)
    edit_link(package, ROW_30_LINK + "/", row=30)

    completed = datami(package, "propose", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert f"git restore --staged {CSV}" in completed.stderr
    assert proposal_branches(package) == []


def test_missing_base_branch_rejected(package):
    edit_link(package)

    completed = datami(package, "propose", "--base", "production", "--title", TITLE, "--lang", "en")

    assert completed.returncode == 1
    assert "There is no branch “production”" in completed.stderr


def test_unsaved_edits_rejected(package):
    session = Session.open(package)
    table = session.table()
    table.set_cell(table.row_at(25), "SITE WEB", NEW_LINK)

    with pytest.raises(DatamiError) as caught:
        build_proposal(session, TITLE)

    assert caught.value.code == "forge.unsaved-edits"


def test_github_repository_name_checked(package):
    edit_link(package)

    completed = datami(package, "propose", "--github", "datami", "--lang", "en")

    assert completed.returncode == 1
    assert "OWNER/REPOSITORY" in completed.stderr
    assert proposal_branches(package) == []


# The pull request description

def test_description_of_real_edit(package):
    edit_link(package)

    proposal = build_proposal(Session.open(package), TITLE, "Le lien n’avait pas de protocole.", language="fr")
    body = describe_proposal(proposal)

    assert proposal.base_branch == "main"
    assert proposal.base_blobs[CSV] == git(package, "rev-parse", f"main:{CSV}").strip()
    assert list(proposal.files) == [CSV]
    assert body.startswith("Le lien n’avait pas de protocole.\n")
    assert "| Ligne | Champ | Avant | Après |" in body
    assert f"| Co-construction de la révision du Plan Local d'Urbanisme  | SITE WEB | {OLD_LINK} | {NEW_LINK} |" in body
    assert body.rstrip().endswith("avertissement(s).")
    assert "Validation des fichiers modifiés : 0 erreur(s)" in body


def test_description_escapes_markup():
    diff = TableDiff(
        cells=[
            CellChange("a|b", 1, "nom", "<b>gras</b>", "*x* _y_ `z` [lien](http://e.org)"),
            CellChange("k", 2, "notes", "ligne 1\nligne 2", ""),
        ],
        added=[{"key": "n", "row": 3, "values": {"nom": "A|B", "notes": None}}],
        deleted=[{"key": None, "row": 4, "values": {"nom": "<script>"}}],
    )
    proposal = Proposal("T", None, "en", "main", "0" * 40, {"x.csv": b""}, {}, {"x.csv": diff}, ValidationSummary(1, 2), {"x.csv": TableFormat("x", {})})

    body = describe_proposal(proposal)

    assert "| a\\|b | nom | &lt;b&gt;gras&lt;/b&gt; | \\*x\\* \\_y\\_ \\`z\\` \\[lien\\](http://e.org) |" in body
    assert "| k | notes | ligne 1<br>ligne 2 | *(empty)* |" in body
    assert "**Added rows**" in body
    assert "- n: nom: A\\|B" in body
    assert "- row 4: nom: &lt;script&gt;" in body
    assert body.endswith("Validation of the changed files: 1 error(s), 2 warning(s).\n")
