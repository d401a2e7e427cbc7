"""The help screens and click's own messages of the datami command, in French and English."""

from __future__ import annotations

import gettext
import inspect
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from datami_py.cli import cli
from datami_py.cli_help import DatamiCommand, DatamiGroup, click_language, help_texts, translate_metavar
from datami_py.i18n import catalog

DATAMI = [sys.executable, "-c", "from datami_py.cli import main; main()"]

# Help texts and metavar words whose French is rightly the same as the English.
SAME_IN_BOTH = {"Options", "OPTIONS", "GITFILES"}

# The locale variables read by detect_language, cleared so that only the test decides.
NO_LOCALE = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None}
FRENCH_LOCALE = {**NO_LOCALE, "LANG": "fr_FR.UTF-8"}

# click's messages that datami users can meet, as click 8.5 words them.
CLICK_MESSAGES = [
    "Usage:",
    "Commands",
    "Try '{command} {option}' for help.",
    "Error: {message}",
    "Invalid value for {param_hint}: {message}",
    "Invalid value: {message}",
    "Missing argument",
    "Missing option",
    "Missing parameter",
    "Missing command.",
    "No such option {name!r}.",
    "No such command {name!r}.",
    "Did you mean {possibility}?",
    "(Did you mean one of: {possibilities}?)",
    "Got unexpected extra argument ({args})",
    "Got unexpected extra arguments ({args})",
    "Option {name!r} does not take a value.",
    "Option {name!r} requires an argument.",
    "{value!r} is not a valid {number_type}.",
    "{value!r} is not one of {choices}.",
    "{value} is not in the range {range}.",
    "{name} {filename!r} does not exist.",
    "default: {default}",
    "required",
]


def every_command() -> list[tuple[list[str], click.Command]]:
    commands: list[tuple[list[str], click.Command]] = [([], cli)]
    commands.extend(([name], command) for name, command in sorted(cli.commands.items()))
    return commands


COMMANDS = every_command()
COMMAND_PATHS = [" ".join(words) or "datami" for words, _ in COMMANDS]


def invoke(arguments: list[str], env: dict[str, str | None] | None = None) -> click.testing.Result:
    return CliRunner().invoke(cli, arguments, env=env or NO_LOCALE, catch_exceptions=False, prog_name="datami")


def squeeze(text: str) -> str:
    """Remove every blank, because click rewraps help text and may break lines at hyphens."""
    return "".join(text.split())


def context_of(path: list[str], command: click.Command) -> click.Context:
    root = click.Context(cli, info_name="datami")
    return click.Context(command, info_name=path[-1], parent=root) if path else root


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=COMMAND_PATHS)
def test_command_uses_translated_class(words, command):
    assert isinstance(command, (DatamiCommand, DatamiGroup)), f"datami {' '.join(words)} needs cls=DatamiCommand"


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=COMMAND_PATHS)
def test_every_help_text_has_french(words, command):
    french = catalog("fr")

    for text in help_texts(command, context_of(words, command)):
        if text.isupper():
            translated = translate_metavar(text, "fr")
        else:
            translated = french.get(text)
        assert translated, f"no French for {text!r} in the help of datami {' '.join(words)}"
        if text not in SAME_IN_BOTH:
            assert translated != text, f"French of {text!r} is still English"


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=COMMAND_PATHS)
def test_french_help_has_no_english(words, command):
    french = catalog("fr")

    result = invoke(["--lang", "fr", *words, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Utilisation : datami {' '.join(words)}".rstrip() + " ")
    for text in help_texts(command, context_of(words, command)):
        if text.isupper() or text in SAME_IN_BOTH:
            continue
        assert squeeze(text) not in squeeze(result.output), f"English left in the French help: {text!r}"
        assert squeeze(french[text]) in squeeze(result.output)
    assert "Show this message and exit." not in result.output
    assert "Usage:" not in result.output


def test_group_help_french():
    result = invoke(["--lang", "fr", "--help"])

    assert result.output.startswith("Utilisation : datami [OPTIONS] [COMMANDE] [ARGUMENTS]...\n")
    assert "\nCommandes :\n" in result.output
    assert "  delete         Supprime une ligne.\n" in result.output
    assert "  --help          Affiche cette aide et quitte.\n" in result.output


def test_show_help_french():
    result = invoke(["--lang", "fr", "show", "--help"])

    assert result.output == (
        "Utilisation : datami show [OPTIONS] [PAQUET]\n"
        "\n"
        "  Affiche les lignes telles que lues : toutes, ou une seule choisie par sa clé\n"
        "  ou son numéro.\n"
        "\n"
        "Options :\n"
        "  --resource TEXTE     Nom de la ressource (par défaut : la première).\n"
        "  --row TEXTE          Affiche seulement la ligne qui a cette clé primaire.\n"
        "  --row-number ENTIER  Affiche seulement cette ligne de données (1 = première\n"
        "                       ligne de données).\n"
        "  --json               Affiche les valeurs typées en JSON.\n"
        "  --lang [fr|en]       Langue des messages : fr ou en (par défaut : selon la\n"
        "                       langue du système).\n"
        "  --help               Affiche cette aide et quitte.\n"
    )


def test_edit_help_french_from_locale():
    result = invoke(["edit", "--help"], env=FRENCH_LOCALE)

    assert result.output.startswith("Utilisation : datami edit [OPTIONS] [PAQUET]\n")
    assert "  --set CHAMP=VALEUR   Nouvelle valeur d’un champ ; répétez l’option pour\n" in result.output
    assert "plusieurs champs.  [obligatoire]\n" in result.output


def test_lang_after_command_sets_help():
    result = invoke(["show", "--lang=fr", "--help"])

    assert result.output.startswith("Utilisation : datami show [OPTIONS] [PAQUET]\n")


def test_invalid_integer_french():
    result = invoke(["--lang", "fr", "show", "--row-number", "abc"])

    assert result.exit_code == 2
    assert result.stderr == (
        "Utilisation : datami show [OPTIONS] [PAQUET]\n"
        "Pour l’aide, lancez « datami show --help ».\n"
        "\n"
        "Erreur : Valeur non valide pour '--row-number' : 'abc' n’est pas un nombre entier valide.\n"
    )


def test_missing_option_french():
    result = invoke(["--lang", "fr", "edit"])

    assert result.exit_code == 2
    assert result.stderr == (
        "Utilisation : datami edit [OPTIONS] [PAQUET]\n"
        "Pour l’aide, lancez « datami edit --help ».\n"
        "\n"
        "Erreur : Option manquante '--set'.\n"
    )


def test_unknown_option_french():
    result = invoke(["show", "--bogus"], env=FRENCH_LOCALE)

    assert result.exit_code == 2
    assert result.stderr == (
        "Utilisation : datami show [OPTIONS] [PAQUET]\n"
        "Pour l’aide, lancez « datami show --help ».\n"
        "\n"
        "Erreur : L’option '--bogus' n’existe pas.\n"
    )


def test_unknown_command_french():
    result = invoke(["--lang", "fr", "shw"])

    assert result.exit_code == 2
    assert result.stderr.endswith("Erreur : La commande 'shw' n’existe pas. Vouliez-vous dire 'show' ?\n")


def test_typed_value_kept_as_typed():
    result = invoke(["--lang", "fr", "show", "--row-number", "integer"])

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Erreur : Valeur non valide pour '--row-number' : 'integer' n’est pas un nombre entier valide.\n"
    )


def test_missing_file_french(tmp_path):
    """No datami command asks click to check that a file exists yet; a future one gets French."""
    missing = tmp_path / "absent.json"

    with click_language("fr"):
        with pytest.raises(click.BadParameter) as raised:
            click.Path(exists=True, dir_okay=False).convert(str(missing), None, None)
        text = raised.value.format_message()

    assert text == f"Valeur non valide : Le fichier '{missing}' n’existe pas."


def test_extra_argument_french():
    result = invoke(["--lang", "fr", "show", "a", "b"])

    assert result.exit_code == 2
    assert result.stderr.endswith("Erreur : Argument en trop, non prévu (b)\n")


def test_invalid_choice_french():
    result = invoke(["--lang", "fr", "show", "--lang", "de"])

    assert result.exit_code == 2
    assert result.stderr.endswith("Erreur : Valeur non valide pour '--lang' : 'de' n’est pas l’une des valeurs 'fr', 'en'.\n")


def test_invalid_integer_english():
    result = invoke(["--lang", "en", "show", "--row-number", "abc"], env=FRENCH_LOCALE)

    assert result.exit_code == 2
    assert result.stderr == (
        "Usage: datami show [OPTIONS] [PACKAGE]\n"
        "Try 'datami show --help' for help.\n"
        "\n"
        "Error: Invalid value for '--row-number': 'abc' is not a valid integer.\n"
    )


def test_english_help_after_french_run():
    english_before = invoke(["show", "--help"]).output

    invoke(["--lang", "fr", "show", "--help"])
    english_after = invoke(["--lang", "en", "show", "--help"]).output

    assert english_after == english_before
    assert english_after.startswith("Usage: datami show [OPTIONS] [PACKAGE]\n")
    assert "  --row-number INTEGER  Show only this data row (1 = first data row).\n" in english_after
    assert "  --help                Show this message and exit.\n" in english_after


def test_click_gettext_restored_after_french_run():
    invoke(["--lang", "fr", "edit"])

    for module in (click.core, click.exceptions, click.formatting, click.parser, click.termui, click.types):
        assert module._ is gettext.gettext
    for module in (click.core, click.exceptions, click.parser, click.types):
        assert module.ngettext is gettext.ngettext


@pytest.mark.parametrize("text", CLICK_MESSAGES)
def test_click_message_has_french(text):
    french = catalog("fr").get(text)

    assert french, f"no French for click's {text!r}"
    assert french != text


def test_click_messages_still_in_click():
    """A click upgrade that rewords a message would silently bring English back."""
    source = "".join(
        inspect.getsource(module) for module in (click.core, click.exceptions, click.formatting, click.parser, click.types)
    )

    for text in CLICK_MESSAGES:
        assert repr(text)[1:-1] in source or text in source, f"click no longer uses {text!r}"


def test_main_help_french_from_locale():
    environment = {"PATH": "/usr/bin:/bin", "LANG": "fr_FR.UTF-8"}

    completed = subprocess.run([*DATAMI, "delete", "--help"], capture_output=True, text=True, env=environment, check=False)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Utilisation : datami delete [OPTIONS] [PAQUET]\n\n  Supprime une ligne.\n")
