"""The paged list source: keyset pages, jumps, tail, sort and filter against a plain query,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text as sql

from specialops.areas.people.queries import users_spec
from specialops.listing import PageSource

ROWS = 3000
SURNAMES = ["王", "李", "張", "陳", "林", "黃", "Wang", "Lee", "50%_off"]
GIVEN = ["小明", "美玲", "建國", "Emily", "志遠", ""]


def _fill(store, rows: int = ROWS) -> None:
    """Add many users with repeated names and roles, some without a department."""
    rng = random.Random(7)
    with store.engine.begin() as conn:
        conn.execute(
            sql(
                "INSERT INTO departments (version, created_at, updated_at, code, name)"
                " VALUES (1, '2026-01-01', '2026-01-01', :code, :name)"
            ),
            [{"code": "D1", "name": "研發部"}, {"code": "D2", "name": "市場推廣部"},
             {"code": "D3", "name": "Finance"}],
        )  # fmt: skip
        conn.execute(
            sql(
                "INSERT INTO users (version, created_at, updated_at, username, name,"
                " department_id, role, active) VALUES (1, '2026-01-01', '2026-01-01',"
                " :username, :name, :department, :role, TRUE)"
            ),
            [
                {
                    "username": f"user{i:05d}",
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "department": rng.choice([None, 1, 2, 3]),
                    "role": rng.choice(["staff", "agent", "manager"]),
                }
                for i in range(rows)
            ],
        )


SORT_SQL = {"username": "u.username", "name": "u.name", "role": "u.role", "department": "d.name"}


def _expected(store, sort: str, descending: bool, like: str | None = None) -> list[int]:
    """Ids in order from one plain full query: NULL first ascending, as on SQLite;
    ``like`` a substring, ASCII letters in either case."""
    direction = "DESC" if descending else "ASC"
    nulls = "" if store.is_sqlite else (" NULLS LAST" if descending else " NULLS FIRST")
    where = ""
    if like is not None:
        found = "instr({}, :like) > 0" if store.is_sqlite else "strpos({}, :like) > 0"
        where = "WHERE " + " OR ".join(
            found.format(f"lower({c})") for c in ("u.username", "u.name", "d.name")
        )
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                sql(
                    "SELECT u.id FROM users u LEFT JOIN departments d ON d.id = u.department_id"
                    f" {where} ORDER BY {SORT_SQL[sort]} {direction}{nulls}, u.id {direction}"
                ),
                {"like": (like or "").lower()},
            ).scalars()
        )


@pytest.fixture
def ctx(any_ctx):
    return any_ctx


@pytest.fixture
def source(ctx):
    _fill(ctx.store)
    return PageSource(ctx.store, users_spec())


def _keys(rows) -> list[int]:
    return [row.key for row in rows]


@pytest.mark.parametrize("sort", ["username", "name", "role", "department"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_forward_backward_and_jumps_match_a_full_query(source, ctx, sort, descending):
    source.set_sort(sort, descending)
    expected = _expected(ctx.store, sort, descending)
    total = source.count()
    assert total == len(expected) == ROWS + 1  # plus the admin

    size = 37
    walked: list[int] = []
    for start in range(0, total, size):
        walked += _keys(source.page(start, size))
    assert walked == expected

    source.set_sort("username" if sort != "username" else "name", descending)
    source.set_sort(sort, descending)  # forget every cached boundary
    tail = source.tail(size)
    assert _keys(tail) == expected[-size:]
    start = total - size
    while start > 0:
        start = max(start - size, 0)
        assert _keys(source.page(start, size)) == expected[start : start + size]

    rng = random.Random(sort)
    for _ in range(25):
        start = rng.randrange(0, total)
        assert _keys(source.page(start, size)) == expected[start : start + size]


def test_pages_next_to_a_cached_boundary_use_keyset_with_a_short_skip(source, ctx):
    source.set_sort("department", True)
    expected = _expected(ctx.store, "department", True)
    source.page(1000, 20)
    # a page a little after and a little before the cached one
    assert _keys(source.page(1050, 20)) == expected[1050:1070]
    assert _keys(source.page(960, 20)) == expected[960:980]


def test_rows_are_plain_values_with_display_cells(source):
    row = source.page(0, 1)[0]
    assert row["username"] == "chen.admin"
    assert row.cells[0] == "chen.admin"
    assert row.cells[2] == "admin 系統管理員"
    assert row["department"] is None and row.cells[3] == ""
    assert not hasattr(row, "_sa_instance_state")


@pytest.mark.parametrize("text", ["王", "市場", "Emily", "emily", "WANG", "50%_", "%"])
def test_filter_matches_substrings_including_cjk_case_and_like_wildcards(source, ctx, text):
    source.set_filter(text)
    expected = _expected(ctx.store, "username", False, like=text)
    assert expected, "the data must contain matches"
    assert source.count() == len(expected)
    got: list[int] = []
    for start in range(0, len(expected), 100):
        got += _keys(source.page(start, 100))
    assert got == expected
    assert _keys(source.tail(10)) == expected[-10:]


def test_filter_with_no_match_is_empty(source):
    source.set_filter("不存在的名字")
    assert source.count() == 0
    assert source.page(0, 10) == []
    assert source.tail(10) == []


def test_sort_change_keeps_count_and_bumps_generation(source):
    total = source.count()
    generation = source.generation
    source.set_sort("name", True)
    assert source.generation > generation
    assert source.sort == ("name", True)
    assert source.count() == total
    with pytest.raises(ValueError):
        source.set_sort("active")


def test_fixed_filter(source, ctx):
    source.set_fixed(role="agent")
    with ctx.store.engine.connect() as conn:
        agents = conn.execute(sql("SELECT count(*) FROM users WHERE role = 'agent'")).scalar()
    assert source.count() == agents > 0
    assert {row["role"] for row in source.page(0, 500)} == {"agent"}
