"""An export written to a terminal: shown, never obeyed.

``export -o -`` with standard output on a terminal puts the records on
someone's screen, where an escape sequence planted in a name would set the
clipboard or title like any other output. Written through :class:`TerminalSafe`,
control and bidi formatting characters appear as the same stand-ins as in every
table (:func:`specialops.terminal_text.visible`); to a pipe or a file the bytes
are exactly the export's.
"""

from __future__ import annotations

import codecs
import io
from typing import IO

from specialops.terminal_text import visible


class TerminalSafe(io.RawIOBase):
    """A binary stream that writes UTF-8 text to ``terminal`` with its controls shown."""

    def __init__(self, terminal: IO[bytes]) -> None:
        super().__init__()
        self._terminal = terminal
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._held = ""  # a carriage return that may start the next write's CRLF

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self._show(self._decoder.decode(bytes(data)))
        return len(data)

    def _show(self, text: str, final: bool = False) -> None:
        text = self._held + text
        self._held = ""
        if text.endswith("\r") and not final:
            text, self._held = text[:-1], "\r"
        self._terminal.write(visible(text.replace("\r\n", "\n")).encode("utf-8"))

    def flush(self) -> None:
        self._terminal.flush()

    def close(self) -> None:
        if not self.closed:
            self._show(self._decoder.decode(b"", final=True), final=True)
            self.flush()
        super().close()
