"""File reader and writer speed and memory.

Run ``python -m benchmarks.formats_bench [ROWS] [WRITE_ROWS]``.

Reads a generated 8-column CSV of Chinese text (1,000,000 rows by default) in a
child process, so its peak RSS is the reader's own, and writes 100,000 rows in
every format. Prints figures; asserts nothing.
"""

from __future__ import annotations

import csv
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROWS = 1_000_000
WRITE_ROWS = 100_000
COLUMNS = ["code", "name", "type", "phone", "email", "address", "tier", "notes"]


def make_csv(path: Path, rows: int) -> None:
    """A UTF-8 (BOM) CSV of ``rows`` customers, with quoted commas and newlines now and then."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(rows):
            note = "回訪, 滿意\n下次再聯絡" if i % 50 == 0 else "一般客戶"
            out.writerow(
                [
                    f"CUS-{i:07d}",
                    f"客戶{i}號有限公司",
                    "company" if i % 2 else "個人",
                    f"+886-2-{i % 10000:04d}-{i % 7777:04d}",
                    f"user{i}@example.com",
                    f"臺北市信義區忠孝東路{i % 500}號",
                    "gold",
                    note,
                ]
            )


def read_child(path: str) -> None:
    """In a child process: read every row and print rows, seconds and peak RSS."""
    from specialops.io.formats import open_reader

    started = time.perf_counter()
    count = problems = 0
    for row in open_reader(Path(path), "csv"):
        count += 1
        problems += row.problem is not None
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} {problems} {elapsed:.3f} {peak_mb:.1f}")


def bench_read(folder: Path, rows: int) -> None:
    path = folder / "big.csv"
    started = time.perf_counter()
    make_csv(path, rows)
    size_mb = path.stat().st_size / 1e6
    print(f"generated {rows:,} rows, {size_mb:.0f} MB in {time.perf_counter() - started:.1f} s")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.formats_bench", "--read-child", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    count, problems, seconds, peak = int(out[0]), int(out[1]), float(out[2]), float(out[3])
    print(
        f"read csv: {count:,} rows ({problems} problems) in {seconds:.1f} s = "
        f"{count / seconds:,.0f} rows/s, peak RSS {peak:.0f} MB"
    )


def bench_write(folder: Path, rows: int) -> None:
    from specialops.io.formats import FORMATS
    from specialops.io.writers import open_writer

    columns = [*COLUMNS, "budget", "start_date"]
    record = {
        "code": "CUS-0000001",
        "name": "客戶甲有限公司",
        "type": "company",
        "phone": "+886-2-1234-5678",
        "email": "a@example.com",
        "address": "臺北市信義區忠孝東路五段",
        "tier": "gold",
        "notes": "回訪, 滿意",
        "budget": Decimal("125000.50"),
        "start_date": date(2026, 11, 28),
    }
    for fmt in FORMATS:
        target = folder / f"out.{fmt}"
        started = time.perf_counter()
        writer = open_writer(target, fmt, columns)
        for _ in range(rows):
            writer.write(record)
        writer.close()
        seconds = time.perf_counter() - started
        print(
            f"write {fmt}: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s, "
            f"{target.stat().st_size / 1e6:.1f} MB"
        )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--read-child"]:
        read_child(args[1])
        return
    rows = int(args[0]) if args else ROWS
    write_rows = int(args[1]) if len(args) > 1 else WRITE_ROWS
    with tempfile.TemporaryDirectory(prefix="specialops-formats-") as folder:
        bench_read(Path(folder), rows)
        bench_write(Path(folder), write_rows)


if __name__ == "__main__":
    main()
