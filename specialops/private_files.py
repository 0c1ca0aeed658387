"""Every file specialops writes: private while it is written, in place only when complete.

A backup, an export, a rejects file or a staged copy is first written to a
temporary file in the target's own folder, named
``.<target name>.specialops-<pid>-<random>.part``. The temporary is created
``0600`` whatever the umask; once complete it takes the database file's
group and that file's group access (``0660`` for a shared database, ``0600``
when the group cannot be given: other users never get any access), is
flushed to disk and renamed over the target. On any failure, on Ctrl-C and on
SIGTERM or SIGHUP (turned into :class:`SystemExit` so that clean-up runs) the
temporary is removed and the old target is left as it was.

A target that exists and is not a regular file (a folder, a device, a FIFO,
a socket, or a symbolic link to one) is refused before anything is written:
renaming over it would replace it.

Each temporary is also registered with :mod:`atexit` from before it exists,
so that one a signal strands between its creation and its ``try`` still goes
when the process ends.

SIGKILL cannot be caught. A temporary left by a killed process is
recognised by its name, whose process id belongs to no running process, and
:func:`remove_stale` removes it: every later write into that folder runs it
first.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, BinaryIO

from specialops.errors import EXIT_UNAVAILABLE, SpecialopsError, UsageError

PRIVATE_MODE = 0o600
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")
_TEMPORARY = re.compile(
    r"^\.(?P<name>.+)\.specialops-(?P<pid>\d+)-[0-9a-f]{8}\.part(?:-journal|-wal|-shm)?$"
)
_MAX_NAME = 200  # leaves room for the temporary's additions within NAME_MAX (255)
_SIGNALS = ("SIGTERM", "SIGHUP")


class CannotWrite(SpecialopsError):
    """A file could not be written (full disk, no permission, read-only file system…)."""

    exit_code = EXIT_UNAVAILABLE


class NotARegularFile(UsageError):
    """The target exists and is something a rename would destroy."""


# ----------------------------------------------------------------------------- signals


def _exit_on(number: int, _frame: object) -> None:
    signal.signal(number, signal.SIG_DFL)  # a second signal ends the process at once
    sys.stderr.write(f"specialops: stopped by {signal.Signals(number).name}\n")
    raise SystemExit(128 + number)


def exit_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into :class:`SystemExit` for the rest of the process.

    Then ``finally`` blocks run and temporaries are removed. Handlers someone
    else installed are kept; outside the main thread nothing can be installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for name in _SIGNALS:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _exit_on)


@contextmanager
def _signals_exit() -> Iterator[None]:
    """:func:`exit_on_signals` for the time of a block only (unless it was already on)."""
    main = threading.current_thread() is threading.main_thread()
    installed = []
    if main:
        for name in _SIGNALS:
            number = getattr(signal, name, None)
            if number is not None and signal.getsignal(number) is signal.SIG_DFL:
                signal.signal(number, _exit_on)
                installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            if signal.getsignal(number) is _exit_on:
                signal.signal(number, signal.SIG_DFL)


# ----------------------------------------------------------------------------- targets


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _refuse_foreign_link(path: Path, link: os.stat_result) -> None:
    """Refuse to follow another login's link in a shared sticky folder such as /tmp.

    The kernel's protected_symlinks rule, which a rename done here would bypass.
    """
    try:
        folder = os.stat(path.parent)
    except OSError:
        return
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if shared and link.st_uid not in (os.geteuid(), folder.st_uid):
        raise NotARegularFile(
            f"{path} is a symbolic link of another user in a shared folder; "
            "it is not followed and nothing was written"
        )


def check_target(target: Path, *, database: Path | None = None) -> Path:
    """The file to write for ``target``: absolute, through symbolic links, and checked.

    Raises :class:`NotARegularFile` (exit 2) when it exists and is not a
    regular file, is a link to nothing, or is ``database`` or one of its
    SQLite side files.
    """
    path = Path(os.path.abspath(os.path.expanduser(target)))
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise CannotWrite(f"cannot write {path}: {error.strerror}; nothing was written") from None
    if found is not None and stat.S_ISLNK(found.st_mode):
        _refuse_foreign_link(path, found)
        real = Path(os.path.realpath(path))
        try:
            final = os.stat(real)
        except OSError:
            raise NotARegularFile(
                f"{path} is a symbolic link to {real}, which does not exist; give the file itself"
            ) from None
        if not stat.S_ISREG(final.st_mode):
            raise NotARegularFile(
                f"{path} is a symbolic link to a {_kind(final.st_mode)} ({real}), "
                "not a regular file; nothing was written"
            )
        path = real
    elif found is not None and not stat.S_ISREG(found.st_mode):
        raise NotARegularFile(
            f"{path} is a {_kind(found.st_mode)}, not a regular file; nothing was written"
        )
    else:
        path = Path(os.path.realpath(path.parent)) / path.name
    if database is not None:
        db = Path(os.path.realpath(database))
        if path.parent == db.parent and path.name in {
            db.name,
            *(db.name + s for s in SQLITE_SIDE_FILES),
        }:
            raise NotARegularFile(f"{path} is the database itself; give another file")
    return path


# ----------------------------------------------------------------------------- temporaries


def _temporary_name(folder: Path, name: str) -> Path:
    return folder / f".{name[:_MAX_NAME]}.specialops-{os.getpid()}-{secrets.token_hex(4)}.part"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def is_temporary(name: str) -> bool:
    """Whether a file name is one of the temporaries this module makes."""
    return _TEMPORARY.match(name) is not None


def remove_stale(folder: Path) -> list[Path]:
    """Remove this login's temporaries in ``folder`` whose process is gone (killed).

    Only regular files owned by the running login, named as :func:`writing`
    names them, with the id of no running process, are removed.
    """
    removed: list[Path] = []
    try:
        entries = os.scandir(folder)
    except OSError:
        return removed
    with entries:
        for entry in entries:
            found = _TEMPORARY.match(entry.name)
            if found is None:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                continue
            if _alive(int(found["pid"])):
                continue
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


class _Temporary:
    """A temporary's name, removed at the interpreter's exit unless forgotten before.

    Registered before the file exists, so that a signal arriving between its
    creation and the ``try`` that would remove it cannot leave it behind.
    """

    def __init__(self, folder: Path, name: str) -> None:
        self.path = _temporary_name(folder, name)
        atexit.register(self.remove)

    def create(self) -> int:
        """Create the file empty, 0600 whatever the umask; no one else can have it open."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, PRIVATE_MODE)
        except OSError:
            self.forget()  # not created (with O_EXCL, never someone else's file)
            raise
        except BaseException:
            self.remove()  # a signal may have come just after the file was made
            raise
        try:
            os.fchmod(fd, PRIVATE_MODE)
        except BaseException:
            os.close(fd)
            self.remove()
            raise
        return fd

    def remove(self) -> None:
        """Remove the file and SQLite's side files of it; forget it."""
        _remove(self.path)
        self.forget()

    def forget(self) -> None:
        atexit.unregister(self.remove)


def _remove(path: Path) -> None:
    for suffix in ("", *SQLITE_SIDE_FILES):
        with suppress(OSError):  # one that cannot go now is left for remove_stale
            os.unlink(f"{path}{suffix}")


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename is done
    finally:
        os.close(fd)


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


def cannot_write(target: Path, error: BaseException | str, *, existed: bool) -> CannotWrite:
    """The one-line error for a file that could not be written."""
    reason = error if isinstance(error, str) else _reason(error)
    outcome = "the existing file is unchanged" if existed else "nothing was written"
    return CannotWrite(f"cannot write {target}: {reason}; {outcome}")


class _Sink(io.RawIOBase):
    """The temporary's descriptor as a raw stream that writes everything or raises.

    Once discarded it drops what it is given, so a buffer collected later
    cannot report a second error about a file that no longer exists.
    """

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.discarded = False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        if self.discarded:
            return len(view)
        done = 0
        while done < len(view):
            done += os.write(self.fd, view[done:])
        return done

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return 0 if self.discarded else os.lseek(self.fd, offset, whence)

    def tell(self) -> int:
        return self.seek(0, os.SEEK_CUR)

    def truncate(self, size: int | None = None) -> int:
        if self.discarded:
            return 0
        size = self.tell() if size is None else size
        os.ftruncate(self.fd, size)
        return size


class PrivateFile:
    """A temporary being written for ``target``; ``path`` names it, ``stream`` writes it."""

    def __init__(self, target: Path, group_of: Path | None) -> None:
        self.target = target
        self.group_of = group_of
        self._temporary = _Temporary(target.parent, target.name)
        self.path = self._temporary.path
        self.fd = self._temporary.create()
        self._sink = _Sink(self.fd)
        self.stream: BinaryIO = io.BufferedWriter(self._sink, 1 << 16)  # type: ignore[assignment]

    def _settle(self) -> None:
        """The group and mode the file keeps: the database file's, never other users'."""
        mode = PRIVATE_MODE
        if self.group_of is not None:
            reference = os.stat(self.group_of)
            if os.fstat(self.fd).st_gid != reference.st_gid:
                # Not in that group: the file stays private to its owner.
                with suppress(PermissionError):
                    os.fchown(self.fd, -1, reference.st_gid)
            if os.fstat(self.fd).st_gid == reference.st_gid:
                mode |= reference.st_mode & 0o060
        os.fchmod(self.fd, mode)

    def commit(self) -> None:
        """Flush to disk, give the final group and mode, rename over the target."""
        if not self.stream.closed:
            self.stream.flush()
        os.fsync(self.fd)
        self._settle()
        os.close(self.fd)
        self.fd = -1
        os.replace(self.path, self.target)
        self._temporary.forget()
        _sync_folder(self.target.parent)

    def discard(self) -> None:
        """Remove the temporary (and SQLite's side files of it); the target is untouched."""
        self._sink.discarded = True
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self._temporary.remove()


@contextmanager
def writing(target: Path, *, group_of: Path | None = None) -> Iterator[PrivateFile]:
    """Write ``target`` privately: write the yielded file; it replaces ``target`` on success.

    ``group_of`` is the database file whose group (and group access) the
    result takes, and which it may never replace. Raises
    :class:`NotARegularFile` (exit 2) before anything is written, and
    :class:`CannotWrite` (exit 3) for any operating-system error, with the
    temporary removed and the old target unchanged.
    """
    final = check_target(Path(target), database=group_of)
    existed = final.exists()
    with _signals_exit():
        remove_stale(final.parent)
        try:
            part = PrivateFile(final, group_of)
        except OSError as error:
            raise cannot_write(final, error, existed=existed) from None
        try:
            yield part
            part.commit()
        except OSError as error:
            part.discard()
            raise cannot_write(final, error, existed=existed) from None
        except BaseException:
            part.discard()
            raise


@contextmanager
def scratch(folder: Path, name: str) -> Iterator[Path]:
    """A private (0600) empty file in ``folder``, removed on leaving the block, whatever happens."""
    with _signals_exit():
        remove_stale(folder)
        temporary = _Temporary(folder, name)
        try:
            try:
                os.close(temporary.create())
            except OSError as error:
                raise cannot_write(folder / name, error, existed=False) from None
            yield temporary.path
        finally:
            temporary.remove()


def spool(source: IO[bytes], name: str) -> Path:
    """Copy a stream to a private (0600) temporary file in the temporary folder.

    The caller removes it; SIGTERM and SIGHUP raise :class:`SystemExit` from
    now on, so that its ``finally`` does. One left by a killed process is
    removed by the next spool.
    """
    exit_on_signals()
    folder = Path(tempfile.gettempdir())
    remove_stale(folder)
    temporary = _Temporary(folder, name)  # removed at exit even if the caller misses it
    try:
        with os.fdopen(temporary.create(), "wb") as handle:
            shutil.copyfileobj(source, handle, 1 << 20)
    except OSError as error:
        temporary.remove()
        raise CannotWrite(f"cannot copy the input to {folder}: {_reason(error)}") from None
    except BaseException:
        temporary.remove()
        raise
    return temporary.path
