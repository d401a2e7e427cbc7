"""The ``propose`` command: turn the saved edits into a proposal branch, or a GitHub pull request.

Exit status: 0 when the proposal was made (or an earlier identical one reused), 1 when
it was refused (nothing to propose, a conflict, uncommitted changes…), 2 for a wrong
command line. This module does not import :mod:`datami_py.cli`, which registers the
command, so that either can be imported first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from datami_py.cli_help import DatamiCommand
from datami_py.cli_remote import local_package
from datami_py.errors import DatamiError, describe
from datami_py.forge.local import ProposalResult, propose_local, restore_data_files
from datami_py.forge.proposal import Proposal, build_proposal
from datami_py.forge.remote import github_repository, is_working_copy
from datami_py.forge.tokens import api_url_from_environment, find_token, require_token
from datami_py.gitrepo import repository_root
from datami_py.i18n import detect_language, message, render
from datami_py.session import Session

ERROR_LINE = message("forge.error-line", "Error: {message}")
PROPOSED = message(
    "forge.proposed",
    "Proposal committed on the new branch {branch} (commit {commit}), based on {base}. "
    "The data files in your working copy are back to their last committed version.",
)
REUSED = message(
    "forge.reused",
    "The branch {branch} already contains this proposal (commit {commit}), so it was reused and nothing new was committed.",
)
MERGED = message("forge.merged", "Merged with the changes made on {base} meanwhile: {files}.")
NOT_RESTORED = message(
    "forge.not-restored",
    "These files changed again while the proposal was being made, so they were left as they are: {files}.",
)
PULL_REQUEST = message("forge.pull-request", "Pull request: {url}")
BRANCH_LINE = message("forge.branch", "Branch: {branch}")
PULL_REQUEST_UPDATED = message("forge.pull-request-updated", "Proposal #{number} updated: {url}")
RESTORED_AFTER_PULL = message(
    "forge.restored-after-pull",
    "The data files in your working copy are back to their last committed version: your edits are in the pull request.",
)
NO_TOKEN_LOCAL = message(
    "forge.no-token-local",
    "The package comes from GitHub ({repository}) but no GitHub token was found, so the proposal is a local branch. "
    "To open a pull request instead, set GITHUB_TOKEN or log in with “gh auth login”, then run datami propose again.",
)
SPLIT_PART = message("forge.split-part", "{title} ({cells} cell(s)):")
SPLIT_DONE = message(
    "forge.split-done",
    "{count} proposal(s), one per kind of fix. The data files in your working copy are back to their last committed version.",
)
GITHUB_REPOSITORY_INVALID = message(
    "forge.github-repository-invalid",
    "“{repository}” is not a GitHub repository name. Give it as OWNER/REPOSITORY, for example --github multi-coop/datami.",
)


@click.command("propose", cls=DatamiCommand)
@click.argument("package", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--title", help="Title of the proposal, kept as typed (default: “Update” and the changed files).")
@click.option("--message", "description", help="Longer description, added to the commit message and the pull request.")
@click.option("--base", help="Branch to propose the changes to (default: the branch checked out).")
@click.option("--ours", "side", flag_value="ours", default=None, help="In a conflict, keep your values.")
@click.option("--theirs", "side", flag_value="theirs", help="In a conflict, keep the values of the base branch.")
@click.option(
    "--github",
    "repository",
    metavar="OWNER/REPO",
    help="Open a pull request on this GitHub repository (default: the repository the package comes from, when a token is found).",
)
@click.option(
    "--split-by-fix",
    is_flag=True,
    help="Make one proposal per kind of clean-up (see datami fix), so that each can be reviewed and merged apart.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of messages and of the proposal description: fr or en (default: from the locale).",
)
def propose(
    package: Path,
    title: str | None,
    description: str | None,
    base: str | None,
    side: Literal["ours", "theirs"] | None,
    repository: str | None,
    split_by_fix: bool,
    language: str | None,
) -> None:
    """Commit the saved edits on a new branch, one commit, then put the data files back.

    When the package comes from GitHub (its origin remote, or github:OWNER/REPO as
    PACKAGE) and a token is found, the branch and a pull request are made on GitHub;
    otherwise the branch is made in the local git repository, from the current branch or
    --base. When the base branch changed the same files meanwhile, the edits are merged
    row by row. A cell changed on both sides stops the proposal unless --ours or --theirs
    is given.
    """
    context = click.get_current_context()
    # Inside the datami program, "datami --lang fr propose …" sets the language on the group.
    language = detect_language(language or context.find_root().params.get("language"))
    try:
        session = Session.open(local_package(package, language))
        proposal = build_proposal(session, title, description, language, base_branch=base)
        repository = repository or _origin_with_token(session, language)
        if split_by_fix:
            _propose_split(session, proposal, repository, side, language, title)
            return
        if repository is not None:
            _propose_on_github(session, proposal, repository, side, language)
            return
        result = propose_local(session.package.root, proposal, prefer=side)
    except DatamiError as error:
        click.echo(render(ERROR_LINE, language, message=describe(error, language)), err=True)
        context.exit(1)
        return

    _print_result(result, proposal, language)


def _print_result(result: ProposalResult, proposal: Proposal, language: str) -> None:
    if result.merged:
        click.echo(render(MERGED, language, base=proposal.base_branch, files=", ".join(result.merged)))
    if result.reused:
        click.echo(render(REUSED, language, branch=result.branch, commit=result.commit[:12]))
    else:
        click.echo(render(PROPOSED, language, branch=result.branch, commit=result.commit[:12], base=proposal.base_branch))
    if result.not_restored:
        click.echo(render(NOT_RESTORED, language, files=", ".join(result.not_restored)))


def _origin_with_token(session: Session, language: str) -> str | None:
    """Return the GitHub repository the package comes from when a token is found for it.

    A working copy read over the API exists only to be proposed from, so there a missing
    token is an error. A clone without a token proposes a local branch, with a note.
    """
    repository = github_repository(session.package.root)
    if repository is None or find_token(api_url_from_environment()) is not None:
        return repository
    if is_working_copy(session.package.root):
        return repository

    click.echo(render(NO_TOKEN_LOCAL, language, repository=repository), err=True)
    return None


def _propose_split(session: Session, proposal: Proposal, repository: str | None, side: str | None, language: str,
                   title: str | None) -> None:
    """Propose each kind of fix apart (one branch, and pull request on GitHub, per kind) and print each."""
    from datami_py.forge.split import PartResult, propose_split

    def made(part: PartResult) -> None:
        click.echo(render(SPLIT_PART, language, title=part.title, cells=part.cells))
        click.echo(render(BRANCH_LINE, language, branch=part.branch))
        if part.pull_url is not None:
            click.echo(render(PULL_REQUEST, language, url=part.pull_url))

    token = require_token(api_url_from_environment()).secret if repository is not None else None
    parts, not_restored = propose_split(session, proposal, repository=repository, token=token,
                                        api_url=api_url_from_environment(), prefer=side, title=title,
                                        links=lambda: _link_checker(session), progress=made)
    if not_restored:
        click.echo(render(NOT_RESTORED, language, files=", ".join(not_restored)))
    else:
        click.echo(render(SPLIT_DONE, language, count=len(parts)))


def _link_checker(session: Session):
    """Return the checker of links to repository files, which reads file lists when asked."""
    from datami_py.links import LinkChecker

    return LinkChecker.for_package(session.package.root)


def _propose_on_github(session: Session, proposal: Proposal, repository: str, side: str | None, language: str) -> None:
    """Open (or update) the pull request on GitHub and print its branch and address.

    The token comes from GITHUB_TOKEN, GH_TOKEN or the gh CLI's login, and the API root
    from GITHUB_API_URL (see :mod:`datami_py.forge.tokens`).

    Raises:
        DatamiError: ``forge.github-repository-invalid``, a missing token, or any GitHub failure.
    """
    owner, separator, name = repository.partition("/")
    if not separator or not owner or not name or "/" in name:
        raise DatamiError(GITHUB_REPOSITORY_INVALID, repository=repository)

    from datami_py.forge.github import propose_github

    api_url = api_url_from_environment()
    found = require_token(api_url)
    result = propose_github(proposal, repository, token=found.secret, api_url=api_url, base=proposal.base_branch, prefer=side)
    click.echo(render(BRANCH_LINE, language, branch=result.branch))
    if result.updated:
        click.echo(render(PULL_REQUEST_UPDATED, language, number=result.pull_number, url=result.pull_url))
    else:
        click.echo(render(PULL_REQUEST, language, url=result.pull_url))

    not_restored = restore_data_files(repository_root(session.package.root), proposal)
    if not_restored:
        click.echo(render(NOT_RESTORED, language, files=", ".join(not_restored)))
    else:
        click.echo(render(RESTORED_AFTER_PULL, language))
