"""Dates, times, money and percents as Chinese offices and Excel write them: one grammar
for imports, forms and the command line (:mod:`specialops.io.convert`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specialops.entities import FieldSpec
from specialops.io.convert import CellError, importer, parse_date, parse_datetime
from tests.conftest import run_cli

DAYS = st.dates(min_value=date(1955, 1, 1), max_value=date(2100, 12, 31))


@given(DAYS)
def test_every_written_form_of_a_date_reads_as_that_date(day: date) -> None:
    roc = day.year - 1911
    forms = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        f"{roc}/{day.month:02d}/{day.day:02d}",
        f"民國{roc}年{day.month}月{day.day}日",
        f"民国{roc}年{day.month}月{day.day}日",
        f"{roc}.{day.month}.{day.day}",
        str((day - date(1899, 12, 30)).days),  # Excel's day number
        day.isoformat().translate(str.maketrans("0123456789-", "０１２３４５６７８９－")),
    ]
    for form in forms:
        assert parse_date(form) == day, form


@pytest.mark.parametrize("text", ["2026-02-30", "115/13/01", "2026/1", "yesterday", "123456"])
def test_what_is_not_a_date_is_refused_with_the_forms_accepted(text: str) -> None:
    with pytest.raises(CellError, match=r"is not (a real date|a date \(use 2026-11-28)"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("2026/1/5 14:30", datetime(2026, 1, 5, 14, 30)),
        ("2026/1/5 下午 02:30:00", datetime(2026, 1, 5, 14, 30)),
        ("2026/1/5 上午 09:05", datetime(2026, 1, 5, 9, 5)),
        ("2026/1/5 上午 12:05", datetime(2026, 1, 5, 0, 5)),
        ("115/1/5 下午 2:30", datetime(2026, 1, 5, 14, 30)),
        ("2026/1/5 2:30 PM", datetime(2026, 1, 5, 14, 30)),
        ("2026年1月5日 14時30分", datetime(2026, 1, 5, 14, 30)),
    ],
)
def test_timestamps_as_excel_shows_them_in_chinese(text: str, local: datetime) -> None:
    # The suite's zone is Asia/Taipei (UTC+8), as the desk's.
    expected = local.replace(tzinfo=UTC) - timedelta(hours=8)
    assert parse_datetime(text) == expected


MONEY = importer(FieldSpec("budget", "money", min=0))


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("NT$1,200", 120_000),
        ("￥3,000元", 300_000),
        ("¥ 99.5", 9_950),
        ("RMB 1,234.50", 123_450),
        ("12萬", 12_000_000),
        ("1.5万", 1_500_000),
        ("３，０００元", 300_000),
    ],
)
def test_money_with_currency_marks_and_ten_thousands(text: str, cents: int) -> None:
    assert MONEY(text) == cents


def test_an_accountants_negative_is_read_as_negative() -> None:
    with pytest.raises(CellError, match="below the minimum 0"):
        MONEY("(1,234)")
    assert importer(FieldSpec("delta", "money"))("(1,234.50)") == -123_450


PERCENT = importer(FieldSpec("probability", "percent", min=0, max=100))


@pytest.mark.parametrize(
    ("text", "value"), [("15 %", 15), ("15％", 15), ("0.35", 35), ("35", 35), ("1", 1)]
)
def test_percents_as_typed_or_as_a_spreadsheet_keeps_them(text: str, value: int) -> None:
    assert PERCENT(text) == value


def test_a_fraction_that_is_no_whole_percent_is_refused() -> None:
    with pytest.raises(CellError, match="not a whole number"):
        PERCENT("0.355")


def test_an_import_takes_roc_dates_money_marks_and_fractions(demo_db, tmp_path) -> None:
    source = tmp_path / "r.csv"
    source.write_text(
        "title,category,owner,probability,loss_amount,next_review\n"
        "颱風停工,market,li.jianguo,0.35,NT$1.2萬,民國115年1月5日\n",
        encoding="utf-8",
    )
    result = run_cli("import", "risks", str(source), db=demo_db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(demo_db) as conn:
        row = conn.execute(
            "SELECT probability, loss_amount, next_review FROM risks WHERE title = '颱風停工'"
        ).fetchone()
    assert row == (35, 1_200_000, "2026-01-05")


def test_choices_are_one_value_however_written(demo_db, tmp_path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(
        "subject,channel,priority,type\n"
        "a,walk-in,medium,inquiry\n"
        "b,Walk In,中,客訴\n"
        "c,ＷＡＬＫ＿ＩＮ,Normal,諮詢\n"
        "d,online,紧急,服务请求\n",
        encoding="utf-8",
    )
    result = run_cli("import", "tickets", str(source), db=demo_db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(demo_db) as conn:
        rows = conn.execute(
            "SELECT subject, channel, priority, type FROM tickets WHERE subject IN "
            "('a', 'b', 'c', 'd') ORDER BY subject"
        ).fetchall()
    assert rows == [
        ("a", "walk_in", "normal", "consultation"),
        ("b", "walk_in", "normal", "complaint"),
        ("c", "walk_in", "normal", "consultation"),
        ("d", "chat", "urgent", "request"),
    ]


def test_a_refused_choice_lists_what_is_accepted_in_both_scripts(demo_db, tmp_path) -> None:
    source = tmp_path / "t.csv"
    source.write_text("subject,channel\na,fax\n", encoding="utf-8")
    result = run_cli("import", "tickets", str(source), db=demo_db)
    assert result.returncode == 1
    assert "'fax' is not one of: hotline (熱線/热线), chat (在線客服/在线客服)" in result.stderr


def test_free_text_keeps_its_blanks_and_a_blank_cell_is_empty(demo_db, tmp_path) -> None:
    source = tmp_path / "c.jsonl"
    source.write_text(
        '{"name": "王大同", "notes": "\\u3000\\u3000第一段。\\n\\t第二段 "}\n'
        '{"name": " 陳美華 ", "notes": " \\u3000 "}\n',
        encoding="utf-8",
    )
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(demo_db) as conn:
        rows = conn.execute("SELECT name, notes FROM customers ORDER BY id DESC LIMIT 2").fetchall()
    assert rows == [(" 陳美華 ", None), ("王大同", "\u3000\u3000第一段。\n\t第二段 ")]


def test_excel_error_cells_are_refused_for_their_row(demo_db, tmp_path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["name", "notes"], ["好客戶", "x"], ["壞客戶", "#DIV/0!"], ["另一個", "#N/A"]):
        sheet.append(row)  # openpyxl stores "#DIV/0!" as an error cell, as Excel does
    source = tmp_path / "c.xlsx"
    book.save(source)
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 1
    assert "line 3: column notes holds Excel's error #DIV/0!" in result.stderr
    assert "line 4: column notes holds Excel's error #N/A" in result.stderr


def test_customer_types_and_tiers_as_other_systems_write_them(demo_db, tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_text("名稱,類型,等級\n甲,企业,VIP客户\n乙,Person,Standard\n", encoding="utf-8")
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(demo_db) as conn:
        rows = conn.execute(
            "SELECT name, type, tier FROM customers WHERE name IN ('甲', '乙') ORDER BY name"
        ).fetchall()
    assert rows == [("乙", "individual", "regular"), ("甲", "company", "vip")]
