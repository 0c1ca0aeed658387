"""Eight people saving at once: writes per second and the longest wait, SQLite and PostgreSQL.

Eight real processes open tickets through the program's own action
(``open_ticket``: permission, routing, deadlines, the code counter and the
audit entry, in one writing transaction) as fast as they can for the same
few seconds (after one untimed save each, so that imports and caches are
not counted as waiting); each reports every code it was given and its
longest save (waiting for the write lock included). Then the database is checked:
every reported ticket is there, nothing else is, the codes are unique and
gapless (``TKT-000001`` … ``TKT-N``), and the audit chain verifies. Both
backends are printed side by side.

Run: ``python -m benchmarks writers``; ``python -m benchmarks.writers_bench
[--backend sqlite|postgresql|both] [--seconds 10] [--writers 8] [--pg URL]``.
The server is ``--pg``, else ``SPECIALOPS_BENCH_PG``, else a throwaway cluster
(:mod:`benchmarks.pg_cluster`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import pg_cluster

WRITERS = 8
SECONDS = 10.0
LOGIN = "bench.admin"
BACKENDS = ("sqlite", "postgresql")
ROOT = Path(__file__).resolve().parents[1]


def worker(db: str, go: str, seconds: float, out: str) -> None:
    """One writer: wait for ``go`` to exist, open tickets for ``seconds``, write a report."""
    from specialops.areas.tickets.actions import open_ticket
    from specialops.context import open_context

    ctx = open_context(db)
    # One save before the start, untimed: imports and caches, not the lock, cost the first.
    codes = [open_ticket(ctx.store, ctx.actor, subject=f"來電 {os.getpid()}").code]
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    longest = 0.0
    began = time.perf_counter()
    end = began + seconds
    try:
        while time.perf_counter() < end:
            started = time.perf_counter()
            ticket = open_ticket(ctx.store, ctx.actor, subject=f"來電 {os.getpid()}-{len(codes)}")
            longest = max(longest, time.perf_counter() - started)
            codes.append(ticket.code)
        elapsed = time.perf_counter() - began
    finally:
        ctx.close()
    timed = len(codes) - 1
    report = {"codes": codes, "timed": timed, "longest": longest, "elapsed": elapsed}
    Path(out).write_text(json.dumps(report))


@dataclass
class Outcome:
    writes: int
    seconds: float
    longest: float
    fewest: int
    lost: int
    unexpected: int
    duplicates: int
    gaps: bool
    audit_ok: bool

    @property
    def rate(self) -> float:
        return self.writes / self.seconds

    @property
    def intact(self) -> bool:
        return self.audit_ok and not (self.lost or self.unexpected or self.duplicates or self.gaps)


def _spawn(db: str, go: Path, seconds: float, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SPECIALOPS_USER": LOGIN, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.writers_bench", "--worker", db, str(go),
         str(seconds), str(out)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip


def race(db: str, folder: Path, writers: int, seconds: float) -> Outcome:
    """Run ``writers`` processes on ``db`` together, then check what they reported."""
    from specialops.context import open_context

    os.environ["SPECIALOPS_USER"] = LOGIN
    open_context(db, create=True).close()
    go = folder / "go"
    outs = [folder / f"writer-{n}.json" for n in range(writers)]
    processes = [_spawn(db, go, seconds, out) for out in outs]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("a writer did not start")
    go.touch()
    for process in processes:
        if process.wait(timeout=seconds + 300) != 0:
            raise RuntimeError(f"a writer failed (exit {process.returncode})")
    reports = [json.loads(out.read_text()) for out in outs]
    return check(db, reports)


def check(db: str, reports: list[dict]) -> Outcome:
    """Compare what the writers said they wrote with what the database holds."""
    from sqlalchemy import select

    from specialops import audit
    from specialops.areas.tickets.models import Ticket
    from specialops.context import open_context

    reported = [code for report in reports for code in report["codes"]]
    ctx = open_context(db)
    try:
        with ctx.store.engine.connect() as conn:
            stored = list(conn.execute(select(Ticket.code)).scalars())  # type: ignore[arg-type]
            chain = audit.verify(conn)
    finally:
        ctx.close()
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in stored)
    return Outcome(
        writes=sum(report["timed"] for report in reports),
        seconds=max(report["elapsed"] for report in reports),
        longest=max(report["longest"] for report in reports),
        fewest=min(report["timed"] for report in reports),
        lost=len(set(reported) - set(stored)),
        unexpected=len(set(stored) - set(reported)),
        duplicates=len(stored) - len(set(stored)) + len(reported) - len(set(reported)),
        gaps=numbers != list(range(1, len(numbers) + 1)),
        audit_ok=chain.ok,
    )


def print_table(results: dict[str, Outcome], writers: int) -> None:
    names = list(results)
    print(f"{writers} writers{'':14}" + "".join(f"{name:>12}" for name in names))
    rows = (
        ("tickets opened", lambda o: f"{o.writes:,}"),
        ("seconds", lambda o: f"{o.seconds:.1f}"),
        ("writes/s", lambda o: f"{o.rate:.0f}"),
        ("longest wait (ms)", lambda o: f"{o.longest * 1000:.0f}"),
        ("fewest by one writer", lambda o: f"{o.fewest:,}"),
        ("lost / unexpected", lambda o: f"{o.lost} / {o.unexpected}"),
        ("duplicate codes", lambda o: f"{o.duplicates}"),
        ("codes gapless", lambda o: "yes" if not o.gaps else "NO"),
        ("audit verify", lambda o: "intact" if o.audit_ok else "BROKEN"),
    )
    for label, cell in rows:
        print(f"{label:23}" + "".join(f"{cell(results[name]):>12}" for name in names))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.writers_bench")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--pg", help=f"a PostgreSQL database URL (else {pg_cluster.ENV})")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args(sys.argv[1:])
    if options.worker:
        db, go, seconds, out = options.worker
        worker(db, go, float(seconds), out)
        return
    if options.pg:
        os.environ[pg_cluster.ENV] = options.pg
    backends = BACKENDS if options.backend == "both" else (options.backend,)
    results: dict[str, Outcome] = {}
    folder = Path(tempfile.mkdtemp(prefix="specialops-bench-writers-"))
    try:
        if "sqlite" in backends:
            results["sqlite"] = race(
                str(folder / "writers.db"), folder, options.writers, options.seconds
            )
        if "postgresql" in backends:
            for out in folder.glob("writer-*.json"):
                out.unlink()
            (folder / "go").unlink(missing_ok=True)
            with pg_cluster.server() as server:
                url = server.new_database()
                results["postgresql"] = race(url, folder, options.writers, options.seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results, options.writers)
    if not all(outcome.intact for outcome in results.values()):
        raise SystemExit("writes were lost or the log is broken")


if __name__ == "__main__":
    main()
