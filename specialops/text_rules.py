"""The one rule for text that comes in: no character a terminal obeys, none that cannot be stored.

Imported cells, form fields and typed values may hold any printable character,
tab and newline. Refused, naming the first such character as ``U+XXXX``:

- C0 control characters other than tab and newline (U+0000–U+001F): ESC starts
  the sequences that set a terminal's clipboard (OSC 52) or title, NUL ends C
  strings, a lone carriage return rewrites the line it ends;
- DEL (U+007F) and the C1 controls (U+0080–U+009F): U+009B alone is a CSI;
- lone surrogates (U+D800–U+DFFF), which JSON's ``\\ud800`` escapes can spell
  but which are not characters: no encoding can store or show them.

Output is made safe separately (:mod:`specialops.terminal_text`); this rule
keeps such characters out of the database in the first place.
"""

from __future__ import annotations

import re

from specialops.errors import ValidationError

# Written as escapes, so this file holds none of the characters it is about.
_REFUSED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _names(table: str) -> tuple[str, ...]:
    return tuple(table.split())


# The control characters' standard abbreviations, in code order.
_C0_NAMES = _names(
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
)
_C1_NAMES = _names(
    "PAD HOP BPH NBH IND NEL SSA ESA HTS HTJ VTS PLD PLU RI SS2 SS3 "
    "DCS PU1 PU2 STS CCH MW SPA EPA SOS SGC SCI CSI ST OSC PM APC"
)


def describe(char: str) -> str:
    """A refused character shown visibly: ``U+001B (ESC)``, ``U+D800 (lone surrogate)``."""
    code = ord(char)
    if code < 0x20:
        name = _C0_NAMES[code]
    elif code == 0x7F:
        name = "DEL"
    elif 0x80 <= code <= 0x9F:
        name = _C1_NAMES[code - 0x80]
    elif 0xD800 <= code <= 0xDFFF:
        name = "lone surrogate"
    else:
        return f"U+{code:04X}"
    return f"U+{code:04X} ({name})"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be taken in (its first refused character and where), or ``None``.

    One regular expression search: the common case costs next to nothing.
    """
    found = _REFUSED.search(text)
    if found is None:
        return None
    char, where = found.group(), found.start() + 1
    if 0xDC80 <= ord(char) <= 0xDCFF:  # how Python keeps a byte that is not UTF-8
        return (
            f"holds {describe(char)} at character {where}: the byte "
            f"{ord(char) - 0xDC00:02x} that is not UTF-8, or half of a UTF-16 pair"
        )
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"holds {describe(char)} at character {where} (half of a UTF-16 pair)"
    return (
        f"holds the control character {describe(char)} at character {where} "
        "(of the control characters only tab and newline are allowed)"
    )


def check_text(text: str, field: str | None = None) -> str:
    """``text`` itself when it passes :func:`text_problem`; ValidationError naming ``field``."""
    problem = text_problem(text)
    if problem is not None:
        raise ValidationError(f"{field}: {problem}" if field else problem, field=field)
    return text
