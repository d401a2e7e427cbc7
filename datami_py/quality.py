"""Data-quality checks on single cells and on latitude/longitude pairs.

Every check is a pure function that returns a list of :class:`Issue` (a message code and its
parameters) and never raises on odd data. The validator wraps each issue into a warning
:class:`~datami_py.errors.Finding` with the file, row, key, field and value, so a message may
use those placeholders besides the issue's own parameters.

:func:`check_link` reports outer whitespace, and :func:`check_codes` outer whitespace and
decomposed accents, with the same codes and parameters as :func:`check_text`. A validator
that runs several checks on one cell can therefore drop repeated issues by equality.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

from datami_py.i18n import message

# Text: whitespace, Unicode normalization, control characters.
LEADING_WHITESPACE = message(
    "quality.leading-whitespace", "The value starts with a space: delete it."
)
TRAILING_WHITESPACE = message(
    "quality.trailing-whitespace", "The value ends with a space: delete it."
)
OUTER_WHITESPACE = message(
    "quality.outer-whitespace", "The value starts and ends with spaces: delete them."
)
ONLY_WHITESPACE = message(
    "quality.only-whitespace", "The value contains only spaces: empty the cell."
)
DECOMPOSED_ACCENTS = message(
    "quality.decomposed-accents",
    "Some accented letters ({letters}) are stored as a letter followed by a separate accent"
    " (Unicode NFD), so searching and sorting miss them: retype them, or convert the file"
    " to Unicode NFC.",
)
CONTROL_CHARACTERS = message(
    "quality.control-characters",
    "The value contains invisible control characters ({characters}): delete them.",
)

# Links.
LINK_NO_SCHEME = message(
    "quality.link-no-scheme",
    "The link \"{link}\" does not start with a scheme such as https://, so it will not open:"
    " write \"{suggestion}\".",
)
LINK_MALFORMED_SCHEME = message(
    "quality.link-malformed-scheme",
    "The start of the link \"{link}\" is mistyped: write \"{suggestion}\".",
)
LINK_NOT_A_LINK = message(
    "quality.link-not-a-link",
    "The value \"{link}\" is not a link: write a full web address such as"
    " https://www.example.fr/page, or empty the cell.",
)
LINK_CONTAINS_SPACES = message(
    "quality.link-contains-spaces",
    "The link \"{link}\" contains a space, so it will not open: delete the space or replace"
    " it with %20.",
)
LINK_NO_HOST = message(
    "quality.link-no-host",
    "The link \"{link}\" has no site name after {scheme}://: write the full address, such as"
    " https://www.example.fr/page.",
)
LINK_INVALID_HOST = message(
    "quality.link-invalid-host",
    "The site name \"{host}\" in the link \"{link}\" is invalid: check its spelling (only"
    " letters, digits, hyphens and dots are allowed).",
)
LINK_LOCAL_FILE = message(
    "quality.link-local-file",
    "The link \"{link}\" points to a file on one computer, which other people cannot open:"
    " put the file online and write its https:// address.",
)
LINK_UNSAFE_SCHEME = message(
    "quality.link-unsafe-scheme",
    "The link \"{link}\" starts with {scheme}:, which runs code or embeds data instead of"
    " opening a page: write a web address starting with https://.",
)

# Multi-valued code cells.
CODES_DELIMITER_SPACES = message(
    "quality.codes-delimiter-spaces",
    "The delimiter between the codes has extra or missing spaces: write \"{canonical}\".",
)
CODES_EMPTY = message(
    "quality.codes-empty",
    "The cell has an empty code next to a delimiter \"{delimiter}\": write \"{canonical}\".",
)
CODES_DUPLICATE = message(
    "quality.codes-duplicate",
    "The code \"{duplicate}\" appears more than once: write \"{canonical}\".",
)
CODES_WRONG_CASE = message(
    "quality.codes-wrong-case",
    "The code \"{part}\" differs from the known code \"{known_code}\" only in capital letters:"
    " write \"{canonical}\".",
)
CODES_UNKNOWN = message(
    "quality.codes-unknown",
    "Unknown code \"{part}\": use the known codes ({known}), separated by \"{delimiter}\".",
)

# Coordinates.
COORDINATES_LATITUDE_ONLY = message(
    "quality.coordinates-latitude-only",
    "The latitude is filled in but the longitude is empty: fill in the longitude or empty"
    " the latitude.",
)
COORDINATES_LONGITUDE_ONLY = message(
    "quality.coordinates-longitude-only",
    "The longitude is filled in but the latitude is empty: fill in the latitude or empty"
    " the longitude.",
)
COORDINATES_ZERO = message(
    "quality.coordinates-zero",
    "The point is at latitude 0 and longitude 0, which usually means that the position is"
    " unknown: fill in the real coordinates or empty both cells.",
)
COORDINATES_OUT_OF_RANGE = message(
    "quality.coordinates-out-of-range",
    "The point ({latitude}, {longitude}) does not exist: the latitude must be between -90"
    " and 90 and the longitude between -180 and 180.",
)
COORDINATES_SWAPPED = message(
    "quality.coordinates-swapped",
    "The latitude and longitude seem swapped: the point ({latitude}, {longitude}) is outside"
    " France, but ({longitude}, {latitude}) is in France. Swap the two values.",
)
COORDINATES_OUTSIDE_FRANCE = message(
    "quality.coordinates-outside-france",
    "The point ({latitude}, {longitude}) is outside France and its overseas territories:"
    " check the latitude and the longitude.",
)


@dataclass(frozen=True)
class Issue:
    """A data-quality problem in one value: a registered message code and its parameters.

    Issues compare equal when code and parameters are equal. They are not hashable, because
    ``params`` is a dict.
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

# Line breaks are allowed inside a cell (a quoted CSV cell may span lines, with LF or CRLF).
_ALLOWED_CONTROL_CHARACTERS = frozenset("\n\r")

# Invisible format characters that arrive by copy and paste and break matching as surely as
# control characters do: zero-width space and a byte order mark inside the text.
_INVISIBLE_FORMAT_CHARACTERS = frozenset("\u200b\ufeff")


def check_text(value: str) -> list[Issue]:
    """Check a text cell for outer whitespace, decomposed accents and control characters.

    Whitespace is what :meth:`str.isspace` accepts, so tabs and no-break spaces count too.
    An empty value has no issue.
    """
    issues = _whitespace_issues(value)
    issues.extend(_normalization_issues(value))
    issues.extend(_control_character_issues(value))
    return issues


def _whitespace_issues(value: str) -> list[Issue]:
    if value == value.strip():
        return []

    if not value.strip():
        return [Issue(ONLY_WHITESPACE)]

    leading = value[0].isspace()
    trailing = value[-1].isspace()
    if leading and trailing:
        return [Issue(OUTER_WHITESPACE)]
    return [Issue(LEADING_WHITESPACE if leading else TRAILING_WHITESPACE)]


def _normalization_issues(value: str) -> list[Issue]:
    if unicodedata.is_normalized("NFC", value):
        return []
    return [Issue(DECOMPOSED_ACCENTS, {"letters": ", ".join(_decomposed_letters(value))})]


def _decomposed_letters(value: str) -> list[str]:
    """Return, in NFC and without repeats, each base letter and its marks that NFC changes."""
    letters: list[str] = []
    for cluster in _combining_clusters(value):
        composed = unicodedata.normalize("NFC", cluster)
        if composed != cluster and composed not in letters:
            letters.append(composed)

    # NOTE: a few scripts compose across clusters (Hangul jamo), so this list can be empty
    # for a non-NFC value. The start of the NFC text is shown then, so the message names
    # something.
    if not letters:
        letters.append(unicodedata.normalize("NFC", value)[:20])
    return letters


def _combining_clusters(value: str) -> list[str]:
    """Split ``value`` into runs of one character followed by its combining marks."""
    clusters: list[str] = []
    for character in value:
        if clusters and unicodedata.combining(character):
            clusters[-1] += character
        else:
            clusters.append(character)
    return clusters


def _control_character_issues(value: str) -> list[Issue]:
    found: list[str] = []
    for character in value:
        if not _is_unwanted_control(character):
            continue
        code_point = f"U+{ord(character):04X}"
        if code_point not in found:
            found.append(code_point)

    if not found:
        return []
    return [Issue(CONTROL_CHARACTERS, {"characters": ", ".join(found)})]


def _is_unwanted_control(character: str) -> bool:
    if character in _ALLOWED_CONTROL_CHARACTERS:
        return False
    if character in _INVISIBLE_FORMAT_CHARACTERS:
        return True
    return unicodedata.category(character) == "Cc"


# ---------------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------------

_WEB_SCHEMES = ("http", "https")

# A scheme as RFC 3986 section 3.1 defines it. "host:8080/page" is a host and a port, not the
# scheme "host", so digits up to the end or up to a path, query or fragment rule it out.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?!\d+(?:[/?#]|$))")

# "https//site", "http;//site", "https/site": a web scheme whose colon is missing or mistyped.
_WEB_SCHEME_WITHOUT_COLON = re.compile(r"(https?)[;,.]?/+(?=[^/])", re.IGNORECASE)

# A host name with at least one dot and a top-level domain of letters, an optional port, then
# a path, query or fragment or nothing. ``\w`` accepts accented letters (internationalized
# domain names). Used only to tell a link without a scheme from ordinary text.
_HOST_LIKE = re.compile(r"(?:[\w-]+\.)+[^\W\d_]{2,}\.?(?::\d+)?(?=[/?#]|$)")

_EMAIL_LIKE = re.compile(r"[^@\s/:]+@(?:[\w-]+\.)+[^\W\d_]{2,}")

_LOCAL_FILE_SCHEMES = frozenset({"file"})
_UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data"})

# Schemes accepted as they are. Their syntax differs from web links ("tel:+33 1 23 45 67 89"
# has spaces), and several are within two edits of "http" or "https" without being typos.
_OTHER_KNOWN_SCHEMES = frozenset(
    {
        "mailto", "tel", "sms", "fax", "geo", "urn", "doi", "webcal", "magnet", "xmpp",
        "sip", "sips", "irc", "ircs", "ssh", "git", "svn", "news", "nntp", "ws", "wss",
        "ftp", "ftps", "sftp", "tftp", "rtsp", "rtmp", "rtmps", "smtp", "snmp",
    }
)

# Host names without a dot that still open a page.
_DOTLESS_HOSTS = frozenset({"localhost"})


def check_link(value: str) -> list[Issue]:
    """Check that a cell contains a web link that opens, and say how to fix it when not.

    Outer whitespace is reported with the :func:`check_text` codes, and the rest of the
    checks run on the stripped link. So " https://site.fr" has a leading space and no other
    issue, and " www.site.fr" has both a leading space and no scheme. An empty or
    whitespace-only cell has no link issue.

    Schemes other than http and https are reported only when they are clearly wrong: a
    local file or drive letter, a scheme that runs code or embeds data, or a misspelling of
    http or https. ``mailto:``, ``tel:`` and other well-formed schemes pass.
    """
    issues = _whitespace_issues(value)
    link = value.strip()
    if not link:
        return issues

    issues.extend(_link_issues(link))
    return issues


def _link_issues(link: str) -> list[Issue]:
    match = _SCHEME.match(link)
    if match is None:
        return _schemeless_link_issues(link)

    scheme = match.group(1)
    lowered = scheme.lower()
    rest = link[match.end():]

    if lowered in _WEB_SCHEMES:
        return _web_link_issues(link, lowered, rest)

    if lowered in _LOCAL_FILE_SCHEMES or len(scheme) == 1:
        # A one-letter scheme is a Windows drive letter, as in C:\Users\...
        return [Issue(LINK_LOCAL_FILE, {"link": link})]

    if lowered in _UNSAFE_SCHEMES:
        return [Issue(LINK_UNSAFE_SCHEME, {"link": link, "scheme": scheme})]

    if lowered in _OTHER_KNOWN_SCHEMES:
        return []

    intended = _misspelled_web_scheme(lowered)
    if intended is not None:
        suggestion = f"{intended}://{rest.lstrip('/')}"
        return [Issue(LINK_MALFORMED_SCHEME, {"link": link, "suggestion": suggestion})]

    if _contains_whitespace(link):
        # "Voir : le site" parses as the scheme "Voir": text with a colon, not a link.
        return [Issue(LINK_NOT_A_LINK, {"link": link})]
    return []


def _schemeless_link_issues(link: str) -> list[Issue]:
    mistyped = _WEB_SCHEME_WITHOUT_COLON.match(link)
    if mistyped is not None:
        suggestion = f"{mistyped.group(1).lower()}://{link[mistyped.end():]}"
        return [Issue(LINK_MALFORMED_SCHEME, {"link": link, "suggestion": suggestion})]

    if link.startswith("\\\\"):
        # \\server\share\file: a Windows network path.
        return [Issue(LINK_LOCAL_FILE, {"link": link})]

    if _EMAIL_LIKE.fullmatch(link):
        return [Issue(LINK_NO_SCHEME, {"link": link, "suggestion": f"mailto:{link}"})]

    if _HOST_LIKE.match(link):
        issues = [Issue(LINK_NO_SCHEME, {"link": link, "suggestion": f"https://{link}"})]
        if _contains_whitespace(link):
            issues.append(Issue(LINK_CONTAINS_SPACES, {"link": link}))
        return issues

    return [Issue(LINK_NOT_A_LINK, {"link": link})]


def _web_link_issues(link: str, scheme: str, rest: str) -> list[Issue]:
    """Check an http or https link; ``rest`` is the text after "scheme:"."""
    if not rest.startswith("//") or rest.startswith("///"):
        target = rest.lstrip("/")
        if not target:
            return [Issue(LINK_NO_HOST, {"link": link, "scheme": scheme})]
        suggestion = f"{scheme}://{target}"
        return [Issue(LINK_MALFORMED_SCHEME, {"link": link, "suggestion": suggestion})]

    if _contains_whitespace(link):
        return [Issue(LINK_CONTAINS_SPACES, {"link": link})]

    try:
        parts = urlsplit(link)
    except ValueError:
        # urlsplit rejects unbalanced brackets, as in "https://[site.fr/".
        host = rest[2:].split("/", 1)[0]
        return [Issue(LINK_INVALID_HOST, {"link": link, "host": host})]

    if not parts.hostname:
        return [Issue(LINK_NO_HOST, {"link": link, "scheme": scheme})]

    host = parts.netloc.rpartition("@")[2]
    if not _is_valid_host(parts.hostname) or not _has_valid_port(parts):
        return [Issue(LINK_INVALID_HOST, {"link": link, "host": host})]
    return []


def _is_valid_host(hostname: str) -> bool:
    """Tell whether ``hostname`` (lowercase, without brackets or port) can be a web host."""
    try:
        ipaddress.ip_address(hostname)
        return True
    except ValueError:
        pass

    if hostname in _DOTLESS_HOSTS:
        return True

    # One final dot is a fully qualified name ("example.fr.") and still opens.
    labels = hostname.removesuffix(".").split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_is_valid_label(label) for label in labels)


def _is_valid_label(label: str) -> bool:
    # RFC 1035 section 2.3.4 limits a label to 63 octets. Underscores are not allowed in host
    # names, but some sites use them in subdomains and browsers open those.
    if not 1 <= len(label) <= 63 or label.startswith("-") or label.endswith("-"):
        return False
    return all(character.isalnum() or character in "-_" for character in label)


def _has_valid_port(parts: SplitResult) -> bool:
    try:
        parts.port
    except ValueError:
        return False
    return True


def _misspelled_web_scheme(scheme: str) -> str | None:
    """Return "http" or "https" when ``scheme`` looks like a misspelling of it, else None."""
    if len(scheme) < 3:
        return None

    distances = {web: _edit_distance(scheme, web) for web in ("https", "http")}
    intended = min(distances, key=distances.__getitem__)
    return intended if distances[intended] <= 2 else None


def _edit_distance(first: str, second: str) -> int:
    """Return the Levenshtein distance between two short strings."""
    previous = list(range(len(second) + 1))
    for i, first_character in enumerate(first, start=1):
        current = [i]
        for j, second_character in enumerate(second, start=1):
            substitution = previous[j - 1] + (first_character != second_character)
            current.append(min(previous[j] + 1, current[j - 1] + 1, substitution))
        previous = current
    return previous[-1]


def _contains_whitespace(text: str) -> bool:
    return any(character.isspace() for character in text)


# ---------------------------------------------------------------------------------------------
# Multi-valued code cells
# ---------------------------------------------------------------------------------------------

# An unknown-code issue lists at most this many known codes, so that a large vocabulary does
# not bury the message.
_MAX_LISTED_CODES = 30


@dataclass(frozen=True)
class CodeParse:
    """The reading of a multi-valued code cell against a vocabulary.

    ``codes`` are the known codes found, spelled as the vocabulary spells them, in cell
    order and without repeats. ``unknown`` are the parts that match no code, stripped, each
    kept whole even when it contains the delimiter. ``canonical`` is the corrected cell: the
    codes and the unknown parts in cell order, joined by the delimiter, without empty parts,
    repeats or extra spaces. Unknown parts stay in it so that writing it back loses no text.
    ``canonical`` differs from the cell exactly when ``issues`` has an issue other than an
    unknown code.
    """

    codes: list[str]
    issues: list[Issue]
    canonical: str
    unknown: list[str]


@dataclass(frozen=True)
class _Part:
    """One part of a code cell: its kind ("code", "unknown" or "empty") and where it sits."""

    kind: str
    start: int
    end: int
    code: str = ""
    case_differs: bool = False


@dataclass(frozen=True)
class _Reading:
    """The best reading of a cell from one position to its end, and what it costs.

    The cost is the number of characters in unknown parts, then the number of codes matched
    only by ignoring case. Lower is better.
    """

    cost: tuple[int, int]
    parts: tuple[_Part, ...]


def check_codes(value: str, codes: Sequence[str], delimiter: str) -> CodeParse:
    """Read a multi-valued code cell by its vocabulary and report what to correct.

    The vocabulary drives the split, so a code may contain the delimiter: with the codes
    QPV and Cœur-de-ville and the delimiter "-", "QPV-Cœur-de-ville" reads as [QPV,
    Cœur-de-ville]. Among all the ways to cut the cell at delimiters, the reading with the
    fewest characters left unknown wins. Ties go to the longest known code first, then to
    exact case. Text that matches no code is reported whole, never in fragments.

    Spaces around the delimiter and around the cell are tolerated and reported. The
    delimiter is matched without its own outer spaces, so "; " also accepts ";". Codes and
    cell are compared in Unicode NFC after stripping outer whitespace.

    NOTE: when several codes joined by the delimiter form another code (A, B and A-B), the
    longest code wins, so such a vocabulary cannot express the list [A, B].

    Raises:
        ValueError: when ``delimiter`` is empty.
    """
    if not delimiter:
        raise ValueError("the delimiter of a multi-valued cell must not be empty")

    issues = _whitespace_issues(value)
    issues.extend(_normalization_issues(value))
    text = unicodedata.normalize("NFC", value)
    if not text.strip():
        return CodeParse(codes=[], issues=issues, canonical="", unknown=[])

    parts = _read_parts(text, _vocabulary(codes), delimiter)
    return _summarize(text, parts, delimiter, codes, issues)


def _vocabulary(codes: Sequence[str]) -> list[str]:
    """Return the distinct codes, stripped and in NFC, longest first (stable otherwise)."""
    cleaned: list[str] = []
    for code in codes:
        normalized = unicodedata.normalize("NFC", code.strip())
        if normalized and normalized not in cleaned:
            cleaned.append(normalized)
    return sorted(cleaned, key=len, reverse=True)


def _bare_delimiter(delimiter: str) -> str:
    return delimiter.strip() or delimiter


def _read_parts(text: str, vocabulary: list[str], delimiter: str) -> tuple[_Part, ...]:
    """Return the lowest-cost reading of ``text`` as a sequence of parts.

    Parts start at the beginning of the text and right after each delimiter. The readings
    are computed from the last start to the first, so each start is solved once, without
    recursion, even for long cells.
    """
    bare = _bare_delimiter(delimiter)
    starts = _part_starts(text, bare)
    best: dict[int, _Reading] = {len(text) + 1: _Reading((0, 0), ())}

    for start in reversed(starts):
        best[start] = _best_reading_at(text, start, vocabulary, bare, best)
    return best[0].parts


def _part_starts(text: str, bare: str) -> list[int]:
    starts = [0]
    index = text.find(bare)
    while index != -1:
        starts.append(index + len(bare))
        index = text.find(bare, index + 1)
    return sorted(set(starts))


def _best_reading_at(
    text: str, start: int, vocabulary: list[str], bare: str, best: dict[int, _Reading]
) -> _Reading:
    """Choose the lowest-cost reading of the part starting at ``start`` and all after it.

    Candidates are tried in preference order (exact codes longest first, codes ignoring
    case, then an unknown or empty part), and a later one wins only with a strictly lower
    cost.
    """
    begin = _skip_blanks(text, start, bare)
    candidates = [
        *_code_candidates(text, begin, vocabulary, bare, ignore_case=False),
        *_code_candidates(text, begin, vocabulary, bare, ignore_case=True),
        _unknown_or_empty_candidate(text, begin, bare),
    ]

    chosen: _Reading | None = None
    for part, next_start in candidates:
        following = best[next_start]
        unknown_characters = part.end - part.start if part.kind == "unknown" else 0
        cost = (
            following.cost[0] + unknown_characters,
            following.cost[1] + int(part.case_differs),
        )
        if chosen is None or cost < chosen.cost:
            chosen = _Reading(cost, (part, *following.parts))

    assert chosen is not None  # The unknown-or-empty candidate always exists.
    return chosen


def _code_candidates(
    text: str, begin: int, vocabulary: list[str], bare: str, ignore_case: bool
) -> list[tuple[_Part, int]]:
    """Return each code that fills a whole part at ``begin``, with the start of the next part.

    A code fills a part when only blanks separate it from the next delimiter or the end.
    """
    candidates = []
    for code in vocabulary:
        end = begin + len(code)
        written = text[begin:end]
        if ignore_case:
            matches = written != code and written.casefold() == code.casefold()
        else:
            matches = written == code
        if not matches:
            continue

        next_start = _next_part_start(text, end, bare)
        if next_start is not None:
            part = _Part("code", begin, end, code, case_differs=ignore_case)
            candidates.append((part, next_start))
    return candidates


def _unknown_or_empty_candidate(text: str, begin: int, bare: str) -> tuple[_Part, int]:
    """Return the part from ``begin`` up to the next delimiter, as unknown text or empty."""
    delimiter_index = text.find(bare, begin)
    end = len(text) if delimiter_index == -1 else delimiter_index
    next_start = len(text) + 1 if delimiter_index == -1 else delimiter_index + len(bare)

    content_end = end
    while content_end > begin and _is_blank(text[content_end - 1], bare):
        content_end -= 1

    kind = "unknown" if content_end > begin else "empty"
    return _Part(kind, begin, content_end), next_start


def _next_part_start(text: str, end: int, bare: str) -> int | None:
    """Return where the part after ``end`` starts, or None when other text follows ``end``.

    ``len(text) + 1`` means that the cell ends there, with no part after it.
    """
    after = _skip_blanks(text, end, bare)
    if after == len(text):
        return len(text) + 1
    if text.startswith(bare, after):
        return after + len(bare)
    return None


def _skip_blanks(text: str, index: int, bare: str) -> int:
    while index < len(text) and _is_blank(text[index], bare):
        index += 1
    return index


def _is_blank(character: str, bare: str) -> bool:
    # A space delimiter is part of the structure, not padding around it.
    return character.isspace() and character not in bare


def _summarize(
    text: str,
    parts: tuple[_Part, ...],
    delimiter: str,
    vocabulary: Sequence[str],
    issues: list[Issue],
) -> CodeParse:
    """Build the :class:`CodeParse` of a reading: codes, unknown parts, canonical text, issues."""
    parts = _merge_unknown_runs(parts)
    found: list[str] = []
    unknown: list[str] = []
    canonical_items: list[str] = []
    repeated: list[str] = []

    for part in parts:
        if part.kind == "code" and part.code in found:
            if part.code not in repeated:
                repeated.append(part.code)
        elif part.kind == "code":
            found.append(part.code)
            canonical_items.append(part.code)
        elif part.kind == "unknown":
            unknown.append(text[part.start:part.end])
            canonical_items.append(text[part.start:part.end])

    canonical = delimiter.join(canonical_items)
    issues.extend(_structure_issues(text, parts, delimiter, canonical))
    for code in repeated:
        issues.append(Issue(CODES_DUPLICATE, {"duplicate": code, "canonical": canonical}))
    issues.extend(_unknown_issues(unknown, vocabulary, delimiter))
    return CodeParse(codes=found, issues=issues, canonical=canonical, unknown=unknown)


def _merge_unknown_runs(parts: tuple[_Part, ...]) -> tuple[_Part, ...]:
    """Join each run of unknown parts into one, so unknown text is never reported in fragments.

    Empty parts inside a run join it too ("x--y" stays one unknown part), because the
    double delimiter may belong to that text.
    """
    merged: list[_Part] = []
    for part in parts:
        run_start = len(merged) - 1
        while run_start >= 0 and merged[run_start].kind == "empty":
            run_start -= 1

        if part.kind == "unknown" and run_start >= 0 and merged[run_start].kind == "unknown":
            merged[run_start:] = [_Part("unknown", merged[run_start].start, part.end)]
        else:
            merged.append(part)
    return tuple(merged)


def _structure_issues(
    text: str, parts: tuple[_Part, ...], delimiter: str, canonical: str
) -> list[Issue]:
    """Report empty parts, spaces around delimiters and codes written in the wrong case."""
    issues: list[Issue] = []
    if any(part.kind == "empty" for part in parts):
        issues.append(Issue(CODES_EMPTY, {"delimiter": delimiter, "canonical": canonical}))

    for previous, following in zip(parts, parts[1:]):
        if "empty" in (previous.kind, following.kind):
            continue
        if text[previous.end:following.start] != delimiter:
            issues.append(Issue(CODES_DELIMITER_SPACES, {"canonical": canonical}))
            break

    for part in parts:
        if part.case_differs:
            params = {"part": text[part.start:part.end], "known_code": part.code, "canonical": canonical}
            issues.append(Issue(CODES_WRONG_CASE, params))
    return issues


def _unknown_issues(
    unknown: list[str], vocabulary: Sequence[str], delimiter: str
) -> list[Issue]:
    listed = [code.strip() for code in vocabulary if code.strip()]
    known = ", ".join(listed[:_MAX_LISTED_CODES])
    if len(listed) > _MAX_LISTED_CODES:
        known += ", …"

    params = {"known": known, "delimiter": delimiter}
    return [Issue(CODES_UNKNOWN, {"part": part, **params}) for part in unknown]


# ---------------------------------------------------------------------------------------------
# Coordinates
# ---------------------------------------------------------------------------------------------

# Extra degrees around every box, so that a point geocoded on a quay, a beach or a small
# offshore rock still counts. 0.05 degree is about 5.5 km of latitude.
MARGIN_DEGREES = 0.05


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude rectangle in WGS 84 decimal degrees, not crossing 180°."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, latitude: float, longitude: float, margin: float = 0.0) -> bool:
        """Tell whether the point lies in the box widened by ``margin`` degrees on each side."""
        return (
            self.south - margin <= latitude <= self.north + margin
            and self.west - margin <= longitude <= self.east + margin
        )


# French territories, each as the rectangle around its land, before the margin.
#
# Métropole, Corse and the five overseas départements: extent of the IGN Admin Express COG
# 2018 département outlines in gregoiredavid/france-geojson departements-avec-outre-mer.geojson,
# computed once with a script and rounded outward to 4 decimals. The métropole box is
# départements 01 to 95 without 2A and 2B, which make Corse.
#
# Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna and
# Nouvelle-Calédonie: country extents listed with Natural Earth admin-0 attributes in
# energy-data/market-opportunities app/assets/data/bounds.js, rounded outward to 4 decimals.
#
# Polynésie française: EPSG area of use 1098 (French Polynesia), as packaged in PHPCoord
# (Extent1098), because the list above leaves out the Austral and Gambier islands. The EPSG
# area spans the sea between the archipelagos, so it also contains a few atolls of the Cook
# Islands and Kiribati.
#
# NOTE: rectangles are coarse. Near a land border or a narrow strait a point in a
# neighbouring country passes (Brighton, Geneva, Sint Maarten, the Suriname bank of the
# Maroni).
# The check catches swapped, zeroed and wildly wrong coordinates, not the wrong side of a
# border.
TERRITORIES: tuple[tuple[str, BoundingBox], ...] = (
    ("France métropolitaine", BoundingBox(42.3330, -5.1403, 51.0890, 8.2334)),
    ("Corse", BoundingBox(41.3336, 8.5351, 43.0277, 9.5600)),
    ("Guadeloupe", BoundingBox(15.8321, -61.8096, 16.5143, -61.0020)),
    ("Martinique", BoundingBox(14.3886, -61.2293, 14.8788, -60.8094)),
    ("Guyane", BoundingBox(2.1113, -54.6016, 5.7482, -51.6190)),
    ("La Réunion", BoundingBox(-21.3894, 55.2165, -20.8717, 55.8367)),
    ("Mayotte", BoundingBox(-13.0053, 45.0183, -12.6365, 45.3000)),
    ("Saint-Pierre-et-Miquelon", BoundingBox(46.7528, -56.3870, 47.0990, -56.1373)),
    ("Saint-Barthélemy", BoundingBox(17.8751, -62.8755, 17.9223, -62.7997)),
    ("Saint-Martin", BoundingBox(18.0689, -63.1231, 18.1154, -63.0094)),
    ("Wallis-et-Futuna", BoundingBox(-14.3250, -178.1945, -13.2216, -176.1280)),
    ("Polynésie française", BoundingBox(-31.2362, -158.1281, -4.5264, -131.9786)),
    ("Nouvelle-Calédonie", BoundingBox(-22.6612, 159.9282, -19.1146, 168.1391)),
)

# A decimal number with a point: digits, an optional fraction, an optional sign. No exponent,
# no underscores, no "nan" or "inf", all of which float() would accept.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def parse_coordinate(text: str) -> float | None:
    """Parse a latitude or longitude written with a decimal point, as in "47.9016".

    Returns None for an empty or whitespace-only text. Outer whitespace is ignored.

    Raises:
        ValueError: when the text is not a plain decimal number. A decimal comma ("47,9016")
            is rejected too: the caller knows the file's decimal separator and converts it.
    """
    stripped = text.strip()
    if not stripped:
        return None

    if not _DECIMAL.fullmatch(stripped):
        raise ValueError(f"invalid coordinate {text!r}: expected a decimal number such as 47.9016")
    return float(stripped)


def territory_of(latitude: float, longitude: float) -> str | None:
    """Return the French name of the territory whose box contains the point, or None.

    Names are those of :data:`TERRITORIES` ("France métropolitaine", "Corse", "La Réunion",
    ...). The boxes include :data:`MARGIN_DEGREES` and do not overlap.
    """
    for name, box in TERRITORIES:
        if box.contains(latitude, longitude, MARGIN_DEGREES):
            return name
    return None


def check_coordinates(latitude: float | None, longitude: float | None) -> list[Issue]:
    """Check a latitude/longitude pair against France and its overseas territories.

    None and NaN count as missing. Both missing is no issue (the row simply has no
    position). One missing is reported, and so is (0, 0). A pair outside France is
    reported as swapped when the swapped pair falls in France, as impossible when it is out
    of the -90..90 and -180..180 ranges, and otherwise as outside France.
    """
    latitude = _present(latitude)
    longitude = _present(longitude)
    if latitude is None and longitude is None:
        return []
    if longitude is None:
        return [Issue(COORDINATES_LATITUDE_ONLY)]
    if latitude is None:
        return [Issue(COORDINATES_LONGITUDE_ONLY)]

    point = {"latitude": latitude, "longitude": longitude}
    if latitude == 0 and longitude == 0:
        return [Issue(COORDINATES_ZERO, point)]
    if territory_of(latitude, longitude) is not None:
        return []

    swapped_territory = territory_of(longitude, latitude)
    if swapped_territory is not None:
        return [Issue(COORDINATES_SWAPPED, {**point, "territory": swapped_territory})]
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return [Issue(COORDINATES_OUT_OF_RANGE, point)]
    return [Issue(COORDINATES_OUTSIDE_FRANCE, point)]


def _present(number: float | None) -> float | None:
    if number is None or math.isnan(number):
        return None
    return number
