"""The screens of the app: home, then one entry per installed area.

Each screens folder of an area holds one ``UI`` entry in its ``__init__``
(named by the area's ``ui``); the list here is derived from
``specialops.areas.INSTALLED``, so adding an area edits nothing in the shell.
Every entry becomes a Textual mode with its declared number key in the
footer and a command palette entry. Screen and headline code is imported
only when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from specialops.permissions import can, declared

if TYPE_CHECKING:
    from textual.screen import Screen

    from specialops.context import Context
    from specialops.identity import Actor

NUMBER_KEYS = "1234567890"


def _resolve(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(import_module(module), attribute)


@dataclass(frozen=True)
class ScreenEntry:
    """One top-level screen of the app.

    ``key`` is the mode name; ``number`` its declared number key;
    ``screen`` (``module:Class``) its first screen, built with the context;
    ``permission`` what a user needs to see it; ``headline``
    (``module:function``, run in a worker) the figure on its home card,
    ``None`` meaning "not set up yet".
    """

    key: str
    name: str
    name_zh: str
    number: str
    screen: str
    permission: str = "records.read"
    headline: str | None = None

    def __post_init__(self) -> None:
        declared(self.permission)  # a misspelt permission fails when the entry is made

    @property
    def title(self) -> str:
        return f"{self.name} {self.name_zh}"

    def factory(self, context: Context) -> Screen:
        """Build the entry's first screen."""
        return _resolve(self.screen)(context)

    def read_headline(self, store: Any, actor: Actor) -> str | None:
        """The home card's figure (``None`` when there is none)."""
        if self.headline is None:
            return None
        function: Callable[[Any, Actor], str | None] = _resolve(self.headline)
        return function(store, actor)


HOME = ScreenEntry(
    key="home",
    name="Home",
    name_zh="首頁",
    number="1",
    screen="specialops.screens.shell.home:HomeScreen",
    permission="app.open",
)


def entries() -> list[ScreenEntry]:
    """Home and every installed area's screen, in number-key order."""
    from specialops import areas

    found = [HOME]
    for area in areas.installed():
        if area.ui:
            found.append(import_module(area.ui).UI)
    numbers = [entry.number for entry in found]
    clashes = {n for n in numbers if numbers.count(n) > 1}
    if clashes or not set(numbers) <= set(NUMBER_KEYS):
        raise ValueError(f"number keys must be unique digits: {sorted(numbers)}")
    return sorted(found, key=lambda e: NUMBER_KEYS.index(e.number))


def number_keys() -> dict[str, str]:
    """Area key to its number key (the same for every user)."""
    return {entry.key: entry.number for entry in entries()}


def visible(actor: Actor) -> list[ScreenEntry]:
    """The screens ``actor`` may open."""
    return [entry for entry in entries() if can(actor, entry.permission)]
