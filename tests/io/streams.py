"""A very large CSV made up on the fly, to show that readers stream."""

from __future__ import annotations

import io
from collections.abc import Callable


class CountingStream(io.RawIOBase):
    """``head`` then ``rows`` lines made by ``line(n)``, counting the bytes taken."""

    def __init__(
        self,
        rows: int,
        *,
        head: str = "代碼,名稱,說明\n",
        line: Callable[[int], str] = lambda n: f"C{n},客戶{n},{'說明' * 20}\n",
    ) -> None:
        self.taken = 0
        self._rows = rows
        self._line = line
        self._next = 0
        self._buffer = head.encode()

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        while len(self._buffer) < len(target) and self._next < self._rows:
            self._buffer += self._line(self._next).encode()
            self._next += 1
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self.taken += size
        return size
