"""Edits to a table as data: what changed, so that it can be undone, journaled and diffed."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any, Literal

EditKind = Literal["set", "add", "delete"]


@dataclass(frozen=True)
class Edit:
    """One user action on a table.

    ``row`` is the row id (see :class:`datami_py.table.Table`). For ``set``, ``field``,
    ``old`` and ``new`` are the field name and the cell text before and after (``old``
    is None for a cell the record did not have). For ``add``, ``values`` contains the new
    row's cell text by field name. For ``delete``, ``values`` contains what the row had, so
    the deletion can be undone.
    """

    kind: EditKind
    row: int
    field: str | None = None
    old: str | None = None
    new: str | None = None
    values: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the edit as JSON-ready data (used by the journal)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Edit:
        """Rebuild an edit from :meth:`to_dict` output."""
        return cls(**data)
