"""Backups and restores of a PostgreSQL database (pg_dump's custom format), on a real server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests import pg_server
from tests.conftest import ADMIN, one_line_error, run_cli


def _ok(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    done = run_cli("--db", url, *args)
    assert done.returncode == 0, done.stderr
    return done


def _users(url: str) -> list[str]:
    listed = _ok("users", "list", "--json", url=url)
    return sorted(u["username"] for u in json.loads(listed.stdout))


def _fingerprint(cluster: pg_server.Cluster, database: str) -> tuple[object, ...]:
    """What the database holds: its users, its audit log and its schema version."""
    with psycopg.connect(
        host=str(cluster.folder), port=cluster.port, user=cluster.superuser, dbname=database
    ) as conn:
        users = conn.execute("SELECT username, role FROM users ORDER BY 1").fetchall()
        log = conn.execute("SELECT id, action, hash FROM audit_log ORDER BY id").fetchall()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return users, log, version


def _name(url: str) -> str:
    """The database a cluster URL names."""
    return url.split("@/", 1)[1].split("?", 1)[0]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture
def team(pg_url: str) -> str:
    """A server database with its admin and one more user."""
    _ok("init", url=pg_url)
    _ok("users", "add", "li.wei", "--name", "Li Wei", "--role", "staff", url=pg_url)
    return pg_url


def test_backup_change_restore_brings_the_old_state_back(
    pg_cluster, team: str, tmp_path: Path
) -> None:
    saved = tmp_path / "team.dump"
    written = json.loads(_ok("backup", str(saved), "--json", url=team).stdout)
    assert written == {"backup": str(saved), "bytes": saved.stat().st_size}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    _ok("users", "add", "wang.fang", "--name", "Wang Fang", "--role", "staff", url=team)
    assert _users(team) == [ADMIN, "li.wei", "wang.fang"]

    restored = json.loads(_ok("restore", str(saved), "--json", url=team).stdout)

    assert _users(team) == [ADMIN, "li.wei"]
    previous = Path(restored["previous"])
    assert previous.parent == tmp_path and stat.S_IMODE(previous.stat().st_mode) == 0o600
    checked = json.loads(_ok("db", "check", "--json", url=team).stdout)
    assert checked["ok"] is True, checked["problems"]
    assert checked["schema"] == checked["schema_newest"] == restored["schema"]
    assert checked["changes_outside_specialops"] == []  # loading is not someone's psql session
    with psycopg.connect(
        host=str(pg_cluster.folder), port=pg_cluster.port, user=pg_cluster.superuser,
        dbname=_name(team),
    ) as conn:  # fmt: skip
        last = conn.execute("SELECT action, comment FROM audit_log ORDER BY id DESC LIMIT 1")
        assert last.fetchone() == ("restore", "restored from team.dump")
    # The copy from before is itself a backup: restoring it brings wang.fang back.
    _ok("restore", str(previous), url=team)
    assert _users(team) == [ADMIN, "li.wei", "wang.fang"]
    assert _leftovers(tmp_path) == []


def test_a_backup_restores_into_a_new_empty_database(pg_cluster, team: str, tmp_path) -> None:
    saved = tmp_path / "team.dump"
    _ok("backup", str(saved), url=team)
    fresh = pg_cluster.url(pg_server.new_database(pg_cluster))
    _ok("restore", str(saved), url=fresh)
    assert _users(fresh) == [ADMIN, "li.wei"]
    assert json.loads(_ok("audit", "verify", "--json", url=fresh).stdout)["ok"] is True


def test_a_backup_is_private_whatever_the_umask_and_replaces_the_old_one_whole(
    team: str, tmp_path: Path
) -> None:
    saved = tmp_path / "team.dump"
    saved.write_bytes(b"an older backup")
    saved.chmod(0o644)
    old = os.umask(0o022)
    try:
        _ok("backup", str(saved), url=team)
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert saved.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert _leftovers(tmp_path) == []


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """Mount small tmpfs file systems under ``tmp_path`` (root only); unmounted after."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounts: list[Path] = []

    def mount(name: str, options: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode().strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in mounts:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_backup_into_a_folder_that_cannot_be_written_is_one_line_exit_3(
    team: str, mounted
) -> None:
    read_only = mounted("read-only", "ro,size=64k")
    line = one_line_error(
        run_cli("--db", team, "backup", str(read_only / "team.dump")), 3, "cannot write"
    )
    assert "Read-only file system" in line and "nothing was written" in line
    assert list(read_only.iterdir()) == []


def test_a_disk_that_fills_during_the_dump_keeps_the_old_backup(team: str, mounted) -> None:
    small = mounted("small", "size=16k")
    # A database bigger than the file system: the dump fails part way through.
    for n in range(40):
        _ok("users", "add", f"user.{n:02d}", "--name", "x" * 60, "--role", "staff", url=team)
    (small / "team.dump").write_bytes(b"the older backup")
    line = one_line_error(
        run_cli("--db", team, "backup", str(small / "team.dump")), 3, "pg_dump failed"
    )
    assert "the existing file is unchanged" in line
    assert (small / "team.dump").read_bytes() == b"the older backup"
    assert _leftovers(small) == []


def test_a_login_the_server_refuses_a_table_is_one_line_exit_3(
    pg_cluster, team: str, tmp_path: Path
) -> None:
    database = _name(team)
    # The clerk may use specialops, but not read the risk register.
    pg_cluster.sql("CREATE ROLE clerk LOGIN")
    for grant in (
        f"GRANT CONNECT ON DATABASE {database} TO clerk",
        "GRANT USAGE ON SCHEMA public TO clerk",
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO clerk",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO clerk",
        "REVOKE SELECT ON risks FROM clerk",
    ):
        pg_cluster.sql(grant, database)
    as_clerk = pg_cluster.url(database, user="clerk")
    assert run_cli("--db", as_clerk, "users", "list").returncode == 0
    one_line_error(
        run_cli("--db", as_clerk, "backup", str(tmp_path / "team.dump")),
        3,
        "pg_dump failed: permission denied for table risks; nothing was written",
    )
    assert list(tmp_path.glob("*team.dump*")) == [] and _leftovers(tmp_path) == []


def test_a_garbage_file_restores_nothing(pg_cluster, team: str, tmp_path: Path) -> None:
    database = _name(team)
    before = _fingerprint(pg_cluster, database)
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"PGDMP" + os.urandom(4000))
    one_line_error(run_cli("--db", team, "restore", str(garbage)), 3, "is not a specialops backup")
    text = tmp_path / "notes.txt"
    text.write_text("not a backup at all\n")
    one_line_error(run_cli("--db", team, "restore", str(text)), 3, "nothing was restored")
    assert _fingerprint(pg_cluster, database) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.dump", "notes.txt"]


def test_a_sqlite_backup_is_named_as_such(team: str, tmp_path: Path) -> None:
    db = tmp_path / "ops.db"
    assert run_cli("init", db=db).returncode == 0
    assert run_cli("backup", str(tmp_path / "ops-backup.db"), db=db).returncode == 0
    one_line_error(
        run_cli("--db", team, "restore", str(tmp_path / "ops-backup.db")),
        3,
        "is a SQLite backup: restore it into a SQLite database; nothing was restored",
    )


def test_a_backup_whose_audit_log_was_altered_restores_nothing(
    pg_cluster, team: str, tmp_path: Path
) -> None:
    # A copy of the database in which someone with the server's keys rewrote an entry.
    source = _name(team)
    forged = pg_server.new_database(pg_cluster)
    pg_cluster.sql(f"DROP DATABASE {forged}")
    pg_cluster.sql(f"CREATE DATABASE {forged} TEMPLATE {source}")
    pg_cluster.sql("ALTER TABLE audit_log DISABLE TRIGGER USER", forged)
    pg_cluster.sql(
        "UPDATE audit_log SET comment = 'nothing happened' "
        "WHERE id = (SELECT min(id) FROM audit_log)",
        forged,
    )
    pg_cluster.sql("ALTER TABLE audit_log ENABLE TRIGGER USER", forged)
    saved = tmp_path / "forged.dump"
    _ok("backup", str(saved), url=pg_cluster.url(forged))
    before = _fingerprint(pg_cluster, source)
    line = one_line_error(
        run_cli("--db", team, "restore", str(saved)), 3, "the backup's audit log is broken"
    )
    assert "the database is unchanged; its copy from before is" in line
    assert _fingerprint(pg_cluster, source) == before


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_with_no_server_it_is_one_line_exit_3(
    pg_cluster, team: str, tmp_path: Path, command: str
) -> None:
    saved = tmp_path / "team.dump"
    _ok("backup", str(saved), url=team)
    empty = tmp_path / "no-server"
    empty.mkdir()
    nowhere = team.replace(f"host={pg_cluster.folder}", f"host={empty}")
    target = tmp_path / "new.dump"
    one_line_error(
        run_cli("--db", nowhere, command, str(target if command == "backup" else saved)),
        3,
        "cannot reach the PostgreSQL server",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-server", "team.dump"]


def test_a_password_never_reaches_the_command_line() -> None:
    from specialops.store import pg_client
    from specialops.store.store import Store

    store = Store("postgresql://ops:s3cr:et\\x@/team?host=/run/pg&port=5433&sslmode=disable")
    try:
        info = pg_client.conninfo(store)
        assert "s3cr" not in info
        assert {"host=/run/pg", "port=5433", "user=ops", "dbname=team", "sslmode=disable"} <= set(
            info.split()
        )
        with pg_client.environment(store) as env:
            passfile = Path(env["PGPASSFILE"])
            assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
            assert passfile.read_text() == "*:*:*:*:s3cr\\:et\\\\x\n"
            assert "PGPASSWORD" not in env
        assert not passfile.exists()
    finally:
        store.dispose()


def test_a_login_that_does_not_own_the_tables_restores_nothing(
    pg_cluster, team: str, tmp_path: Path
) -> None:
    """Owners are restored as the backup has them, so a login that could not give the
    objects back to their owner (nor drop them) changes nothing."""
    database = _name(team)
    saved = tmp_path / "team.dump"
    _ok("backup", str(saved), url=team)
    pg_cluster.sql("CREATE ROLE keeper LOGIN")
    for grant in (
        f"GRANT CONNECT ON DATABASE {database} TO keeper",
        "GRANT USAGE ON SCHEMA public TO keeper",
        "GRANT ALL ON ALL TABLES IN SCHEMA public TO keeper",
        "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO keeper",
    ):
        pg_cluster.sql(grant, database)
    before = _fingerprint(pg_cluster, database)
    line = one_line_error(
        run_cli("--db", pg_cluster.url(database, user="keeper"), "restore", str(saved)),
        3,
        "restore failed: must be owner of",
    )
    assert "the database is unchanged" in line
    assert _fingerprint(pg_cluster, database) == before
