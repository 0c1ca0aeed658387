"""Files the program writes are private while written and appear whole or not at all.

The hostile colleague is another login on the server: while a backup, an export or a
rejects file is written they must never find a file they can read, and a failure, a
full disk or a signal must leave neither a temporary nor a half-replaced target.
"""

from __future__ import annotations

import grp
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from specialops import private_files
from tests import os_users
from tests.conftest import one_line_error, run_cli
from tests.os_users import needs_root, os_login, run_as, team_group

BAD_CSV = "code,name,type\n,好客戶,company\n,壞客戶,nope\n"


def _temporaries(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".part" in n or ".specialops-" in n)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _cli_under_umask(mask: int, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """The real command line started with ``mask`` as its umask (as cron starts it)."""
    old = os.umask(mask)
    try:
        return run_cli(*args, **kwargs)
    finally:
        os.umask(old)


def _give_group(db: Path, group: str) -> int:
    gid = grp.getgrnam(group).gr_gid
    for name in (db.name, db.name + "-wal", db.name + "-shm"):
        side = db.with_name(name)
        if side.exists():
            os.chown(side, -1, gid)
            os.chmod(side, 0o660)
    return gid


@pytest.fixture
def shared_folder() -> Iterator[tuple[Path, str]]:
    with os_users.team_folder() as made:
        yield made


# ----------------------------------------------------------------------------- the module


def test_the_temporary_is_0600_before_any_byte_and_the_result_takes_the_db_group(
    demo_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "copy.csv"
    target.parent.mkdir()
    target.write_text("old")
    old = os.umask(0)
    try:
        with private_files.writing(target, group_of=demo_db) as part:
            info = os.stat(part.path)
            assert part.path.parent == target.parent
            assert private_files.is_temporary(part.path.name)
            assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_size == 0
            part.stream.write(b"new")
            assert target.read_text() == "old"  # in place only at the end
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert _mode(target) == 0o660 and os.stat(target).st_gid == os.stat(demo_db).st_gid
    assert _temporaries(target.parent) == []


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_a_failure_removes_the_temporary_and_keeps_the_old_target(
    tmp_path: Path, error: type[BaseException]
) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old")
    with pytest.raises(error), private_files.writing(target) as part:
        part.stream.write(b"half")
        part.stream.flush()
        raise error()
    assert target.read_text() == "old"
    assert _temporaries(tmp_path) == []


def test_a_stale_temporary_of_a_killed_process_is_removed_by_the_next_write(
    tmp_path: Path,
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    pid = int(dead.stdout)
    stale = tmp_path / f".report.csv.specialops-{pid}-0123abcd.part"
    stale.write_text("personal data")
    alive = tmp_path / f".report.csv.specialops-{os.getppid()}-0123abcd.part"
    alive.write_text("still being written")
    with private_files.writing(tmp_path / "other.csv") as part:
        part.stream.write(b"x")
    assert not stale.exists()
    assert alive.exists()


# ----------------------------------------------------------------------------- modes and group


@needs_root
def test_backup_export_and_rejects_under_umask_022_are_0660_with_the_db_group(
    demo_db: Path, tmp_path: Path
) -> None:
    with team_group() as group:
        gid = _give_group(demo_db, group)
        out = tmp_path / "out"  # a folder of root's own group
        out.mkdir()
        source = tmp_path / "in.csv"
        source.write_text(BAD_CSV, encoding="utf-8")
        runs = {
            "backup.db": ("backup", str(out / "backup.db")),
            "customers.csv": ("export", "customers", "-o", str(out / "customers.csv")),
            "rejects.csv": (
                "import",
                "customers",
                str(source),
                "--rejects",
                str(out / "rejects.csv"),
            ),
        }
        for mask in (0o022, 0o000):  # cron's, and none at all
            for name, args in runs.items():
                (out / name).unlink(missing_ok=True)
                result = _cli_under_umask(mask, *args, db=demo_db)
                assert result.returncode in (0, 1), result.stderr  # the import rejects a row
                info = os.stat(out / name)
                assert stat.S_IMODE(info.st_mode) == 0o660, (mask, name, oct(info.st_mode))
                assert info.st_gid == gid, name
        assert _temporaries(out) == []


@needs_root
def test_files_written_by_a_team_login_under_umask_022_are_not_world_readable(
    shared_folder: tuple[Path, str],
) -> None:
    folder, group = shared_folder
    db = folder / "ops.db"
    assert run_cli("init", "--demo", db=db).returncode == 0
    gid = _give_group(db, group)
    with os_login(group) as login:
        added = run_cli("users", "add", login, "--name", "同事", "--role", "admin", db=db)
        assert added.returncode == 0, added.stderr
        source = folder / "in.csv"
        source.write_text(BAD_CSV, encoding="utf-8")
        os.chmod(source, 0o640)
        os.chown(source, -1, gid)
        for args in (
            ("backup", str(folder / "backup.db")),
            ("export", "customers", "-o", str(folder / "customers.csv")),
            ("import", "customers", str(source), "--rejects", str(folder / "rejects.csv")),
        ):
            result = run_as(login, *args, db=db, umask=0o022)
            assert result.returncode in (0, 1), result.stderr
        for name in ("backup.db", "customers.csv", "rejects.csv"):
            info = os.stat(folder / name)
            assert info.st_mode & 0o007 == 0, (name, oct(info.st_mode))
            assert info.st_gid == gid, name
        assert _temporaries(folder) == []


# ----------------------------------------------------------------------------- targets


def _made_device(folder: Path) -> Path:
    """A character device of the test's own (the null device's numbers)."""
    device = folder / "made-null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return device


def _target(kind: str, folder: Path) -> Path:
    if kind == "dev-full":
        return Path("/dev/full")
    if kind == "made-device":
        return _made_device(folder)
    if kind == "fifo":
        os.mkfifo(folder / "pipe")
        return folder / "pipe"
    if kind == "folder":
        (folder / "dir").mkdir()
        return folder / "dir"
    link = folder / "link"
    link.symlink_to("/dev/null" if kind == "link-to-dev-null" else _made_device(folder))
    return link


KINDS = ["dev-full", "made-device", "fifo", "folder", "link-to-dev-null", "link-to-made-device"]


@needs_root
@pytest.mark.parametrize("kind", KINDS)
def test_backup_refuses_a_target_that_is_not_a_regular_file(
    demo_db: Path, tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "targets"
    folder.mkdir()
    target = _target(kind, folder)
    real = Path(os.path.realpath(target))
    before = os.lstat(target), os.stat(real)
    result = run_cli("backup", str(target), db=demo_db)
    one_line_error(result, 2, "not a regular file")
    after = os.lstat(target), os.stat(real)
    for was, now in zip(before, after, strict=True):
        assert (stat.S_IFMT(now.st_mode), now.st_ino, now.st_rdev) == (
            stat.S_IFMT(was.st_mode),
            was.st_ino,
            was.st_rdev,
        )
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert _temporaries(folder) == [] and _temporaries(real.parent) == []


@needs_root
@pytest.mark.parametrize("kind", ["folder", "link-to-made-device"])
def test_export_and_rejects_refuse_a_target_that_is_not_a_regular_file(
    demo_db: Path, tmp_path: Path, kind: str
) -> None:
    folder = tmp_path / "targets"
    folder.mkdir()
    target = _target(kind, folder)
    real_kind = stat.S_IFMT(os.stat(target).st_mode)
    exported = run_cli("export", "customers", "--format", "csv", "-o", str(target), db=demo_db)
    one_line_error(exported, 2, "not a regular file")
    source = tmp_path / "in.csv"
    source.write_text(BAD_CSV, encoding="utf-8")
    rejected = run_cli("import", "customers", str(source), "--rejects", str(target), db=demo_db)
    assert "not a regular file" in rejected.stderr and rejected.returncode == 2
    assert stat.S_IFMT(os.stat(target).st_mode) == real_kind
    assert _temporaries(folder) == []


# ----------------------------------------------------------------------------- a full disk


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A tiny file system holding old files, filled to the last byte."""
    if os.getuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode().strip()}")
    try:
        for name in ("backup.db", "customers.csv", "rejects.csv"):
            (mount / name).write_text(f"old {name}")
        with (mount / "filler").open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass
        with (mount / "filler").open("ab", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0")
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


@pytest.mark.parametrize("what", ["backup", "export", "rejects"])
def test_a_full_disk_ends_in_one_line_exit_3_old_file_intact(
    demo_db: Path, tmp_path: Path, full_disk: Path, what: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(BAD_CSV, encoding="utf-8")
    name, args = {
        "backup": ("backup.db", ("backup", str(full_disk / "backup.db"))),
        "export": (
            "customers.csv",
            ("export", "customers", "-o", str(full_disk / "customers.csv")),
        ),
        "rejects": (
            "rejects.csv",
            ("import", "customers", str(source), "--rejects", str(full_disk / "rejects.csv")),
        ),
    }[what]
    line = one_line_error(run_cli(*args, db=demo_db), 3, f"cannot write {full_disk / name}")
    assert "full" in line or "No space" in line
    assert (full_disk / name).read_text() == f"old {name}"
    assert _temporaries(full_disk) == []
    assert run_cli("db", "check", db=demo_db).returncode == 0


# ----------------------------------------------------------------------------- signals

BIG_ROWS = 60_000


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database with enough customers that an export takes a while."""
    folder = tmp_path_factory.mktemp("big")
    db = folder / "big.db"
    assert run_cli("init", "--demo", db=db).returncode == 0
    source = folder / "big.csv"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("code,name,type,phone,email,address,tier,notes\n")
        for n in range(BIG_ROWS):
            handle.write(f",客戶{n},company,0912{n:06d},c{n}@example.com,台北市{n}號,gold,\n")
    imported = run_cli("import", "customers", str(source), db=db, timeout=600)
    assert imported.returncode == 0, imported.stderr
    return db


def _default_signals() -> None:
    for number in (signal.SIGHUP, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)


def _export_until_the_temporary_appears(db: Path, out: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specialops",
            "--db",
            str(db),
            "export",
            "customers",
            "-o",
            str(out / "customers.jsonl"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started with nohup or in the background passes SIGHUP and SIGINT on
        # as ignored, and the program rightly keeps them so: give it a terminal's.
        preexec_fn=_default_signals,
    )
    while True:
        found = [n for n in os.listdir(out) if private_files.is_temporary(n)]
        if found:
            return proc, found[0]
        if proc.poll() is not None:
            pytest.fail(f"the export ended before its temporary was seen: {proc.stderr.read()}")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_during_an_export_leaves_no_temporary(
    big_db: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for _attempt in range(5):
        proc, temporary = _export_until_the_temporary_appears(big_db, out)
        # Held still at once, so that the signal lands while the export is under way;
        # an export that finished first is run again.
        proc.send_signal(signal.SIGSTOP)
        if proc.poll() is None:
            break
        proc.communicate(timeout=120)
        for name in os.listdir(out):
            (out / name).unlink()
    else:
        pytest.fail("the export always finished before it could be stopped")
    assert f"-{proc.pid}-" in temporary
    proc.send_signal(sig)
    proc.send_signal(signal.SIGCONT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0, "the export finished before the signal"
    assert "Traceback" not in stderr
    assert os.listdir(out) == [], (proc.returncode, stderr)


@pytest.mark.slow
def test_a_temporary_left_by_sigkill_is_removed_by_the_next_export(
    big_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc, temporary = _export_until_the_temporary_appears(big_db, out)
    proc.kill()
    proc.wait(timeout=60)
    assert (out / temporary).exists()  # SIGKILL cannot be caught
    assert _mode(out / temporary) == 0o600
    done = run_cli("export", "departments", "-o", str(out / "departments.csv"), db=big_db)
    assert done.returncode == 0, done.stderr
    assert os.listdir(out) == ["departments.csv"]


def test_the_spooled_stdin_is_private_and_removed_on_sigterm(demo_db: Path, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "specialops", "--db", str(demo_db), "import", "customers", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(spool)},
    )
    assert proc.stdin is not None
    proc.stdin.write(b"code,name,type\n," + "客".encode() * 1000 + b",company\n")
    proc.stdin.flush()
    # The import is copying stdin, which stays open. (Python's tempfile also probes the
    # folder with a short-lived file of its own: only the import's copy counts.)
    while not (copies := [n for n in os.listdir(spool) if "import" in n]):
        if proc.poll() is not None:
            pytest.fail(f"the import ended: {proc.stderr.read()}")
    (name,) = copies
    assert _mode(spool / name) == 0o600
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert os.listdir(spool) == []


def test_the_spooled_stdin_is_removed_after_an_import(demo_db: Path, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    env = {"TMPDIR": str(spool)}
    good = run_cli(
        "import", "customers", "-", db=demo_db, input=b"code,name,type\n,x,company\n", env=env
    )
    assert good.returncode == 0, good.stderr
    bad = run_cli("import", "customers", "-", db=demo_db, input=BAD_CSV.encode(), env=env)
    assert bad.returncode == 1
    assert os.listdir(spool) == []


# ----------------------------------------------------------------------------- restore


def _users(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT username FROM users")}


def _last_audit(db: Path) -> tuple[str, str]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, comment FROM audit_log ORDER BY id DESC").fetchone()


def test_a_restore_reported_done_has_its_audit_entry(demo_db: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.db"
    assert run_cli("backup", str(saved), db=demo_db).returncode == 0
    assert run_cli("users", "add", "newbie", "--name", "新人", db=demo_db).returncode == 0
    restored = run_cli("restore", str(saved), "--json", db=demo_db)
    assert restored.returncode == 0, restored.stderr
    assert "newbie" not in _users(demo_db)
    assert _last_audit(demo_db) == ("restore", "restored from saved.db")
    assert json.loads(run_cli("audit", "verify", "--json", db=demo_db).stdout)["ok"]
    assert _temporaries(demo_db.parent) == []


def test_a_restore_whose_audit_entry_cannot_be_written_changes_nothing(
    demo_db: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "saved.db"
    assert run_cli("backup", str(saved), db=demo_db).returncode == 0
    with sqlite3.connect(saved) as conn:  # a backup whose log refuses the restore's entry
        conn.execute(
            "CREATE TRIGGER refuse_restore BEFORE INSERT ON audit_log "
            "WHEN NEW.action = 'restore' BEGIN SELECT RAISE(ABORT, 'log refuses'); END"
        )
    assert run_cli("users", "add", "newbie", "--name", "新人", db=demo_db).returncode == 0
    audit_before = _last_audit(demo_db)
    result = run_cli("restore", str(saved), db=demo_db)
    line = one_line_error(result, 3, "restore failed")
    previous = line.rsplit(" ", 1)[-1]
    assert Path(previous).exists() and "before-restore" in previous
    assert "newbie" in _users(demo_db)  # the database is as it was
    assert _last_audit(demo_db) == audit_before
    assert _temporaries(demo_db.parent) == []


def test_an_export_to_a_file_the_shell_just_made_loses_its_world_access(
    demo_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "redirected.csv"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # as `> file` under 022
    os.fchmod(fd, 0o644)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "specialops", "--db", str(demo_db), "export", "customers"],
            stdout=fd,
            stderr=subprocess.PIPE,
            env={**os.environ},
        )
    finally:
        os.close(fd)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().startswith("\ufeffcode,".encode())
    assert _mode(target) & 0o007 == 0
