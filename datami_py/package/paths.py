"""Safe resolution of the paths written in ``datapackage.json``.

A data package comes from a repository that anyone may have edited, so a path in it is
untrusted: it must name a file inside the package folder. The check runs on the text
before anything is opened, and again on the resolved real path (symbolic links).
Windows forms are refused on every system, because French editors use Windows and a
package must mean the same thing there.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path, PurePosixPath

from datami_py.errors import DatamiError, Location
from datami_py.i18n import Phrase, message

UNSAFE_PATH = message(
    "package.unsafe-path",
    "The path “{path}” of resource “{resource}” is not safe: {reason}. "
    "Data paths must be relative paths inside the package folder, written with /, such as data/file.csv.",
)
REASON_ABSOLUTE = message("package.unsafe-path.absolute", "it is an absolute path")
REASON_DRIVE = message("package.unsafe-path.drive", "it names a Windows drive")
REASON_UNC = message("package.unsafe-path.unc", "it names a network share")
REASON_BACKSLASH = message("package.unsafe-path.backslash", "it contains a backslash")
REASON_PARENT = message("package.unsafe-path.parent", "it goes up out of the folder with ..")
REASON_URL = message("package.unsafe-path.url", "it is a URL, and only local files are read")
REASON_ENCODED = message("package.unsafe-path.encoded", "it contains URL-encoded characters")
REASON_LINK = message("package.unsafe-path.link", "it is a link to a file outside the package folder")
REASON_EMPTY = message("package.unsafe-path.empty", "it is empty")

_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _text_reason(path: str) -> str | None:
    """Return the message code saying why ``path`` is unsafe as text, or None."""
    if not path.strip():
        return REASON_EMPTY
    if path.startswith(("\\\\", "//")):
        return REASON_UNC
    if _DRIVE.match(path):
        return REASON_DRIVE
    if _SCHEME.match(path):
        return REASON_URL
    if "\\" in path:
        return REASON_BACKSLASH
    if path.startswith("/"):
        return REASON_ABSOLUTE
    if "%" in path and urllib.parse.unquote(path) != path:
        return REASON_ENCODED
    if ".." in PurePosixPath(path).parts:
        return REASON_PARENT
    return None


def resolve_inside(root: Path, path: object, resource: str, descriptor: str | None = None) -> Path:
    """Return the absolute path of ``path`` inside ``root`` after checking that it is safe.

    Nothing is opened: only the text and, for existing files, the real path after
    following symbolic links are checked.

    Raises:
        DatamiError: ``package.unsafe-path`` naming the resource, the path and the reason.
    """
    text = path if isinstance(path, str) else repr(path)
    reason = _text_reason(text) if isinstance(path, str) else REASON_EMPTY
    location = Location(file=descriptor)
    if reason is not None:
        raise DatamiError(UNSAFE_PATH, location, path=text, resource=resource, reason=Phrase(reason))

    real_root = root.resolve()
    candidate = root / text
    if not candidate.resolve().is_relative_to(real_root):
        raise DatamiError(UNSAFE_PATH, location, path=text, resource=resource, reason=Phrase(REASON_LINK))
    return candidate
