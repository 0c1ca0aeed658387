"""The trust model on PostgreSQL: the server chains the audit log, keeps it from every
login, records who changed what, and knows each OS login by peer authentication."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Iterator

import pytest

from specialops.audit import entry_hash, verify
from tests.conftest import run_cli
from tests.os_users import needs_root, os_login, run_as
from tests.pg_server import PEER_DATABASE, Cluster, _binary


def _database(url: str) -> str:
    return url.split("/")[3].split("?")[0]


def _connect(cluster: Cluster, database: str, user: str | None = None):
    import psycopg

    return psycopg.connect(
        host=str(cluster.folder),
        port=cluster.port,
        user=user or cluster.superuser,
        dbname=database,
        autocommit=True,
    )


@pytest.fixture
def secured(pg_cluster, pg_url: str) -> Iterator[str]:
    """A database made by ``init`` as the server's superuser (so secured), with a login."""
    assert run_cli("--db", pg_url, "init").returncode == 0
    yield pg_url


def _login() -> str:
    return f"l{uuid.uuid4().hex[:10]}"


def _granted(url: str, *options: str) -> str:
    login = _login()
    granted = run_cli("--db", url, "db", "grant", login, *options)
    assert granted.returncode == 0, granted.stderr
    return login


TRICKY = [
    'say "hi" \\ back',
    "line one\nline two\tand a tab",
    "客戶投訴：退貨 ✓ 😀",
    "</script>&amp;",
    "",
]


def test_entries_written_behind_the_programs_back_are_chained_by_the_server(
    pg_cluster, secured: str
) -> None:
    login = _granted(secured)
    with _connect(pg_cluster, _database(secured), login) as conn:
        for text in TRICKY:
            conn.execute(
                "INSERT INTO audit_log (at, username, real_username, action, entity, record_id, "
                "code, before, after, comment, prev_hash, hash) VALUES "
                "(now(), 'emily.chen', 'emily.chen', 'approve', 'risks', 7, 'RSK-0007', "
                "%s, NULL, %s, 'forged', 'forged')",
                (json.dumps({"text": text}, ensure_ascii=False), text),
            )
        rows = conn.execute(
            "SELECT at, username, real_username, action, entity, record_id, code, before, "
            "after, comment, batch, prev_hash, hash, server_login FROM audit_log ORDER BY id"
        ).fetchall()
    names = ("at", "username", "real_username", "action", "entity", "record_id", "code",
             "before", "after", "comment", "batch")  # fmt: skip
    prev = rows[0][11]
    for row in rows:
        fields = dict(zip(names, row, strict=False))
        assert row[11] == prev
        assert row[12] == entry_hash(prev, fields)  # the server's formula is the program's
        prev = row[12]
    assert [r[13] for r in rows[-len(TRICKY) :]] == [login] * len(TRICKY)
    from specialops.context import open_context

    ctx = open_context(secured)
    try:
        with ctx.store.engine.connect() as conn:
            assert verify(conn).ok
    finally:
        ctx.close()
    report = json.loads(run_cli("--db", secured, "db", "check", "--json").stdout)
    assert any(
        f"{len(TRICKY)} audit entries name another login" in p and login in p
        for p in report["problems"]
    )


def test_writers_that_skip_the_programs_lock_still_make_one_chain(pg_cluster, secured: str) -> None:
    login = _granted(secured)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with _connect(pg_cluster, _database(secured), login) as conn:
                for i in range(25):
                    with conn.transaction():
                        conn.execute(
                            "INSERT INTO audit_log (at, username, real_username, action, "
                            "entity, comment, prev_hash, hash) VALUES "
                            "(now(), %s, %s, 'note', 'risks', %s, '', '')",
                            (login, login, f"{n}-{i}"),
                        )
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    checked = json.loads(run_cli("--db", secured, "audit", "verify", "--json").stdout)
    assert checked["ok"], checked
    with _connect(pg_cluster, _database(secured)) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'note'").fetchone() == (
            100,
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET comment = 'x' WHERE id = (SELECT min(id) FROM audit_log)",
        "UPDATE audit_log SET server_login = 'emily.chen'",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_chain ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "ALTER TABLE users DISABLE TRIGGER ALL",
        "DROP TRIGGER users_server_changes ON users",
        "DELETE FROM server_changes",
        "INSERT INTO server_changes (at, login, via_app, table_name, operation) "
        "VALUES (now(), 'x', true, 'users', 'UPDATE')",
        "SELECT set_config('specialops.via_app', 'on', false); CREATE TABLE hidden (id int)",
    ],
)
def test_a_login_cannot_touch_the_log_or_the_servers_record(
    pg_cluster, secured: str, statement: str
) -> None:
    import psycopg

    login = _granted(secured)
    with (
        _connect(pg_cluster, _database(secured), login) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)
    assert json.loads(run_cli("--db", secured, "db", "check", "--json").stdout)["ok"]


def test_a_read_only_login_reads_but_does_not_write(pg_cluster, secured: str) -> None:
    import psycopg

    login = _granted(secured, "--read-only")
    with _connect(pg_cluster, _database(secured), login) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE users SET role = 'admin'")


def test_db_check_names_what_was_opened_up(pg_cluster, secured: str) -> None:
    database = _database(secured)
    pg_cluster.sql("GRANT UPDATE ON audit_log TO specialops_users", database)
    pg_cluster.sql("GRANT SELECT ON customers TO PUBLIC", database)
    pg_cluster.sql("DROP TRIGGER audit_log_notify ON audit_log", database)
    pg_cluster.sql("ALTER TABLE risks DISABLE TRIGGER risks_server_changes", database)
    checked = run_cli("--db", secured, "db", "check", "--json")
    assert checked.returncode == 1
    problems = json.loads(checked.stdout)["problems"]
    for expected in (
        "specialops_users may UPDATE on audit_log",
        "every login of the server may use customers",
        "trigger audit_log_notify is missing",
        "trigger risks_server_changes on risks is switched off",
    ):
        assert expected in problems
    assert run_cli("--db", secured, "db", "secure").returncode == 0
    problems = json.loads(run_cli("--db", secured, "db", "check", "--json").stdout)["problems"]
    assert "specialops_users may UPDATE on audit_log" not in problems
    assert "every login of the server may use customers" not in problems


def test_a_database_made_by_its_owner_waits_for_the_superuser_to_secure_it(
    pg_cluster,
) -> None:
    owner = _login()
    database = f"o{uuid.uuid4().hex[:10]}"
    pg_cluster.sql(f"CREATE ROLE {owner} LOGIN")
    pg_cluster.sql(f"CREATE DATABASE {database} OWNER {owner}")
    url = pg_cluster.url(database, user=owner)
    assert run_cli("--db", url, "init").returncode == 0
    checked = run_cli("--db", url, "db", "check", "--json")
    assert checked.returncode == 1
    assert any("roles are not set up" in p for p in json.loads(checked.stdout)["problems"])
    refused = run_cli("--db", url, "db", "secure")
    assert refused.returncode == 1, refused.stderr
    assert "needs the PostgreSQL superuser" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert run_cli("--db", pg_cluster.url(database), "db", "secure").returncode == 0
    # Secured, the owner is one login among others: it needs a grant like them.
    shut = run_cli("--db", url, "db", "check")
    assert shut.returncode == 3
    assert "grants it with 'specialops db grant LOGIN'" in shut.stderr
    assert run_cli("--db", pg_cluster.url(database), "db", "grant", owner).returncode == 0
    # Left: this test's OS login connected under the owner's role name (trust, not peer).
    problems = json.loads(run_cli("--db", url, "db", "check", "--json").stdout)["problems"]
    assert problems == [
        f"1 audit entry names another login than the server knew (the last, entry 1, "
        f"was written by {owner})"
    ]


@pytest.mark.parametrize("login", ["", "bad name", "x;DROP TABLE users", "é" * 70])
def test_grant_refuses_what_is_not_a_login_name(secured: str, login: str) -> None:
    refused = run_cli("--db", secured, "db", "grant", login)
    assert refused.returncode == 2
    assert "is not a login name" in refused.stderr


def test_roles_are_the_servers_business(db_path) -> None:
    assert run_cli("--db", str(db_path), "init").returncode == 0
    refused = run_cli("--db", str(db_path), "db", "grant", "olivia")
    assert refused.returncode == 2
    assert "roles are a PostgreSQL server's" in refused.stderr


def _psql_as(cluster: Cluster, login: str, statement: str) -> subprocess.CompletedProcess[str]:
    psql = _binary("psql")
    return subprocess.run(
        ["runuser", "-u", login, "--", str(psql), "-X", "-h", str(cluster.folder), "-p",
         str(cluster.port), "-d", PEER_DATABASE, "-v", "ON_ERROR_STOP=1", "-c", statement],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def peer_database(pg_cluster) -> Iterator[str]:
    """The cluster's peer-authenticated database, new; its URL as an OS login gives it."""
    pg_cluster.sql(f"DROP DATABASE IF EXISTS {PEER_DATABASE} WITH (FORCE)")
    pg_cluster.sql(f"CREATE DATABASE {PEER_DATABASE}")
    yield f"postgresql:///{PEER_DATABASE}?host={pg_cluster.folder}&port={pg_cluster.port}"
    pg_cluster.sql(f"DROP DATABASE IF EXISTS {PEER_DATABASE} WITH (FORCE)")


@needs_root
def test_each_os_login_connects_as_itself_and_is_recorded_so(
    pg_cluster, peer_database: str
) -> None:
    superuser = pg_cluster.url(PEER_DATABASE)
    with os_login() as login, os_login() as stranger:
        made = run_cli("--db", superuser, "init")
        assert made.returncode == 0, made.stderr
        assert run_cli("--db", superuser, "db", "grant", login).returncode == 0
        added = run_cli(
            "--db", superuser, "users", "add", login, "--name", "王經理", "--role", "admin"
        )
        assert added.returncode == 0, added.stderr
        # The login runs specialops; the URL names no user: the server knows it by peer.
        wrote = run_as(login, "--db", peer_database, "users", "add", "wang", "--name", "王小明")
        assert wrote.returncode == 0, wrote.stderr
        with _connect(pg_cluster, PEER_DATABASE) as conn:
            entry = conn.execute(
                "SELECT real_username, server_login FROM audit_log "
                "WHERE code = 'wang' OR after LIKE '%%wang%%' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert entry == (login, login)
        # The same login with psql, behind the program's back.
        behind = _psql_as(
            pg_cluster, login, "UPDATE users SET name = '王大明' WHERE username = 'wang'"
        )
        assert behind.returncode == 0, behind.stderr
        refused = _psql_as(pg_cluster, login, "DELETE FROM audit_log")
        assert refused.returncode != 0
        assert "permission denied" in refused.stderr
        report = json.loads(run_cli("--db", superuser, "db", "check", "--json").stdout)
        assert [(c["login"], c["table"]) for c in report["changes_outside_specialops"]] == [
            (login, "users")
        ]
        assert report["audit_chain"] == "intact"
        # Pretending to be someone else does not get past the server.
        posing = _psql_as(pg_cluster, login, "SET SESSION AUTHORIZATION postgres")
        assert posing.returncode != 0
        # A login nobody granted is turned away in one line.
        turned = run_as(stranger, "--db", peer_database, "users", "list")
        assert turned.returncode == 3, turned.stderr
        assert len(turned.stderr.strip().splitlines()) == 1
