"""Every user-facing message exists in French and English and renders with its parameters."""

from __future__ import annotations

import importlib
import pkgutil
import string

import pytest

import datami_py
from datami_py.i18n import MESSAGES, catalog, detect_language, render

# Messages whose French text is rightly the same as the English one.
SAME_IN_BOTH = {"location.file", "type.date", "type.list", "ui.filters.option"}


def import_every_module() -> None:
    for module in pkgutil.walk_packages(datami_py.__path__, "datami_py."):
        importlib.import_module(module.name)


import_every_module()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_message_translated_to_french(code):
    english = MESSAGES[code]
    french = catalog("fr").get(english)

    assert french, f"no French translation for {code}: {english!r}"
    assert placeholders(french) == placeholders(english)
    if code not in SAME_IN_BOTH:
        assert french != english


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_message_renders_in_both_languages(code):
    params = {name: f"<{name}>" for name in placeholders(MESSAGES[code])}

    for language in ("fr", "en"):
        text = render(code, language, **params)
        for value in params.values():
            assert value in text


def test_language_from_locale(monkeypatch):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")

    assert detect_language() == "fr"
    assert detect_language("en") == "en"

    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert detect_language() == "en"
