"""A throwaway PostgreSQL server for the tests, started from the server binaries here.

The cluster lives in a private folder and listens only on a Unix socket there; it is
started once per test process and stopped at its end. As root, the binaries (which
refuse to run as root) run as the ``postgres`` login. Each test gets a database of
its own (:func:`new_database`).

Without the binaries the PostgreSQL tests are skipped, saying so; with
``SPECIALOPS_REQUIRE_POSTGRESQL=1`` (as ``.ci/run`` sets it) they fail instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REQUIRED = os.environ.get("SPECIALOPS_REQUIRE_POSTGRESQL") == "1"


@dataclass
class Cluster:
    folder: Path
    port: int
    superuser: str

    def url(self, database: str, user: str | None = None) -> str:
        """The URL specialops is given for ``database`` on this server."""
        return (
            f"postgresql://{user or self.superuser}@/{database}?host={self.folder}&port={self.port}"
        )

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the server's superuser."""
        import psycopg

        with psycopg.connect(
            host=str(self.folder),
            port=self.port,
            user=self.superuser,
            dbname=database,
            autocommit=True,
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return None


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"PostgreSQL tests must run here: {reason}")
    pytest.skip(f"no PostgreSQL server to test on: {reason}")


def start() -> Cluster:
    """Start a private cluster (or skip / fail as the module says)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable("the server binaries (initdb, pg_ctl) are not installed")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed")
    as_root = os.geteuid() == 0
    runner = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    if as_root:
        try:
            owner = pwd.getpwnam(runner)
        except KeyError:
            _unavailable("there is no postgres login to run the server as")
    folder = Path(tempfile.mkdtemp(prefix="specialops-pg-"))
    if as_root:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    prefix = ["runuser", "-u", runner, "--"] if as_root else []
    port = 40000 + uuid.uuid4().int % 20000  # a socket name only: no TCP port is opened
    data = folder / "data"
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "--auth=trust", "-U", runner, "-E", "UTF8",
         "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    _peer_database(data, folder, runner)
    options = f"-k {folder} -p {port} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    return Cluster(folder, port, runner)


# The one database of the cluster that OS logins reach by peer authentication, as the
# README sets a server up; every other one trusts whoever connects (the tests' logins).
PEER_DATABASE = "peerdb"


def _peer_database(data: Path, folder: Path, superuser: str) -> None:
    hba = data / "pg_hba.conf"
    rules = f"local {PEER_DATABASE} {superuser} trust\nlocal {PEER_DATABASE} all peer\n"
    hba.write_text(rules + hba.read_text())
    folder.chmod(0o711)  # other logins reach the socket, not the cluster's files


def stop(cluster: Cluster) -> None:
    pg_ctl = _binary("pg_ctl")
    prefix = ["runuser", "-u", cluster.superuser, "--"] if os.geteuid() == 0 else []
    subprocess.run(
        [*prefix, str(pg_ctl), "-D", str(cluster.folder / "data"), "-m", "immediate", "stop"],
        capture_output=True,
    )
    shutil.rmtree(cluster.folder, ignore_errors=True)


def new_database(cluster: Cluster, template: str | None = None) -> str:
    """A new database on ``cluster``, empty or a copy of ``template`` (with the template's
    database privileges, which a copy does not take); its name."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    cluster.sql(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    if template:
        _copy_privileges(cluster, template, name)
    return name


def _copy_privileges(cluster: Cluster, template: str, name: str) -> None:
    import psycopg

    with psycopg.connect(
        host=str(cluster.folder), port=cluster.port, user=cluster.superuser, dbname="postgres"
    ) as conn:
        acl = conn.execute(
            "SELECT datacl IS NULL, coalesce(array_agg((CASE WHEN a.grantee = 0 THEN "
            "'PUBLIC' ELSE quote_ident(r.rolname) END, a.privilege_type)) FILTER (WHERE "
            "a.grantee IS NOT NULL), '{}') FROM pg_database d LEFT JOIN LATERAL "
            "aclexplode(d.datacl) a ON true LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE d.datname = %s GROUP BY d.datacl",
            (template,),
        ).fetchone()
    assert acl is not None
    if acl[0]:  # the default privileges: as a new database has them
        return
    cluster.sql(f"REVOKE ALL ON DATABASE {name} FROM PUBLIC")
    for grantee, privilege in acl[1]:
        cluster.sql(f"GRANT {privilege} ON DATABASE {name} TO {grantee}")
