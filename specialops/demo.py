"""Sample data: deterministic (fixed seed), dated relative to the clock's today.

Each area adds a step with :func:`step`; ``load_demo`` runs them in order.
The source files live in the ``specialops.data`` package (``data/``).
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

from sqlmodel import Session, select

from specialops import areas, clock
from specialops.identity import Actor
from specialops.models.core import Department
from specialops.store.store import Store

SEED = 20261128


@dataclass
class DemoContext:
    """What a demo step gets: a writing session, a seeded RNG and today's date."""

    session: Session
    rng: random.Random
    today: date


Step = Callable[[DemoContext], int]
_STEPS: list[tuple[str, Step]] = []


def step(entity: str) -> Callable[[Step], Step]:
    """Register a demo step that creates ``entity`` records and returns how many."""

    def register(fn: Step) -> Step:
        _STEPS.append((entity, fn))
        return fn

    return register


def read_data(name: str) -> dict[str, Any]:
    """Read a TOML file shipped in ``data/``."""
    return tomllib.loads(files("specialops.data").joinpath(name).read_text("utf-8"))


def is_empty(store: Store) -> bool:
    """Whether the database holds no business data yet (only its first users)."""
    with store.read() as session:
        return session.exec(select(Department.id).limit(1)).first() is None


def load_demo(store: Store, actor: Actor, only: set[str] | None = None) -> dict[str, int]:
    """Add the sample data in one transaction; return counts per entity.

    ``only`` limits it to some entities' steps (tests of one area use it).
    """
    areas.load()
    counts: dict[str, int] = {}
    with store.write(actor, comment="sample data", batch="demo") as session:
        demo = DemoContext(session, random.Random(SEED), clock.today())
        for entity, fn in _STEPS:
            if only is not None and entity not in only:
                continue
            counts[entity] = fn(demo)
            session.flush()
    return counts
