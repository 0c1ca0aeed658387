"""Tests of the areas on each backend: new databases on either, and a failure known on
PostgreSQL only, held to it."""

from __future__ import annotations

from pathlib import Path

import pytest


def fails_on_server(request: pytest.FixtureRequest, ctx, reason: str) -> None:
    """Expect this test to fail on PostgreSQL (strictly: it must) for ``reason``, a fault
    outside the area; on SQLite it must pass."""
    if not ctx.store.is_sqlite:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


BACKENDS = ("sqlite", "postgresql")


def new_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A new database on the backend ``request.param`` names (one of :data:`BACKENDS`): a
    file in ``folder``, or a copy of the migrated template on the test server."""
    if request.param == "sqlite":
        return str(folder / "ops.db")
    from tests import pg_server

    cluster = request.getfixturevalue("pg_cluster")
    return cluster.url(pg_server.new_database(cluster, request.getfixturevalue("pg_template")))
