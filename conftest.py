"""Root pytest configuration: shared fixtures live in plugins under ``tests/``."""

pytest_plugins = ["tests.github_emulator.plugin"]
