"""The command line for tests, run in real processes forked from one that loaded it.

Starting Python and importing the program costs a second or more for each run;
the suite runs the command line thousands of times. So each test worker keeps one
server process that imports the program once and forks a child for every run.
The child is a real process: its own environment, working directory, umask,
stdin, stdout, stderr, exit code and, when asked, OS login (the server runs as
the test process's user; becoming another login needs root). It runs the same
entry point as ``python -m specialops``, and its ``atexit`` handlers run as at
any exit.

What the interpreter decides at start-up (``PYTHON*`` variables, the locale) cannot
change in a fork: runs that set those start a fresh interpreter instead, as do
runs while another run of this worker's server is under way.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tests.layout import USE_SITE

# Loaded once in the server, before any fork: the whole program and what the
# libraries load lazily, so a child that becomes another login (who may not read
# the virtual environment) finds everything already in memory.
LOAD_PROGRAM = (
    USE_SITE
    + """
import importlib, pkgutil
import specialops
for found in pkgutil.walk_packages(specialops.__path__, "specialops."):
    if not found.name.startswith(("specialops.migrations", "specialops.__main__")):
        importlib.import_module(found.name)
import click, rich, sqlalchemy.dialects.sqlite, sqlalchemy.sql, sqlmodel, typer
for package in (click, rich, typer, sqlalchemy.dialects.sqlite, sqlalchemy.sql, sqlmodel):
    for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if found.name.endswith("__main__"):
            continue  # that would run the library's own command line
        try:
            importlib.import_module(found.name)
        except Exception:
            pass  # optional parts whose own dependencies are not installed
import sqlalchemy.dialects.sqlite.pysqlite, encodings.idna, json.decoder, sqlite3.dbapi2
try:  # the PostgreSQL driver too, for the logins that connect by peer authentication
    import psycopg, psycopg.pq, sqlalchemy.dialects.postgresql.psycopg
except ImportError:
    pass
"""
)

_SERVE = """
import atexit, json, os, pwd, sys, time, traceback

def _child(request):
    for fd, name, flags in (
        (0, "stdin", os.O_RDONLY),
        (1, "stdout", os.O_WRONLY | os.O_TRUNC),
        (2, "stderr", os.O_WRONLY | os.O_TRUNC),
    ):
        opened = os.open(request[name], flags)
        os.dup2(opened, fd)
        os.close(opened)
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    os.chdir(request["cwd"])
    if request["umask"] is not None:
        os.umask(request["umask"])
    if request["become"]:
        who = pwd.getpwnam(request["become"])
        os.setgroups(os.getgrouplist(who.pw_name, who.pw_gid))
        os.setgid(who.pw_gid)
        os.setuid(who.pw_uid)
    sys.argv = ["specialops", *request["argv"]]
    code = 0
    try:
        if request["show"]:
            print(eval(request["show"]))
        else:
            from specialops.app_entry import main
            main()
    except SystemExit as stop:
        if stop.code is None:
            code = 0
        elif isinstance(stop.code, int):
            code = stop.code
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)

pending = b""
while True:
    while b"\\n" not in pending:
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        pending += chunk
    line, pending = pending.split(b"\\n", 1)
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        _child(request)
    os.write(1, f"pid {pid}\\n".encode())
    _, status = os.waitpid(pid, 0)
    os.write(1, f"rc {os.waitstatus_to_exitcode(status)}\\n".encode())
"""

# Settings read only when the interpreter starts or the program is loaded.
_STARTUP = ("PYTHON", "LC_", "LANG", "SPECIALOPS_TEST_SITE")


class _Server:
    def __init__(self) -> None:
        self.env = dict(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-c", LOAD_PROGRAM + _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            cwd="/",
        )
        self.busy = threading.Lock()
        self.pending = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def fits(self, env: dict[str, str]) -> bool:
        keys = {k for k in (*env, *self.env) if k.startswith(_STARTUP)}
        return all(env.get(k) == self.env.get(k) for k in keys)

    def _line(self, timeout: float | None) -> str | None:
        stream = self.process.stdout
        assert stream is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while b"\n" not in self.pending:
                if not selector.select(timeout):
                    return None
                chunk = os.read(stream.fileno(), 4096)
                if not chunk:
                    raise RuntimeError("the test command-line server stopped")
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def run(self, request: dict, timeout: float) -> int:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(request).encode() + b"\n")
        stdin.flush()
        started = self._line(timeout=60)
        assert started and started.startswith("pid "), started
        pid = int(started.split()[1])
        finished = self._line(timeout)
        if finished is None:
            os.kill(pid, signal.SIGKILL)
            self._line(timeout=60)
            raise subprocess.TimeoutExpired(request["argv"], timeout)
        return int(finished.split()[1])


_server: _Server | None = None
_start = threading.Lock()


def _the_server() -> _Server:
    global _server
    with _start:
        if _server is None or not _server.alive():
            _server = _Server()
        return _server


def run_forked(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    input: bytes | None = None,
    timeout: float = 120,
    become: str | None = None,
    umask: int | None = None,
    show: str | None = None,
) -> subprocess.CompletedProcess[bytes] | None:
    """Run ``specialops *argv`` in a forked child of the server; ``None`` when this run
    needs a fresh interpreter (the caller then starts one)."""
    server = _the_server()
    if not server.fits(env) or not server.busy.acquire(blocking=False):
        return None
    if umask is None:  # the caller's, as a process it started would have
        umask = os.umask(0o077)
        os.umask(umask)
    try:
        with tempfile.TemporaryDirectory(prefix="so-run-") as folder:
            paths = {name: Path(folder, name) for name in ("stdin", "stdout", "stderr")}
            paths["stdin"].write_bytes(input or b"")
            for name in ("stdout", "stderr"):
                paths[name].touch()  # opened by the child before it becomes another login
            request = {
                "argv": argv,
                "env": env,
                "cwd": str(cwd or os.getcwd()),
                "umask": umask,
                "become": become,
                "show": show,
                **{name: str(path) for name, path in paths.items()},
            }
            if input is None:
                request["stdin"] = os.devnull
            code = server.run(request, timeout)
            return subprocess.CompletedProcess(
                ["specialops", *argv],
                code,
                paths["stdout"].read_bytes(),
                paths["stderr"].read_bytes(),
            )
    finally:
        server.busy.release()
