"""The areas of specialops and the one list of those installed.

Each area is a package ``specialops.areas.<name>`` whose ``__init__`` holds
one :class:`Area` and imports nothing heavy. Everything that differs by area
is derived from :data:`INSTALLED`: the modules imported for their
registrations (workflows, alert sources, entities, feeds, demo steps), the
tables Alembic sees, the CLI groups, the demo order and the permission table;
the app derives its modes, number keys, palette and home cards from each
area's ``UI`` object (``specialops.screens.<name>``). Adding an area is one
line here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

# In dependency order: an area comes after every area it needs.
INSTALLED: tuple[str, ...] = ("people", "customers", "risks", "projects", "tickets")


@dataclass(frozen=True)
class Area:
    """One area of the product, as it registers itself.

    ``package`` is the dotted package of the area; ``registers`` the
    submodules imported for what they register; ``models`` the submodule
    holding its tables (``None``: none of its own); ``cli`` the
    ``module:attribute`` of its Typer group, mounted as ``cli_name``;
    ``permissions`` the permissions it declares, each with a description;
    ``grants`` the roles given each of them; ``ui`` the module with the
    area's ``UI`` entry (``None``: no screen of its own).
    """

    name: str
    label: str
    label_zh: str
    package: str
    needs: tuple[str, ...] = ()
    registers: tuple[str, ...] = ()
    models: str | None = "models"
    cli: str | None = None
    cli_name: str | None = None
    permissions: Mapping[str, str] = field(default_factory=dict)
    grants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ui: str | None = None

    def module(self, name: str) -> str:
        """The dotted name of one of the area's modules."""
        return f"{self.package}.{name}"


def _package(name: str) -> str:
    return name if "." in name else f"{__name__}.{name}"


def installed() -> list[Area]:
    """Every installed area, in :data:`INSTALLED` order (read afresh each call)."""
    found = [import_module(_package(name)).AREA for name in INSTALLED]
    names = {area.name for area in found}
    for area in found:
        missing = [need for need in area.needs if need not in names]
        if missing:
            raise RuntimeError(f"area {area.name} needs {', '.join(missing)}, not installed")
    return found


def get(name: str) -> Area:
    """One installed area by name."""
    for area in installed():
        if area.name == name:
            return area
    raise KeyError(name)


def _import_all(modules: Iterator[str]) -> None:
    for module in modules:
        import_module(module)


@cache
def _loaded(names: tuple[str, ...]) -> None:
    _import_all(area.module(m) for area in installed() for m in area.registers)


def load() -> None:
    """Import every installed area's registering modules (once per set of areas)."""
    load_models()
    _loaded(INSTALLED)


@cache
def _models_loaded(names: tuple[str, ...]) -> None:
    _import_all(area.module(area.models) for area in installed() if area.models)


def load_models() -> None:
    """Import every installed area's tables, so the metadata holds them all."""
    import specialops.models  # noqa: F401  (the core tables)

    _models_loaded(INSTALLED)
