"""The web server of ``datami serve``: textual-serve, with a page that loads nothing from the internet.

textual-serve (version 1.1) starts one process per browser connection and relays the
terminal through a websocket. Its own page loads the "Roboto Mono" font from Google
Fonts. This server renders its own page instead (``templates/serve.html``). That page
takes the font files textual-serve ships in its ``static`` folder, and its
Content-Security-Policy lets the browser load nothing from another origin.

The server has no login of its own. It binds to 127.0.0.1 unless told otherwise, and
anything else must sit behind a reverse proxy that authenticates users.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.server import Server

from datami_py.i18n import message, render

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
# Browsers may load scripts, styles, fonts and images only from this server. Inline styles
# are the page's own and xterm.js's; the websocket goes back to the same host and port.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

SESSION_ENDED = message("serve.session-ended", "The editing session has ended. Anything not saved or not proposed yet is offered again to the next session.")
REOPEN = message("serve.reopen", "Open the editor again")
LISTENING = message("serve.listening", "Open {url} in a web browser. Press Ctrl+C to stop the server.")
NO_LOGIN = message(
    "serve.no-login",
    "The server has no login: anyone who can reach {url} can edit and propose. "
    "Reach it from other machines only through a reverse proxy that asks for a login.",
)


def session_command(package: Path, state: Path, language: str, resource: str | None) -> str:
    """Return the shell command that textual-serve runs for every browser session."""
    arguments = [sys.executable, "-m", "datami_py.web.session", "--state", str(state.resolve()), "--lang", language]
    if resource:
        arguments += ["--resource", resource]
    return shlex.join([*arguments, str(package.resolve())])


class DatamiServer(Server):
    """Serves the app at ``host``:``port``; port 0 takes a free port, shown once the server listens.

    ``public_url`` is the address browsers use, when a reverse proxy puts the server
    behind another one.
    """

    def __init__(self, command: str, *, host: str, port: int, title: str, language: str,
                 public_url: str | None = None, echo: Callable[[str], None] = print) -> None:
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        self.language = language
        self.echo = echo
        self._fixed_public_url = public_url is not None

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
        app.on_response_prepare.append(_add_security_headers)
        return app

    async def handle_index(self, request: web.Request) -> web.Response:
        """Render the page of one session (``GET /``)."""
        router = request.app.router
        font_size = _font_size(request.query.get("fontsize", "16"))
        static_url = f"{self.public_url}{router['static'].url_for(filename='/')}".rstrip("/") + "/"
        websocket_url = self.public_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        context = {
            "language": self.language,
            "title": self.title,
            "static_url": static_url,
            "websocket_url": f"{websocket_url}{router['websocket'].url_for()}",
            "font_size": font_size,
            "page_url": f"{self.public_url}/",
            "ended": render(SESSION_ENDED, self.language),
            "reopen": render(REOPEN, self.language),
        }
        return aiohttp_jinja2.render_template("serve.html", request, context)

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing here: :meth:`serve` prints the address once the port is known."""

    def initialize_logging(self) -> None:
        logging.basicConfig(level=logging.DEBUG if self.debug else logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    def serve(self, debug: bool = False) -> None:
        """Serve until Ctrl+C or SIGTERM; open sessions are asked to quit, which keeps their journals."""
        self.debug = debug
        self.initialize_logging()
        # textual-serve copies each session's standard error to standard output when the session
        # ends. Line buffering shows it at once, even when the output goes to a pipe or a file.
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(line_buffering=True)
        asyncio.run(self._serve_until_stopped())

    async def _serve_until_stopped(self) -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stopped.set)

        runner = web.AppRunner(await self._make_app(), handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = runner.addresses[0][1]
        if not self._fixed_public_url:
            self.public_url = f"http://{_url_host(self.host)}:{self.port}"
        logger.info("Listening on %s:%s", self.host, self.port)
        self.echo(render(LISTENING, self.language, url=f"{self.public_url}/"))
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            self.echo(render(NO_LOGIN, self.language, url=f"{self.public_url}/"))

        await stopped.wait()
        logger.info("Stopping: asking every open session to quit")
        await runner.cleanup()


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")


def _font_size(text: str) -> int:
    try:
        return max(6, min(int(text), 48))
    except ValueError:
        return 16


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
