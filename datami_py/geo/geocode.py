"""Geocoding with the French national address API (Base Adresse Nationale, BAN).

The client speaks the two endpoints of the address API (an addok server):

* ``GET /search/?q=…&limit=1`` returns a GeoJSON FeatureCollection whose first feature
  is the best match, with ``properties.score`` between 0 and 1 and
  ``geometry.coordinates`` as [longitude, latitude].
* ``POST /search/csv/`` takes a multipart form (``data``: a CSV file, ``columns``: the
  columns that make the address) and returns the same CSV with the columns ``latitude``,
  ``longitude``, ``result_label``, ``result_score``, ``result_type``, ``result_postcode``,
  ``result_citycode``, ``result_city`` and ``result_status`` added. A row without a
  match has these columns empty.

One request per row would take minutes for a few hundred rows, so several rows always go
through the CSV endpoint. Only the standard library is used, so that geocoding needs no
extra dependency. Nothing here changes a table: :func:`geocode` returns results that a
front end shows for review, and :func:`apply_results` writes the accepted ones as edits.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import logging
import math
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from datami_py.errors import DatamiError
from datami_py.i18n import message
from datami_py.table import Edit, Table

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api-adresse.data.gouv.fr"
API_URL_VARIABLE = "DATAMI_BAN_URL"
DEFAULT_MIN_SCORE = 0.6
# Seconds to wait for one response. The CSV endpoint geocodes a few hundred rows in a few seconds.
DEFAULT_TIMEOUT = 20.0
# Attempts after the first one, for timeouts, refused connections and 5xx responses.
DEFAULT_RETRIES = 2
# Seconds before the first retry. Each further retry waits twice as long.
DEFAULT_BACKOFF = 1.0

# Rows per request to the CSV endpoint, so that each request ends well within the timeout.
# NOTE: an estimate, not a limit documented by the API.
BATCH_ROWS = 500
# Column names of the CSV sent to the batch endpoint.
ROW_COLUMN = "datami_row"
ADDRESS_COLUMN = "address"
POSTCODE_COLUMN = "postcode"

Status = Literal["found", "not-found", "low-score", "error"]

UNREACHABLE = message(
    "geocode.unreachable",
    "Cannot reach the address service at {url} ({reason}). Check the internet connection. Another address "
    "for the service can be set in the variable DATAMI_BAN_URL (or with --api-url on the command line).",
)
TIMED_OUT = message(
    "geocode.timed-out",
    "The address service at {url} did not answer within {seconds} seconds ({attempts} attempts). "
    "Try again later, or geocode fewer rows at a time.",
)
SERVER_ERROR = message(
    "geocode.server-error",
    "The address service at {url} failed with HTTP status {status} ({attempts} attempts). Try again later.",
)
REJECTED = message(
    "geocode.rejected",
    "The address service at {url} rejected the request with HTTP status {status}: {detail}. "
    "Check that --api-url gives the address API (such as https://api-adresse.data.gouv.fr).",
)
INVALID_ANSWER = message(
    "geocode.invalid-answer",
    "The address service at {url} sent a response that is not valid {answer_format}: {detail}. "
    "Check that --api-url gives the address API (such as https://api-adresse.data.gouv.fr).",
)
PROGRESS = message("geocode.progress", "{done} of {total} address(es) geocoded…")
STOPPED = message(
    "geocode.stopped",
    "Geocoding stopped after {done} of {total} address(es), as asked; no position was changed.",
)
INVALID_URL = message(
    "geocode.invalid-url",
    "“{url}” is not a web address: give the address API as http://… or https://….",
)


@dataclass(frozen=True)
class AddressQuery:
    """One row to geocode: its row id, the address sent, and the coordinates it has now (text, None when empty)."""

    row: int
    address: str
    old_latitude: str | None = None
    old_longitude: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class Match:
    """The best match of the address API for one address."""

    latitude: float
    longitude: float
    score: float
    label: str
    result_type: str = ""
    postcode: str = ""
    citycode: str = ""
    city: str = ""


@dataclass(frozen=True)
class GeocodeResult:
    """The outcome for one row: old and new coordinates, score, matched address and status.

    ``status`` is ``found`` (score at least the minimum), ``low-score`` (a match below the
    minimum: shown, never applied), ``not-found`` (no match, or no address to send) or
    ``error`` (the service reported an error for this row).
    """

    row: int
    address: str
    old_latitude: str | None
    old_longitude: str | None
    latitude: float | None
    longitude: float | None
    score: float | None
    label: str | None
    status: Status

    @property
    def applicable(self) -> bool:
        """True when the result may be applied: found with a score at least the minimum."""
        return self.status == "found"


class CellEditor(Protocol):
    """The editing interface of :func:`apply_results`: a :class:`Table` or a :class:`~datami_py.journal.JournaledTable`."""

    def set_cell(self, row: int, name: str, text: str) -> Edit | None: ...


def api_url_from_environment(explicit: str | None = None) -> str:
    """Return the API root: ``explicit``, else ``$DATAMI_BAN_URL``, else :data:`DEFAULT_API_URL`."""
    return explicit or os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL


class BanClient:
    """A client of the address API at ``api_url``, with bounded retries on timeouts and 5xx responses.

    Raises (from every request method):
        DatamiError: ``geocode.invalid-url``, ``geocode.unreachable``, ``geocode.timed-out``,
            ``geocode.server-error`` once the retries are spent, ``geocode.rejected`` for a
            4xx answer, ``geocode.invalid-answer`` for an answer that cannot be read.
    """

    def __init__(
        self,
        api_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url_from_environment(api_url).rstrip("/")
        if urllib.parse.urlsplit(self.api_url).scheme not in ("http", "https"):
            raise DatamiError(INVALID_URL, url=self.api_url)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    def search(self, address: str, postcode: str | None = None) -> Match | None:
        """Return the best match for ``address``, or None when the API finds nothing.

        Calls ``GET /search/?q=…&limit=1`` (with ``postcode=…`` when given, which keeps
        only matches with that exact postcode).
        """
        parameters = {"q": address, "limit": "1"}
        if postcode:
            parameters["postcode"] = postcode
        url = f"{self.api_url}/search/?{urllib.parse.urlencode(parameters)}"
        body = self._send(urllib.request.Request(url, headers={"Accept": "application/json"}))
        return _match_of_geojson(body, self.api_url)

    def search_csv(self, queries: Sequence[AddressQuery], use_postcode: bool = False) -> dict[int, Match | None | Literal["error"]]:
        """Return the best match of every query by row id: a Match, None (not found) or "error".

        Calls ``POST /search/csv/`` once, with the columns ``datami_row`` and ``address``
        (and ``postcode`` as a filter column when ``use_postcode``).
        """
        data = _query_csv(queries, use_postcode)
        fields = [("columns", ADDRESS_COLUMN)]
        if use_postcode:
            fields.append(("postcode", POSTCODE_COLUMN))
        body, content_type = _multipart(fields, ("data", "addresses.csv", data))
        request = urllib.request.Request(
            f"{self.api_url}/search/csv/", data=body, method="POST", headers={"Content-Type": content_type, "Accept": "text/csv"}
        )
        answer = self._send(request)
        return _matches_of_csv(answer, {query.row for query in queries}, self.api_url)

    def _send(self, request: urllib.request.Request) -> bytes:
        """Send ``request`` and return the body, retrying timeouts, refused connections and 5xx responses."""
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    raise DatamiError(REJECTED, url=self.api_url, status=error.code, detail=_error_detail(error)) from error
                failure = DatamiError(SERVER_ERROR, url=self.api_url, status=error.code, attempts=attempt)
            except (TimeoutError, socket.timeout) as error:
                failure = DatamiError(TIMED_OUT, url=self.api_url, seconds=_seconds(self.timeout), attempts=attempt)
                failure.__cause__ = error
            except urllib.error.URLError as error:
                if isinstance(error.reason, (TimeoutError, socket.timeout)):
                    failure = DatamiError(TIMED_OUT, url=self.api_url, seconds=_seconds(self.timeout), attempts=attempt)
                else:
                    failure = DatamiError(UNREACHABLE, url=self.api_url, reason=_reason(error))
            except (OSError, http.client.HTTPException) as error:
                # A connection reset or a response cut short is worth another attempt.
                failure = DatamiError(UNREACHABLE, url=self.api_url, reason=str(error) or type(error).__name__)

            logger.info("address API attempt %d of %d failed: %s", attempt, attempts, failure)
            if attempt == attempts:
                raise failure
            self._sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the loop returns or raises")


def geocode(
    queries: Sequence[AddressQuery],
    client: BanClient,
    min_score: float = DEFAULT_MIN_SCORE,
    batch_rows: int = BATCH_ROWS,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[GeocodeResult]:
    """Geocode ``queries`` and return one result per query, in the same order.

    Queries with an empty address are not sent and come back ``not-found``. One query goes
    to ``/search/``; several go to ``/search/csv/``, ``batch_rows`` per request. A match
    whose score is below ``min_score`` comes back ``low-score``.

    ``progress(done, total)`` is called after each request with the number of addresses
    sent so far and in all. ``should_stop()`` is asked after each request; when it returns
    True, geocoding ends with ``geocode.stopped`` and the matches received are dropped.

    Raises:
        DatamiError: as the :class:`BanClient` methods, when the whole request fails;
            ``geocode.stopped`` when ``should_stop`` asked to stop.
    """
    sent = [query for query in queries if query.address.strip()]
    matches: dict[int, Match | None | Literal["error"]] = {}
    batches = [sent[start : start + batch_rows] for start in range(0, len(sent), batch_rows)]
    done = 0
    for batch in batches:
        if len(sent) == 1:
            matches[batch[0].row] = client.search(batch[0].address, batch[0].postcode)
        else:
            matches.update(client.search_csv(batch))
        done += len(batch)
        if progress is not None:
            progress(done, len(sent))
        if should_stop is not None and should_stop():
            raise DatamiError(STOPPED, done=done, total=len(sent))
    return [_result(query, matches.get(query.row), min_score) for query in queries]


def coordinate_text(value: float, decimal_char: str = ".") -> str:
    """Write a coordinate with at most 6 decimals (about 10 cm), without trailing zeros."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", decimal_char) if decimal_char != "." else text


def apply_results(editor: CellEditor, results: Sequence[GeocodeResult], latitude_field: str, longitude_field: str) -> list[GeocodeResult]:
    """Write the coordinates of the applicable ``results`` as edits and return the results applied.

    ``editor`` is a :class:`Table` or a :class:`~datami_py.journal.JournaledTable`; through
    the latter every edit is journaled and can be undone. A result whose row changed since
    it was geocoded (its coordinates are no longer the old ones) is skipped, so a stale
    result never overwrites newer text. Results that are not ``found`` are never applied.
    """
    table: Table = getattr(editor, "table", editor)
    latitude_decimal = str(table.field(latitude_field).get("decimalChar", "."))
    longitude_decimal = str(table.field(longitude_field).get("decimalChar", "."))
    applied: list[GeocodeResult] = []
    for result in results:
        if not result.applicable or result.latitude is None or result.longitude is None:
            continue
        if not table.has_row(result.row):
            continue
        if _cell(table, result.row, latitude_field) != result.old_latitude or _cell(table, result.row, longitude_field) != result.old_longitude:
            continue

        latitude_edit = editor.set_cell(result.row, latitude_field, coordinate_text(result.latitude, latitude_decimal))
        longitude_edit = editor.set_cell(result.row, longitude_field, coordinate_text(result.longitude, longitude_decimal))
        if latitude_edit is not None or longitude_edit is not None:
            applied.append(result)
    return applied


def _cell(table: Table, row: int, name: str) -> str | None:
    """Return the cell as :class:`AddressQuery` stores old coordinates: None when missing or blank."""
    text = table.cell(row, name)
    if text is None or table.is_missing(text) or not text.strip():
        return None
    return text


def _result(query: AddressQuery, match: Match | None | Literal["error"], min_score: float) -> GeocodeResult:
    base = {"row": query.row, "address": query.address, "old_latitude": query.old_latitude, "old_longitude": query.old_longitude}
    if match == "error":
        return GeocodeResult(**base, latitude=None, longitude=None, score=None, label=None, status="error")
    if match is None:
        return GeocodeResult(**base, latitude=None, longitude=None, score=None, label=None, status="not-found")
    status: Status = "found" if match.score >= min_score else "low-score"
    return GeocodeResult(**base, latitude=match.latitude, longitude=match.longitude, score=match.score, label=match.label, status=status)


# ---------------------------------------------------------------------------------------------
# Reading answers
# ---------------------------------------------------------------------------------------------


def _match_of_geojson(body: bytes, api_url: str) -> Match | None:
    """Return the first feature of a /search/ response as a Match, None when there is none."""
    try:
        answer = json.loads(body.decode("utf-8"))
        features = answer["features"]
        if not features:
            return None
        feature = features[0]
        longitude, latitude = feature["geometry"]["coordinates"][:2]
        properties = feature["properties"]
        return _checked_match(
            latitude=float(latitude),
            longitude=float(longitude),
            score=float(properties["score"]),
            label=str(properties.get("label", "")),
            result_type=str(properties.get("type", "")),
            postcode=str(properties.get("postcode", "")),
            citycode=str(properties.get("citycode", "")),
            city=str(properties.get("city", "")),
        )
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as error:
        raise DatamiError(INVALID_ANSWER, url=api_url, answer_format="GeoJSON", detail=_short(error)) from error


def _matches_of_csv(body: bytes, rows: set[int], api_url: str) -> dict[int, Match | None | Literal["error"]]:
    """Read a /search/csv/ response: one Match, None or "error" per row id sent."""
    try:
        text = body.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        missing = [name for name in (ROW_COLUMN, "latitude", "longitude", "result_score") if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"missing column(s) {', '.join(missing)}")
        matches: dict[int, Match | None | Literal["error"]] = {}
        for record in reader:
            row = int(record[ROW_COLUMN])
            if row in rows:
                matches[row] = _match_of_record(record)
    except (UnicodeDecodeError, csv.Error, ValueError, TypeError) as error:
        raise DatamiError(INVALID_ANSWER, url=api_url, answer_format="CSV", detail=_short(error)) from error

    absent = rows - set(matches)
    if absent:
        detail = f"no answer for {len(absent)} of {len(rows)} row(s)"
        raise DatamiError(INVALID_ANSWER, url=api_url, answer_format="CSV", detail=detail)
    return matches


def _match_of_record(record: dict[str, Any]) -> Match | None | Literal["error"]:
    # result_status is "ok", "not-found", "skipped" (empty address) or "error"; older
    # addok-csv versions leave it out and only leave the result columns empty.
    status = (record.get("result_status") or "").strip()
    if status == "error":
        return "error"
    if status in ("not-found", "skipped") or not (record.get("latitude") or "").strip():
        return None
    return _checked_match(
        latitude=float(record["latitude"]),
        longitude=float(record["longitude"]),
        score=float(record["result_score"]),
        label=record.get("result_label") or "",
        result_type=record.get("result_type") or "",
        postcode=record.get("result_postcode") or "",
        citycode=record.get("result_citycode") or "",
        city=record.get("result_city") or "",
    )


def _checked_match(**values: Any) -> Match:
    """Return a Match, or raise ValueError when a number is out of range."""
    match = Match(**values)
    if not all(math.isfinite(number) for number in (match.latitude, match.longitude, match.score)):
        raise ValueError("a coordinate or score is not a finite number")
    if not (-90 <= match.latitude <= 90 and -180 <= match.longitude <= 180 and 0 <= match.score <= 1):
        raise ValueError(f"coordinates ({match.latitude}, {match.longitude}) or score {match.score} out of range")
    return match


# ---------------------------------------------------------------------------------------------
# Writing requests
# ---------------------------------------------------------------------------------------------


def _query_csv(queries: Sequence[AddressQuery], use_postcode: bool) -> bytes:
    output = io.StringIO(newline="")
    writer = csv.writer(output, lineterminator="\r\n")
    header = [ROW_COLUMN, ADDRESS_COLUMN] + ([POSTCODE_COLUMN] if use_postcode else [])
    writer.writerow(header)
    for query in queries:
        # The API reads one line per address, so line breaks inside a cell become spaces.
        address = " ".join(query.address.split())
        writer.writerow([str(query.row), address] + ([query.postcode or ""] if use_postcode else []))
    return output.getvalue().encode("utf-8")


def _multipart(fields: list[tuple[str, str]], file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    """Encode ``fields`` and one file as multipart/form-data; return the body and its Content-Type."""
    boundary = f"datami-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    name, filename, content = file
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
    parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------------------------------------
# Wording failures
# ---------------------------------------------------------------------------------------------


def _error_detail(error: urllib.error.HTTPError) -> str:
    """Return the API's own message from a 4xx JSON body ("message", or addok's "description"), else the HTTP reason."""
    try:
        body = json.loads(error.read().decode("utf-8"))
        return _short(str(body.get("message") or body.get("description") or error.reason))
    except (ValueError, AttributeError, OSError):
        return _short(str(error.reason))


def _reason(error: urllib.error.URLError) -> str:
    reason = error.reason
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


def _seconds(timeout: float) -> str:
    return f"{timeout:g}"


def _short(error: object, limit: int = 120) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
