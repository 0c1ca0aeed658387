"""Text from data shown on a terminal: every control and bidi character as a stand-in."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specialops.terminal_text import has_controls, json_text, strip_controls, visible

C0 = [chr(c) for c in range(0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
# Anything a terminal may obey or that reorders text; newline and tab are checked apart.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


@pytest.mark.parametrize("char", [c for c in C0 if c not in "\n\t"])
def test_each_c0_control_is_its_control_picture(char: str) -> None:
    assert visible(f"a{char}b") == f"a{chr(0x2400 + ord(char))}b"


def test_the_attacks_read_as_text() -> None:
    assert visible("\x1b]52;c;ZWNobyBwd25lZA==\x07") == "␛]52;c;ZWNobyBwd25lZA==␇"
    assert visible("\x1b]0;owned\x07") == "␛]0;owned␇"
    assert visible("\x1b[2J") == "␛[2J"
    assert visible("\r\x00\x08") == "␍␀␈"


def test_newline_and_tab_stay_except_on_one_line() -> None:
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\nb\tc", single_line=True) == "a␊b␉c"


def test_del_is_its_picture() -> None:
    assert visible("a\x7fb") == "a␡b"


@pytest.mark.parametrize("char", C1)
def test_each_c1_control_is_an_escape(char: str) -> None:
    assert visible(f"a{char}b") == f"a\\u{ord(char):04x}b"


@pytest.mark.parametrize("char", BIDI)
def test_each_bidi_formatting_character_is_an_escape(char: str) -> None:
    assert visible(f"abc{char}def") == f"abc\\u{ord(char):04x}def"


def test_a_lone_surrogate_is_an_escape_a_terminal_can_print() -> None:
    shown = visible("a\udc80b")
    assert shown == "a\\udc80b"
    shown.encode("utf-8")  # would raise with the surrogate left in


def test_ordinary_text_comes_back_as_it_is() -> None:
    text = "王小明 Müller ‹quoted› — café ✓ 😀 [red]x[/red]"
    assert visible(text) is text  # the fast path: the very same string
    assert visible(text, single_line=True) is text
    assert not has_controls(text)
    assert strip_controls(text) is text


def test_strip_controls_removes_what_visible_replaces() -> None:
    assert strip_controls("a\x1b[2J\u202eb\x9b\n\tc") == "a[2Jbc"


def test_json_escapes_c1_and_bidi_and_reads_back_the_same() -> None:
    value = {"name": "x\x1b]0;t\x07\x9b\u202e\u2066\x7fy", "n": 1}
    written = json_text(json.dumps(value, ensure_ascii=False))
    assert FORBIDDEN.search(written) is None
    assert "\\u009b" in written and "\\u202e" in written and "\\u007f" in written
    assert json.loads(written) == value


def test_json_without_such_characters_is_unchanged() -> None:
    text = json.dumps({"name": "王小明"}, ensure_ascii=False)
    assert json_text(text) is text


@given(st.text(alphabet=st.characters(exclude_categories=())))
def test_visible_never_leaves_a_control(text: str) -> None:
    shown = visible(text)
    assert FORBIDDEN.search(shown) is None
    line = visible(text, single_line=True)
    assert FORBIDDEN.search(line) is None
    assert "\n" not in line and "\t" not in line
    assert shown.count("\n") == text.count("\n")  # newlines kept where lines are allowed
    line.encode("utf-8")


@given(
    st.recursive(
        st.text(st.characters(exclude_categories=())),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_json_round_trips_any_value(value: object) -> None:
    written = json_text(json.dumps(value, ensure_ascii=False))
    assert FORBIDDEN.search(written) is None
    assert json.loads(written) == value
