"""Links to repository files: finding the broken ones and repairing them, on the real package.

The real file list of github.com/multi-coop/data-decider-ensemble, at the commit the data
came from, is tests/data/decider-ensemble/repo-tree.txt. The GitHub emulator serves it as
a real git tree (every file empty), so every check goes through PyGithub and HTTP on
127.0.0.1, and the emulator counts the calls.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from datami_py.forge.github import format_reset_time
from datami_py.forge.tokens import Secret
from datami_py.forge.trees import connect_anonymous_or_token
from datami_py.fixes import apply_fixes, count_fixes, find_fixes
from datami_py.i18n import render
from datami_py.journal import JournaledTable
from datami_py.links import LinkChecker, name_key, parse_link, repair_reasons
from datami_py.session import Session
from tests.github_emulator import EDITOR_TOKEN, Call, GitHubEmulator
from tests.helpers import DECIDER_ENSEMBLE, git, init_repository

OWNER = "multi-coop"
NAME = "data-decider-ensemble"
TREE_CALL = Call("GET", f"/repos/{OWNER}/{NAME}/git/trees/main", 200)
CSV = "data/decider-ensemble-ressources-geocoded.csv"
PDF = "LIEN PDF PROTEGE"
LOGO = "LOGO URL"
RAW = f"https://raw.githubusercontent.com/{OWNER}/{NAME}/main/"

# Row number, the path of the one file that matches, and what differs from the link.
PDF_REPAIRS = [
    (34, "data/pdf/34.Fiche_longue-Nîmes_2017.pdf", ("accents",)),
    (36, "data/pdf/36.Fiche_longue-CCOcéan_2017.pdf", ("accents",)),
    (37, "data/pdf/37.Fiche_longue-Lumbres_2017.pdf", ("doubled",)),
    (39, "data/pdf/39.Fiche_longue-Orléans_2017.pdf", ("accents",)),
    (53, "data/pdf/53.Fiche_longue-Grandparis_2020.pdf", ("doubled",)),
    (54, "data/pdf/54.Fiche_longue-Vétérinaires_2020.pdf", ("accents",)),
    (55, "data/pdf/55.Fiche_longue-Mediacités_2020.pdf", ("accents",)),
    (75, "data/pdf/75.Fiche_barometre-Rennes.pdf", ("doubled",)),
    (77, "data/pdf/77.Fiche_longue-Hazebrouck_2016.pdf", ("doubled",)),
    (78, "data/pdf/78.Fiche_longue-Lyon_2016.pdf", ("doubled",)),
    (79, "data/pdf/79.Fiche_longue-Mulhouse_2016.pdf", ("doubled",)),
    (80, "data/pdf/80.Fiche_longue-Sene_2016.pdf", ("doubled",)),
    (81, "data/pdf/81.Fiche_longue-SNCF_2016.pdf", ("doubled",)),
    (82, "data/pdf/82.Fiche_longue-ValdeMarne_2016.pdf", ("doubled",)),
    (83, "data/pdf/83.Fiche_longue-Gironde_2016.pdf", ("doubled",)),
]
LOGO_REPAIRS = [
    (9, "illustrations/fiches/9.LogoMaisonNature.jpeg", ("extension",)),
    (84, "illustrations/logos/70.OIF.png", ("folder",)),
    (85, "illustrations/logos/71.Plessé.png", ("folder",)),
    (86, "illustrations/logos/72.Jouars.png", ("folder",)),
    (87, "illustrations/logos/73.Logo_Millau.jpeg", ("folder",)),
    (88, "illustrations/logos/74.Logo_Tours.png", ("folder",)),
    (89, "illustrations/logos/74.Logo_Tours.png", ("folder",)),
    (90, "illustrations/logos/85.logo-Orleans-Metropole.jpeg", ("folder",)),
    (91, "illustrations/logos/75.Logo_Archipel_Habitat.jpeg", ("folder",)),
    (92, "illustrations/logos/76.Logo_Allonnes.png", ("folder",)),
    (93, "illustrations/logos/77.Logo_Antony.png", ("folder",)),
    (94, "illustrations/logos/78.Logo_Bordeaux_ville.png", ("folder",)),
    (96, "illustrations/logos/80.Logo_Etain.png", ("folder",)),
    (97, "illustrations/logos/81.Logo_Coutances_mer_et_bocage.png", ("folder",)),
    (99, "illustrations/logos/82.Logo_Paris_Good_Fashion.jpeg", ("folder",)),
    (100, "illustrations/logos/83.Logo_CNA.jpg", ("folder",)),
    (101, "illustrations/logos/84.Logo_Aquitanis.png", ("folder",)),
]


def tree_paths() -> list[str]:
    return (DECIDER_ENSEMBLE / "repo-tree.txt").read_text(encoding="utf-8").splitlines()


def no_sleep(seconds: float) -> None:
    """Stand in for time.sleep, so retries cost no time."""


def fast_client(token: Secret | None, api_url: str):
    return connect_anonymous_or_token(token, api_url, seconds_between_requests=0, seconds_between_writes=0)


def checker_for(folder: Path, api_url: str, token: str | None = EDITOR_TOKEN, **options) -> LinkChecker:
    """A checker of FOLDER's links that reads GitHub at API_URL with TOKEN, without throttling or waits."""
    options.setdefault("retry_delays", (0.0,))
    return LinkChecker.for_package(folder, api_url=api_url, token=Secret(token) if token else None,
                                   github_factory=fast_client, sleep=no_sleep, **options)


def check_package(folder: Path, checker: LinkChecker) -> list:
    opened = Session.open(folder).open_table()
    return checker.check_table(opened.table, opened.resource.settings)


def broken(checks: list, field: str) -> list:
    return [cell for cell in checks if cell.field == field and cell.check.status != "found"]


def as_repairs(table, cells: list) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(table.row_number(cell.row), cell.check.new_path,
             tuple(reason.rpartition(".")[2] for reason in cell.check.reasons)) for cell in cells]


def csv_cells(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.fixture
def upstream(github_emulator: GitHubEmulator) -> GitHubEmulator:
    """The emulator with multi-coop/data-decider-ensemble on main: every path of repo-tree.txt, empty."""
    github_emulator.create_repo(OWNER, NAME, {path: b"" for path in tree_paths()})
    github_emulator.reset_calls()
    return github_emulator


@pytest.fixture
def environment(upstream: GitHubEmulator) -> dict[str, str]:
    """The environment of a datami program that reads GitHub at the emulator with the editor's token."""
    return {"LANG": "en_GB.UTF-8", "PATH": "/usr/bin:/bin", "GITHUB_API_URL": upstream.base_url,
            "GITHUB_TOKEN": EDITOR_TOKEN}


def run(folder: Path, environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    code = "from datami_py.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *arguments], cwd=folder, capture_output=True, text=True,
                          env=environment)


# ---------------------------------------------------------------------------------------------
# The real package against GitHub
# ---------------------------------------------------------------------------------------------


def test_real_package_broken_links(package, upstream):
    checker = checker_for(package, upstream.base_url)
    table = Session.open(package).table()

    checks = check_package(package, checker)

    assert len(broken(checks, PDF)) == 15
    assert len(broken(checks, LOGO)) == 17
    assert as_repairs(table, broken(checks, PDF)) == PDF_REPAIRS
    assert as_repairs(table, broken(checks, LOGO)) == LOGO_REPAIRS
    assert {cell.check.status for cell in broken(checks, PDF) + broken(checks, LOGO)} == {"repairable"}
    assert {cell.field for cell in checks} == {PDF, LOGO}
    assert len(checks) == 202


def test_real_package_one_tree_call(package, upstream):
    checker = checker_for(package, upstream.base_url)

    check_package(package, checker)
    check_package(package, checker)

    assert upstream.calls == [TREE_CALL]
    assert checker.trees.calls == 1
    assert upstream.unhandled == []


def test_repaired_links_keep_their_form(package, upstream):
    checks = check_package(package, checker_for(package, upstream.base_url))
    by_row = {(cell.field, Session.open(package).table().row_number(cell.row)): cell for cell in checks}

    nimes = by_row[(PDF, 34)]
    tours = by_row[(LOGO, 88)]
    rennes = by_row[(PDF, 75)]

    assert not unicodedata.is_normalized("NFC", nimes.text)
    assert nimes.check.repaired == RAW + "data/pdf/34.Fiche_longue-N\u00eemes_2017.pdf?raw=true"
    assert tours.check.repaired == RAW + "illustrations/logos/74.Logo_Tours.png?raw=true"
    assert rennes.check.repaired == RAW + "data/pdf/75.Fiche_barometre-Rennes.pdf?raw=true"


def test_links_fixes_are_journaled_edits(package, upstream, tmp_path, monkeypatch):
    monkeypatch.setenv("DATAMI_JOURNAL_DIR", str(tmp_path / "journals"))
    session = Session.open(package)
    editor = JournaledTable(session)
    table = editor.table
    settings = session.package.resource(None).settings
    original = table.render()
    fixes = find_fixes(table, settings, ["links"], links=checker_for(package, upstream.base_url))

    applied = apply_fixes(editor, fixes)

    assert applied == 32
    assert {fix.kind for fix in fixes} == {"links"}
    assert [(table.row_number(fix.row), fix.field) for fix in fixes] == (
        [(row, PDF) for row, _, _ in PDF_REPAIRS] + [(row, LOGO) for row, _, _ in LOGO_REPAIRS])
    assert editor.journal.started
    while editor.undo() is not None:
        pass
    assert table.render() == original
    editor.close()


def test_count_fixes_links_needs_checker(package, upstream):
    opened = Session.open(package).open_table()

    with_checker = count_fixes(opened.table, opened.resource.settings, links=checker_for(package, upstream.base_url))
    without = count_fixes(opened.table, opened.resource.settings)

    assert with_checker["links"] == 32
    assert "links" not in without
    assert upstream.calls == [TREE_CALL]


def test_fix_links_changes_only_listed_cells(package, environment):
    before = csv_cells(package / CSV)

    completed = run(package, environment, "fix", "links")

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    lines = completed.stdout.splitlines()
    assert len(lines) == 33
    assert lines[-1] == f"Saved {CSV}: 32 change(s) applied."
    assert lines[0] == (
        f"{CSV}: links, row 34 (Agglo Forum), LIEN PDF PROTEGE: “{RAW}data/pdf/34.Fiche_longue-Ni\u0302mes_2017.pdf"
        f"?raw=true” → “{RAW}data/pdf/34.Fiche_longue-N\u00eemes_2017.pdf?raw=true”"
    )

    after = csv_cells(package / CSV)
    changed = {(number, name) for number, (old, new) in enumerate(zip(before, after), 1)
               for name in old if old[name] != new[name]}
    expected = {(row, PDF) for row, _, _ in PDF_REPAIRS} | {(row, LOGO) for row, _, _ in LOGO_REPAIRS}
    assert changed == expected
    for row, path, _ in PDF_REPAIRS:
        assert after[row - 1][PDF] == RAW + path + "?raw=true"
    for row, path, _ in LOGO_REPAIRS:
        assert after[row - 1][LOGO] == RAW + path + "?raw=true"
    assert git(package, "diff", "--numstat") == f"32\t32\t{CSV}\n"


def test_fix_links_dry_run_writes_nothing(package, environment):
    content = (package / CSV).read_bytes()

    completed = run(package, environment, "fix", "links", "--dry-run")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines()[-1] == "Nothing was written (--dry-run): 32 change(s) proposed."
    assert (package / CSV).read_bytes() == content


def test_fix_links_second_run_changes_nothing(package, environment):
    assert run(package, environment, "fix", "links").returncode == 0

    second = run(package, environment, "fix", "links")

    assert second.returncode == 0, second.stderr
    assert second.stdout == "Nothing to fix: no cell needs these fixes.\n"
    assert second.stderr == ""


def test_fix_list_counts_links(package, environment):
    completed = run(package, environment, "fix", "--list")

    assert completed.returncode == 0, completed.stderr
    assert ("links (32 cell(s)): Repair links to files of a Git repository that has no file of that name, "
            "when exactly one file there matches.") in completed.stdout.splitlines()


def test_links_command_lists_repairs(package, environment):
    completed = run(package, environment, "links")

    assert completed.returncode == 1, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 33
    assert lines[-1] == ("202 link(s) to repository files: 170 found, 32 to repair with “datami fix links”, "
                         "0 to correct by hand, 0 not checked.")
    assert lines[7] == (
        f'{CSV}, row 75 (key "La Fabrique citoyenne (et numérique) de Rennes "), field "LIEN PDF PROTEGE": '
        f"“data/pdf/75.Fiche_barometre-Rennes.pdf.pdf” is not in {OWNER}/{NAME} at main. Found "
        "“data/pdf/75.Fiche_barometre-Rennes.pdf” (doubled extension or extra dot): “datami fix links” "
        "repairs the link."
    )


def test_links_command_in_french(package, environment):
    environment["LANG"] = "fr_FR.UTF-8"

    completed = run(package, environment, "links")

    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.splitlines()[-1] == (
        "202 lien(s) vers des fichiers de dépôt : 170 trouvé(s), 32 à réparer avec « datami fix links », "
        "0 à corriger à la main, 0 non vérifié(s)."
    )
    assert completed.stdout.splitlines()[8] == (
        f"{CSV}, ligne 77 (clé « Vers une démarche citoyenne autonome »), champ « LIEN PDF PROTEGE »\u00a0: « data/pdf/77.Fiche_longue-Hazebrouck_2016.pdf.pdf » n’est pas dans "
        f"{OWNER}/{NAME} sur main. Trouvé : « data/pdf/77.Fiche_longue-Hazebrouck_2016.pdf » (extension doublée "
        "ou point en trop) ; « datami fix links » répare le lien."
    )


def test_links_command_json(package, environment):
    completed = run(package, environment, "links", "--json")

    assert completed.returncode == 1, completed.stderr
    report = json.loads(completed.stdout)
    assert report["counts"] == {"found": 170, "repairable": 32, "unrepairable": 0, "not-checked": 0}
    assert report["api_calls"] == 1
    rennes = next(item for item in report["links"] if item["row"] == 75 and item["field"] == PDF)
    assert rennes["status"] == "repairable"
    assert rennes["new_path"] == "data/pdf/75.Fiche_barometre-Rennes.pdf"
    assert rennes["reasons"] == ["doubled extension or extra dot"]
    assert rennes["repository"] == f"{OWNER}/{NAME}"


# ---------------------------------------------------------------------------------------------
# Local git tree
# ---------------------------------------------------------------------------------------------


def test_local_tree_when_origin_is_the_repository(package, github_emulator):
    for path in tree_paths():
        target = package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
    git(package, "add", "-A")
    git(package, "commit", "-q", "-m", "Add the files the links point to")
    git(package, "remote", "add", "origin", f"https://github.com/{OWNER}/{NAME}.git")
    checker = checker_for(package, github_emulator.base_url)
    table = Session.open(package).table()

    checks = check_package(package, checker)

    assert as_repairs(table, broken(checks, PDF)) == PDF_REPAIRS
    assert as_repairs(table, broken(checks, LOGO)) == LOGO_REPAIRS
    assert github_emulator.calls == []
    assert checker.trees.calls == 0
    assert checker.trees.tree(OWNER, NAME, "main").source == "local"


def test_local_ref_missing_reads_github(package, upstream):
    git(package, "remote", "add", "origin", f"git@github.com:{OWNER}/{NAME}.git")
    git(package, "branch", "-m", "main", "trunk")

    checks = check_package(package, checker_for(package, upstream.base_url))

    assert len(broken(checks, PDF)) == 15
    assert upstream.calls == [TREE_CALL]


# ---------------------------------------------------------------------------------------------
# Not checked
# ---------------------------------------------------------------------------------------------


def test_not_checked_when_github_fails(package, upstream):
    upstream.fail_call(1, 502)
    upstream.fail_call(2, 502)
    checker = checker_for(package, upstream.base_url)

    checks = check_package(package, checker)

    assert {cell.check.status for cell in checks} == {"not-checked"}
    assert len(checks) == 202
    check = checks[0].check
    assert render(check.problem, "en", **check.params) == (
        f"GitHub could not be reached at {upstream.base_url} after 2 attempt(s) (502 Bad Gateway). "
        "Check the internet connection, then run the check again."
    )
    assert len(upstream.calls) == 2


def test_not_checked_line_of_fix_links(package, environment, upstream):
    environment["GITHUB_API_URL"] = "http://127.0.0.1:9"
    content = (package / CSV).read_bytes()

    completed = run(package, environment, "fix", "links")

    assert completed.returncode == 0
    assert completed.stdout == "Nothing to fix: no cell needs these fixes.\n"
    assert completed.stderr.startswith(
        f"202 link(s) to {OWNER}/{NAME} at main not checked: GitHub could not be reached at "
        "http://127.0.0.1:9 after 2 attempt(s) (no connection)."
    )
    assert completed.stderr.count("\n") == 1
    assert (package / CSV).read_bytes() == content


def test_fix_list_says_links_were_not_checked(package, environment, upstream):
    environment["GITHUB_API_URL"] = "http://127.0.0.1:9"

    completed = run(package, environment, "fix", "--list")

    assert completed.returncode == 0
    links_line = next(line for line in completed.stdout.splitlines() if line.startswith("links "))
    assert links_line.startswith("links (0 cell(s) among the links checked; 202 link(s) not checked, see below): ")
    assert completed.stderr.startswith(f"202 link(s) to {OWNER}/{NAME} at main not checked: ")


def test_private_repository_without_token(package, github_emulator):
    github_emulator.create_repo(OWNER, NAME, {path: b"" for path in tree_paths()}, private=True)

    checks = check_package(package, checker_for(package, github_emulator.base_url, token=None))

    check = checks[0].check
    assert check.status == "not-checked"
    assert render(check.problem, "fr", **check.params) == (
        f"Le dépôt {OWNER}/{NAME} ou sa branche main est introuvable sur 127.0.0.1. Vérifiez les liens ; si le "
        "dépôt est privé, mettez dans GITHUB_TOKEN un jeton qui peut le lire."
    )


def test_public_repository_needs_no_token(package, upstream):
    checks = check_package(package, checker_for(package, upstream.base_url, token=None))

    assert len(broken(checks, LOGO)) == 17
    assert upstream.calls == [TREE_CALL]


def test_not_checked_with_rejected_token(package, upstream):
    checks = check_package(package, checker_for(package, upstream.base_url, token="ghp_" + "x" * 36))

    check = checks[0].check
    assert render(check.problem, "en", **check.params) == (
        "GitHub rejected the token (401 “Bad credentials”). Put a valid token in GITHUB_TOKEN, or remove it: "
        "public repositories can be read without one."
    )


def test_not_checked_when_rate_limited(package, upstream):
    reset = int(time.time()) + 600
    upstream.rate_limit(0, reset)

    checks = check_package(package, checker_for(package, upstream.base_url))

    check = checks[0].check
    assert check.status == "not-checked"
    assert render(check.problem, "en", **check.params) == (
        f"The GitHub API rate limit is used up until {format_reset_time(reset)} (in 10 min). Run the check "
        "again after that, or set GITHUB_TOKEN: a token has a higher limit."
    )
    assert len(upstream.calls) == 1


# ---------------------------------------------------------------------------------------------
# Small packages: several matches, no match, encodings, relative links
# ---------------------------------------------------------------------------------------------

SMALL_SCHEMA = {
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "lien", "type": "string", "x-datami": {"subtype": "link"}},
        {"name": "source", "type": "string"},
    ],
    "primaryKey": ["id"],
}
FILES = ("images/logo.png", "images/photo.jpg", "images/photo.png", "docs/guide.pdf", "old/report.pdf",
         "new/report.pdf", "Dossier été/Plessé.png")
BLOB = "https://github.com/owner/files/blob/main/"
RAW_FILES = "https://raw.githubusercontent.com/owner/files/main/"


def small_package(folder: Path, links: list[tuple[str, str]]) -> Path:
    """Write a one-table package whose rows hold LINKS as (lien, source) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = {"name": "small", "resources": [{"name": "rows", "path": "rows.csv", "schema": SMALL_SCHEMA}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["id", "lien", "source"])
    writer.writerows([str(number), link, source] for number, (link, source) in enumerate(links, 1))
    (folder / "rows.csv").write_text(output.getvalue(), encoding="utf-8")
    return folder


@pytest.fixture
def files_repository(github_emulator: GitHubEmulator) -> GitHubEmulator:
    github_emulator.create_repo("owner", "files", {path: b"x" for path in FILES})
    github_emulator.reset_calls()
    return github_emulator


def test_unrepairable_links_give_the_reason(tmp_path, files_repository):
    folder = small_package(tmp_path / "small", [
        (RAW_FILES + "images/logo.png", ""),
        (RAW_FILES + "images/photo.gif", ""),
        (RAW_FILES + "docs/missing.pdf", ""),
        (RAW_FILES + "archive/report.pdf", ""),
        ("www.example.fr", BLOB + "docs/guide.pdf"),
    ])
    init_repository(folder)

    checks = check_package(folder, checker_for(folder, files_repository.base_url))

    outcomes = [(cell.field, cell.check.status, render(cell.check.problem, "en", **cell.check.params)
                 if cell.check.problem else None) for cell in checks]
    assert outcomes == [
        ("lien", "found", None),
        ("lien", "unrepairable", "“images/photo.gif” is not in owner/files at main, and several files could be "
                                 "meant: “images/photo.jpg”, “images/photo.png”. Correct the link by hand."),
        ("lien", "unrepairable", "“docs/missing.pdf” is not in owner/files at main, and no file there has a "
                                 "close name. Correct the link by hand."),
        ("lien", "unrepairable", "“archive/report.pdf” is not in owner/files at main, and several files could "
                                 "be meant: “new/report.pdf”, “old/report.pdf”. Correct the link by hand."),
        ("source", "found", None),
    ]
    assert checks[1].check.candidates == ("images/photo.jpg", "images/photo.png")
    assert files_repository.calls == [Call("GET", "/repos/owner/files/git/trees/main", 200)]


def test_percent_encoded_link_repaired_in_its_style(tmp_path, files_repository):
    decomposed = "Dossier%20%C3%A9t%C3%A9/Plesse%CC%81.PNG?raw=true"
    folder = small_package(tmp_path / "small", [
        (BLOB + decomposed, ""),
        ("https://github.com/owner/files/raw/main/docs/GUIDE.pdf.pdf", ""),
    ])
    init_repository(folder)

    checks = check_package(folder, checker_for(folder, files_repository.base_url))

    assert checks[0].check.new_path == "Dossier été/Plessé.png"
    assert checks[0].check.repaired == BLOB + "Dossier%20%C3%A9t%C3%A9/Pless%C3%A9.png?raw=true"
    assert [render(reason, "en") for reason in checks[0].check.reasons] == [
        "accents stored in another Unicode form", "upper and lower case"]
    assert checks[1].check.repaired == "https://github.com/owner/files/raw/main/docs/guide.pdf"
    assert [render(reason, "en") for reason in checks[1].check.reasons] == [
        "upper and lower case", "doubled extension or extra dot"]


def test_branch_name_with_slash(tmp_path, github_emulator):
    github_emulator.create_repo("owner", "files", {path: b"x" for path in FILES}, default_branch="feature/photos")
    github_emulator.reset_calls()
    prefix = "https://raw.githubusercontent.com/owner/files/feature/photos/"
    folder = small_package(tmp_path / "small", [(prefix + "images/logo.png", ""), (prefix + "images/LOGO.png", "")])
    init_repository(folder)

    checks = check_package(folder, checker_for(folder, github_emulator.base_url))

    assert [(cell.check.status, cell.check.link.ref, cell.check.path) for cell in checks] == [
        ("found", "feature/photos", "images/logo.png"),
        ("repairable", "feature/photos", "images/LOGO.png"),
    ]
    assert checks[1].check.repaired == prefix + "images/logo.png"
    assert github_emulator.calls == [
        Call("GET", "/repos/owner/files/git/trees/feature", 404),
        Call("GET", "/repos/owner/files/git/trees/feature%2Fphotos", 200),
    ]


def test_missing_branch_reported_with_first_reading(tmp_path, files_repository):
    folder = small_package(tmp_path / "small", [("https://raw.githubusercontent.com/owner/files/gone/a/b/c/d/e.pdf", "")])
    init_repository(folder)

    checks = check_package(folder, checker_for(folder, files_repository.base_url))

    check = checks[0].check
    assert check.status == "not-checked"
    assert render(check.problem, "en", **check.params) == (
        "The repository owner/files or its branch gone was not found on 127.0.0.1. Check the links; if the "
        "repository is private, set GITHUB_TOKEN to a token that can read it.")
    assert [call.path for call in files_repository.calls] == [
        "/repos/owner/files/git/trees/gone",
        "/repos/owner/files/git/trees/gone%2Fa",
        "/repos/owner/files/git/trees/gone%2Fa%2Fb",
        "/repos/owner/files/git/trees/gone%2Fa%2Fb%2Fc",
    ]


def test_relative_links_against_committed_files(tmp_path, github_emulator):
    root = tmp_path / "repository"
    (root / "logos").mkdir(parents=True)
    (root / "logos" / "a.png").write_bytes(b"png")
    folder = small_package(root / "package", [
        ("../logos/a.jpg", ""),
        ("../../outside.png", ""),
        ("rows.csv", ""),
        ("./rows.CSV", ""),
    ])
    init_repository(root)

    checks = check_package(folder, checker_for(folder, github_emulator.base_url))

    assert [(cell.check.status, cell.check.repaired) for cell in checks] == [
        ("repairable", "../logos/a.png"),
        ("unrepairable", None),
        ("found", None),
        ("repairable", "./rows.csv"),
    ]
    assert render(checks[1].check.problem, "en", **checks[1].check.params) == (
        "“../../outside.png” leaves the repository. Write the path from the package folder, without going above "
        "the repository."
    )
    assert github_emulator.calls == []


def test_relative_links_outside_git_not_checked(tmp_path, github_emulator):
    folder = small_package(tmp_path / "small", [("logos/a.png", "")])

    checks = check_package(folder, checker_for(folder, github_emulator.base_url))

    assert checks[0].check.status == "not-checked"
    assert render(checks[0].check.problem, "en") == (
        "The package is not in a git repository, so relative links cannot be checked against committed files. "
        "Run “git init” and commit the files first."
    )


# ---------------------------------------------------------------------------------------------
# Parsing and names
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("https://raw.githubusercontent.com/o/r/main/a/b.pdf?raw=true", ("raw", "o/r", "main", "a/b.pdf")),
    ("https://raw.githubusercontent.com/o/r/refs/heads/dev/a.png", ("raw", "o/r", "dev", "a.png")),
    ("https://github.com/o/r/blob/v1.0/docs/a%20b.md#title", ("blob", "o/r", "v1.0", "docs/a b.md")),
    ("http://www.github.com/o/r/raw/main/x.csv", ("blob", "o/r", "main", "x.csv")),
    (" https://github.com/o/r/blob/main/x.csv ", ("blob", "o/r", "main", "x.csv")),
])
def test_parse_repository_links(text, expected):
    link = parse_link(text)

    assert link is not None
    assert (link.style, link.repository, link.ref, link.path) == expected
    assert link.with_path(link.path) == text.strip()


@pytest.mark.parametrize("text", [
    "https://github.com/o/r", "https://github.com/o/r/tree/main/docs", "https://example.org/a.pdf",
    "www.example.fr", "mairie.fr/page", "mailto:someone@example.org", "https://raw.githubusercontent.com/o/r/main/",
    "https://github.com/o/r/blob/main/a.pdf\nhttps://github.com/o/r/blob/main/b.pdf",
    "https://github.com:abc/o/r/blob/main/a.pdf", "https://[::1/o/r/blob/main/a.pdf",
])
def test_parse_ignores_other_values(text):
    assert parse_link(text, relative=True) is None


def test_relative_paths_only_when_asked():
    assert parse_link("logos/a.png") is None
    assert parse_link("logos/a.png", relative=True).path == "logos/a.png"
    assert parse_link("a.pdf", relative=True).path == "a.pdf"
    assert parse_link("example.fr", relative=True) is None


def test_name_key_groups_close_names():
    assert name_key("x.pdf.pdf") == name_key("X..pdf") == name_key("x.PDF") == ("x", "pdf")
    assert name_key("Logo.jpg") == name_key("logo.png") == ("logo", "image")
    assert name_key("Ple\u0301sse.png") == name_key("Plésse.png")
    assert name_key("report.pdf") != name_key("report.png")


def test_repair_reasons_name_each_difference():
    assert repair_reasons("fiches/a.jpg", "logos/a.jpeg") == ("links.reason.extension", "links.reason.folder")
    assert repair_reasons("a/Ni\u0302mes.pdf", "a/Nîmes.pdf") == ("links.reason.accents",)


# ---------------------------------------------------------------------------------------------
# Command line on small packages, bad settings, the emulated endpoint
# ---------------------------------------------------------------------------------------------


def test_fix_links_lists_unrepaired_links(tmp_path, files_repository):
    folder = small_package(tmp_path / "small", [
        (RAW_FILES + "images/photo.gif", ""),
        (RAW_FILES + "docs/guide.PDF", ""),
        (RAW_FILES + "docs/missing.pdf", ""),
    ])
    init_repository(folder)
    environment = {"LANG": "en_GB.UTF-8", "PATH": "/usr/bin:/bin", "GITHUB_API_URL": files_repository.base_url}

    completed = run(folder, environment, "fix", "links")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        f"rows.csv: links, row 2 (2), lien: “{RAW_FILES}docs/guide.PDF” → “{RAW_FILES}docs/guide.pdf”",
        "Saved rows.csv: 1 change(s) applied.",
    ]
    assert completed.stderr.splitlines() == [
        "rows.csv, row 1 (key \"1\"), field \"lien\": “images/photo.gif” is not in owner/files at main, and several "
        "files could be meant: “images/photo.jpg”, “images/photo.png”. Correct the link by hand.",
        "rows.csv, row 3 (key \"3\"), field \"lien\": “docs/missing.pdf” is not in owner/files at main, and no file "
        "there has a close name. Correct the link by hand.",
    ]
    assert git(folder, "diff", "--numstat") == "1\t1\trows.csv\n"


def test_links_command_invalid_api_url(package):
    environment = {"LANG": "en_GB.UTF-8", "PATH": "/usr/bin:/bin", "GITHUB_API_URL": "ftp://example.org"}

    completed = run(package, environment, "links")

    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "Error: The GitHub API address “ftp://example.org” is not valid. Set GITHUB_API_URL to an https:// address "
        "such as https://api.github.com, or remove it.\n"
    )


def test_rejected_token_never_shown(package, environment):
    token = "ghp_" + "y" * 36
    environment["GITHUB_TOKEN"] = token

    completed = run(package, environment, "links")

    assert completed.returncode == 1
    assert "GitHub rejected the token (401 “Bad credentials”)" in completed.stdout
    assert token not in completed.stdout + completed.stderr


def test_emulated_tree_has_github_keys(upstream):
    github = fast_client(Secret(EDITOR_TOKEN), upstream.base_url)

    listing = github.get_repo(f"{OWNER}/{NAME}").get_git_tree("main", recursive=True)

    assert set(listing.raw_data) == {"sha", "url", "tree", "truncated"}
    assert listing.raw_data["truncated"] is False
    blob = next(entry for entry in listing.raw_data["tree"] if entry["path"] == "data/pdf/20.Fiche_longue-MEL.pdf")
    folder = next(entry for entry in listing.raw_data["tree"] if entry["path"] == "data/pdf")
    assert set(blob) == {"path", "mode", "type", "sha", "size", "url"}
    assert (blob["mode"], blob["type"], blob["size"]) == ("100644", "blob", 0)
    assert (folder["mode"], folder["type"]) == ("040000", "tree")
    assert len([entry for entry in listing.raw_data["tree"] if entry["type"] == "blob"]) == len(tree_paths())


def test_truncated_tree_not_checked(package, upstream):
    upstream.limit_tree_entries(10)

    checks = check_package(package, checker_for(package, upstream.base_url))

    check = checks[0].check
    assert {cell.check.status for cell in checks} == {"not-checked"}
    assert render(check.problem, "en", **check.params) == (
        f"GitHub listed only part of the files of {OWNER}/{NAME} at main, because the repository is too large "
        "for one listing. Check these links by hand."
    )
