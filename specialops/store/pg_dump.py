"""A PostgreSQL database copied to one file with ``pg_dump``'s custom format (``-Fc``)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from specialops import private_files
from specialops.store import pg_client
from specialops.store.engine import busy_timeout_ms
from specialops.store.store import Store


def dump_to(store: Store, target: Path) -> Path:
    """Write a consistent copy of the server database of ``store`` to ``target``.

    ``pg_dump`` reads one snapshot, so others may keep writing. It writes into a
    private (0600) temporary beside ``target`` that replaces it only once the
    dump is complete (:mod:`specialops.private_files`); no database file lends
    it a group, so it stays its owner's.
    """
    final = private_files.check_target(target)
    existed = final.exists()
    program = pg_client.find_for(store, "pg_dump")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise private_files.cannot_write(final, error, existed=False) from None
    outcome = "the existing file is unchanged" if existed else "nothing was written"
    command = [
        program.path,
        "--format=custom",
        "--no-password",
        f"--lock-wait-timeout={busy_timeout_ms()}",
        f"--dbname={pg_client.conninfo(store)}",
    ]
    with (
        pg_client.environment(store) as env,
        private_files.writing(final) as part,
        tempfile.TemporaryFile() as errors,
    ):
        done = subprocess.run(command, stdout=part.fd, stderr=errors, env=env, check=False)
        if done.returncode != 0:
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace")
            raise pg_client.failure(said, "pg_dump", store, outcome)
    return final
