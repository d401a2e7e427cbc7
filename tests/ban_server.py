"""A local emulator of the French address API (api-adresse.data.gouv.fr) for the geocoding tests.

It serves on 127.0.0.1 at an ephemeral port the two endpoints datami-py uses, shaped as
the real API (an addok server with the addok-csv plugin) sends them:

* ``GET /search/?q=…&limit=1``: a GeoJSON FeatureCollection; no match is an empty
  ``features`` list.
* ``POST /search/csv/`` (multipart: ``data`` the CSV file, ``columns`` the address
  columns, optional ``postcode`` the postcode column): the CSV sent back with the result
  columns added, left empty for a row without a match.

Each known address has a mode: ``found`` (score 0.9), ``low-score`` (score 0.3),
``not-found``, ``error-500``, ``error-503``, ``timeout`` (the answer comes after
:attr:`BanServer.delay` seconds) or ``invalid`` (a body that is neither JSON nor CSV).
For the CSV endpoint, a failing mode of any row makes the whole request fail, as a
failing server does, while ``row-error`` marks only that row ``result_status=error``. ``fail_next`` makes the next N requests answer 503, to test retries.
"""

from __future__ import annotations

import csv
import email.parser
import email.policy
import io
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESULT_COLUMNS = (
    "latitude",
    "longitude",
    "result_label",
    "result_score",
    "result_score_next",
    "result_type",
    "result_id",
    "result_housenumber",
    "result_name",
    "result_street",
    "result_postcode",
    "result_city",
    "result_context",
    "result_citycode",
    "result_oldcitycode",
    "result_oldcity",
    "result_district",
    "result_status",
)
FAILING_MODES = ("error-500", "error-503", "timeout", "invalid")


@dataclass
class Address:
    """A known address: the text it is found by, its mode and its response."""

    text: str
    mode: str = "found"
    latitude: float = 48.85
    longitude: float = 2.35
    label: str = ""
    postcode: str = "75004"
    citycode: str = "75104"
    city: str = "Paris"


@dataclass
class Request:
    """One request received: method, path, query parameters and, for CSV, the form fields and rows."""

    method: str
    path: str
    params: dict[str, list[str]] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)


class BanServer:
    """The emulator: ``url`` is its root; ``add`` declares an address; ``requests`` records every request."""

    def __init__(self) -> None:
        self.addresses: list[Address] = []
        self.requests: list[Request] = []
        self.delay = 2.0
        # Seconds every request waits before its response, so that a test can act meanwhile.
        self.pause = 0.0
        self.fail_next = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> BanServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add(self, text: str, mode: str = "found", **answer: object) -> Address:
        """Declare that queries containing ``text`` (case ignored) get ``mode``."""
        address = Address(text, mode, **answer)  # type: ignore[arg-type]
        if not address.label:
            address.label = text
        self.addresses.append(address)
        return address

    def find(self, query: str) -> Address | None:
        folded = query.casefold()
        return next((address for address in self.addresses if address.text.casefold() in folded), None)

    def take_failure(self) -> bool:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False


def _feature(address: Address) -> dict:
    score = 0.3 if address.mode == "low-score" else 0.9
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [address.longitude, address.latitude]},
        "properties": {
            "label": address.label,
            "score": score,
            "type": "housenumber",
            "postcode": address.postcode,
            "citycode": address.citycode,
            "city": address.city,
            "context": f"{address.postcode[:2]}, Département, Région",
        },
    }


def _result_columns(address: Address | None) -> dict[str, str]:
    if address is not None and address.mode == "row-error":
        return {name: "" for name in RESULT_COLUMNS} | {"result_status": "error"}
    if address is None or address.mode == "not-found":
        return {name: "" for name in RESULT_COLUMNS} | {"result_status": "not-found"}
    properties = _feature(address)["properties"]
    return {name: "" for name in RESULT_COLUMNS} | {
        "latitude": str(address.latitude),
        "longitude": str(address.longitude),
        "result_label": address.label,
        "result_score": str(properties["score"]),
        "result_type": "housenumber",
        "result_postcode": address.postcode,
        "result_city": address.city,
        "result_citycode": address.citycode,
        "result_status": "ok",
    }


def _handler_for(server: BanServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class names it so
            pass

        def do_GET(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            params = urllib.parse.parse_qs(parsed.query)
            server.requests.append(Request("GET", parsed.path, params))
            if parsed.path not in ("/search/", "/search"):
                return self._send(404, b'{"code": 404, "message": "Not found"}', "application/json")
            query = (params.get("q") or [""])[0]
            if len(query.strip()) < 3:
                body = {"code": 400, "message": "q must contain between 3 and 200 chars and start with a number or a letter"}
                return self._send(400, json.dumps(body).encode(), "application/json")
            address = server.find(query)
            if self._failed(address):
                return
            features = [] if address is None or address.mode in ("not-found", "row-error") else [_feature(address)]
            answer = {"type": "FeatureCollection", "version": "draft", "features": features, "query": query}
            self._send(200, json.dumps(answer).encode(), "application/json; charset=utf-8")

        def do_POST(self) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            fields, files = _parse_multipart(self.headers.get("Content-Type", ""), body)
            request = Request("POST", parsed.path, fields)
            server.requests.append(request)
            if parsed.path not in ("/search/csv/", "/search/csv"):
                return self._send(404, b'{"code": 404, "message": "Not found"}', "application/json")
            if "data" not in files:
                return self._send(400, b'{"code": 400, "message": "A CSV file must be provided in data field"}', "application/json")

            reader = csv.DictReader(io.StringIO(files["data"].decode("utf-8-sig"), newline=""))
            rows = list(reader)
            request.rows = rows
            columns = fields.get("columns") or list(reader.fieldnames or [])
            addresses = [server.find(" ".join(row.get(name, "") for name in columns)) for row in rows]
            failing = next((address for address in addresses if address is not None and address.mode in FAILING_MODES), None)
            if self._failed(failing):
                return

            output = io.StringIO(newline="")
            writer = csv.DictWriter(output, list(reader.fieldnames or []) + list(RESULT_COLUMNS), lineterminator="\r\n")
            writer.writeheader()
            for row, address in zip(rows, addresses):
                query = " ".join(row.get(name, "") for name in columns).strip()
                extra = _result_columns(address) if query else {name: "" for name in RESULT_COLUMNS} | {"result_status": "skipped"}
                writer.writerow(row | extra)
            self._send(200, output.getvalue().encode("utf-8"), "text/csv; charset=utf-8")

        def _failed(self, address: Address | None) -> bool:
            """Respond as a failing server would, and return True, when the request must fail."""
            time.sleep(server.pause)
            if server.take_failure():
                self._send(503, b"<html><body>503 Service Temporarily Unavailable</body></html>", "text/html")
                return True
            mode = address.mode if address is not None else ""
            if mode == "error-500":
                self._send(500, b'{"code": 500, "message": "Internal server error"}', "application/json")
            elif mode == "error-503":
                self._send(503, b"<html><body>503 Service Temporarily Unavailable</body></html>", "text/html")
            elif mode == "timeout":
                time.sleep(server.delay)
                self._send(200, b'{"type": "FeatureCollection", "features": []}', "application/json")
            elif mode == "invalid":
                self._send(200, b"<html><body>Maintenance en cours</body></html>", "text/html")
            else:
                return False
            return True

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # The client gave up waiting (the timeout mode).

    return Handler


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """Return the text fields (each a list, as repeated fields are allowed) and the files of a form."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if part.get_filename():
            files[str(name)] = content
        else:
            fields.setdefault(str(name), []).append(content.decode("utf-8"))
    return fields, files
