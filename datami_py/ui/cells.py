"""Cell texts for the terminal UI's tables: one line, cut to a column's width."""

from __future__ import annotations

from datami_py.views import one_line


def cell_line(text: str, width: int) -> str:
    """Return ``text`` with line breaks shown as "⏎", cut with "…" to at most ``width`` characters.

    Spaces are kept as they are, so a value that differs only by a trailing space still
    differs on screen.
    """
    flat = one_line(text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"
