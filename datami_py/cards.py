"""Card content for a row, laid out from the resource's Datami card settings.

The terminal UI draws cards; this module decides what goes in them, so the layout can be
tested without a screen. A card is a list of blocks (title, subtitle, address, tags,
resume, long text, timeline, links, image), each with the data of one field already
split as the field settings define: paragraphs on ``//``, bullets on ``- ``, timeline
steps on ``//`` and their dates on ``::``, codes with their labels and colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from datami_py import quality
from datami_py.errors import DatamiError
from datami_py.table import Table
from datami_py.validation.validator import category_values

CardKind = Literal["mini", "detail"]

# Block positions of Datami cards, in the order a card shows them.
POSITIONS = ("title", "subtitle", "image", "address", "tags", "resume", "description", "infos", "links", "timeline")


@dataclass(frozen=True)
class Tag:
    """A code with its label and background colour (None when the field defines none)."""

    code: str
    label: str
    color: str | None = None
    known: bool = True


@dataclass(frozen=True)
class TimelineStep:
    """One step of a timeline: its date or heading, and its text."""

    title: str
    text: str


@dataclass
class CardBlock:
    """One block of a card: where it goes, its heading and its content.

    ``paragraphs`` contains long text as paragraphs, each a list of lines (a line starting a
    bullet begins with "• "). ``tags`` and ``steps`` are filled for tag and timeline blocks.
    """

    position: str
    field: str
    title: str | None
    column: str = "left"
    text: str = ""
    paragraphs: list[list[str]] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    steps: list[TimelineStep] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """True when the field is empty in this row."""
        return not (self.text.strip() or self.tags or self.steps)


def field_settings(table: Table, name: str) -> dict[str, Any]:
    """Return the Datami settings (``x-datami``) of field ``name``."""
    try:
        return table.field(name).get("x-datami") or {}
    except DatamiError:
        return {}  # A card naming an unknown field shows nothing for it.


def tags_of(table: Table, name: str, text: str | None) -> list[Tag]:
    """Split a tag cell into codes with labels and colour.

    Fields with defined codes are split by the vocabulary (``DC - PN`` gives DC and PN);
    other tag fields on their separator, trimmed.
    """
    if not text or not text.strip():
        return []
    descriptor = table.field(name)
    settings = descriptor.get("x-datami") or {}
    color = settings.get("color")
    delimiter = str(descriptor.get("delimiter") or settings.get("separator") or "-")
    codes = category_values(descriptor)
    if not codes:
        return [Tag(part.strip(), part.strip(), color) for part in text.split(delimiter) if part.strip()]

    labels = {str(item.get("value")): str(item.get("label") or item.get("value")) for item in descriptor.get("categories") or [] if isinstance(item, dict)}
    parse = quality.check_codes(text, codes, delimiter)
    tags = [Tag(code, labels.get(code, code).strip(), color) for code in parse.codes]
    tags += [Tag(part, part, None, known=False) for part in parse.unknown]
    return tags


def paragraphs_of(text: str, settings: dict[str, Any]) -> list[list[str]]:
    """Split long text into paragraphs (on ``paragraphSeparator``) and bullet lines (on ``bulletMarker``)."""
    options = settings.get("longtext") or {}
    separator = options.get("paragraphSeparator") or "//"
    bullet = options.get("bulletMarker")
    result = []
    for paragraph in text.split(separator):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if bullet and bullet in paragraph:
            pieces = [piece.strip() for piece in paragraph.split(bullet)]
            lines = ([pieces[0]] if pieces[0] else []) + ["• " + piece for piece in pieces[1:] if piece]
            result.append(lines)
        else:
            result.append([paragraph])
    return result


def steps_of(text: str, settings: dict[str, Any]) -> list[TimelineStep]:
    """Split timeline text into steps (on ``stepSeparator``), each into title and text (on ``titleSeparator``)."""
    options = settings.get("timeline") or {}
    step_separator = options.get("stepSeparator") or "//"
    title_separator = options.get("titleSeparator") or "::"
    steps = []
    for part in text.split(step_separator):
        part = part.strip()
        if not part:
            continue
        title, found, body = part.partition(title_separator)
        steps.append(TimelineStep(title.strip(), body.strip()) if found else TimelineStep("", part))
    return steps


def card_settings(settings: dict[str, Any], kind: CardKind) -> list[dict[str, Any]]:
    """Return the block settings of the ``mini`` or ``detail`` card, in Datami's order."""
    return list((settings.get("cards") or {}).get(kind) or [])


def default_blocks(table: Table) -> list[dict[str, Any]]:
    """Blocks for a table without card settings: the key (or first field) as title, then every field."""
    names = [name for name in table.field_names if table.column_of(name) is not None]
    title = names[0] if names else ""
    if table.primary_key:
        title = table.primary_key[0]
    return [{"field": title, "position": "title"}] + [
        {"field": name, "position": "infos", "title": name} for name in names if name != title
    ]


def build_card(table: Table, row: int, settings: dict[str, Any], kind: CardKind) -> list[CardBlock]:
    """Return the blocks of ``row``'s card, laid out from the resource ``settings``.

    Blocks naming a field the table lacks are left out; empty blocks are kept (marked
    empty) so that the detail card can show every field, even blank.
    """
    blocks_settings = card_settings(settings, kind) or default_blocks(table)
    blocks = []
    for block in blocks_settings:
        name = str(block.get("field"))
        if table.column_of(name) is None:
            continue
        text = table.cell(row, name) or ""
        settings_of_field = field_settings(table, name)
        card_block = CardBlock(
            position=str(block.get("position", "infos")),
            field=name,
            title=block.get("title"),
            column=str(block.get("column", "left")),
            text=text,
        )
        subtype = settings_of_field.get("subtype")
        if card_block.position == "tags" or subtype in ("tags", "tag"):
            card_block.tags = tags_of(table, name, text)
        elif card_block.position == "timeline" or subtype == "timeline":
            card_block.steps = steps_of(text, settings_of_field)
        elif subtype == "longtext" or card_block.position in ("resume", "description"):
            card_block.paragraphs = paragraphs_of(text, settings_of_field)
        blocks.append(card_block)

    order = {position: index for index, position in enumerate(POSITIONS)}
    blocks.sort(key=lambda item: order.get(item.position, len(POSITIONS)))
    return blocks
