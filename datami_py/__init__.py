"""datami-py: edit Frictionless data packages kept in Git, and propose the edits for review."""

__version__ = "0.1.0"
