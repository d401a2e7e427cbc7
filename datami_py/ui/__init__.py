"""The Textual terminal UI: a thin layer over :mod:`datami_py.session` and :mod:`datami_py.views`."""
