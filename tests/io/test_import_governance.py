"""Imports obey the app's permissions and rules (EntitySpec.write_action and .governor).

Each test runs the real command line on a copy of one demo database, as a
demo login: a manager (wang.xiaoming, li.jianguo), staff (liu.fang), an
agent (chen.yating) or the admin (chen.admin).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli


@pytest.fixture
def db(demo_db: Path) -> Path:
    return demo_db


def rows_of(db: Path, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def exported(db: Path, entity: str, folder: Path) -> list[dict[str, str]]:
    out = folder / f"{entity}.csv"
    done = run_cli("export", entity, "-o", str(out), db=db)
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def edited(
    db: Path, entity: str, folder: Path, edits: dict[str, dict[str, str]], name: str = "edit"
) -> Path:
    """An export of ``entity`` cut to the records in ``edits``, with their cells changed,
    in the export's order."""
    rows = exported(db, entity, folder)
    key = next(iter(rows[0]))
    chosen = [{**r, **edits[r[key]]} for r in rows if r[key] in edits]
    assert len(chosen) == len(edits)
    path = folder / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return path


def line_of(path: Path, key: str) -> int:
    """The file line (header = 1) of the record ``key``."""
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith(f"{key},"))


def errors(done) -> list[tuple[int, str | None, str]]:
    return [(e["line"], e["column"], e["message"]) for e in json.loads(done.stdout)["errors"]]


def users(db: Path) -> list[dict]:
    listed = run_cli("users", "list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


# --- users ----------------------------------------------------------------------------------


def test_a_manager_cannot_make_himself_admin_nor_demote_the_admin(db, tmp_path) -> None:
    before = users(db)
    source = edited(
        db,
        "users",
        tmp_path,
        {
            "wang.xiaoming": {"role": "admin"},
            "chen.admin": {"role": "staff", "active": "false"},
        },
    )
    done = run_cli(
        "import", "users", str(source), "--upsert", "--json", db=db, user="wang.xiaoming"
    )
    assert done.returncode == 1
    refusal = "wang.xiaoming (manager) may not manage users and roles"
    assert errors(done) == sorted(
        [
            (line_of(source, "wang.xiaoming"), None, refusal),
            (line_of(source, "chen.admin"), None, refusal),
        ]
    )
    assert f"line {line_of(source, 'wang.xiaoming')}: {refusal}" in done.stderr.splitlines()
    assert users(db) == before
    assert rows_of(db, "SELECT role, active FROM users WHERE username = 'chen.admin'") == [
        ("admin", 1)
    ]


def test_an_import_never_leaves_no_active_admin(db, tmp_path) -> None:
    before = users(db)
    demoted = edited(db, "users", tmp_path, {"chen.admin": {"role": "staff"}}, "demoted")
    done = run_cli("import", "users", str(demoted), "--upsert", "--json", db=db)
    assert done.returncode == 1
    assert errors(done) == [
        (
            2,
            "role",
            "the last admin cannot lose the admin role: the import would leave no active admin",
        )
    ]
    off = edited(db, "users", tmp_path, {"chen.admin": {"active": "false"}}, "off")
    done = run_cli("import", "users", str(off), "--upsert", "--json", db=db)
    assert done.returncode == 1
    assert errors(done) == [
        (
            2,
            "active",
            "the last admin cannot be deactivated: the import would leave no active admin",
        )
    ]
    assert users(db) == before
    # The rule is over the whole file: handing the role to someone else in it is fine.
    handed = edited(
        db,
        "users",
        tmp_path,
        {"chen.admin": {"active": "false"}, "lin.zhiyuan": {"role": "admin"}},
        "handed",
    )
    done = run_cli("import", "users", str(handed), "--upsert", "--json", db=db)
    assert done.returncode == 0, done.stdout
    assert rows_of(db, "SELECT username FROM users WHERE role = 'admin' AND active") == [
        ("lin.zhiyuan",)
    ]


# --- projects -------------------------------------------------------------------------------


def test_a_manager_cannot_rewrite_another_pms_project(db, tmp_path) -> None:
    before = rows_of(db, "SELECT code, name, budget, manager_id, version FROM projects")
    source = edited(
        db,
        "projects",
        tmp_path,
        {
            "PRJ-0001": {"budget": "99990000.00", "manager": "wang.xiaoming"},
            "PRJ-0002": {"name": "我的項目"},
        },
    )
    done = run_cli(
        "import", "projects", str(source), "--upsert", "--json", db=db, user="wang.xiaoming"
    )
    assert done.returncode == 1
    found = errors(done)
    assert [(line, column) for line, column, _ in found] == [
        (2, "manager"),
        (2, "budget"),
        (3, "name"),
    ]
    manager, budget, name = (message for _, _, message in found)
    assert "may not approve, reject, hold or cancel projects" in manager
    assert "appointed" in manager
    assert "the budget of PRJ-0001 was approved" in budget
    assert "only the manager of PRJ-0002" in name
    assert rows_of(db, "SELECT code, name, budget, manager_id, version FROM projects") == before


def test_the_pm_changes_what_may_edit_allows_and_no_more(db, tmp_path) -> None:
    allowed = edited(
        db,
        "projects",
        tmp_path,
        {"PRJ-0001": {"objectives": "首次解決率 85%", "end_date": "2027-03-31"}},
        "allowed",
    )
    done = run_cli(
        "import", "projects", str(allowed), "--upsert", "--json", db=db, user="li.jianguo"
    )
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["updated"] == 1
    assert rows_of(db, "SELECT objectives, end_date, budget FROM projects WHERE code = ?",
                   "PRJ-0001") == [("首次解決率 85%", "2027-03-31", 180_000_000)]  # fmt: skip
    refused = edited(
        db,
        "projects",
        tmp_path,
        {
            "PRJ-0001": {"budget": "1900000.00"},
            "PRJ-0008": {"manager": "wang.xiaoming"},
            "PRJ-0012": {"name": "重開"},
        },
        "refused",
    )
    done = run_cli(
        "import", "projects", str(refused), "--upsert", "--json", db=db, user="li.jianguo"
    )
    assert done.returncode == 1
    found = {column: message for _, column, message in errors(done)}
    assert set(found) == {"budget", "manager", "name"}
    assert "PRJ-0012 is" in found["name"]  # closed: nobody edits it
    # What the PM may not do, the right that approves projects may: the admin's import.
    again = edited(
        db,
        "projects",
        tmp_path,
        {"PRJ-0001": {"budget": "1900000.00"}, "PRJ-0008": {"manager": "wang.xiaoming"}},
        "admin",
    )
    done = run_cli("import", "projects", str(again), "--upsert", "--json", db=db)
    assert done.returncode == 0, done.stdout
    managed = rows_of(
        db,
        "SELECT p.code, p.budget, u.username FROM projects p JOIN users u "
        "ON u.id = p.manager_id WHERE p.code IN ('PRJ-0001', 'PRJ-0008') ORDER BY p.code",
    )
    assert managed == [
        ("PRJ-0001", 190_000_000, "li.jianguo"),
        ("PRJ-0008", 90_000_000, "wang.xiaoming"),
    ]


def test_skip_writes_the_allowed_rows_and_rejects_the_refused(db, tmp_path) -> None:
    source = edited(
        db,
        "projects",
        tmp_path,
        {"PRJ-0001": {"budget": "99990000.00"}, "PRJ-0006": {"objectives": "如期驗收"}},
    )
    with source.open("a", encoding="utf-8") as handle:
        handle.write(",新提案,PMO,strategy,,提升效率,,100000.00,,,,\n")
    rejects = tmp_path / "rejects.csv"
    done = run_cli(
        "import", "projects", str(source), "--upsert", "--on-error", "skip",
        "--rejects", str(rejects), "--json", db=db, user="wang.xiaoming",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["updated"], summary["rejected"]) == (1, 1, 1)
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        (rejected,) = list(csv.DictReader(handle))
    assert rejected["code"] == "PRJ-0001" and "budget" in rejected["error"]
    assert rows_of(db, "SELECT budget FROM projects WHERE code = 'PRJ-0001'") == [(180_000_000,)]
    assert rows_of(db, "SELECT objectives FROM projects WHERE code = 'PRJ-0006'") == [("如期驗收",)]
    assert rows_of(db, "SELECT stage FROM projects WHERE name = '新提案'") == [("proposed",)]


def test_tasks_follow_the_plan_rules(db, tmp_path) -> None:
    before = rows_of(db, "SELECT code, due_date, percent_complete, version FROM tasks")
    tasks = exported(db, "tasks", tmp_path)
    executing = next(t for t in tasks if t["project"] == "PRJ-0001")
    planning = next(t for t in tasks if t["project"] == "PRJ-0008")
    source = edited(
        db,
        "tasks",
        tmp_path,
        {
            executing["code"]: {"due_date": "2027-06-30"},  # the PM's plan, but confirmed
            planning["code"]: {"due_date": "2027-01-15"},  # the PM's plan, being planned
        },
    )
    done = run_cli("import", "tasks", str(source), "--upsert", "--json", db=db, user="li.jianguo")
    assert done.returncode == 1
    ((_, column, message),) = errors(done)
    assert column == "due_date" and "needs a reason and an approver" in message
    other = run_cli(
        "import", "tasks", str(source), "--upsert", "--json", db=db, user="wang.xiaoming"
    )
    assert {m for _, _, m in errors(other)} == {
        "only the manager of PRJ-0001 may change the plan",
        "only the manager of PRJ-0008 may change the plan",
    }
    assert rows_of(db, "SELECT code, due_date, percent_complete, version FROM tasks") == before


# --- customers and tickets ------------------------------------------------------------------

CUSTOMERS = "code,name,type,phone,email,address,tier,notes\n,新客戶,,,,,,\n"


def test_staff_without_customer_write_cannot_import_customers(db, tmp_path) -> None:
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMERS, "utf-8")
    count = rows_of(db, "SELECT count(*) FROM customers")
    done = run_cli("import", "customers", str(source), db=db, user="liu.fang")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "liu.fang (staff) may not" in done.stderr
    assert rows_of(db, "SELECT count(*) FROM customers") == count
    written = run_cli("import", "customers", str(source), db=db, user="li.jianguo")
    assert written.returncode == 0, written.stderr


def test_ticket_assignees_change_only_as_the_desk_assigns(db, tmp_path) -> None:
    before = rows_of(db, "SELECT code, assignee_id, status, version FROM tickets")
    tickets = exported(db, "tickets", tmp_path)
    new = next(t["code"] for t in tickets if t["status"] == "new")
    closed = next(t["code"] for t in tickets if t["status"] == "closed")
    source = edited(
        db,
        "tickets",
        tmp_path,
        {
            new: {"assignee": "zhou.jie"},
            "TKT-000002": {"assignee": "liu.fang"},
            closed: {"assignee": "zhou.jie"},
        },
    )
    agent = run_cli("import", "tickets", str(source), "--upsert", db=db, user="chen.yating")
    assert agent.returncode == 1 and "chen.yating (agent) may not" in agent.stderr
    manager = run_cli(
        "import", "tickets", str(source), "--upsert", "--json", db=db, user="li.jianguo"
    )
    assert manager.returncode == 1
    found = {line: message for line, _, message in errors(manager)}
    assert "assign step" in found[line_of(source, new)]
    assert found[line_of(source, "TKT-000002")] == "liu.fang (staff) does not work tickets"
    assert "reopen it first" in found[line_of(source, closed)]
    assert rows_of(db, "SELECT code, assignee_id, status, version FROM tickets") == before
    handed = edited(db, "tickets", tmp_path, {"TKT-000002": {"assignee": "zhou.jie"}}, "handed")
    done = run_cli("import", "tickets", str(handed), "--upsert", db=db, user="li.jianguo")
    assert done.returncode == 0, done.stderr
    assert rows_of(
        db, "SELECT u.username FROM tickets t JOIN users u ON u.id = t.assignee_id "
        "WHERE t.code = 'TKT-000002'"
    ) == [("zhou.jie",)]  # fmt: skip


def _governed(db: Path, entity: str, login: str, row: Callable[[dict], Any]) -> list:
    """The refusals the entity's governor gives ``login`` for one row (over the real data)."""
    from specialops import entities
    from specialops.areas.people.actions import resolve_actor
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        actor = resolve_actor(store, login)
        spec = entities.get(entity)
        assert spec.governor is not None
        with store.read() as session:
            ids = dict(session.connection().exec_driver_sql("SELECT username, id FROM users").all())
            return list(spec.governor(session, actor, iter([row(ids)])))
    finally:
        store.dispose()


def test_the_ticket_rules_refuse_a_reassignment_without_ticket_assign(db) -> None:
    # No role holds data.import without ticket.assign, so an agent never gets this far on
    # the command line (test above); the tickets' rules refuse the agent all the same.
    from specialops.entities import RowChange

    (ticket_id,) = rows_of(db, "SELECT id FROM tickets WHERE code = 'TKT-000002'")[0]

    def reassign(ids: dict) -> RowChange:
        old = {"code": "TKT-000002", "status": "assigned", "assignee_id": ids["david.wu"]}
        new = {**old, "assignee_id": ids["zhou.jie"]}
        return RowChange(2, ticket_id, old, new, frozenset({"assignee_id"}))

    (refusal,) = _governed(db, "tickets", "chen.yating", reassign)
    assert (refusal.field, refusal.reason) == (
        "assignee",
        "chen.yating (agent) may not assign tickets",
    )
    assert _governed(db, "tickets", "li.jianguo", reassign) == []
