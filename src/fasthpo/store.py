"""Columnar trial history: the one place a study's trials live.

Parameters sit in ``X[n, d]`` in the internal encoding (NaN where a trial lacks the
parameter), objective values in ``Y[n, k]``, states in ``states[n]``. Arrays grow by
doubling, so appending a trial or a parameter is amortized O(1). Samplers read
zero-copy views (:attr:`TrialStore.X`, :attr:`TrialStore.Y`, :attr:`TrialStore.states`);
a view is valid until the next mutation of the store, so read it, do not keep it.

Intermediate values are kept per trial and, for pruners, per step as columns of
(trial number, value) pairs, so that the values reported at one step are one array.

The trials of a batch (:meth:`TrialStore.create_trials`) get no per-trial object: their
parameters are whole columns, and a trial's :class:`TrialRecord` is built from the
columns the first time it is read (``store.records[number]``), then kept.
"""

from __future__ import annotations

import bisect
import datetime
from collections import deque
from typing import Any

import numpy as np

from fasthpo._constraints import constraints_of, is_constraint_key
from fasthpo._kernels.trialpath import StoreCore, TrialRecord, decode_linear, intersect
from fasthpo.distributions import (BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution,
                                   check_compatible)
from fasthpo.trial_state import TrialState

__all__ = ["TrialStore", "TrialRecord"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_COMPLETE, _FAIL = int(TrialState.COMPLETE), int(TrialState.FAIL)
_IS_FINISHED = np.isin(np.arange(256), [int(s) for s in _FINISHED])  # by state code


class _Batch:
    """Trials ``first .. first + n - 1`` created together, whose records are built when read.

    ``entries`` are the batch's parameters in the order they were set: a name, its
    distribution and the members that have it (a boolean mask, None for all); the values
    are the store's ``X``. ``built`` holds the members whose record exists; every write
    of a parameter updates both.
    """

    __slots__ = ("first", "n", "datetime_start", "_completes", "entries", "built")

    def __init__(self, first: int, n: int, datetime_start: datetime.datetime) -> None:
        self.first = first
        self.n = n
        self.datetime_start = datetime_start
        self._completes: datetime.datetime | np.ndarray | None = None  # every member's (None: none finished), or each's
        self.entries: list[tuple[str, BaseDistribution, np.ndarray | None]] = []
        self.built: dict[int, TrialRecord] = {}

    def distributions(self, row: int) -> dict[str, BaseDistribution]:
        """The distributions of member ``row`` (its position in the batch)."""
        return {name: d for name, d, mask in self.entries if mask is None or mask[row]}

    def datetime_complete(self, row: int) -> datetime.datetime | None:
        """When member ``row`` finished (None: not yet)."""
        completes = self._completes
        return completes[row] if type(completes) is np.ndarray else completes

    def finish(self, rows: np.ndarray | None, now: datetime.datetime) -> None:
        """Members ``rows`` (None: every member, none finished before) finished ``now``."""
        if rows is None and self._completes is None:
            self._completes = now
            return
        if type(self._completes) is not np.ndarray:
            self._completes = np.full(self.n, None, dtype=object)
        self._completes[slice(None) if rows is None else rows] = now


class _Records:
    """``store.records``: the :class:`TrialRecord` of each trial by number, the record of
    a batch member built from the columns on first read."""

    __slots__ = ("_store", "_list")

    def __init__(self, store: TrialStore) -> None:
        self._store = store
        # by number; None or past the end: a batch member not read yet (a batch adds nothing here)
        self._list: list[TrialRecord | None] = []

    def __len__(self) -> int:
        return self._store._n

    def __iter__(self):
        return (self[number] for number in range(self._store._n))

    def __getitem__(self, number: int) -> TrialRecord:
        number = range(self._store._n)[number]
        records = self._list
        record = records[number] if number < len(records) else None
        if record is None:
            record = self._store._build_record(number)
            self.put(record)
        return record

    def put(self, record: TrialRecord) -> None:
        """Keep ``record`` as the record of its trial number."""
        records, number = self._list, record.number
        if number >= len(records):
            records.extend([None] * (number + 1 - len(records)))
        records[number] = record


class _GrowingColumn:
    """An append-only pair of arrays (trial numbers, values) with amortized O(1) append."""

    __slots__ = ("numbers", "values", "size")

    def __init__(self) -> None:
        self.numbers = np.empty(8, dtype=np.int64)
        self.values = np.empty(8, dtype=np.float64)
        self.size = 0

    def append(self, number: int, value: float) -> None:
        if self.size == len(self.numbers):
            self.numbers = np.resize(self.numbers, 2 * self.size)
            self.values = np.resize(self.values, 2 * self.size)
        self.numbers[self.size] = number
        self.values[self.size] = value
        self.size += 1


class TrialStore(StoreCore):
    """Columnar storage of every trial of one study.

    Parameters
    ----------
    n_objectives : int
        Number of objective values per trial (columns of ``Y``).

    Examples
    --------
    >>> from fasthpo.distributions import FloatDistribution
    >>> store = TrialStore(n_objectives=1)
    >>> t = store.create_trial()
    >>> store.set_param(t, "x", FloatDistribution(0, 1), 0.5)
    >>> store.finish(t, TrialState.COMPLETE, [0.25])
    >>> store.X, store.Y[:, 0]
    (array([[0.5]]), array([0.25]))
    """

    def __init__(self, n_objectives: int) -> None:
        self.n_objectives = n_objectives
        self._n = 0
        self._X = np.full((16, 4), np.nan)
        self._Y = np.full((16, n_objectives), np.nan)
        self._states = np.zeros(16, dtype=np.int8)
        self._violation = np.full(16, np.nan)
        self.columns: dict[str, int] = {}
        self.column_distributions: list[BaseDistribution] = []
        self.records = _Records(self)
        self._record_list = self.records._list  # the compiled trial path's way to it
        self._in_memory = type(self) is TrialStore  # no storage writes the records
        self._batches: list[_Batch] = []
        self._batch_firsts: list[int] = []
        self._waiting: deque[int] = deque()
        self._steps: dict[int, _GrowingColumn] = {}
        self._intersection: dict[bool, dict[str, BaseDistribution] | None] = {False: None, True: None}
        self.n_finished = 0

    # ---------------------------------------------------------------- views
    @property
    def n_trials(self) -> int:
        return self._n

    @property
    def X(self) -> np.ndarray:
        """Parameters ``[n_trials, n_params]`` in internal encoding, NaN where absent."""
        return self._X[: self._n, : len(self.columns)]

    @property
    def Y(self) -> np.ndarray:
        """Objective values ``[n_trials, n_objectives]``, NaN until a trial is complete."""
        return self._Y[: self._n]

    @property
    def states(self) -> np.ndarray:
        """Trial states ``[n_trials]`` as ``int8`` codes of :class:`TrialState`."""
        return self._states[: self._n]

    @property
    def violation(self) -> np.ndarray:
        """Total constraint violation ``[n_trials]``: the sum of the positive constraint
        values, 0 for a feasible trial, NaN for a trial without constraints."""
        return self._violation[: self._n]

    def column(self, name: str) -> np.ndarray:
        """The internal values of parameter ``name`` for every trial (NaN where absent)."""
        return self._X[: self._n, self.columns[name]]

    def step_values(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Trial numbers and values of every intermediate value reported at ``step``."""
        col = self._steps.get(step)
        if col is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return col.numbers[: col.size], col.values[: col.size]

    def intersection_search_space(self, include_pruned: bool = False) -> dict[str, BaseDistribution]:
        """Parameters with one and the same distribution in every finished trial.

        Only COMPLETE trials count (and PRUNED ones with ``include_pruned``); the
        answer is maintained as trials finish, so asking costs O(parameters).
        """
        space = self._intersection[include_pruned]
        return {} if space is None else dict(space)

    def sync(self) -> None:
        """Bring the store up to date with its storage (nothing to do in memory)."""

    def hold_params(self, number: int) -> None:
        """Trial ``number`` is told by this process: a store shared by processes may write
        its parameters later, with its next change (nothing to do in memory)."""

    # ------------------------------------------------------------ mutations
    def create_trial(
        self,
        state: TrialState = TrialState.RUNNING,
        fixed_params: dict[str, Any] | None = None,
        user_attrs: dict[str, Any] | None = None,
        datetime_start: datetime.datetime | None = None,
    ) -> int:
        """Append a trial and return its number."""
        number = self._n
        if number == len(self._states):
            self._grow_rows()
        self._states[number] = int(state)
        self._n += 1
        record = TrialRecord(number, fixed_params=dict(fixed_params) if fixed_params else None,
                             user_attrs=dict(user_attrs) if user_attrs else None)
        if state == TrialState.RUNNING:
            record.datetime_start = datetime_start or datetime.datetime.now()
        else:
            self._waiting.append(number)
        self.records.put(record)
        return number

    def pop_waiting(self, datetime_start: datetime.datetime | None = None) -> int | None:
        """Start the oldest WAITING (enqueued) trial, if any, and return its number."""
        while self._waiting:
            number = self._waiting.popleft()
            if self.state_of(number) == TrialState.WAITING:
                self._set_state(number, TrialState.RUNNING)
                self.records[number].datetime_start = datetime_start or datetime.datetime.now()
                return number
        return None

    def check_param(self, name: str, distribution: BaseDistribution) -> None:
        """Raise ``ValueError`` if ``distribution`` cannot share the column of ``name``."""
        col = self.columns.get(name)
        if col is not None:
            check_compatible(name, self.column_distributions[col], distribution)

    def set_param(
        self, number: int, name: str, distribution: BaseDistribution, internal: float, external: Any = None
    ) -> None:
        """Record parameter ``name`` of trial ``number`` from its internal value.

        The caller has checked ``distribution`` with :meth:`check_param`. ``external``
        overrides the decoded user value (a fixed value off the grid).
        """
        col = self._column_of(name, distribution)
        if external is None:
            internal = distribution.round_internal(internal)
            external = distribution.to_external(internal)
        self._X[number, col] = internal
        record = self.records[number]
        record.params[name] = external
        record.distributions[name] = distribution
        batch, _ = self._locate(range(number, number + 1))
        if batch is not None:  # the batch's entries name every member's distributions
            mask = np.zeros(batch.n, dtype=bool)
            mask[number - batch.first] = True
            batch.entries.append((name, distribution, mask))

    def create_trials(self, params: list[dict[str, tuple[BaseDistribution, float]]]) -> range:
        """Append ``len(params)`` RUNNING trials, ``params[i]`` mapping a parameter name to
        its distribution and internal value (a journal writes them as one group); their numbers.

        The trials are a batch: no per-trial object is made until a trial is read.
        """
        first, n = self._n, len(params)
        while first + n > len(self._states):
            self._grow_rows()
        self._states[first: first + n] = int(TrialState.RUNNING)
        self._n += n
        self._batches.append(_Batch(first, n, datetime.datetime.now()))
        self._batch_firsts.append(first)
        numbers = range(first, first + n)
        if any(params):
            for number, trial_params in zip(numbers, params):
                for name, (distribution, internal) in trial_params.items():
                    self.check_param(name, distribution)
                    self.set_param(number, name, distribution, internal)
        return numbers

    def set_params(self, numbers: range | np.ndarray, name: str, distribution: BaseDistribution,
                   rounded: np.ndarray) -> None:
        """Set parameter ``name`` of each of ``numbers`` (distinct) from its internal value,
        rounded by :func:`round_and_decode` (a journal writes them as one group).

        For members of one batch this is array work: the column is written and the
        batch notes which members have ``name``.
        """
        col = self._column_of(name, distribution)
        batch, rows = self._locate(numbers)
        if batch is None:
            self._X[np.asarray(numbers), col] = rounded
            for number in numbers:
                record = self.records[int(number)]
                record.params[name] = distribution.to_external(self._X[number, col])
                record.distributions[name] = distribution
            return
        mask = None
        if rows is None:
            self._X[batch.first: batch.first + batch.n, col] = rounded
        else:
            mask = np.zeros(batch.n, dtype=bool)
            mask[rows] = True
            self._X[batch.first + rows, col] = rounded
        batch.entries.append((name, distribution, mask))
        built = [row for row in batch.built if mask is None or mask[row]]
        if built:  # records read already: keep them up to date
            internals = self._X[batch.first + np.array(built), col]
            if type(distribution) is FloatDistribution and distribution.step is None and not distribution.log:
                values = round_and_decode(distribution, internals)[1].tolist()
            else:
                values = [distribution.to_external(x) for x in internals.tolist()]
            for row, value in zip(built, values):
                record = batch.built[row]
                record.params[name] = value
                record.distributions[name] = distribution

    def finish_trials(self, results: list[tuple[int, TrialState, list[float] | None]]) -> None:
        """:meth:`finish` each ``(number, state, values)`` (a journal writes them as one group)."""
        now = datetime.datetime.now()
        intersected = set()  # the members of a batch share their distribution objects
        for number, state, values in results:
            distributions = self._finish_one(number, state, values, now)
            key = (state == TrialState.COMPLETE, state != TrialState.FAIL, tuple(distributions),
                   tuple(map(id, distributions.values())))
            if key not in intersected:  # intersecting twice with the same set changes nothing
                intersected.add(key)
                self._intersect_finished(state, distributions)

    def finish_batch(self, numbers: range | np.ndarray, states: np.ndarray, Y: np.ndarray) -> None:
        """Finish trials ``numbers`` (distinct) with ``states`` (codes of :class:`TrialState`)
        and values ``Y[len(numbers), n_objectives]`` (a row of NaN: no values), as whole
        columns when they are members of one batch."""
        states = np.asarray(states, dtype=np.int8)
        complete = bool((states == _COMPLETE).all())
        if not complete and not _IS_FINISHED[states.view(np.uint8)].all():
            raise ValueError(f"state must be one of {[s.name for s in _FINISHED]}, got {states!r}.")
        batch, rows = self._locate(numbers) if type(self) is TrialStore else (None, None)
        if batch is None:  # not one batch, or a journal, which writes its records itself
            self.finish_trials([(int(number), TrialState(state), None if np.isnan(y).all() else y)
                                for number, state, y in zip(numbers, states.tolist(), Y.tolist())])
            return
        if rows is None:
            first, stop = batch.first, batch.first + batch.n
            self._Y[first: stop] = Y
            self._states[first: stop] = states
            batch.finish(None, now := datetime.datetime.now())
            rows = np.arange(batch.n)
            if complete and not batch.built:
                self.n_finished += batch.n
                for include_pruned in (False, True):
                    self._intersect_batch(include_pruned, batch, rows)
                return
        else:
            self._Y[batch.first + rows] = Y
            self._states[batch.first + rows] = states
            batch.finish(rows, now := datetime.datetime.now())
        for row in set(rows.tolist()).intersection(batch.built) if batch.built else ():
            batch.built[row].datetime_complete = now
        self.n_finished += len(rows)
        self._intersect_batch(False, batch, rows[states == _COMPLETE])
        self._intersect_batch(True, batch, rows[states != _FAIL])

    def report(self, number: int, step: int, value: float) -> None:
        """Record an intermediate value; a step already reported keeps its first value."""
        record = self.records[number]
        if step in record.intermediate_values:
            return
        record.intermediate_values[step] = value
        column = self._steps.get(step)
        if column is None:
            column = self._steps[step] = _GrowingColumn()
        column.append(number, value)

    def set_user_attr(self, number: int, key: str, value: Any) -> None:
        self.records[number].user_attrs[key] = value

    def set_system_attr(self, number: int, key: str, value: Any) -> None:
        attrs = self.records[number].system_attrs
        attrs[key] = value
        if is_constraint_key(key):
            constraints = constraints_of(attrs).values()
            self._violation[number] = sum(c for c in constraints if c > 0) if constraints else np.nan

    def finish(
        self,
        number: int,
        state: TrialState,
        values: list[float] | None = None,
        datetime_complete: datetime.datetime | None = None,
    ) -> None:
        """Mark trial ``number`` finished with ``state`` (and ``values``)."""
        self._intersect_finished(state, self._finish_one(number, state, values, datetime_complete))

    def _finish_one(self, number: int, state: TrialState, values: list[float] | None,
                    datetime_complete: datetime.datetime | None) -> dict[str, BaseDistribution]:
        """Everything of :meth:`finish` but the search-space intersection; the trial's distributions."""
        if state not in _FINISHED:
            raise ValueError(f"state must be one of {[s.name for s in _FINISHED]}, got {state!r}.")
        if values is not None:
            row = self._Y[number]
            for k, value in enumerate(values):
                row[k] = value
        self._set_state(number, state)
        record = self.records[number]
        record.datetime_complete = datetime_complete or datetime.datetime.now()
        if record.datetime_start is None:
            record.datetime_start = record.datetime_complete
        self.n_finished += 1
        return record.distributions

    def _intersect_finished(self, state: TrialState, distributions: dict[str, BaseDistribution]) -> None:
        if state == TrialState.COMPLETE:
            self._intersect(False, distributions)
        if state != TrialState.FAIL:
            self._intersect(True, distributions)

    def _column_of(self, name: str, distribution: BaseDistribution) -> int:
        """The column of parameter ``name``, added (for ``distribution``) if new."""
        col = self.columns.get(name)
        if col is None:
            col = len(self.columns)
            if col == self._X.shape[1]:
                self._grow_columns()
            self.columns[name] = col
            self.column_distributions.append(distribution)
        return col

    def _set_state(self, number: int, state: TrialState) -> None:
        self._states[number] = int(state)

    def _intersect(self, include_pruned: bool, distributions: dict[str, BaseDistribution]) -> None:
        space = self._intersection[include_pruned]
        if space is None:
            self._intersection[include_pruned] = dict(distributions)
            return
        intersect(space, distributions)

    def _intersect_batch(self, include_pruned: bool, batch: _Batch, rows: np.ndarray) -> None:
        """:meth:`_intersect` with the distributions of each member ``rows`` of ``batch``
        (as its entries name them)."""
        if not len(rows):
            return
        if self._intersection[include_pruned] is None:
            self._intersection[include_pruned] = batch.distributions(int(rows[0]))
        space = self._intersection[include_pruned]
        if all(mask is None for _, _, mask in batch.entries):  # every member has every parameter
            self._intersect(include_pruned, batch.distributions(0))
            return
        entries: dict[str, list[tuple[BaseDistribution, np.ndarray | None]]] = {}
        for name, distribution, mask in batch.entries:
            entries.setdefault(name, []).append((distribution, mask))
        for name, distribution in list(space.items()):
            masks = [mask for d, mask in entries.get(name, ()) if d is distribution or d == distribution]
            if any(mask is None for mask in masks):
                continue  # every member has it
            if not masks or not np.logical_or.reduce([mask[rows] for mask in masks]).all():
                del space[name]

    def _locate(self, numbers: range | np.ndarray) -> tuple[_Batch | None, np.ndarray | None]:
        """The batch all of ``numbers`` belong to and their rows in it (None: every member,
        in order), or ``(None, None)`` when they are not all of one batch."""
        if not len(numbers) or not self._batches:
            return None, None
        if isinstance(numbers, range):
            low, high = numbers.start, numbers.stop - 1
        else:
            low, high = int(numbers.min()), int(numbers.max())
        i = bisect.bisect_right(self._batch_firsts, low) - 1
        batch = self._batches[i] if i >= 0 else None
        if batch is None or high >= batch.first + batch.n:
            return None, None
        if len(numbers) == batch.n and (isinstance(numbers, range) or (np.diff(numbers) > 0).all()):
            return batch, None  # distinct, all of them: in order
        return batch, np.asarray(numbers, dtype=np.int64) - batch.first

    def _build_record(self, number: int) -> TrialRecord:
        """The record of batch member ``number``, built from the columns (kept by the batch)."""
        batch = self._batches[bisect.bisect_right(self._batch_firsts, number) - 1]
        row = number - batch.first
        record = TrialRecord(number, datetime_start=batch.datetime_start,
                             datetime_complete=batch.datetime_complete(row))
        x = self._X[number]
        for name, distribution, mask in batch.entries:
            if mask is None or mask[row]:
                record.params[name] = distribution.to_external(x[self.columns[name]])
                record.distributions[name] = distribution
        batch.built[row] = record
        return record

    def _grow_rows(self) -> None:
        rows = 2 * len(self._states)
        used = len(self.columns)  # spare columns are trimmed to a quarter: X is most of the memory
        self._X = _grown(self._X, (rows, max(4, used + (used + 3) // 4)))
        self._Y = _grown(self._Y, (rows, self._Y.shape[1]))
        self._violation = np.resize(self._violation, rows)
        self._violation[self._n:] = np.nan
        states = np.zeros(rows, dtype=np.int8)
        states[: self._n] = self._states[: self._n]
        self._states = states

    def _grow_columns(self) -> None:
        self._X = _grown(self._X, (self._X.shape[0], 2 * self._X.shape[1]))


def _grown(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``array`` in the top left corner of a ``shape`` array of NaN (every element written once)."""
    rows, columns = min(array.shape[0], shape[0]), min(array.shape[1], shape[1])
    out = np.empty(shape)
    out[:rows, :columns] = array[:rows, :columns]
    out[:rows, columns:] = np.nan
    out[rows:] = np.nan
    return out


def round_and_decode(distribution: BaseDistribution, internals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``distribution.round_internal`` and ``to_external`` of each of ``internals``: the
    rounded internal values and an array of the user values (an object array for a
    categorical distribution). Whole arrays at once for a continuous linear float,
    which gives the same bits as value by value."""
    if type(distribution) is FloatDistribution and distribution.step is None and not distribution.log:
        return decode_linear(np.ascontiguousarray(internals, dtype=float), distribution.internal_low,
                             distribution.internal_high, distribution.scale, distribution.low, distribution.high)
    rounded = np.array([distribution.round_internal(x) for x in internals.tolist()], dtype=float)
    values = [distribution.to_external(x) for x in rounded.tolist()]
    if isinstance(distribution, CategoricalDistribution):
        out = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):  # one by one: a choice may itself be a sequence
            out[i] = value
        return rounded, out
    return rounded, np.array(values, dtype=np.int64 if isinstance(distribution, IntDistribution) else float)
