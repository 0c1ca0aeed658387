"""EUC-TW (CNS 11643) files decode as GB18030 without an error, into nonsense: they are
refused by name, while real GBK, GB18030, GB2312 and Big5 files still import."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from specialops.errors import ValidationError
from specialops.io.encoding import EUC_TW_MESSAGE, choose, choose_json_lines, looks_like_euc_tw
from specialops.io.formats import open_reader
from tests.conftest import run_cli

FILES = Path(__file__).parent / "files"
# The fixtures are these customer lists, converted by `iconv -f utf-8 -t EUC-TW`.
PLANE_ONE = FILES / "customers-euc-tw.csv"  # 陳美華,02-2345-6789,臺北市信義區松仁路100號,…
PLANE_TWO = FILES / "customers-euc-tw-plane2.csv"  # 林婕妤, 王翊安, 陳瑄, 張鈺婷: plane 2
REFUSAL = "looks like EUC-TW (CNS 11643), which is not supported; save it as UTF-8 or Big5"

SIMPLIFIED = (
    "名称,电话,地址,备注\n"
    "刘佳颖,021-6888-1234,上海市浦东新区世纪大道100号,长期客户，每月对账\n"
    "王大同,010-8520-3344,北京市朝阳区建国路88号,请于周五前回复报价\n"
    "张伟,020-3712-5566,广州市天河区天河路385号,发票寄送至公司\n"
    "李娜,0755-8866-7788,深圳市南山区科技园南区,新客户，需确认税号\n"
)
TRADITIONAL = (
    "名稱,電話,地址,備註\n"
    "陳美華,02-2345-6789,臺北市信義區松仁路100號,長期客戶，每月對帳\n"
    "林志豪,04-2251-3344,臺中市西屯區臺灣大道三段99號,請於週五前回覆報價\n"
    "黃淑芬,07-331-2288,高雄市苓雅區四維三路2號,發票寄送至公司\n"
)
# Names are where GB2312's rarer (level 2) characters turn up in real files.
RARE_NAMES = (
    "name,notes\n何璐,上海市浦东新区世纪大道\n林琰,北京市朝阳区建国路\n罗婧,广州市天河区\n"
    "赵磊,杭州市西湖区\n黄婷,南京市鼓楼区\n郭鑫,成都市锦江区\n"
)


@pytest.mark.parametrize("fixture", [PLANE_ONE, PLANE_TWO], ids=["plane-1", "plane-2"])
def test_an_euc_tw_file_is_refused_by_name_and_nothing_is_written(
    fixture, db_path, ctx, tmp_path
) -> None:
    ctx.close()
    source = tmp_path / "customers.csv"
    source.write_bytes(fixture.read_bytes())
    result = run_cli("import", "customers", str(source), db=db_path)
    assert result.returncode == 1, result.stderr
    assert REFUSAL in result.stderr and "--encoding" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (0,)


@pytest.mark.parametrize("fixture", [PLANE_ONE, PLANE_TWO], ids=["plane-1", "plane-2"])
def test_the_euc_tw_bytes_read_as_gb18030_without_an_error(fixture) -> None:
    # The reason for the refusal: nothing else would stop the nonsense.
    data = fixture.read_bytes()
    text = data.decode("gb18030")
    assert "臺北" not in text and "客戶" not in text
    assert looks_like_euc_tw(data)


def test_euc_tw_in_json_lines_is_refused_too() -> None:
    data = PLANE_ONE.read_bytes()
    lines = b"".join(b'{"name": "' + line.split(b",")[0] + b'"}\n' for line in data.splitlines())
    with pytest.raises(ValidationError, match="EUC-TW"):
        choose_json_lines(lines, at_eof=True)


def test_an_encoding_given_is_used_without_the_refusal(tmp_path) -> None:
    source = tmp_path / "c.csv"
    source.write_bytes(PLANE_ONE.read_bytes())
    with pytest.raises(ValidationError, match="EUC-TW"):
        open_reader(source, "csv")
    reader = open_reader(source, "csv", "gb18030")
    assert reader.encoding == "gb18030"
    assert len(list(reader)) == 6
    assert choose(PLANE_TWO.read_bytes(), at_eof=True, requested="gbk").name == "gb18030"


@pytest.mark.parametrize(
    ("text", "codec", "name"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "gb2312", "gb18030"),
        (SIMPLIFIED + "𠀀,€\n", "gb18030", "gb18030"),
        (TRADITIONAL, "gbk", "gb18030"),
        (TRADITIONAL, "cp950", "big5"),
        (RARE_NAMES, "gb2312", "gb18030"),
    ],
    ids=["gbk", "gb2312", "gb18030", "traditional-in-gbk", "big5", "rare-names"],
)
def test_chinese_files_are_not_taken_for_euc_tw(text, codec, name) -> None:
    data = text.encode(codec)
    assert not looks_like_euc_tw(data)
    assert choose(data, at_eof=True).name == name


def test_long_chinese_text_is_never_taken_for_euc_tw() -> None:
    policy = (Path(__file__).resolve().parents[2] / "data").glob("*.toml")
    text = "".join(path.read_text(encoding="utf-8") for path in policy)
    chinese = "".join(c for c in text if "\u4e00" <= c <= "\u9fff" or c in "，。、\n")
    assert len(chinese) > 200
    for start in range(0, min(len(chinese), 4000), 400):
        chunk = chinese[start : start + 400]
        for codec in ("gb2312", "cp950"):
            assert not looks_like_euc_tw(chunk.encode(codec, "ignore")), (codec, start)


def test_a_gbk_csv_still_imports(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = tmp_path / "c.csv"
    source.write_bytes(SIMPLIFIED.encode("gbk"))
    result = run_cli("import", "customers", str(source), db=db_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM customers ORDER BY id")]
    assert names == ["刘佳颖", "王大同", "张伟", "李娜"]


def test_the_message_says_what_to_do() -> None:
    assert EUC_TW_MESSAGE.endswith("save it as UTF-8 or Big5, or give --encoding")
