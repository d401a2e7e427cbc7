"""Command palette entries for every action of the main screen, in the user's language."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from datami_py.ui.screens.geocode_review import ACTIONS as GEOCODE_ACTIONS
from datami_py.ui.screens.help import ACTIONS


class ActionsProvider(Provider):
    """Finds the main screen's actions by their translated names."""

    def _actions(self) -> list[tuple[str, str]]:
        from datami_py.ui.screens.main import MainScreen

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        return [(self.app.tr(code), action) for code, action in ACTIONS + GEOCODE_ACTIONS]  # type: ignore[attr-defined]

    def _runner(self, action: str):
        return partial(self.screen.run_action, action)

    async def discover(self) -> Hits:
        for name, action in self._actions():
            yield DiscoveryHit(name, self._runner(action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), self._runner(action), text=name)
