"""Branch names for proposals, made from the title an editor typed.

A proposal branch is ``datami/<slug>``: the prefix keeps the tool's branches together
in ``git branch`` listings and on GitHub, and the slug is the title in lower-case
ASCII, so "Mise à jour : Orléans / Loiret" becomes ``datami/mise-a-jour-orleans-loiret``.
The same title always gives the same name, so a rerun can find the branch it made
before. A name already in use gets ``-2``, ``-3``… The title itself is kept as typed
for the commit message and the pull request.

Every name returned passes ``git check-ref-format --branch``: it uses only
``[a-z0-9._/-]``, has no ``..``, no component that starts with ``.`` or ends with
``.lock``, does not start with ``refs/``, and is at most :data:`MAX_LENGTH` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

DEFAULT_PREFIX = "datami/"
# GitHub accepts far longer names, but a short name stays readable in listings and URLs.
MAX_LENGTH = 100
# The slug of a title that has no letter or digit in it.
FALLBACK_SLUG = "proposal"
# Branches a proposal must never target, whatever the repository's default branch is.
PROTECTED_BRANCHES = ("main", "master")

# Letters that Unicode decomposition does not turn into ASCII.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d"})
# Apostrophes join the words around them ("d’art" gives "dart"); every other character
# outside the slug alphabet separates words.
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_SEPARATORS = re.compile(r"[^a-z0-9.]+")
_DOT_RUNS = re.compile(r"\.{2,}")
_MIXED_RUNS = re.compile(r"[-.]*-[-.]*")
_EDGES = "-."
_PREFIX_PATTERN = re.compile(r"(?:[a-z0-9][a-z0-9_-]*/)*")


def slugify(title: str) -> str:
    """Turn ``title`` into one ref component of ``[a-z0-9.-]`` (see the module docstring).

    Accents are removed, guillemets and other punctuation separate words, and runs of
    separators collapse. Returns :data:`FALLBACK_SLUG` when nothing is left.
    """
    text = unicodedata.normalize("NFKD", title.casefold()).translate(_LIGATURES)
    text = "".join(character for character in text if not unicodedata.combining(character))
    text = _APOSTROPHES.sub("", text)

    text = _SEPARATORS.sub("-", text)
    text = _MIXED_RUNS.sub("-", text)
    text = _DOT_RUNS.sub(".", text)
    return _trim(text) or FALLBACK_SLUG


def _trim(slug: str) -> str:
    """Strip what git forbids at the ends of a component: dots, hyphens and a ``.lock`` suffix."""
    while True:
        trimmed = slug.strip(_EDGES)
        if trimmed.endswith(".lock"):
            trimmed = trimmed[: -len(".lock")]
        if trimmed == slug:
            return slug
        slug = trimmed


def _shorten(slug: str, length: int) -> str:
    """Cut ``slug`` to at most ``length`` characters, at a hyphen when one is near the end."""
    if len(slug) <= length:
        return slug

    cut = slug[:length]
    hyphen = cut.rfind("-")
    if hyphen >= length // 2:
        cut = cut[:hyphen]
    return _trim(cut) or FALLBACK_SLUG[:length]


def _short_name(name: str) -> str:
    """Return a branch name without ``refs/heads/``, lower-cased for comparison."""
    return name.removeprefix("refs/heads/").casefold()


def _is_in_use(candidate: str, used_names: set[str]) -> bool:
    """True when ``candidate`` equals a name in use or git could not create it beside one.

    Git stores ``a/b`` as a file under the folder ``a``, so a branch ``a`` and a branch
    ``a/b`` cannot both exist. Names compare case-insensitively because refs are files
    on case-insensitive file systems (macOS, Windows).
    """
    folded = candidate.casefold()
    if folded in used_names:
        return True
    return any(name.startswith(folded + "/") or folded.startswith(name + "/") for name in used_names)


def branch_name(title: str, existing: Collection[str], base: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return a new branch name for a proposal titled ``title``.

    ``existing`` contains the branch names already in use (with or without ``refs/heads/``).
    The name is never ``base``, ``main`` or ``master``, never one of ``existing``, and
    never a name git would refuse to create beside one of them.

    Raises:
        ValueError: when ``prefix`` is not empty or made of ``[a-z0-9_-]`` components each
            followed by ``/``, because only such a prefix keeps every name valid.
    """
    if not _PREFIX_PATTERN.fullmatch(prefix) or prefix.startswith("refs/"):
        raise ValueError(f"invalid branch prefix {prefix!r}: use lower-case components ending with '/', such as 'datami/'")

    used_names = {_short_name(name) for name in existing}
    used_names.update(_short_name(name) for name in (base, *PROTECTED_BRANCHES))

    slug = slugify(title)
    attempt = 1
    while True:
        suffix = "" if attempt == 1 else f"-{attempt}"
        candidate = prefix + _shorten(slug, MAX_LENGTH - len(prefix) - len(suffix)) + suffix
        if not candidate.startswith("refs/") and not _is_in_use(candidate, used_names):
            return candidate
        attempt += 1
