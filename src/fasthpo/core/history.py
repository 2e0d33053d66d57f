"""The history samplers and pruners read: a study's trials as arrays, and nothing of the Study.

:class:`History` is a read-only view of a :class:`~fasthpo.store.TrialStore`: encoded
parameters ``X[n, d]`` (NaN where a trial lacks a parameter), objective values ``Y[n, k]``
already turned into minimization, states, constraint violations, intermediate values by
step, and per trial its distributions and system attributes. The Study hands one to its
sampler and pruner; :class:`ArrayHistory` is a history of its own, driven with plain
arrays (ask/tell without a Study).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from fasthpo._constraints import constraints_of
from fasthpo.core.direction import StudyDirection, minimization_signs
from fasthpo.core.space import SearchSpace
from fasthpo.distributions import BaseDistribution
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

__all__ = ["ArrayHistory", "History", "TrialView", "parse_directions"]


def parse_directions(direction: Any = None, directions: Any = None) -> list[StudyDirection]:
    """``direction`` or ``directions`` ("minimize"/"maximize" or StudyDirection) as a list.

    Examples
    --------
    >>> parse_directions(directions=["minimize", "maximize"])
    [<StudyDirection.MINIMIZE: 1>, <StudyDirection.MAXIMIZE: 2>]
    """
    if direction is not None and directions is not None:
        raise ValueError("Give either direction or directions, not both.")
    if directions is None:
        directions = ["minimize" if direction is None else direction]
    elif isinstance(directions, (str, bytes)) or not isinstance(directions, Sequence) or not directions:
        raise ValueError(f"directions must be a non-empty list, got {directions!r}.")
    parsed = []
    for d in directions:
        if isinstance(d, StudyDirection):
            parsed.append(d)
        elif isinstance(d, str) and d.lower() in ("minimize", "maximize"):
            parsed.append(StudyDirection[d.upper()])
        else:
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {d!r}.")
    return parsed


class History:
    """A read-only view of the trials of one study, for samplers and pruners.

    Parameters
    ----------
    store : TrialStore
        The trials.
    directions : list of StudyDirection
        One per objective.
    study_name : str
        The study's name (Hyperband seeds its brackets with it).
    frozen_trial : callable, optional
        ``frozen_trial(number)``: the trial as the user sees it (for a sampler's
        ``constraints_func``); without it, a :class:`TrialView`.
    model_rows : callable, optional
        ``model_rows(number)``: mask of the trials a sampler should model for trial
        ``number`` (the pruner's Hyperband bracket), or None for every trial.

    Notes
    -----
    Arrays are views of the store, valid until its next change: read them, do not
    keep them. A sampler compares :attr:`key` to know whether it sees the same study.
    """

    def __init__(
        self,
        store: TrialStore,
        directions: Sequence[StudyDirection],
        study_name: str = "",
        frozen_trial: Callable[[int], Any] | None = None,
        model_rows: Callable[[History, int], np.ndarray | None] | None = None,
    ) -> None:
        self._store = store
        self.directions = list(directions)
        self.study_name = study_name
        self._signs = minimization_signs(self.directions)
        self._all_minimize = bool(np.all(self._signs > 0))
        self._frozen_trial = frozen_trial
        self._model_rows = model_rows

    @property
    def key(self) -> int:
        """An identity of the underlying trials: equal for every view of one study."""
        return id(self._store)

    # ------------------------------------------------------------ counts
    @property
    def n_trials(self) -> int:
        return self._store.n_trials

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    @property
    def n_finished(self) -> int:
        """Trials finished so far (COMPLETE, PRUNED or FAIL)."""
        return self._store.n_finished

    # ------------------------------------------------------------ arrays
    @property
    def X(self) -> np.ndarray:
        """Encoded parameters ``[n_trials, n_columns]``, NaN where absent (see :attr:`columns`)."""
        return self._store.X

    @property
    def columns(self) -> Mapping[str, int]:
        """The column of ``X`` of each parameter name seen so far (do not change it)."""
        return self._store.columns

    def column(self, name: str) -> np.ndarray:
        """Encoded values of parameter ``name`` for every trial (NaN where absent)."""
        return self._store.column(name)

    @property
    def Y(self) -> np.ndarray:
        """Objective values ``[n_trials, n_objectives]`` to minimize (maximized ones
        negated), NaN unless the trial is COMPLETE (or PRUNED with a value)."""
        Y = self._store.Y
        return Y if self._all_minimize else Y * self._signs

    @property
    def states(self) -> np.ndarray:
        """Trial states ``[n_trials]`` as ``int8`` codes of :class:`~fasthpo.TrialState`."""
        return self._store.states

    @property
    def violation(self) -> np.ndarray:
        """Total constraint violation ``[n_trials]`` (0 feasible, NaN without constraints)."""
        return self._store.violation

    def rows_in(self, *states: TrialState) -> np.ndarray:
        """Numbers of the trials in any of ``states``, ascending."""
        s = self._store.states
        mask = s == states[0]
        for state in states[1:]:
            mask |= s == state
        return np.flatnonzero(mask)

    def state_of(self, number: int) -> int:
        return self._store.state_of(number)

    def step_values(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Trial numbers and (raw, not sign-adjusted) intermediate values reported at ``step``."""
        return self._store.step_values(step)

    # --------------------------------------------------------- per trial
    def intermediate_values(self, number: int) -> dict[int, float]:
        """The intermediate values of trial ``number`` by step (do not change it)."""
        return self._store.records[number].intermediate_values

    def system_attrs(self, number: int) -> dict[str, Any]:
        """The system attributes of trial ``number`` (do not change it)."""
        return self._store.records[number].system_attrs

    def distributions(self, number: int) -> dict[str, BaseDistribution]:
        """The distributions of trial ``number``'s parameters (do not change it)."""
        return self._store.records[number].distributions

    def params(self, number: int) -> dict[str, Any]:
        """The user values of trial ``number``'s parameters (do not change it)."""
        return self._store.records[number].params

    def constraints(self, number: int) -> dict[str, float]:
        """The constraint values of trial ``number`` by name (empty: none)."""
        return constraints_of(self._store.records[number].system_attrs)

    def frozen_trial(self, number: int) -> Any:
        """Trial ``number`` as the user sees it (what ``constraints_func`` receives)."""
        if self._frozen_trial is not None:
            return self._frozen_trial(number)
        return TrialView(self, number)

    def intersection_search_space(self, include_pruned: bool = False) -> dict[str, BaseDistribution]:
        """Parameters with one and the same distribution in every COMPLETE trial (and
        PRUNED ones with ``include_pruned``)."""
        return self._store.intersection_search_space(include_pruned)

    def best_row(self) -> int | None:
        """The best feasible COMPLETE trial of the first objective (the earliest of
        equals), None before any."""
        store = self._store
        rows = np.flatnonzero((store.states == TrialState.COMPLETE) & ~(store.violation > 0))
        if not rows.size:
            return None
        return int(rows[np.argmin(self.Y[rows, 0])])

    def model_rows(self, number: int) -> np.ndarray | None:
        """Mask of the trials to model for trial ``number`` (a Hyperband bracket), None for all."""
        return None if self._model_rows is None else self._model_rows(self, number)

    def note(self, number: int, key: str, value: Any) -> None:
        """Store a system attribute of the RUNNING trial ``number``: the one write a
        pruner may make (the rung values of successive halving). Samplers return their
        attributes instead (:class:`~fasthpo.core.Proposal`)."""
        if self._store.state_of(number) != TrialState.RUNNING:
            raise ValueError(f"Trial {number} is not RUNNING; only a running trial takes notes.")
        self._store.set_system_attr(number, key, value)


class TrialView:
    """Trial ``number`` of a history with the fields of a FrozenTrial a user function reads."""

    def __init__(self, history: History, number: int) -> None:
        store = history._store
        record = store.records[number]
        self.number = number
        self.state = TrialState(store.state_of(number))
        y = store.Y[number]
        self.values = None if np.isnan(y).any() else y.tolist()
        self.params = dict(record.params)
        self.distributions = dict(record.distributions)
        self.user_attrs = dict(record.user_attrs)
        self.system_attrs = dict(record.system_attrs)
        self.intermediate_values = dict(record.intermediate_values)

    @property
    def value(self) -> float | None:
        return None if self.values is None else self.values[0]
class ArrayHistory(History):
    """A history of its own with a sampler, driven with arrays: ask for encoded rows, tell values.

    No Study is involved: this is how a framework of its own (a searcher of another
    library, a benchmark harness, a lab loop) embeds a fasthpo sampler.

    Parameters
    ----------
    space : SearchSpace or mapping of str to distribution
        The parameters every trial has.
    sampler : BaseSampler
        Proposes the rows; it is told every result.
    directions : sequence of {"minimize", "maximize"}
        One per objective.

    Examples
    --------
    >>> import numpy as np
    >>> from fasthpo.distributions import FloatDistribution
    >>> from fasthpo.samplers import RandomSampler
    >>> space = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}
    >>> history = ArrayHistory(space, RandomSampler(seed=0))
    >>> for _ in range(20):
    ...     numbers, X = history.ask(n=10)
    ...     history.tell(numbers, (X ** 2).sum(axis=1))
    >>> history.n_trials, bool(history.Y.min() < 1.0)
    (200, True)
    """

    def __init__(self, space: SearchSpace | Mapping[str, BaseDistribution], sampler: Any,
                 directions: Sequence[Any] = ("minimize",)) -> None:
        self.space = space if isinstance(space, SearchSpace) else SearchSpace(space)
        self.sampler = sampler
        if len(self.space) == 0:
            raise ValueError("space must hold at least one parameter.")
        parsed = parse_directions(directions=list(directions))
        super().__init__(TrialStore(len(parsed)), parsed, study_name="array-history")

    def ask(self, n: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Start ``n`` trials with rows proposed by the sampler.

        Returns
        -------
        numbers : ndarray of int, shape (n,)
            The new trials' numbers (for :meth:`tell`).
        X : ndarray of shape (n, d)
            Their encoded parameters, columns in the order of :attr:`space`
            (``space.decode(X)`` gives user values).
        """
        from fasthpo.core.propose import propose_rows  # it builds on this module

        n = _positive_int("n", n)
        store = self._store
        numbers = [store.create_trial() for _ in range(n)]
        X = propose_rows(self.sampler, self, self.space, numbers, store)
        return np.asarray(numbers, dtype=np.int64), X

    def tell(self, numbers: Sequence[int], values: Any, states: Sequence[TrialState] | None = None) -> None:
        """Finish trials ``numbers`` with ``values`` (shape ``(n,)`` or ``(n, k)``) and
        tell the sampler.

        A row with NaN fails that trial alone; ``states`` (COMPLETE, PRUNED or FAIL per
        trial) overrides. Raises ``ValueError`` (and changes nothing) for an unknown or
        finished trial, a repeated number or values of the wrong shape.
        """
        numbers = np.asarray(numbers)
        if numbers.ndim != 1 or not np.issubdtype(numbers.dtype, np.integer):
            raise TypeError(f"numbers must be a 1-D array of trial numbers, got {numbers!r}.")
        Y = np.asarray(values, dtype=float).reshape(len(numbers), -1) if np.size(values) == len(numbers) * self.n_objectives else None
        if Y is None or Y.shape[1] != self.n_objectives:
            raise ValueError(f"values must have shape ({len(numbers)},) or ({len(numbers)}, {self.n_objectives}), "
                             f"got {np.shape(values)}.")
        if len(set(numbers.tolist())) != len(numbers):
            raise ValueError("numbers holds a trial twice.")
        for number in numbers.tolist():
            if not 0 <= number < self.n_trials or self.state_of(number) != TrialState.RUNNING:
                raise ValueError(f"Trial {number} is not a running trial of this history.")
        states = _states_of(Y, states)
        for number, y, state in zip(numbers.tolist(), Y, states):
            values = None if state == TrialState.FAIL else y.tolist()
            self._store.finish(number, state, values)
            for key, value in (self.sampler.after_trial(self, number, state, values) or {}).items():
                self._store.set_system_attr(number, key, value)


def _states_of(Y: np.ndarray, states: Sequence[TrialState] | None) -> list[TrialState]:
    if states is None:
        return [TrialState.FAIL if np.isnan(y).any() else TrialState.COMPLETE for y in Y]
    states = list(states)
    if len(states) != len(Y):
        raise ValueError(f"states must have {len(Y)} entries, got {len(states)}.")
    for state, y in zip(states, Y):
        if not isinstance(state, TrialState) or not state.is_finished():
            raise ValueError(f"states must be COMPLETE, PRUNED or FAIL, got {state!r}.")
        if state == TrialState.COMPLETE and np.isnan(y).any():
            raise ValueError("A COMPLETE trial needs values that are not NaN.")
    return states


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__}).")
    if value <= 0:
        raise ValueError(f"{name} must be >= 1, got {value!r}.")
    return int(value)
