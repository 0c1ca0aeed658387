"""Several processes writing one database at once, on SQLite and on PostgreSQL: nothing
lost, no lock errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

WRITER = """
import sys
from sqlmodel import select
from specialops.context import open_context
from specialops.models.core import Department
from specialops.store import codes
from specialops.store.records import update_record

ctx = open_context(sys.argv[1])
worker = sys.argv[2]
for i in range(int(sys.argv[3])):
    with ctx.store.write(ctx.actor) as session:
        number = codes.allocate(session.connection(), "DEP")
        session.add(Department(code=codes.format_code("DEP", number, 5), name=f"{worker}-{i} 部門"))
    # a read-modify-write of one shared record, each time with the version just read
    while True:
        with ctx.store.read() as session:
            shared = session.exec(select(Department).where(Department.code == "SHARED")).one()
        try:
            with ctx.store.write(ctx.actor) as session:
                update_record(session, Department, shared.id, shared.version,
                              {"name": str(int(shared.name) + 1)})
            break
        except Exception as error:  # a stale copy: read again and retry
            if "changed by" not in str(error):
                raise
print("done", worker)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_four_processes_two_hundred_writes_each(request, db_path: Path, backend: str) -> None:
    from sqlalchemy import text

    from specialops.context import open_context
    from specialops.models.core import Department

    db = str(db_path) if backend == "sqlite" else request.getfixturevalue("pg_url")
    ctx = open_context(db, create=True)
    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="SHARED", name="0"))

    per_worker = 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, f"w{n}", str(per_worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for n in range(4)
    ]
    outcomes = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err

    with ctx.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT code, name FROM departments WHERE code LIKE 'DEP-%'"))
        codes, names = zip(*rows.all(), strict=True)
        shared = tuple(
            conn.execute(text("SELECT name, version FROM departments WHERE code = 'SHARED'")).one()
        )
    ctx.close()
    names = set(names)
    assert len(codes) == len(set(codes)) == 4 * per_worker
    assert names == {f"w{n}-{i} 部門" for n in range(4) for i in range(per_worker)}
    # every increment landed: no lost update
    assert shared == (str(4 * per_worker), 4 * per_worker + 1)
    verify = run_cli("audit", "verify", "--json", db=db)
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["checked"] >= 2 * 4 * per_worker
