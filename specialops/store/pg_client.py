"""PostgreSQL's client programs (``pg_dump``, ``pg_restore``), found and connected as the store is.

The programs are looked for on ``PATH`` and under ``/usr/lib/postgresql/*/bin``;
the newest is used, and one older than the server is refused (it cannot read
what a newer server holds). They connect with the database URL's host or
socket folder, port, login and database passed as a libpq connection string;
a password in the URL goes to a private pass file named in ``PGPASSFILE``,
never onto a command line that ``ps`` shows to everyone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from glob import glob
from pathlib import Path

from sqlalchemy.engine import make_url

from specialops import private_files
from specialops.errors import DatabaseUnavailable
from specialops.store.store import Store, translate

SEARCHED = "/usr/lib/postgresql/*/bin"
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Program:
    path: str
    major: int
    minor: int


def _version(path: str) -> tuple[int, int] | None:
    try:
        said = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    found = _VERSION.search(said)
    if found is None:
        return None
    return int(found[1]), int(found[2] or 0)


def find(name: str) -> Program:
    """The newest ``name`` (``pg_dump``, ``pg_restore``) on ``PATH`` or in the server's folders."""
    candidates = [shutil.which(name), *sorted(glob(f"{SEARCHED}/{name}"))]
    best: Program | None = None
    for path in dict.fromkeys(c for c in candidates if c):
        version = _version(path)
        if version is not None and (best is None or version > (best.major, best.minor)):
            best = Program(path, *version)
    if best is None:
        raise DatabaseUnavailable(
            f"{name} is not installed: install PostgreSQL's client programs "
            "(e.g. apt install postgresql-client)"
        )
    return best


def server_major(store: Store) -> int:
    """The server's major version (15 for 15.4)."""
    from sqlalchemy import exc

    try:
        with store.engine.connect() as conn:
            number = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one())
    except exc.DBAPIError as error:
        raise translate(error, store.label) from error
    return number // 10000


def find_for(store: Store, name: str) -> Program:
    """``name`` as :func:`find` finds it, refused when older than the server of ``store``."""
    program = find(name)
    server = server_major(store)
    if program.major < server:
        raise DatabaseUnavailable(
            f"{name} {program.major}.{program.minor} ({program.path}) is older than the "
            f"PostgreSQL {server} server; install the version {server} client programs"
        )
    return program


def conninfo(store: Store) -> str:
    """The libpq connection string of the store's URL, without its password."""
    from psycopg.conninfo import make_conninfo

    url = make_url(store.url)
    params: dict[str, str] = {
        key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
    }
    params.pop("password", None)
    for key, value in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("dbname", url.database),
    ):
        if value:
            params[key] = str(value)
    return make_conninfo(**params)


def database_name(store: Store) -> str:
    url = make_url(store.url)
    return url.database or str(url.query.get("dbname") or "postgres")


def _passfile_line(password: str) -> str:
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:*:{escaped}\n"


@contextmanager
def environment(store: Store) -> Iterator[dict[str, str]]:
    """The environment the client programs run in: never prompting, the password in a pass file."""
    url = make_url(store.url)
    password = url.password or url.query.get("password")
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "30")}
    env.pop("PGPASSWORD", None)  # the URL says which password, or none
    if not password:
        yield env
        return
    if not isinstance(password, str):
        password = password[-1]
    with private_files.scratch(Path(tempfile.gettempdir()), "pgpass") as passfile:
        passfile.write_text(_passfile_line(password), encoding="utf-8")
        yield {**env, "PGPASSFILE": str(passfile)}


def first_error(stderr: str, program: str) -> str:
    """The line of a client program's complaint that says what went wrong."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "error:" in line:
            line = line.split("error:", 1)[1].strip()
            return line.removeprefix("query failed:").strip().removeprefix("ERROR:").strip()
    return lines[0].removeprefix(f"{program}:").strip() if lines else "no reason given"


def failure(stderr: str, program: str, store: Store, outcome: str) -> DatabaseUnavailable:
    """The one-line error for a client program that failed, ending with ``outcome``."""
    reason = first_error(stderr, program)
    if "connection to server" in reason or "does not exist" in reason:
        text = str(translate(RuntimeError(reason), store.label))  # said as the app says it
    else:
        text = f"{program} failed: {reason}"  # e.g. which table the login may not read
    return DatabaseUnavailable(f"{text}; {outcome}")
