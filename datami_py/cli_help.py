"""French help screens and click messages for the ``datami`` command line.

Two kinds of text reach the user from click, and both are translated here at display time:

- the help of our commands (docstrings, option help, metavars), which click formats from
  English attributes. :class:`DatamiCommand` and :class:`DatamiGroup` format it from a
  translated copy of themselves, so the English objects are never changed;
- click's own strings ("Usage:", "Error: …", "Missing option …"), which click wraps in
  ``gettext.gettext`` and ``gettext.ngettext`` imported by name in each of its modules.
  :func:`click_language` swaps those names for French lookups while a command runs and
  puts the originals back afterwards.

French lives in ``locale/fr/LC_MESSAGES/cli_help.po`` and is read through
:func:`datami_py.i18n.catalog`. The language must be known before click parses, because
``--help`` is eager and prints before ``--lang`` is processed, so it is read from the raw
arguments (see :func:`language_from_arguments`).
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import click
import click.core
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from datami_py.i18n import DEFAULT_LANGUAGE, detect_language, gettext

# Modules whose ``_`` / ``ngettext`` are swapped. click.decorators is left out because it
# builds the help of --help and --version once and caches it on the command, so a French
# text made there would outlive the French run. Those two help texts go through the help
# catalog like every other option help instead.
_CLICK_MODULES = (click.core, click.exceptions, click.formatting, click.parser, click.termui, click.types)

# Format parameters that click fills with an English word without translating it: the type
# name in "{value!r} is not a valid {number_type}." and the "File" in "{name} {filename!r}
# does not exist.". Each is translated only in the messages that contain this exact text, so
# that a value typed by the user (a "{value!r}" or a command "{name!r}") is never translated.
_CLICK_WORD_PARAMETERS = {"{number_type}": "number_type", "{name} {filename!r}": "name"}

# A run of upper-case words, such as "PACKAGE", "INTEGER RANGE" or the "FIELD" of "FIELD=VALUE".
_METAVAR_WORDS = re.compile(r"[A-Z][A-Z0-9_]*(?: [A-Z][A-Z0-9_]*)*")

_help_language: ContextVar[str | None] = ContextVar("datami_help_language", default=None)


def language_from_arguments(arguments: Sequence[str]) -> str | None:
    """Return the value of ``--lang`` in the raw command-line ``arguments``, or None."""
    for index, argument in enumerate(arguments):
        if argument.startswith("--lang="):
            return argument.split("=", 1)[1]
        if argument == "--lang" and index + 1 < len(arguments):
            return arguments[index + 1]
    return None


def help_language() -> str:
    """Return the language of the command line being run, else the one of the locale."""
    return _help_language.get() or detect_language()


class _ClickTemplate(str):
    """A translated click message that also translates its ``word_parameters`` on format."""

    language: str
    word_parameters: frozenset[str]

    def format(self, *args: Any, **kwargs: Any) -> str:
        worded = {
            name: gettext(value, self.language) if name in self.word_parameters and isinstance(value, str) else value
            for name, value in kwargs.items()
        }
        return super().format(*args, **worded)


def _click_gettext(language: str, text: str) -> str:
    template = _ClickTemplate(gettext(text, language))
    template.language = language
    template.word_parameters = frozenset(name for marker, name in _CLICK_WORD_PARAMETERS.items() if marker in text)
    return template


def _click_ngettext(language: str, singular: str, plural: str, count: int) -> str:
    # French uses the singular for 0 and 1.
    return _click_gettext(language, singular if count <= 1 else plural)


@contextmanager
def click_language(language: str) -> Iterator[None]:
    """Run the body with click's messages and our help screens in ``language``.

    English keeps click's own functions untouched. Not thread-safe: the swap is global to
    the click modules, which suits a command-line run.
    """
    token = _help_language.set(language)
    saved: list[tuple[Any, str, Any]] = []
    if language != DEFAULT_LANGUAGE:
        replacements = {
            "_": lambda text: _click_gettext(language, text),
            "ngettext": lambda singular, plural, count: _click_ngettext(language, singular, plural, count),
        }
        for module in _CLICK_MODULES:
            for name, replacement in replacements.items():
                if name in vars(module):
                    saved.append((module, name, getattr(module, name)))
                    setattr(module, name, replacement)

    try:
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)
        _help_language.reset(token)


def translate_help_text(text: str | None, language: str) -> str | None:
    """Translate a docstring or help text paragraph by paragraph.

    click rewraps every paragraph, so the catalog stores each paragraph on one line: the
    lines of a paragraph are joined with single spaces before the lookup.
    """
    if text is None:
        return None

    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(text))
    return "\n\n".join(gettext(" ".join(paragraph.split()), language) for paragraph in paragraphs)


def translate_metavar(metavar: str, language: str) -> str:
    """Translate the upper-case words of ``metavar``, whole runs first, then word by word."""

    def translate_run(match: re.Match[str]) -> str:
        run = match.group(0)
        translated = gettext(run, language)
        if translated != run:
            return translated
        return " ".join(gettext(word, language) for word in run.split(" "))

    return _METAVAR_WORDS.sub(translate_run, metavar)


def help_texts(command: click.Command, context: click.Context) -> list[str]:
    """Return every English text of ``command``'s help that the catalog must translate.

    Paragraphs of the docstring, help of each parameter and runs of upper-case metavar
    words (translated by :func:`translate_metavar`); subcommands of a group are not included.
    """
    texts: list[str] = []
    if command.help:
        texts.extend(" ".join(paragraph.split()) for paragraph in re.split(r"\n\s*\n", inspect.cleandoc(command.help)))

    for parameter in command.get_params(context):
        if getattr(parameter, "help", None):
            texts.append(parameter.help)
        if isinstance(parameter, click.Option) and parameter.is_flag:
            continue
        texts.extend(_METAVAR_WORDS.findall(parameter.make_metavar(context)))

    usage_metavars = [command.options_metavar or "", getattr(command, "subcommand_metavar", "")]
    texts.extend(run for metavar in usage_metavars for run in _METAVAR_WORDS.findall(metavar))
    return texts


def _translated_parameter(parameter: click.Parameter, context: click.Context, language: str) -> click.Parameter:
    translated = copy.copy(parameter)
    if getattr(parameter, "help", None):
        translated.help = gettext(parameter.help, language)  # type: ignore[attr-defined]
    translated.metavar = translate_metavar(parameter.make_metavar(context), language)
    return translated


class HelpFormatter(click.HelpFormatter):
    """click's help formatter, with a space before the colon of section headings in French."""

    def write_heading(self, heading: str) -> None:
        if help_language() != "fr":
            return super().write_heading(heading)
        self.write(f"{'':>{self.current_indent}}{heading} :\n")
        return None


class HelpContext(click.Context):
    """click's context, formatting help with :class:`HelpFormatter`."""

    formatter_class = HelpFormatter


class TranslatedHelp:
    """Mixin for click commands that formats help, usage and short help in the run's language.

    A French screen is formatted by a shallow copy of the command whose texts are French.
    The copy is marked, so it formats itself with click's own methods.
    """

    _is_translation = False
    context_class = HelpContext

    def _translation(self, context: click.Context) -> Any:
        language = help_language()
        if self._is_translation or language == DEFAULT_LANGUAGE:
            return None

        command: Any = copy.copy(self)
        command._is_translation = True
        command.help = translate_help_text(self.help, language)  # type: ignore[attr-defined]
        command.params = [_translated_parameter(parameter, context, language) for parameter in self.get_params(context)]  # type: ignore[attr-defined]
        command.add_help_option = False
        if command.options_metavar:
            command.options_metavar = translate_metavar(command.options_metavar, language)
        if getattr(command, "subcommand_metavar", None):
            command.subcommand_metavar = translate_metavar(command.subcommand_metavar, language)
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        translation = self._translation(ctx)
        if translation is None:
            return super().format_help(ctx, formatter)  # type: ignore[misc]
        return translation.format_help(ctx, formatter)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        translation = self._translation(ctx)
        if translation is None:
            return super().format_usage(ctx, formatter)  # type: ignore[misc]
        return translation.format_usage(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        language = help_language()
        if self._is_translation or language == DEFAULT_LANGUAGE:
            return super().get_short_help_str(limit)  # type: ignore[misc]

        command: Any = copy.copy(self)
        command._is_translation = True
        command.help = translate_help_text(self.help, language)  # type: ignore[attr-defined]
        if command.short_help:
            command.short_help = gettext(command.short_help, language)
        return command.get_short_help_str(limit)


class DatamiCommand(TranslatedHelp, click.Command):
    """A ``datami`` command whose help follows the language of the run."""


class DatamiGroup(TranslatedHelp, click.Group):
    """The ``datami`` group: runs every command with click's messages in the user's language."""

    command_class = DatamiCommand

    def main(self, args: Sequence[str] | None = None, *more: Any, **extra: Any) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        language = detect_language(language_from_arguments(arguments))
        with click_language(language):
            return super().main(arguments, *more, **extra)
