"""Export of any registered entity (SPEC §9, §9.1).

An export reads plain tuples from the driver a block at a time, converts
only the columns whose text is not the stored value, and hands the blocks
to the writer, which writes a block straight through the csv module when no
cell could start a formula.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from specialops import audit, entities
from specialops.entities import EntitySpec, mask
from specialops.errors import PermissionDenied, UsageError
from specialops.identity import Actor
from specialops.io.convert import CellError, exporter, importer
from specialops.io.engine import STAGE_CHUNK, VERSION_COLUMN, Progress, load_refs
from specialops.permissions import can, require
from specialops.store.store import Store, translate


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


def _export_work(
    spec: EntitySpec, selected: list[Any], masked: set[str], dialect: Any
) -> list[tuple[int, Callable[[Any], Any]]]:
    """Per exported column that needs one: the function from stored value to written value.

    Compiled once per export: SQLAlchemy's result processor of the column (the
    driver's value as the model holds it), then the field's exporter, then
    the mask of personal data the actor may not see.
    """
    work: list[tuple[int, Callable[[Any], Any]]] = []
    for i, (f, column) in enumerate(zip(spec.fields, selected, strict=True)):
        steps: list[Callable[[Any], Any]] = []
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            steps.append(processor)
        # Text-like fields are written as stored; the others through their exporter.
        if f.kind not in ("text", "email", "choice", "ref"):
            steps.append(exporter(f))
        if f.name in masked:
            steps.append(entities.mask)
        if steps:
            work.append((i, _compose(steps)))
    return work


def _compose(steps: list[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    if len(steps) == 1:
        return steps[0]

    def run(value: Any) -> Any:
        for step in steps:
            value = step(value)
        return value

    return run


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
    complete (:func:`specialops.private_files.writing`).
    """
    from contextlib import nullcontext

    from specialops import private_files
    from specialops.io.formats import detect_format
    from specialops.io.writers import open_writer

    require(actor, "data.export")
    spec = entities.get(entity)
    label = name or (str(target) if isinstance(target, Path) else "-")
    fmt = detect_format(label if label != "-" else None, fmt) if fmt or label != "-" else "csv"
    reveal = can(actor, spec.reveal_action)
    masked = set() if reveal else set(spec.pii_fields)
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
    work = _export_work(spec, selected, masked, store.engine.dialect)
    selected.append(table.c.version)
    statement = select(*selected).select_from(table)
    for other, on in joins:
        statement = statement.outerjoin(other, on)
    for condition in _where(spec, store, where or [], masked):
        statement = statement.where(condition)
    statement = statement.order_by(table.c.id)
    summary = ExportSummary(entity, label, fmt, masked=sorted(masked))
    private = isinstance(target, Path)
    with private_files.writing(target, group_of=store.path) if private else nullcontext() as part:
        columns = [*spec.columns, VERSION_COLUMN]
        out = open_writer(part.stream if part else target, fmt, columns, neutralise=True)
        count = 0
        try:
            with store.engine.connect() as conn:
                result = conn.execute(statement)
                # Plain tuples straight from the driver, a block at a time; the few
                # columns whose text is not the stored value are converted per column.
                cursor = result.cursor
                try:
                    while rows := cursor.fetchmany(STAGE_CHUNK):
                        if work:
                            columns = list(zip(*rows, strict=True))
                            for i, convert in work:
                                columns[i] = tuple(map(convert, columns[i]))
                            rows = list(zip(*columns, strict=True))
                        out.write_rows(rows)
                        count += len(rows)
                        if progress:
                            progress(count)
                finally:
                    result.close()
        except Exception as error:
            from sqlalchemy import exc

            if isinstance(error, exc.DBAPIError) or type(error).__module__ == "sqlite3":
                raise translate(error) from error
            raise
        finally:
            out.close()
        summary.rows = count
        revealed = [f for f in spec.pii_fields if f not in masked]
        # Audited before the file is in place: no export with personal data goes unlogged.
        if revealed and count:
            with store.connect_write() as conn:
                audit.append(
                    conn,
                    actor,
                    [
                        audit.Event(
                            action="export",
                            entity=spec.name,
                            comment=(
                                f"export of {count} records with personal data "
                                f"({', '.join(revealed)}) to {Path(label).name}"
                            ),
                            after={
                                "rows": count,
                                "fields": revealed,
                                "where": _where_for_the_log(spec, where or []),
                            },
                        )
                    ],
                )
    return summary


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
