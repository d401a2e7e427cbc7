"""Key binding descriptions in the user's language.

Textual reads binding descriptions from class attributes, written once in English. Each
description here is a message code (``ui.key.…``); :func:`translate_bindings` replaces it
with its translation when a screen or widget is mounted, so the footer speaks the user's
language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.dom import DOMNode


def translate_bindings(node: DOMNode, translate: Callable[[str], str]) -> None:
    """Replace message codes in ``node``'s binding descriptions with their translation."""
    # NOTE: Textual 8 has no public way to change a binding's description after creation;
    # this edits the node's own copy of its bindings map.
    mapping = node._bindings.key_to_bindings
    for key, bindings in mapping.items():
        mapping[key] = [
            replace(binding, description=translate(binding.description)) if binding.description.startswith("ui.") else binding
            for binding in bindings
        ]
