"""Text from data made safe to show on a terminal: controls are shown, never obeyed.

A name, a subject or a cell can carry characters a terminal acts on: ESC starts
sequences that set the clipboard (OSC 52), the window title or clear the screen,
C1 controls do the same in one byte, and the bidirectional formatting characters
make text read in another order than it is stored. :func:`visible` replaces each
with a readable stand-in, so what is shown is what is stored, only harmless:

- C0 controls U+0000–U+001F become their Unicode Control Pictures U+2400–U+241F
  (ESC ``␛``, BEL ``␇``, CR ``␍``, NUL ``␀``); newline and tab stay as they are,
  except in single-line contexts (``single_line=True``), where they are ``␊`` and ``␉``;
- DEL U+007F becomes ``␡`` (U+2421);
- C1 controls U+0080–U+009F, the bidi marks, embeddings, overrides and isolates
  (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and lone surrogates
  (which no terminal encoding can carry) become ``\\u`` escapes: ``\\u009b``, ``\\u202e``.

Only output is changed: values are stored as they came.
"""

from __future__ import annotations

import re

# Written as escapes, so this file holds none of the characters it is about.
_OTHERS = r"\x7f\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(rf"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # newline and tab allowed
_UNSAFE_LINE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_UNSAFE_JSON = re.compile(rf"[{_OTHERS}]")  # json.dumps escapes C0 itself
DEL_PICTURE = "\u2421"


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return DEL_PICTURE
    return f"\\u{code:04x}"


def visible(text: str, *, single_line: bool = False) -> str:
    """``text`` with every control and bidi formatting character shown as a stand-in.

    Returns ``text`` itself when it holds none (the usual case, one regex search).
    ``single_line`` also shows newline and tab, for a table cell or a one-line message.
    """
    pattern = _UNSAFE_LINE if single_line else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_stand_in, text)


def positions(text: str, *, single_line: bool = False) -> list[int]:
    """The offsets of the characters :func:`visible` replaces in ``text``."""
    pattern = _UNSAFE_LINE if single_line else _UNSAFE
    return [match.start() for match in pattern.finditer(text)]


def has_controls(text: str) -> bool:
    """Whether ``text`` holds anything :func:`visible` shows as a stand-in (newline and
    tab included)."""
    return _UNSAFE_LINE.search(text) is not None


def strip_controls(text: str) -> str:
    """``text`` without any character :func:`visible` would replace (newline and tab too).

    For text already laid out in cells, where a stand-in would take room the layout
    did not give it: every such character is zero cells wide.
    """
    if _UNSAFE_LINE.search(text) is None:
        return text
    return _UNSAFE_LINE.sub("", text)


def json_text(text: str) -> str:
    """JSON text (as ``json.dumps(..., ensure_ascii=False)`` writes it) with DEL, C1,
    bidi and surrogate characters written as ``\\uXXXX`` escapes.

    JSON allows these characters only inside strings, where the escape stands for the
    same character: the document stays valid and reads back to the same values.
    """
    if _UNSAFE_JSON.search(text) is None:
        return text
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
