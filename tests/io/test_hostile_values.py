"""Values a hostile colleague puts in a file or on the command line, through real subprocesses.

Control characters, numbers that are not finite or do not fit, lone surrogates,
bytes that are not UTF-8, values of the wrong JSON type, and files built to
break a reader: each ends in a clear one-line refusal and a stable exit code,
never a traceback, and leaves the database as it was.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli

CUSTOMERS = "name,type,notes\n"


@pytest.fixture
def db(db_path: Path) -> Path:
    """A new database with a manager, a risk with one indicator and two readings of it."""
    from specialops.areas.people.actions import add_user
    from specialops.areas.risks import actions as risks
    from specialops.context import open_context

    context = open_context(str(db_path), create=True)
    try:
        add_user(context.store, context.actor, "li.jianguo", "李建國", "manager")
        risk = risks.identify(
            context.store,
            context.actor,
            title="Supplier strike",
            category="market",
            owner="li.jianguo",
        )
        indicator = risks.add_indicator(
            context.store,
            context.actor,
            risk.id,
            name="strike days",
            unit="d",
            direction="higher_worse",
            warning=2,
            critical=5,
        )
        for value in (1.0, 3.0):
            risks.record_reading(context.store, context.actor, indicator.id, value)
    finally:
        context.close()
    return db_path


def count(db: Path, table: str = "customers") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM customers ORDER BY id")]


def assert_clean(result, codes=(0, 1, 2, 3)) -> None:
    """An expected outcome: a stable exit code, no traceback, one line per problem."""
    assert result.returncode in codes, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for line in result.stderr.splitlines():
        assert line.startswith(("line ", "specialops: ", "… and")), line


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- control characters -------------------------------------------------------------------

OSC52 = "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07"


def test_an_escape_sequence_in_a_name_is_refused_naming_line_column_and_character(
    db, tmp_path
) -> None:
    source = write(
        tmp_path / "c.csv", f"{CUSTOMERS}王大同,individual,\n陳{OSC52}美華,individual,\n"
    )
    result = run_cli("import", "customers", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert "line 3, column name:" in result.stderr
    assert "U+001B (ESC)" in result.stderr
    assert "\x1b" not in result.stderr
    assert count(db) == 0


def test_skip_writes_the_other_rows_and_rejects_the_one_with_controls(db, tmp_path) -> None:
    source = write(
        tmp_path / "c.csv", f"{CUSTOMERS}王大同,individual,\n陳{OSC52}美華,individual,\n"
    )
    rejects = tmp_path / "rejects.csv"
    result = run_cli(
        "import", "customers", str(source), "--on-error", "skip", "--rejects", str(rejects), db=db
    )
    assert_clean(result, codes=(0,))
    assert names(db) == ["王大同"]
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.DictReader(handle))
    assert len(rejected) == 1 and "U+001B" in rejected[0]["error"]


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x9b", "U+009B (CSI)"),
        ("\x00", "U+0000 (NUL)"),
        ("\x7f", "U+007F (DEL)"),
        ("\x07", "U+0007 (BEL)"),
        ("\x08", "U+0008 (BS)"),
    ],
)
def test_c1_nul_del_and_other_controls_in_jsonl_text_are_refused(db, tmp_path, char, shown) -> None:
    source = write(tmp_path / "c.jsonl", json.dumps({"name": f"a{char}b", "type": "individual"}))
    result = run_cli("import", "customers", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert "line 1, column name: holds the control character " + shown in result.stderr
    assert count(db) == 0


def test_tab_and_newline_inside_a_quoted_cell_are_kept(db, tmp_path) -> None:
    source = write(
        tmp_path / "c.csv",
        f'{CUSTOMERS}"王\t大同",individual,"first line\r\nsecond\tline"\n'
        f'"陳\x1b[2J美華",individual,"a\nb"\n',
    )
    result = run_cli("import", "customers", str(source), "--on-error", "skip", db=db)
    assert_clean(result, codes=(0,))
    assert "line 3, column name:" in result.stderr and "U+001B" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, notes FROM customers").fetchall() == [
            ("王\t大同", "first line\nsecond\tline")
        ]


# --- numbers: finite and in range ---------------------------------------------------------


def readings(db: Path) -> list[float]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT value FROM risk_indicator_readings ORDER BY id")]


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "Infinity", "-inf"])
def test_a_reading_that_is_not_finite_is_refused_on_the_command_line(db, value) -> None:
    result = run_cli("risks", "reading", "KRI-0001", "--", value, db=db)
    assert_clean(result, codes=(1,))
    assert result.stderr.startswith("specialops: value:")
    assert "finite" in result.stderr and "1e300" in result.stderr
    assert readings(db) == [1.0, 3.0]


@pytest.mark.parametrize("value", ["inf", "nan", "1e400", "Infinity", "-1e999", "NaN"])
def test_a_reading_that_is_not_finite_is_refused_by_import(db, tmp_path, value) -> None:
    source = write(
        tmp_path / "r.csv",
        f"indicator,at,value\nKRI-0001,2026-11-28T10:00:00+08:00,4\n"
        f"KRI-0001,2026-11-28T11:00:00+08:00,{value}\n",
    )
    result = run_cli("import", "readings", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert "line 3, column value:" in result.stderr
    assert "only finite numbers are accepted" in result.stderr or "1e300" in result.stderr
    assert readings(db) == [1.0, 3.0]
    skipped = run_cli("import", "readings", str(source), "--on-error", "skip", db=db)
    assert_clean(skipped, codes=(0,))
    assert readings(db) == [1.0, 3.0, 4.0]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_money_beyond_64_bits_is_refused_naming_the_field_and_range(db, tmp_path, fmt) -> None:
    rows = [
        {"name": "fits", "budget": "92233720368547758.07", "manager": "li.jianguo"},
        {"name": "too big", "budget": "99999999999999999999999", "manager": "li.jianguo"},
    ]
    source = tmp_path / f"p.{fmt}"
    if fmt == "csv":
        write(source, "name,budget,manager\n" + "".join(",".join(r.values()) + "\n" for r in rows))
    else:  # the budget as a JSON number, as a script writes it
        write(
            source,
            "".join(
                f'{{"name": "{r["name"]}", "budget": {r["budget"]}, "manager": "li.jianguo"}}\n'
                for r in rows
            ),
        )
    result = run_cli("import", "projects", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert f"line {3 if fmt == 'csv' else 2}, column budget:" in result.stderr
    assert "out of range: amounts run from 0 to 92233720368547758.07" in result.stderr
    assert count(db, "projects") == 0
    skipped = run_cli("import", "projects", str(source), "--on-error", "skip", db=db)
    assert_clean(skipped, codes=(0,))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name, budget FROM projects").fetchall() == [("fits", 2**63 - 1)]


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("99999999999999999999999", "out of range: amounts run from 0 to"),
        ("1e400", "out of range: numbers run from -1e300 to 1e300"),
        ("1e99999999999999999999", "out of range: numbers run from -1e300 to 1e300"),
        ("9" * 5000, "longer than 400 characters"),
        ("nan", "only finite numbers are accepted"),
    ],
)
def test_a_risks_loss_amount_that_does_not_fit_is_refused(db, tmp_path, cell, words) -> None:
    source = write(
        tmp_path / "r.csv",
        f"title,category,owner,loss_amount,probability\nflood,market,li.jianguo,{cell},10\n",
    )
    result = run_cli("import", "risks", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert "line 2, column loss_amount:" in result.stderr and words in result.stderr
    assert count(db, "risks") == 1


def test_whole_numbers_and_percents_stay_in_their_range(db, tmp_path) -> None:
    source = write(
        tmp_path / "r.csv",
        "title,category,owner,likelihood,impact,probability\n"
        "a,market,li.jianguo,99999999999999999999,1,10\n"
        "b,market,li.jianguo,2,2,1e400\n"
        "c,market,li.jianguo,2,2,101\n",
    )
    result = run_cli("import", "risks", str(source), db=db)
    assert_clean(result, codes=(1,))
    assert "line 2, column likelihood:" in result.stderr
    assert "line 3, column probability:" in result.stderr and "1e300" in result.stderr
    assert "line 4, column probability: 101 is above the maximum 100 (accepted: from 0 to 100)" in (
        result.stderr
    )
    assert count(db, "risks") == 1


# --- JSON Lines: lone surrogates, bytes that are not UTF-8, wrong types --------------------


def test_jsonl_lone_surrogates_bad_bytes_and_wrong_types_are_refused_row_by_row(
    db, tmp_path
) -> None:
    lines = [
        b'{"name": "\\ud800", "type": "individual"}',  # valid JSON, not Unicode
        b'{"name": "a\xff\xfeb", "type": "individual"}',  # not UTF-8
        b'{"name": {"first": "a"}, "type": "individual"}',  # an object where text goes
        b'{"name": ["a"], "type": "individual"}',  # an array where text goes
        b'{"name": "ok", "type": true}',  # a bool where a choice goes
        b'{"name": "\\udfff\\ud800 ok", "\\ud801": "x"}',  # surrogates reversed, in a key
        b"[1, 2]",  # not an object
        '{"name": "王大同", "type": "individual"}'.encode(),
    ]
    source = write(tmp_path / "c.jsonl", b"\n".join(lines) + b"\n")
    result = run_cli("import", "customers", str(source), db=db)
    assert_clean(result, codes=(1,))
    err = result.stderr
    assert "line 1: 'name' holds U+D800 (lone surrogate)" in err
    assert "line 2: bytes ff (at byte" in err and "not valid utf-8" in err
    assert "line 3: 'name' holds a nested object" in err
    assert "line 4: 'name' holds a nested array" in err
    assert "line 5, column type: 'true' is not one of" in err
    assert "line 6:" in err and "U+DFFF" in err and "U+D801" in err
    assert "line 7: expected an object" in err
    assert count(db) == 0

    rejects = tmp_path / "rejects.jsonl"
    skipped = run_cli(
        "import", "customers", str(source), "--on-error", "skip", "--rejects", str(rejects), db=db
    )
    assert_clean(skipped, codes=(0,))
    assert names(db) == ["王大同"]
    rejected = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert len(rejected) == 7
    assert rejected[0]["name"] == "\\ud800"  # shown as its escape, never as the surrogate


# --- files built to break a reader --------------------------------------------------------


def _xlsx(path: Path, strings: list[str]) -> Path:
    """A minimal workbook: one column whose cells are ``strings`` (shared strings)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{kinds}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{kinds}.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>'
        + "".join(
            f'<row r="{n}"><c r="A{n}" t="s"><v>{n - 1}</v></c></row>'
            for n in range(1, len(strings) + 1)
        )
        + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path


def _hostile_files(folder: Path) -> dict[str, Path]:
    deep = 200_000
    files: dict[str, bytes | str] = {
        "empty.csv": b"",
        "empty.jsonl": b"",
        "empty.json": b"",
        "empty.xlsx": b"",
        "bom.csv": b"\xef\xbb\xbf",
        "bom.jsonl": b"\xef\xbb\xbf",
        "bom.json": b"\xef\xbb\xbf",
        "bom16.csv": b"\xff\xfe",
        "blank-lines.csv": b"\n\r\n \n",
        "nul-header.csv": b"na\x00me\nx\n",
        "nul-row.csv": b"name\nab\x00c\nok\n",
        "long-field.csv": b'name\n"' + b"x" * (11 * 1024 * 1024) + b'"\nok\n',
        "long-line.csv": b"name\n" + b"x" * (65 * 1024 * 1024) + b"\n",
        "long-line.jsonl": b'{"name": "' + b"x" * (65 * 1024 * 1024) + b'"}\n',
        "unclosed-quote.csv": b'name,notes\nok,"never closed\n',
        "many-columns.csv": (",".join(f"c{n}" for n in range(100_000)) + "\n").encode(),
        "duplicate-header.csv": b"name,name\na,b\n",
        "controls-in-header.csv": b"na\x1b[2Jme\nx\n",
        "binary.csv": bytes(range(256)) * 64,
        "binary.jsonl": bytes(range(256)) * 64,
        "deep.json": b"[" * deep,
        "deep-object.json": b'[{"name": ' + b'{"a": ' * deep + b"1" + b"}" * deep + b"}]",
        "deep.jsonl": b"[" * deep + b"]" * deep + b'\n{"name": "ok"}\n',
        "not-an-array.json": b'{"name": "x"}',
        "scalars.jsonl": b'1\n"x"\nnull\ntrue\n{"name": "ok"}\n',
        "nan.jsonl": b'{"name": NaN}\n{"name": Infinity}\n{"name": "ok"}\n',
        "huge-number.jsonl": b'{"name": "n", "notes": 1' + b"0" * 100_000 + b"}\n",
        "truncated.json": b'[{"name": "a"}, {"name": ',
        "surrogate.json": b'[{"name": "\\ud800"}, {"name": "ok"}]',
        "surrogate.jsonl": b'{"name": "\\ud800"}\n{"name": "ok"}\n',
        "bad-utf8.jsonl": b'{"name": "\xc3\x28"}\n{"name": "ok"}\n',
        "utf16-bad.csv": b"\xff\xfen\x00a\x00m\x00e\x00\n\x00\x00\xd8\n\x00",
        "gbk-short.csv": "name\n王\n".encode("gbk"),
        "not-a-workbook.xlsx": b"PK\x03\x04 this is no zip",
        "text.xlsx": b"name\nx\n",
        "ok.csv": "name,type\n王大同,individual\n",
    }
    found = {}
    for name, data in files.items():
        found[name] = write(folder / name, data)
    found["huge-string.xlsx"] = _xlsx(folder / "huge-string.xlsx", ["name", "x" * 30_000_000, "ok"])
    found["escapes.xlsx"] = _xlsx(folder / "escapes.xlsx", ["name", "a_x001B_]52;c;x_x0007_b"])
    return found


@pytest.mark.slow
def test_hostile_files_end_in_a_clear_message_and_leave_the_database_intact(db, tmp_path) -> None:
    files = _hostile_files(tmp_path)
    outcomes = {}
    for name, path in files.items():
        before = count(db)
        result = run_cli("import", "customers", str(path), db=db)
        assert_clean(result)
        outcomes[name] = (result.returncode, result.stderr[:200])
        if result.returncode != 0:
            assert count(db) == before, name
    check = run_cli("db", "check", "--json", db=db)
    assert check.returncode == 0 and json.loads(check.stdout)["ok"], check.stdout
    # Well-formed files go in; every malformed one is refused as a whole or row by row.
    accepted = {
        "ok.csv",
        "unclosed-quote.csv",  # a quote open at the end runs to the end, as in a spreadsheet
        "huge-number.jsonl",  # a long JSON number in a text field is its digits
        "surrogate.json",  # the JSON parser reads a lone surrogate escape as "?"
    }
    assert {n for n, (code, _) in outcomes.items() if code == 0} == accepted, outcomes
    assert count(db) == len(accepted) + 1  # surrogate.json holds two rows
    # "_x001B_" is how a workbook writes ESC: read as ESC, the row is refused by name.
    assert outcomes["escapes.xlsx"][0] == 1 and "U+001B" in outcomes["escapes.xlsx"][1]


def test_skip_does_not_skip_a_bad_header_the_run_fails(db, tmp_path) -> None:
    source = write(tmp_path / "c.csv", "nmae,type\n王大同,individual\n")
    result = run_cli("import", "customers", str(source), "--on-error", "skip", "--json", db=db)
    assert_clean(result, codes=(1,))
    assert "line 1, column nmae: unknown column" in result.stderr
    summary = json.loads(result.stdout)
    assert (summary["inserted"], summary["batch"]) == (0, None)
    assert count(db) == 0


def test_json_prints_a_summary_even_when_the_file_is_refused_as_a_whole(db, tmp_path) -> None:
    source = write(tmp_path / "c.csv", b"name,name\na,b\n")
    result = run_cli("import", "customers", str(source), "--json", db=db)
    assert_clean(result, codes=(1,))
    summary = json.loads(result.stdout)
    from specialops.io.engine import ImportSummary

    assert set(summary) == set(ImportSummary("customers", "c.csv").as_json())
    assert summary["inserted"] == 0 and summary["batch"] is None
    assert (summary["errors"][0]["line"], summary["errors"][0]["column"]) == (1, "name")
    assert summary["errors"][0]["message"] == "appears twice in the header"


def test_rejects_are_written_in_the_format_their_name_says(db, tmp_path) -> None:
    from openpyxl import load_workbook

    source = write(tmp_path / "c.csv", f"{CUSTOMERS}好客戶,individual,\n壞客戶,nope,\n")
    rejects = tmp_path / "rejects.xlsx"
    result = run_cli(
        "import", "customers", str(source), "--on-error", "skip", "--rejects", str(rejects), db=db
    )
    assert_clean(result, codes=(0,))
    sheet = load_workbook(rejects, read_only=True).active
    rows = [tuple(cell for cell in row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ("name", "type", "notes", "error")
    assert rows[1][:2] == ("壞客戶", "nope") and "is not one of" in rows[1][3]
