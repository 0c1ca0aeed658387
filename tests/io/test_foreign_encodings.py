"""Korean and Japanese files share GBK's byte ranges: they are refused by name, never
stored as GB18030 mojibake, and read when their encoding is given."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from specialops.io.encoding import choose
from tests.conftest import run_cli

KOREAN = "name,notes\n김민수,서울특별시 강남구 테헤란로\n이서연,부산광역시 해운대구\n"
JAPANESE = "name,notes\n山田太郎,東京都千代田区丸の内\n佐藤花子,大阪府大阪市北区梅田\n"
SIMPLIFIED = "name,notes\n刘佳颖,上海市浦东新区世纪大道\n王大同,北京市朝阳区建国路\n"
TRADITIONAL = "name,notes\n劉佳穎,台北市信義區松仁路\n王大同,新北市板橋區文化路\n"


@pytest.mark.parametrize(
    ("text", "codec", "named"),
    [
        (KOREAN, "euc_kr", "Korean"),
        (KOREAN, "cp949", "Korean"),
        (JAPANESE, "shift_jis", "Japanese (Shift_JIS)"),
        (JAPANESE, "euc_jp", "Japanese (EUC-JP)"),
    ],
)
def test_a_korean_or_japanese_file_is_refused_by_name(text, codec, named, db_path, ctx, tmp_path):
    ctx.close()
    source = tmp_path / "c.csv"
    source.write_bytes(text.encode(codec))
    result = run_cli("import", "customers", str(source), db=db_path)
    assert result.returncode == 1, result.stderr
    assert named in result.stderr and "--encoding" in result.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)
    given = run_cli("import", "customers", str(source), "--encoding", codec, db=db_path)
    assert given.returncode == 0, given.stderr
    with sqlite3.connect(db_path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM customers ORDER BY id")]
    assert names == [line.split(",")[0] for line in text.splitlines()[1:]]


@pytest.mark.parametrize(
    ("text", "codec", "name"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (TRADITIONAL, "big5", "big5"),
        (TRADITIONAL, "gbk", "gb18030"),
    ],
)
def test_chinese_files_are_still_read_as_chinese(text, codec, name) -> None:
    assert choose(text.encode(codec), at_eof=True).name == name


def test_long_chinese_text_is_never_taken_for_korean_or_japanese() -> None:
    policy = (Path(__file__).resolve().parents[2] / "data").glob("*.toml")
    text = "".join(path.read_text(encoding="utf-8") for path in policy)
    chinese = "".join(c for c in text if "\u4e00" <= c <= "\u9fff" or c in "，。、\n")
    assert len(chinese) > 200
    for start in range(0, min(len(chinese), 4000), 400):
        chunk = chinese[start : start + 400].encode("cp950", "ignore")
        assert choose(chunk, at_eof=True).name == "big5"
