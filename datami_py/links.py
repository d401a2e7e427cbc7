"""Links to files of a Git repository: which ones point to no file, and how to repair them.

A link cell is checked when it points into a Git repository:

* ``https://raw.githubusercontent.com/OWNER/REPO/REF/PATH`` (also ``.../refs/heads/REF/PATH``),
* ``https://github.com/OWNER/REPO/blob/REF/PATH`` and ``.../raw/REF/PATH``,
* a relative path such as ``illustrations/logo.png`` or ``./data/file.pdf``, read from the
  package folder, in the fields the schema marks as links or images.

All three forms are read in the fields marked as links or images (Datami subtype ``link``
or ``image``, or ``format: uri``). In other fields, only a cell that is one absolute URL is read.
Each link is compared with the list of files of its repository at its ref (see
:mod:`datami_py.forge.trees`), after percent-decoding its path. The file itself is never
downloaded. A path is found only when git stores exactly that name, as GitHub serves it.

A path that is not found is repaired when exactly one file of the repository matches it,
looking first in the link's own folder, then in the folder its files moved to, then
anywhere in the repository. Two names match when they are equal after Unicode NFC
normalization, ignoring case, a doubled extension or a stray dot (``x.pdf.pdf``,
``x..pdf``), and ``.png``/``.jpg``/``.jpeg``/… differences among image extensions. A
folder F moved to G when G contains a file of each name in F, and no other folder does.
The repaired link keeps the link's form: host, ref, query (``?raw=true``), and the
percent-encoding of each path segment that did not change.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from datami_py.errors import DatamiError
from datami_py.forge.remote import github_repository
from datami_py.forge.tokens import api_url_from_environment, find_token
from datami_py.forge.trees import REPOSITORY_NOT_FOUND, RepositoryTree, TreeCache, TreeUnavailable
from datami_py.gitrepo import repository_root
from datami_py.i18n import message
from datami_py.table import Table
from datami_py.validation.quality_rules import QualityRules

LinkStyle = Literal["raw", "blob", "relative"]
Status = Literal["found", "repairable", "unrepairable", "not-checked"]

IMAGE_EXTENSIONS = frozenset({"apng", "avif", "bmp", "gif", "jpeg", "jpg", "png", "svg", "tif", "tiff", "webp"})
# Extensions that make a bare name without a folder ("logo.png") read as a relative path.
# A bare "example.fr" is a website written without https://, which the scheme fix handles.
FILE_EXTENSIONS = IMAGE_EXTENSIONS | frozenset({
    "csv", "doc", "docx", "geojson", "htm", "html", "json", "md", "odp", "ods", "odt", "pdf", "ppt",
    "pptx", "txt", "xls", "xlsx", "zip",
})
RAW_HOST = "raw.githubusercontent.com"
GITHUB_HOSTS = ("github.com", "www.github.com")
# Characters RFC 3986 allows unencoded in a path segment, besides letters, digits and "%".
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"
_WHITESPACE_BUT_SPACE = re.compile(r"[^\S ]")

REASON_ACCENTS = message("links.reason.accents", "accents stored in another Unicode form")
REASON_CASE = message("links.reason.case", "upper and lower case")
REASON_DOUBLED = message("links.reason.doubled", "doubled extension or extra dot")
REASON_EXTENSION = message("links.reason.extension", "other extension")
REASON_FOLDER = message("links.reason.folder", "other folder")

NO_MATCH = message(
    "links.no-match",
    "“{path}” is not in {repository} at {ref}, and no file there has a close name. Correct the link by hand.",
)
SEVERAL_MATCHES = message(
    "links.several-matches",
    "“{path}” is not in {repository} at {ref}, and several files could be meant: {candidates}. "
    "Correct the link by hand.",
)
OUTSIDE = message(
    "links.outside",
    "“{path}” leaves the repository. Write the path from the package folder, without going above the repository.",
)


@dataclass(frozen=True)
class Link:
    """A link cell that points to a file of a Git repository.

    ``path`` is the decoded path from the link's base: the repository root for URLs, the
    package folder for relative links. ``head`` is the text before the path, ``segments``
    the path segments as written, and ``tail`` the query and fragment as written.
    """

    style: LinkStyle
    owner: str
    repo: str
    ref: str
    path: str
    head: str
    segments: tuple[str, ...]
    tail: str

    @property
    def repository(self) -> str:
        """"OWNER/REPO", or "" for a relative link."""
        return f"{self.owner}/{self.repo}" if self.owner else ""

    def with_longer_ref(self) -> Link | None:
        """Return the link read with the first path segment moved into the ref, or None.

        "main/feature/x.pdf" is first read as ref "main", path "feature/x.pdf"; this reads
        it as ref "main/feature", path "x.pdf", for branch names with a slash. None when the
        path has a single segment or the link is relative.
        """
        if self.style == "relative" or len(self.segments) < 2:
            return None
        first = self.segments[0]
        return replace(self, ref=f"{self.ref}/{unquote(first)}", path="/".join(unquote(part) for part in self.segments[1:]),
                       head=f"{self.head}{first}/", segments=self.segments[1:])

    def with_path(self, path: str) -> str:
        """Return the link written for ``path``, in the same form.

        A segment whose decoded value is unchanged keeps its text as written. A changed
        segment is percent-encoded when the link was, and written as it is otherwise.
        """
        encoded = any("%" in segment for segment in self.segments)
        old = [unquote(segment) for segment in self.segments]
        new = path.split("/")
        written = []
        for index, segment in enumerate(new):
            if index < len(old) and old[index] == segment and len(old) == len(new):
                written.append(self.segments[index])
            else:
                written.append(quote(segment, safe=_SEGMENT_SAFE) if encoded else segment)
        return self.head + "/".join(written) + self.tail


def parse_link(text: str, *, relative: bool = False) -> Link | None:
    """Return the repository link written in ``text``, or None when it points elsewhere.

    ``relative`` also accepts a path without a scheme (see :func:`_is_relative_path`).
    """
    text = text.strip()
    if not text or _WHITESPACE_BUT_SPACE.search(text):
        return None  # Line breaks or tabs: several values or prose, not one link.
    if "://" in text:
        return _parse_url(text)
    if relative and _is_relative_path(text):
        return _parse_relative(text)
    return None


def _parse_url(text: str) -> Link | None:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None  # A port that is not a number, or an unclosed IPv6 bracket.
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or port is not None:
        return None
    segments = parts.path.split("/")[1:]
    tail = text[len(text.split("?", 1)[0].split("#", 1)[0]):]

    if host == RAW_HOST:
        # raw.githubusercontent.com/OWNER/REPO/REF/PATH, or /OWNER/REPO/refs/heads/REF/PATH.
        # A branch name with a slash ("feature/x") is first read as the branch "feature";
        # LinkChecker tries the longer refs when that branch does not exist.
        path_start = 5 if segments[2:4] in (["refs", "heads"], ["refs", "tags"]) else 3
    elif host in GITHUB_HOSTS and len(segments) > 2 and segments[2] in ("blob", "raw"):
        path_start = 4
    else:
        return None
    if len(segments) <= path_start or not all(segments[:path_start]) or not segments[-1]:
        return None

    owner, repo = unquote(segments[0]), unquote(segments[1])
    ref = unquote(segments[path_start - 1])
    head_length = len(text) - len(tail) - len("/".join(segments[path_start:]))
    return Link("raw" if host == RAW_HOST else "blob", owner, repo, ref,
                "/".join(unquote(segment) for segment in segments[path_start:]),
                text[:head_length], tuple(segments[path_start:]), tail)


def _is_relative_path(text: str) -> bool:
    """True for ``./x``, ``../x``, ``folder/file`` whose first part has no dot, or a bare ``file.pdf``.

    A first part with a dot (``www.example.fr/page``) is a website without its scheme.
    """
    if text.startswith(("./", "../")):
        return True
    if text.startswith(("/", "#", "?")) or ":" in text.split("/", 1)[0]:
        return False
    first, slash, _ = text.partition("/")
    if slash:
        return "." not in first
    extension = text.rpartition(".")[2].split("?")[0].lower()
    return "." in text and extension in FILE_EXTENSIONS


def _parse_relative(text: str) -> Link:
    path_text = text.split("?", 1)[0].split("#", 1)[0]
    tail = text[len(path_text):]
    head = "./" if path_text.startswith("./") else ""
    segments = tuple(path_text[len(head):].split("/"))
    return Link("relative", "", "", "HEAD", "/".join(unquote(segment) for segment in segments), head, segments, tail)


# ---------------------------------------------------------------------------------------------
# Names and repairs
# ---------------------------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str, str]:
    """Return the NFC stem, the stem without a doubled extension or stray dots, and the extension.

    "x.pdf.pdf" and "x..pdf" both give the cleaned stem "x" and the extension "pdf".
    """
    text = unicodedata.normalize("NFC", name)
    stem, dot, extension = text.rpartition(".")
    if not dot or not stem.strip("."):
        return text, text, ""
    cleaned = stem
    while True:
        shorter = cleaned.rstrip(".")
        if shorter.casefold().endswith("." + extension.casefold()):
            shorter = shorter[: -len(extension) - 1]
        if shorter == cleaned or not shorter:
            break
        cleaned = shorter
    return stem, cleaned, extension


def name_key(name: str) -> tuple[str, str]:
    """Return what two file names that may be meant for each other have in common.

    The key is the cleaned stem in NFC, case folded, with the extension, or "image" for
    every image extension.
    """
    _, cleaned, extension = _split_name(name)
    extension = extension.casefold()
    return cleaned.casefold(), "image" if extension in IMAGE_EXTENSIONS else extension


def _folder_key(folder: str) -> str:
    return unicodedata.normalize("NFC", folder).casefold()


def repair_reasons(old_path: str, new_path: str) -> tuple[str, ...]:
    """Return the message codes of what differs between a broken path and its repair."""
    old_folder, _, old_name = old_path.rpartition("/")
    new_folder, _, new_name = new_path.rpartition("/")
    old_stem, old_cleaned, old_extension = _split_name(old_name)
    _, new_cleaned, new_extension = _split_name(new_name)

    reasons = []
    if unicodedata.is_normalized("NFC", old_path) != unicodedata.is_normalized("NFC", new_path):
        reasons.append(REASON_ACCENTS)
    if old_cleaned + old_extension != new_cleaned + new_extension and (
            (old_cleaned + "." + old_extension).casefold() == (new_cleaned + "." + new_extension).casefold()):
        reasons.append(REASON_CASE)
    if old_stem != old_cleaned:
        reasons.append(REASON_DOUBLED)
    if old_extension.casefold() != new_extension.casefold():
        reasons.append(REASON_EXTENSION)
    if _folder_key(old_folder) != _folder_key(new_folder):
        reasons.append(REASON_FOLDER)
    return tuple(reasons)


class TreeIndex:
    """The files of one repository tree, indexed by folder and by :func:`name_key`."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = frozenset(paths)
        self.by_folder_and_name: dict[tuple[str, tuple[str, str]], list[str]] = defaultdict(list)
        self.names_by_folder: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
        folder_keys: dict[str, str] = {}
        for path in sorted(self.paths):
            folder, _, name = path.rpartition("/")
            key = name_key(name)
            if folder not in folder_keys:
                folder_keys[folder] = _folder_key(folder)
            self.by_folder_and_name[(folder_keys[folder], key)].append(path)
            self.names_by_folder[folder].add(key)
            self.by_name[key].append(path)
        self._moves: dict[str, str | None] = {}

    def candidates(self, path: str) -> list[str]:
        """Return the files that ``path`` may have meant, from the first place that has any.

        The places, in order: the same folder, the folder its files moved to
        (:meth:`moved_folder`), then the whole repository.
        """
        folder, _, name = path.rpartition("/")
        key = name_key(name)
        same_folder = self.by_folder_and_name.get((_folder_key(folder), key), [])
        if same_folder:
            return list(same_folder)

        target = self.moved_folder(folder)
        if target is not None:
            moved = [found for found in self.by_name.get(key, []) if found.rpartition("/")[0] == target]
            if moved:
                return moved
        return list(self.by_name.get(key, []))

    def moved_folder(self, folder: str) -> str | None:
        """Return the one other folder that contains a file of each name in ``folder``, or None."""
        if folder not in self._moves:
            own = self.names_by_folder.get(folder, set())
            targets = [other for other, names in self.names_by_folder.items()
                       if own and _folder_key(other) != _folder_key(folder) and own <= names]
            self._moves[folder] = targets[0] if len(targets) == 1 else None
        return self._moves[folder]


# ---------------------------------------------------------------------------------------------
# Checking cells
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkCheck:
    """The outcome of checking one link.

    ``status`` is "found", "repairable", "unrepairable" or "not-checked". A repairable
    link has ``repaired`` (the new cell text), ``new_path`` and ``reasons`` (the message
    codes of what differs). The last two statuses have ``problem``, a message code with ``params``.
    ``candidates`` lists the files a link could mean when there are several.
    """

    link: Link
    repository: str
    status: Status
    path: str
    new_path: str | None = None
    repaired: str | None = None
    reasons: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    problem: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CellCheck:
    """A checked link cell: its row id, field, text, and the outcome."""

    row: int
    field: str
    text: str
    check: LinkCheck


# Longer refs tried for a link whose first ref does not exist ("feature" of "feature/x").
MAX_LONGER_REFS = 3


def _ref_not_found(result: RepositoryTree | TreeUnavailable) -> bool:
    return isinstance(result, TreeUnavailable) and result.code == REPOSITORY_NOT_FOUND


class LinkChecker:
    """Checks link cells against the trees of the repositories they point into.

    ``trees`` reads and caches the trees. ``package_folder`` is the package's folder as a
    path from the root of its git repository, "" at the root and None outside git.
    Relative links start there.
    """

    def __init__(self, trees: TreeCache, package_folder: str | None) -> None:
        self.trees = trees
        self.package_folder = package_folder
        self._indexes: dict[int, TreeIndex] = {}
        self._checks: dict[tuple[str, bool], LinkCheck | None] = {}

    @classmethod
    def for_package(cls, package_root: Path, **options: Any) -> LinkChecker:
        """Return a checker for the package in ``package_root``.

        The local clone is the git repository holding the package, and its ``origin``
        remote names its GitHub repository. The GitHub API root comes from
        ``GITHUB_API_URL`` and the token from :func:`~datami_py.forge.tokens.find_token`,
        unless ``options`` (keyword arguments of :class:`TreeCache`) give them.

        Raises:
            DatamiError: ``github.api-url-invalid`` when ``GITHUB_API_URL`` is not an address.
        """
        try:
            root: Path | None = repository_root(package_root)
        except DatamiError:
            root = None
        folder = None
        if root is not None:
            folder = package_root.resolve().relative_to(root.resolve()).as_posix()
            folder = "" if folder == "." else folder

        api_url = options.pop("api_url", None) or api_url_from_environment()
        if "token" not in options:
            found = find_token(api_url)
            options["token"] = found.secret if found is not None else None
        local_repository = github_repository(root) if root is not None else None
        trees = TreeCache(local_root=root, local_repository=local_repository, api_url=api_url, **options)
        return cls(trees, folder)

    def check_text(self, text: str, *, relative: bool) -> LinkCheck | None:
        """Check the link written in ``text``; None when it points into no repository."""
        key = (text.strip(), relative)
        if key not in self._checks:
            link = parse_link(text, relative=relative)
            self._checks[key] = None if link is None else self._check(link)
        return self._checks[key]

    def repaired_text(self, text: str, *, relative: bool) -> str | None:
        """Return ``text`` with its link repaired and its outer whitespace kept, or None."""
        check = self.check_text(text, relative=relative)
        if check is None or check.repaired is None:
            return None
        start = len(text) - len(text.lstrip())
        return text[:start] + check.repaired + text[start + len(text.strip()):]

    def check_table(self, table: Table, settings: dict[str, Any]) -> list[CellCheck]:
        """Check every repository link of ``table``, by field in schema order, then by row."""
        results = []
        for name, relative in self.link_columns(table, settings):
            for row in table.iter_rows():
                text = table.cell(row, name)
                if text is None or table.is_missing(text):
                    continue
                check = self.check_text(text, relative=relative)
                if check is not None:
                    results.append(CellCheck(row, name, text, check))
        return results

    @staticmethod
    def link_columns(table: Table, settings: dict[str, Any]) -> Iterator[tuple[str, bool]]:
        """Yield each field with a column, and whether relative paths count as links in it."""
        link_fields = set(QualityRules.for_table(table, settings).link_fields)
        for item in table.fields:
            name = str(item.get("name"))
            if table.column_of(name) is not None:
                yield name, name in link_fields

    def _check(self, link: Link) -> LinkCheck:
        if link.style == "relative":
            return self._check_relative(link)
        result = self.trees.tree(link.owner, link.repo, link.ref)
        longer = link.with_longer_ref()
        tries = 1
        # As GitHub does, a ref that does not exist may be the start of a branch name with
        # slashes. Each longer reading costs one call, so at most MAX_LONGER_REFS are tried.
        while _ref_not_found(result) and longer is not None and tries <= MAX_LONGER_REFS:
            longer_result = self.trees.tree(longer.owner, longer.repo, longer.ref)
            if not _ref_not_found(longer_result):
                link, result = longer, longer_result
                break
            longer = longer.with_longer_ref()
            tries += 1
        return self._compare(link, result, link.path)

    def _check_relative(self, link: Link) -> LinkCheck:
        result = self.trees.committed_tree()
        if isinstance(result, TreeUnavailable):
            return LinkCheck(link, "", "not-checked", link.path, problem=result.code, params=result.params)
        path = posixpath.normpath(posixpath.join(self.package_folder or "", link.path))
        if path == ".." or path.startswith("../"):
            return LinkCheck(link, "", "unrepairable", link.path, problem=OUTSIDE, params={"path": link.path})
        return self._compare(link, result, path)

    def _compare(self, link: Link, result: RepositoryTree | TreeUnavailable, path: str) -> LinkCheck:
        """Compare ``path`` (from the repository root) with the tree ``result``."""
        repository = link.repository or (result.repository if isinstance(result, RepositoryTree) else "")
        if isinstance(result, TreeUnavailable):
            return LinkCheck(link, repository, "not-checked", path, problem=result.code, params=result.params)
        if path in result.paths:
            return LinkCheck(link, repository, "found", path)

        candidates = self._index(result).candidates(path)
        params = {"path": path, "repository": result.repository, "ref": link.ref}
        if not candidates:
            return LinkCheck(link, repository, "unrepairable", path, problem=NO_MATCH, params=params)
        if len(candidates) > 1:
            params["candidates"] = ", ".join(f"“{candidate}”" for candidate in candidates)
            return LinkCheck(link, repository, "unrepairable", path, candidates=tuple(candidates),
                             problem=SEVERAL_MATCHES, params=params)

        new_path = candidates[0]
        return LinkCheck(link, repository, "repairable", path, new_path=new_path,
                         repaired=link.with_path(self._link_path(link, new_path)),
                         reasons=repair_reasons(path, new_path))

    def _link_path(self, link: Link, repository_path: str) -> str:
        """Return ``repository_path`` as the link writes paths: from the package folder for relative links."""
        if link.style != "relative":
            return repository_path
        return posixpath.relpath(repository_path, self.package_folder or ".")

    def _index(self, tree: RepositoryTree) -> TreeIndex:
        if id(tree) not in self._indexes:
            self._indexes[id(tree)] = TreeIndex(tree.paths)
        return self._indexes[id(tree)]
