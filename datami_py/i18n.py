"""Translation of user-facing text into French and English.

Every message has a stable code and an English template; French lives in gettext
catalogs (``locale/fr/LC_MESSAGES/*.po``), one file per area of the product so that
areas can be translated independently. Templates use ``str.format`` placeholders.

Front ends call :func:`render` (or :func:`gettext` for plain interface strings); the
domain never words a message itself, it raises or returns a code with parameters.
"""

from __future__ import annotations

import functools
import locale
import os
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"

_LOCALE_DIR = Path(__file__).parent / "locale"

# Code -> English template. Filled at import time by :func:`message` calls in each module.
MESSAGES: dict[str, str] = {}


@dataclass(frozen=True)
class Phrase:
    """A message used as a parameter of another message, worded in the same language."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def message(code: str, template: str) -> str:
    """Register the English ``template`` of message ``code`` and return the code.

    Raises:
        ValueError: when ``code`` is already registered with another template, because two
            meanings under one code would make the French catalog wrong for one of them.
    """
    known = MESSAGES.get(code)
    if known is not None and known != template:
        raise ValueError(f"message code {code!r} is registered twice with different templates")

    MESSAGES[code] = template
    return code


def detect_language(explicit: str | None = None) -> str:
    """Return ``explicit`` when given, else French when the locale is French, else English.

    The locale is read from ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG``, in the
    order gettext uses them.
    """
    if explicit:
        language = explicit.lower()[:2]
        return language if language in LANGUAGES else DEFAULT_LANGUAGE

    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "fr" if value.lower().startswith("fr") else DEFAULT_LANGUAGE

    system_locale = locale.getlocale()[0] or ""
    return "fr" if system_locale.lower().startswith("fr") else DEFAULT_LANGUAGE


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """Return the English-to-``language`` mapping read from every ``.po`` file of that language."""
    if language == "en":
        return {}

    from babel.messages.pofile import read_po

    translations: dict[str, str] = {}
    folder = _LOCALE_DIR / language / "LC_MESSAGES"
    for po_path in sorted(folder.glob("*.po")):
        with po_path.open("rb") as po_file:
            for entry in read_po(po_file, locale=language):
                if entry.id and entry.string and not entry.fuzzy:
                    translations[str(entry.id)] = str(entry.string)
    return translations


def gettext(text: str, language: str) -> str:
    """Return the translation of the English ``text`` into ``language``, or ``text`` itself."""
    return catalog(language).get(text, text)


def render(code: str, language: str, **params: Any) -> str:
    """Word message ``code`` in ``language`` with ``params`` filled in.

    An unknown code renders as the code followed by its parameters, so that nothing a
    user needs is hidden even when a message was not registered.
    """
    template = MESSAGES.get(code)
    if template is None:
        details = ", ".join(f"{name}={value!r}" for name, value in sorted(params.items()))
        return f"{code} ({details})" if details else code

    worded = {
        name: render(value.code, language, **value.params) if isinstance(value, Phrase) else value
        for name, value in params.items()
    }
    return gettext(template, language).format(**worded)
