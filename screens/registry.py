"""The areas of the app: one entry per top-level screen, in number-key order.

Each area appends its entry with :func:`register` when its screen module is
imported (the module is listed in ``AREA_MODULES``). Every entry becomes a
Textual mode with a number key in the footer and a command palette entry.
Areas that are not built yet are simply not registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from specialops.permissions import can

if TYPE_CHECKING:
    from textual.screen import Screen

    from specialops.context import Context
    from specialops.identity import Actor
    from specialops.store.store import Store

# Number keys in the order areas appear; "1" is home.
NUMBER_KEYS = "1234567890"

# Screen modules that register an area when imported, in no particular order
# (``order`` sorts them).
AREA_MODULES: list[str] = [
    "specialops.screens.home",
    "specialops.screens.users",
    "specialops.screens.risks",
    "specialops.screens.projects",
    "specialops.screens.tickets",
    "specialops.screens.customers",
]


@dataclass(frozen=True)
class ScreenEntry:
    """One area of the app.

    ``key`` is the mode name; ``factory`` builds the area's first screen;
    ``permission`` is the action a user needs to see the area; ``headline``
    (run in a worker) gives the figure shown on its home card, ``None``
    meaning "not set up yet".
    """

    key: str
    name: str
    name_zh: str
    factory: Callable[[Context], Screen]
    permission: str = "records.read"
    order: int = 100
    headline: Callable[[Store, Actor], str | None] | None = None

    @property
    def title(self) -> str:
        return f"{self.name} {self.name_zh}"


_ENTRIES: dict[str, ScreenEntry] = {}


def register(entry: ScreenEntry) -> ScreenEntry:
    """Add (or replace) an area."""
    _ENTRIES[entry.key] = entry
    return entry


def load_areas() -> None:
    for module in AREA_MODULES:
        import_module(module)


def entries() -> list[ScreenEntry]:
    """Every registered area in number-key order."""
    load_areas()
    return sorted(_ENTRIES.values(), key=lambda e: (e.order, e.key))[: len(NUMBER_KEYS)]


def number_keys() -> dict[str, str]:
    """Area key to its number key (the same for every user)."""
    return {entry.key: NUMBER_KEYS[i] for i, entry in enumerate(entries())}


def visible(actor: Actor) -> list[ScreenEntry]:
    """The areas ``actor`` may open."""
    return [entry for entry in entries() if can(actor, entry.permission)]
