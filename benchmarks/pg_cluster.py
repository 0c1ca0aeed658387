"""A PostgreSQL server for the benchmarks: the one ``SPECIALOPS_BENCH_PG`` names, or a throwaway.

``SPECIALOPS_BENCH_PG`` is the URL of a database on a server whose login may
create databases; each benchmark database is created beside it and dropped
after. Without it, a private cluster is started from the server binaries
(``initdb``/``pg_ctl`` on ``PATH`` or under ``/usr/lib/postgresql/*/bin``),
listening only on a Unix socket in a temporary folder, as the ``postgres``
login when run as root; it is stopped and removed at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

ENV = "SPECIALOPS_BENCH_PG"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return path
    return None


@dataclass
class Server:
    """Where benchmark databases are made: a URL template and how to create and drop them."""

    admin_url: str  # a database to connect to for CREATE/DROP DATABASE
    made: list[str] = field(default_factory=list)

    def _url(self, database: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=database).render_as_string(False)

    def _run(self, statement: str) -> None:
        import psycopg

        url = self.admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"specialops_bench_{uuid.uuid4().hex[:10]}"
        self._run(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def drop_all(self) -> None:
        for name in list(self.made):
            self.drop(self._url(name))


def _start() -> tuple[Path, int, str, list[str]]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError(
            f"no PostgreSQL server binaries (initdb, pg_ctl): install them or set {ENV}"
        )
    as_root = os.geteuid() == 0
    login = "postgres" if as_root else pwd.getpwuid(os.geteuid()).pw_name
    folder = Path(tempfile.mkdtemp(prefix="specialops-bench-pg-"))
    prefix = ["runuser", "-u", login, "--"] if as_root else []
    if as_root:
        owner = pwd.getpwnam(login)
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    port = 40000 + uuid.uuid4().int % 20000  # names the socket only: no TCP port is opened
    data = folder / "data"
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "--auth=trust", "-U", login, "-E", "UTF8",
         "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    # Durable as a real server is (fsync on): writer figures must include the commit's flush.
    options = f"-k {folder} -p {port} -c listen_addresses='' -c max_connections=50"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
         "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder, port, login, [*prefix, pg_ctl, "-D", str(data), "-m", "fast", "stop"]


@contextmanager
def server() -> Iterator[Server]:
    """The benchmarks' server (see the module); every database made in it is dropped after."""
    given = os.environ.get(ENV)
    if given:
        found = Server(given)
        try:
            yield found
        finally:
            found.drop_all()
        return
    folder, port, login, stop = _start()
    try:
        yield Server(f"postgresql://{login}@/postgres?host={folder}&port={port}")
    finally:
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
