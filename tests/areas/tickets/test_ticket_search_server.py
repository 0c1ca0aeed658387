"""The ticket queue's search on a PostgreSQL server: through its trigram indexes, and the
same tickets found when an index is missing, which ``db check`` then names."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from specialops.areas.tickets import actions as tickets
from specialops.areas.tickets import queries as queue
from specialops.context import open_context
from tests.conftest import run_cli


@pytest.fixture
def server_ctx(pg_url: str):
    context = open_context(pg_url, create=True)
    yield context
    context.close()


def _plan(ctx, text: str) -> str:
    """The server's plan for the queue's search for ``text``, told to avoid table scans,
    with the values bound as the queue binds them."""
    spec = queue.queue_spec(ctx.store, ctx.actor, queue.QueueFilter())
    source = spec.source.subquery()
    compiled = select(source.c.id).where(spec.search(text, source)).compile(ctx.store.engine)
    with ctx.store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
        return "\n".join(rows)


def test_three_characters_or_more_go_through_the_trigram_indexes(server_ctx) -> None:
    plan = _plan(server_ctx, "外箱破損")
    for index in ("ix_tickets_subject_trgm", "ix_tickets_code_trgm", "ix_customers_name_trgm"):
        assert index in plan, plan
    assert "_trgm" not in _plan(server_ctx, "破損")  # which would read the whole index


def test_a_missing_search_index_finds_the_same_and_db_check_names_it(
    pg_cluster, pg_url: str, server_ctx
) -> None:
    ticket = tickets.open_ticket(server_ctx.store, server_ctx.actor, subject="包裹外箱破損")

    def found(text: str) -> list[str]:
        source = queue.queue_source(server_ctx.store, server_ctx.actor)
        source.set_filter(text)
        return [row["code"] for row in source.page(0, 5)]

    def index_problems() -> list[str]:
        checked = run_cli("--db", pg_url, "db", "check", "--json")
        assert checked.stdout, checked.stderr
        return [p for p in json.loads(checked.stdout)["problems"] if p.startswith("index ")]

    assert found("外箱破損") == [ticket.code]
    assert index_problems() == []
    database = pg_url.split("/")[3].split("?")[0]
    pg_cluster.sql("DROP INDEX ix_tickets_subject_trgm", database=database)
    assert found("外箱破損") == [ticket.code]
    [problem] = index_problems()
    assert problem.startswith("index ix_tickets_subject_trgm is missing")
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in problem
