"""One permission map; alerts for the right people; portable models."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from specialops import alerts
from specialops.areas import load_models
from specialops.errors import PermissionDenied
from specialops.identity import Actor
from specialops.models.base import metadata
from specialops.permissions import ROLES, UnknownPermission, can, require, table


def actor(role: str, username: str = "u", department_id: int | None = None) -> Actor:
    return Actor(username=username, role=role, department_id=department_id)


def test_every_role_has_grants_and_admin_may_do_everything_declared() -> None:
    assert set(table().by_role) == set(ROLES)
    assert table().by_role["admin"] == frozenset(table().descriptions)
    assert can("admin", "users.manage") and can("admin", "ticket.configure")


def test_an_undeclared_permission_is_an_error_not_a_refusal() -> None:
    with pytest.raises(UnknownPermission, match=r"anything\.at\.all"):
        can("admin", "anything.at.all")


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("staff", "users.manage", False),
        ("manager", "users.manage", False),
        ("executive", "project.approve", True),
        ("staff", "project.approve", False),
        ("auditor", "audit.verify", True),
        ("manager", "audit.verify", False),
        ("agent", "customer.reveal_pii", True),
        ("staff", "customer.reveal_pii", False),
        ("auditor", "data.import", False),
        ("staff", "act_as", False),
    ],
)
def test_role_actions(role: str, action: str, allowed: bool) -> None:
    assert can(actor(role), action) is allowed


def test_require_explains_the_refusal() -> None:
    with pytest.raises(PermissionDenied, match=r"liu\.fang \(staff\) may not manage users"):
        require(actor("staff", "liu.fang"), "users.manage")
    require(actor("admin"), "users.manage")


def test_alerts_reach_the_people_and_departments_concerned(ctx) -> None:
    @alerts.source("test-area")
    def _source(_session, now: datetime):
        yield alerts.Alert("warning", "test", "T-1", "mine", users=("mei",))
        yield alerts.Alert("critical", "test", "T-2", "my department", departments=(7,))
        yield alerts.Alert("warning", "test", "T-3", "someone else's", users=("bob",))

    try:
        everyone = alerts.current(ctx.store)
        mei = alerts.current(ctx.store, actor("agent", "mei", department_id=7))
        boss = alerts.current(ctx.store, actor("executive", "boss"))
    finally:
        alerts._SOURCES.pop("test-area")
    assert [a.code for a in everyone] == ["T-2", "T-1", "T-3"]  # critical first
    assert [a.code for a in mei] == ["T-2", "T-1"]
    assert len(boss) == 3


def test_every_table_compiles_for_postgresql() -> None:
    load_models()
    dialect = postgresql.dialect()
    assert "tickets" in metadata.tables and "risks" in metadata.tables
    for each in metadata.sorted_tables:
        ddl = str(CreateTable(each).compile(dialect=dialect))
        assert "CREATE TABLE" in ddl
