"""The project's one exception type and the finding record shared by every layer.

Errors are data until a front end words them: a stable code, where it happened (file,
row, key, field, value) and parameters. :func:`describe` turns either into a sentence in
the user's language, so the CLI and the TUI show the same text and tests can assert on
codes instead of prose.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from datami_py.i18n import Phrase, message, render

Severity = Literal["error", "warning"]

LOCATION_FILE = message("location.file", "{file}")
LOCATION_ROW = message("location.row", "row {row}")
LOCATION_KEY = message("location.key", "key \"{key}\"")
LOCATION_FIELD = message("location.field", "field \"{field}\"")


@dataclass(frozen=True)
class Location:
    """The place of a problem, as a user counts it.

    ``row`` is the data row number, 1 for the first row under the header (a record that
    spans several physical lines is one row). ``key`` is the row's primary-key value.
    """

    file: str | None = None
    row: int | None = None
    key: str | None = None
    field: str | None = None
    value: str | None = None


class DatamiError(Exception):
    """A failure the user can act on: a message code, its location and its parameters.

    The exception text is the English rendering, for logs and ``--debug``; front ends call
    :func:`describe` with the user's language instead.
    """

    def __init__(self, code: str, location: Location | None = None, **params: Any) -> None:
        self.code = code
        self.location = location or Location()
        self.params = params
        super().__init__(describe(self, "en"))


@dataclass(frozen=True)
class Finding:
    """One validation result: an error (the data breaks its schema) or a warning (quality).

    ``code`` names a registered message; ``params`` fills its template together with the
    location fields.
    """

    code: str
    severity: Severity
    location: Location = field(default_factory=Location)
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        """Return the finding as JSON-ready data, with its message worded in ``language``."""
        data = {"code": self.code, "severity": self.severity, **asdict(self.location)}
        data["params"] = {
            name: render(value.code, language, **value.params) if isinstance(value, Phrase) else value
            for name, value in self.params.items()
        }
        data["message"] = describe(self, language)
        return data


def describe_location(location: Location, language: str) -> str:
    """Word ``location`` as "file, row N (key « K »), field « F »" in ``language``."""
    parts = []
    if location.file:
        parts.append(render(LOCATION_FILE, language, file=location.file))
    if location.row is not None:
        row_text = render(LOCATION_ROW, language, row=location.row)
        if location.key not in (None, ""):
            row_text += " (" + render(LOCATION_KEY, language, key=location.key) + ")"
        parts.append(row_text)
    if location.field:
        parts.append(render(LOCATION_FIELD, language, field=location.field))
    return ", ".join(parts)


def describe_message(problem: DatamiError | Finding, language: str) -> str:
    """Word an error or a finding in ``language`` without its location (shown beside the field)."""
    params = {**asdict(problem.location), **problem.params}
    return render(problem.code, language, **params)


def describe(problem: DatamiError | Finding, language: str) -> str:
    """Word an error or a finding in ``language``: its location, then its message."""
    location = problem.location
    text = describe_message(problem, language)

    where = describe_location(location, language)
    if not where:
        return text

    # French typography puts a no-break space before a colon.
    separator = "\u00a0: " if language == "fr" else ": "
    return where + separator + text
