"""Import of any registered entity (SPEC §9, §9.1).

An import runs in four steps on one connection, with a private scratch
database attached to it (SQLite deletes it when it is detached):

1. *stage*: read the file as a stream and convert it a block of rows at a
   time, column by column, with the field's compiled converter (a few checks
   in C prove a block needs nothing beyond the common case; otherwise it is
   converted cell by cell), and write the good rows to the scratch database.
   Staging never takes the shared database's write lock, and memory stays
   flat for any file size.
2. *match*: find duplicate keys in the file and the records that already
   exist (one join against the table), deciding insert / update /
   unchanged per row; every problem is collected with its line and column.
3. *plan*: from a snapshot (last audit hash, code counter, highest id) give
   new rows their ids and codes and write every audit entry: SQLite builds
   each record's JSON, then one ``INSERT … SELECT`` in file order calls
   :class:`_Chain`, which fills in the hashed text and hashes it (the chain
   is inherently one entry after another).
4. *publish*: one ``BEGIN IMMEDIATE`` transaction checks the snapshot still
   holds and copies the staged rows and the planned audit entries with
   ``INSERT … SELECT`` / ``UPDATE … FROM``. If someone wrote in between, it
   rolls back and re-runs steps 2–3 (outside the lock) before trying again.

So the write lock is held only for the checks and the copy: about the time
a plain ``executemany`` of the same rows takes (``benchmarks/import_bench.py``
prints both). The write-ahead log is copied back afterwards by the caller
(:meth:`Store.checkpoint`), without the lock. This path needs SQLite (3.33+
for ``UPDATE … FROM``).

The export is :mod:`specialops.io.export`.
"""

from __future__ import annotations

import binascii
import gc
import hashlib
import heapq
import json
import time
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from itertools import chain
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import IO, Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Connection, select

from specialops import audit, clock, entities, sealing, settings
from specialops.entities import EntitySpec, FieldSpec, Refusal, RowChange
from specialops.errors import DatabaseUnavailable, PermissionDenied, UsageError
from specialops.identity import Actor
from specialops.io.convert import CellError, ColumnImporter, column_importer, reading_in
from specialops.models.core import AuditEntry
from specialops.permissions import require
from specialops.store import codes
from specialops.store.store import Store, from_the_database, translate

STAGE_CHUNK = 5000
STAGE_VARIABLES = 500  # values bound per staging statement
MAX_LISTED_PROBLEMS = 100_000
PUBLISH_ATTEMPTS = 8
# The import is planned in chunks of this many records; the first is written alone (a
# tenth of a second of write lock for tickets, with nine indexes and the search index),
# then as many as fit in PART_SECONDS per transaction.
PUBLISH_CHUNK = 5_000
MAX_CHUNKS_PER_PART = 1_000
# Between chunks the lock is left free this long: SQLite's busy handler has a writer who
# has waited a while look again only every 100 ms, and would miss a shorter gap.
CHUNK_PAUSE = 0.12
# The write lock a part aims at; a chunk slower than that is cut (MIN_PART records at least).
PART_SECONDS = 0.5
MIN_PART = 1000
REJECTS_ERROR_COLUMN = "error"
# Every export ends with each record's version; an upsert of a row whose record has
# changed since refuses that row instead of reverting the change.
VERSION_COLUMN = "version"

Progress = Callable[[int], None]
Log = Callable[[str], None]


@dataclass
class Problem:
    """One problem of an import: where it is and why."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}, column {self.column}: {self.message}"
        return f"line {self.line}: {self.message}"


@dataclass
class ImportSummary:
    """What an import did (or, with ``dry_run``, would do)."""

    entity: str
    file: str
    format: str = ""
    encoding: str = ""
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    batch: str | None = None
    checksum: str = ""
    unlisted_errors: int = 0
    written: bool = False
    lock_seconds: float | None = None
    attempts: int = 0
    # The file as a whole was refused (its header), so no row could be skipped.
    refused_whole: bool = False
    ignored: list[str] = field(default_factory=list)  # columns --ignore-extra left out
    # What the import wants the person to know though nothing is wrong: other sheets
    # holding data, a totals row left out, the zone given to timestamps without one.
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unlisted_errors

    def as_json(self) -> dict[str, Any]:
        """The summary ``--json`` prints (SPEC §9)."""
        return {
            "entity": self.entity,
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [
                {"line": p.line, "column": p.column, "message": p.message} for p in self.errors
            ],
            "dry_run": self.dry_run,
            "batch": self.batch,
            "ignored_columns": self.ignored,
            "notes": self.notes,
        }


class _Stale(Exception):
    """The database changed since the plan was made."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spool(source: IO[bytes]) -> Path:
    """Copy a stream (stdin) to a private (0600) temporary file, so it can be read twice.

    The caller removes it; SIGTERM unwinds to that, and one left by a killed
    process is removed by a later import (:func:`specialops.private_files.spool`).
    """
    from specialops import private_files

    return private_files.spool(source, "import")


def load_refs(store: Store, spec: FieldSpec) -> dict[str, int]:
    """Key → id of every record a reference field may point to (one short read)."""
    target = entities.get(spec.ref or "")
    key_column = getattr(target.model, target.key_field.column)
    with store.read() as session:
        rows = session.exec(select(key_column, target.model.id)).all()  # type: ignore[attr-defined]
    return {str(key): int(id_) for key, id_ in rows}


# ----------------------------------------------------------------------------- import


def _as_codes(convert: ColumnImporter) -> ColumnImporter:
    """``convert`` of a key column whose values are record codes, given them as stored:
    ``cus-000002`` and ``ＣＵＳ－000002`` are ``CUS-000002``, never a new record."""
    code_key = entities.code_key

    def codes(cells: Any) -> Any:
        return convert([code_key(c) if isinstance(c, str) and c else c for c in cells])

    return codes


def _bind(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """How SQLAlchemy turns a Python value into what this column stores."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor or (lambda value: value)


def _json(value: Any) -> str:
    """One JSON value exactly as ``json.dumps(…, ensure_ascii=False)`` writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


def _template(
    at: Any, username: str, real: str, entity: str, comment: str | None, batch: str | None
) -> tuple[str, str, str]:
    """The fixed pieces of the hashed text of entries sharing everything but action and data.

    The hashed text is :func:`audit.entry_hash`'s ``json.dumps(sort_keys=True)``
    of the entry: ``{"action": …, "after": …`` + middle + ``before, "code": …``
    + rest + ``record_id`` + end.
    """
    moment = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    middle = f', "at": {_json(moment)}, "batch": {_json(batch)}, "before": '
    rest = (
        f', "comment": {_json(comment)}, "entity": {_json(entity)}, '
        f'"real_username": {_json(real)}, "record_id": '
    )
    end = f', "username": {_json(username)}}}'
    return middle, rest, end


def _hasher(
    at: Any, username: str, real: str, entity: str, comment: str | None, batch: str | None
) -> Callable[[str, str, Any, Any, Any, Any], str]:
    """:func:`audit.entry_hash` for entries that share everything but action, record and data.

    The hashed text is built from a template (its keys in sorted order, as
    ``json.dumps(sort_keys=True)`` writes them) instead of a dict per entry.
    """
    middle, rest, end = _template(at, username, real, entity, comment, batch)
    sha = hashlib.sha256
    quote = encode_basestring

    def digest(prev: str, action: str, record_id: Any, code: Any, before: Any, after: Any) -> str:
        text = (
            f'{prev}{{"action": "{action}", "after": '
            f"{'null' if after is None else quote(after)}{middle}"
            f'{"null" if before is None else quote(before)}, "code": '
            f"{'null' if code is None else quote(code)}{rest}"
            f"{'null' if record_id is None else int.__repr__(record_id)}{end}"
        )
        return sha(text.encode("utf-8")).hexdigest()

    return digest


def _entry_format(
    at: Any, username: str, real: str, entity: str, comment: str | None, batch: str | None
) -> bytes:
    """The hashed text of a record's entry as a bytes format (see :func:`_template`).

    Its arguments: action, after (JSON string or ``null``), before (the same),
    the code as JSON and the record id.
    """
    middle, rest, end = _template(at, username, real, entity, comment, batch)
    pieces = ('{"action": "', '", "after": ', middle, ', "code": ', rest, end)
    head, after, before, code, record, tail = (
        p.encode("utf-8").replace(b"%", b"%%") for p in pieces
    )
    return head + b"%s" + after + b"%s" + before + b"%s" + code + b"%s" + record + b"%d" + tail


def _json_string(text: bytes | None) -> bytes:
    """The JSON string of UTF-8 text that holds no raw control character, as JSON text is."""
    if text is None:
        return b"null"
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class _Chain:
    """The audit hash chain as a SQLite function, called once per entry in file order.

    It fills the entry's hashed text (:func:`_entry_format`), hashes it after
    the previous hash and returns the link: the previous and the new digest,
    32 bytes each (:func:`_link_sql` gives them back as the log's hex text).
    """

    def __init__(self, prev: str, text: bytes) -> None:
        self.hex = prev.encode()
        self.digest = bytes.fromhex(prev)
        self.text = text
        self.seq = -1
        self.out_of_order = False

    def __call__(
        self, seq: int, action: bytes, after: bytes, before: bytes | None, code: bytes, id_: int
    ) -> bytes:
        if seq <= self.seq:
            self.out_of_order = True
        self.seq = seq
        text = self.text % (action, _json_string(after), _json_string(before), code, id_)
        digest = hashlib.sha256(self.hex + text).digest()
        link = self.digest + digest
        self.digest, self.hex = digest, binascii.hexlify(digest)
        return link


def _link_sql(link: str) -> str:
    """SQL for the previous and the new hash of a :class:`_Chain` link, as hex text."""
    return f"lower(hex(substr({link}, 1, 32))), lower(hex(substr({link}, 33)))"


def highest_code(prefix: str, codes: Iterable[Any]) -> int:
    """The highest number among ``codes`` of the form ``prefix`` + digits (0 if none)."""
    size = len(prefix)
    numbers = [c[size:] for c in codes if c and c.startswith(prefix)]
    return max(map(int, filter(str.isdecimal, numbers)), default=0)


def _model_default(model: type, column: str) -> Any:
    """The plain default value the model gives ``column`` (``None`` when it has none)."""
    info = model.model_fields.get(column)  # type: ignore[attr-defined]
    if info is None or info.default is PydanticUndefined:
        return None
    return info.default


def _refusal(actor: Actor, permission: str | None) -> str | None:
    """Why ``actor`` may not take ``permission`` (the words :func:`require` uses), or ``None``."""
    if permission is None:
        return None
    try:
        require(actor, permission)
    except PermissionDenied as denied:
        return str(denied)
    return None


def _local_minute(at: Any) -> str:
    """A stored time (UTC; SQLite gives it as text) as people read it, as the app says it."""
    from datetime import UTC, datetime

    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def _version_text(cell: Any) -> str:
    """A version cell as text: a workbook may hold 3 as 3.0, JSON as a number."""
    if cell is None or isinstance(cell, bool):
        return "" if cell is None else str(cell)
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


class FileVersions:
    """The version each row of the file was exported at, by line (from its ``version``
    column), and the refusal of a row whose record has changed since."""

    def __init__(self) -> None:
        self._by_line = array("q")

    def read(
        self, rows: Iterable[tuple[int, list[Any], str | None]], at: int
    ) -> Iterator[tuple[int, list[Any], str | None]]:
        """Pass ``rows`` on, keeping each one's version; a version that is not one is the
        row's problem."""
        for line, cells, problem in rows:
            raw = _version_text(cells[at] if at < len(cells) else None)
            if raw and problem is None:
                if raw.isascii() and raw.isdigit() and len(raw) < 19:
                    self._keep(line, int(raw))
                else:
                    problem = f"'{raw}' in the {VERSION_COLUMN} column is not a record version"
            yield line, cells, problem

    def _keep(self, line: int, version: int) -> None:
        if len(self._by_line) <= line:
            self._by_line.extend([-1] * (line + 1 - len(self._by_line)))
        self._by_line[line] = version

    def stale(self, line: int, current: int, by: str | None, at: Any) -> str | None:
        """Why the row on ``line`` may not change a record now at version ``current``."""
        if line >= len(self._by_line) or (seen := self._by_line[line]) < 0 or seen == current:
            return None
        when = f" at {_local_minute(at)}" if at else ""
        return (
            f"changed by {by or 'someone'}{when} after this file was exported (version "
            f"{current}, the file has {seen}); export again and redo the change there"
        )


class _Import:
    """One import job: the compiled plan, its connection and its TEMP tables."""

    def __init__(
        self,
        store: Store,
        actor: Actor,
        spec: EntitySpec,
        header: list[str],
        summary: ImportSummary,
        *,
        upsert: bool,
        skip: bool,
        unneutralise: Callable[[str], str] | None,
        log: Log,
    ) -> None:
        self.store, self.actor, self.spec, self.summary = store, actor, spec, summary
        self.upsert, self.skip, self.log = upsert, skip, log
        self.versions = FileVersions()
        self.left_out: list[str] = []  # required fields a partial upsert does not give
        self.model = spec.model
        self.table = spec.model.__table__  # type: ignore[attr-defined]
        self.table_name = self.table.name
        # On PostgreSQL the rows are staged and checked in a private SQLite database
        # (:mod:`specialops.io.server_publish`): values are held there as SQLite holds them.
        self.server: Any = None
        if not store.is_sqlite:
            from specialops.io.server_publish import ServerSide

            self.server = ServerSide(self)
        dialect = store.engine.dialect if self.server is None else self.server.dialect
        self.dialect = dialect
        # The key is always staged: without a key column every row is new (and gets a code).
        self.fields = [f for f in spec.fields if f.name in header or f.name == spec.key]
        self.bad_lines: set[int] = set()
        self.by_line: dict[int, list[str]] = {}
        self.key_col = spec.key_field.column
        self.has_key = spec.key in header
        self.self_refs = [f for f in self.fields if f.kind == "ref" and f.ref == spec.name]
        self.state_fields = [f for f in self.fields if f.workflow]
        # Columns absent from the file that cannot be empty take the model's default.
        self.defaults: dict[str, Any] = {}
        # Derived columns (spec.derive) are computed per row from its plain values,
        # so the converters then stop short of the column's bind processor.
        self.derive = spec.derive(store) if spec.derive is not None else None
        for f in spec.fields:
            column = self.table.c[f.column]
            default = _model_default(spec.model, f.column)
            if self.derive is not None and f.column in spec.derived:
                continue
            if f not in self.fields and not column.nullable and default is not None:
                processor = _bind(column, dialect)
                self.defaults[f.column] = processor(default) if processor else default
        # Model columns that no field imports (e.g. planned effort) take the model's default too.
        covered = {f.column for f in spec.fields} | audit.RECORD_STAMPS
        for column in self.table.c:
            default = _model_default(spec.model, column.name)
            if column.name not in covered and not column.nullable and default is not None:
                processor = _bind(column, dialect)
                self.defaults[column.name] = processor(default) if processor else default
        self.converters: list[tuple[str, ColumnImporter]] = []
        bind = self.derive is None
        for f in self.fields:
            self.converters.append((f.name, self._compile(f, dialect, unneutralise, bind)))
        self.columns = [f.column for f in self.fields]
        self.derived = [c for c in spec.derived if c not in self.columns] if self.derive else []
        self.binders = [_bind(self.table.c[c], dialect) for c in self.columns + self.derived]
        self.columns += self.derived
        self.rederived = [c for c in spec.rederived if c in self.derived]
        self.stage_cols = ["f_" + c for c in self.columns]
        self.conn: Connection | None = None
        if self.server is None:
            self.conn = store.write_engine.connect()
            self.raw: Any = self.conn.connection.dbapi_connection
        else:
            self.raw = self.server.scratch()
        self.snapshot: dict[str, Any] = {}
        self.saved_pragmas: dict[str, Any] = {}
        self.attached = False
        # The highest number of the entity's own codes given in the file, so that the
        # codes allocated later follow it. (A row rejected after staging may still
        # count: the counter may then skip numbers, never repeat one.)
        self.code_prefix = f"{self.model.__code_prefix__}-" if spec.allocates_codes else None
        self.key_at = next((i for i, f in enumerate(self.fields) if f.name == spec.key), None)
        self.highest_code = 0
        # Governance (EntitySpec.write_action, .governor): the rows the app's rules decide.
        self.refused_write = _refusal(actor, spec.write_action)
        self.guarded = spec.guarded_columns
        self.governs = spec.governor is not None and self.refused_write is None
        self.governed: list[RowChange] = []  # updates handed to the governor
        self.governed_head: str | None = None  # the audit head its facts were read at
        self.governed_head_id = 0
        self.chunks: list[tuple[int, int]] = []  # line ranges published one at a time

    # -- compile ------------------------------------------------------------

    def _compile(
        self,
        f: FieldSpec,
        dialect: Any,
        unneutralise: Callable[[str], str] | None,
        bind: bool = True,
    ) -> ColumnImporter:
        column = self.table.c[f.column]
        default = None if column.nullable else _model_default(self.model, f.column)
        required = self.spec.requires(f)
        if f.kind == "ref" and f.ref == self.spec.name:
            # A reference within the same entity may point to a row of this file:
            # it is staged as text and resolved once ids are known.
            key_spec = self.spec.key_field
            return column_importer(key_spec, unneutralise=unneutralise, required=f.required)
        refs = load_refs(self.store, f) if f.kind == "ref" else None
        processor = column.type.dialect_impl(dialect).bind_processor(dialect) if bind else None
        if f is self.spec.key_field and self.spec.allocates_codes:
            return _as_codes(
                column_importer(
                    f,
                    unneutralise=unneutralise,
                    required=required,
                    default=default,
                    then=processor,
                )
            )
        return column_importer(
            f,
            refs=refs,
            unneutralise=unneutralise,
            required=required,
            default=default,
            then=processor,
        )

    # -- problems -----------------------------------------------------------

    def problem(self, line: int, column: str | None, message: str) -> None:
        self.bad_lines.add(line)
        found = Problem(line, column, message)
        if len(self.summary.errors) < MAX_LISTED_PROBLEMS:
            self.summary.errors.append(found)
            self.by_line.setdefault(line, []).append(f"{column}: {message}" if column else message)
        else:
            self.summary.unlisted_errors += 1

    # -- temp tables ---------------------------------------------------------

    def _sql(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return self.raw.execute(sql, tuple(params))

    def create_tables(self) -> None:
        """Attach a private scratch database for the staged rows and set the connection up.

        SQLite deletes an attached database named ``''`` when it is detached:
        staging never takes the shared database's write lock, and leaves nothing
        behind. Its journal is off: a failure there ends the import anyway.
        """
        self.saved_pragmas = {
            pragma: self._sql(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("wal_autocheckpoint", "cache_size")
        }
        # This connection's big commit must not checkpoint while others wait (see publish).
        self._sql("PRAGMA wal_autocheckpoint = 0")
        # Larger page caches keep the publish's index updates in memory rather than
        # spilling to the WAL page by page (measured: 1M rows 24 s → see the benchmark),
        # and the staged rows of a file of 100,000 rows out of the scratch file.
        self._sql("PRAGMA cache_size = -98304")
        self._sql("ATTACH DATABASE '' AS imp")
        self.attached = True
        self._sql("PRAGMA imp.journal_mode = OFF")
        self._sql("PRAGMA imp.synchronous = OFF")
        self._sql("PRAGMA imp.cache_size = -32768")
        extra = "".join(f", s_{f.column} TEXT" for f in self.self_refs)
        cols = "".join(f", {_quote(c)}" for c in self.stage_cols)
        self._sql(
            "CREATE TABLE imp.imp_rows (line INTEGER PRIMARY KEY, staged INTEGER, "
            "op TEXT DEFAULT 'insert', alloc INTEGER DEFAULT 0, target_id INTEGER, "
            "seen_version INTEGER, new_id INTEGER, before TEXT, changed TEXT, after TEXT"
            f"{extra}{cols})"
        )
        self._sql(
            "CREATE TABLE imp.imp_audit (seq INTEGER PRIMARY KEY, action, record_id, code, "
            "before, after)"
        )
        self._sql("CREATE TABLE imp.imp_links (seq INTEGER PRIMARY KEY, link)")
        if self.server is not None:
            self.server.create_mirror()

    def close(self) -> None:
        """Detach the scratch database and give the connection back with its usual settings.

        Closing the connection instead would copy the WAL back into the database
        there and then when it is the last one; that is left to the store's close.
        A connection that cannot be set back (the import failed half-way through
        setting it up) is discarded instead, scratch database and all.
        """
        if self.conn is None:  # the private scratch of a server import: deleted on close
            self.raw.close()
            return
        try:
            if self.attached:
                self._sql("DETACH DATABASE imp")
            for pragma, value in self.saved_pragmas.items():
                self._sql(f"PRAGMA {pragma} = {int(value)}")
        except Exception:
            self.conn.invalidate()
        finally:
            self.conn.close()

    # -- 1. stage ------------------------------------------------------------

    def stage(
        self,
        rows: Iterable[tuple[int, list[Any], str | None]],
        header: list[str],
        progress: Progress | None,
    ) -> None:
        """Convert the rows (``Reader.cells()`` of a file with ``header``) block by block.

        Staged rows are numbered 1, 2, … in file order (``staged``): while every
        one of them is an insert, that number gives each its id.
        """
        self.staged = 0
        names = ["staged", "line"]
        self_ref_at: list[int] = []
        for index, f in enumerate(self.fields):
            if f in self.self_refs:
                names.append("s_" + f.column)
                self_ref_at.append(index)
            else:
                names.append("f_" + f.column)
        names += ["f_" + c for c in self.derived]
        insert = f"INSERT INTO imp_rows ({', '.join(_quote(n) for n in names)})"
        where = {name: index for index, name in enumerate(header)}
        plan = [(name, convert, where.get(name)) for name, convert in self.converters]
        # The rows are plain tuples and strings, never cycles: the cyclic collector
        # would only walk the growing blocks over and over.
        collecting = gc.isenabled()
        gc.disable()
        try:
            count = self._stage_rows(rows, insert, plan, progress)
        finally:
            if collecting:
                gc.enable()
        self.summary.rows = count

    def _stage_rows(
        self,
        rows: Iterable[tuple[int, list[Any], str | None]],
        insert: str,
        plan: list[tuple[str, ColumnImporter, int | None]],
        progress: Progress | None,
    ) -> int:
        lines: list[int] = []
        block: list[list[Any]] = []
        # Problems of the block, reported in file order once it is converted.
        found: list[tuple[int, int, str | None, str]] = []
        count = 0
        for line, cells, problem in rows:
            count += 1
            if problem:
                found.append((line, -1, None, problem))
                continue
            lines.append(line)
            block.append(cells)
            if len(block) >= STAGE_CHUNK:
                self._stage_block(insert, plan, lines, block, found)
                lines, block, found = [], [], []
                if progress:
                    progress(count)
        self._stage_block(insert, plan, lines, block, found)
        if progress:
            progress(count)
        return count

    def _stage_block(
        self,
        insert: str,
        plan: list[tuple[str, ColumnImporter, int | None]],
        lines: list[int],
        block: list[list[Any]],
        found: list[tuple[int, int, str | None, str]],
    ) -> None:
        """Convert one block column by column and write its good rows to the stage."""
        if not block:
            self._report(found)
            return
        cells_by_column = list(zip(*block, strict=True))
        converted: list[list[Any]] = []
        failed: set[int] = set()
        for order, (name, convert, at) in enumerate(plan):
            cells = cells_by_column[at] if at is not None else [None] * len(block)
            values, errors = convert(cells)
            converted.append(values)
            for index, message in errors.items():
                failed.add(index)
                found.append((lines[index], order, name, message))
        if failed:
            keep = [index for index in range(len(lines)) if index not in failed]
            lines = [lines[index] for index in keep]
            converted = [[values[index] for index in keep] for values in converted]
        if self.code_prefix and self.key_at is not None:
            found_code = highest_code(self.code_prefix, converted[self.key_at])
            self.highest_code = max(self.highest_code, found_code)
        first = self.staged + 1
        if self.derive is None:
            rows: list[Any] = list(
                zip(range(first, first + len(lines)), lines, *converted, strict=True)
            )
        else:
            rows = []
            for row in zip(lines, *converted, strict=True):
                try:
                    rows.append([first + len(rows), *self._derived(list(row))])
                except (CellError, ValueError) as error:
                    found.append((row[0], len(plan), None, str(error)))
        self.staged += len(rows)
        self._report(found)
        if rows:
            self._flush(insert, rows)

    def _report(self, found: list[tuple[int, int, str | None, str]]) -> None:
        found.sort(key=lambda item: (item[0], item[1]))
        for line, _order, column, message in found:
            self.problem(line, column, message)

    def _derived(self, out: list[Any]) -> list[Any]:
        """Fill the derived columns of one converted row, then bind every value."""
        assert self.derive is not None
        width = len(self.fields)
        plain = dict(zip(self.columns[:width], out[1:], strict=True))
        # A partial upsert can update records only (its new rows are refused), and an
        # update keeps the stored derived values: nothing to derive from what it leaves out.
        found = {} if self.left_out else self.derive(plain)
        for i, column in enumerate(self.columns[:width]):
            if out[1 + i] is None and found.get(column) is not None:
                out[1 + i] = found[column]
        out.extend(found.get(c) for c in self.derived)
        return [out[0], *(b(v) if b else v for b, v in zip(self.binders, out[1:], strict=True))]

    def _flush(self, insert: str, buffer: list[Any]) -> None:
        """Write staged rows, many to a statement (fewer steps than one row each)."""
        width = len(buffer[0])
        group = max(1, STAGE_VARIABLES // width)
        whole = len(buffer) - len(buffer) % group
        self._sql("BEGIN")
        if whole:
            values = ", ".join(["(" + ", ".join("?" * width) + ")"] * group)
            flat = chain.from_iterable
            self.raw.executemany(
                f"{insert} VALUES {values}",
                [list(flat(buffer[i : i + group])) for i in range(0, whole, group)],
            )
        if whole < len(buffer):
            one = "(" + ", ".join("?" * width) + ")"
            self.raw.executemany(f"{insert} VALUES {one}", buffer[whole:])
        self._sql("COMMIT")

    # -- 2. match ------------------------------------------------------------

    def match(self) -> None:
        """Decide insert / update / unchanged per staged row; reject what cannot go in."""
        key = _quote("f_" + self.key_col)
        table = _quote(self.table_name)
        self.governed, self.governed_head = [], None
        if self.server is not None:
            self.server.refresh_mirror()
        self._sql("BEGIN")
        try:
            # Built once every row is staged: one sorted build instead of an update per row.
            self._sql(f"CREATE INDEX IF NOT EXISTS imp.imp_rows_key ON imp_rows ({key})")
            if self.has_key:
                self._duplicates(key)
            for f in self.self_refs:
                self._resolve_self_ref(f, table)
            # Rows are staged as inserts; what remains one after this is one.
            self._existing(key, table)
            if self.left_out:
                self._new_rows_need(self.left_out)
            for f in self.state_fields:
                if not f.new_in_any_state:
                    self._new_in_initial_state(f)
            for f in self.self_refs:
                self._unknown_self_ref(f)
            # Last: the app's rules see only rows that nothing else refused.
            self._govern()
            self._sql("COMMIT")
        except BaseException:
            self._sql("ROLLBACK")
            raise

    def _new_rows_need(self, left_out: list[str]) -> None:
        """A partial upsert updates; a row of it that is a new record lacks ``left_out``."""
        lines = self._sql("SELECT line FROM imp_rows WHERE op = 'insert' ORDER BY line").fetchall()
        reason = (
            f"no record has this {self.spec.key}, and a new one needs "
            f"{', '.join(left_out)}, which the file has no column for"
        )
        self._reject([(line, self.spec.key, reason) for (line,) in lines])

    def _reject(self, lines: list[tuple[int, str | None, str]]) -> None:
        for line, column, message in lines:
            self.problem(line, column, message)
        self.raw.executemany(
            "UPDATE imp_rows SET op = 'reject' WHERE line = ?", [(line,) for line, _, _ in lines]
        )

    def _duplicates(self, key: str) -> None:
        # A look through the key's index finds whether there is any duplicate at all.
        if not self._sql(
            f"SELECT 1 FROM imp_rows WHERE {key} IS NOT NULL GROUP BY {key} "
            "HAVING count(*) > 1 LIMIT 1"
        ).fetchone():
            return
        found = self._sql(
            f"SELECT line, {key}, first FROM (SELECT line, {key}, "
            f"min(line) OVER (PARTITION BY {key}) AS first FROM imp_rows "
            f"WHERE {key} IS NOT NULL AND op = 'insert') WHERE line > first"
        ).fetchall()
        self._reject(
            [
                (
                    line,
                    self.spec.key,
                    f"duplicate {self.spec.key} '{value}' (first on line {first})",
                )
                for line, value, first in found
            ]
        )

    def _existing(self, key: str, table: str) -> None:
        cols = self.columns
        mine = ", ".join(f"r.{_quote('f_' + c)}" for c in cols)
        theirs = ", ".join(f"t.{_quote(c)}" for c in cols)
        pending = "".join(
            f", (r.s_{f.column} IS NOT NULL AND r.{_quote('f_' + f.column)} IS NULL)"
            for f in self.self_refs
        )
        cursor = self.raw.execute(
            f"SELECT r.line, t.id, t.version, t.updated_by, t.updated_at, {mine}, {theirs}"
            f"{pending} FROM imp_rows r "
            f"JOIN main.{table} t ON t.{_quote(self.key_col)} = r.{key} WHERE r.op = 'insert'"
        )
        width = len(cols)
        key_at = cols.index(self.key_col)
        self_ref_cols = [f.column for f in self.self_refs]
        derived = set(self.derived) - set(self.rederived)
        rejects: list[tuple[int, str | None, str]] = []
        decided: list[tuple[Any, ...]] = []
        again: list[tuple[Any, ...]] = []  # derived values an update computes again
        while batch := cursor.fetchmany(STAGE_CHUNK):
            computed = self._rederive(batch, width) if self.rederived and self.upsert else {}
            for row in batch:
                line, id_, version = row[0], row[1], row[2]
                new, old = row[5 : 5 + width], row[5 + width : 5 + 2 * width]
                if line in computed:
                    values = computed[line]
                    if isinstance(values, str):
                        rejects.append((line, None, values))
                        continue
                    new = list(new)
                    for c, value in zip(self.rederived, values, strict=True):
                        new[cols.index(c)] = value
                    again.append((*values, line))
                if not self.upsert:
                    rejects.append(
                        (
                            line,
                            self.spec.key,
                            f"{self.spec.key} '{new[key_at]}' already exists "
                            "(use --upsert to update existing records)",
                        )
                    )
                    continue
                # Derived columns (a ticket's clock) are computed for new rows only: an
                # existing record keeps what the app computed as it moved.
                changed = [
                    c for c, a, b in zip(cols, new, old, strict=True) if a != b and c not in derived
                ]
                moved = [f for f in self.state_fields if f.column in changed]
                if moved:
                    at = cols.index(moved[0].column)
                    rejects.append(
                        (
                            line,
                            moved[0].name,
                            f"an import does not change the {moved[0].name} "
                            f"({old[at]} → {new[at]}); the {moved[0].workflow} workflow "
                            "does, in the app, where each step's rules are checked",
                        )
                    )
                    continue
                for c, waiting in zip(self_ref_cols, row[5 + 2 * width :], strict=True):
                    if waiting and c not in changed:
                        changed.append(c)
                if changed and (stale := self.versions.stale(line, version, row[3], row[4])):
                    rejects.append((line, VERSION_COLUMN, stale))
                    continue
                if changed:
                    before = {c: old[cols.index(c)] for c in changed}
                    decided.append(
                        ("update", id_, version, audit.dump(before), json.dumps(changed), line)
                    )
                    if self.governs and (
                        self.guarded is None or self.guarded.intersection(changed)
                    ):
                        given = len(self.fields)  # derived columns are kept on update
                        self.governed.append(
                            RowChange(
                                line,
                                id_,
                                dict(zip(cols[:given], old[:given], strict=True)),
                                dict(zip(cols[:given], new[:given], strict=True)),
                                frozenset(changed),
                            )
                        )
                else:
                    decided.append(("unchanged", id_, version, None, None, line))
        self._reject(rejects)
        self.raw.executemany(
            "UPDATE imp_rows SET op = ?, target_id = ?, seen_version = ?, before = ?, "
            "changed = ? WHERE line = ?",
            decided,
        )
        if again:
            sets = ", ".join(f"{_quote('f_' + c)} = ?" for c in self.rederived)
            self.raw.executemany(f"UPDATE imp_rows SET {sets} WHERE line = ?", again)

    def _rederive(self, batch: list[Any], width: int) -> dict[int, tuple[Any, ...] | str]:
        """Per line of ``batch`` (rows matched to stored records): the :attr:`rederived`
        values of the record as the file leaves it, stored values filling in what the file
        does not give; or why they cannot be derived."""
        assert self.derive is not None
        dialect = self.dialect
        fields = [f.column for f in self.spec.fields]
        read = {
            c: self.table.c[c].type.dialect_impl(dialect).result_processor(dialect, None)
            for c in fields
        }
        given = self.columns[: len(self.fields)]  # the fields the file gives
        stored: dict[int, dict[str, Any]] = {}
        ids = [row[1] for row in batch]
        names = ", ".join(_quote(c) for c in fields)
        for start in range(0, len(ids), STAGE_VARIABLES):
            part = ids[start : start + STAGE_VARIABLES]
            marks = ", ".join("?" for _ in part)
            for found in self.raw.execute(
                f"SELECT id, {names} FROM main.{_quote(self.table_name)} WHERE id IN ({marks})",
                part,
            ):
                stored[found[0]] = dict(zip(fields, found[1:], strict=True))
        binders = [_bind(self.table.c[c], dialect) for c in self.rederived]
        out: dict[int, tuple[Any, ...] | str] = {}
        for row in batch:
            merged = {**stored[row[1]], **dict(zip(given, row[5 : 5 + width], strict=False))}
            plain = {
                c: (v if v is None or read[c] is None else read[c](v)) for c, v in merged.items()
            }
            try:
                found = self.derive(plain)
            except ValueError as error:
                out[row[0]] = str(error)
                continue
            out[row[0]] = tuple(
                b(found.get(c)) if b else found.get(c)
                for b, c in zip(binders, self.rederived, strict=True)
            )
        return out

    def _govern(self) -> None:
        """Refuse the rows the app's rules would not let the actor write.

        Without the entity's ``write_action`` every row that would be written is
        refused. Otherwise the governor is handed, in file order, the updates that
        change a guarded field and the new rows that give one: it reads what its
        rules need once, in one read transaction whose audit head the plan is then
        made against (so a write in between makes the publish start again).
        """
        if self.refused_write is not None:
            lines = self._sql(
                "SELECT line FROM imp_rows WHERE op IN ('insert', 'update') ORDER BY line"
            ).fetchall()
            self._reject([(line, None, self.refused_write) for (line,) in lines])
            return
        governor = self.spec.governor
        if governor is None:
            return
        updates = sorted(
            (c for c in self.governed if c.line not in self.bad_lines), key=lambda c: c.line
        )
        inserts = self._governed_inserts()
        first = next(inserts, None)
        if not updates and first is None:
            return
        rows = heapq.merge(updates, chain([first] if first else [], inserts), key=lambda c: c.line)
        with self.store.read() as session:
            last = select(AuditEntry.id, AuditEntry.hash).order_by(
                AuditEntry.id.desc()  # type: ignore[union-attr]
            )
            found = session.execute(last.limit(1)).first()
            self.governed_head = found[1] if found else audit.GENESIS
            self.governed_head_id = found[0] if found else 0
            refused: list[Refusal] = list(governor(session, self.actor, rows))
        self._reject([(r.line, r.field, r.reason) for r in refused])

    def _governed_inserts(self) -> Iterator[RowChange]:
        """The new rows the governor is handed, in file order, a block at a time."""
        width = len(self.fields)
        cols = self.columns[:width]
        guarded = [c for c in cols if self.guarded is None or c in self.guarded]
        if not guarded:
            return iter(())
        given = ""
        if self.guarded is not None:
            given = " AND (" + " OR ".join(f"{_quote('f_' + c)} IS NOT NULL" for c in guarded) + ")"
        selected = ", ".join(_quote("f_" + c) for c in cols)
        cursor = self.raw.execute(
            f"SELECT line, {selected} FROM imp_rows WHERE op = 'insert'{given} ORDER BY line"
        )
        defaults = self.defaults

        def rows() -> Iterator[RowChange]:
            while block := cursor.fetchmany(STAGE_CHUNK):
                for line, *values in block:
                    new = {**defaults, **dict(zip(cols, values, strict=True))}
                    changed = frozenset(c for c, v in new.items() if v is not None)
                    yield RowChange(line, None, {}, new, changed)

        return rows()

    def _new_in_initial_state(self, f: FieldSpec) -> None:
        """Reject new rows that would start past the workflow's first state."""
        from specialops.workflow import get_workflow

        initial = get_workflow(f.workflow or "").initial
        column = _quote("f_" + f.column)
        found = self._sql(
            f"SELECT line, {column} FROM imp_rows WHERE op = 'insert' AND {column} IS NOT NULL "
            f"AND {column} <> ?",
            (initial,),
        ).fetchall()
        self._reject(
            [
                (
                    line,
                    f.name,
                    f"new {self.spec.name} start as {initial}, not {value}; the "
                    f"{f.workflow} workflow moves them on in the app, where each step's "
                    "rules are checked",
                )
                for line, value in found
            ]
        )

    def _resolve_self_ref(self, f: FieldSpec, table: str) -> None:
        source = f"s_{f.column}"
        target = _quote("f_" + f.column)
        self._sql(
            f"UPDATE imp_rows SET {target} = (SELECT t.id FROM main.{table} t "
            f"WHERE t.{_quote(self.key_col)} = imp_rows.{source}) WHERE {source} IS NOT NULL"
        )

    def _unknown_self_ref(self, f: FieldSpec) -> None:
        source = f"s_{f.column}"
        target = _quote("f_" + f.column)
        key = _quote("f_" + self.key_col)
        unknown = self._sql(
            f"SELECT line, {source} FROM imp_rows r WHERE {source} IS NOT NULL AND {target} "
            f"IS NULL AND op <> 'reject' AND NOT EXISTS (SELECT 1 FROM imp_rows o "
            f"WHERE o.{key} = r.{source} AND o.op = 'insert')"
        ).fetchall()
        noun = self.spec.name.rstrip("s")
        self._reject([(line, f.name, f"unknown {noun} '{value}'") for line, value in unknown])

    def stale(self) -> Exception:
        """The exception that makes the import plan again (the database changed)."""
        return _Stale()

    def counts(self) -> dict[str, int]:
        found = dict(self._sql("SELECT op, count(*) FROM imp_rows GROUP BY op").fetchall())
        return {op: int(found.get(op, 0)) for op in ("insert", "update", "unchanged")}

    # -- 3. plan -------------------------------------------------------------

    def reset(self) -> None:
        """Forget a plan made against a snapshot that no longer holds."""
        code = _quote("f_" + self.key_col)
        self_refs = "".join(f", {_quote('f_' + f.column)} = NULL" for f in self.self_refs)
        self._sql("BEGIN")
        self._sql(
            f"UPDATE imp_rows SET {code} = CASE WHEN alloc THEN NULL ELSE {code} END, alloc = 0, "
            f"op = 'insert', target_id = NULL, seen_version = NULL, new_id = NULL, before = NULL, "
            f"changed = NULL, after = NULL{self_refs} WHERE op <> 'reject'"
        )
        self._sql("DELETE FROM imp_audit")
        self._sql("DELETE FROM imp_links")
        self._sql("COMMIT")

    def take_snapshot(self) -> None:
        if self.server is not None:
            self.snapshot = self.server.snapshot()
            return
        table = _quote(self.table_name)
        prefix = self.model.__code_prefix__ if self.spec.allocates_codes else None
        self._sql("BEGIN")
        try:
            last = self._sql("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            top = self._sql(f"SELECT max(id) FROM main.{table}").fetchone()[0]
            counter = None
            if prefix:
                found = self._sql(
                    "SELECT value FROM code_counters WHERE prefix = ?", (prefix,)
                ).fetchone()
                counter = int(found[0]) if found else 0
        finally:
            self._sql("COMMIT")
        self.snapshot = {
            # A governed import is planned against the state its rules were decided on.
            "prev": self.governed_head or (last[0] if last else audit.GENESIS),
            "max_id": int(top or 0),
            "prefix": prefix,
            "counter": counter,
        }

    new_id = "r.new_id"  # how the plan gives an inserted row its id (SQL over ``imp_rows r``)

    def plan(self, batch_event: audit.Event) -> None:
        """Give new rows ids and codes, and build the audit entries, against the snapshot."""
        snap = self.snapshot
        code = _quote("f_" + self.key_col)
        self._sql("BEGIN")
        try:
            mixed = self._sql("SELECT 1 FROM imp_rows WHERE op <> 'insert' LIMIT 1").fetchone()
            if self.server is not None:
                self.server.number_new_rows()  # ids reserved from the table's sequence
                self.new_id = "r.new_id"
            elif mixed or self.self_refs:
                self._sql(
                    "UPDATE imp_rows SET new_id = ? + x.n FROM (SELECT line, row_number() OVER "
                    "(ORDER BY line) AS n FROM imp_rows WHERE op = 'insert') AS x "
                    "WHERE imp_rows.line = x.line",
                    (snap["max_id"],),
                )
                self.new_id = "r.new_id"
            else:
                # Every staged row is an insert: its number is its place among them.
                self.new_id = f"({int(snap['max_id'])} + r.staged)"
            if snap["prefix"]:
                self._plan_codes(code)
            for f in self.self_refs:
                target = _quote("f_" + f.column)
                self._sql(
                    f"UPDATE imp_rows SET {target} = (SELECT o.new_id FROM imp_rows o "
                    f"WHERE o.{code} = imp_rows.s_{f.column} AND o.op = 'insert') "
                    f"WHERE s_{f.column} IS NOT NULL AND {target} IS NULL"
                )
            self._plan_audit(batch_event)
            self._sql("COMMIT")
        except BaseException:
            self._sql("ROLLBACK")
            raise

    def _plan_codes(self, code: str) -> None:
        snap = self.snapshot
        # The highest number the file gives was found while staging.
        given = self.highest_code
        base = max(snap["counter"], given)
        missing = self._sql(
            f"SELECT count(*) FROM imp_rows WHERE {code} IS NULL AND op = 'insert'"
        ).fetchone()[0]
        if missing:
            self._number_codes(f"{code} IS NULL", base)
        snap["given"] = given
        snap["allocated"] = int(missing)
        snap["first"] = base + 1

    def _number_codes(self, which: str, base: int) -> None:
        """Give the new rows ``which`` (SQL over ``imp_rows``) the codes after ``base``, in
        file order."""
        width = self.model.__code_width__
        code = _quote("f_" + self.key_col)
        self._sql(
            f"UPDATE imp_rows SET alloc = 1, {code} = printf('%s-%0{width}d', ?, ? + x.n) "
            "FROM (SELECT line, row_number() OVER (ORDER BY line) AS n FROM imp_rows "
            f"WHERE op = 'insert' AND {which}) AS x WHERE imp_rows.line = x.line",
            (self.snapshot["prefix"], base),
        )

    def renumber_codes(self, first: int) -> None:
        """Number the allocated codes from ``first`` on, in the rows and their planned audit
        entries: others took codes since the plan. The chain is then linked again."""
        code = _quote("f_" + self.key_col)
        self._sql("BEGIN")
        try:
            self._number_codes("alloc", first - 1)
            self._sql(
                f"UPDATE imp_audit SET code = r.{code}, after = json_set(imp_audit.after, ?, "
                f"r.{code}) FROM imp_rows r WHERE r.line = imp_audit.seq AND r.alloc",
                (f'$."{self.key_col}"',),
            )
            self._sql("COMMIT")
        except BaseException:
            self._sql("ROLLBACK")
            raise
        self.snapshot["first"] = first

    def _plan_audit(self, batch_event: audit.Event) -> None:
        """Build every audit entry of the import, hash chain included, in ``imp_audit``.

        SQLite writes the hashed text of each entry (the record's JSON with
        ``json_object``, keys sorted as :func:`audit.dump` sorts them, inside the
        fixed pieces of :func:`_template`) and one ``INSERT … SELECT`` in file
        order passes it to :class:`_Chain`, which only hashes: the chain is
        inherently one row after another.
        """
        at = clock.now()
        self.snapshot["moment"] = at
        dialect = self.dialect
        at_stored = _bind(AuditEntry.__table__.c.at, dialect)(at)  # type: ignore[attr-defined]
        self.snapshot["at"] = _bind(self.table.c.created_at, dialect)(at)
        actor = self.actor
        cols = self.columns
        bools = {f.column for f in self.fields if f.kind == "bool"}
        common = (
            at,
            actor.username,
            actor.login,
            self.spec.name,
            batch_event.comment,
            batch_event.batch,
        )
        # What every entry shares is added by the publish.
        self.snapshot["audit_common"] = (at_stored, *common[1:])
        prev = self.snapshot["prev"]
        after = audit.dump(batch_event.after)
        hasher, action, batch_after = _hasher(*common), batch_event.action, after
        self.batch_hash = lambda start: hasher(start, action, None, None, None, batch_after)
        head = self.batch_hash(prev)
        self._sql(
            "INSERT INTO imp_audit (seq, action, after) VALUES (0, ?, ?)",
            (batch_event.action, after),
        )
        self._sql("INSERT INTO imp_links (seq, link) VALUES (0, ?)", (bytes.fromhex(prev + head),))
        self._plan_update_after(bools)
        # An insert's entry holds the record's fields; its own time, user and record
        # id say the rest (audit.RECORD_STAMPS), as in the app's entries.
        names = [*self.defaults, *cols]
        sources: dict[str, str] = {}
        params: list[Any] = []
        for name, value in self.defaults.items():
            sources[name] = "?"
            params.append(value)
        for c in cols:
            quoted = "r." + _quote("f_" + c)
            sources[c] = (
                f"CASE WHEN {quoted} IS NULL THEN NULL WHEN {quoted} THEN json('true') "
                f"ELSE json('false') END"
                if c in bools
                else quoted
            )
        # A customer's personal fields are sealed under their key (specialops.sealing): the
        # keys of all the file's records are read at once, and those made here are staged
        # for the publish to store with the entries they seal.
        personal = sealing.personal_fields(self.spec.name) & set(cols)
        owner = f"CASE r.op WHEN 'insert' THEN {self.new_id} ELSE r.target_id END"
        before, after = "r.before", "r.after"
        changed = "r.op IN ('insert', 'update')"
        if personal:
            owners = [o for (o,) in self._sql(f"SELECT {owner} FROM imp_rows r WHERE {changed}")]
            with self.store.engine.connect() as keys:
                ring = sealing.ring(keys, owners)
            made = ring.add_missing(owners)
            self._sql("CREATE TABLE IF NOT EXISTS imp.imp_keys (customer_id PRIMARY KEY, key)")
            self._sql("DELETE FROM imp_keys")
            self.raw.executemany("INSERT INTO imp_keys VALUES (?, ?)", made.items())
            self.snapshot["keys"] = len(made)
            self.raw.create_function(
                "specialops_seal_json", 2, lambda o, text: ring.seal_json(o, personal, text)
            )
            self._seal_inserts(ring, sorted(personal), sources)
            before = "specialops_seal_json(r.target_id, r.before)"
            after = "specialops_seal_json(r.target_id, r.after)"
        sealed_join = "LEFT JOIN imp_sealed s ON s.line = r.line" if personal else ""
        ordered = sorted(names)
        pairs = ", ".join(f"'{n}', {sources[n]}" for n in ordered)
        given = list(self.defaults)
        ordered_params = [params[given.index(n)] for n in ordered if sources[n] == "?"]
        code = "r." + _quote("f_" + self.key_col)
        # The entry of each record, stored once: the publish copies it.
        try:
            self._sql(
                "INSERT INTO imp_audit (seq, action, record_id, code, before, after) "
                f"SELECT r.line, r.op, {owner}, {code}, CASE r.op WHEN 'update' THEN {before} "
                f"END, CASE r.op WHEN 'insert' THEN json_object({pairs}) ELSE {after} END "
                f"FROM imp_rows r {sealed_join} "
                f"WHERE {changed} ORDER BY r.line",
                ordered_params,
            )
        finally:
            if personal:
                self.raw.create_function("specialops_seal_json", 2, None)
        # Then their hashes, in the order the publish writes them: chunk by chunk.
        self.entry_text = _entry_format(*common)

        self.chunks = self._chunk_ranges()
        chain = _Chain(head, self.entry_text)
        for lo, hi in self.chunks:
            self._link(chain, lo, hi)

    def _chunk_ranges(self) -> list[tuple[int, int]]:
        """The line ranges of the records to write, :data:`PUBLISH_CHUNK` each, the last
        lines first: the first chunk holds the highest new ids, so that a record someone
        else adds meanwhile is numbered above every id the import has planned."""
        # The server writes the whole import in one transaction: one chunk.
        size = PUBLISH_CHUNK if self.server is None else 1 << 62
        found = self._sql(
            "SELECT min(line), max(line) FROM (SELECT line, (row_number() OVER "
            "(ORDER BY line DESC) - 1) / ? AS k FROM imp_rows WHERE op IN ('insert', 'update')) "
            "GROUP BY k ORDER BY k",
            (size,),
        ).fetchall()
        return [(int(lo), int(hi)) for lo, hi in found]

    def _link(self, chain: _Chain, lo: int, hi: int) -> None:
        """Chain the entries of lines ``lo``–``hi`` after ``chain``'s last hash, in order."""
        chain.seq = -1
        self._sql("DELETE FROM imp_links WHERE seq BETWEEN ? AND ?", (lo, hi))
        self.raw.create_function("specialops_chain", 6, chain)
        try:
            self._sql(
                "INSERT INTO imp_links (seq, link) SELECT seq, specialops_chain(seq, "
                "CAST(action AS BLOB), CAST(after AS BLOB), CAST(before AS BLOB), "
                "CAST(json_quote(code) AS BLOB), record_id) FROM imp_audit "
                "WHERE seq BETWEEN ? AND ? ORDER BY seq",
                (lo, hi),
            )
        finally:
            self.raw.create_function("specialops_chain", 6, None)
        if chain.out_of_order:
            raise RuntimeError("the audit chain was built out of file order")

    def _seal_inserts(
        self, ring: sealing.KeyRing, personal: list[str], sources: dict[str, str]
    ) -> None:
        """Seal the personal values of the new records in one pass (``imp_sealed``), and
        point their audit entries at the sealed values."""
        names = ", ".join(_quote(c) for c in personal)
        self._sql("DROP TABLE IF EXISTS imp.imp_sealed")
        self._sql(f"CREATE TABLE imp.imp_sealed (line INTEGER PRIMARY KEY, {names})")
        staged = ", ".join("r." + _quote("f_" + c) for c in personal)
        rows = self.raw.execute(
            f"SELECT r.line, {self.new_id}, {staged} FROM imp_rows r WHERE r.op = 'insert'"
        )
        marks = ", ".join("?" for _ in range(len(personal) + 1))
        self.raw.executemany(
            f"INSERT INTO imp_sealed VALUES ({marks})", ring.seal_rows(personal, rows)
        )
        for c in personal:
            sources[c] = "s." + _quote(c)

    def _plan_update_after(self, bools: set[str]) -> None:
        """The ``after`` of each update: its changed fields with their new values."""
        cols = self.columns
        at = {c: i for i, c in enumerate(cols)}
        selected = ", ".join(_quote("f_" + c) for c in cols)
        last = -1
        while rows := self._sql(
            f"SELECT line, changed, {selected} FROM imp_rows WHERE op = 'update' AND line > ? "
            f"ORDER BY line LIMIT {STAGE_CHUNK}",
            (last,),
        ).fetchall():
            found = []
            for row in rows:
                after = {}
                for c in json.loads(row[1]):
                    value = row[2 + at[c]]
                    after[c] = bool(value) if c in bools and value is not None else value
                found.append((audit.dump(after), row[0]))
            self.raw.executemany("UPDATE imp_rows SET after = ? WHERE line = ?", found)
            last = rows[-1][0]

    # -- 4. publish ----------------------------------------------------------

    def publish(self) -> float:
        """Write the plan, one short transaction per chunk; return the longest lock hold.

        Each chunk checks that what it writes over is as planned and chains its audit
        entries after whatever the log ends with by then, so colleagues' writes between
        chunks cost nothing. An import of several chunks keeps a journal in the database
        while it is published (:mod:`specialops.io.unfinished`): should a chunk fail, or
        the process die, the chunks already written are undone.
        """
        from specialops.io import unfinished

        if self.server is not None:
            return float(self.server.publish())
        chunks = self.chunks
        self.has_inserts = bool(
            self._sql("SELECT 1 FROM imp_rows WHERE op = 'insert' LIMIT 1").fetchone()
        )
        self.last_head_id = 0
        journal = (
            unfinished.Journal(self.store, self.spec, self.actor, self.batch, len(chunks))
            if len(chunks) > 1
            else None
        )
        longest = 0.0
        self.per_record = 0.0  # seconds of lock per record, as the last part took
        total = sum(self.counts()[op] for op in ("insert", "update"))
        written = 0
        self.log("publishing")
        try:
            for k, (ranges, last) in enumerate(self._parts()):
                if journal:
                    if k:
                        time.sleep(CHUNK_PAUSE)
                    self.log(f"publishing part {k + 1} ({written:,} of {total:,} records written)")
                started = time.perf_counter()
                count = self._publish_part(k, ranges, journal, last=last)
                held = time.perf_counter() - started
                longest = max(longest, held)
                self.per_record = held / max(count, 1)
                written += count
                if journal:
                    journal.written = True
        except BaseException as error:
            if journal and journal.written:
                self.log("undoing the parts already written")
                journal.undo(reason=_failure(error))
            if isinstance(error, Exception) and from_the_database(error):
                raise translate(error) from error
            raise
        finally:
            if journal:
                journal.close()
        return longest

    def _parts(self) -> Iterator[tuple[list[tuple[int, int]], bool]]:
        """What each transaction writes: some planned chunks (their line ranges, in the
        order planned), and whether it is the last.

        The first part is the first chunk alone: it holds the highest new ids, and its
        time tells what the next parts can hold: as many chunks as fit in about
        :data:`PART_SECONDS` of lock, at most :data:`MAX_CHUNKS_PER_PART`. A chunk too slow
        for that alone (a table's indexes grow slower to update as it grows) is cut in
        parts, which keep its planned chain since they go in the order of its lines.
        """
        chunks = self.chunks
        yield [chunks[0]], len(chunks) == 1
        k = 1
        while k < len(chunks):
            per_chunk = self.per_record * PUBLISH_CHUNK
            if per_chunk > PART_SECONDS:
                yield from self._cut(chunks[k], last=k == len(chunks) - 1)
                k += 1
                continue
            fit = int(PART_SECONDS / per_chunk) if per_chunk > 0 else MAX_CHUNKS_PER_PART
            group = chunks[k : k + max(1, min(fit, MAX_CHUNKS_PER_PART))]
            k += len(group)
            yield group, k >= len(chunks)

    def _cut(
        self, chunk: tuple[int, int], *, last: bool
    ) -> Iterator[tuple[list[tuple[int, int]], bool]]:
        """One chunk in parts of about :data:`PART_SECONDS` of lock, in the order of its lines."""
        lines = [
            line
            for (line,) in self._sql(
                "SELECT line FROM imp_rows WHERE op IN ('insert', 'update') "
                "AND line BETWEEN ? AND ? ORDER BY line",
                chunk,
            )
        ]
        at = 0
        while at < len(lines):
            size = max(MIN_PART, int(PART_SECONDS / self.per_record))
            part = lines[at : at + size]
            at += len(part)
            yield [(part[0], part[-1])], last and at >= len(lines)

    def _publish_part(
        self, k: int, ranges: list[tuple[int, int]], journal: Any, *, last: bool
    ) -> int:
        """Write the records of the line ``ranges`` in one transaction; how many."""
        assert self.conn is not None
        run = self.conn.exec_driver_sql
        first = k == 0
        # The ranges follow one another downwards: together they cover one span of lines.
        span = (ranges[-1][0], ranges[0][1])
        with self.conn.begin():
            head = run("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").scalar()
            head = head or audit.GENESIS
            if first:
                self._check_first(run)
            elif self.spec.governor is not None:
                self._check_governed(run, self.last_head_id)
            self._check_versions(run, "op = 'update' AND r.line BETWEEN ? AND ?", span)
            lo, hi = ranges[0]
            planned = self._sql(
                "SELECT lower(hex(substr(link, 1, 32))) FROM imp_links WHERE seq = ? "
                "OR seq BETWEEN ? AND ? ORDER BY seq LIMIT 1",
                (0 if first else lo, lo, hi),
            ).fetchone()[0]
            if head != planned:  # someone wrote since the plan (or since the last part)
                self._relink(first, ranges, head)
            for n, (lo, hi) in enumerate(ranges):
                if journal:
                    journal.record(self.conn, k, lo, hi, self)
                self._write(run, lo, hi, first and n == 0)
            if journal and last:
                journal.finish(self.conn)
            self.last_head_id = run("SELECT max(id) FROM audit_log").scalar() or 0
        return int(
            self._sql(
                "SELECT count(*) FROM imp_rows WHERE op IN ('insert', 'update') "
                "AND line BETWEEN ? AND ?",
                span,
            ).fetchone()[0]
        )

    def _check_first(self, run: Any) -> None:
        """What the whole plan rests on still holds: no record the file names has changed,
        no id it planned was taken, nothing a governed import's rules read was written."""
        snap = self.snapshot
        table = _quote(self.table_name)
        assert self.conn is not None
        if self.spec.governor is not None and self.governed_head is not None:
            self._check_governed(run, self.governed_head_id)
        if self.has_inserts:
            top = run(f"SELECT max(id) FROM main.{table}").scalar()
            if int(top or 0) != snap["max_id"]:
                raise _Stale
        self._check_versions(run, "op = 'unchanged'", ())
        if snap["prefix"] and (snap.get("given") or snap.get("allocated")):
            codes.bump_to_at_least(self.conn, snap["prefix"], snap["given"])
            if snap["allocated"]:
                first = codes.allocate(self.conn, snap["prefix"], snap["allocated"])
                if first != snap["first"]:
                    raise _Stale

    def _check_versions(self, run: Any, which: str, params: tuple[Any, ...]) -> None:
        """The records the rows ``which`` update (or leave) are still as they were read."""
        table = _quote(self.table_name)
        seen = run(f"SELECT count(*) FROM imp_rows r WHERE {which}", params).scalar()
        if seen:
            same = run(
                f"SELECT count(*) FROM imp_rows r JOIN main.{table} t ON t.id = r.target_id "
                f"WHERE {which} AND t.version = r.seen_version",
                params,
            ).scalar()
            if same != seen:
                raise _Stale

    def _check_governed(self, run: Any, since: int) -> None:
        """Nothing the governor's rules read was written after entry ``since``: the people
        and departments, and the records of this import (others' new records are fine)."""
        touched = run(
            "SELECT 1 FROM main.audit_log a WHERE a.id > ? AND (a.entity IN "
            "('users', 'departments', 'settings') OR (a.entity = ? AND a.record_id IN "
            "(SELECT target_id FROM imp_rows WHERE op IN ('update', 'unchanged')))) LIMIT 1",
            (since, self.spec.name),
        ).first()
        if touched:
            raise _Stale

    def _relink(self, first: bool, ranges: list[tuple[int, int]], head: str) -> None:
        """Chain the part's entries after ``head``: someone wrote since they were planned."""
        start = head
        if first:
            start = self.batch_hash(head)
            self._sql("UPDATE imp_links SET link = ? WHERE seq = 0", (bytes.fromhex(head + start),))
        chain = _Chain(start, self.entry_text)
        for lo, hi in ranges:
            self._link(chain, lo, hi)

    def _write(self, run: Any, lo: int, hi: int, first: bool) -> None:
        """Copy the chunk's staged rows and planned entries into the shared tables."""
        snap = self.snapshot
        table = _quote(self.table_name)
        cols = self.columns
        span = (lo, hi)
        stamp = (snap["at"], snap["at"], self.actor.username)
        extra = list(self.defaults)
        names = ", ".join(_quote(c) for c in [*cols, *extra])
        staged = ", ".join(_quote("f_" + c) for c in cols)
        fixed = "".join(", ?" for _ in extra)
        run(
            f"INSERT INTO main.{table} (id, {names}, version, created_at, updated_at, "
            f"updated_by) SELECT {self.new_id}, {staged}{fixed}, 1, ?, ?, ? "
            "FROM imp_rows r WHERE op = 'insert' AND r.line BETWEEN ? AND ?",
            (*self.defaults.values(), *stamp, *span),
        )
        kept = set(self.derived) - set(self.rederived)  # an update keeps the app's values
        sets = ", ".join(f"{_quote(c)} = r.{_quote('f_' + c)}" for c in cols if c not in kept)
        run(
            f"UPDATE main.{table} SET {sets}, version = version + 1, "
            "updated_at = ?, updated_by = ? FROM imp_rows r "
            f"WHERE r.op = 'update' AND r.line BETWEEN ? AND ? AND {table}.id = r.target_id",
            (*stamp[1:], *span),
        )
        at, username, real, entity, comment, batch = snap["audit_common"]
        into = (
            "INSERT INTO main.audit_log (at, username, real_username, action, "
            "record_id, code, before, after, entity, comment, batch, prev_hash, hash)"
        )
        run(
            f"{into} SELECT ?, ?, ?, a.action, a.record_id, a.code, a.before, a.after, "
            f"?, ?, ?, {_link_sql('l.link')} FROM imp_audit a JOIN imp_links l "
            "ON l.seq = a.seq WHERE a.seq BETWEEN ? AND ? OR (? AND a.seq = 0) ORDER BY a.seq",
            (at, username, real, entity, comment, batch, lo, hi, first),
        )
        if first and snap.get("keys"):  # the data keys the plan made (specialops.sealing)
            run(
                "INSERT INTO main.customer_keys (customer_id, key, created_at) SELECT "
                "customer_id, key, ? FROM imp_keys WHERE true ON CONFLICT (customer_id) "
                "DO UPDATE SET key = excluded.key, created_at = excluded.created_at "
                "WHERE customer_keys.key IS NULL",
                (snap["at"],),
            )

    # -- rejects -------------------------------------------------------------

    def messages(self, line: int) -> str:
        return "; ".join(self.by_line.get(line, ["rejected"]))


def _failure(error: BaseException) -> str:
    """Why a publish stopped, in a few words for the log."""
    if isinstance(error, _Stale):
        return "records it writes over changed meanwhile; it is prepared again"
    if isinstance(error, (KeyboardInterrupt, SystemExit)):
        return "it was interrupted"
    return f"it failed ({type(error).__name__}: {error})"[:300]


def _mapped_header(
    spec: EntitySpec, given: list[str], mapping: dict[str, str] | None = None
) -> list[str]:
    """The field each column gives: as ``mapping`` (``--map``) says, else by name or alias
    (``客戶編號`` → ``code``); a column that names no field keeps its text."""
    own = {entities.header_key(c): c for c in (REJECTS_ERROR_COLUMN, VERSION_COLUMN)}
    chosen = {entities.header_key(k): v for k, v in (mapping or {}).items()}
    return [
        chosen.get(entities.header_key(name))
        or spec.field_named(name)
        or own.get(entities.header_key(name), name)
        for name in given
    ]


def parse_mapping(text: str) -> dict[str, str]:
    """``--map 'source=field,…'`` as source column → field name."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        source, sep, target = part.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise UsageError(f"--map takes SOURCE=FIELD pairs separated by commas, not '{part}'")
        mapping[source.strip()] = target.strip()
    return mapping


def _checked_mapping(spec: EntitySpec, mapping: dict[str, str]) -> dict[str, str]:
    """``mapping`` with each target as the field it names (a name or an alias)."""
    checked = {}
    for source, target in mapping.items():
        named = spec.field_named(target)
        if named is None:
            raise UsageError(
                f"--map {source}={target}: {spec.name} have no field '{target}'; "
                f"fields: {', '.join(spec.columns)}"
            )
        checked[source] = named
    return checked


def _header_test(spec: EntitySpec, mapping: dict[str, str]) -> Callable[[list[str]], bool]:
    """Whether a row of a file is its header: most of its cells name a field (by name,
    alias or ``--map``), so title rows above it can be passed over."""
    mapped = {entities.header_key(k) for k in mapping}

    def is_header(cells: list[str]) -> bool:
        named = [c for c in cells if c and c.strip()]
        known = sum(1 for c in named if spec.field_named(c) or entities.header_key(c) in mapped)
        return bool(named) and known * 2 >= len(named)

    return is_header


@dataclass
class HeaderCheck:
    """What the header says: its problems, the columns ignored, the required fields a
    partial upsert leaves out (new rows then need them)."""

    problems: list[Problem]
    ignored: list[str]
    left_out: list[str]


def _check_header(
    spec: EntitySpec,
    header: list[str],
    given: list[str],
    upsert: bool,
    ignore_extra: bool = False,
    line: int = 1,
) -> HeaderCheck:
    """Check the mapped ``header`` (as :func:`_mapped_header` makes it from ``given``),
    found on ``line`` of the file."""
    problems: list[Problem] = []
    ignored: list[str] = []
    first: dict[str, str] = {}
    for name, original in zip(header, given, strict=True):
        if name in first:
            also = "" if first[name] == original else f" (as {first[name]!r} does)"
            problems.append(Problem(line, original, f"appears twice in the header{also}"))
            continue
        first[name] = original
        if name not in spec.by_name and name not in (REJECTS_ERROR_COLUMN, VERSION_COLUMN):
            if ignore_extra and name:
                ignored.append(original)
                continue
            problems.append(
                Problem(
                    line,
                    original or "(empty)",
                    f"unknown column; {spec.name} has: {', '.join(spec.columns)} "
                    "(or their Chinese names; --ignore-extra leaves other columns out)",
                )
            )
    left_out: list[str] = []
    for f in spec.fields:
        if spec.requires(f) and f.name not in first:
            if upsert and f.name != spec.key:
                left_out.append(f.name)  # a partial upsert: fine for the records it updates
            else:
                problems.append(Problem(line, f.name, "required column is missing"))
    if upsert and spec.key not in first and not any(p.column == spec.key for p in problems):
        problems.append(Problem(line, spec.key, "--upsert needs the key column"))
    return HeaderCheck(problems, ignored, left_out)


def import_file(
    store: Store,
    actor: Actor,
    entity: str,
    source: Path | IO[bytes],
    *,
    name: str | None = None,
    fmt: str = "auto",
    encoding: str = "auto",
    upsert: bool = False,
    dry_run: bool = False,
    on_error: str = "abort",
    rejects: Path | None = None,
    progress: Progress | None = None,
    log: Log | None = None,
    ignore_extra: bool = False,
    sheet: str | None = None,
    header_row: int | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportSummary:
    """Validate a file and, unless it is rejected or a dry run, write it in one transaction.

    Every problem is reported (``summary.errors``); with ``on_error="skip"``
    the good rows are written and the bad ones go to ``rejects``.
    """
    from specialops.io.formats import detect_format, open_reader
    from specialops.io.writers import unneutralise

    require(actor, "data.import")
    spec = entities.get(entity)
    if on_error not in ("abort", "skip"):
        raise UsageError("--on-error takes abort or skip")
    mapping = _checked_mapping(spec, mapping or {})
    say = log or (lambda _message: None)
    spooled: Path | None = None
    if isinstance(source, Path):
        if not source.is_file():
            raise UsageError(f"no file at {source}")
        path = source
    else:
        path = spooled = _spool(source)
    label = name or (str(source) if isinstance(source, Path) else "-")
    try:
        fmt = detect_format(label if label != "-" else None, None if fmt == "auto" else fmt)
        summary = ImportSummary(entity, label, fmt, dry_run=dry_run, checksum=_sha256(path))
        _rejects_format(rejects, fmt)  # a rejects file that cannot be written: said first
        read_as = {
            "sheet": sheet,
            "header_row": header_row,
            "is_header": _header_test(spec, mapping or {}),
        }
        reader = open_reader(path, fmt, encoding, **read_as)
        summary.format, summary.encoding = reader.format, reader.encoding
        given = [(c or "").strip() for c in reader.columns]
        header = _mapped_header(spec, given, mapping or {})
        # A bad header writes nothing, but the rows are still checked, so that
        # one run reports every problem of the file.
        checked = _check_header(spec, header, given, upsert, ignore_extra, reader.header_line)
        header_problems = checked.problems
        summary.errors = list(header_problems)
        summary.refused_whole = bool(header_problems)
        summary.ignored = checked.ignored
        known = [c for c in header if c in spec.by_name and c not in checked.ignored]
        undo = unneutralise if fmt in ("csv", "xlsx", "xls", "ods") else None
        job = _Import(
            store,
            actor,
            spec,
            known,
            summary,
            upsert=upsert,
            skip=on_error == "skip" and not header_problems,
            unneutralise=undo,
            log=say,
        )
        job.left_out = checked.left_out
        zone, which_zone = settings.database_zone(store)
        try:
            with reading_in(zone) as reading:
                _run(job, reader, header, summary, dry_run, progress, say, label)
        finally:
            job.close()
            summary.notes.extend(reader.notes)  # the totals row is found at the end
        if reading.naive:
            summary.notes.append(
                f"{reading.naive:,} {'time' if reading.naive == 1 else 'times'} without a time "
                f"zone {'was' if reading.naive == 1 else 'were'} read as {which_zone}"
            )
        summary.rejected = len(job.bad_lines)
        summary.errors.sort(key=lambda p: p.line)
        if header_problems:
            summary.inserted = summary.updated = summary.unchanged = 0
        if rejects is not None and job.bad_lines:
            _write_rejects(path, fmt, summary.encoding, read_as, given, job, rejects)
        return summary
    finally:
        if spooled is not None:
            spooled.unlink(missing_ok=True)


def _run(
    job: _Import,
    reader: Any,
    header: list[str],
    summary: ImportSummary,
    dry_run: bool,
    progress: Progress | None,
    say: Log,
    label: str,
) -> None:
    started = time.perf_counter()
    try:
        job.create_tables()
        rows = reader.cells()
        if VERSION_COLUMN in header:
            rows = job.versions.read(rows, header.index(VERSION_COLUMN))
        job.stage(rows, header, progress)
        say(f"validated {summary.rows} rows in {time.perf_counter() - started:.1f} s")
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            summary.attempts = attempt
            job.match()
            if (job.bad_lines or summary.errors) and not job.skip:
                return
            counts = job.counts()
            summary.inserted = counts["insert"]
            summary.updated = counts["update"]
            summary.unchanged = counts["unchanged"]
            if dry_run or not (summary.inserted or summary.updated):
                return
            summary.batch = uuid.uuid4().hex
            job.take_snapshot()
            job.batch = summary.batch
            job.plan(_batch_event(job, summary, label))
            try:
                summary.lock_seconds = job.publish()
            except _Stale:
                say("the database changed while preparing; preparing again")
                job.reset()
                continue
            summary.written = True
            say(f"published: write lock held {summary.lock_seconds:.2f} s")
            return
        raise DatabaseUnavailable(
            "the records kept changing while the import was prepared; nothing was written, "
            "try again in a quieter moment"
        )
    except Exception as error:
        if from_the_database(error):
            raise translate(error) from error
        raise
    finally:
        if (job.bad_lines or summary.errors) and not job.skip:
            # Aborted: nothing was (or, in a dry run, would be) written.
            summary.inserted = summary.updated = summary.unchanged = 0
        if not summary.written:
            summary.batch = None


def _batch_event(job: _Import, summary: ImportSummary, label: str) -> audit.Event:
    """The one audit entry describing the whole import."""
    return audit.Event(
        action="import",
        entity=job.spec.name,
        comment=f"import of {Path(label).name}",
        after={
            "file": Path(label).name,
            "sha256": summary.checksum,
            "format": summary.format,
            "encoding": summary.encoding,
            "rows": summary.rows,
            "inserted": summary.inserted,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": len(job.bad_lines),
        },
        batch=summary.batch,
    )


def _rejects_format(target: Path | None, fmt: str) -> str:
    """The format the rejects file is written in: its name's, else the input's (a workbook
    for an input that can only be read, such as .xls)."""
    from specialops.io.formats import EXTENSIONS, FORMATS

    if target is None:
        return fmt
    named = EXTENSIONS.get(target.suffix.lower())
    if named is not None and named not in FORMATS:
        raise UsageError(
            f"--rejects {target.name}: rejects are written as {', '.join(FORMATS)}; "
            "name the file .xlsx for a workbook"
        )
    chosen = named or fmt
    return chosen if chosen in FORMATS else "xlsx"


def _write_rejects(
    path: Path,
    fmt: str,
    encoding: str,
    read_as: dict[str, Any],
    header: list[str],
    job: _Import,
    target: Path,
) -> None:
    """Write the rejected rows, as they were, with an ``error`` column, in the format the
    rejects file's name says (else the input's).

    The file is written privately and put in place only when complete
    (:func:`specialops.private_files.writing`).
    """
    from specialops import private_files
    from specialops.io.formats import open_reader
    from specialops.io.writers import open_writer

    columns = [c for c in header if c != REJECTS_ERROR_COLUMN] + [REJECTS_ERROR_COLUMN]
    written = _rejects_format(target, fmt)  # rejects.xlsx is a workbook
    with private_files.writing(target, group_of=job.store.path) as part:
        writer = open_writer(part.stream, written, columns, neutralise=True)
        try:
            for row in open_reader(path, fmt, encoding, **read_as):
                if row.line in job.bad_lines:
                    values = {c: row.values.get(c) for c in columns[:-1]}
                    values[REJECTS_ERROR_COLUMN] = job.messages(row.line)
                    writer.write(values)
        finally:
            writer.close()
