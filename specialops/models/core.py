"""Core tables: departments, users, the audit log and its data keys, code counters, settings,
and the journal of imports being published."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from specialops import clock
from specialops.models.base import Record


class Department(Record, table=True):
    __tablename__ = "departments"
    __entity__ = "departments"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="departments.id")
    head_username: str | None = Field(default=None, max_length=64)


class UserAccount(Record, table=True):
    """A person who may use specialops; ``username`` is their OS login."""

    __tablename__ = "users"
    __entity__ = "users"
    __code_field__ = "username"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    department_id: int | None = Field(default=None, foreign_key="departments.id", index=True)
    role: str = Field(max_length=16)
    email: str | None = Field(default=None, max_length=254)
    active: bool = Field(default=True)


class AuditEntry(SQLModel, table=True):
    """One append-only, hash-chained entry of the audit log."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=clock.now, nullable=False)
    username: str = Field(max_length=64)
    real_username: str = Field(max_length=64)
    action: str = Field(max_length=32)
    entity: str = Field(max_length=64, index=True)
    record_id: int | None = Field(default=None)
    code: str | None = Field(default=None, max_length=64, index=True)
    before: str | None = None
    after: str | None = None
    comment: str | None = None
    batch: str | None = Field(default=None, max_length=64, index=True)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # Set by the PostgreSQL server (migration 0010), outside the hash: the login it knows
    # and its own clock. Empty on SQLite.
    server_login: str | None = Field(default=None, max_length=64)
    server_at: datetime | None = Field(default=None)


class CustomerKey(SQLModel, table=True):
    """The data key that seals one customer's personal data in the audit log.

    Not a :class:`Record`: a key is never written to the audit log. Erasure
    sets ``key`` to NULL and stamps ``erased_at`` (see :mod:`specialops.sealing`).
    """

    __tablename__ = "customer_keys"

    customer_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: bytes | None = Field(default=None)
    created_at: datetime = Field(default_factory=clock.now, nullable=False)
    erased_at: datetime | None = Field(default=None)


class ImportRun(SQLModel, table=True):
    """An import being published in several transactions (see :mod:`specialops.io.unfinished`).

    Present only while its chunks are written: the last chunk removes it. One left
    behind by a process that died is undone by the next one to open the database.
    """

    __tablename__ = "import_runs"

    batch: str = Field(primary_key=True, max_length=32)
    entity: str = Field(max_length=64)
    table_name: str = Field(max_length=64)
    username: str = Field(max_length=64)
    lock_file: str
    started_at: datetime = Field(default_factory=clock.now, nullable=False)
    chunks: int
    done: int = Field(default=0)


class ImportUndo(SQLModel, table=True):
    """What undoes one published chunk of an unfinished import: the range of ids it
    inserted, or the stored values of a record it updated (JSON of its columns)."""

    __tablename__ = "import_undo"

    id: int | None = Field(default=None, primary_key=True)
    batch: str = Field(max_length=32, index=True)
    chunk: int
    kind: str = Field(max_length=8)  # inserted | updated
    low: int | None = None
    high: int | None = None
    record_id: int | None = None
    old: str | None = None


class ServerChange(SQLModel, table=True):
    """A change to a table as the database server saw it, under the login that connected.

    Written by triggers on PostgreSQL only (migration 0009), for every change, whether
    specialops made it (``via_app``) or someone with ``psql`` did behind its back.
    """

    __tablename__ = "server_changes"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(nullable=False)
    login: str = Field(max_length=64)
    via_app: bool
    table_name: str = Field(max_length=64)
    record_id: int | None = None
    operation: str = Field(max_length=8)


class CodeCounter(SQLModel, table=True):
    """The last number handed out for each code prefix."""

    __tablename__ = "code_counters"

    prefix: str = Field(primary_key=True, max_length=16)
    value: int = Field(default=0)


class Setting(Record, table=True):
    """A configurable value (JSON text) such as the risk matrix; audited like any record."""

    __tablename__ = "settings"
    __entity__ = "settings"
    __code_field__ = "key"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    value: str
