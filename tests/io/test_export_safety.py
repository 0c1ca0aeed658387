"""Exports are safe to open and never half-written.

Only text a spreadsheet would run is neutralised; a value a format cannot hold
stops the export naming its record, leaving the old file (or standard output)
untouched; a killed export leaves the old file as it was; files are private
whatever the umask; personal data that left the database is audited, even by
an export that failed part-way.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specialops.io.writers import _FORMULA_CELL, neutralise, open_writer, unneutralise
from specialops.private_files import is_temporary
from tests.conftest import one_line_error, run_cli

AUDITOR = "sun.li"  # sees customers' personal data masked
PERSONAL = ["phone", "email", "address", "id_number"]

# (name, phone, notes) as imported, and as a spreadsheet export writes them.
HOSTILE = [
    ("-1+cmd|' /C calc'!A0", "+86 138 0013 8000", "-12.5"),
    ("+A1", "+86 (21) 6123-4567", "- 備註"),
    ('=HYPERLINK("http://x.example","點我")', "+886-2-1234", "@SUM(1)"),
    ("'+86 138", "-", "-1,234.50"),
]
WRITTEN = [
    ("'-1+cmd|' /C calc'!A0", "+86 138 0013 8000", "-12.5"),
    ("'+A1", "+86 (21) 6123-4567", "'- 備註"),
    ('\'=HYPERLINK("http://x.example","點我")', "+886-2-1234", "'@SUM(1)"),
    ("'+86 138", "'-", "-1,234.50"),
]


def temporaries(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if is_temporary(name))


def sql(db: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(statement, args).fetchall()


def specialops(db: Path, *args: str) -> list[str]:
    """The command line of a fresh ``specialops`` process (its own temporary folder, umask)."""
    return [sys.executable, "-m", "specialops", "--db", str(db), *args]


def export_entries(db: Path) -> list[tuple[str, str, dict[str, object]]]:
    rows = sql(
        db, "SELECT entity, comment, after FROM audit_log WHERE action = 'export' ORDER BY id"
    )
    return [(str(e), str(c), json.loads(str(a))) for e, c, a in rows]


# --- neutralising only what a spreadsheet would run ---------------------------------------


def load_hostile(db: Path, folder: Path) -> list[str]:
    source = folder / "hostile.jsonl"
    lines = [
        json.dumps({"name": n, "phone": p, "notes": t}, ensure_ascii=False) for n, p, t in HOSTILE
    ]
    source.write_text("\n".join(lines) + "\n", "utf-8")
    done = run_cli("import", "customers", str(source), db=db)
    assert done.returncode == 0, done.stderr
    return [
        str(code) for (code,) in sql(db, "SELECT code FROM customers ORDER BY id DESC LIMIT 4")
    ][::-1]


def test_a_csv_export_neutralises_formulas_but_not_numbers_or_phone_numbers(
    demo_db: Path, tmp_path: Path
) -> None:
    codes = load_hostile(demo_db, tmp_path)
    target = tmp_path / "c.csv"
    assert run_cli("export", "customers", "-o", str(target), db=demo_db).returncode == 0
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    assert [(rows[c]["name"], rows[c]["phone"], rows[c]["notes"]) for c in codes] == WRITTEN
    again = run_cli("import", "customers", str(target), "--upsert", "--json", db=demo_db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["updated"] == 0


def test_a_workbook_holds_the_same_text_as_text(demo_db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    codes = load_hostile(demo_db, tmp_path)
    target = tmp_path / "c.xlsx"
    assert run_cli("export", "customers", "-o", str(target), db=demo_db).returncode == 0
    found = load_workbook(target).worksheets[0]
    header = [c.value for c in next(found.iter_rows(max_row=1))]
    rows = {}
    for row in found.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        rows[cells["code"].value] = cells
    for code, written in zip(codes, WRITTEN, strict=True):
        cells = [rows[code][name] for name in ("name", "phone", "notes")]
        assert tuple(c.value for c in cells) == written
        assert all(c.data_type == "s" for c in cells)  # text, never a formula
    again = run_cli("import", "customers", str(target), "--upsert", "--json", db=demo_db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["updated"] == 0


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
        ("+A1", "'+A1"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(1)", "'@SUM(1)"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
        ("+86 (21) 6123-4567", "+86 (21) 6123-4567"),
        ("+44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
        ("-12.5", "-12.5"),
        ("-1,234.50", "-1,234.50"),
        ("-.5", "-.5"),
        ("- 備註", "'- 備註"),
        ("--", "'--"),
        ("-", "'-"),
        ("-1-1", "'-1-1"),  # no telephone number starts with a minus
        ("-1,23", "'-1,23"),
        ("+86  138", "'+86  138"),  # two blanks between groups: not a telephone number
        ("+1+1", "'+1+1"),
        ("-12\n=1", "'-12\n=1"),
        ("-１２", "'-１２"),  # full-width digits are not a number a spreadsheet reads
        ("'+86 138", "'+86 138"),
        ("''-3", "''-3"),
        ("'+A1", "''+A1"),
        ("\t-1", "'\t-1"),
    ],
)
def test_neutralise_examples(text: str, safe: str) -> None:
    assert neutralise(text) == safe
    assert unneutralise(safe) == text


SIGNED = st.text(alphabet="'+-0123456789 .,()=@\t\rA備\x00\n", max_size=14)


@settings(max_examples=500, deadline=None)
@given(st.one_of(SIGNED, st.from_regex(r"'{0,2}[+-][0-9 .,()-]{0,12}", fullmatch=True)))
def test_neutralise_round_trips_and_leaves_only_digits_after_a_sign(text: str) -> None:
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert safe in (text, "'" + text)
    assert not safe.startswith(("=", "@", "\t", "\r"))
    if safe.startswith(("+", "-")):
        assert set(safe[1:]) <= set("0123456789 .,-()") and any(c.isdigit() for c in safe)


@settings(max_examples=300, deadline=None)
@given(st.lists(SIGNED | st.integers(-(10**6), 10**6) | st.none(), max_size=12))
def test_the_block_check_never_passes_a_cell_that_needs_neutralising(cells: list[object]) -> None:
    needs = any(isinstance(c, str) and neutralise(c) != c for c in cells)
    joined = "\x00" + "\x00".join(map(str, cells))
    fast = joined.count("\x00") == len(cells) and not _FORMULA_CELL.search(joined)
    assert not (needs and fast)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(SIGNED | st.integers(-99, 99) | st.none(), min_size=2, max_size=2)))
def test_csv_blocks_are_written_as_each_row_would_be(rows: list[list[object]]) -> None:
    written = []
    for bulk in (False, True):
        target = io.BytesIO()
        writer = open_writer(target, "csv", ["a", "b"])
        if bulk:
            writer.write_rows([tuple(row) for row in rows])
        else:
            for row in rows:
                writer.write({"a": row[0], "b": row[1]})
        writer.close()
        written.append(target.getvalue())
    assert written[0] == written[1]


# --- a failure leaves the old file, and standard output, untouched ------------------------


def set_notes(db: Path, code: str, notes: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE customers SET notes = ? WHERE code = ?", (notes, code))


@pytest.mark.parametrize(
    ("notes", "reason"),
    [
        (
            "長" * 40_000,
            "a text of 40,000 characters is longer than an Excel cell holds (32,767)",
        ),
        (
            "鈴\x07聲",
            "the text holds the control character U+0007 (BEL) at character 2, "
            "which XLSX cannot store",
        ),
    ],
    ids=["too-long", "control-character"],
)
def test_a_failed_workbook_export_names_the_record_and_keeps_the_old_file(
    demo_db: Path, tmp_path: Path, notes: str, reason: str
) -> None:
    target = tmp_path / "c.xlsx"
    assert run_cli("export", "customers", "-o", str(target), db=demo_db).returncode == 0
    before = target.read_bytes()
    set_notes(demo_db, "CUS-000003", notes)
    failed = run_cli("export", "customers", "-o", str(target), db=demo_db)
    line = one_line_error(failed, 1, f"CUS-000003, column notes: {reason}")
    assert line.endswith("; the existing file is unchanged")
    assert target.read_bytes() == before
    fresh = tmp_path / "new.xlsx"
    failed = run_cli("export", "customers", "-o", str(fresh), db=demo_db)
    assert one_line_error(failed, 1, "CUS-000003").endswith("; nothing was written")
    assert not fresh.exists()
    assert temporaries(tmp_path) == []


def add_readings(db: Path, count: int) -> str:
    """``count`` more readings, copies of the first; the code of the last one."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO risk_indicator_readings (version, created_at, updated_at, updated_by, "
            "code, indicator_id, at, value, level, previous_level, crossed, source, recorded_by) "
            "SELECT r.version, r.created_at, r.updated_at, r.updated_by, printf('RDX-%07d', n.i), "
            "r.indicator_id, r.at, r.value, r.level, r.previous_level, r.crossed, r.source, "
            "r.recorded_by FROM n, (SELECT * FROM risk_indicator_readings ORDER BY id LIMIT 1) r",
            (count,),
        )
    return f"RDX-{count:07d}"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_standard_output_gets_nothing_from_an_export_that_fails_late(
    demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    last = add_readings(demo_db, 3000)  # hundreds of kilobytes before the failing record
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE risk_indicator_readings SET value = 9e999 WHERE code = ?", (last,))
    failed = run_cli("export", "readings", "--format", fmt, "-o", "-", db=demo_db)
    assert failed.stdout == ""
    line = one_line_error(failed, 1, f"{last}, column value: Infinity cannot be written to JSON")
    assert line.endswith("; nothing was written to standard output")


def test_standard_output_gets_nothing_from_a_failed_workbook(demo_db: Path) -> None:
    set_notes(demo_db, "CUS-000002", "長" * 40_000)
    failed = run_cli("export", "customers", "--format", "xlsx", "-o", "-", db=demo_db)
    assert failed.stdout == ""
    one_line_error(failed, 1, "CUS-000002, column notes: a text of 40,000 characters")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_standard_output_gets_the_whole_export(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"c.{fmt}"
    assert run_cli("export", "customers", "-o", str(target), db=demo_db).returncode == 0
    shown = subprocess.run(
        specialops(demo_db, "export", "customers", "--format", fmt, "-o", "-"),
        capture_output=True,
        env={**os.environ, "TMPDIR": str(private_tmp(tmp_path))},
    )
    assert shown.returncode == 0, shown.stderr
    if fmt == "csv":
        assert shown.stdout == target.read_bytes()
    else:
        from openpyxl import load_workbook

        def values(data: bytes) -> list[tuple[object, ...]]:
            return list(load_workbook(io.BytesIO(data)).worksheets[0].values)

        assert values(shown.stdout) == values(target.read_bytes())
    assert os.listdir(tmp_path / "tmp") == []  # the spool is gone


def private_tmp(folder: Path) -> Path:
    """A temporary folder of the test's own, to see what an export leaves in one."""
    tmp = folder / "tmp"
    tmp.mkdir(exist_ok=True)
    return tmp


# --- killed: the old file stays as it was ----------------------------------------------------


def add_customers(db: Path, count: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO customers (version, created_at, updated_at, code, name, type, phone, "
            "notes) SELECT 1, '2026-11-28 01:30:00.000000', '2026-11-28 01:30:00.000000', "
            "printf('BLK-%07d', i), '客戶' || i, 'company', '0912' || i, '說明說明說明' FROM n",
            (count,),
        )


def growing_temporary(folder: Path, target: str, proc: subprocess.Popen[bytes]) -> Path:
    """A temporary of ``proc`` for ``target`` once it is seen to grow."""
    deadline = time.monotonic() + 120
    sizes: dict[Path, int] = {}
    while proc.poll() is None:
        for path in folder.glob(f".{target}*.specialops-{proc.pid}-*.part"):
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if 0 < sizes.get(path, 0) < size:
                return path
            sizes[path] = max(size, sizes.get(path, 0))
        assert time.monotonic() < deadline, "the export wrote nothing for two minutes"
        time.sleep(0.002)
    pytest.fail(f"the export ended (exit {proc.returncode}) before it could be killed")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sigkill_leaves_the_old_file_and_the_next_export_clears_up(
    demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    add_customers(demo_db, 200_000)
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"big.{fmt}"
    target.write_bytes(b"the old export\n")
    tmp = private_tmp(tmp_path)
    proc = subprocess.Popen(
        specialops(demo_db, "export", "customers", "-o", str(target)),
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        growing_temporary(out, target.name, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"the old export\n"
    assert temporaries(out)  # left by the killed process …
    assert os.listdir(tmp) == []  # … and nothing with the records in the temporary folder
    later = run_cli("export", "departments", "-o", str(out / "departments.csv"), db=demo_db)
    assert later.returncode == 0, later.stderr
    assert temporaries(out) == []  # … until the next export into that folder
    assert target.read_bytes() == b"the old export\n"


# --- private whatever the umask ---------------------------------------------------------------


def other_group() -> int | None:
    """A group this login may give its files other than its own, if there is one."""
    if os.geteuid() == 0:
        return os.getegid() + 4242
    return next((g for g in os.getgroups() if g != os.getegid()), None)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_an_export_has_the_databases_group_and_no_access_for_others_under_umask_0(
    demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    group = other_group()
    if group is not None:
        os.chown(demo_db, -1, group)
    existing = tmp_path / f"open.{fmt}"
    existing.write_bytes(b"old")
    existing.chmod(0o666)
    for mode, target in ((0o660, tmp_path / f"new.{fmt}"), (0o600, existing)):
        demo_db.chmod(mode)
        done = subprocess.run(
            specialops(demo_db, "export", "customers", "-o", str(target)),
            capture_output=True,
            env={**os.environ, "TMPDIR": str(private_tmp(tmp_path))},
            umask=0,
        )
        assert done.returncode == 0, done.stderr
        info = target.stat()
        assert oct(info.st_mode & 0o777) == oct(mode)
        assert info.st_gid == demo_db.stat().st_gid
    assert temporaries(tmp_path) == [] and os.listdir(tmp_path / "tmp") == []


# --- audited, also when it fails part-way ----------------------------------------------------


def test_an_export_of_personal_data_is_audited_when_it_fails_part_way(
    demo_db: Path, tmp_path: Path
) -> None:
    set_notes(demo_db, "CUS-000005", "長" * 40_000)
    before = export_entries(demo_db)
    failed = run_cli("export", "customers", "-o", str(tmp_path / "c.xlsx"), db=demo_db)
    assert failed.returncode == 1
    ((entity, comment, after),) = export_entries(demo_db)[len(before) :]
    assert entity == "customers"
    assert comment.startswith(
        "failed export of customers with personal data (phone, email, address, id_number) "
        "to c.xlsx: stopped after 4 records (CUS-000005, column notes: a text of 40,000"
    )
    assert after["rows"] == 4 and after["fields"] == PERSONAL
    assert str(after["failed"]).startswith("CUS-000005, column notes:")
    check = run_cli("db", "check", "--json", db=demo_db)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_failed_export_without_personal_data_is_not_audited(
    demo_db: Path, tmp_path: Path
) -> None:
    set_notes(demo_db, "CUS-000005", "長" * 40_000)
    set_notes(demo_db, "CUS-000001", "長" * 40_000)
    before = export_entries(demo_db)
    masked = run_cli(
        "export", "customers", "-o", str(tmp_path / "m.xlsx"), user=AUDITOR, db=demo_db
    )
    assert masked.returncode == 1  # masked: nothing personal was written
    first = run_cli("export", "customers", "-o", str(tmp_path / "f.xlsx"), db=demo_db)
    assert first.returncode == 1  # the first record failed: nothing was written
    assert export_entries(demo_db) == before


def test_a_complete_export_of_personal_data_is_audited_once(demo_db: Path, tmp_path: Path) -> None:
    before = export_entries(demo_db)
    done = run_cli("export", "customers", "--format", "jsonl", "-o", "-", db=demo_db)
    assert done.returncode == 0, done.stderr
    count = len(done.stdout.splitlines())
    ((entity, comment, after),) = export_entries(demo_db)[len(before) :]
    assert (entity, after["rows"], after["fields"]) == ("customers", count, PERSONAL)
    assert "failed" not in after and comment.startswith(f"export of {count} records")
