"""A colleague who saves a change every half second: ``python -m benchmarks.steady_writer DB
STOP [INTERVAL [LOGIN]]``.

Each change rewrites the notes of one customer of its own (an agent at work) and logs
it, in its own short writing transaction,
until the file STOP exists; then prints how many changes were made and the longest
one took (waiting for the write lock included), as ``writes=N longest=S``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from specialops import audit, clock
from specialops.areas.customers.models import Customer
from specialops.areas.people.actions import resolve_actor
from specialops.store.store import open_store


def main(db: str, stop: str, interval: float = 0.5, login: str = "bench.admin") -> None:
    store = open_store(f"sqlite:///{db}")
    actor = resolve_actor(store, login, None)
    table = Customer.__table__  # type: ignore[attr-defined]
    writes, longest = 0, 0.0
    with store.connect_write() as conn:
        now = clock.now()
        found = conn.execute(
            table.insert().values(
                code="CUS-999999",
                name="常客 王先生",
                type="individual",
                version=1,
                created_at=now,
                updated_at=now,
                updated_by=login,
            )
        )
        own = found.inserted_primary_key[0]
        audit.append(conn, actor, [audit.Event("insert", "customers", "CUS-999999", own)])
    try:
        while not Path(stop).exists():
            started = time.perf_counter()
            with store.connect_write() as conn:
                notes = f"第 {writes} 次來電"
                conn.execute(
                    table.update()
                    .where(table.c.id == own)
                    .values(notes=notes, version=table.c.version + 1)
                )
                event = audit.Event(
                    "update", "customers", "CUS-999999", own, after={"notes": notes}
                )
                audit.append(conn, actor, [event])
            longest = max(longest, time.perf_counter() - started)
            writes += 1
            time.sleep(interval)
    finally:
        store.dispose()
    print(f"writes={writes} longest={longest:.3f}", flush=True)


if __name__ == "__main__":
    interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    main(sys.argv[1], sys.argv[2], interval, *sys.argv[4:5])
