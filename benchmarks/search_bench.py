"""The ticket queue's text search on PostgreSQL at 100,000 tickets, against SQLite's FTS5.

The same tickets (Chinese subjects in Traditional and Simplified characters, Latin
words, codes) go into a SQLite database, whose trigram FTS5 index gives the
reference answer, and into a PostgreSQL database with the real schema. There four
ways of searching are timed and checked against that answer, each on its own:

* ``like``: ``LIKE '%…%'`` over code, subject and customer name (no index);
* ``trgm``: ``ILIKE '%…%'`` with pg_trgm GIN indexes on the four searched columns;
* ``trgm+scan``: the same for three characters or more, ``lower() LIKE`` on the rows for
  less (the product's choice);
* ``tsvector``: the ``simple`` text-search configuration, GIN-indexed;
* ``bigram``: a table of each ticket's lower-cased characters and character pairs,
  kept by a trigger, candidates then checked with ``ILIKE``.

For each: index build time and size, the added cost of inserting 10,000 tickets,
and per query whether it finds exactly the reference's tickets, with the best
time of a count and of a first page of 100 in the queue's order. Then the
product's own search (``specialops.areas.tickets.queries.fts_search``) through
the queue's page source on both backends.

Run: ``python -m benchmarks search``. ``SPECIALOPS_BENCH_PG`` names a PostgreSQL
URL whose database may be filled; without it a throwaway server is started with
``tests/pg_server.py``.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TICKETS = 100_000
CUSTOMERS = 10_000
EXTRA = 10_000  # tickets inserted to price each index's upkeep
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SURNAMES = "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何林"
GIVEN = "偉芳娜敏靜麗強磊軍洋勇艷傑娟濤明超秀霞平剛桂"
WORDS = (  # noqa: SIM905
    "訂單 出貨 遲遲未 發票 发票 抬頭 開錯 重開 保固 期限 詢問 登入 錯誤 错误 代碼 退貨 "
    "退款 進度 查詢 门市 門市 服務 態度 週年慶 折扣 未套用 機器 運轉 異音 維修 会员 會員 "
    "點數 入帳 包裹 外箱 破損 商品 刮傷 网络 網路 中斷 APP iPhone VPN Wi-Fi 連線 e-mail "
    "ATM 刷卡 失敗 帳單 账单 地址 變更 客訴 緊急"
).split()
QUERIES = (
    ("1 CJK char", "損"),
    ("1 CJK char, common", "單"),
    ("2 CJK chars", "破損"),
    ("2 chars, Simplified", "发票"),
    ("2 chars, Traditional", "發票"),
    ("3 CJK chars", "週年慶"),
    ("4 CJK chars", "外箱破損"),
    ("two CJK terms", "保固 詢問"),
    ("customer name", "王偉芳"),
    ("Latin, other case", "iphone"),
    ("Latin + CJK adjacent", "APP登入"),
    ("Latin and CJK terms", "vpn 中斷"),
    ("2 Latin chars", "Wi"),
    ("with punctuation", "Wi-Fi"),
    ("ticket code", "TKT-012345"),
    ("code digits", "012345"),
    ("customer code", "CUS-000123"),
    ("no match", "沒有這個"),
)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def customers() -> list[tuple[str, str]]:
    return [
        (f"CUS-{i:06d}", f"{SURNAMES[i % 18]}{GIVEN[(i // 18) % 20]}{GIVEN[(i // 360) % 20]}")
        for i in range(1, CUSTOMERS + 1)
    ]


def tickets(count: int, first: int = 1, seed: int = 5) -> Iterator[tuple[Any, ...]]:
    """Rows for the tickets' insert (see :data:`TICKET_COLUMNS`)."""
    from specialops.areas.tickets.sla import NO_DEADLINE

    rng = random.Random(seed)
    stamp, never = _ts(NOW), _ts(NO_DEADLINE)
    for i in range(first, first + count):
        words = rng.sample(WORDS, rng.randint(2, 4))
        glue = rng.choice(("", " ", "，"))
        opened = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        due = never if rng.random() < 0.9 else _ts(NOW + timedelta(minutes=rng.randint(0, 9999)))
        yield (
            stamp, stamp, f"TKT-{i:06d}", 1 + (i * 7919) % CUSTOMERS, glue.join(words),
            "closed" if due == never else "new", _ts(opened), due, due,
        )  # fmt: skip


TICKET_COLUMNS = (
    "created_at, updated_at, code, customer_id, subject, status, opened_at, due_at, warn_at"
)


def fill_sqlite(path: Path) -> None:
    from specialops.context import open_context

    open_context(str(path), create=True).close()
    conn = sqlite3.connect(path)
    with conn:
        stamp = _ts(NOW)
        conn.executemany(
            "INSERT INTO customers (version, created_at, updated_at, code, name, type)"
            " VALUES (1, ?, ?, ?, ?, 'individual')",
            [(stamp, stamp, code, name) for code, name in customers()],
        )
        conn.executemany(
            f"INSERT INTO tickets (version, channel, type, priority, category, description,"
            f" paused_seconds, response_breached, resolve_breached, {TICKET_COLUMNS}) VALUES"
            " (1, 'hotline', 'consultation', 'normal', '', '', 0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tickets(TICKETS),
        )
        conn.execute("ANALYZE")
    conn.close()


def fill_postgresql(url: str) -> None:
    import psycopg

    from specialops.context import open_context

    open_context(url, create=True).close()
    with psycopg.connect(_dsn(url)) as conn:
        stamp = _ts(NOW)
        with conn.cursor().copy(
            "COPY customers (version, created_at, updated_at, code, name, type) FROM STDIN"
        ) as copy:
            for code, name in customers():
                copy.write_row((1, stamp, stamp, code, name, "individual"))
        with conn.cursor().copy(
            f"COPY tickets (version, channel, type, priority, category, description,"
            f" paused_seconds, response_breached, resolve_breached, {TICKET_COLUMNS})"
            " FROM STDIN"
        ) as copy:
            for row in tickets(TICKETS):
                copy.write_row(
                    (1, "hotline", "consultation", "normal", "", "", 0, False, False, *row)
                )
        conn.execute("ANALYZE")


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --------------------------------------------------------------- the ways to search


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


TRGM_INDEXES = (
    "CREATE INDEX bench_trgm_ticket_subject ON tickets USING gin (subject gin_trgm_ops)",
    "CREATE INDEX bench_trgm_ticket_code ON tickets USING gin (code gin_trgm_ops)",
    "CREATE INDEX bench_trgm_customer_name ON customers USING gin (name gin_trgm_ops)",
    "CREATE INDEX bench_trgm_customer_code ON customers USING gin (code gin_trgm_ops)",
)
TSV = "to_tsvector('simple', coalesce({t}.code, '') || ' ' || {t}.subject)"
TSV_C = "to_tsvector('simple', {c}.name || ' ' || {c}.code)"
TSV_INDEXES = (
    f"CREATE INDEX bench_tsv_ticket ON tickets USING gin (({TSV.format(t='tickets')}))",
    f"CREATE INDEX bench_tsv_customer ON customers USING gin (({TSV_C.format(c='customers')}))",
)
BIGRAM_SETUP = (
    "CREATE TABLE bench_grams (gram text NOT NULL, ticket_id integer NOT NULL, "
    "PRIMARY KEY (gram, ticket_id))",
    """CREATE FUNCTION bench_grams_of(body text) RETURNS SETOF text AS $$
        SELECT DISTINCT substr(lower(body), i, n) FROM generate_series(1, length(body)) i,
        (VALUES (1), (2)) AS k(n) WHERE i + n - 1 <= length(body)
        AND position(' ' IN substr(body, i, n)) = 0 $$ LANGUAGE sql IMMUTABLE""",
    """CREATE FUNCTION bench_grams_keep() RETURNS trigger AS $$ BEGIN
        INSERT INTO bench_grams SELECT g, NEW.id FROM bench_grams_of(coalesce(NEW.code, '')
        || ' ' || NEW.subject || ' ' || coalesce((SELECT c.name || ' ' || c.code
        FROM customers c WHERE c.id = NEW.customer_id), '')) g;
        RETURN NULL; END $$ LANGUAGE plpgsql""",
    "INSERT INTO bench_grams SELECT g, t.id FROM tickets t LEFT JOIN customers c ON "
    "c.id = t.customer_id, bench_grams_of(coalesce(t.code, '') || ' ' || t.subject || ' ' "
    "|| coalesce(c.name || ' ' || c.code, '')) g",
    "CREATE TRIGGER bench_grams_insert AFTER INSERT ON tickets FOR EACH ROW "
    "EXECUTE FUNCTION bench_grams_keep()",
    "ANALYZE bench_grams",
)
BIGRAM_DROP = (
    "DROP TRIGGER bench_grams_insert ON tickets",
    "DROP FUNCTION bench_grams_keep()",
    "DROP TABLE bench_grams",
    "DROP FUNCTION bench_grams_of(text)",
)


def _fields_match(term: str, op: str) -> str:
    p = _quote(_like(term))
    return (
        f"(t.code {op} {p} OR t.subject {op} {p} OR t.customer_id IN "
        f"(SELECT id FROM customers WHERE name {op} {p} OR code {op} {p}))"
    )


def like_condition(term: str) -> str:
    p = _quote(_like(term))
    return (
        f"(t.code LIKE {p} OR t.subject LIKE {p} OR "
        f"t.customer_id IN (SELECT id FROM customers WHERE name LIKE {p}))"
    )


def trgm_condition(term: str) -> str:
    p = _quote(_like(term))
    return (
        f"t.id IN (SELECT id FROM tickets WHERE subject ILIKE {p} OR code ILIKE {p} "
        f"UNION SELECT x.id FROM tickets x JOIN customers c ON c.id = x.customer_id "
        f"WHERE c.name ILIKE {p} OR c.code ILIKE {p})"
    )


def trgm_or_scan_condition(term: str) -> str:
    """Trigrams for three characters or more; shorter text reads the rows, as the FTS5
    index does (a trigram index asked for less reads all of itself), with ``lower()
    LIKE`` (what ``ILIKE`` does, the pattern lowered once) to keep the index out."""
    if len(term) >= 3:
        return trgm_condition(term)
    p = f"lower({_quote(_like(term))})"
    return (
        f"(lower(t.code) LIKE {p} OR lower(t.subject) LIKE {p} OR t.customer_id IN "
        f"(SELECT id FROM customers WHERE lower(name) LIKE {p} OR lower(code) LIKE {p}))"
    )


def tsv_condition(term: str) -> str:
    q = f"plainto_tsquery('simple', {_quote(term)})"
    return (
        f"({TSV.format(t='t')} @@ {q} OR t.customer_id IN (SELECT customers.id FROM customers "
        f"WHERE {TSV_C.format(c='customers')} @@ {q}))"
    )


def bigram_condition(term: str) -> str:
    lowered = term.lower()
    size = 1 if len(lowered) == 1 else 2
    grams = sorted({lowered[i : i + size] for i in range(len(lowered) - size + 1)})
    wanted = ", ".join(_quote(g) for g in grams)
    candidates = (
        f"SELECT ticket_id FROM bench_grams WHERE gram IN ({wanted}) "
        f"GROUP BY ticket_id HAVING count(*) = {len(grams)}"
    )
    return f"t.id IN ({candidates}) AND {_fields_match(term, 'ILIKE')}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


WAYS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable[[str], str]]] = {
    "like": ((), (), like_condition),
    "trgm": (
        TRGM_INDEXES,
        tuple(f"DROP INDEX {s.split()[2]}" for s in TRGM_INDEXES),
        trgm_condition,
    ),
    "trgm+scan": (
        TRGM_INDEXES,
        tuple(f"DROP INDEX {s.split()[2]}" for s in TRGM_INDEXES),
        trgm_or_scan_condition,
    ),
    "tsvector": (
        TSV_INDEXES,
        tuple(f"DROP INDEX {s.split()[2]}" for s in TSV_INDEXES),
        tsv_condition,
    ),
    "bigram": (BIGRAM_SETUP, BIGRAM_DROP, bigram_condition),
}


def best_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best * 1000


def reference(path: Path) -> dict[str, set[int]]:
    """Each query's tickets by the product's search on SQLite (the FTS5 index)."""
    return _product_ids(str(path))


def _product_ids(url: str) -> dict[str, set[int]]:
    from sqlalchemy import select

    from specialops.areas.tickets.queries import QueueFilter, queue_spec
    from specialops.context import open_context

    context = open_context(url)
    try:
        spec = queue_spec(context.store, context.actor, QueueFilter())
        source = spec.source.subquery()
        found = {}
        with context.store.read() as session:
            for _label, text in QUERIES:
                statement = select(source.c.id).where(spec.search(text, source))
                found[text] = set(session.execute(statement).scalars())
        return found
    finally:
        context.close()


def _where(condition: Callable[[str], str], text: str) -> str:
    return " AND ".join(condition(term) for term in text.split())


def measure_way(conn: Any, name: str, expected: dict[str, set[int]]) -> dict[str, Any]:
    setup, teardown, condition = WAYS[name]
    figures: dict[str, Any] = {"queries": {}}
    began = time.perf_counter()
    for statement in setup:
        conn.execute(statement)
    conn.execute("ANALYZE tickets")
    conn.execute("ANALYZE customers")
    figures["build_s"] = time.perf_counter() - began
    figures["size_mib"] = _search_size(conn, name)
    for _label, text in QUERIES:
        where = _where(condition, text)
        ids = {r[0] for r in conn.execute(f"SELECT t.id FROM tickets t WHERE {where}")}
        count_ms = best_ms(
            lambda w=where: conn.execute(f"SELECT count(*) FROM tickets t WHERE {w}")
        )
        page_ms = best_ms(
            lambda w=where: conn.execute(
                f"SELECT t.id FROM tickets t WHERE {w} ORDER BY t.due_at, t.id LIMIT 100"
            ).fetchall()
        )
        figures["queries"][text] = (ids == expected[text], len(ids), count_ms, page_ms)
    figures["insert_s"] = _insert_cost(conn)
    for statement in teardown:
        conn.execute(statement)
    return figures


def _search_size(conn: Any, name: str) -> float:
    if name == "bigram":
        sql = "SELECT pg_total_relation_size('bench_grams')"
    else:
        sql = (
            "SELECT coalesce(sum(pg_relation_size(indexrelid)), 0) FROM pg_stat_user_indexes "
            "WHERE indexrelname LIKE 'bench_%'"
        )
    return conn.execute(sql).fetchone()[0] / 2**20


def _insert_cost(conn: Any) -> float:
    """Seconds to insert :data:`EXTRA` tickets in one transaction (then removed)."""
    rows = list(tickets(EXTRA, first=TICKETS + 1, seed=9))
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO tickets (version, channel, type, priority, category, description,"
            f" paused_seconds, response_breached, resolve_breached, {TICKET_COLUMNS}) VALUES"
            " (1, 'hotline', 'consultation', 'normal', '', '', 0, false, false,"
            " %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    spent = time.perf_counter() - began
    conn.execute(f"DELETE FROM server_changes WHERE record_id > {TICKETS}")
    conn.execute(f"DELETE FROM tickets WHERE id > {TICKETS}")
    if conn.execute("SELECT to_regclass('bench_grams')").fetchone()[0]:
        conn.execute(f"DELETE FROM bench_grams WHERE ticket_id > {TICKETS}")
    conn.execute("VACUUM ANALYZE tickets")
    return spent


def product_figures(url: str) -> dict[str, tuple[float, float]]:
    """The product's search through the queue's page source: first page and count, ms."""
    from specialops.areas.tickets.queries import QueueFilter, queue_spec
    from specialops.context import open_context
    from specialops.listing import PageSource

    context = open_context(url)
    found = {}
    try:
        for _label, text in QUERIES:

            def page(t: str = text) -> object:
                source = PageSource(
                    context.store, queue_spec(context.store, context.actor, QueueFilter())
                )
                source.set_filter(t)
                return source.page(0, 100)

            def count(t: str = text) -> object:
                source = PageSource(
                    context.store, queue_spec(context.store, context.actor, QueueFilter())
                )
                source.set_filter(t)
                return source.count()

            found[text] = (best_ms(page), best_ms(count))
    finally:
        context.close()
    return found


def _server() -> tuple[str, Callable[[], None]]:
    given = os.environ.get("SPECIALOPS_BENCH_PG")
    if given:
        return given, lambda: None
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import pg_server

    cluster = pg_server.start()
    return cluster.url(pg_server.new_database(cluster)), lambda: pg_server.stop(cluster)


def main() -> None:
    import psycopg

    os.environ.setdefault("SPECIALOPS_USER", "bench.admin")
    folder = Path(tempfile.mkdtemp(prefix="specialops-search-bench-"))
    url, stop = _server()
    try:
        began = time.perf_counter()
        fill_sqlite(folder / "ops.db")
        print(f"SQLite: {TICKETS:,} tickets in {time.perf_counter() - began:.1f} s", flush=True)
        expected = reference(folder / "ops.db")
        began = time.perf_counter()
        fill_postgresql(url)
        print(f"PostgreSQL: {TICKETS:,} tickets in {time.perf_counter() - began:.1f} s", flush=True)
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            # The schema's own search indexes step aside while each way is timed alone.
            own = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"
            ).fetchall()
            for name, _sql in own:
                conn.execute(f"DROP INDEX {name}")
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            results = {name: measure_way(conn, name, expected) for name in WAYS}
            for _name, sql in own:
                conn.execute(sql)
            conn.execute("ANALYZE")
            print(f"(the schema's {len(own)} trigram indexes put back)")
        print_ways(results, expected)
        sqlite_times = product_figures(str(folder / "ops.db"))
        pg_times = product_figures(url)
        pg_ids = _product_ids(url)
        print("\nthe product's search, queue page source (first page of 100 / count), ms")
        print(f"{'query':24}{'text':>12}{'SQLite':>16}{'PostgreSQL':>16}{'same':>6}")
        for label, text in QUERIES:
            s, p = sqlite_times[text], pg_times[text]
            same = "yes" if pg_ids[text] == expected[text] else "NO"
            print(f"{label:24}{text:>12}{s[0]:8.1f}{s[1]:8.1f}{p[0]:8.1f}{p[1]:8.1f}{same:>6}")
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


def print_ways(results: dict[str, dict[str, Any]], expected: dict[str, set[int]]) -> None:
    print(f"\n{'way':10}{'build s':>9}{'MiB':>8}{f'insert {EXTRA:,} s':>16}")
    for name, figures in results.items():
        print(
            f"{name:10}{figures['build_s']:9.2f}{figures['size_mib']:8.1f}"
            f"{figures['insert_s']:16.2f}"
        )
    print("\nper query: right? (found/expected), count ms, first page ms")
    print(f"{'query':24}" + "".join(f"{name:>24}" for name in results))
    for label, text in QUERIES:
        cells = ""
        for figures in results.values():
            right, found, count_ms, page_ms = figures["queries"][text]
            mark = "ok" if right else f"NO {found}/{len(expected[text])}"
            cells += f"{mark:>12}{count_ms:6.1f}{page_ms:6.1f}"
        print(f"{label:24}{cells}")


if __name__ == "__main__":
    main()
