"""Several processes writing one database at once: nothing lost, no lock errors."""

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
def test_four_processes_two_hundred_writes_each(db_path: Path) -> None:
    from specialops.context import open_context
    from specialops.models.core import Department

    ctx = open_context(str(db_path), create=True)
    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="SHARED", name="0"))
    ctx.close()

    per_worker = 200
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), f"w{n}", str(per_worker)],
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

    import sqlite3

    conn = sqlite3.connect(db_path)
    codes = [r[0] for r in conn.execute("SELECT code FROM departments WHERE code LIKE 'DEP-%'")]
    names = {r[0] for r in conn.execute("SELECT name FROM departments WHERE code LIKE 'DEP-%'")}
    shared = conn.execute("SELECT name, version FROM departments WHERE code = 'SHARED'").fetchone()
    conn.close()
    assert len(codes) == len(set(codes)) == 4 * per_worker
    assert names == {f"w{n}-{i} 部門" for n in range(4) for i in range(per_worker)}
    # every increment landed: no lost update
    assert shared == (str(4 * per_worker), 4 * per_worker + 1)
    verify = run_cli("audit", "verify", "--json", db=db_path)
    assert verify.returncode == 0, verify.stdout
    assert json.loads(verify.stdout)["checked"] >= 2 * 4 * per_worker
