"""Headers as other people's files have them: Chinese names in both scripts, any case and
width, extra columns, only the columns an update needs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from specialops import entities
from specialops.entities import header_key
from tests.conftest import run_cli


def _customer(db: Path, code: str) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM customers WHERE code = ?", (code,)).fetchone())


def _file(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "header",
    [
        "客戶編號,名稱,電話",  # Traditional
        "客户编号,客户名称,联系电话",  # Simplified
        "Code,NAME,Phone",  # any case
        "ｃｏｄｅ,Ｎａｍｅ, phone ",  # full width, blanks
        "customer code,customer_name,tel",  # other systems' names
    ],
)
def test_a_header_in_chinese_or_any_case_names_the_fields(demo_db, tmp_path, header) -> None:
    source = _file(tmp_path, f"{header}\nCUS-000002,陳美華,0928-999-000\n")
    result = run_cli("import", "customers", str(source), "--upsert", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout
    assert _customer(demo_db, "CUS-000002")["phone"] == "0928-999-000"


def test_an_unknown_column_is_refused_with_the_list_or_left_out_on_request(
    demo_db, tmp_path
) -> None:
    source = _file(tmp_path, "客户编号,客户名称,来源系统\nCUS-000002,陳美華,CRM\n")
    refused = run_cli("import", "customers", str(source), "--upsert", db=demo_db)
    assert refused.returncode == 1
    assert "line 1, column 来源系统: unknown column; customers has: code, name" in refused.stderr
    taken = run_cli(
        "import", "customers", str(source), "--upsert", "--ignore-extra", "--json", db=demo_db
    )
    assert taken.returncode == 0, taken.stderr
    assert "columns left out: 来源系统" in taken.stderr
    assert json.loads(taken.stdout)["ignored_columns"] == ["来源系统"]


def test_two_columns_naming_one_field_are_refused(demo_db, tmp_path) -> None:
    source = _file(tmp_path, "name,名稱\na,b\n")
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 1
    assert "line 1, column 名稱: appears twice in the header (as 'name' does)" in result.stderr


def test_a_partial_upsert_changes_only_its_columns_and_refuses_new_records(
    demo_db, tmp_path
) -> None:
    before = _customer(demo_db, "CUS-000004")
    source = _file(tmp_path, "code,tier\nCUS-000004,vip\nCUS-888888,vip\n")
    refused = run_cli("import", "customers", str(source), "--upsert", db=demo_db)
    assert refused.returncode == 1
    assert (
        "line 3, column code: no record has this code, and a new one needs name, which the "
        "file has no column for" in refused.stderr
    )
    assert _customer(demo_db, "CUS-000004") == before
    skipped = run_cli(
        "import", "customers", str(source), "--upsert", "--on-error", "skip", db=demo_db
    )
    assert skipped.returncode == 0, skipped.stderr
    after = _customer(demo_db, "CUS-000004")
    assert after["tier"] == "vip"
    changed = {k for k in after if after[k] != before[k]}
    assert changed - {"updated_at", "updated_by"} == {"tier", "version"}


def test_without_upsert_a_required_column_is_still_required(demo_db, tmp_path) -> None:
    source = _file(tmp_path, "tier\nvip\n")
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 1
    assert "line 1, column name: required column is missing" in result.stderr


def test_header_keys_fold_width_case_and_separators() -> None:
    assert header_key("Customer Name") == header_key("customer_name") == "customername"
    assert header_key("ＩＤ－Ｎｕｍｂｅｒ") == header_key("id number") == "idnumber"
    assert header_key("客戶 編號") == "客戶編號"


def test_no_alias_of_an_entity_names_two_fields() -> None:
    # EntitySpec refuses it when it is built; every registered entity was built.
    for spec in entities.all_specs():
        keys = [header_key(n) for f in spec.fields for n in (f.name, *f.aliases)]
        assert len(keys) == len(set(keys)), spec.name
