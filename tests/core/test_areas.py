"""Every installed area keeps the contract of ARCHITECTURE.md, and a new one plugs in by
one line: a throwaway area from the test folder gets a screen, a number key, a
palette entry, a CLI group, a demo step and its permissions with no other edit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from sqlalchemy import inspect

from specialops import areas, demo, permissions
from specialops import workflow as wf
from specialops.screens.shell import registry
from tests.layout import CHECKOUT
from tests.pilot import pilot_test, settle

SAMPLE = "tests.sample_area"
CHECK_CALL = re.compile(r"""\b(?:require|can)\([^()]*?["']([a-z_]+\.[a-z_]+|act_as)["']\)""")
PERMISSION_ARG = re.compile(r"""\bpermission\s*=\s*["']([a-z_]+\.[a-z_]+)["']""")


def _source_files() -> list[Path]:
    found = []
    for folder in ("specialops", "screens", "widgets"):
        found += [p for p in (CHECKOUT / folder).rglob("*.py") if "versions" not in p.parts]
    return found


def checked_permissions() -> set[str]:
    """Every permission some code asks about: calls, transitions and screens."""
    used: set[str] = set()
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        used |= set(CHECK_CALL.findall(text)) | set(PERMISSION_ARG.findall(text))
    areas.load()
    for workflow in wf.WORKFLOWS.values():
        used |= {t.permission for t in workflow.transitions if t.permission}
    used |= {entry.permission for entry in registry.entries()}
    return used


def test_every_permission_asked_about_is_declared() -> None:
    declared = permissions.table().descriptions
    assert sorted(checked_permissions() - set(declared)) == []


@pytest.mark.parametrize("name", ["core", *areas.INSTALLED])
def test_every_declared_permission_is_described_and_checked(name: str) -> None:
    table = permissions.table()
    own = {p for p, owner in table.owner.items() if owner == name}
    assert all(table.descriptions[p].strip() for p in own)
    assert sorted(own - checked_permissions()) == [], f"{name} declares permissions nothing checks"


def test_asking_about_an_undeclared_permission_raises() -> None:
    with pytest.raises(permissions.UnknownPermission):
        permissions.can("manager", "ticket.wrok")


def test_a_workflow_or_screen_naming_an_undeclared_permission_fails_to_load() -> None:
    from specialops.areas.tickets.models import Ticket

    misspelt = wf.Transition("go", ["a"], "b", "go", permission="ticket.wrok")
    with pytest.raises(permissions.UnknownPermission, match=r"ticket\.wrok"):
        wf.register(wf.Workflow("example.misspelt", Ticket, "status", ["a", "b"], [misspelt]))
    assert "example.misspelt" not in wf.WORKFLOWS
    with pytest.raises(permissions.UnknownPermission):
        registry.ScreenEntry("x", "X", "X", "8", "x:X", permission="ticket.wrok")


@pytest.mark.parametrize("name", areas.INSTALLED)
def test_the_area_is_installed_in_dependency_order(name: str) -> None:
    area = areas.get(name)
    assert area.package == f"specialops.areas.{name}"
    earlier = areas.INSTALLED[: areas.INSTALLED.index(name)]
    assert set(area.needs) <= set(earlier)


def _needs_closure(area: areas.Area) -> set[str]:
    found, todo = set(), [area.name]
    while todo:
        current = areas.get(todo.pop())
        if current.name not in found:
            found.add(current.name)
            todo += current.needs
    return found


@pytest.mark.parametrize("name", areas.INSTALLED)
def test_the_demo_step_loads_on_an_empty_database(name: str, ctx) -> None:
    areas.load()
    wanted = {areas.get(n).package for n in _needs_closure(areas.get(name))}
    entities = {entity for entity, fn in demo._STEPS if fn.__module__.rsplit(".", 1)[0] in wanted}
    own = {e for e, fn in demo._STEPS if fn.__module__.rsplit(".", 1)[0] == areas.get(name).package}
    counts = demo.load_demo(ctx.store, ctx.actor, only=entities)
    assert set(counts) == entities
    assert all(counts[entity] > 0 for entity in own)


@pytest.mark.parametrize("name", areas.INSTALLED)
def test_the_models_are_in_the_migration_head(name: str, ctx) -> None:
    area = areas.get(name)
    if area.models is None:
        pytest.skip(f"{name} keeps no tables of its own")
    areas.load_models()
    module = sys.modules[area.module(area.models)]
    tables = {
        obj.__table__.name
        for obj in vars(module).values()
        if getattr(obj, "__module__", None) == module.__name__ and hasattr(obj, "__table__")
    }
    assert tables
    with ctx.store.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
    assert sorted(tables - present) == []


def test_every_screen_entry_has_a_unique_key_and_number() -> None:
    entries = registry.entries()
    assert len({e.key for e in entries}) == len(entries)
    assert len({e.number for e in entries}) == len(entries)
    for area in areas.installed():
        if area.ui:
            assert import_module(area.ui).UI in entries, f"{area.name} has no screen entry"


# ----------------------------------------------------------- a throwaway area


@pytest.fixture
def sample_installed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(areas, "INSTALLED", (*areas.INSTALLED, SAMPLE))
    return areas.get("samples")


def test_a_new_area_gets_its_permissions(sample_installed) -> None:
    table = permissions.table()
    assert table.owner["sample.read"] == "samples"
    assert permissions.can("staff", "sample.read") and not permissions.can("staff", "sample.count")
    assert permissions.can("admin", "sample.count")


def test_a_new_area_gets_a_demo_step(sample_installed, ctx) -> None:
    counts = demo.load_demo(ctx.store, ctx.actor, only={"departments", "samples"})
    assert counts["samples"] == counts["departments"] > 0


def test_a_new_area_gets_its_screen_entry_and_number(sample_installed) -> None:
    numbers = registry.number_keys()
    assert numbers["samples"] == "9"
    assert [e.key for e in registry.entries()][-1] == "samples"


@pilot_test
async def test_a_new_area_gets_a_mode_a_key_and_a_palette_entry(sample_installed, ctx) -> None:
    from specialops.app import make_app
    from specialops.screens.shell.palette import AreaCommands

    app = make_app(ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "samples" in [entry.key for entry in app.areas]
        await pilot.press("9")
        await settle(pilot)
        assert app.current_mode == "samples"
        assert app.screen.query_one("#samples")
        await pilot.press("1")
        await settle(pilot)
        found = [text for text, _help, _run in AreaCommands(app.screen)._areas()]
        assert "Samples 樣本" in found


def test_a_new_area_gets_a_cli_group(sample_installed, ctx, db_path: Path) -> None:
    probe = (
        "import sys\n"
        "from specialops import areas\n"
        f"areas.INSTALLED = (*areas.INSTALLED, {SAMPLE!r})\n"
        f"sys.argv = ['specialops', '--db', {str(db_path)!r}, 'samples', 'hello']\n"
        "from specialops.cli.main import run\n"
        "run()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=CHECKOUT,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
    )
    assert result.returncode == 0, result.stderr
    assert "hello chen.admin" in result.stderr + result.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "specialops", "--db", str(db_path), "samples", "hello"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plain.returncode == 2  # not installed: no such command
