"""The bytes of a journal file: locked appends, incremental reads, a torn last line.

A writer holds the lock only while it appends (one ``os.write`` of a whole record
group on a file opened with ``O_APPEND``); readers take no lock at all and read the
complete lines after their offset. Two locks are offered:

``"flock"`` (the default)
    ``fcntl.flock`` on the journal file itself: fast, released by the kernel when a
    process dies, but not shared between hosts on many network file systems.
``"link"``
    the existence of the symbolic link ``<path>.lock`` (created with one atomic
    ``symlink``, removed on release), which works on NFS and is the protocol of
    Optuna's ``JournalFileSymlinkLock``, so that fasthpo and Optuna workers exclude
    each other. A lock left by a dead process is broken after ``grace_period`` seconds
    without change.
"""

from __future__ import annotations

import errno
import os
import time
import uuid
import warnings
import weakref

try:
    import fcntl
except ImportError:  # not POSIX (Windows): only the link lock works
    fcntl = None

__all__ = ["FileBackend", "LOCKS"]

LOCKS = ("flock", "link")
_CHUNK = 1 << 16

_OPEN_BACKENDS: weakref.WeakSet = weakref.WeakSet()


def _reopen_after_fork() -> None:
    # flock belongs to the open file description, which a forked child shares with its
    # parent: without a file of its own the child's lock would not exclude the parent's.
    for backend in list(_OPEN_BACKENDS):
        backend.reopen()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reopen_after_fork)


class _Flock:
    def __init__(self, backend: FileBackend) -> None:
        self.backend = backend

    def acquire(self) -> None:
        fcntl.flock(self.backend.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self.backend.fd, fcntl.LOCK_UN)

    def held_by_other(self) -> bool:
        try:
            fcntl.flock(self.backend.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self.backend.fd, fcntl.LOCK_UN)
        return False


class _LinkLock:
    def __init__(self, path: str, grace_period: float) -> None:
        self.target = path
        self.path = path + ".lock"
        self.grace_period = grace_period

    def acquire(self) -> None:
        sleep, seen, since = 1e-4, None, time.monotonic()
        while True:
            try:
                os.symlink(self.target, self.path)
                return
            except FileExistsError:
                pass
            except OSError as exc:
                raise PermissionError(
                    f"Cannot create the lock {self.path!r} of the journal {self.target!r}: {exc.strerror}."
                ) from exc
            try:
                mtime = os.lstat(self.path).st_mtime_ns
            except FileNotFoundError:
                continue
            if mtime != seen:
                seen, since = mtime, time.monotonic()
            elif time.monotonic() - since > self.grace_period:
                warnings.warn(f"Breaking the lock {self.path!r}, unchanged for {self.grace_period} s "
                              "(its holder died).", RuntimeWarning, stacklevel=4)
                self._remove()
                continue
            time.sleep(sleep)
            sleep = min(2 * sleep, 0.05)

    def release(self) -> None:
        self._remove()

    def _remove(self) -> None:
        # Rename first, so that two processes breaking one stale lock cannot both remove it.
        moved = f"{self.path}.{uuid.uuid4().hex}.rename"
        try:
            os.rename(self.path, moved)
        except FileNotFoundError:
            return
        os.unlink(moved)

    def held_by_other(self) -> bool:
        return os.path.lexists(self.path)


class FileBackend:
    """Locked appends to and incremental reads of one journal file.

    Parameters
    ----------
    path : str
        The journal; created when missing unless its directory is read-only.
    lock : {"flock", "link"}
        How writers exclude each other (see the module's documentation).
    fsync : bool
        ``os.fsync`` after every append.
    grace_period : float
        Seconds after which the link lock of a dead process is broken.
    """

    def __init__(self, path: str, lock: str = "flock", fsync: bool = False, grace_period: float = 30.0) -> None:
        if lock not in LOCKS:
            raise ValueError(f"lock must be one of {LOCKS}, got {lock!r}.")
        if lock == "flock" and fcntl is None:
            raise ValueError("lock='flock' needs fcntl (POSIX); use lock='link' on this platform.")
        self.path = path
        self.lock_kind = lock
        self.fsync = fsync
        self.grace_period = grace_period
        self.fd: int | None = None
        self.read_only_reason: str | None = None
        self.offset = 0  # bytes read so far: always the end of a complete line
        self.line = 0  # complete lines read so far
        self._warned_tail_at = -1
        self.reopen()
        _OPEN_BACKENDS.add(self)

    @property
    def location(self) -> str:
        return repr(self.path)

    def reopen(self) -> None:
        self.close()
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            self.read_only_reason = None
        except FileNotFoundError:
            directory = os.path.dirname(os.path.abspath(self.path))
            raise FileNotFoundError(
                f"Cannot create the journal {self.path!r}: the directory {directory!r} does not exist."
            ) from None
        except IsADirectoryError:
            raise IsADirectoryError(f"Cannot use {self.path!r} as a journal: it is a directory.") from None
        except PermissionError as exc:
            if not os.path.exists(self.path):
                raise PermissionError(f"Cannot create the journal {self.path!r}: {exc.strerror}.") from None
            self.fd = os.open(self.path, os.O_RDONLY)
            self.read_only_reason = exc.strerror
        except OSError as exc:
            if exc.errno != errno.EROFS:
                raise
            self.fd = os.open(self.path, os.O_RDONLY)
            self.read_only_reason = exc.strerror
        self._lock = _Flock(self) if self.lock_kind == "flock" else _LinkLock(self.path, self.grace_period)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __del__(self) -> None:
        if getattr(self, "fd", None) is not None:
            self.close()

    # ------------------------------------------------------------------ read
    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def read_lines(self) -> list[bytes]:
        """The complete lines appended since the last call (without their newline).

        A last line without its newline is not returned: it is being written, or (if
        no writer holds the lock) what a writer that died mid-write left, which is
        reported with a warning and cut off by the next writer.
        """
        data = os.pread(self.fd, _CHUNK, self.offset)  # one system call when little is new
        if len(data) == _CHUNK:
            data = os.pread(self.fd, max(self.size() - self.offset, _CHUNK), self.offset)
        if not data:
            return []
        end = data.rfind(b"\n") + 1
        lines = data[:end].split(b"\n")[:-1]
        self.offset += end
        self.line += len(lines)
        if end < len(data):
            self._report_tail(len(data) - end)
        return lines

    def _report_tail(self, n_bytes: int) -> None:
        tail_at = self.offset + n_bytes
        if self._warned_tail_at == tail_at or self._lock.held_by_other():
            return
        self._warned_tail_at = tail_at
        warnings.warn(
            f"The journal {self.path!r} ends with {n_bytes} bytes of an unfinished line "
            f"{self.line + 1} (a writer crashed while writing); it is ignored.",
            RuntimeWarning,
            stacklevel=6,
        )

    # ----------------------------------------------------------------- write
    def check_writable(self) -> None:
        if self.read_only_reason is not None:
            raise PermissionError(
                f"The journal {self.path!r} is read-only ({self.read_only_reason}): it can be loaded "
                "but nothing can be written to it."
            )

    def append(self, data: bytes) -> None:
        """Write ``data`` (whole lines) at the end, holding the lock only for the write."""
        self.check_writable()
        self._lock.acquire()
        try:
            self._cut_torn_tail()
            written = os.write(self.fd, data)
            if written != len(data):
                raise OSError(f"Only {written} of {len(data)} bytes were written to the journal {self.path!r}.")
            if self.fsync:
                os.fsync(self.fd)
        finally:
            self._lock.release()

    def _cut_torn_tail(self) -> None:
        """Under the lock: a last line without newline was left by a dead writer; cut it."""
        size = self.size()
        if size == 0 or os.pread(self.fd, 1, size - 1) == b"\n":
            return
        start = max(self.offset, size - _CHUNK)
        while True:
            chunk = os.pread(self.fd, size - start, start)
            newline = chunk.rfind(b"\n")
            if newline >= 0 or start == 0:
                os.ftruncate(self.fd, start + newline + 1)
                return
            start = max(0, start - _CHUNK)
