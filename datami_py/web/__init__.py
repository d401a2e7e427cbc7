"""The editor in a web browser: ``datami serve`` runs the terminal app once per browser session.

:mod:`~datami_py.web.workspace` keeps one working copy and one journal folder per session
(no Textual), :mod:`~datami_py.web.session` is the process each browser session runs, and
:mod:`~datami_py.web.server` is the textual-serve web server that starts those processes.
"""
