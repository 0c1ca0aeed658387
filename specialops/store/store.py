"""The store: short read and write sessions over one engine.

Never hold a session across a person's think time: load in a read
session, let them edit, then save in a short write session that checks
the version they loaded (:func:`specialops.store.records.update_record`).
"""

from __future__ import annotations

import os
import pwd
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, exc
from sqlalchemy.engine import URL
from sqlalchemy.orm.exc import StaleDataError

from specialops.config import sqlite_path
from specialops.errors import (
    DatabaseUnavailable,
    SpecialopsError,
    StaleRecordError,
    ValidationError,
)
from specialops.identity import Actor
from specialops.store.engine import make_engine, writer
from specialops.store.session import StoreSession

NEW_FILE_MODE = 0o660
# The login that created the database, written before anything else of it:
# only that login (or root) may finish a set-up that stopped before its admin.
CREATOR_SETTING = "database.creator"


def engine_url(path: Path) -> str:
    """The SQLAlchemy URL of a database file, escaped so that it names exactly that file.

    A ``?``, ``#`` or ``%`` in a file name would otherwise become a query or be decoded.
    """
    return URL.create("sqlite", database=os.path.abspath(path)).render_as_string()


def readonly_uri(path: Path) -> str:
    """A SQLite ``file:`` URI that opens exactly ``path``, read-only."""
    return f"file:{quote(os.path.abspath(path))}?mode=ro"


def from_the_database(error: BaseException) -> bool:
    """Whether ``error`` is the database driver's (through SQLAlchemy or raw sqlite3)."""
    return isinstance(error, exc.DBAPIError) or type(error).__module__ == "sqlite3"


def translate(error: Exception, where: str = "the database") -> SpecialopsError:
    """Turn a driver error into a message a person can act on."""
    text = str(getattr(error, "orig", error)).lower()
    server = _server_problem(text, where)
    if server is not None:
        return server
    if "locked" in text or "busy" in text:
        return DatabaseUnavailable(
            f"{where} is busy (another program holds it for too long); try again in a moment"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseUnavailable(
            f"{where} cannot be written: your login needs write access to the file, "
            "its -wal and -shm files and their folder"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseUnavailable(f"{where} is damaged or is not a specialops database")
    if "unable to open" in text:
        return DatabaseUnavailable(f"{where} cannot be opened: check the path and its permissions")
    if "no such table" in text:
        return DatabaseUnavailable(f"{where} is not a specialops database (run: specialops init)")
    if isinstance(error, exc.IntegrityError):
        return ValidationError(f"the change breaks a rule of the database: {error.orig}")
    return DatabaseUnavailable(f"{where} failed: {getattr(error, 'orig', error)}")


_PG_NAMED = re.compile(r'(database|role) "([^"]*)" does not exist')


def _server_problem(text: str, where: str) -> DatabaseUnavailable | None:
    """A PostgreSQL server's refusal, said as what to do about it."""
    if "permission denied for" in text:
        return DatabaseUnavailable(
            f"the PostgreSQL server does not let this login use {where}: its administrator "
            "grants it with 'specialops db grant LOGIN' (README: PostgreSQL)"
        )
    if "connection to server" not in text and "does not exist" not in text:
        return None
    named = _PG_NAMED.search(text)
    if named and named.group(1) == "database":
        name = named.group(2)
        return DatabaseUnavailable(
            f'the PostgreSQL server has no database "{name}": create it (createdb {name}), '
            "then run: specialops init"
        )
    if named:
        return DatabaseUnavailable(
            f'the PostgreSQL server has no role "{named.group(2)}": its administrator '
            f"creates one with 'specialops db grant {named.group(2)}' (README: PostgreSQL)"
        )
    if "password authentication failed" in text or "peer authentication failed" in text:
        return DatabaseUnavailable(f"the PostgreSQL server refused this login at {where}")
    if "connection to server" in text:
        return DatabaseUnavailable(
            f"cannot reach the PostgreSQL server of {where}: is it running, and is the "
            "host, port or socket folder right?"
        )
    return None


class Store:
    """Access to one specialops database."""

    def __init__(self, url: str, path: Path | None = None) -> None:
        self.url = url
        self.path = path
        self.engine: Engine = make_engine(engine_url(path) if path is not None else url)
        self.write_engine: Engine = writer(self.engine)
        self.warnings: list[str] = []

    @property
    def label(self) -> str:
        if self.path:
            return self.path.name
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[StoreSession]:
        """A short read-only session."""
        try:
            with StoreSession(self.engine, expire_on_commit=False) as session:
                yield session
        except exc.DBAPIError as error:
            raise translate(error) from error

    @contextmanager
    def write(
        self, actor: Actor, *, comment: str | None = None, batch: str | None = None
    ) -> Iterator[StoreSession]:
        """A writing session: one transaction that holds the write lock from its start."""
        try:
            with StoreSession(self.write_engine, expire_on_commit=False) as session:
                session.info.update(actor=actor, comment=comment, batch=batch)
                session.connection()  # BEGIN IMMEDIATE now: queue behind other writers
                yield session
                session.commit()
        except StaleDataError as error:
            raise StaleRecordError("record", "?", None, None) from error
        except exc.DBAPIError as error:
            raise translate(error) from error

    @contextmanager
    def connect_write(self) -> Iterator[Connection]:
        """A Core connection in a writing transaction, for bulk work."""
        try:
            with self.write_engine.begin() as conn:
                yield conn
        except exc.DBAPIError as error:
            raise translate(error) from error

    def checkpoint(self) -> None:
        """Copy the write-ahead log back into the database file, waiting for no one.

        After a bulk write, so that the next person to save in the app does not
        pay for it.
        """
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except exc.DBAPIError as error:
            raise translate(error) from error

    def dispose(self) -> None:
        self.engine.dispose()


def _check_file(path: Path, create: bool) -> tuple[list[str], bool]:
    """Check the database file and folder before SQLite meets them; whether it was created."""
    warnings: list[str] = []
    try:
        exists = path.exists()
    except PermissionError as error:
        raise DatabaseUnavailable(
            f"permission denied: your login cannot reach {path} (check the folders above it)"
        ) from error
    if not exists:
        if not create:
            raise DatabaseUnavailable(f"no database at {path}; create one with: specialops init")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, NEW_FILE_MODE)
            os.close(fd)
            os.chmod(path, NEW_FILE_MODE)
        except FileExistsError:
            return warnings, False
        except OSError as error:
            raise DatabaseUnavailable(f"cannot create {path}: {error.strerror}") from error
        return warnings, True
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a folder, not a database file")
    if not os.access(path, os.R_OK):
        raise DatabaseUnavailable(f"permission denied: your login cannot read {path}")
    if not os.access(path, os.W_OK):
        raise DatabaseUnavailable(
            f"permission denied: your login cannot write {path}; "
            "ask its owner to give your group write access (chmod g+w)"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseUnavailable(
            f"permission denied: the folder {path.parent} must be writable by your login "
            "(SQLite keeps its -wal and -shm files there)"
        )
    if path.stat().st_mode & stat.S_IROTH:
        warnings.append(
            f"{path} is readable by every user of this machine; "
            f"restrict it with: chmod o-rwx {path}"
        )
    return warnings, False


def _record_creator(store: Store) -> None:
    """Write who is creating the database, before any user or data is written.

    A plain row, not an audit entry: the log starts with the admin's creation.
    """
    import json

    from sqlalchemy import insert, select

    from specialops import clock
    from specialops.identity import os_login
    from specialops.models.core import Setting

    table = Setting.__table__  # type: ignore[attr-defined]
    now = clock.now()
    with store.connect_write() as conn:
        if conn.execute(select(table.c.id).where(table.c.key == CREATOR_SETTING)).first():
            return
        conn.execute(
            insert(table).values(
                key=CREATOR_SETTING,
                value=json.dumps(os_login()),
                version=1,
                created_at=now,
                updated_at=now,
                updated_by="system",
            )
        )


def database_creator(store: Store) -> str | None:
    """The login that created the database.

    As recorded when it was created; else (a set-up stopped before the
    record, or an older database) the owner of the database file.
    """
    from specialops import settings

    with store.read() as session:
        recorded = settings.get(session, settings.Key(CREATOR_SETTING, lambda: None))
    if recorded:
        return str(recorded)
    if store.path is None:
        return None
    try:
        uid = os.stat(store.path).st_uid
    except OSError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def open_store(url: str, *, create: bool = False, migrate: bool = True) -> Store:
    """Open (and when asked, create) the database at ``url``, upgrading its schema.

    A ``sqlite:///`` location names its file literally. The creator of a new
    database is recorded right after its schema; until then the new file's
    owner stands for it (:func:`database_creator`).
    """
    path = sqlite_path(url)
    warnings, created = _check_file(path, create) if path else ([], False)
    store = Store(url, path)
    store.warnings = warnings
    if migrate:
        from specialops.store.migrate import upgrade

        try:
            upgrade(store)
        except exc.DBAPIError as error:
            store.dispose()
            raise translate(error, str(path or store.label)) from error
        except SpecialopsError:
            store.dispose()
            raise
        if created:
            try:
                _record_creator(store)
            except BaseException:
                store.dispose()
                raise
    return store
