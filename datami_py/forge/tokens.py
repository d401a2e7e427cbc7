"""Finding the GitHub token and API root, and keeping the token out of every text.

The token is looked up the way the GitHub CLI users expect: ``GITHUB_TOKEN``, then
``GH_TOKEN``, then the login stored by ``gh auth login`` (``hosts.yml`` in the gh
configuration folder, or ``gh auth token`` when gh keeps it in the system keyring).
It travels wrapped in :class:`Secret`, whose ``str`` and ``repr`` never show it, and
:func:`scrub` removes it, and anything shaped like a GitHub token, from text that
leaves the forge modules.
"""

from __future__ import annotations

import hmac
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from datami_py.errors import DatamiError, Location
from datami_py.i18n import message

DEFAULT_API_URL = "https://api.github.com"
# Checked in this order; the first one set and not blank wins.
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
API_URL_VARIABLE = "GITHUB_API_URL"
# The text that replaces a token in scrubbed text.
MASK = "***"
# `gh auth token` reads a local store; a slow keyring prompt must not block the editor.
GH_TIMEOUT_SECONDS = 10

# Token formats GitHub documents: classic (ghp_), OAuth (gho_), user-to-server (ghu_),
# server-to-server (ghs_), refresh (ghr_) and fine-grained (github_pat_).
_TOKEN_SHAPES = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
# The value after an Authorization scheme, for tokens of no known shape.
_AUTHORIZATION_VALUES = re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:token|bearer|basic)\s+)[^\s\"',}]+")

TOKEN_MISSING = message(
    "github.token-missing",
    "No GitHub token was found for {host}. Set the GITHUB_TOKEN environment variable to a token that can "
    "write to the repository, or log in with “gh auth login”.",
)
API_URL_INVALID = message(
    "github.api-url-invalid",
    "The GitHub API address “{url}” is not valid. Set GITHUB_API_URL to an https:// address such as "
    "https://api.github.com, or remove it.",
)


class Secret:
    """A token that shows as ``***`` in ``str``, ``repr`` and f-strings; :meth:`reveal` returns it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the token itself, for the Authorization header only."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return format(MASK, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # A constant-time comparison, so that comparing tokens leaks nothing through timing.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple:
        # Pickling would write the token in clear to wherever the pickle goes.
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class FoundToken:
    """A token and where it was found: a variable name, ``hosts.yml`` or ``gh auth token``."""

    secret: Secret
    source: str


def api_url_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """Return ``GITHUB_API_URL`` without its trailing slash, or :data:`DEFAULT_API_URL`.

    Raises:
        DatamiError: ``github.api-url-invalid`` when the value is not an http(s) address.
    """
    environ = os.environ if environ is None else environ
    url = environ.get(API_URL_VARIABLE, "").strip() or DEFAULT_API_URL

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DatamiError(API_URL_INVALID, Location(), url=url)
    return url.rstrip("/")


def api_host(api_url: str) -> str:
    """Return the host the gh CLI files the login under: ``github.com`` for api.github.com.

    GitHub Enterprise Server serves its API at ``https://HOST/api/v3``, and gh stores
    that login under HOST itself.
    """
    host = (urlsplit(api_url).hostname or "").lower()
    if host in ("api.github.com", "github.com"):
        return "github.com"
    return host


def gh_config_folder(environ: Mapping[str, str] | None = None) -> Path:
    """Return the folder where gh keeps ``hosts.yml``, as gh chooses it.

    ``GH_CONFIG_DIR`` wins, then ``XDG_CONFIG_HOME/gh``, then ``%AppData%/GitHub CLI`` on
    Windows, then ``~/.config/gh``.
    """
    environ = os.environ if environ is None else environ
    if environ.get("GH_CONFIG_DIR"):
        return Path(environ["GH_CONFIG_DIR"])
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"]) / "gh"
    if os.name == "nt" and environ.get("AppData"):
        return Path(environ["AppData"]) / "GitHub CLI"
    return Path.home() / ".config" / "gh"


def token_from_hosts_file(path: Path, host: str) -> str | None:
    """Return the ``oauth_token`` stored for ``host`` in gh's ``hosts.yml``, or None.

    gh writes the token at ``HOST.oauth_token`` and, since gh 2.40 with several accounts,
    at ``HOST.users.LOGIN.oauth_token`` for the active ``HOST.user``. When gh uses the
    system keyring the file has no token, and None is returned.
    """
    try:
        hosts = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        # An unreadable gh configuration only means this source has no token.
        return None
    if not isinstance(hosts, dict):
        return None

    entry = hosts.get(host)
    if not isinstance(entry, dict):
        return None
    token = entry.get("oauth_token")
    if isinstance(token, str) and token.strip():
        return token.strip()

    users = entry.get("users")
    user = users.get(entry.get("user")) if isinstance(users, dict) else None
    token = user.get("oauth_token") if isinstance(user, dict) else None
    return token.strip() if isinstance(token, str) and token.strip() else None


def token_from_gh_program(host: str, program: str | None = "gh",
                          run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> str | None:
    """Return the output of ``gh auth token --hostname HOST``, or None.

    Returns None when ``program`` is None or not on the PATH, fails, or times out: the gh
    CLI is optional. gh reads its local store or the system keyring for this command.
    """
    executable = shutil.which(program) if program else None
    if executable is None:
        return None

    try:
        completed = run([executable, "auth", "token", "--hostname", host], capture_output=True, text=True,
                        timeout=GH_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    token = completed.stdout.strip() if completed.returncode == 0 else ""
    return token or None


def find_token(api_url: str = DEFAULT_API_URL, *, environ: Mapping[str, str] | None = None,
               gh_program: str | None = "gh",
               run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> FoundToken | None:
    """Return the first token found for ``api_url``, or None.

    The order is ``GITHUB_TOKEN``, ``GH_TOKEN``, gh's ``hosts.yml``, then ``gh auth token``
    (skipped when ``gh_program`` is None). Nothing is sent over the network.
    """
    environ = os.environ if environ is None else environ
    for variable in TOKEN_VARIABLES:
        value = environ.get(variable, "").strip()
        if value:
            return FoundToken(Secret(value), variable)

    host = api_host(api_url)
    hosts_file = gh_config_folder(environ) / "hosts.yml"
    stored = token_from_hosts_file(hosts_file, host)
    if stored:
        return FoundToken(Secret(stored), str(hosts_file))

    printed = token_from_gh_program(host, gh_program, run)
    if printed:
        return FoundToken(Secret(printed), "gh auth token")
    return None


def require_token(api_url: str = DEFAULT_API_URL, *, environ: Mapping[str, str] | None = None,
                  gh_program: str | None = "gh") -> FoundToken:
    """Return :func:`find_token`'s token.

    Raises:
        DatamiError: ``github.token-missing`` when no source has a token.
    """
    found = find_token(api_url, environ=environ, gh_program=gh_program)
    if found is None:
        raise DatamiError(TOKEN_MISSING, Location(), host=api_host(api_url))
    return found


def scrub(text: str, *secrets: Secret | str | None) -> str:
    """Return ``text`` with each of ``secrets``, and anything shaped like a GitHub token, replaced by ``***``.

    Tokens of unknown shape are removed only when passed in ``secrets`` or when they
    follow an Authorization scheme (``token``, ``Bearer``, ``Basic``).
    """
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, MASK)

    text = _TOKEN_SHAPES.sub(MASK, text)
    return _AUTHORIZATION_VALUES.sub(lambda match: match.group(1) + MASK, text)
