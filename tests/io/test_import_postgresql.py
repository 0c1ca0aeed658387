"""Imports into a PostgreSQL database do what they do into SQLite: the same summaries,
problems, records, exports and audit entries, all or nothing, beside other writers.

The main flows also run on both backends in tests/io/test_import_export.py (``any_ctx``).
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from specialops import audit
from specialops.areas.customers.models import Customer
from specialops.errors import ValidationError
from specialops.io.engine import import_file
from specialops.io.export import export_entity
from specialops.models.core import AuditEntry
from tests.conftest import ADMIN, run_cli

CUSTOMERS = "code,name,type,phone,email,address,tier,notes\n"
SEALED = re.compile(r"sealed:v1:\d+:[A-Za-z0-9+/=]+")


@pytest.fixture
def pg_ctx(pg_url: str):
    from specialops.context import open_context

    context = open_context(pg_url, create=True)
    yield context
    context.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def summary_of(done) -> dict:
    """What a summary says, without what differs from run to run (its batch)."""
    found = done.as_json() if hasattr(done, "as_json") else json.loads(done)
    found.pop("batch")
    return found


def rows_of(ctx, sql: str, *params) -> list[tuple]:
    with ctx.store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, params)]


def log_of(ctx) -> list[tuple]:
    """The audit entries as the hash covers them, sealed values left out (their nonces are
    random): ``at`` as the canonical text."""
    with ctx.store.read() as session:
        found = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    return [
        (
            e.at.astimezone().isoformat(),
            e.action,
            e.entity,
            e.record_id,
            e.code,
            SEALED.sub("sealed", e.before or ""),
            SEALED.sub("sealed", e.after or ""),
            e.comment,
        )
        for e in found
    ]


def verified(ctx) -> audit.VerifyResult:
    with ctx.store.engine.connect() as conn:
        return audit.verify(conn)


def codes_of(ctx) -> list[str]:
    with ctx.store.read() as session:
        return list(session.exec(select(Customer.code).order_by(Customer.id)).all())


# -- the same files, both backends ----------------------------------------------------------

STEPS = [
    # (entity, file text, options): each imported on both backends in turn
    (
        "customers",
        CUSTOMERS + ',王小明,個人,0912345678,wang@example.com,台北市,金卡,"a ""q""\n b"\n'
        "CUS-000007,公司甲,company,,,,,\n"
        ",,nope,,bad-mail,,,\n"
        "CUS-000007,重複,,,,,,\n"
        ",Later,,,,,,\n",
        {"on_error": "skip"},
    ),
    (
        "users",
        "username,name,department,role,email,active\n"
        "new.one,新人,,職員,new.one@example.com,false\n"
        "new.two,新人二,NOPE,staff,,true\n"
        "new.three,三,,manager,,yes\n",
        {"on_error": "skip"},
    ),
    (
        "tickets",
        "customer,channel,type,priority,category,subject,description,status,opened_at\n"
        "CUS-000008,hotline,complaint,high,billing,發票,請回電,new,2026-11-20T09:15\n"
        "CUS-000007,chat,consultation,normal,,問題,說明,new,2026-11-21T10:00:00+00:00\n"
        "CUS-000008,chat,consultation,urgent,,已結,說明,closed,2026-11-22T10:00\n"
        "CUS-404,chat,consultation,normal,,誰,說明,new,2026-11-22T10:00\n",
        {"on_error": "skip"},
    ),
    (
        "risks",
        "title,category,likelihood,impact,probability,loss_amount,owner,status,next_review\n"
        "供應商倒閉,technical,4,5,0.35,1250000.50,new.three,identified,2026-12-31\n"
        "匯率,market,2,3,,,new.one,identified,\n",
        {},
    ),
    (
        "indicators",
        "risk,name,unit,direction,warning,critical\nRSK-0001,存貨週轉,天,higher_worse,45.5,60\n",
        {},
    ),
    (
        "readings",
        "indicator,at,value\nKRI-0001,2026-11-27T08:00,47.25\nKRI-0001,2026-11-28 09:00,61\n",
        {},
    ),
]
EXPORTED = ["customers", "users", "tickets", "risks", "indicators", "readings"]


def _run_steps(ctx, folder: Path) -> list[dict]:
    said = []
    for n, (entity, text, options) in enumerate(STEPS):
        rejects = folder / f"rejects-{n}.csv"
        done = import_file(
            ctx.store,
            ctx.actor,
            entity,
            write(folder / f"{entity}.csv", text),
            name=f"{entity}.csv",
            rejects=rejects,
            **options,
        )
        said.append(summary_of(done))
        said.append({"rejects": rejects.read_text("utf-8-sig") if rejects.exists() else None})
    return said


def _exports(ctx, folder: Path) -> dict[str, str]:
    found = {}
    for entity in EXPORTED:
        out = folder / f"out-{entity}.csv"
        export_entity(ctx.store, ctx.actor, entity, out)
        found[entity] = out.read_text("utf-8-sig")
    return found


def _first_row_changed(folder: Path, entity: str, column: str, value: str) -> Path:
    """The export of ``entity`` cut to its first record, with ``column`` set to ``value``."""
    with (folder / f"out-{entity}.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    changed = folder / f"up-{entity}.csv"
    with changed.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerow({**rows[0], column: value})
    return changed


def test_the_same_files_give_the_same_summaries_records_and_log(ctx, pg_ctx, tmp_path) -> None:
    lite, server = tmp_path / "sqlite", tmp_path / "postgresql"
    lite.mkdir()
    server.mkdir()
    on_sqlite = _run_steps(ctx, lite)
    on_server = _run_steps(pg_ctx, server)
    assert on_server == on_sqlite
    written = [s for s in on_sqlite if "inserted" in s]
    assert [s["inserted"] for s in written] == [3, 2, 3, 2, 1, 2]  # the steps did something
    assert any(s["errors"] for s in written) and any(s["notes"] for s in written)
    assert _exports(pg_ctx, server) == _exports(ctx, lite)
    # Values as the server stores them: real booleans, numbers and times.
    assert rows_of(pg_ctx, "SELECT active FROM users WHERE username = 'new.one'") == [(False,)]
    found = rows_of(pg_ctx, "SELECT probability, loss_amount FROM risks WHERE title = '供應商倒閉'")
    assert found == [(35, 125000050)]  # per cent, and the loss in cents
    (opened,) = rows_of(pg_ctx, "SELECT opened_at FROM tickets ORDER BY id LIMIT 1")[0]
    assert opened.utcoffset() is not None and opened.isoformat().startswith("2026-11-20")
    # Then an upsert of the exports with a change in each: the same updates, audited alike.
    for entity, column, value in (
        ("customers", "tier", "vip"),
        ("users", "email", "chen@example.com"),
        ("risks", "loss_amount", "99.95"),
        ("readings", "value", "50.5"),
    ):
        for c, folder in ((ctx, lite), (pg_ctx, server)):
            changed = _first_row_changed(folder, entity, column, value)
            done = import_file(c.store, c.actor, entity, changed, name=changed.name, upsert=True)
            assert done.updated == 1, done.errors
    assert _exports(pg_ctx, server) == _exports(ctx, lite)
    assert log_of(pg_ctx) == log_of(ctx)
    assert verified(pg_ctx).ok and verified(ctx).ok


def test_an_aborted_import_reports_the_same_problems_and_writes_nothing(
    ctx, pg_ctx, tmp_path
) -> None:
    import_file(
        ctx.store, ctx.actor, "customers", write(tmp_path / "a.csv", CUSTOMERS + ",A,,,,,,\n")
    )
    import_file(
        pg_ctx.store, pg_ctx.actor, "customers", write(tmp_path / "a.csv", CUSTOMERS + ",A,,,,,,\n")
    )
    bad = write(
        tmp_path / "bad.csv",
        CUSTOMERS + ",好,,,,,,\n,,人,,bad-mail,,platinum,\nCUS-000001,X,,,,,,\nCUS-000009,Y,,,,,,\n"
        "CUS-000009,Z,,,,,,\n",
    )
    before = [log_of(c) for c in (ctx, pg_ctx)]
    found = [summary_of(import_file(c.store, c.actor, "customers", bad)) for c in (ctx, pg_ctx)]
    assert found[0] == found[1]
    assert [(e["line"], e["column"]) for e in found[1]["errors"]] == [
        (3, "name"),
        (3, "type"),
        (3, "email"),
        (3, "tier"),
        (4, "code"),
        (6, "code"),
    ]
    assert [log_of(c) for c in (ctx, pg_ctx)] == before
    assert codes_of(pg_ctx) == ["CUS-000001"]


# -- all or nothing, beside other writers ---------------------------------------------------


def _at_publish(action):
    """A log that runs ``action`` when the import is about to publish (the first time)."""
    done: list[str] = []

    def log(line: str) -> None:
        if line == "publishing" and not done:
            done.append(line)
            action()

    return log


def test_a_unique_violation_while_publishing_leaves_nothing_written(
    pg_ctx, pg_cluster, pg_url, tmp_path
) -> None:
    database = pg_url.split("/")[3].split("?")[0]
    before = log_of(pg_ctx)
    counter = rows_of(pg_ctx, "SELECT prefix, value FROM code_counters ORDER BY prefix")
    # Someone at the server's prompt adds a customer with a code the file gives, after the
    # import checked the codes and before it writes.
    sneak = (
        "INSERT INTO customers (code, name, type, version, created_at, updated_at) "
        "VALUES ('CUS-000005', 'psql', 'individual', 1, now(), now())"
    )
    source = write(tmp_path / "c.csv", CUSTOMERS + ",A,,,,,,\nCUS-000005,B,,,,,,\n,C,,,,,,\n")
    with pytest.raises(ValidationError, match="breaks a rule of the database"):
        import_file(
            pg_ctx.store,
            pg_ctx.actor,
            "customers",
            source,
            log=_at_publish(lambda: pg_cluster.sql(sneak, database)),
        )
    assert codes_of(pg_ctx) == ["CUS-000005"]  # only the one added at the prompt
    assert log_of(pg_ctx) == before
    assert rows_of(pg_ctx, "SELECT prefix, value FROM code_counters ORDER BY prefix") == counter
    assert rows_of(pg_ctx, "SELECT count(*) FROM customer_keys") == [(0,)]
    assert verified(pg_ctx).ok


def test_a_record_changed_while_publishing_is_found_and_nothing_is_written(
    pg_ctx, tmp_path
) -> None:
    first = write(tmp_path / "a.csv", CUSTOMERS + ",A,,,,,,\n,B,,,,,,\n")
    import_file(pg_ctx.store, pg_ctx.actor, "customers", first)
    out = tmp_path / "out.csv"
    export_entity(pg_ctx.store, pg_ctx.actor, "customers", out)
    edited = out.read_text("utf-8-sig").replace(",A,", ",A2,").replace(",B,", ",B2,")
    source = write(tmp_path / "edited.csv", edited)

    def colleague() -> None:
        with pg_ctx.store.write(pg_ctx.actor) as session:
            found = session.exec(select(Customer).where(Customer.code == "CUS-000002")).one()
            found.notes = "a colleague's note"

    before = log_of(pg_ctx)
    done = import_file(
        pg_ctx.store, pg_ctx.actor, "customers", source, upsert=True, log=_at_publish(colleague)
    )
    assert done.attempts == 2 and not done.written
    assert [(p.line, p.column) for p in done.errors] == [(3, "version")]
    assert done.errors[0].message.startswith(f"changed by {ADMIN} at ")
    names = rows_of(pg_ctx, "SELECT name, notes, version FROM customers ORDER BY id")
    assert names == [("A", None, 1), ("B", "a colleague's note", 2)]
    assert len(log_of(pg_ctx)) == len(before) + 1  # the colleague's change only
    assert verified(pg_ctx).ok


def test_codes_taken_while_publishing_move_the_files_codes_on(pg_ctx, tmp_path) -> None:
    def colleague() -> None:
        with pg_ctx.store.write(pg_ctx.actor) as session:
            session.add(Customer(name="from the app"))

    source = write(tmp_path / "c.csv", CUSTOMERS + ",A,,,,,,\n,B,,,,,,\n,C,,,,,,\n")
    done = import_file(pg_ctx.store, pg_ctx.actor, "customers", source, log=_at_publish(colleague))
    assert done.written and done.attempts == 1
    found = rows_of(pg_ctx, "SELECT name, code FROM customers ORDER BY code")
    assert found == [
        ("from the app", "CUS-000001"),
        ("A", "CUS-000002"),
        ("B", "CUS-000003"),
        ("C", "CUS-000004"),
    ]
    # Each entry names its record's code, in its own column and in what it records.
    logged = rows_of(
        pg_ctx,
        "SELECT a.code, c.code, a.after FROM audit_log a JOIN customers c ON c.id = a.record_id "
        "WHERE a.entity = 'customers' AND a.action = 'insert' AND a.batch = %s",
        done.batch,
    )
    assert len(logged) == 3
    assert all(entry == record == json.loads(after)["code"] for entry, record, after in logged)
    assert rows_of(pg_ctx, "SELECT value FROM code_counters WHERE prefix = 'CUS'") == [(4,)]
    assert verified(pg_ctx).ok


def test_a_governed_refusal_on_the_server(pg_url, tmp_path) -> None:
    made = run_cli("--db", pg_url, "init", "--demo")
    assert made.returncode == 0, made.stderr
    out = tmp_path / "users.csv"
    assert run_cli("--db", pg_url, "export", "users", "-o", str(out)).returncode == 0
    lines = out.read_text("utf-8-sig").splitlines()
    at = next(n for n, text in enumerate(lines) if text.startswith("wang.xiaoming,"))
    source = write(
        tmp_path / "promote.csv", "\n".join([lines[0], lines[at].replace(",manager,", ",admin,")])
    )
    as_manager = ("import", "users", str(source), "--upsert", "--json")
    done = run_cli("--db", pg_url, *as_manager, user="wang.xiaoming")
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"] == [
        {
            "line": 2,
            "column": None,
            "message": "wang.xiaoming (manager) may not manage users and roles",
        }
    ]
    listed = run_cli("--db", pg_url, "users", "list", "--json")
    roles = {u["username"]: u["role"] for u in json.loads(listed.stdout)}
    assert roles["wang.xiaoming"] == "manager"
    # The admin may; the governed publish checks nobody changed the people meanwhile.
    allowed = run_cli("--db", pg_url, "import", "users", str(source), "--upsert")
    assert allowed.returncode == 0, allowed.stderr
    listed = run_cli("--db", pg_url, "users", "list", "--json")
    assert {u["username"]: u["role"] for u in json.loads(listed.stdout)}["wang.xiaoming"] == "admin"
    verify = run_cli("--db", pg_url, "audit", "verify")
    assert verify.returncode == 0 and "intact" in verify.stdout


COLLEAGUE = """
import subprocess, sys, pathlib
url, source, stop, report = sys.argv[1:5]
runs = []
while not pathlib.Path(stop).exists():
    done = subprocess.run([sys.executable, "-m", "specialops", "--db", url, "import",
                           "customers", source], capture_output=True, text=True)
    runs.append(done.returncode)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
pathlib.Path(report).write_text(" ".join(map(str, runs)))
"""


def test_a_colleague_importing_in_a_loop_meanwhile_loses_nothing(pg_ctx, pg_url, tmp_path) -> None:
    one = write(tmp_path / "one.csv", CUSTOMERS + ",同事的客戶,,,,,,\n")
    many = write(
        tmp_path / "many.csv", CUSTOMERS + "".join(f",客戶{n},,,,,,\n" for n in range(2000))
    )
    stop, report = tmp_path / "stop", tmp_path / "report"
    colleague = subprocess.Popen(
        [sys.executable, "-c", COLLEAGUE, pg_url, str(one), str(stop), str(report)],
        stderr=subprocess.PIPE,
        text=True,
    )

    def theirs() -> int:
        return rows_of(pg_ctx, "SELECT count(*) FROM customers WHERE name = '同事的客戶'")[0][0]

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 120  # a bound on a hang, never on speed
        while theirs() < count:
            assert colleague.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)

    try:
        wait_for(1)  # the colleague is at work
        seen: list[int] = []

        def between() -> None:  # the colleague writes between the plan and the publish
            seen.append(theirs())
            wait_for(seen[0] + 1)

        done = import_file(pg_ctx.store, pg_ctx.actor, "customers", many, log=_at_publish(between))
        wait_for(theirs() + 1)  # and after it
    finally:
        stop.touch()
        _, complaints = colleague.communicate(timeout=120)
    runs = report.read_text().split()
    assert done.written and done.inserted == 2000, done.errors
    assert set(runs) == {"0"}, complaints
    assert theirs() == len(runs)
    codes = codes_of(pg_ctx)
    assert len(codes) == len(set(codes)) == 2000 + len(runs)
    mismatched = rows_of(
        pg_ctx,
        "SELECT count(*) FROM audit_log a JOIN customers c ON c.id = a.record_id "
        "WHERE a.entity = 'customers' AND a.action = 'insert' AND a.code <> c.code",
    )
    assert mismatched == [(0,)]
    verify = run_cli("--db", pg_url, "audit", "verify")
    assert verify.returncode == 0 and "intact" in verify.stdout, verify.stdout


# -- the command line -------------------------------------------------------------------------

RUNS = [
    # (file text, options)
    (CUSTOMERS + ",A,,,,,,\nCUS-000010,B,,,,,,\n", []),
    (CUSTOMERS + ",C,,,,,,\n,,robot,,,,,\n", []),
    (CUSTOMERS + ",C,,,,,,\n,,robot,,,,,\n", ["--on-error", "skip"]),
    (CUSTOMERS + "CUS-000010,B2,,,,,,\n,D,,,,,,\n", ["--upsert", "--dry-run"]),
    ("name,tier\nE,金卡\n", ["--upsert"]),
    ("姓名,類型\nF,公司\n", ["--map", "姓名=name,類型=type"]),
    (CUSTOMERS + "CUS-000010,B3,,,,,,\n", ["--upsert"]),
]


def test_the_command_line_says_the_same_on_both(pg_url, tmp_path) -> None:
    lite = tmp_path / "ops.db"
    results = {}
    for name, db in (("sqlite", str(lite)), ("postgresql", pg_url)):
        made = run_cli("--db", db, "init")
        assert made.returncode == 0, made.stderr
        said = []
        for n, (text, options) in enumerate(RUNS):
            source = write(tmp_path / f"run{n}.csv", text)
            done = run_cli("--db", db, "import", "customers", str(source), "--json", *options)
            problems = [line for line in done.stderr.splitlines() if line.startswith("line ")]
            said.append((done.returncode, summary_of(done.stdout), problems))
        results[name] = said
    assert results["postgresql"] == results["sqlite"]
    assert [code for code, _, _ in results["sqlite"]] == [0, 1, 0, 0, 1, 0, 0]
