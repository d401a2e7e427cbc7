"""Printing for the CLI: messages in the user's language, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from datami_py.errors import DatamiError, Finding, describe
from datami_py.i18n import gettext, message, render

ERROR_PREFIX = message("cli.error-prefix", "Error")


def say(text: str) -> None:
    """Print ``text`` on stdout."""
    click.echo(text)


def say_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout, non-ASCII characters kept."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def error_line(text: str, language: str) -> str:
    """Return ``text`` prefixed with “Error:” in ``language``."""
    prefix = render(ERROR_PREFIX, language)
    separator = "\u00a0: " if language == "fr" else ": "
    return prefix + separator + text


def report_error(error: DatamiError, language: str) -> None:
    """Print ``error`` on stderr in ``language``."""
    click.echo(error_line(describe(error, language), language), err=True)


def report_findings(findings: list[Finding], language: str) -> None:
    """Print each finding on stderr in ``language``."""
    for finding in findings:
        click.echo(error_line(describe(finding, language), language), err=True)


def translate(text: str, language: str) -> str:
    """Return the interface string ``text`` in ``language``."""
    return gettext(text, language)


def stdout_is_terminal() -> bool:
    """True when stdout is a terminal (used to decide whether to colour output)."""
    return sys.stdout.isatty()
