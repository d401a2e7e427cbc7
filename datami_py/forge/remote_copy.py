"""Working copies of packages read from GitHub over its API, for editing without a clone.

``datami open github:OWNER/REPO[@BRANCH][:PATH]`` reads the package's files (its
descriptor, Table Schemas and data files, nothing else) through PyGithub and writes them
into a small local git repository, the *working copy*. Its one commit contains exactly the
bytes read from GitHub, so every blob sha in it equals the one on GitHub: proposals made
from the working copy merge with later changes on GitHub as they do from a real clone.
The journal, saving, ``datami diff`` and ``datami propose`` then work unchanged.

A working copy lives in ``$DATAMI_WORKING_COPIES`` (default
``$XDG_DATA_HOME/datami-py/github``), in ``HOST/OWNER/REPO/BRANCH``. Opening it again
refreshes it from GitHub only when nothing would be lost: no saved edit that was not
proposed and no journal of unsaved edits. Otherwise the editor's work is kept as it is,
and the proposal merges it with what changed on GitHub meanwhile.
"""

from __future__ import annotations

import base64
import json
import os
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import requests
from github import Github, GithubException

from datami_py.errors import DatamiError, Location
from datami_py.forge.github import (
    DEFAULT_RETRY_DELAYS, STEP_BASE, STEP_BLOB_READ, STEP_REPOSITORY, STEP_TREE, UNAVAILABLE, _Api,
)
from datami_py.forge.remote import WORKING_COPY_KEY, git_config
from datami_py.forge.tokens import Secret, api_host
from datami_py.gitrepo import run_git
from datami_py.i18n import Phrase, message
from datami_py.journal import Journal
from datami_py.package.descriptor import load_package
from datami_py.package.paths import resolve_inside

WORKING_COPIES_VARIABLE = "DATAMI_WORKING_COPIES"
DESCRIPTOR_NAME = "datapackage.json"
COMMIT_KEY = "datami.github-commit"
API_KEY = "datami.github-api-url"
# The snapshot commits are the program's, not the editor's: proposals carry the editor's name.
IDENTITY = ("-c", "user.name=datami", "-c", "user.email=datami@localhost")

READ_UNAVAILABLE = message(
    "remote.unavailable",
    "GitHub did not respond after {attempts} attempts while {step} ({detail}). Nothing was changed: "
    "check the internet connection, then open the package again.",
)
SPEC_INVALID = message(
    "remote.spec-invalid",
    "“{spec}” is not a GitHub package address. Write it as github:OWNER/REPOSITORY, "
    "optionally followed by @BRANCH and :PATH, for example github:multi-coop/datami@main:data.",
)
FILE_NOT_IN_BRANCH = message(
    "remote.file-not-in-branch",
    "{file} is not in the branch {branch} of {repository}. Check the path after the colon in the package address.",
)
DESCRIPTOR_UNREADABLE = message(
    "remote.descriptor-unreadable",
    "{file} in {repository} is not valid JSON ({detail}), so the package cannot be read.",
)

# github:OWNER/REPO[@BRANCH][:PATH]; GitHub names hold letters, digits, '-', '_' and '.'.
_SPEC = re.compile(r"github:(?P<owner>[A-Za-z0-9-]+)/(?P<name>[A-Za-z0-9._-]+?)(?:\.git)?"
                   r"(?:@(?P<ref>[^:\s]+))?(?::(?P<path>[^\s]*))?")


@dataclass(frozen=True)
class RemoteSpec:
    """A package on GitHub: repository, branch (None for the default one) and path inside it."""

    owner: str
    name: str
    ref: str | None
    path: str

    @property
    def repository(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class WorkingCopy:
    """A local working copy of a GitHub package.

    ``package`` is the path to open (descriptor or bare CSV file). ``refreshed`` is True
    when files were read from GitHub in this call, False when the copy was already at the
    branch's commit or kept the editor's unproposed work (then ``kept_work`` is True).
    ``calls`` counts the HTTP requests sent.
    """

    root: Path
    package: Path
    repository: str
    branch: str
    commit: str
    refreshed: bool
    kept_work: bool
    calls: int


def parse_remote_spec(text: str) -> RemoteSpec | None:
    """Return the spec written ``github:OWNER/REPO[@BRANCH][:PATH]``, None for text not starting with ``github:``.

    Raises:
        DatamiError: ``remote.spec-invalid`` for text starting with ``github:`` that is not such an address.
    """
    if not text.startswith("github:"):
        return None
    match = _SPEC.fullmatch(text)
    if match is None:
        raise DatamiError(SPEC_INVALID, Location(), spec=text)

    path = posixpath.normpath(match.group("path") or ".").strip("/")
    return RemoteSpec(match.group("owner"), match.group("name"), match.group("ref"), "" if path == "." else path)


def package_path(spec: RemoteSpec) -> str:
    """Return the repository path of the descriptor (or bare CSV file) that ``spec`` names."""
    if spec.path.lower().endswith((".csv", ".tsv", ".json")):
        return spec.path
    return posixpath.join(spec.path, DESCRIPTOR_NAME) if spec.path else DESCRIPTOR_NAME


def working_copies_directory() -> Path:
    """Return ``$DATAMI_WORKING_COPIES``, else ``$XDG_DATA_HOME/datami-py/github``, else ``~/.local/share/datami-py/github``."""
    configured = os.environ.get(WORKING_COPIES_VARIABLE)
    if configured:
        return Path(configured).expanduser()

    data_home = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data_home):
        data_home = str(Path.home() / ".local" / "share")
    return Path(data_home) / "datami-py" / "github"


def open_remote(
    spec: RemoteSpec,
    *,
    token: Secret | None,
    api_url: str,
    directory: Path | None = None,
    github_factory: Callable[[Secret | None, str], Github] | None = None,
    retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
) -> WorkingCopy:
    """Return the working copy of ``spec``, reading or refreshing it from GitHub when needed.

    Calls: the repository, the branch, then, only when the copy is missing or behind and
    contains no unproposed work, one recursive tree listing and one blob per package file.

    Raises:
        DatamiError: a missing repository or branch, a file missing in the branch, an
            invalid descriptor, an unsafe path, a rejected token or GitHub failing after
            the retries (each worded for the user, never with the token).
    """
    secret = token or Secret("")
    github = (github_factory or _connect)(token, api_url)
    api = _Api(spec.repository, api_url, secret, retry_delays, time.sleep, unavailable=READ_UNAVAILABLE)
    try:
        return _Reader(api, github, spec, directory or working_copies_directory(), api_url).run()
    except GithubException as error:
        raise api.translate(error) from None
    except requests.RequestException as error:
        raise DatamiError(UNAVAILABLE, Location(), attempts=1, step=api.step, detail=type(error).__name__) from None
    finally:
        github.close()


def _connect(token: Secret | None, api_url: str) -> Github:
    """Return a PyGithub client, anonymous without a token (GitHub allows that for public repositories)."""
    from github import Auth

    auth = Auth.Token(token.reveal()) if token else None
    return Github(auth=auth, base_url=api_url, retry=None)


class _Reader:
    """The steps of reading one package from GitHub into its working copy."""

    def __init__(self, api: _Api, github: Github, spec: RemoteSpec, directory: Path, api_url: str) -> None:
        self.api = api
        self.github = github
        self.spec = spec
        self.directory = directory
        self.api_url = api_url

    def run(self) -> WorkingCopy:
        upstream = self.api.call(Phrase(STEP_REPOSITORY), lambda: self.github.get_repo(self.spec.repository))
        branch_name = self.spec.ref or upstream.default_branch
        branch = self.api.call(Phrase(STEP_BASE, {"base": branch_name}), lambda: upstream.get_branch(branch_name))
        commit = branch.commit.sha

        root = self.directory / api_host(self.api_url) / self.spec.owner / self.spec.name / quote(branch_name, safe="")
        package = root / package_path(self.spec)
        copy = WorkingCopy(root, package, self.spec.repository, branch_name, commit, False, False, 0)

        read_commit = _copy_commit(root)
        if read_commit == commit:
            return replace(copy, calls=self.api.calls)
        if read_commit is not None and _has_unproposed_work(root, package):
            return replace(copy, commit=read_commit, kept_work=True, calls=self.api.calls)

        files = self._read_package(upstream, branch.commit.commit.tree.sha, branch_name)
        _write_copy(root, branch_name, files, self.spec.repository, commit, self.api_url)
        return replace(copy, refreshed=True, calls=self.api.calls)

    def _read_package(self, upstream, tree_sha: str, branch_name: str) -> dict[str, bytes]:
        """Return ``{path: bytes}`` of the descriptor, its schema files and its data files."""
        listing = self.api.call(Phrase(STEP_TREE, {"base": branch_name}),
                                lambda: upstream.get_git_tree(tree_sha, recursive=True))
        blobs = {element.path: element.sha for element in listing.tree if element.type == "blob"}
        path = package_path(self.spec)
        files = {path: self._read_blob(upstream, blobs, path, branch_name)}
        if path.lower().endswith(".json"):
            for needed in _referenced_files(files[path], path, self.spec.repository):
                files[needed] = self._read_blob(upstream, blobs, needed, branch_name)
        return files

    def _read_blob(self, upstream, blobs: dict[str, str], path: str, branch_name: str) -> bytes:
        sha = blobs.get(path)
        if sha is None:
            raise DatamiError(FILE_NOT_IN_BRANCH, Location(), file=path, branch=branch_name,
                              repository=self.spec.repository)
        blob = self.api.call(Phrase(STEP_BLOB_READ, {"file": path}), lambda: upstream.get_git_blob(sha))
        return base64.b64decode(blob.content)


def _referenced_files(descriptor: bytes, descriptor_path: str, repository: str) -> list[str]:
    """Return the repository paths of the data files and Table Schema files a descriptor names.

    Raises:
        DatamiError: ``remote.descriptor-unreadable`` or ``package.unsafe-path``.
    """
    try:
        parsed = json.loads(descriptor.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatamiError(DESCRIPTOR_UNREADABLE, Location(), file=descriptor_path,
                          repository=repository, detail=str(error)) from None

    folder = posixpath.dirname(descriptor_path)
    needed: list[str] = []
    resources = parsed.get("resources") if isinstance(parsed, dict) else None
    for index, resource in enumerate(resources if isinstance(resources, list) else []):
        if not isinstance(resource, dict):
            continue
        name = str(resource.get("name", index))
        paths = resource.get("path")
        for path in paths if isinstance(paths, list) else [paths]:
            if isinstance(path, str):
                needed.append(_inside(folder, path, name, descriptor_path))
        if isinstance(resource.get("schema"), str):
            needed.append(_inside(folder, resource["schema"], name, descriptor_path))
    return list(dict.fromkeys(needed))


def _inside(folder: str, path: str, resource: str, descriptor_path: str) -> str:
    """Return ``folder/path`` after the package's own path checks (no parent folders, no URLs)."""
    resolve_inside(Path("/nonexistent-working-copy"), path, resource, descriptor_path)
    return posixpath.normpath(posixpath.join(folder, path))


def _copy_commit(root: Path) -> str | None:
    """Return the GitHub commit the working copy was last read from, None when there is no copy."""
    if not (root / ".git").is_dir():
        return None
    return git_config(root, COMMIT_KEY)


def _has_unproposed_work(root: Path, package: Path) -> bool:
    """True when saved edits differ from the copy's commit or a journal contains unsaved edits."""
    if run_git(root, "status", "--porcelain", "--untracked-files=no").strip():
        return True
    try:
        loaded = load_package(package)
    except DatamiError:
        return False
    return any(Journal(loaded.root, resource.name, resource.path).path.exists() for resource in loaded.resources)


def _write_copy(root: Path, branch: str, files: dict[str, bytes], repository: str, commit: str, api_url: str) -> None:
    """Write ``files`` into the working copy and commit them on ``branch`` (the copy is created when missing).

    Files of an earlier read that the package no longer names are removed, so that the
    commit contains exactly the package as it is on GitHub.
    """
    if not (root / ".git").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        run_git(root, "init", "--quiet", f"--initial-branch={branch}")

    for old in run_git(root, "ls-files", "-z").decode().split("\0"):
        if old and old not in files:
            run_git(root, "rm", "--quiet", "--", old)
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        run_git(root, "add", "--", path)

    run_git(root, "config", WORKING_COPY_KEY, repository)
    run_git(root, "config", API_KEY, api_url)
    text = f"Read {repository}@{branch} from GitHub (commit {commit})\n"
    run_git(root, *IDENTITY, "commit", "--quiet", "--allow-empty", "-m", text)
    run_git(root, "config", COMMIT_KEY, commit)
