"""Columnar trial history: the one place a study's trials live.

Parameters sit in ``X[n, d]`` in the internal encoding (NaN where a trial lacks the
parameter), objective values in ``Y[n, k]``, states in ``states[n]``. Arrays grow by
doubling, so appending a trial or a parameter is amortized O(1). Samplers read
zero-copy views (:attr:`TrialStore.X`, :attr:`TrialStore.Y`, :attr:`TrialStore.states`);
a view is valid until the next mutation of the store, so read it, do not keep it.

Intermediate values are kept per trial and, for pruners, per step as columns of
(trial number, value) pairs, so that the values reported at one step are one array.
"""

from __future__ import annotations

import datetime
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fasthpo._constraints import constraints_of, is_constraint_key
from fasthpo.distributions import BaseDistribution, FloatDistribution, check_compatible
from fasthpo.trial_state import TrialState

__all__ = ["TrialStore", "TrialRecord"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass(slots=True)
class TrialRecord:
    """Per-trial data that is not a number in a column (user values, attrs, times)."""

    number: int
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    fixed_params: dict[str, Any] = field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None


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


class TrialStore:
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
        self._state_list: list[int] = []  # the same states as Python ints, for O(1) checks
        self.columns: dict[str, int] = {}
        self.column_distributions: list[BaseDistribution] = []
        self.records: list[TrialRecord] = []
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

    def state_of(self, number: int) -> int:
        """The state code of trial ``number`` (compare with :class:`TrialState`)."""
        return self._state_list[number]

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
        self._state_list.append(int(state))
        self._n += 1
        record = TrialRecord(number, fixed_params=dict(fixed_params or {}), user_attrs=dict(user_attrs or {}))
        if state == TrialState.RUNNING:
            record.datetime_start = datetime_start or datetime.datetime.now()
        else:
            self._waiting.append(number)
        self.records.append(record)
        return number

    def pop_waiting(self, datetime_start: datetime.datetime | None = None) -> int | None:
        """Start the oldest WAITING (enqueued) trial, if any, and return its number."""
        while self._waiting:
            number = self._waiting.popleft()
            if self._state_list[number] == TrialState.WAITING:
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

    def create_trials(self, params: list[dict[str, tuple[BaseDistribution, float]]]) -> list[int]:
        """Append ``len(params)`` RUNNING trials, ``params[i]`` mapping a parameter name to
        its distribution and internal value (a journal writes them as one group)."""
        first, n = self._n, len(params)
        while first + n > len(self._states):
            self._grow_rows()
        self._states[first: first + n] = int(TrialState.RUNNING)
        self._state_list.extend([int(TrialState.RUNNING)] * n)
        self._n += n
        now = datetime.datetime.now()
        numbers = list(range(first, first + n))
        self.records.extend([TrialRecord(number, datetime_start=now) for number in numbers])
        for number, trial_params in zip(numbers, params):
            for name, (distribution, internal) in trial_params.items():
                self.check_param(name, distribution)
                self.set_param(number, name, distribution, internal)
        return numbers

    def set_params(self, numbers: list[int], name: str, distribution: BaseDistribution, internals: list[float]) -> None:
        """:meth:`set_param` for each of ``numbers`` (a journal writes them as one group)."""
        col = self._column_of(name, distribution)
        rounded, external = round_and_decode(distribution, np.asarray(internals, dtype=float))
        self._X[numbers, col] = rounded
        records = self.records
        for number, value in zip(numbers, external):
            record = records[number]
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
        self._state_list[number] = int(state)

    def _intersect(self, include_pruned: bool, distributions: dict[str, BaseDistribution]) -> None:
        space = self._intersection[include_pruned]
        if space is None:
            self._intersection[include_pruned] = dict(distributions)
            return
        for name in [n for n, d in space.items() if distributions.get(n) is not d and distributions.get(n) != d]:
            del space[name]

    def _grow_rows(self) -> None:
        rows = 2 * len(self._states)
        self._X = _grown(self._X, (rows, self._X.shape[1]))
        self._Y = _grown(self._Y, (rows, self._Y.shape[1]))
        self._violation = np.resize(self._violation, rows)
        self._violation[self._n:] = np.nan
        states = np.zeros(rows, dtype=np.int8)
        states[: self._n] = self._states[: self._n]
        self._states = states

    def _grow_columns(self) -> None:
        self._X = _grown(self._X, (self._X.shape[0], 2 * self._X.shape[1]))


def _grown(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    out = np.full(shape, np.nan)
    out[: array.shape[0], : array.shape[1]] = array
    return out


def round_and_decode(distribution: BaseDistribution, internals: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """``distribution.round_internal`` and ``to_external`` of each of ``internals``: the
    rounded internal values and the user values (whole arrays at once for a continuous
    linear float, which gives the same bits as value by value)."""
    if type(distribution) is FloatDistribution and distribution.step is None and not distribution.log:
        rounded = np.minimum(np.maximum(internals, distribution.internal_low), distribution.internal_high)
        external = np.minimum(np.maximum(rounded / distribution.scale, distribution.low), distribution.high)
        return rounded, external.tolist()
    rounded = [distribution.round_internal(x) for x in internals.tolist()]
    return np.array(rounded, dtype=float), [distribution.to_external(x) for x in rounded]
