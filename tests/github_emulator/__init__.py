"""A local GitHub REST API emulator, backed by real bare git repositories, for tests that use PyGithub."""

from .server import Call, GitHubEmulator

__all__ = ["Call", "GitHubEmulator"]
