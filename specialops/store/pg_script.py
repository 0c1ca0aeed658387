"""Running the SQL script ``pg_restore`` writes on one psycopg connection, inside its transaction.

``pg_restore --file=-`` prints plain SQL with ``COPY … FROM stdin;`` blocks, as
``psql`` reads it. Running it here rather than through ``psql`` or
``pg_restore --dbname`` keeps the whole restore — old objects dropped, the
backup loaded, the schema upgraded, the restore's audit entry — in one
transaction of ours that commits only after the result is checked.

The SQL between two ``COPY`` blocks goes to the server as one simple query
(dollar-quoted function bodies are the server's to parse); each block's rows
stream through ``COPY``. The only ``psql`` commands a dump holds are
``\\restrict`` and ``\\unrestrict`` (which guard ``psql`` itself and mean
nothing here); any other is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from specialops.errors import DatabaseUnavailable

_COPY = re.compile(rb"^COPY .+ FROM stdin;\r?\n?$")
_END_OF_COPY = (b"\\.\n", b"\\.\r\n", b"\\.")
_HARMLESS = (b"\\restrict ", b"\\unrestrict ")
_CHUNK = 1 << 20


def _meaningful(lines: list[bytes]) -> bool:
    return any(line.strip() and not line.lstrip().startswith(b"--") for line in lines)


def _rows(lines: Iterator[bytes]) -> Iterator[bytes]:
    """The data of one COPY block, in chunks, up to its ``\\.`` line."""
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        if line in _END_OF_COPY:
            break
        chunk.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield b"".join(chunk)
            chunk, size = [], 0
    else:
        raise DatabaseUnavailable("the backup ends inside a table's data: it is cut short")
    if chunk:
        yield b"".join(chunk)


def run_script(raw: Any, script: Iterable[bytes]) -> int:
    """Execute ``script`` (lines of bytes) on the psycopg connection ``raw``; rows copied."""
    lines = iter(script)
    pending: list[bytes] = []
    copied = 0

    def flush() -> None:
        if _meaningful(pending):
            raw.execute(b"".join(pending))
        pending.clear()

    for line in lines:
        if _COPY.match(line):
            flush()
            with raw.cursor().copy(line.rstrip().rstrip(b";")) as copy:
                for chunk in _rows(lines):
                    copy.write(chunk)
                    copied += chunk.count(b"\n")
        elif line.startswith(b"\\"):
            if not line.startswith(_HARMLESS):
                command = line.split()[0].decode("ascii", "replace")
                raise DatabaseUnavailable(
                    f"the backup holds the psql command {command}, which a restore does not run"
                )
        else:
            pending.append(line)
    flush()
    return copied
