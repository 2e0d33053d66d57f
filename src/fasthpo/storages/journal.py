"""Studies in an append-only journal file that several processes share.

Every change to a study is one JSON object on one line of the journal: a study is
created, a trial is created or started, a parameter is set, an intermediate value is
reported, an attribute is set, a trial finishes. A process appends its own changes and,
before it reads or decides anything, replays the lines other processes appended since
it last looked. So a sampler in one process sees the trials told in another.

Writing
    A line is written with one ``os.write`` on a file opened with ``O_APPEND``, while
    the process holds an exclusive ``fcntl.flock`` on ``<path>.lock``. Under that lock
    the writer first replays what others wrote, so trial numbers are allocated from an
    up-to-date study and stay unique across processes. ``flock`` works between
    processes on one machine and on local file systems; on NFS (or any file system
    where ``flock`` is not shared between hosts) put the journal where such a lock
    works, or run the workers on one host.

Reading
    Readers take a shared lock and read only the bytes after their last offset. A
    complete line that cannot be read is an error naming the file and the line number
    (the lines before it stay loaded, the file is not touched). A last line without its
    newline, seen while no writer holds the lock, is what a writer that crashed in the
    middle of a write leaves: it is ignored with a warning, and the next writer cuts it
    off before appending, so no complete line is ever lost.

Values go through JSON: attributes and fixed parameters must be JSON-serializable
(numpy scalars and arrays are converted), tuples come back as lists, NaN and infinity
are kept.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import warnings
import weakref
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # not POSIX (Windows): the journal cannot lock
    fcntl = None

from fasthpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    distribution_from_dict,
    distribution_to_dict,
)
from fasthpo.exceptions import DuplicatedStudyError
from fasthpo.storages.base import BaseStorage
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

__all__ = ["JournalFileStorage"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{value!r} ({type(value).__name__}) cannot be stored in a journal: it is not JSON-serializable.")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_jsonable)
_DECODER = json.JSONDecoder()


def _time(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


_OPEN_STORAGES: weakref.WeakSet = weakref.WeakSet()


def _reopen_after_fork() -> None:
    # flock belongs to the open file description, which a forked child shares with its
    # parent: without files of its own the child's lock would not exclude the parent's.
    for storage in list(_OPEN_STORAGES):
        storage._open_files()


os.register_at_fork(after_in_child=_reopen_after_fork)


class _WriteLock:
    """The exclusive lock of a journal, re-entrant within a thread; entering replays."""

    __slots__ = ("storage", "mutex", "depth")

    def __init__(self, storage: JournalFileStorage) -> None:
        self.storage = storage
        self.mutex = threading.RLock()  # threads of this process share one flock
        self.depth = 0

    def __enter__(self) -> None:
        self.mutex.acquire()
        self.depth += 1
        if self.depth > 1:
            return  # nested: the lock is held and everything replayed
        try:
            fcntl.flock(self.storage._lock_fd, fcntl.LOCK_EX)
            self.storage._replay(exclusive=True)
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc_info: Any) -> None:
        self.depth -= 1
        if self.depth == 0:
            fcntl.flock(self.storage._lock_fd, fcntl.LOCK_UN)
        self.mutex.release()


class _StudyEntry:
    __slots__ = ("study_id", "name", "directions", "store", "user_attrs")

    def __init__(self, study_id: int, name: str, directions: list, store: _JournalStore) -> None:
        self.study_id = study_id
        self.name = name
        self.directions = directions
        self.store = store
        self.user_attrs: dict[str, Any] = {}


class JournalFileStorage(BaseStorage):
    """Studies kept in a journal file that several processes can share.

    Parameters
    ----------
    path : str or os.PathLike
        The journal file, created if missing. A lock file ``<path>.lock`` is created
        beside it.
    fsync : bool
        Flush every line to the disk (``os.fsync``) before going on, so that a power
        loss or a crash of the machine loses nothing told. Without it a line is safe
        once written if only the process dies (the operating system keeps it), and a
        trial costs far less: an fsync takes milliseconds on many disks.

    Examples
    --------
    >>> import os, tempfile
    >>> import fasthpo
    >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
    >>> study = fasthpo.create_study(study_name="s", storage=path,
    ...                              sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
    >>> again = fasthpo.load_study(study_name="s", storage=fasthpo.storages.JournalFileStorage(path))
    >>> len(again.trials), again.best_value == study.best_value
    (5, True)
    """

    def __init__(self, path: str | os.PathLike, fsync: bool = False) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}.")
        if fcntl is None:
            raise RuntimeError("JournalFileStorage needs fcntl.flock, which this platform (not POSIX) lacks.")
        path = os.fspath(path)
        if not path:
            raise ValueError("path must not be empty.")
        if not isinstance(fsync, bool):
            raise TypeError(f"fsync must be a bool, got {fsync!r}.")
        self.path = path
        self.fsync = fsync
        self._fd = self._lock_fd = None
        self._open_files()
        _OPEN_STORAGES.add(self)
        self._offset = 0  # bytes of the journal replayed so far
        self._line = 0  # lines replayed so far
        self._warned_tail_at = -1
        self._studies: dict[str, _StudyEntry] = {}
        self._by_id: dict[int, _StudyEntry] = {}
        self._n_created = 0  # study ids handed out so far, deleted ones included
        self._distributions: list[BaseDistribution] = []  # by id, as defined in the journal
        self._distribution_ids: dict[BaseDistribution, int] = {}
        self.sync()

    def _open_files(self) -> None:
        self._close_files()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        self._exclusive = _WriteLock(self)

    def _close_files(self) -> None:
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._lock_fd = None

    def __del__(self) -> None:
        if hasattr(self, "_fd"):
            self._close_files()

    def __repr__(self) -> str:
        return f"JournalFileStorage({self.path!r})"

    # ------------------------------------------------------------ studies
    def create_study(self, study_name: str, directions: list) -> None:
        with self._exclusive:
            if study_name in self._studies:
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists in {self.path!r}.")
            op = {"op": "create_study", "study": self._n_created, "name": study_name,
                  "directions": [int(d) for d in directions]}
            self._append(op)
            self._apply(op)

    def load_study(self, study_name: str) -> tuple[list, TrialStore]:
        self.sync()
        entry = self._entry(study_name)
        return entry.directions, entry.store

    def check_storable(self, user_attrs: dict, system_attrs: dict, distributions: list) -> None:
        _ENCODER.encode([user_attrs, system_attrs, [distribution_to_dict(d) for d in distributions]])

    def get_all_study_names(self) -> list[str]:
        self.sync()
        return list(self._studies)

    def delete_study(self, study_name: str) -> None:
        with self._exclusive:
            op = {"op": "delete_study", "study": self._entry(study_name).study_id}
            self._append(op)
            self._apply(op)

    def get_study_user_attrs(self, study_name: str) -> dict[str, Any]:
        self.sync()
        return dict(self._entry(study_name).user_attrs)

    def set_study_user_attr(self, study_name: str, key: str, value: Any) -> None:
        with self._exclusive:
            op = {"op": "set_study_user_attr", "study": self._entry(study_name).study_id, "key": key, "value": value}
            self._append(op)
            self._apply(op)

    def _entry(self, study_name: str) -> _StudyEntry:
        try:
            return self._studies[study_name]
        except KeyError:
            raise KeyError(f"No study named {study_name!r} in {self.path!r}.") from None

    # ------------------------------------------------------ read and write
    def sync(self) -> None:
        """Replay what other processes appended since the last look."""
        lock = self._exclusive
        if lock.depth or os.fstat(self._fd).st_size == self._offset:
            return  # nothing new, or under the write lock where everything is replayed
        with lock.mutex:
            fcntl.flock(self._lock_fd, fcntl.LOCK_SH)
            try:
                self._replay(exclusive=False)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _append(self, op: dict) -> None:
        """Write one line; the caller holds :attr:`_exclusive` and applies ``op`` after."""
        data = (_ENCODER.encode(op) + "\n").encode()
        written = os.write(self._fd, data)
        if written != len(data):
            raise OSError(f"Only {written} of {len(data)} bytes were written to the journal {self.path!r}.")
        if self.fsync:
            os.fsync(self._fd)
        self._offset += written
        self._line += 1

    def _replay(self, exclusive: bool) -> None:
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return
        data = os.pread(self._fd, size - self._offset, self._offset)
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            self._replay_line(data[start:end])
            self._offset += end + 1 - start
            self._line += 1
            start = end + 1
        if start < len(data):
            self._drop_crashed_tail(len(data) - start, exclusive)

    def _replay_line(self, line: bytes) -> None:
        try:
            op = _DECODER.decode(line.decode())
            if not isinstance(op, dict):
                raise ValueError(f"expected a JSON object, got {op!r}")
            self._apply(op)
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(
                f"Corrupt journal {self.path!r}, line {self._line + 1}: {reason} "
                f"(line: {line[:200]!r}). The {self._line} lines before it are loaded; "
                "the file is left as it is."
            ) from exc

    def _drop_crashed_tail(self, n_bytes: int, exclusive: bool) -> None:
        """A last line without newline while no one writes: a writer crashed mid-write."""
        if self._warned_tail_at != self._offset:
            warnings.warn(
                f"The journal {self.path!r} ends with {n_bytes} bytes of an unfinished line "
                f"{self._line + 1} (a writer crashed while writing); it is ignored.",
                RuntimeWarning,
                stacklevel=5,
            )
            self._warned_tail_at = self._offset
        if exclusive:  # cut it off so the next line does not join it
            os.ftruncate(self._fd, self._offset)

    # ------------------------------------------------------------- replay
    def _apply(self, op: dict) -> None:
        kind = op["op"]
        if kind == "create_study":
            self._apply_create_study(op)
            return
        if kind == "define_distribution":
            self._apply_define_distribution(op)
            return
        entry = self._by_id.get(op["study"])
        if entry is None:
            raise ValueError(f"unknown study id {op['study']!r}")
        if kind == "delete_study":
            entry.store._deleted = True
            del self._by_id[entry.study_id], self._studies[entry.name]
        elif kind == "set_study_user_attr":
            entry.user_attrs[op["key"]] = op["value"]
        else:
            self._apply_trial_op(entry.store, kind, op)

    def _apply_create_study(self, op: dict) -> None:
        from fasthpo.study import StudyDirection

        study_id, name = op["study"], op["name"]
        if study_id != self._n_created or name in self._studies:
            raise ValueError(f"study {name!r} with id {study_id!r} cannot be created here")
        directions = [StudyDirection(d) for d in op["directions"]]
        entry = _StudyEntry(study_id, name, directions, _JournalStore(len(directions), self, study_id))
        self._studies[name] = self._by_id[study_id] = entry
        self._n_created += 1

    def _apply_trial_op(self, store: _JournalStore, kind: str, op: dict) -> None:
        number = op["trial"]
        if kind == "create_trial":
            if number != store.n_trials:
                raise ValueError(f"trial {number} created when the study has {store.n_trials} trials")
            TrialStore.create_trial(store, TrialState(op["state"]), op["fixed_params"], op["user_attrs"],
                                    _parse_time(op["datetime_start"]))
            return
        if not 0 <= number < store.n_trials:
            raise ValueError(f"unknown trial {number!r}")
        if kind == "start_trial":
            store._start(number, _parse_time(op["datetime_start"]))
        elif kind == "set_param":
            distribution = self._distributions[op["distribution"]]
            value = None if isinstance(distribution, CategoricalDistribution) else op["value"]
            TrialStore.set_param(store, number, op["name"], distribution, op["internal"], value)
        elif kind == "report":
            TrialStore.report(store, number, op["step"], op["value"])
        elif kind == "set_user_attr":
            TrialStore.set_user_attr(store, number, op["key"], op["value"])
        elif kind == "set_system_attr":
            TrialStore.set_system_attr(store, number, op["key"], op["value"])
        elif kind == "finish":
            TrialStore.finish(store, number, TrialState(op["state"]), op["values"], _parse_time(op["datetime_complete"]))
        else:
            raise ValueError(f"unknown operation {kind!r}")

    def _apply_define_distribution(self, op: dict) -> None:
        if op["id"] != len(self._distributions):
            raise ValueError(f"distribution id {op['id']!r} defined when {len(self._distributions)} exist")
        distribution = distribution_from_dict(op["distribution"])
        self._distributions.append(distribution)
        self._distribution_ids.setdefault(distribution, op["id"])

    def _distribution_id(self, distribution: BaseDistribution) -> int:
        """The id of ``distribution`` in the journal, defining it on first use (under the lock)."""
        distribution_id = self._distribution_ids.get(distribution)
        if distribution_id is None:
            op = {"op": "define_distribution", "id": len(self._distributions),
                  "distribution": distribution_to_dict(distribution)}
            self._append(op)
            self._apply(op)
            distribution_id = op["id"]
        return distribution_id


class _JournalStore(TrialStore):
    """A :class:`TrialStore` whose mutations are appended to the journal first."""

    def __init__(self, n_objectives: int, storage: JournalFileStorage, study_id: int) -> None:
        super().__init__(n_objectives)
        self._storage = storage
        self._study_id = study_id
        self._deleted = False

    def sync(self) -> None:
        self._storage.sync()

    def _check_writable(self, running: int | None = None) -> None:
        """Under the write lock: the study exists, and trial ``running`` (if given) runs."""
        if self._deleted:
            raise ValueError(f"The study was deleted from {self._storage.path!r}.")
        if running is not None and self.state_of(running) != TrialState.RUNNING:
            state = TrialState(self.state_of(running)).name
            raise ValueError(f"Trial {running} is {state} (changed by another process); it cannot be changed.")

    def _write(self, kind: str, number: int, **fields: Any) -> None:
        self._storage._append({"op": kind, "study": self._study_id, "trial": number, **fields})

    def _start(self, number: int, datetime_start: datetime.datetime | None) -> None:
        self._set_state(number, TrialState.RUNNING)
        self.records[number].datetime_start = datetime_start

    def create_trial(self, state=TrialState.RUNNING, fixed_params=None, user_attrs=None, datetime_start=None) -> int:
        if state == TrialState.RUNNING:
            datetime_start = datetime_start or datetime.datetime.now()
        with self._storage._exclusive:
            self._check_writable()
            number = self.n_trials
            self._write("create_trial", number, state=int(state), fixed_params=fixed_params or {},
                        user_attrs=user_attrs or {}, datetime_start=_time(datetime_start))
            return super().create_trial(state, fixed_params, user_attrs, datetime_start)

    def pop_waiting(self, datetime_start=None) -> int | None:
        self.sync()
        if self._oldest_waiting() is None:  # nothing enqueued: skip the write lock
            return None
        datetime_start = datetime_start or datetime.datetime.now()
        with self._storage._exclusive:
            self._check_writable()
            number = self._oldest_waiting()  # another process may have started it
            if number is None:
                return None
            self._write("start_trial", number, datetime_start=_time(datetime_start))
            self._waiting.popleft()
            self._start(number, datetime_start)
            return number

    def _oldest_waiting(self) -> int | None:
        while self._waiting and self.state_of(self._waiting[0]) != TrialState.WAITING:
            self._waiting.popleft()
        return self._waiting[0] if self._waiting else None

    def set_param(self, number, name, distribution, internal, external=None) -> None:
        if external is None:
            internal = distribution.round_internal(internal)
            external = distribution.to_external(internal)
        with self._storage._exclusive:
            self._check_writable(running=number)
            self.check_param(name, distribution)  # another process may have defined `name`
            value = None if isinstance(distribution, CategoricalDistribution) else external
            distribution_id = self._storage._distribution_id(distribution)
            self._write("set_param", number, name=name, distribution=distribution_id, internal=float(internal),
                        value=value)
            super().set_param(number, name, distribution, internal, external)

    def report(self, number: int, step: int, value: float) -> None:
        with self._storage._exclusive:
            self._check_writable(running=number)
            self._write("report", number, step=step, value=value)
            super().report(number, step, value)

    def set_user_attr(self, number: int, key: str, value: Any) -> None:
        with self._storage._exclusive:
            self._check_writable(running=number)
            self._write("set_user_attr", number, key=key, value=value)
            super().set_user_attr(number, key, value)

    def set_system_attr(self, number: int, key: str, value: Any) -> None:
        with self._storage._exclusive:
            self._check_writable()
            self._write("set_system_attr", number, key=key, value=value)
            super().set_system_attr(number, key, value)

    def finish(self, number, state, values=None, datetime_complete=None) -> None:
        if state not in _FINISHED:
            raise ValueError(f"state must be one of {[s.name for s in _FINISHED]}, got {state!r}.")
        datetime_complete = datetime_complete or datetime.datetime.now()
        with self._storage._exclusive:
            self._check_writable()
            current = self.state_of(number)
            if current in _FINISHED:
                raise ValueError(
                    f"Trial {number} is already finished ({TrialState(current).name}) by another process."
                )
            self._write("finish", number, state=int(state), values=None if values is None else list(values),
                        datetime_complete=_time(datetime_complete))
            super().finish(number, state, values, datetime_complete)
