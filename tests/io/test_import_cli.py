"""``specialops import / export / schema`` in real subprocesses, as nightly scripts run them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ADMIN, run_cli

HEADER = "code,name,type,phone,email,address,tier,notes\n"
SUMMARY_KEYS = {
    "entity",
    "file",
    "format",
    "encoding",
    "rows",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "errors",
    "dry_run",
    "batch",
    "ignored_columns",
    "notes",
}


@pytest.fixture
def db(db_path: Path) -> Path:
    """A new database without customers, with a staff member and an auditor."""
    from specialops.areas.people.actions import add_user
    from specialops.context import open_context

    context = open_context(str(db_path), create=True)  # the CLI's own init is tested elsewhere
    for login, role in (("liu.fang", "staff"), ("sun.li", "auditor")):
        add_user(context.store, context.actor, login, login, role)
    context.close()
    return db_path


def count(db: Path, table: str = "customers") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def test_a_gbk_csv_saved_by_excel_imports_and_reports_its_encoding(db, tmp_path) -> None:
    rows = "".join(
        f",{name},{kind},0912{n:06d},,台北市信義區市府路{n}號,{tier},備註{n}\r\n"
        for n, (name, kind, tier) in enumerate(
            [("王小明", "個人", "金卡"), ("陳美麗", "公司", "一般"), ("林大華", "个人", "银卡")] * 4
        )
    )
    source = tmp_path / "客戶.csv"
    source.write_bytes((HEADER.replace("\n", "\r\n") + rows).encode("gb18030"))
    done = run_cli("import", "customers", str(source), "--json", db=db)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["encoding"].lower().replace("-", "") in {"gb18030", "gbk", "gb2312"}
    assert (summary["rows"], summary["inserted"], summary["errors"]) == (12, 12, [])
    exported = run_cli("export", "customers", "--where", "tier=gold", db=db)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.count("王小明") == 4 and "台北市信義區市府路0號" in exported.stdout


def test_a_wrong_encoding_is_refused_and_writes_nothing(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_bytes((HEADER + ",王小明,個人,,,,,\n").encode("gb18030"))
    done = run_cli("import", "customers", str(source), "--encoding", "utf-8", db=db)
    assert done.returncode in (1, 2), done.stderr
    assert done.stderr.startswith("specialops: ") and "utf-8" in done.stderr.lower()
    assert count(db) == 0


def test_bad_rows_exit_1_with_every_problem_on_stderr(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + ",A,robot,,,,,\n,,,,x@y,,gold,\n", "utf-8")
    done = run_cli("import", "customers", str(source), db=db)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "line 2, column type: 'robot' is not one of: individual (個人/个人), company (公司)",
        "line 3, column name: required",
        "line 3, column email: 'x@y' is not an e-mail address",
    ]
    assert "nothing written" in done.stdout
    as_json = run_cli("import", "customers", str(source), "--json", db=db)
    errors = json.loads(as_json.stdout)["errors"]
    assert errors[0] == {
        "line": 2,
        "column": "type",
        "message": "'robot' is not one of: individual (個人/个人), company (公司)",
    }
    assert count(db) == 0


def test_skip_writes_good_rows_and_a_rejects_file_in_the_same_format(db, tmp_path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text(
        '{"name": "好客戶", "tier": "vip"}\n{"name": "壞客戶", "tier": "diamond"}\n', "utf-8"
    )
    rejects = tmp_path / "rejects.jsonl"
    done = run_cli(
        "import", "customers", str(source), "--on-error", "skip", "--rejects", str(rejects), db=db
    )
    assert done.returncode == 0, done.stderr
    assert "1 inserted" in done.stdout and "1 rejected" in done.stdout
    (line,) = rejects.read_text("utf-8").splitlines()
    bad = json.loads(line)
    assert bad["name"] == "壞客戶" and bad["error"].startswith("tier: 'diamond'")
    assert count(db) == 1


def test_dry_run_and_upsert_report_counts(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + "CUS-000001,A,,,,,,\n", "utf-8")
    dry = run_cli("import", "customers", str(source), "--dry-run", "--json", db=db)
    assert json.loads(dry.stdout)["inserted"] == 1 and json.loads(dry.stdout)["dry_run"]
    assert count(db) == 0
    assert run_cli("import", "customers", str(source), db=db).returncode == 0
    source.write_text(HEADER + "CUS-000001,B,,,,,,\n", "utf-8")
    done = run_cli("import", "customers", str(source), "--upsert", "--json", db=db)
    summary = json.loads(done.stdout)
    assert (summary["updated"], summary["inserted"], summary["unchanged"]) == (1, 0, 0)
    assert len(summary["batch"]) == 32


def test_standard_input_and_output(db) -> None:
    done = run_cli(
        "import",
        "customers",
        "-",
        "--format",
        "csv",
        db=db,
        input=(HEADER + ",甲,,,,,,\n").encode(),
    )
    assert done.returncode == 0, done.stderr
    out = subprocess.run(
        [sys.executable, "-m", "specialops", "--db", str(db), "export", "customers"],
        capture_output=True,
        check=True,
    )
    assert out.stdout.startswith(b"\xef\xbb\xbfcode,name,type")
    assert "CUS-000001,甲,individual" in out.stdout.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"", 1, "empty"),
        (HEADER.encode(), 0, "0 rows"),
        (b'[{"name": "A"}, {"name": ', 1, "not valid JSON"),
    ],
)
def test_empty_header_only_and_malformed_files(db, tmp_path, content, code, words) -> None:
    source = tmp_path / ("c.json" if content.startswith(b"[") else "c.csv")
    source.write_bytes(content)
    done = run_cli("import", "customers", str(source), db=db)
    assert done.returncode == code, done.stderr
    assert words in (done.stdout + done.stderr)
    assert count(db) == 0


def test_usage_errors_exit_2(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER, "utf-8")
    assert run_cli("import", "customer", str(source), db=db).returncode == 2
    assert run_cli("import", "customers", str(source), "--on-error", "x", db=db).returncode == 2
    assert run_cli("import", "customers", str(tmp_path / "none.csv"), db=db).returncode == 2
    assert run_cli("export", "customers", "--json", db=db).returncode == 2
    assert run_cli("export", "customers", "--where", "colour", db=db).returncode == 2


def test_staff_may_not_import(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + ",A,,,,,,\n", "utf-8")
    done = run_cli("import", "customers", str(source), db=db, user="liu.fang")
    assert done.returncode == 1
    assert done.stderr.strip() == "specialops: liu.fang (staff) may not import records"
    acting = run_cli("--as", "liu.fang", "import", "customers", str(source), db=db, user=ADMIN)
    assert acting.returncode == 1 and "may not import" in acting.stderr
    assert count(db) == 0


def test_an_auditor_exports_masked_personal_data(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + ",A,,0912345678,a@example.com,,,\n", "utf-8")
    run_cli("import", "customers", str(source), db=db)
    done = run_cli("export", "customers", "--format", "jsonl", db=db, user="sun.li")
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)
    assert row["phone"] == "******5678" and row["email"] == "a***@example.com"
    assert "masked" in done.stderr


def test_a_locked_database_exits_3_and_stays_intact(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + ",A,,,,,,\n", "utf-8")
    before = dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        done = run_cli(
            "import",
            "customers",
            str(source),
            db=db,
            env={"SPECIALOPS_BUSY_TIMEOUT_MS": "300"},
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 3, done.stderr
    assert "busy" in done.stderr and done.stderr.count("\n") == 1
    assert dump(db) == before
    assert run_cli("audit", "verify", db=db).returncode == 0


def test_two_imports_at_once_both_succeed(db, tmp_path) -> None:
    procs = []
    for n in range(2):
        source = tmp_path / f"c{n}.csv"
        source.write_text(HEADER + "".join(f",客戶{n}-{i},,,,,,\n" for i in range(3000)), "utf-8")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "specialops",
                    "--db",
                    str(db),
                    "import",
                    "customers",
                    str(source),
                    "--json",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        )
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
        assert json.loads(out)["inserted"] == 3000
    with sqlite3.connect(db) as conn:
        codes = [r[0] for r in conn.execute("SELECT code FROM customers ORDER BY code")]
    assert len(codes) == len(set(codes)) == 6000
    assert codes[-1] == "CUS-006000"
    assert run_cli("audit", "verify", db=db).returncode == 0


def test_quiet_without_a_terminal(db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text(HEADER + ",A,,,,,,\n", "utf-8")
    done = run_cli("import", "customers", str(source), db=db)
    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.count("\n") == 1


def test_a_terminal_sees_rows_rate_and_each_step(db, tmp_path) -> None:
    import os
    import pty
    import subprocess
    import sys

    source = tmp_path / "c.csv"
    source.write_text(HEADER + "".join(f",客戶{n},,,,,,\n" for n in range(20_000)), "utf-8")
    leader, follower = pty.openpty()
    env = {**os.environ, "SPECIALOPS_USER": "chen.admin", "COLUMNS": "120", "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-m", "specialops", "--db", str(db), "import", "customers", str(source)],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    out, _ = child.communicate(timeout=120)
    os.close(leader)
    assert child.returncode == 0
    text = shown.decode("utf-8", "replace")
    assert "importing customers" in text and "rows/s" in text
    assert "importing customers: publishing" in text
    assert b"20000 inserted" in out  # the result itself goes to standard output


def test_schema_lists_entities_and_fields_with_chinese_labels(tmp_path) -> None:
    listed = run_cli("schema", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {e["entity"] for e in json.loads(listed.stdout)}
    assert {"departments", "users", "customers"} <= names
    done = run_cli("schema", "customers", "--json")
    schema = json.loads(done.stdout)
    assert schema["key"] == "code"
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["name"]["required"] is True
    assert {"value": "company", "zh_hant": "公司", "zh_hans": "公司"} in by_name["type"]["choices"]
    assert by_name["phone"]["personal"] is True
    text = run_cli("schema", "customers")
    assert "個人/个人" in text.stdout and "customer.reveal_pii" in text.stdout
    projects = json.loads(run_cli("schema", "projects", "--json").stdout)
    stage = next(f for f in projects["fields"] if f["name"] == "stage")
    assert stage["workflow"] == "projects" and "proposed" in stage["help"]
    assert run_cli("schema", "nope").returncode == 2


def test_headless_transfer_never_loads_textual(db, tmp_path) -> None:
    out = tmp_path / "c.csv"
    script = (
        "import sys\n"
        "from specialops.cli.main import app\n"
        f"sys.argv = ['specialops', '--db', {str(db)!r}, 'export', 'users', '-o', {str(out)!r}]\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.exists()
