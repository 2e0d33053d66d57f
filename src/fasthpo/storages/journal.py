"""Studies in a journal that processes share: Optuna's record format, on a file or Redis.

Every change to a study is one record, a JSON object on one line, in the format of
Optuna 5's ``JournalStorage``: ``{"op_code": 4, "worker_id": ..., "study_id": 0, ...}``.
So ``optuna.load_study`` opens a study that fasthpo workers write, fasthpo continues an
Optuna study with its own samplers, and fasthpo and Optuna workers share one live study.

Writing
    A change appends its record (or a group of records, written at once) holding the
    lock only for the append itself. Nothing is decided under the lock: trials are
    numbered by the order of their records, and when two workers race (both finish one
    trial, both start one enqueued trial) the record that comes first wins, in every
    process alike. After its append a worker replays the journal up to its own
    records and learns the outcome (its trial number, or that it lost a race).

Reading
    A worker replays only the records appended since it last looked, without any
    lock. A complete line that cannot be read is an error naming the journal and the
    line (``skip_corrupt=True`` skips such lines with a warning each instead). A last
    line without its newline that no writer is writing is what a writer that died
    mid-write left: it is ignored with a warning and cut off by the next writer.

Lines of fasthpo's first journal format still load (see :mod:`._legacy`).

Values go through JSON: attributes and fixed parameters must be JSON-serializable
(numpy scalars and arrays are converted), tuples in attributes come back as lists,
NaN and infinity are kept. Categorical choices round trip exactly: a JSON array among
choices or fixed parameter values is a tuple (a list cannot be a choice).
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import gc
import json
import math
import os
import re
import threading
import time
import uuid
import warnings
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from fasthpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from fasthpo.exceptions import DuplicatedStudyError
from fasthpo.storages._heartbeat import first_beat
from fasthpo.storages.base import BaseStorage
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

__all__ = ["JournalFileStorage", "JournalOperation", "JournalRedisStorage", "JournalStorage"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_STATES = {int(s): s for s in TrialState}
_FINISHED_CODES = frozenset(int(s) for s in _FINISHED)


class JournalOperation(enum.IntEnum):
    """The operation codes of Optuna's journal records."""

    CREATE_STUDY = 0
    DELETE_STUDY = 1
    SET_STUDY_USER_ATTR = 2
    SET_STUDY_SYSTEM_ATTR = 3
    CREATE_TRIAL = 4
    SET_TRIAL_PARAM = 5
    SET_TRIAL_STATE_VALUES = 6
    SET_TRIAL_INTERMEDIATE_VALUE = 7
    SET_TRIAL_USER_ATTR = 8
    SET_TRIAL_SYSTEM_ATTR = 9
    DISCARD_TRIALS = 10


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{value!r} ({type(value).__name__}) cannot be stored in a journal: it is not JSON-serializable.")


_CREATE_TRIAL = re.compile(rb'"op_code"\s*:\s*4\s*[,}]')
_STUDY_ID = re.compile(rb'"study_id"\s*:\s*(\d+)')
_MANY_LINES = 2000  # a replay of at least this many lines runs without the garbage collector
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_jsonable)
_DECODER = json.JSONDecoder()


def encode(record: dict) -> bytes:
    """One journal line (with its newline) for ``record``."""
    return (_ENCODER.encode(record) + "\n").encode()


def _decode_all(lines: list[bytes]) -> list | None:
    """All lines decoded by one call of the JSON decoder (far cheaper than one call a line).

    ``None`` when that fails, or gives as many values as lines only by accident of a
    damaged line: the caller then decodes line by line and names the bad one.
    """
    if len(lines) < 2:
        return None
    try:
        values = _DECODER.decode("[" + b",".join(lines).decode() + "]")
    except ValueError:  # UnicodeDecodeError is a ValueError too
        return None
    if len(values) != len(lines) or not all(type(v) is dict for v in values):
        return None
    return values


def _state(code: Any) -> TrialState:
    """The state of a written state code (``ValueError`` naming the code when there is none)."""
    state = _STATES.get(code)
    return TrialState(code) if state is None else state


def _tuples(value: Any) -> Any:
    """JSON arrays back to tuples: where a choice or parameter value is expected, a list cannot be one."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _time(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


_LOCAL_SHIFTS: dict[str, datetime.timedelta] = {}  # "<date>T<h:m:s><offset>" -> local time minus written time
_LOCAL_SHIFTS_ZONE = [time.tzname]  # the local zone of those shifts


def _parse_time(value: str | None) -> datetime.datetime | None:
    """A written time as a naive local time (Optuna writes naive local times, fasthpo UTC ones).

    The shift to local time is kept per second and written offset: converting each
    time (``astimezone``) costs several times the parse.
    """
    if value is None:
        return None
    if len(value) != 32 or value[26] not in "+-":  # not "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM"
        parsed = datetime.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is None else parsed.astimezone().replace(tzinfo=None)
    if time.tzname is not _LOCAL_SHIFTS_ZONE[0] or len(_LOCAL_SHIFTS) > 4096:  # time.tzset() since, or full
        _LOCAL_SHIFTS.clear()
        _LOCAL_SHIFTS_ZONE[0] = time.tzname
    naive = datetime.datetime.fromisoformat(value[:26])
    key = value[:19] + value[26:]
    shift = _LOCAL_SHIFTS.get(key)
    if shift is None:
        shift = _LOCAL_SHIFTS[key] = datetime.datetime.fromisoformat(value).astimezone().replace(tzinfo=None) - naive
    return naive + shift


def distribution_to_json(distribution: BaseDistribution) -> str:
    """The distribution as Optuna's ``distribution_to_json`` writes it."""
    if isinstance(distribution, CategoricalDistribution):
        attributes = {"choices": list(distribution.choices)}
    else:
        d = distribution
        attributes = {"low": d.low, "high": d.high, "step": d.step, "log": d.log}  # type: ignore[attr-defined]
    return _ENCODER.encode({"name": type(distribution).__name__, "attributes": attributes})


def distribution_from_json(text: str) -> BaseDistribution:
    """Inverse of :func:`distribution_to_json` (also reads what Optuna wrote)."""
    data = _DECODER.decode(text)
    name, attributes = data["name"], data["attributes"]
    if name == "CategoricalDistribution":
        return CategoricalDistribution(_tuples(attributes["choices"]))
    kind = {"FloatDistribution": FloatDistribution, "IntDistribution": IntDistribution}.get(name)
    if kind is None:
        raise ValueError(f"unknown distribution {name!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a high already on the grid of the writer
        return kind(attributes["low"], attributes["high"], log=attributes["log"], step=attributes["step"])


def _optuna_internal(distribution: BaseDistribution, internal: float, external: Any) -> float:
    """Optuna's internal value: the index of a choice, the number itself otherwise (an
    integer stays a JSON integer: a float is not exact beyond 2**53)."""
    if isinstance(distribution, CategoricalDistribution):
        return float(internal)
    return int(external) if isinstance(distribution, IntDistribution) else float(external)


def _from_optuna_internal(distribution: BaseDistribution, value: float | int) -> tuple[float, Any]:
    """fasthpo's internal value and the user value of Optuna's internal ``value``."""
    kind = type(distribution)
    if kind is FloatDistribution or kind is IntDistribution:
        external = int(value) if kind is IntDistribution else float(value)
        return distribution.encode(external), external  # type: ignore[attr-defined]
    index = int(value)
    return float(index), distribution.choices[index]  # type: ignore[attr-defined]


class _StudyEntry:
    __slots__ = ("study_id", "name", "directions", "store", "user_attrs", "system_attrs", "trial_ids")

    def __init__(self, study_id: int, name: str, directions: list, store: _JournalStore) -> None:
        self.study_id = study_id
        self.name = name
        self.directions = directions
        self.store = store
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.trial_ids: list[int] = []  # by trial number


class _Outcome:
    """What the records of one commit did, learned while replaying them."""

    __slots__ = ("created", "started", "error")

    def __init__(self) -> None:
        self.created: list[int] = []  # trial ids, in order
        self.started: list[int] = []
        self.error: Exception | None = None


_OPEN_STORAGES: weakref.WeakSet = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for storage in list(_OPEN_STORAGES):
        storage._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


class JournalStorage(BaseStorage):
    """The replay of a journal and the stores of its studies; a backend holds the bytes.

    Use :class:`JournalFileStorage` or :class:`JournalRedisStorage`.
    """

    def __init__(self, backend: Any, skip_corrupt: bool = False, heartbeat_interval: float | None = None,
                 grace_period: float | None = None, failed_trial_callback: Any = None) -> None:
        if not isinstance(skip_corrupt, bool):
            raise TypeError(f"skip_corrupt must be a bool, got {skip_corrupt!r}.")
        from fasthpo.storages._heartbeat import check_heartbeat_arguments
        from fasthpo.storages._legacy import LegacyTranslator

        self.heartbeat_interval, self.grace_period, self.failed_trial_callback = check_heartbeat_arguments(
            heartbeat_interval, grace_period, failed_trial_callback)

        self._backend = backend
        self._skip_corrupt = skip_corrupt
        self._mutex = threading.RLock()
        self._worker_prefix = uuid.uuid4().hex + "-"
        self._outcomes: dict[str, _Outcome] = {}
        self._group = threading.local()  # .data: this thread's writes kept by grouped()
        self._broken: Exception | None = None
        self._studies: dict[str, _StudyEntry] = {}
        self._by_id: dict[int, _StudyEntry] = {}
        self._next_study_id = 0
        self._trials: list[tuple[_JournalStore, int]] = []  # by trial id
        self._distributions: dict[str, BaseDistribution] = {}  # by their JSON
        self._distribution_json: dict[BaseDistribution, str] = {}
        # (trial id, parameter name) -> worker id: parameters a store applied before writing them
        self._early: dict[tuple[int, str], str] = {}
        self._param_pieces: dict[tuple[str, str, str], tuple[str, str, str]] = {}  # for _param_line
        self._legacy = LegacyTranslator(self._legacy_trial_id, self._json_of)
        _OPEN_STORAGES.add(self)
        self._loaded = False
        self.sync()
        self._loaded = True

    def _after_fork(self) -> None:
        # A child is a worker of its own; its parent's threads (and their locks) are gone.
        self._worker_prefix = uuid.uuid4().hex + "-"
        self._mutex = threading.RLock()
        self._outcomes = {}
        self._group = threading.local()
        self._early = {}

    @property
    def worker_id(self) -> str:
        """This thread's id in the records it writes (Optuna's form: a uuid, a thread id)."""
        return self._worker_prefix + str(threading.get_ident())

    # ------------------------------------------------------------ studies
    def create_study(self, study_name: str, directions: list) -> None:
        self._commit([self._record(JournalOperation.CREATE_STUDY, study_name=study_name,
                                   directions=[int(d) for d in directions])])

    def load_study(self, study_name: str) -> tuple[list, TrialStore]:
        self.sync()
        entry = self._entry(study_name)
        return entry.directions, entry.store

    def check_storable(self, user_attrs: dict, system_attrs: dict, distributions: list) -> None:
        _ENCODER.encode([user_attrs, system_attrs, [distribution_to_json(d) for d in distributions]])

    def get_all_study_names(self) -> list[str]:
        self.sync()
        return list(self._studies)

    def delete_study(self, study_name: str) -> None:
        self.sync()
        self._commit([self._record(JournalOperation.DELETE_STUDY, study_id=self._entry(study_name).study_id)])

    def get_study_user_attrs(self, study_name: str) -> dict[str, Any]:
        self.sync()
        return dict(self._entry(study_name).user_attrs)

    def set_study_user_attr(self, study_name: str, key: str, value: Any) -> None:
        self.sync()
        self._commit([self._record(JournalOperation.SET_STUDY_USER_ATTR, study_id=self._entry(study_name).study_id,
                                   user_attr={key: value})])

    def snapshot_records(self) -> list[dict[str, Any]]:
        """Records that rebuild every study as it stands, one ``CREATE_TRIAL`` per trial.

        What ``fasthpo journal repair`` writes: a compact journal in Optuna's format.
        """
        self.sync()
        records = []
        for study_id, entry in enumerate(self._by_id.values()):
            records.append(self._record(JournalOperation.CREATE_STUDY, study_name=entry.name,
                                        directions=[int(d) for d in entry.directions]))
            for field, op, attrs in (("user_attr", JournalOperation.SET_STUDY_USER_ATTR, entry.user_attrs),
                                     ("system_attr", JournalOperation.SET_STUDY_SYSTEM_ATTR, entry.system_attrs)):
                records.extend(self._record(op, study_id=study_id, **{field: {k: v}}) for k, v in attrs.items())
            records.extend(entry.store._snapshot_record(number, study_id) for number in range(entry.store.n_trials))
        return records

    def _entry(self, study_name: str) -> _StudyEntry:
        try:
            return self._studies[study_name]
        except KeyError:
            raise KeyError(f"No study named {study_name!r} in {self._backend.location}.") from None

    # ------------------------------------------------------ read and write
    def sync(self) -> None:
        """Replay what other workers appended since the last look."""
        with self._mutex:
            self._replay()

    def _record(self, op: JournalOperation, **fields: Any) -> dict[str, Any]:
        return {"op_code": int(op), "worker_id": self.worker_id, **fields}

    def _param_line(self, worker_id: str, trial_id: int, name: str, value: int | float, text: str) -> bytes:
        """``encode`` of a ``SET_TRIAL_PARAM`` record, from the pieces kept for its worker,
        name and distribution (the encoder costs more than the rest of the parameter)."""
        key = (worker_id, name, text)
        pieces = self._param_pieces.get(key)
        if pieces is None:
            if len(self._param_pieces) > 4096:
                self._param_pieces.clear()
            pieces = self._param_pieces[key] = (
                '{"op_code":5,"worker_id":' + _ENCODER.encode(worker_id) + ',"trial_id":',
                ',"param_name":' + _ENCODER.encode(name) + ',"param_value_internal":',
                ',"distribution":' + _ENCODER.encode(text) + "}\n",
            )
        number = repr(value) if type(value) is int or math.isfinite(value) else _ENCODER.encode(value)
        return (pieces[0] + str(trial_id) + pieces[1] + number + pieces[2]).encode()

    def _commit(self, records: list[dict[str, Any]]) -> _Outcome:
        """Append ``records`` as one group, replay through them, raise if they were rejected.

        Encoding fails (a value JSON cannot hold) before anything is written. Inside
        :meth:`grouped` the records are kept for the group instead (an empty outcome).
        """
        return self._commit_data(b"".join(encode(r) for r in records))

    def _commit_data(self, data: bytes) -> _Outcome:
        """:meth:`_commit` of records already encoded."""
        kept = getattr(self._group, "data", None)
        if kept is not None:
            kept.append(data)
            return _Outcome()
        return self._append(data)

    @contextlib.contextmanager
    def grouped(self) -> Iterator[None]:
        if getattr(self._group, "data", None) is not None:  # nested: the outer group writes
            yield
            return
        self._group.data = kept = []
        try:
            yield
        finally:
            self._group.data = None
        if kept:  # an error inside discards the group: nothing of it is written
            self._append(b"".join(kept))

    def _append(self, data: bytes) -> _Outcome:
        self._backend.check_writable()
        with self._mutex:
            outcome = self._outcomes[self.worker_id] = _Outcome()
            try:
                self._backend.append(data)
                self._replay()
            finally:
                del self._outcomes[self.worker_id]
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def _replay(self) -> None:
        if self._broken is not None:
            raise self._broken
        lines = self._backend.read_lines()
        if len(lines) < _MANY_LINES or not gc.isenabled():
            self._apply_lines(lines)
            return
        gc.disable()  # a load makes millions of objects that live on: collecting meanwhile is wasted
        try:
            self._apply_lines(lines)
        finally:
            gc.enable()

    def _apply_lines(self, lines: list[bytes]) -> None:
        first = self._backend.line - len(lines)
        decoded = _decode_all(lines)
        for i, line in enumerate(lines):
            try:
                record = decoded[i] if decoded is not None else _DECODER.decode(line.decode())
                if type(record) is not dict:
                    raise ValueError(f"expected a JSON object, got {record!r}")
                if "op" in record:  # fasthpo's first format
                    record = self._legacy.translate(record)
                    if record is None:
                        continue
                op = record["op_code"]
                handler = _HANDLERS.get(op) if type(op) is int else None
                if handler is None:
                    raise ValueError(f"unknown operation code {op!r} (a journal from a newer format?)")
                handler(self, record)
            except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
                self._corrupt(first + i + 1, line, exc)

    def _corrupt(self, number: int, line: bytes, exc: Exception) -> None:
        reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        message = f"Corrupt journal {self._backend.location}, line {number}: {reason} (line: {line[:200]!r})."
        if self._skip_corrupt or self._loaded:  # a running worker warns and goes on
            kept = self._placeholder_trial(line, number)
            why = "skip_corrupt=True" if self._skip_corrupt else "the storage had loaded: workers go on"
            warnings.warn(message + (f" Trial {kept} stands in its place" if kept is not None else " It is skipped")
                          + f" ({why}).", RuntimeWarning, stacklevel=6)
            return
        self._broken = ValueError(
            f"{message} The {number - 1} lines before it are loaded; the file is left as it is. "
            "Load with skip_corrupt=True to skip such lines, or write a repaired copy with "
            "`fasthpo journal repair`."
        )
        raise self._broken from exc

    def _placeholder_trial(self, line: bytes, number: int) -> int | None:
        """A damaged line that created a trial still numbers one: create it, so later records find theirs.

        Records name trials by their order of creation; without the stand-in every later
        record would land on the trial after its own. Returns the stand-in's number.
        """
        if _CREATE_TRIAL.search(line) is None:
            return None
        study = _STUDY_ID.search(line)
        if study is not None:
            entry = self._by_id.get(int(study.group(1)))
        else:  # cut before its study: only a journal of one study tells which
            entry = next(iter(self._by_id.values())) if len(self._by_id) == 1 else None
        if entry is None:
            return None
        self._apply_create_trial({"op_code": 4, "study_id": entry.study_id, "datetime_start": None,
                                  "system_attrs": {"fasthpo:damaged_line": number}})
        return entry.store.n_trials - 1

    # ------------------------------------------------------------- replay
    def _outcome(self, record: dict[str, Any]) -> _Outcome | None:
        """The outcome to fill when ``record`` is one of this thread's current commit."""
        outcomes = self._outcomes
        return outcomes.get(record.get("worker_id")) if outcomes else None

    def _reject(self, record: dict[str, Any], error: Exception) -> None:
        outcome = self._outcome(record)
        if outcome is not None and outcome.error is None:
            outcome.error = error

    def _study_of(self, record: dict[str, Any]) -> _StudyEntry | None:
        entry = self._by_id.get(record["study_id"])
        if entry is None:
            self._reject(record, KeyError(f"No study with id {record['study_id']!r} in {self._backend.location} "
                                          "(deleted by another process?)."))
        return entry

    def _updatable(self, record: dict[str, Any]) -> tuple[_JournalStore, int] | None:
        trial_id = record["trial_id"]
        if type(trial_id) is not int or not 0 <= trial_id < len(self._trials):
            self._reject(record, KeyError(f"No trial with id {trial_id!r} in {self._backend.location}."))
            return None
        store, number = self._trials[trial_id]
        state = store.state_of(number)
        if state in _FINISHED_CODES:
            self._reject(record, ValueError(
                f"Trial {number} is already finished ({TrialState(state).name}) by another process; "
                "it cannot be changed."
            ))
            return None
        return store, number

    def _apply_create_study(self, record: dict[str, Any]) -> None:
        from fasthpo.core.direction import StudyDirection

        name = record["study_name"]
        if not isinstance(name, str):
            raise TypeError(f"study_name must be a str, got {name!r}")
        directions = [StudyDirection(d) for d in record["directions"]]
        if not directions:
            raise ValueError("a study needs at least one direction")
        if name in self._studies:
            self._reject(record, DuplicatedStudyError(
                f"A study named {name!r} already exists in {self._backend.location}."))
            return
        study_id = self._next_study_id
        entry = _StudyEntry(study_id, name, directions, None)  # type: ignore[arg-type]
        entry.store = _JournalStore(len(directions), self, entry)
        self._studies[name] = self._by_id[study_id] = entry
        self._next_study_id += 1

    def _apply_delete_study(self, record: dict[str, Any]) -> None:
        entry = self._study_of(record)
        if entry is not None:
            entry.store._deleted = True
            del self._by_id[entry.study_id], self._studies[entry.name]

    def _apply_set_study_attr(self, record: dict[str, Any]) -> None:
        entry = self._study_of(record)
        if record["op_code"] == JournalOperation.SET_STUDY_USER_ATTR:
            ((key, value),) = record["user_attr"].items()
            attrs = entry.user_attrs if entry is not None else {}
        else:
            ((key, value),) = record["system_attr"].items()
            attrs = entry.system_attrs if entry is not None else {}
        attrs[key] = value

    def _apply_create_trial(self, record: dict[str, Any]) -> None:
        entry = self._study_of(record)
        if entry is None:
            return
        start = _parse_time(record["datetime_start"])
        store = entry.store
        if len(record) == 4 and "worker_id" in record:  # what ask writes: a RUNNING trial, nothing else
            number = TrialStore.create_trial(store, TrialState.RUNNING, None, None, start)
            store.records._list[number].datetime_start = start  # as recorded, even when missing
            self._add_trial(record, entry, number)
            return
        state = _state(record.get("state", 0))
        system_attrs = dict(record.get("system_attrs") or {})
        fixed = {k: _tuples(v) for k, v in system_attrs.get("fixed_params", {}).items()}
        params = record.get("params") or {}
        distributions = {name: self._distribution(text) for name, text in (record.get("distributions") or {}).items()}
        values = record.get("values")
        if values is None and record.get("value") is not None:
            values = [record["value"]]
        intermediate = {int(step): float(v) for step, v in (record.get("intermediate_values") or {}).items()}
        user_attrs = record.get("user_attrs") or {}
        initial = TrialState.WAITING if state == TrialState.WAITING else TrialState.RUNNING
        number = TrialStore.create_trial(store, initial, fixed, user_attrs, start)
        store.records[number].datetime_start = start  # as recorded, even when missing
        self._add_trial(record, entry, number)
        for key, value in system_attrs.items():
            TrialStore.set_system_attr(store, number, key, value)
        for name, value in params.items():
            self._set_param(record, store, number, name, distributions[name], value)
        for step, value in intermediate.items():
            TrialStore.report(store, number, step, value)
        if state in _FINISHED:
            TrialStore.finish(store, number, state, values, _parse_time(record.get("datetime_complete")))

    def _add_trial(self, record: dict[str, Any], entry: _StudyEntry, number: int) -> None:
        """Give trial ``number`` of ``entry`` the next trial id (and tell the writer its id)."""
        trial_id = len(self._trials)
        self._trials.append((entry.store, number))
        entry.trial_ids.append(trial_id)
        outcome = self._outcome(record)
        if outcome is not None:
            outcome.created.append(trial_id)

    def _set_param(self, record, store, number, name, distribution, value) -> None:
        column = store.columns.get(name)
        if column is not None and store.column_distributions[column] is not distribution:
            try:
                check_compatible(name, store.column_distributions[column], distribution)
            except ValueError as exc:  # another worker defined it first, differently
                self._reject(record, exc)
                return
        internal, external = _from_optuna_internal(distribution, value)
        if column is None or store._batches:
            TrialStore.set_param(store, number, name, distribution, internal, external)
            return
        # TrialStore.set_param of a known column, a trial outside any batch (a journal makes none)
        store._X[number, column] = internal
        trial = store.records._list[number]
        trial.params[name] = external
        trial.distributions[name] = distribution

    def _apply_set_trial_param(self, record: dict[str, Any]) -> None:
        if self._early and self._early.get((record["trial_id"], record["param_name"])) == record["worker_id"]:
            del self._early[record["trial_id"], record["param_name"]]
            return  # applied by this worker before it wrote it (a held parameter)
        distribution = self._distribution(record["distribution"])
        value = record["param_value_internal"]  # an int or a float, as JSON wrote it
        target = self._updatable(record)
        if target is not None:
            self._set_param(record, *target, record["param_name"], distribution, value)

    def _apply_set_trial_state_values(self, record: dict[str, Any]) -> None:
        state = _state(record["state"])
        target = self._updatable(record)
        if target is None:
            return
        store, number = target
        if state == TrialState.RUNNING:
            if store.state_of(number) == TrialState.RUNNING:
                return  # another worker started this enqueued trial first
            store._start(number, _parse_time(record["datetime_start"]))
            outcome = self._outcome(record)
            if outcome is not None:
                outcome.started.append(record["trial_id"])
        elif state == TrialState.WAITING:
            raise ValueError("a trial cannot be set back to WAITING")
        else:
            TrialStore.finish(store, number, state, record["values"], _parse_time(record["datetime_complete"]))

    def _apply_set_trial_intermediate_value(self, record: dict[str, Any]) -> None:
        step, value = int(record["step"]), float(record["intermediate_value"])
        target = self._updatable(record)
        if target is not None:
            TrialStore.report(*target, step, value)

    def _apply_set_trial_attr(self, record: dict[str, Any]) -> None:
        user = record["op_code"] == JournalOperation.SET_TRIAL_USER_ATTR
        ((key, value),) = record["user_attr" if user else "system_attr"].items()
        target = self._updatable(record)
        if target is not None:
            (TrialStore.set_user_attr if user else TrialStore.set_system_attr)(*target, key, value)

    def _ignore(self, record: dict[str, Any]) -> None:
        """DISCARD_TRIALS: written only by rustuna, ignored by Optuna as well."""

    # ------------------------------------------------------- distributions
    def _distribution(self, text: str) -> BaseDistribution:
        distribution = self._distributions.get(text)
        if distribution is None:
            distribution = self._distributions[text] = distribution_from_json(text)
        return distribution

    def _json_of(self, distribution: BaseDistribution) -> str:
        text = self._distribution_json.get(distribution)
        if text is None:
            text = self._distribution_json[distribution] = distribution_to_json(distribution)
        return text

    def _legacy_trial_id(self, study_id: int, number: int) -> int:
        entry = self._by_id.get(study_id)
        if entry is None or not 0 <= number < len(entry.trial_ids):
            raise ValueError(f"unknown trial {number!r} of study {study_id!r}")
        return entry.trial_ids[number]


_HANDLERS = {
    JournalOperation.CREATE_STUDY: JournalStorage._apply_create_study,
    JournalOperation.DELETE_STUDY: JournalStorage._apply_delete_study,
    JournalOperation.SET_STUDY_USER_ATTR: JournalStorage._apply_set_study_attr,
    JournalOperation.SET_STUDY_SYSTEM_ATTR: JournalStorage._apply_set_study_attr,
    JournalOperation.CREATE_TRIAL: JournalStorage._apply_create_trial,
    JournalOperation.SET_TRIAL_PARAM: JournalStorage._apply_set_trial_param,
    JournalOperation.SET_TRIAL_STATE_VALUES: JournalStorage._apply_set_trial_state_values,
    JournalOperation.SET_TRIAL_INTERMEDIATE_VALUE: JournalStorage._apply_set_trial_intermediate_value,
    JournalOperation.SET_TRIAL_USER_ATTR: JournalStorage._apply_set_trial_attr,
    JournalOperation.SET_TRIAL_SYSTEM_ATTR: JournalStorage._apply_set_trial_attr,
    JournalOperation.DISCARD_TRIALS: JournalStorage._ignore,
}
_HANDLERS = {int(op): handler for op, handler in _HANDLERS.items()}


class _JournalStore(TrialStore):
    """A :class:`TrialStore` whose changes are journal records, applied when replayed."""

    def __init__(self, n_objectives: int, storage: JournalStorage, entry: _StudyEntry) -> None:
        super().__init__(n_objectives)
        self._storage = storage
        self._entry = entry
        self._deleted = False
        self._held: dict[int, list[bytes]] = {}  # trial number -> its parameter records not written yet

    def sync(self) -> None:
        self._storage.sync()

    def _check(self, number: int | None = None) -> None:
        """Before writing: the study exists, and trial ``number`` (if given) runs."""
        if self._deleted:
            raise ValueError(f"The study was deleted from {self._storage._backend.location}.")
        if number is not None and self.state_of(number) != TrialState.RUNNING:
            state = TrialState(self.state_of(number)).name
            raise ValueError(f"Trial {number} is {state} (changed by another process); it cannot be changed.")

    def _trial_record(self, op: JournalOperation, number: int, **fields: Any) -> dict[str, Any]:
        return self._storage._record(op, trial_id=self._entry.trial_ids[number], **fields)

    def hold_params(self, number: int) -> None:
        """Write the parameters of running trial ``number`` with its next record.

        For ``optimize``, which tells the trials it asks: a parameter of a column the
        study has is applied here at once, and its record goes with the trial's next
        one (a report, an attribute, its result), in the same group. A trial then
        costs two appends (its start and its end), not one more a parameter. Other
        processes see its parameters from then on. A parameter new to the study is
        written at once, so that the journal's order decides between two workers that
        define it differently.
        """
        with self._storage._mutex:
            self._held.setdefault(number, [])

    def _commit_trials(self, numbers: Any, records: list[dict[str, Any]]) -> None:
        """Write ``records`` of trials ``numbers`` as one group, after the held parameter
        records of those trials (a record JSON cannot hold fails before any is taken)."""
        data = b"".join(encode(r) for r in records)
        with self._storage._mutex:
            held = []
            for number in numbers if self._held else ():
                if self._held.get(number):
                    held.extend(self._held[number])
                    self._held[number] = []
            self._storage._commit_data(b"".join(held) + data)

    def _create_record(self, state, fixed_params, user_attrs, datetime_start, params=None) -> dict[str, Any]:
        storage = self._storage
        record = storage._record(JournalOperation.CREATE_TRIAL, study_id=self._entry.study_id,
                                 datetime_start=_time(datetime_start))
        system_attrs = {"fixed_params": fixed_params} if fixed_params else {}
        if state == TrialState.RUNNING:
            system_attrs.update(first_beat())
        if state != TrialState.RUNNING or system_attrs or user_attrs or params:
            record.update(state=int(state), user_attrs=user_attrs or {}, system_attrs=system_attrs)
        if params:
            record["distributions"] = {name: storage._json_of(d) for name, (d, _, _) in params.items()}
            record["params"] = {name: _optuna_internal(d, i, e) for name, (d, i, e) in params.items()}
        return record

    def _snapshot_record(self, number: int, study_id: int) -> dict[str, Any]:
        """A ``CREATE_TRIAL`` record that rebuilds trial ``number`` in study ``study_id``."""
        record, state = self.records[number], TrialState(self.state_of(number))
        values = self.Y[number].tolist() if state == TrialState.COMPLETE or not np.isnan(self.Y[number]).all() else None
        json_of = self._storage._json_of
        snapshot = self._storage._record(
            JournalOperation.CREATE_TRIAL, study_id=study_id, state=int(state),
            value=values[0] if values is not None and len(values) == 1 else None,
            values=values if values is not None and len(values) > 1 else None,
            datetime_start=_time(record.datetime_start),
            distributions={name: json_of(d) for name, d in record.distributions.items()},
            params={name: _optuna_internal(d, self.X[number, self.columns[name]], record.params[name])
                    for name, d in record.distributions.items()},
            user_attrs=record.user_attrs, system_attrs=record.system_attrs,
            intermediate_values={str(step): value for step, value in record.intermediate_values.items()},
        )
        if record.datetime_complete is not None:  # Optuna reads the key only when present
            snapshot["datetime_complete"] = _time(record.datetime_complete)
        return snapshot

    def create_trial(self, state=TrialState.RUNNING, fixed_params=None, user_attrs=None, datetime_start=None) -> int:
        if state == TrialState.RUNNING:
            datetime_start = datetime_start or datetime.datetime.now()
        self._check()
        outcome = self._storage._commit([self._create_record(state, fixed_params, user_attrs, datetime_start)])
        return self._trial_number(outcome.created[0])

    def enqueue_retry(self, fixed_params: dict[str, Any], user_attrs: dict[str, Any], system_attrs: dict[str, Any],
                      intermediate_values: dict[int, float]) -> int:
        """Enqueue a WAITING trial with these attributes and intermediate values, as one record."""
        self._check()
        record = self._create_record(TrialState.WAITING, fixed_params, user_attrs, None)
        record["system_attrs"].update(system_attrs)
        record["intermediate_values"] = {str(step): value for step, value in intermediate_values.items()}
        return self._trial_number(self._storage._commit([record]).created[0])

    def create_trials(self, params: list[dict[str, tuple[BaseDistribution, float]]]) -> list[int]:
        """Start ``len(params)`` trials with their parameters, as one record group.

        ``params[i]`` maps a parameter name to its distribution and internal value.
        """
        self._check()
        now = datetime.datetime.now()
        records = []
        for trial_params in params:
            resolved = {}
            for name, (distribution, internal) in trial_params.items():
                self.check_param(name, distribution)
                internal = distribution.round_internal(internal)
                resolved[name] = (distribution, internal, distribution.to_external(internal))
            records.append(self._create_record(TrialState.RUNNING, None, None, now, resolved))
        outcome = self._storage._commit(records)
        return [self._trial_number(trial_id) for trial_id in outcome.created]

    def _trial_number(self, trial_id: int) -> int:
        return self._storage._trials[trial_id][1]

    def pop_waiting(self, datetime_start=None) -> int | None:
        while True:
            number = self._oldest_waiting()
            if number is None:
                return None
            self._check()
            records = [self._trial_record(JournalOperation.SET_TRIAL_STATE_VALUES, number, state=0, values=None,
                                          datetime_start=_time(datetime_start or datetime.datetime.now()))]
            records.extend(self._trial_record(JournalOperation.SET_TRIAL_SYSTEM_ATTR, number, system_attr={k: v})
                           for k, v in first_beat().items())
            if self._storage._commit(records).started:
                return number  # else another worker started it first: try the next one

    def _oldest_waiting(self) -> int | None:
        while self._waiting and self.state_of(self._waiting[0]) != TrialState.WAITING:
            self._waiting.popleft()
        return self._waiting[0] if self._waiting else None

    def _start(self, number: int, datetime_start: datetime.datetime | None) -> None:
        self._set_state(number, TrialState.RUNNING)
        self.records[number].datetime_start = datetime_start

    def set_param(self, number, name, distribution, internal, external=None) -> None:
        if external is None:
            internal = distribution.round_internal(internal)
            external = distribution.to_external(internal)
        self._check(number)
        self.check_param(name, distribution)
        storage = self._storage
        text = storage._json_of(distribution)
        value = _optuna_internal(distribution, internal, external)
        trial_id = self._entry.trial_ids[number]
        with storage._mutex:
            held = self._held.get(number)
            if held is None or name not in self.columns:
                self._commit_trials((number,), [storage._record(
                    JournalOperation.SET_TRIAL_PARAM, trial_id=trial_id, param_name=name, param_value_internal=value,
                    distribution=text)])
                return
            # applied as every reader will apply it from the record
            distribution = storage._distribution(text)
            TrialStore.set_param(self, number, name, distribution, *_from_optuna_internal(distribution, value))
            worker_id = storage.worker_id
            held.append(storage._param_line(worker_id, trial_id, name, value, text))
            storage._early[trial_id, name] = worker_id

    def set_params(self, numbers, name, distribution, internals) -> None:
        """Set parameter ``name`` of each of ``numbers``, as one record group."""
        self.check_param(name, distribution)
        records = []
        for number, internal in zip(numbers, internals):
            self._check(number)
            internal = distribution.round_internal(internal)
            records.append(self._trial_record(
                JournalOperation.SET_TRIAL_PARAM, number, param_name=name,
                param_value_internal=_optuna_internal(distribution, internal, distribution.to_external(internal)),
                distribution=self._storage._json_of(distribution),
            ))
        self._storage._commit(records)

    def report(self, number: int, step: int, value: float) -> None:
        self._check(number)
        self._commit_trials((number,), [self._trial_record(JournalOperation.SET_TRIAL_INTERMEDIATE_VALUE, number,
                                                      step=step, intermediate_value=value)])

    def set_user_attr(self, number: int, key: str, value: Any) -> None:
        self._check(number)
        self._commit_trials((number,), [self._trial_record(JournalOperation.SET_TRIAL_USER_ATTR, number,
                                                      user_attr={key: value})])

    def set_system_attr(self, number: int, key: str, value: Any) -> None:
        self._check()
        self._commit_trials((number,), [self._trial_record(JournalOperation.SET_TRIAL_SYSTEM_ATTR, number,
                                                      system_attr={key: value})])


    def finish(self, number, state, values=None, datetime_complete=None) -> None:
        self.finish_trials([(number, state, values)], datetime_complete)

    def finish_trials(self, results: list[tuple[int, TrialState, list[float] | None]],
                      datetime_complete: datetime.datetime | None = None) -> None:
        """Finish trials ``(number, state, values)``, as one record group."""
        self._check()
        datetime_complete = _time(datetime_complete or datetime.datetime.now())
        records = []
        for number, state, values in results:
            if state not in _FINISHED:
                raise ValueError(f"state must be one of {[s.name for s in _FINISHED]}, got {state!r}.")
            current = self.state_of(number)
            if current in _FINISHED:
                raise ValueError(
                    f"Trial {number} is already finished ({TrialState(current).name}) by another process."
                )
            records.append(self._trial_record(JournalOperation.SET_TRIAL_STATE_VALUES, number, state=int(state),
                                              values=None if values is None else [float(v) for v in values],
                                              datetime_complete=datetime_complete))
        numbers = [number for number, _, _ in results]
        try:
            self._commit_trials(numbers, records)
        finally:
            for number in numbers:
                self._held.pop(number, None)


class JournalFileStorage(JournalStorage):
    """Studies in a journal file that several processes can share.

    Parameters
    ----------
    path : str or os.PathLike
        The journal file, created if missing. A read-only journal (its file or its
        directory) loads; writing to it raises ``PermissionError`` naming it.
    fsync : bool
        Flush every append to the disk (``os.fsync``) before going on, so that a power
        loss loses nothing told. Without it an append is safe once written if only the
        process dies, and a trial costs far less.
    lock : {"flock", "link"}
        How writers exclude each other: ``"flock"`` (fast, one host) or ``"link"`` (a
        ``<path>.lock`` symbolic link: works on NFS, and is Optuna's default lock, so
        use it when Optuna workers write to the same journal).
    skip_corrupt : bool
        Skip lines that cannot be read, with a warning naming each, instead of failing.
    heartbeat_interval, grace_period : float, optional
        Seconds between the heartbeats of a running trial in ``optimize``, and without
        one after which the trial's worker counts as dead and the trial turns FAIL
        (default: twice the interval). Off by default.
    failed_trial_callback : callable, optional
        ``callback(study, frozen_trial)`` for each trial this worker failed that way,
        such as :class:`RetryFailedTrialCallback`.

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

    def __init__(self, path: str | os.PathLike, fsync: bool = False, lock: str = "flock",
                 skip_corrupt: bool = False, heartbeat_interval: float | None = None,
                 grace_period: float | None = None, failed_trial_callback: Any = None) -> None:
        from fasthpo.storages._file_backend import FileBackend

        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, got {path!r}.")
        path = os.fspath(path)
        if not path:
            raise ValueError("path must not be empty.")
        if not isinstance(fsync, bool):
            raise TypeError(f"fsync must be a bool, got {fsync!r}.")
        self.path = path
        super().__init__(FileBackend(path, lock=lock, fsync=fsync), skip_corrupt, heartbeat_interval, grace_period,
                         failed_trial_callback)

    def __repr__(self) -> str:
        return f"JournalFileStorage({self.path!r})"


class JournalRedisStorage(JournalStorage):
    """Studies in a Redis server, under the keys of Optuna's ``JournalRedisBackend``.

    Workers on several machines share a study through one Redis server; Optuna
    workers given ``JournalRedisBackend(url, prefix=prefix)`` share it too.

    Parameters
    ----------
    url : str
        The server, ``redis://host:port/db`` (password optional).
    prefix : str
        Prefix of the keys, to keep several journals in one database.
    skip_corrupt : bool
        Skip records that cannot be read, with a warning naming each.
    heartbeat_interval, grace_period, failed_trial_callback : optional
        Workers that die, as in :class:`JournalFileStorage`.

    Examples
    --------
    >>> storage = JournalRedisStorage("redis://127.0.0.1:6379")  # doctest: +SKIP
    >>> study = fasthpo.create_study(study_name="s", storage=storage)  # doctest: +SKIP
    """

    def __init__(self, url: str, prefix: str = "", skip_corrupt: bool = False,
                 heartbeat_interval: float | None = None, grace_period: float | None = None,
                 failed_trial_callback: Any = None) -> None:
        from fasthpo.storages._redis_backend import RedisBackend

        if not isinstance(url, str) or not url:
            raise TypeError(f"url must be a non-empty str, got {url!r}.")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {prefix!r}.")
        self.url = url
        super().__init__(RedisBackend(url, prefix), skip_corrupt, heartbeat_interval, grace_period,
                         failed_trial_callback)

    def __repr__(self) -> str:
        return f"JournalRedisStorage({self.url!r})"
