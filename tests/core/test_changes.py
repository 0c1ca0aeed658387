"""Watchers hear of others' changes on both backends, with the entities they touched."""

from __future__ import annotations

import sqlite3

from specialops.store import changes
from tests.conftest import ADMIN, run_cli

# An upper bound only: a change must be heard long before it, on a loaded machine too.
HEARD_WITHIN = 30.0


def _db(ctx) -> str:
    return str(ctx.store.path) if ctx.store.is_sqlite else ctx.store.url


def test_a_change_by_another_process_is_heard_with_its_entity(any_ctx) -> None:
    watcher = changes.watch(any_ctx.store)
    try:
        assert watcher.wait(0.3) is None  # nothing yet
        added = run_cli("--db", _db(any_ctx), "users", "add", "li.ming", "--name", "李明")
        assert added.returncode == 0, added.stderr
        assert watcher.wait(HEARD_WITHIN) == {"users"}
        assert watcher.wait(0.3) is None  # heard once
    finally:
        watcher.close()


def test_several_changes_between_waits_are_heard_together(any_ctx) -> None:
    watcher = changes.watch(any_ctx.store)
    try:
        for name in ("a.one", "b.two"):
            assert (
                run_cli("--db", _db(any_ctx), "users", "add", name, "--name", name).returncode == 0
            )
        zone = run_cli("--db", _db(any_ctx), "db", "zone", "Asia/Taipei", user=ADMIN)
        assert zone.returncode == 0, zone.stderr
        heard: set[str] = set()
        while "settings" not in heard:
            got = watcher.wait(HEARD_WITHIN)
            assert got is not None
            heard |= got
        assert heard == {"users", "settings"}
    finally:
        watcher.close()


def test_a_change_made_behind_the_programs_back_is_heard_too(any_ctx, request) -> None:
    watcher = changes.watch(any_ctx.store)
    try:
        if any_ctx.store.is_sqlite:
            conn = sqlite3.connect(any_ctx.store.path)
            conn.execute("UPDATE users SET name = 'x'")
            conn.commit()
            conn.close()
            assert watcher.wait(HEARD_WITHIN) == {changes.ANYTHING}
        else:
            database = any_ctx.store.url.split("/")[3].split("?")[0]
            request.getfixturevalue("pg_cluster").sql("UPDATE users SET name = 'x'", database)
            assert watcher.wait(HEARD_WITHIN) == {"users"}
    finally:
        watcher.close()
