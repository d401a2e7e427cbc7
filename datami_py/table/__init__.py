"""The editable table: rows, edits, undo and redo (see :class:`Table`)."""

from datami_py.table.edits import Edit
from datami_py.table.table import Table

__all__ = ["Edit", "Table"]
