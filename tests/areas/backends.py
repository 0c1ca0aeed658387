"""Tests of the areas on each backend: a new database on either."""

from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def new_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A new database on the backend ``request.param`` names (one of :data:`BACKENDS`): a
    file in ``folder``, or a copy of the migrated template on the test server."""
    if request.param == "sqlite":
        return str(folder / "ops.db")
    from tests import pg_server

    cluster = request.getfixturevalue("pg_cluster")
    return cluster.url(pg_server.new_database(cluster, request.getfixturevalue("pg_template")))
