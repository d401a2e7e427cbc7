"""The HTTP side of the emulator: server, request handler and response writing."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .api import ApiResponse

logger = logging.getLogger("tests.github_emulator")


class EmulatorHTTPServer(ThreadingHTTPServer):
    # Daemon threads that are not joined on close, so stop() returns even while a delayed call sleeps.
    daemon_threads = True
    block_on_close = False
    serve_request: Callable[[BaseHTTPRequestHandler], None]


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHubEmulator"
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes. Without TCP_NODELAY, Nagle's algorithm delays the
        # body until the client's delayed ACK arrives, which takes 40 ms on Linux.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.server.serve_request(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    # NOTE: chunked request bodies are not decoded; requests (used by PyGithub) sends Content-Length.
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def lower_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {name.lower(): value for name, value in handler.headers.items()}


def encode_body(body: Any, headers: dict[str, str]) -> tuple[bytes, str]:
    """Return the bytes to send and their content type."""
    if body is None:
        return b"", "application/json; charset=utf-8"
    if isinstance(body, bytes):
        return body, headers.get("Content-Type", "application/octet-stream")
    if isinstance(body, str):
        return body.encode("utf-8"), headers.get("Content-Type", "text/html; charset=utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8"


def write_response(handler: BaseHTTPRequestHandler, response: ApiResponse) -> None:
    payload, content_type = encode_body(response.body, response.headers)
    if response.status == 204:
        payload = b""

    headers = {
        "Content-Type": content_type,
        "X-GitHub-Media-Type": "github.v3; format=json",
        "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
        **response.headers,
        "Content-Length": str(len(payload)),
    }
    try:
        handler.send_response(response.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError) as error:
        # The client gave up first, for example after a timeout on a delayed call.
        logger.info("Client closed the connection before the %d response was sent: %s", response.status, error)
