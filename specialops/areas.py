"""The areas of specialops: modules that register workflows, alert sources,
demo steps and entities when imported. Loaded on demand, so a command that
needs none of them starts fast."""

from __future__ import annotations

from functools import cache
from importlib import import_module

AREA_MODULES: tuple[str, ...] = (
    "specialops.services.risks",
    "specialops.services.risks_entities",
    "specialops.services.projects_area",
    "specialops.services.tickets_area",
    "specialops.services.area_feeds",
)


@cache
def load() -> None:
    """Import every area module once."""
    for module in AREA_MODULES:
        import_module(module)
