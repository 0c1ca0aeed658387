"""Import and export speed against plain sqlite3, write-lock time and peak memory.

Run with ``python -m benchmarks`` (all benchmarks) or
``python -m benchmarks.import_bench [ROWS] [BIG_ROWS] [ROUNDS]``. Prints figures; asserts
nothing. Each round measures plain sqlite3 and specialops one after the other in the same
run, so their ratio holds up on a shared machine better than either time does; the load
average is printed with the results.

With ``--postgresql URL`` (a database on a server whose login may create databases, e.g.
``postgresql://postgres@/postgres?host=/tmp/pg&port=5432``) it imports customers and
tickets on SQLite and on that server side by side instead, the server's rows sent with
``COPY`` and with ``executemany``, next to a plain psycopg ``COPY``.
"""

from __future__ import annotations

import csv
import datetime
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS = 100_000
BIG_ROWS = 1_000_000
ROUNDS = 3
COLUMNS = ["code", "name", "type", "phone", "email", "address", "tier", "notes"]
ADMIN = "bench.admin"


def write_customers(path: Path, rows: int, *, with_codes: bool = True) -> None:
    """A CSV of ``rows`` customers with Chinese names and addresses."""
    types = ("individual", "公司", "個人", "company")
    tiers = ("gold", "銀卡", "", "vip")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for n in range(1, rows + 1):
            out.writerow(
                [
                    f"CUS-{n:06d}" if with_codes else "",
                    f"客戶{n} 王小明",
                    types[n % 4],
                    f"09{n:08d}",
                    f"user{n}@example.com",
                    f"台北市信義區市府路{n % 300}號",
                    tiers[n % 4],
                    "備註, with a comma" if n % 7 == 0 else "",
                ]
            )


def _env(db: Path | str) -> dict[str, str]:
    return {**os.environ, "SPECIALOPS_DB": str(db), "SPECIALOPS_USER": ADMIN}


def _cli(db: Path, *args: str) -> tuple[float, str, int]:
    """Run specialops in a child; return wall time, stderr and that child's max RSS (KiB).

    ``os.wait4`` gives the rusage of this one child, where
    ``getrusage(RUSAGE_CHILDREN)`` keeps the largest of all children so far.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "specialops", *args],
            env=_env(db),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if child.returncode != 0:
        raise SystemExit(f"specialops {' '.join(args)} failed: {text}")
    return elapsed, text, usage.ru_maxrss


def _fresh_db(folder: Path, name: str) -> Path:
    db = folder / name
    subprocess.run(
        [sys.executable, "-m", "specialops", "init"], env=_env(db), check=True, capture_output=True
    )
    return db


def raw_insert(db: Path, source: Path) -> float:
    """Plain sqlite3 executemany of the already parsed rows into the same table."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        stamp = "2026-11-28 01:30:00.000000"
        rows = [
            (n, r[0], r[1], "individual", r[3], r[4], r[5], None, r[7] or None, 1, stamp, stamp)
            for n, r in enumerate(reader, start=1)
        ]
    return _timed_executemany(
        db,
        "INSERT INTO customers (id, code, name, type, phone, email, address, tier, notes, "
        "version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _timed_executemany(db: Path, sql: str, rows: list[tuple[object, ...]]) -> float:
    """Seconds for one plain ``executemany`` of ``rows`` in one transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(sql, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_export(db: Path, target: Path) -> float:
    """Plain sqlite3 cursor + csv.writer of the same columns."""
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        cursor = conn.execute(
            "SELECT code, name, type, phone, email, address, tier, notes FROM customers ORDER BY id"
        )
        while rows := cursor.fetchmany(5000):
            out.writerows(rows)
    conn.close()
    return time.perf_counter() - started


def in_process_import(db: Path | str, entity: str, source: Path) -> tuple[float, Any]:
    """The import service alone, without interpreter start-up: wall time and its summary
    (``db`` a SQLite file or a server's URL)."""
    from specialops.identity import Actor
    from specialops.io.engine import import_file
    from specialops.store.store import open_store

    store = open_store(db if isinstance(db, str) else f"sqlite:///{db}")
    try:
        started = time.perf_counter()
        summary = import_file(store, Actor(ADMIN, "admin"), entity, source)
        elapsed = time.perf_counter() - started
    finally:
        store.dispose()
    if summary.errors:
        raise SystemExit(f"{entity} import failed: {summary.errors[:3]}")
    return elapsed, summary


def in_process_export(db: Path, target: Path) -> float:
    """The export service alone, without interpreter start-up."""
    from specialops.identity import Actor
    from specialops.io.export import export_entity
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        started = time.perf_counter()
        export_entity(store, Actor(ADMIN, "admin"), "customers", target)
        elapsed = time.perf_counter() - started
    finally:
        store.dispose()
    return elapsed


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min), {os.cpu_count()} CPUs"


def _lock(stderr: str) -> str:
    for line in stderr.splitlines():
        if "write lock held" in line:
            return line.rsplit("held", 1)[1].strip()
    return "?"


def _round(folder: Path, source: Path, rows: int, n: int) -> dict[str, float]:
    """One side-by-side measurement of import and export; prints it, returns the ratios."""
    raw_db = _fresh_db(folder, f"raw{n}.db")
    raw_s = raw_insert(raw_db, source)
    ours_db = _fresh_db(folder, f"ours{n}.db")
    ours_s, err, _ = _cli(ours_db, "import", "customers", str(source), "--verbose")
    inner, summary = in_process_import(_fresh_db(folder, "inproc.db"), "customers", source)
    lock = summary.lock_seconds or 0.0
    print(f"round {n}: {_load()}")
    print(f"import {rows:,} customers (CSV, full validation, audit per record)")
    print(f"  sqlite3 executemany   {raw_s:7.2f} s  {rows / raw_s:10,.0f} rows/s")
    print(
        f"  specialops import     {ours_s:7.2f} s  {rows / ours_s:10,.0f} rows/s  "
        f"({raw_s / ours_s:.2f}x raw; process start included)"
    )
    print(f"    write lock held by the publish: {_lock(err)}")
    print(
        f"  in process            {inner:7.2f} s  {rows / inner:10,.0f} rows/s  "
        f"({raw_s / inner:.2f}x raw; target >= 0.3x; lock {lock:.2f} s)"
    )

    raw_e = raw_export(ours_db, folder / "raw.csv")
    ours_e, _, _ = _cli(ours_db, "export", "customers", "-o", str(folder / "ours.csv"))
    inner_e = in_process_export(ours_db, folder / "inner.csv")
    print(f"export {rows:,} customers to CSV")
    print(f"  sqlite3 + csv.writer  {raw_e:7.2f} s  {rows / raw_e:10,.0f} rows/s")
    print(
        f"  specialops export     {ours_e:7.2f} s  {rows / ours_e:10,.0f} rows/s  "
        f"({raw_e / ours_e:.2f}x raw; process start included)"
    )
    print(
        f"  in process            {inner_e:7.2f} s  {rows / inner_e:10,.0f} rows/s  "
        f"({raw_e / inner_e:.2f}x raw; target >= 0.5x)"
    )
    for db in (raw_db, ours_db, folder / "inproc.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return {
        "import": raw_s / inner,
        "import_cli": raw_s / ours_s,
        "export": raw_e / inner_e,
        "export_cli": raw_e / ours_e,
    }


TICKET_COLUMNS = [
    "code",
    "customer",
    "channel",
    "type",
    "priority",
    "category",
    "subject",
    "description",
    "status",
    "opened_at",
]
TICKET_CUSTOMERS = 1000


def write_tickets(path: Path, rows: int) -> None:
    """A CSV of ``rows`` tickets over ``TICKET_CUSTOMERS`` customers, opened through 2026."""
    channels = ("hotline", "chat", "電子郵件", "walk_in")
    priorities = ("normal", "high", "urgent", "低")
    statuses = ("closed", "resolved", "closed", "new")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(TICKET_COLUMNS)
        for n in range(1, rows + 1):
            minute = n * 7 % (330 * 24 * 60)
            out.writerow(
                [
                    f"TKT-{n:06d}",
                    f"CUS-{n % TICKET_CUSTOMERS + 1:06d}",
                    channels[n % 4],
                    "complaint" if n % 5 == 0 else "consultation",
                    priorities[n % 4],
                    ("billing", "帳務", "delivery", "")[n % 4],
                    f"訂單 {n} 的發票問題",
                    "客戶來電詢問發票抬頭與統一編號, please call back" + (" 急" if n % 9 else ""),
                    statuses[n % 4],
                    f"2026-01-{1 + minute // 1440 % 28:02d}T{minute // 60 % 24:02d}:"
                    f"{minute % 60:02d}",
                ]
            )


def raw_ticket_rows(source: Path, customers: dict[str, int]) -> list[tuple[object, ...]]:
    """The rows of a tickets CSV as plain sqlite3 would write them (already parsed)."""
    choices = {"電子郵件": "email", "低": "low", "帳務": "billing"}
    stamp = "2026-11-28 01:30:00.000000"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [
            (
                n,
                r[0],
                customers[r[1]],
                choices.get(r[2], r[2]),
                r[3],
                choices.get(r[4], r[4]),
                choices.get(r[5], r[5]),
                r[6],
                r[7],
                r[8],
                r[9].replace("T", " ") + ":00.000000",
                stamp,
                stamp,
                stamp,
                stamp,
                0,
                0,
                0,
                1,
                stamp,
                stamp,
            )
            for n, r in enumerate(reader, start=1)
        ]


def raw_ticket_insert(db: Path, source: Path) -> float:
    """Plain sqlite3 executemany of the parsed tickets (indexes and search trigger included)."""
    with sqlite3.connect(db) as conn:
        customers = dict(conn.execute("SELECT code, id FROM customers"))
    conn.close()
    return _timed_executemany(
        db,
        "INSERT INTO tickets (id, code, customer_id, channel, type, priority, category, subject, "
        "description, status, opened_at, response_due, resolve_due, due_at, warn_at, "
        "paused_seconds, response_breached, resolve_breached, version, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        raw_ticket_rows(source, customers),
    )


def ticket_round(folder: Path, rows: int, n: int) -> float:
    """Tickets side by side: plain sqlite3 and the import into a copy of one database."""
    base = _fresh_db(folder, f"tickets-base{n}.db")
    customers = folder / "ticket-customers.csv"
    write_customers(customers, TICKET_CUSTOMERS)
    _cli(base, "import", "customers", str(customers))
    source = folder / "tickets.csv"
    write_tickets(source, rows)
    raw_db, ours_db = folder / f"tickets-raw{n}.db", folder / f"tickets-ours{n}.db"
    shutil.copy(base, raw_db)
    shutil.copy(base, ours_db)
    raw_s = raw_ticket_insert(raw_db, source)
    inner, summary = in_process_import(ours_db, "tickets", source)
    if summary.inserted != rows:
        raise SystemExit(f"ticket import inserted {summary.inserted} of {rows}")
    print(f"round {n}: {_load()}")
    print(f"import {rows:,} tickets (CSV, validation, routing and SLA deadlines per row)")
    print(f"  sqlite3 executemany   {raw_s:7.2f} s  {rows / raw_s:10,.0f} rows/s")
    print(
        f"  in process            {inner:7.2f} s  {rows / inner:10,.0f} rows/s  "
        f"({raw_s / inner:.2f}x raw; target >= 0.3x; lock {summary.lock_seconds or 0:.2f} s)"
    )
    for db in (base, raw_db, ours_db):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    return raw_s / inner


def race_round(folder: Path, rows: int) -> None:
    """Import ``rows`` tickets while a colleague saves a change every half second."""
    db = _fresh_db(folder, "race.db")
    customers = folder / "race-customers.csv"
    write_customers(customers, TICKET_CUSTOMERS)
    in_process_import(db, "customers", customers)
    source = folder / "race-tickets.csv"
    write_tickets(source, rows)
    stop = folder / "race.stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.steady_writer", str(db), str(stop), "0.5", ADMIN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        seconds, summary = in_process_import(db, "tickets", source)
    finally:
        stop.touch()
        report, _ = writer.communicate(timeout=60)
    print(f"import {rows:,} tickets while a colleague saves every 0.5 s:")
    print(
        f"  {'completed' if summary.written else 'FAILED'} in {seconds:.1f} s, "
        f"{summary.attempts} attempt(s), longest write lock {summary.lock_seconds or 0:.2f} s"
    )
    print(f"  the colleague: {report.strip()} (seconds per save, lock wait included)")


def main(rows: int = ROWS, big_rows: int = BIG_ROWS, rounds: int = ROUNDS) -> None:
    """Print import/export rates next to plain sqlite3, lock time and peak memory."""
    with tempfile.TemporaryDirectory(prefix="specialops-bench-") as name:
        folder = Path(name)
        source = folder / "customers.csv"
        write_customers(source, rows)
        ratios = [_round(folder, source, rows, n) for n in range(1, rounds + 1)]
        for n, ratio in enumerate(
            [ticket_round(folder, rows, n) for n in range(1, rounds + 1)], start=0
        ):
            ratios[n]["tickets"] = ratio
        if rounds > 1:
            print(f"median of {rounds} rounds (x raw sqlite3):")
            for key, label in (
                ("import", "import in process (target >= 0.3x)"),
                ("tickets", "tickets import in process (target >= 0.3x)"),
                ("import_cli", "import with process start"),
                ("export", "export in process (target >= 0.5x)"),
                ("export_cli", "export with process start"),
            ):
                values = [r[key] for r in ratios]
                print(
                    f"  {label:38s} {statistics.median(values):.2f}x "
                    f"(from {min(values):.2f} to {max(values):.2f})"
                )

        race_round(folder, rows)
        if big_rows:
            big = folder / "big.csv"
            write_customers(big, big_rows)
            big_db = _fresh_db(folder, "big.db")
            seconds, err, rss = _cli(big_db, "import", "customers", str(big), "--verbose")
            print(f"import {big_rows:,} rows: {seconds:.1f} s, peak RSS {rss / 1024:.0f} MB")
            print(f"  write lock held by the publish: {_lock(err)}")
            seconds, _, rss = _cli(big_db, "export", "customers", "-o", str(folder / "b.csv"))
            print(f"export {big_rows:,} rows: {seconds:.1f} s, peak RSS {rss / 1024:.0f} MB")
            print("  (peak RSS of each child process; target < 300 MB)")
            print(_load())


# -- on a PostgreSQL server, beside SQLite ------------------------------------------------


def _server(url: str) -> dict[str, Any]:
    """How psycopg reaches the server of ``url``."""
    from sqlalchemy.engine import make_url

    found = make_url(url)
    return {
        "host": found.query.get("host") or found.host,
        "port": found.query.get("port") or found.port,
        "user": found.username,
        "dbname": found.database or "postgres",
    }


def fresh_server_db(url: str, name: str) -> str:
    """A new specialops database ``name`` on the server of ``url`` (an older one of that
    name dropped first); its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(**_server(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    target = make_url(url).set(database=name).render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "specialops", "init"],
        env=_env(target),
        check=True,
        capture_output=True,
    )
    return target


def drop_server_db(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(**{**_server(url), "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]


def raw_server_copy(url: str, source: Path) -> float:
    """Plain psycopg ``COPY`` of the already parsed customers into the same table."""
    import psycopg

    stamp = datetime.datetime(2026, 11, 28, 1, 30, tzinfo=datetime.UTC)
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [
            (n, r[0], r[1], "individual", r[3], r[4], r[5], None, r[7] or None, 1, stamp, stamp)
            for n, r in enumerate(reader, start=1)
        ]
    with psycopg.connect(**_server(url)) as conn:
        started = time.perf_counter()
        with conn.cursor().copy(
            "COPY customers (id, code, name, type, phone, email, address, tier, notes, "
            "version, created_at, updated_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def _timed_on(db: Path | str, entity: str, source: Path, how: str) -> tuple[float, float]:
    """Seconds of an in-process import and of the writers' lock, rows sent ``how``."""
    from specialops.io import server_publish

    server_publish.WRITE_WITH = how
    try:
        seconds, summary = in_process_import(db, entity, source)
    finally:
        server_publish.WRITE_WITH = "copy"
    expected = sum(1 for _ in source.open(encoding="utf-8-sig")) - 1
    if summary.inserted != expected:
        raise SystemExit(f"{entity} import inserted {summary.inserted} of {expected}")
    return seconds, summary.lock_seconds or 0.0


def server_round(folder: Path, url: str, rows: int, n: int) -> None:
    """Customers, then tickets, on SQLite and on the server, one after the other."""
    customers = folder / "customers.csv"
    write_customers(customers, rows)
    few = folder / "ticket-customers.csv"
    write_customers(few, TICKET_CUSTOMERS)
    tickets = folder / "tickets.csv"
    write_tickets(tickets, rows)
    print(f"round {n}: {_load()}")
    plain = fresh_server_db(url, "bench_raw")
    try:
        raw = raw_server_copy(plain, customers)
    finally:
        drop_server_db(plain)
    print(f"import {rows:,} customers (CSV, full validation, audit per record)")
    print(f"  psycopg COPY (no checks, no audit) {raw:7.2f} s  {rows / raw:10,.0f} rows/s")
    for entity, source in (("customers", customers), ("tickets", tickets)):
        if entity == "tickets":
            print(f"import {rows:,} tickets (CSV, validation, routing and SLA deadlines per row)")
        lite = _fresh_db(folder, f"lite{n}.db")
        if entity == "tickets":
            in_process_import(lite, "customers", few)
        figures = [("SQLite", *_timed_on(lite, entity, source, "copy"))]
        for how in ("copy", "executemany"):
            db = fresh_server_db(url, f"bench_{how}")
            try:
                if entity == "tickets":
                    in_process_import(db, "customers", few)
                figures.append((f"PostgreSQL, {how}", *_timed_on(db, entity, source, how)))
            finally:
                drop_server_db(db)
        for label, seconds, lock in figures:
            print(
                f"  {label:33s} {seconds:7.2f} s  {rows / seconds:10,.0f} rows/s  "
                f"(write lock held {lock:.2f} s)"
            )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{lite}{suffix}").unlink(missing_ok=True)


def server_main(url: str, rows: int = ROWS, rounds: int = ROUNDS) -> None:
    """Print import rates on SQLite and on the server at ``url`` side by side."""
    with tempfile.TemporaryDirectory(prefix="specialops-bench-") as name:
        for n in range(1, rounds + 1):
            server_round(Path(name), url, rows, n)


if __name__ == "__main__":
    if "--postgresql" in sys.argv:
        at = sys.argv.index("--postgresql")
        server_url = sys.argv[at + 1]
        numbers = [int(a) for a in sys.argv[1:at] + sys.argv[at + 2 :]]
        server_main(server_url, *numbers[:1], *numbers[2:3])
    else:
        main(*(int(a) for a in sys.argv[1:4]))
