"""A local GitHub REST API emulator, backed by real bare git repositories, for tests that use PyGithub."""

from .server import Call, GitHubEmulator

# The user that the ``github_emulator`` fixture registers.
EDITOR_LOGIN = "editor"
EDITOR_TOKEN = "ghp_editortoken0000000000000000000000"

__all__ = ["Call", "EDITOR_LOGIN", "EDITOR_TOKEN", "GitHubEmulator"]
