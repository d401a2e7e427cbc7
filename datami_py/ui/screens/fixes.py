"""The clean-up screen: every cell a fix would change, before → after, chosen one by one or all at once."""

from __future__ import annotations

import os
from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, SelectionList, Static
from textual.widgets.selection_list import Selection

from datami_py.fixes import KINDS, Fix
from datami_py.table import Table
from datami_py.ui import strings
from datami_py.views import one_line

# Long cells are cut in the preview so that each change stays on one line. The cut keeps
# PREVIEW_CONTEXT characters before the first change, so that the change itself shows.
PREVIEW_LENGTH = 40
PREVIEW_CONTEXT = 15


# The result of pressing l: the main screen checks the links, then opens the screen again.
CHECK_LINKS = "check-links"


class FixesScreen(ModalScreen[list[Fix] | str | None]):
    """Lists ``fixes`` (all ticked) and dismisses with the ticked ones, or None when cancelled.

    ``l`` dismisses with :data:`CHECK_LINKS` when the links were not checked yet
    (``links_checked`` False), because checking reads repository file lists over the network.

    Several fixes of one cell chain (spaces trimmed, then accents normalized), each
    starting from the previous one's result. The ticked ones are applied with
    :func:`~datami_py.fixes.apply_chosen_fixes`: a cell takes the result of its last
    ticked fix.
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", strings.BUTTON_CANCEL),
        # Enter would otherwise tick the highlighted line, as in every SelectionList.
        Binding("enter", "apply", strings.KEY_FIXES_APPLY, priority=True),
        Binding("a", "select_all", strings.KEY_FIXES_ALL),
        Binding("n", "select_none", strings.KEY_FIXES_NONE),
        Binding("k", "toggle_kind", strings.KEY_FIXES_KIND),
        Binding("l", "check_links", strings.KEY_FIXES_LINKS),
    ]

    def __init__(self, table: Table, fixes: list[Fix], kind_titles: dict[str, str], *, links_checked: bool = False) -> None:
        super().__init__()
        self.table = table
        # By kind, then in row order. Kinds stay in their order, so a cell's fixes keep theirs.
        order = {kind: index for index, kind in enumerate(KINDS)}
        self.fixes = sorted(fixes, key=lambda fix: (order.get(fix.kind, len(order)), table.row_number(fix.row)))
        self.kind_titles = kind_titles
        self.links_checked = links_checked

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer ``l`` only while the links are unchecked."""
        if action == "check_links":
            return not self.links_checked
        return True

    def action_check_links(self) -> None:
        self.dismiss(CHECK_LINKS)

    def compose(self) -> ComposeResult:
        counts = Counter(fix.kind for fix in self.fixes)
        summary = ", ".join(self.app.tr(strings.FIXES_COUNT, kind=self.kind_titles[kind], count=count)
                            for kind, count in counts.items())
        with Vertical(classes="dialog fixes"):
            yield Static(self.app.tr(strings.FIXES_TITLE), classes="title")
            if not self.fixes:
                yield Static(self.app.tr(strings.FIXES_NONE))
            else:
                yield Static(Text(summary), id="fixes-summary")
                yield Static(self.app.tr(strings.FIXES_HINT), classes="hint")
                yield SelectionList[int](*self._selections(), id="fixes-list")
        yield Footer()

    def _selections(self) -> list[Selection[int]]:
        return [Selection(self._prompt(fix), index, True) for index, fix in enumerate(self.fixes)]

    def _prompt(self, fix: Fix) -> Text:
        key = self.table.key_of(fix.row)
        row = self.app.tr(strings.FIXES_ROW, row=self.table.row_number(fix.row), key=key if key is not None else "-")
        # Text, not markup: cell values and kind titles may contain square brackets. A selection
        # shows one line, cut at the screen's edge, so the change comes first and a long key last.
        before, after = previews(fix.before, fix.after)
        text = Text("«")
        text.append_text(marked(before, after))
        text.append("» → «")
        text.append_text(marked(after, before))
        text.append(f"» · {fix.field} · {row} · {self.kind_titles[fix.kind]}")
        return text

    def on_mount(self) -> None:
        if self.fixes:
            self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        if not self.fixes:
            self.dismiss(None)
            return
        chosen = set(self.query_one(SelectionList).selected)
        self.dismiss([fix for index, fix in enumerate(self.fixes) if index in chosen])

    def action_select_all(self) -> None:
        self.query_one(SelectionList).select_all()

    def action_select_none(self) -> None:
        self.query_one(SelectionList).deselect_all()

    def action_toggle_kind(self) -> None:
        """Tick every change of the highlighted change's kind, or untick them all when it is ticked."""
        selections = self.query_one(SelectionList)
        if selections.highlighted is None:
            return
        kind = self.fixes[selections.highlighted].kind
        ticked = selections.highlighted in selections.selected
        for index, fix in enumerate(self.fixes):
            if fix.kind != kind:
                continue
            if ticked:
                selections.deselect(index)
            else:
                selections.select(index)


def previews(before: str, after: str) -> tuple[str, str]:
    """Return ``before`` and ``after`` on one line each, cut to the same window around their first difference.

    Outer spaces show as "·" and line breaks as "⏎"; "…" marks a cut at either end. So a
    long text that only loses a trailing space still shows the space that goes.
    """
    old, new = _visible(before), _visible(after)
    same = len(os.path.commonprefix([old, new]))
    # As late as the context allows, but no later than needed to fill the window to the end.
    start = max(0, min(same - PREVIEW_CONTEXT, max(len(old), len(new)) - PREVIEW_LENGTH))
    return _window(old, start), _window(new, start)


def marked(text: str, other: str) -> Text:
    """Return ``text`` with the part that differs from ``other`` in reverse video.

    An accent fix changes no visible letter, so the marked letters are what the reviewer
    checks.
    """
    same_start = len(os.path.commonprefix([text, other]))
    same_end = len(os.path.commonprefix([text[same_start:][::-1], other[same_start:][::-1]]))
    changed_end = len(text) - same_end
    result = Text(text[:same_start])
    result.append(text[same_start:changed_end], style="reverse")
    result.append(text[changed_end:])
    return result


def _visible(text: str) -> str:
    """Return ``text`` on one line, with its outer spaces as "·"."""
    flat = one_line(text)
    stripped = flat.strip(" ")
    if not stripped:
        return "·" * len(flat)
    leading = len(flat) - len(flat.lstrip(" "))
    trailing = len(flat) - len(flat.rstrip(" "))
    return "·" * leading + stripped + "·" * trailing


def _window(text: str, start: int) -> str:
    """Return :data:`PREVIEW_LENGTH` characters of ``text`` from ``start``, with "…" where it is cut."""
    if start >= len(text):  # Much shorter than the other text: show its end.
        start = max(0, len(text) - PREVIEW_LENGTH)
    piece = text[start : start + PREVIEW_LENGTH]
    if start > 0:
        piece = "…" + piece[1:]
    if start + PREVIEW_LENGTH < len(text):
        piece = piece[:-1] + "…"
    return piece
