"""Export of any registered entity (SPEC §9, §9.1).

An export reads plain tuples from the driver a block at a time, converts
only the columns whose written value is not the stored value, and hands the
blocks to the writer, which writes a block straight through the csv module
when no cell could start a formula.

CSV holds text. JSON, JSONL and XLSX hold typed values: integers and booleans
as they are, money and decimals as exact numbers (a workbook's money cells
formatted ``#,##0.00``), dates as dates (ISO text in JSON). Date-times are ISO
8601 text with their offset in every format: the database names no zone of its
own, and an Excel date-time has none, so only the text reads back as the same
moment wherever it is imported (to the microsecond).

Nothing half-written is ever left: a file is written privately beside its
target and put in place only when complete, and standard output is given an
export only once it is complete (until then it is spooled to a private file).
A value the format cannot hold stops the export, naming the record and the
column. An export that shows personal data is audited, and so is one that
stops part-way after writing some of it.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import aliased

from specialops import audit, entities, private_files
from specialops.entities import EntitySpec, FieldSpec, mask
from specialops.errors import PermissionDenied, SpecialopsError, UsageError, ValidationError
from specialops.identity import Actor
from specialops.io.convert import CellError, exporter, importer
from specialops.io.engine import STAGE_CHUNK, VERSION_COLUMN, Progress, load_refs
from specialops.io.writers import CellRefused, Writer
from specialops.permissions import can, require
from specialops.store.store import Store, from_the_database, translate


@dataclass
class ExportSummary:
    entity: str
    file: str
    format: str
    rows: int = 0
    masked: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "masked": self.masked,
        }


def _where(spec: EntitySpec, store: Store, clauses: list[str], masked: set[str]) -> list[Any]:
    """``FIELD=VALUE`` filters, values read as import reads them."""
    conditions = []
    for clause in clauses:
        name, sep, raw = clause.partition("=")
        name = name.strip()
        if not sep or name not in spec.by_name:
            raise UsageError(
                f"--where takes FIELD=VALUE with FIELD one of: {', '.join(spec.columns)}"
            )
        f = spec.by_name[name]
        if name in masked:
            raise PermissionDenied(f"filtering by {name} needs the right to see personal data")
        refs = load_refs(store, f) if f.kind == "ref" else None
        try:
            value = importer(f, refs=refs, required=False)(raw)
        except CellError as error:
            raise UsageError(f"--where {name}: {error}") from None
        column = spec.model.__table__.c[f.column]  # type: ignore[attr-defined]
        conditions.append(column.is_(None) if value is None else column == value)
    return conditions


_TEXT_KINDS = frozenset({"text", "email", "choice", "ref"})
# Column widths of a workbook, by field kind (in characters of the default font).
_WIDTHS = {
    "text": 24,
    "email": 28,
    "choice": 14,
    "ref": 14,
    "int": 10,
    "percent": 10,
    "decimal": 14,
    "money": 16,
    "date": 12,
    "datetime": 27,
    "bool": 8,
}


def _typed(f: FieldSpec) -> Callable[[Any], Any] | None:
    """Stored value → what a typed format (JSON, JSONL, XLSX) is given; None: as stored.

    Money (minor units) and decimals become exact Decimals, date-times their
    ISO 8601 text in local time (as CSV writes them); integers, booleans, dates
    and text are given as they are stored.
    """
    if f.kind == "money":
        exponent = -f.scale
        return lambda value: None if value is None else Decimal(int(value)).scaleb(exponent)
    if f.kind == "decimal":
        return lambda value: None if value is None else Decimal(str(value))
    if f.kind == "datetime":
        return exporter(f)
    return None


def _converter(f: FieldSpec, *, typed: bool) -> Callable[[Any], Any] | None:
    """Stored value → written value of one field; None: written as stored."""
    if typed:
        return _typed(f)
    return None if f.kind in _TEXT_KINDS else exporter(f)


def _export_work(
    spec: EntitySpec, selected: list[Any], masked: set[str], dialect: Any, *, typed: bool
) -> list[tuple[int, Callable[[Any], Any]]]:
    """Per exported column that needs one: the function from stored value to written value.

    Compiled once per export: SQLAlchemy's result processor of the column (the
    driver's value as the model holds it), then the field's exporter (text,
    for CSV) or :func:`_typed` (for the typed formats), then the mask of
    personal data the actor may not see.
    """
    work: list[tuple[int, Callable[[Any], Any]]] = []
    for i, (f, column) in enumerate(zip(spec.fields, selected, strict=True)):
        steps: list[Callable[[Any], Any]] = []
        processor = _result_processor(column, dialect)
        if processor is not None:
            steps.append(processor)
        convert = _converter(f, typed=typed)
        if convert is not None:
            steps.append(convert)
        if f.name in masked:
            steps.append(entities.mask)
        if steps:
            work.append((i, _compose(steps)))
    return work


def _result_processor(column: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """How the driver's value of ``column`` becomes the model's; ``None`` when it already is
    (PostgreSQL's numbers need the driver's type code to choose, and come as Decimals)."""
    try:
        return column.type.dialect_impl(dialect).result_processor(dialect, None)
    except TypeError:
        return None


def _compose(steps: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    if len(steps) == 1:
        return steps[0]

    def run(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return run


def _sheet_layout(spec: EntitySpec) -> tuple[dict[str, str], dict[str, float]]:
    """A workbook's number formats and column widths, by column."""
    formats: dict[str, str] = {}
    widths: dict[str, float] = {VERSION_COLUMN: 9}
    for f in spec.fields:
        if f.kind == "money":
            formats[f.name] = "#,##0" + ("." + "0" * f.scale if f.scale else "")
        elif f.kind == "date":
            formats[f.name] = "yyyy-mm-dd"
        widths[f.name] = max(_WIDTHS[f.kind], len(f.name) + 3)
    return formats, widths


def _statement(
    spec: EntitySpec, store: Store, where: list[str], masked: set[str]
) -> tuple[Any, list[Any]]:
    """The query of the export (fields in order, then the version) and its field columns."""
    table = spec.model.__table__  # type: ignore[attr-defined]
    selected: list[Any] = []
    joins: list[tuple[Any, Any]] = []
    for f in spec.fields:
        if f.kind == "ref":
            target_spec = entities.get(f.ref or "")
            other = aliased(target_spec.model, name=f"ref_{f.name}")
            key = getattr(other, target_spec.key_field.column)
            selected.append(key)
            joins.append((other, table.c[f.column] == other.id))  # type: ignore[attr-defined]
        else:
            selected.append(table.c[f.column])
    statement = select(*selected, table.c.version).select_from(table)
    for other, on in joins:
        statement = statement.outerjoin(other, on)
    for condition in _where(spec, store, where, masked):
        statement = statement.where(condition)
    return statement.order_by(table.c.id), selected


@contextmanager
def _destination(target: Path | IO[bytes], store: Store) -> Iterator[tuple[BinaryIO, Path]]:
    """The stream an export writes, and the folder for its scratch files.

    A file is written privately beside ``target`` and put in place once complete
    (:func:`specialops.private_files.writing`). Standard output is given the
    export only once it is complete: until then it is spooled to a private file,
    so that an export that fails sends nothing at all.
    """
    if isinstance(target, Path):
        with private_files.writing(target, group_of=store.path) as part:
            yield part.stream, part.path.parent
        return
    folder = Path(tempfile.gettempdir())
    with private_files.scratch(folder, "export") as path, path.open("w+b") as spool:
        yield spool, folder
        spool.seek(0)
        shutil.copyfileobj(spool, target, 1 << 20)
        target.flush()


@contextmanager
def _sheet_scratch(fmt: str, folder: Path, name: str) -> Iterator[Path | None]:
    """For a workbook, a private file beside it to hold its sheet while it is written.

    openpyxl would otherwise make its own in the temporary folder, where a
    killed export would leave the records it had written.
    """
    if fmt != "xlsx":
        yield None
        return
    with private_files.scratch(folder, f"{name}-sheet") as path:
        yield path


def _outcome(target: Path | IO[bytes]) -> str:
    """What became of the target when an export fails."""
    if not isinstance(target, Path):
        return "nothing was written to standard output"
    return "the existing file is unchanged" if target.exists() else "nothing was written"


def _write_rows(
    store: Store,
    statement: Any,
    work: list[tuple[int, Callable[[Any], Any]]],
    out: Writer,
    key: int,
    progress: Progress | None,
) -> None:
    """Stream the rows of ``statement`` to ``out``; a value it refuses names its record.

    Plain tuples straight from the driver, a block at a time; the few columns
    whose written value is not the stored value are converted per column.
    """
    with store.engine.connect() as conn:
        result = conn.execute(statement)
        cursor = result.cursor
        try:
            while rows := cursor.fetchmany(STAGE_CHUNK):
                if work:
                    columns = list(zip(*rows, strict=True))
                    for i, convert in work:
                        columns[i] = tuple(map(convert, columns[i]))
                    rows = list(zip(*columns, strict=True))
                before = out.written
                try:
                    out.write_rows(rows)
                except CellRefused as error:
                    error.record = rows[error.row - before][key]
                    raise
                if progress:
                    progress(out.written)
        finally:
            result.close()


def export_entity(
    store: Store,
    actor: Actor,
    entity: str,
    target: Path | IO[bytes],
    *,
    fmt: str | None = None,
    where: list[str] | None = None,
    name: str | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Stream every (matching) record to ``target`` in a format import reads back.

    A file is written privately beside ``target`` and put in place only when
    complete; standard output gets the export only when it is complete
    (:func:`_destination`). A value the format cannot hold raises
    :class:`~specialops.errors.ValidationError` naming the record and column.
    """
    from specialops.io.formats import detect_format
    from specialops.io.writers import open_writer

    require(actor, "data.export")
    spec = entities.get(entity)
    label = name or (str(target) if isinstance(target, Path) else "-")
    fmt = detect_format(label if label != "-" else None, fmt) if fmt or label != "-" else "csv"
    reveal = can(actor, spec.reveal_action)
    masked = set() if reveal else set(spec.pii_fields)
    statement, selected = _statement(spec, store, where or [], masked)
    work = _export_work(spec, selected, masked, store.engine.dialect, typed=fmt != "csv")
    summary = ExportSummary(entity, label, fmt, masked=sorted(masked))
    revealed = [f for f in spec.pii_fields if f not in masked]
    record = _ExportRecord(store, actor, spec, label, revealed, where or [])
    outcome = _outcome(target)
    formats, widths = _sheet_layout(spec)
    out: Writer | None = None
    try:
        with (
            _destination(target, store) as (stream, folder),
            _sheet_scratch(fmt, folder, "export" if label == "-" else Path(label).name) as sheet,
        ):
            out = open_writer(
                stream,
                fmt,
                [*spec.columns, VERSION_COLUMN],
                neutralise=True,
                title=spec.name,
                number_formats=formats,
                widths=widths,
                scratch=sheet,
            )
            try:
                _write_rows(store, statement, work, out, spec.columns.index(spec.key), progress)
                out.close()
            except BaseException:
                out.abort()
                raise
            summary.rows = out.written
            # Audited before the file is in place: no export with personal data goes unlogged.
            if revealed and summary.rows:
                record.done(summary.rows)
    except CellRefused as error:
        record.failed(out.written if out else 0, error)
        raise ValidationError(f"{error.record}, {error}; {outcome}", field=error.column) from None
    except BaseException as error:
        record.failed(out.written if out else 0, error)
        if isinstance(error, Exception) and from_the_database(error):
            raise translate(error) from error
        raise
    return summary


@dataclass
class _ExportRecord:
    """The audit log's entries of one export that shows personal data (``revealed``)."""

    store: Store
    actor: Actor
    spec: EntitySpec
    label: str
    revealed: list[str]
    where: list[str]

    def done(self, rows: int) -> None:
        """Log a complete export."""
        fields = ", ".join(self.revealed)
        self._append(
            f"export of {rows} records with personal data ({fields}) to {Path(self.label).name}",
            {"rows": rows},
        )

    def failed(self, rows: int, error: BaseException) -> None:
        """Log an export that stopped after writing ``rows`` records with personal data.

        Best effort: the export's own error is what the caller reports.
        """
        if not self.revealed or not rows:
            return
        reason = _reason(error)
        fields = ", ".join(self.revealed)
        with suppress(Exception):
            self._append(
                f"failed export of {self.spec.name} with personal data ({fields}) to "
                f"{Path(self.label).name}: stopped after {rows} records ({reason}); "
                "the file was not kept",
                {"rows": rows, "failed": reason},
            )

    def _append(self, comment: str, details: dict[str, Any]) -> None:
        after = {
            **details,
            "fields": self.revealed,
            "where": _where_for_the_log(self.spec, self.where),
        }
        with self.store.connect_write() as conn:
            event = audit.Event(
                action="export", entity=self.spec.name, comment=comment, after=after
            )
            audit.append(conn, self.actor, [event])


def _reason(error: BaseException) -> str:
    """Why an export stopped, in words for the audit log."""
    if isinstance(error, CellRefused):
        return f"{error.record}, {error}"
    if isinstance(error, SpecialopsError):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, SystemExit):
        return "stopped by a signal"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _where_for_the_log(spec: EntitySpec, where: list[str]) -> list[str]:
    """The filters as the audit log keeps them: a personal field's value masked, since the
    log outlives any one customer's data (and their erasure)."""
    personal = set(spec.pii_fields)
    kept = []
    for condition in where:
        name, sep, value = condition.partition("=")
        kept.append(f"{name}={mask(value)}" if sep and name.strip() in personal else condition)
    return kept


def stdout_target(fmt: str = "csv") -> IO[bytes]:
    """Where ``-o -`` writes.

    On a terminal the text is shown with its controls made visible
    (:mod:`specialops.io.terminal_stream`), and a workbook is refused. When
    standard output is a file the shell has just created for it (empty, this
    login's, as ``> out.csv`` makes it) with access for every user, that access
    is taken away: an export is never left readable by other users.
    """
    import os
    import stat

    stream = sys.stdout.buffer
    if stream.isatty():
        if fmt == "xlsx":
            raise UsageError("a workbook is not for a terminal: name a file with -o, or redirect")
        from specialops.io.terminal_stream import TerminalSafe

        return TerminalSafe(stream)  # type: ignore[return-value]
    try:
        fd = stream.fileno()
        info = os.fstat(fd)
        if (
            stat.S_ISREG(info.st_mode)
            and info.st_size == 0
            and info.st_uid == os.geteuid()
            and info.st_mode & 0o007
        ):
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & ~0o007)
    except (OSError, ValueError):
        pass  # not a file descriptor, or not ours to change: write as it is
    return stream
