"""An import killed with SIGKILL while it publishes leaves the database exactly as it was."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli

ROWS = 150_000


def fingerprint(db: Path) -> dict[str, str]:
    """A checksum of every table's rows."""
    sums = {}
    with sqlite3.connect(db) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            digest = hashlib.sha256()
            for text in sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')):
                digest.update(text.encode())
            sums[table] = digest.hexdigest()
    return sums


def wal_size(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.slow
def test_sigkill_during_publish_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    assert run_cli("init", "--demo", db=db_path).returncode == 0
    source = tmp_path / "big.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("code,name,type,phone,email,address,tier,notes\n")
        for n in range(ROWS):
            handle.write(f",客戶{n},company,0912{n:06d},c{n}@example.com,台北市{n}號,gold,\n")
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = fingerprint(db_path)
    wal_before = wal_size(db_path)

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specialops",
            "--db",
            str(db_path),
            "import",
            "customers",
            str(source),
            "--verbose",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip() == "specialops: publishing":
                break
        else:
            pytest.fail(f"the import never reached its publish step (exit {proc.wait()})")
        # Wait until the publish has written uncommitted pages to the WAL, then kill.
        deadline = time.monotonic() + 60
        while wal_size(db_path) <= wal_before and proc.poll() is None:
            assert time.monotonic() < deadline, "the publish wrote nothing for a minute"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert wal_size(db_path) > wal_before
    assert fingerprint(db_path) == before
    check = run_cli("db", "check", "--json", db=db_path)
    assert check.returncode == 0, check.stdout + check.stderr
    # and the next import runs normally
    small = tmp_path / "small.csv"
    small.write_text("code,name\n,甲\n", "utf-8")
    again = run_cli("import", "customers", str(small), db=db_path)
    assert again.returncode == 0, again.stderr
