"""The history samplers and pruners read: a study's trials as arrays, and nothing of the Study.

:class:`History` is a read-only view of a :class:`~fasthpo.store.TrialStore`: encoded
parameters ``X[n, d]`` (NaN where a trial lacks a parameter), objective values ``Y[n, k]``
already turned into minimization, states, constraint violations, intermediate values by
step, and per trial its distributions and system attributes. The Study hands one to its
sampler and pruner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from fasthpo._constraints import constraints_of
from fasthpo.core.direction import StudyDirection, minimization_signs
from fasthpo.distributions import BaseDistribution
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

__all__ = ["History", "TrialView", "parse_directions"]


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
