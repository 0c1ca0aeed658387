"""The command palette: open any area by its English or Chinese name, or run a key's action."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from specialops.app import SpecialopsApp


class AreaCommands(Provider):
    """Every area the user may open, and the actions of the current screen."""

    def _areas(self) -> list[tuple[str, str, object]]:
        app: SpecialopsApp = self.app  # type: ignore[assignment]
        found = []
        for entry in app.areas:
            if entry.key == app.current_mode:
                continue
            found.append(
                (
                    f"{entry.name} {entry.name_zh}",
                    f"open {entry.name}",
                    partial(app.open_area, entry.key),
                )
            )
        return found

    def _actions(self) -> list[tuple[str, str, object]]:
        found = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or binding.action in seen:
                continue
            if binding.action.startswith(("switch_to", "command_palette")):
                continue
            seen.add(binding.action)
            found.append(
                (
                    binding.description,
                    f"key {binding.key_display or key}",
                    partial(self.app.run_action, binding.action, active.node),
                )
            )
        return found

    async def discover(self) -> Hits:
        for text, help_text, run in [*self._areas(), *self._actions()]:
            yield DiscoveryHit(text, run, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, run in [*self._areas(), *self._actions()]:
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, text=text, help=help_text)  # type: ignore[arg-type]
