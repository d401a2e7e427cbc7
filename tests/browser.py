"""Helpers for the browser tests: a headless Chromium, ``datami serve`` in a subprocess, and a tab that types.

Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it), started by the test
with an empty profile and driven over the DevTools protocol through Playwright's
``connect_over_cdp``, so Playwright never downloads a browser.

The app draws on a canvas, so a tab reads the screen from the websocket frames the
server sends: the terminal output with its escape sequences removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.helpers import REPOSITORY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Where screenshots go: $DATAMI_TEST_ARTIFACTS, else tests/artifacts/ (ignored by git).
ARTIFACTS = Path(os.environ.get("DATAMI_TEST_ARTIFACTS") or REPOSITORY / "tests" / "artifacts")
VIEWPORT = {"width": 1280, "height": 800}
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


@contextmanager
def chromium(profile: Path) -> Iterator[str]:
    """Start Chromium with an empty profile in ``profile``; yield its DevTools address.

    Fails with Chromium's own output when it is missing or does not start in 20 seconds.
    """
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)"
    profile.mkdir(parents=True)
    command = [str(CHROMIUM), f"--user-data-dir={profile}", *CHROMIUM_FLAGS, "--remote-debugging-port=0", "about:blank"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{_devtools_port(process, profile)}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_port(process: subprocess.Popen, profile: Path) -> str:
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"Chromium exited with status {process.returncode}: {process.stderr.read().decode(errors='replace')}")
        lines = port_file.read_text().splitlines() if port_file.exists() else []
        if len(lines) >= 2:
            return lines[0]
        time.sleep(0.05)
    raise AssertionError("Chromium did not open its DevTools port within 20 seconds")


class Server:
    """``datami serve`` running in a subprocess; ``output`` collects what it prints (stdout and stderr)."""

    def __init__(self, package: Path, state: Path, environment: dict[str, str], *options: str) -> None:
        command = [sys.executable, "-c", "from datami_py.cli import main; main()", "serve", str(package),
                   "--port", "0", "--state", str(state), "--lang", "en", *options]
        self.process = subprocess.Popen(command, cwd=package, env=environment, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_address()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in list(self.output):
                if match := re.search(r"Listening on 127\.0\.0\.1:(\d+)", line):
                    return f"http://127.0.0.1:{match.group(1)}/"
            assert self.process.poll() is None, "datami serve stopped:\n" + "".join(self.output)
            time.sleep(0.05)
        raise AssertionError("datami serve printed no address within 20 seconds:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)


class Tab:
    """One browser tab on the served page; it records every request and websocket frame."""

    def __init__(self, context, url: str) -> None:
        self.page = context.new_page()
        self.page.set_viewport_size(VIEWPORT)
        self.requests: list[str] = []
        self.received: list[bytes] = []
        self.sent: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", self._watch)
        self.response = self.page.goto(url)

    def _watch(self, websocket) -> None:
        websocket.on("framereceived", lambda payload: self.received.append(payload if isinstance(payload, bytes) else payload.encode()))
        websocket.on("framesent", lambda payload: self.sent.append(payload if isinstance(payload, str) else payload.decode(errors="replace")))

    def screen_text(self, start: int = 0) -> str:
        """Return the terminal output received since frame ``start``, without escape sequences."""
        return _ESCAPES.sub(b"", b"".join(self.received[start:])).decode("utf-8", "replace")

    def mark(self) -> int:
        """Return the number of frames received so far, to wait for output after this point."""
        return len(self.received)

    def wait_for(self, text: str, start: int = 0, timeout: float = 15) -> None:
        """Wait until the output received since frame ``start`` shows ``text``."""
        self.wait_for_pattern(re.escape(text), start, timeout)

    def wait_for_rows(self, count: int, start: int = 0) -> None:
        """Wait until the status line shows ``count`` rows found (``10 of 101`` does not count as ``0 of 101``)."""
        self.wait_for_pattern(rf"(?<![0-9]){count} of 101 rows", start)

    def wait_for_pattern(self, pattern: str, start: int = 0, timeout: float = 15) -> None:
        """Wait until the output received since frame ``start`` matches the regular expression ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.screen_text(start)):
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"the page did not show {pattern!r}; last output:\n{self.screen_text(max(0, len(self.received) - 5))[-2000:]}")

    def activate(self) -> None:
        """Bring the tab to the front and focus the terminal, then let the app take the focus event.

        The page tells the app when it gains or loses the focus, and on gaining it the app
        gives the focus back to the widget that had it, so a key sent before that event is
        handled may land in another widget.
        """
        start = self.mark()
        self.page.bring_to_front()
        self.page.focus(".xterm-helper-textarea")
        self.settle(start, require_output=False)

    def press(self, *keys: str) -> None:
        """Send key presses to the terminal, as a user types them."""
        for key in keys:
            self.page.keyboard.press(key)

    def press_and_settle(self, *keys: str) -> None:
        """Press each key, then wait until the app has redrawn and gone quiet.

        A key that moves the focus (``/``, Enter in the search box) must be handled before
        the next one arrives, or that one goes to the widget that had the focus.
        """
        for key in keys:
            start = self.mark()
            self.page.keyboard.press(key)
            self.settle(start)

    def settle(self, start: int, quiet: int = 150, timeout: float = 3, require_output: bool = True) -> None:
        """Wait until no frame came for ``quiet`` milliseconds, and with ``require_output`` until one came after frame ``start``."""
        deadline = time.monotonic() + timeout
        seen = start
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(quiet)
            arrived = len(self.received) > start or not require_output
            if arrived and len(self.received) == seen:
                return
            seen = len(self.received)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def hosts(self) -> set[str]:
        """Return the host of every request the tab made, the websocket included."""
        return {urlsplit(url).hostname or "" for url in self.requests}


def save_screenshot(tab: Tab, name: str) -> Path:
    """Save a screenshot of ``tab`` as ``ARTIFACTS/name`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    tab.page.screenshot(path=str(path))
    return path


def clean_environment(home: Path) -> dict[str, str]:
    """Return a minimal environment for ``datami serve``: no user configuration, a fixed git identity."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "GIT_AUTHOR_NAME": "Editor",
        "GIT_AUTHOR_EMAIL": "editor@example.com",
        "GIT_COMMITTER_NAME": "Editor",
        "GIT_COMMITTER_EMAIL": "editor@example.com",
    }
