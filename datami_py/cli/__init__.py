"""The ``datami`` command: a thin layer over :class:`datami_py.session.Session`.

Output for people goes to stdout in the user's language; errors go to stderr as one
line each, without a traceback unless ``--debug`` is given. ``--json`` gives data for
scripts. Exit status: 0 success, 1 refused or invalid data, 2 the package cannot be
loaded (for ``validate``) or the command line is wrong.
"""

from datami_py.cli.main import cli, main

__all__ = ["cli", "main"]
