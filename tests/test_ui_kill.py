"""Kill the real ``datami`` program after an edit and check that the next run restores it.

The program runs in a pseudo-terminal, as an editor would run it, and gets raw key bytes.
SIGKILL gives it no chance to save or clean up, so the edit can only come back from the
journal written before the edit showed on screen.
"""

from __future__ import annotations

import codecs
import csv
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.helpers import REPOSITORY, git

COLUMNS, LINES = 120, 40
CSV = "data/decider-ensemble-ressources-geocoded.csv"
# In the row editor the focus starts on the first field and Tab follows the schema's
# field order, so the 6th Tab reaches TITRE DU PROJET, the package's primary key.
# Focusing an input by Tab selects its text, so typing replaces the old title.
TABS_TO_TITLE = 6
NEW_TITLE = "Titre restauré après arrêt"
TIMEOUT = 15.0

ENTER, TAB, CTRL_S = b"\r", b"\t", b"\x13"

# Control sequences and escape sequences (CSI, OSC, DCS, charset and single-character escapes),
# removed so that the text drawn on screen can be searched.
ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-Za-z]|[=>78DEHM])")


class Terminal:
    """The ``datami open`` program running in a pseudo-terminal of COLUMNS × LINES."""

    def __init__(self, package: Path, journal_folder: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        environment = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(COLUMNS),
            "LINES": str(LINES),
            "DATAMI_JOURNAL_DIR": str(journal_folder),
        }
        command = [sys.executable, "-c", "from datami_py.cli import main; main()", "open", str(package), "--lang", "en"]
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=environment, cwd=REPOSITORY, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.raw = ""
        self.searched_up_to = 0

    @property
    def text(self) -> str:
        """Everything drawn so far, without escape sequences."""
        return ESCAPE_SEQUENCE.sub("", self.raw)

    def _read(self, timeout: float) -> bool:
        """Append the output available within ``timeout`` seconds. Return False once the program has closed the terminal."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # Linux raises EIO once no process has the terminal open.
            return False
        if not chunk:
            return False
        self.raw += self.decoder.decode(chunk)
        return True

    def wait_for(self, expected: str, timeout: float = TIMEOUT) -> None:
        """Read until ``expected`` is drawn after the text found by the previous wait."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            found = text.find(expected, self.searched_up_to)
            if found >= 0:
                self.searched_up_to = found + len(expected)
                return
            remaining = deadline - time.monotonic()
            still_open = remaining > 0 and self._read(min(remaining, 0.2))
            if remaining <= 0 or not still_open and self.process.poll() is not None:
                raise AssertionError(
                    f"{expected!r} not drawn within {timeout} s (exit status {self.process.poll()}); "
                    f"last text drawn:\n{text[-1500:]}"
                )

    def press(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def press_one_by_one(self, keys: bytes) -> None:
        """Press each key, then read until the redraw it causes is over, as a person would.

        Sent in one write, 7 Tabs followed by text left the title unchanged (observed with
        Textual 8.2.8), while the same keys pressed one at a time change it.
        """
        for key in keys:
            self.press(bytes([key]))
            self._read_until_quiet()

    def _read_until_quiet(self, quiet: float = 0.15, timeout: float = 5.0) -> None:
        """Read until some output came and then none for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        length = len(self.raw)
        while time.monotonic() < deadline:
            before = len(self.raw)
            if not self._read(quiet):
                return
            if len(self.raw) == before and before > length:
                return

    def wait_for_exit(self, timeout: float = TIMEOUT) -> int:
        """Drain the output until the program exits and return its exit status."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.process.wait(timeout=max(deadline - time.monotonic(), 0.1))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=TIMEOUT)
        os.close(self.master)


def test_killed_edit_restored_and_saved(package, tmp_path):
    journal_folder = tmp_path / "journals"
    original = (package / CSV).read_text(encoding="utf-8")
    assert "Budget Participatif Gersois" in original
    assert NEW_TITLE not in original

    # First run: table view, edit row 1, replace its title, apply, then SIGKILL.
    first = Terminal(package, journal_folder)
    try:
        first.wait_for("rows")
        first.wait_for("all changes saved")
        first.press_one_by_one(b"te")
        first.wait_for("Edit row 1")
        first.press_one_by_one(TAB * TABS_TO_TITLE)
        first.press(NEW_TITLE.encode())
        first.wait_for(NEW_TITLE)
        first.press(CTRL_S)
        # The status line shows the edit only after the journal has written it to disk.
        first.wait_for("1 unsaved change(s)")
        first.process.send_signal(signal.SIGKILL)
        assert first.wait_for_exit() == -signal.SIGKILL
    finally:
        first.close()

    assert (package / CSV).read_text(encoding="utf-8") == original
    assert git(package, "status", "--porcelain") == ""
    assert list(journal_folder.glob("*.jsonl")), f"no journal in {journal_folder}"

    # Second run: the restore dialog comes first, and Enter presses its focused "Restore" button.
    second = Terminal(package, journal_folder)
    try:
        second.wait_for("1 unsaved edit from")
        second.wait_for("Restore")
        second.press(ENTER)
        second.wait_for("1 unsaved change(s)")
        second.press(CTRL_S)
        second.wait_for("Saved ")
        second.wait_for("all changes saved")
        # Nothing is unsaved, so "q" quits without a question.
        second.press(b"q")
        assert second.wait_for_exit() == 0
    finally:
        second.close()

    with (package / CSV).open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["TITRE DU PROJET"] == NEW_TITLE
    assert git(package, "diff", "--numstat") == f"1\t1\t{CSV}\n"
    assert not list(journal_folder.glob("*.jsonl")), "the journal was kept after the save"
