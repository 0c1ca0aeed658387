"""``specialops import``, ``export`` and ``schema``: the headless data contract (SPEC §9).

Messages go to stderr, data and summaries to stdout; a progress bar is
shown only when stderr is a terminal; nothing ever prompts.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from specialops.cli.common import JsonFlag
from specialops.cli.output import echo, emit_json, say, table
from specialops.errors import EXIT_REJECTED, SpecialopsError, UsageError


class _Bar:
    """Rows and rate on the bar; ``phase`` names the step after the rows are read."""

    def __init__(self, bar: Any, task: Any, what: str) -> None:
        self.bar, self.task, self.what = bar, task, what

    def __call__(self, done: int) -> None:
        elapsed = self.bar.tasks[0].elapsed or 0
        rate = f"{done / elapsed:,.0f} rows/s" if elapsed > 0 else ""
        self.bar.update(self.task, completed=done, rate=rate)

    def phase(self, text: str) -> None:
        self.bar.update(self.task, description=f"{self.what}: {text}")
        self.bar.refresh()  # at once: a step may take less than a refresh period


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[_Bar | None]:
    """A Rich progress bar on stderr (rows and rate), only on a terminal."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield _Bar(bar, bar.add_task(what, total=None, rate=""), what)


def _context() -> Any:
    from specialops.cli.common import context

    return context()


@contextmanager
def _refusal_as_json(entity: str, file: str, dry_run: bool) -> Iterator[None]:
    """With ``--json``, a file refused as a whole still prints its summary (then fails)."""
    try:
        yield
    except SpecialopsError as error:
        from specialops.io.engine import ImportSummary, Problem

        line, column = getattr(error, "line", None), getattr(error, "column", None)
        reason = getattr(error, "reason", None) or str(error)
        refused = ImportSummary(
            entity, file, dry_run=dry_run, errors=[Problem(line or 0, column, reason)]
        )
        summary = refused.as_json()
        summary["errors"][0]["line"] = line  # None: the file as a whole, no one line of it
        emit_json(summary)
        raise


def import_command(
    entity: Annotated[str, typer.Argument(help="What to import: customers, users, …")],
    file: Annotated[str, typer.Argument(help="The file to read, or - for standard input.")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="auto (by extension), csv, json, jsonl, xlsx, xls, ods."),
    ] = "auto",
    encoding: Annotated[
        str, typer.Option("--encoding", help="auto, or a name such as utf-8, gb18030, big5.")
    ] = "auto",
    upsert: Annotated[
        bool, typer.Option("--upsert", help="Update records whose key exists, insert the rest.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error", help="abort: a bad row writes nothing; skip: write the good rows."
        ),
    ] = "abort",
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Write rejected rows here, with an 'error' column."),
    ] = None,
    ignore_extra: Annotated[
        bool,
        typer.Option(
            "--ignore-extra", help="Leave out columns that name no field (they are listed)."
        ),
    ] = False,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="The workbook's sheet to read, by name or number (1 first)."),
    ] = None,
    header_row: Annotated[
        int | None,
        typer.Option(
            "--header-row", min=1, help="The row holding the column names (found if not given)."
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="SOURCE=FIELD[,…]: read column SOURCE as FIELD."),
    ] = None,
    as_json: JsonFlag = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Report each step on stderr.")] = False,
) -> None:
    """Import records from CSV, JSON, JSONL, XLSX, XLS or ODS in one transaction."""
    from specialops.io.engine import import_file, parse_mapping

    if on_error not in ("abort", "skip"):
        raise UsageError("--on-error takes abort or skip")
    source: Path | Any = sys.stdin.buffer if file == "-" else Path(file)
    c = _context()
    try:
        with (
            _refusal_as_json(entity, file, dry_run) if as_json else nullcontext(),
            _progress(sys.stderr.isatty() and not verbose, f"importing {entity}") as progress,
        ):
            summary = import_file(
                c.store,
                c.actor,
                entity,
                source,
                name=file,
                fmt=fmt,
                encoding=encoding,
                upsert=upsert,
                dry_run=dry_run,
                on_error=on_error,
                rejects=rejects,
                progress=progress,
                ignore_extra=ignore_extra,
                sheet=sheet,
                header_row=header_row,
                mapping={k: v for text in mapping or [] for k, v in parse_mapping(text).items()},
                log=(
                    (lambda line: say(f"specialops: {line}"))
                    if verbose
                    else (progress.phase if progress else None)
                ),
            )
        if summary.ignored:
            say(f"specialops: columns left out: {', '.join(summary.ignored)}", single_line=True)
        for note in summary.notes:
            say(f"specialops: note: {note}", single_line=True)
        for problem in summary.errors:
            say(str(problem), single_line=True)  # a problem quotes the bad cell
        if summary.unlisted_errors:
            say(f"… and {summary.unlisted_errors} more problems")
        if as_json:
            emit_json(summary.as_json())
        else:
            echo(_import_line(summary), flush=True)
        if summary.written:
            c.store.checkpoint()
    finally:
        c.close()
    if not summary.ok and (on_error == "abort" or summary.refused_whole):
        raise typer.Exit(EXIT_REJECTED)


def _import_line(summary: Any) -> str:
    where = f"{summary.file} ({summary.format}"
    where += f", {summary.encoding})" if summary.encoding else ")"
    counts = (
        f"{summary.rows} rows: {summary.inserted} inserted, {summary.updated} updated, "
        f"{summary.unchanged} unchanged, {summary.rejected} rejected"
    )
    if summary.dry_run:
        verdict = "dry run, nothing written"
    elif not summary.ok and not summary.written:
        verdict = "nothing written"
    else:
        verdict = f"batch {summary.batch}" if summary.batch else "nothing to change"
    return f"{summary.entity} from {where}: {counts}; {verdict}"


def export_command(
    entity: Annotated[str, typer.Argument(help="What to export: customers, users, …")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, json, jsonl or xlsx (default: from -o, else csv)."),
    ] = None,
    output: Annotated[
        str, typer.Option("-o", "--output", help="File to write, or - for standard output.")
    ] = "-",
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="FIELD=VALUE filter; repeat to combine (all must hold)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Export records in a format that import reads back (cells safe for spreadsheets)."""
    from specialops.io.export import export_entity, stdout_target
    from specialops.io.formats import detect_format

    if as_json and output == "-":
        raise UsageError(
            "--json prints a summary on standard output; give the data a file: -o FILE"
        )
    target: Path | Any = stdout_target(detect_format("-", fmt)) if output == "-" else Path(output)
    c = _context()
    try:
        with _progress(sys.stderr.isatty(), f"exporting {entity}") as progress:
            summary = export_entity(
                c.store,
                c.actor,
                entity,
                target,
                fmt=fmt,
                where=list(where or []),
                name=output,
                progress=progress,
            )
    finally:
        c.close()
    if as_json:
        emit_json(summary.as_json())
    elif output != "-":
        note = f" (masked: {', '.join(summary.masked)})" if summary.masked else ""
        say(f"exported {summary.rows} {entity} to {output}{note}")
    elif summary.masked:
        say(f"personal data masked: {', '.join(summary.masked)}")


def schema_command(
    entity: Annotated[
        str | None, typer.Argument(help="An entity; without one, list the entities.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the entities, or one entity's fields, types, rules and allowed values."""
    from specialops import entities

    if entity is None:
        rows = [
            {
                "entity": spec.name,
                "label": spec.label,
                "key": spec.key,
                "fields": spec.columns,
            }
            for spec in entities.all_specs()
        ]
        if as_json:
            emit_json(rows)
        else:
            table(
                ["entity", "label", "key", "fields"],
                [(r["entity"], r["label"], r["key"], ", ".join(r["fields"])) for r in rows],
            )
        return
    spec = entities.get(entity)
    described = [_describe(spec, f) for f in spec.fields]
    if as_json:
        emit_json({"entity": spec.name, "label": spec.label, "key": spec.key, "fields": described})
        return
    echo(f"{spec.name} ({spec.label}); key for --upsert: {spec.key}")
    table(
        ["field", "type", "required", "allowed values / rule", "help"],
        [
            (
                d["name"],
                d["type"],
                "yes" if d["required"] else "",
                _rule_text(d),
                d["help"],
            )
            for d in described
        ],
    )
    named = [f"{f.name}: {', '.join(f.aliases)}" for f in spec.fields if f.aliases]
    if named:
        echo("a header may also name a field so (any case, full- or half-width):")
        for line in named:
            echo(f"  {line}")
    if spec.pii_fields:
        echo(
            f"personal data ({', '.join(spec.pii_fields)}) is masked in exports for roles "
            "without customer.reveal_pii; an export that shows it is audited"
        )


def _describe(spec: Any, f: Any) -> dict[str, Any]:
    required = spec.requires(f)
    described: dict[str, Any] = {
        "name": f.name,
        "type": f.kind,
        "required": required,
        "key": f.name == spec.key,
        "help": f.help,
        "aliases": list(f.aliases),
    }
    if f.choices:
        described["choices"] = [
            {"value": c.value, "zh_hant": c.zh_hant, "zh_hans": c.zh_hans} for c in f.choices
        ]
    if f.ref:
        described["ref"] = f.ref
    for name in ("min", "max", "max_length"):
        if getattr(f, name) is not None:
            described[name] = getattr(f, name)
    if f.kind == "money":
        described["decimals"] = f.scale
    if f.pii:
        described["personal"] = True
    if f.workflow:
        described["workflow"] = f.workflow
    return described


def _rule_text(d: dict[str, Any]) -> str:
    parts = []
    if "choices" in d:
        parts.append(", ".join(f"{c['value']} {c['zh_hant']}/{c['zh_hans']}" for c in d["choices"]))
    if "ref" in d:
        parts.append(f"a {d['ref'].rstrip('s')} key")
    if "max_length" in d:
        parts.append(f"at most {d['max_length']} characters")
    if "min" in d or "max" in d:
        parts.append(f"{d.get('min', '')}..{d.get('max', '')}")
    if d.get("personal"):
        parts.append("personal data")
    if "workflow" in d:
        parts.append(f"changed only through the {d['workflow']} workflow")
    if d["type"] == "date":
        parts.append("2026-11-28, 2026/11/28, 2026年11月28日")
    return "; ".join(parts)


def register(app: typer.Typer) -> None:
    """Add the commands to the ``specialops`` app."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("schema")(schema_command)
