"""Real OS logins for tests of what other people on the server can do.

Becoming another login needs root, and only root may read this interpreter's home
(/root is 0700) and maybe the checkout. So the program is loaded whole first, then the
process becomes the other login: what is tested is the program's own checks, not
whether that login can read the folder the project was cloned into.

Tests that need these skip when not run as root (``needs_root``), saying so.
"""

from __future__ import annotations

import grp
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli_server import LOAD_PROGRAM, run_forked

needs_root = pytest.mark.skipif(
    os.getuid() != 0, reason="creating and becoming OS logins needs root; run the suite as root"
)

PRELOAD = (
    LOAD_PROGRAM
    + """
import pwd
from specialops.cli.main import run
who = pwd.getpwnam(os.environ["SPECIALOPS_TEST_BECOME"])
os.setgroups(os.getgrouplist(who.pw_name, who.pw_gid))
os.setgid(who.pw_gid)
os.setuid(who.pw_uid)
"""
)


def run_as(
    login: str,
    *args: str,
    db: Path | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
    site: Path | None = None,
    show: str | None = None,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``specialops`` as the OS login ``login`` (loaded as root, then become it).

    ``site`` runs a copy of the program from there; ``show`` prints an expression
    instead of running a command; ``umask`` is set before the command runs.
    """
    argv = [*(["--db", str(db)] if db is not None else []), *args]
    full_env = {k: v for k, v in os.environ.items() if k != "SPECIALOPS_USER"}
    full_env |= env or {}
    if site is None:
        forked = run_forked(
            argv,
            env=full_env,
            input=None if input is None else input.encode(),
            become=login,
            umask=umask,
            show=show,
        )
        if forked is not None:
            return subprocess.CompletedProcess(
                forked.args,
                forked.returncode,
                forked.stdout.decode("utf-8", "replace"),
                forked.stderr.decode("utf-8", "replace"),
            )
    command = f"print({show})" if show else f"sys.argv = ['specialops', *{argv!r}]\nrun()"
    if umask is not None:
        command = f"os.umask({umask})\n" + command
    full_env["SPECIALOPS_TEST_BECOME"] = login
    if site is not None:
        full_env["SPECIALOPS_TEST_SITE"] = str(site)
    return subprocess.run(
        [sys.executable, "-c", PRELOAD + command + "\n"],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@contextmanager
def team_group() -> Iterator[str]:
    """A throwaway OS group, as the README's shared-server set-up makes one."""
    name = f"sog{uuid.uuid4().hex[:8]}"
    _run("groupadd", name)
    try:
        yield name
    finally:
        subprocess.run(["groupdel", name], capture_output=True)


@contextmanager
def os_login(group: str | None = None) -> Iterator[str]:
    """A throwaway OS login, in ``group`` when given (else its own group)."""
    name = f"sou{uuid.uuid4().hex[:8]}"
    options = ["-M", "-s", "/usr/sbin/nologin"]
    if group:
        options += ["-N", "-g", group]
    else:
        options += ["-U"]
    _run("useradd", *options, name)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@contextmanager
def team_folder() -> Iterator[tuple[Path, str]]:
    """A team folder as the README sets one up, with its throwaway group: setgid,
    group-writable, others shut out."""
    import shutil
    import tempfile

    with team_group() as group:
        folder = Path(tempfile.mkdtemp(prefix="specialops-team-", dir="/tmp"))
        try:
            os.chown(folder, 0, grp.getgrnam(group).gr_gid)
            os.chmod(folder, 0o2770)
            yield folder, group
        finally:
            shutil.rmtree(folder)


def group_id(name: str) -> int:
    return grp.getgrnam(name).gr_gid
