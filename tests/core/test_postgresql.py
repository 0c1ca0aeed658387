"""PostgreSQL as the team's engine, on a real server started for the tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN, one_line_error, run_cli


def test_init_on_an_empty_database_and_the_first_commands(pg_url: str) -> None:
    made = run_cli("--db", pg_url, "init")
    assert made.returncode == 0, made.stderr
    assert f"admin: {ADMIN}" in made.stderr
    verified = run_cli("--db", pg_url, "audit", "verify", "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    users = run_cli("--db", pg_url, "users", "list", "--json")
    assert users.returncode == 0, users.stderr
    assert [u["username"] for u in json.loads(users.stdout)] == [ADMIN]


def test_a_server_database_or_role_that_is_not_there_is_one_line_and_exit_3(
    pg_cluster, pg_url: str
) -> None:
    no_server = pg_url.replace(f"port={pg_cluster.port}", "port=1")
    one_line_error(run_cli("--db", no_server, "audit", "verify"), 3, "cannot reach the PostgreSQL")
    no_database = pg_cluster.url("nowhere")
    one_line_error(
        run_cli("--db", no_database, "audit", "verify"),
        3,
        'has no database "nowhere": create it (createdb nowhere)',
    )
    no_role = pg_cluster.url("postgres", user="ghost")
    one_line_error(run_cli("--db", no_role, "audit", "verify"), 3, 'has no role "ghost"')


def test_without_the_driver_the_install_is_named(pg_url: str, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "psycopg.py").write_text("raise ImportError('psycopg is not installed here')\n")
    result = subprocess.run(
        [sys.executable, "-m", "specialops", "--db", pg_url, "audit", "verify"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(shadow), "SPECIALOPS_USER": ADMIN},
        timeout=120,
    )
    one_line_error(result, 3, "pip install 'specialops[postgresql]'")


WRITER = """
import sys
from specialops import audit
from specialops.areas.people.actions import resolve_actor
from specialops.models.core import Department
from specialops.store.store import open_store

store = open_store(sys.argv[1])
actor = resolve_actor(store, sys.argv[2], None)
for n in range(int(sys.argv[3])):
    with store.connect_write() as conn:
        audit.append(conn, actor, [audit.Event("update", "departments", after={"n": n})])
store.dispose()
"""


def test_the_audit_chain_does_not_fork_under_concurrent_writers(pg_url: str) -> None:
    assert run_cli("--db", pg_url, "init").returncode == 0
    env = {"SPECIALOPS_USER": ADMIN, "PATH": "/usr/bin:/bin"}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, pg_url, ADMIN, "25"],
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
    verified = run_cli("--db", pg_url, "audit", "verify", "--json")
    report = json.loads(verified.stdout)
    assert report["ok"] is True, report
    assert report["checked"] == 1 + 4 * 25


def test_the_sample_data_loads_exports_and_verifies_on_the_server(pg_url: str, tmp_path) -> None:
    from sqlalchemy import func, select

    from specialops import alerts, audit, entities
    from specialops.context import open_context
    from specialops.demo import load_demo
    from specialops.io.export import export_entity

    ctx = open_context(pg_url, create=True)
    try:
        load_demo(ctx.store, ctx.actor)
        with ctx.store.engine.connect() as conn:
            assert audit.verify(conn).ok
        assert alerts.current(ctx.store, None)  # the sample data has overdue work
        for spec in entities.all_specs():
            summary = export_entity(ctx.store, ctx.actor, spec.name, tmp_path / f"{spec.name}.csv")
            with ctx.store.engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(spec.model)).scalar()
            assert summary.rows == stored, spec.name
    finally:
        ctx.close()
    listed = run_cli("--db", pg_url, "alerts", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)


def test_a_change_made_with_psql_is_recorded_under_its_login_and_reported(
    pg_cluster, pg_url: str
) -> None:
    import psycopg

    assert run_cli("--db", pg_url, "init").returncode == 0
    assert run_cli("--db", pg_url, "users", "add", "li.ming", "--name", "李明").returncode == 0
    clean = run_cli("--db", pg_url, "db", "check", "--json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["changes_outside_specialops"] == []
    database = pg_url.split("/")[3].split("?")[0]
    assert run_cli("--db", pg_url, "db", "grant", "mallory").returncode == 0
    with psycopg.connect(
        host=str(pg_cluster.folder), port=pg_cluster.port, user="mallory", dbname=database
    ) as conn:  # behind the program's back, as psql would
        conn.execute("UPDATE users SET role = 'admin' WHERE username = 'li.ming'")
    found = run_cli("--db", pg_url, "db", "check", "--json")
    assert found.returncode == 1
    report = json.loads(found.stdout)
    assert [
        (c["login"], c["table"], c["operation"]) for c in report["changes_outside_specialops"]
    ] == [("mallory", "users", "UPDATE")]
    assert any("the last by mallory" in p for p in report["problems"])
