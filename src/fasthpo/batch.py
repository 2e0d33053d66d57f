"""Batch trials: ``n`` trials asked together, whose suggestions are arrays of ``n`` values.

A vectorized objective evaluates all members at once. Define-by-run holds within the
batch: :meth:`BatchTrial.subset` selects the members for which a conditional parameter
exists, and suggestions on the subset give values to those members alone.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fasthpo.core.propose import Proposer
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.store import round_and_decode
from fasthpo._kernels.trialpath import numeric_distribution, suggest_column, suggest_of_one
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.study import Study
    from fasthpo.trial import Trial

__all__ = ["BatchTrial"]

_RUNNING, _COMPLETE, _FAIL = int(TrialState.RUNNING), int(TrialState.COMPLETE), int(TrialState.FAIL)
_ONE_ROW = np.zeros(1, dtype=np.int64)  # the rows of a batch of one (read only)
_ONE_ROW.setflags(write=False)


class BatchTrial:
    """``n`` trials of a study asked at once by :meth:`fasthpo.Study.ask_batch`.

    ``suggest_float``, ``suggest_int`` and ``suggest_categorical`` return a NumPy array
    with one value per member (an object array of the choices for a categorical
    parameter). Asking for a name again returns the same values. The sampler proposes
    the members together: TPE and GP treat the earlier members as running trials, a
    CMA-ES generation is a batch, QMC and Grid hand out their next points.

    **Conditional parameters.** ``batch.subset(mask)`` is the part of the batch where
    ``mask`` is True; a suggestion on it exists for those members only (the others do
    not have the parameter, as a scalar trial that never asked for it). Subsets of
    subsets work the same way.

    Examples
    --------
    >>> import numpy as np
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> batch = study.ask_batch(4)
    >>> x = batch.suggest_float("x", -5, 5)
    >>> kind = batch.suggest_categorical("kind", ["sq", "abs"])
    >>> squared = batch.subset(kind == "sq")
    >>> scale = squared.suggest_float("scale", 1, 2)  # only where kind == "sq"
    >>> values = np.abs(x)
    >>> values[kind == "sq"] = scale * x[kind == "sq"] ** 2
    >>> _ = study.tell_batch(batch, values)
    >>> len(study.trials), x.shape, scale.shape == (int((kind == "sq").sum()),)
    (4, (4,), True)
    """

    def __init__(self, study: Study, numbers: Sequence[int], proposer: Proposer | None,
                 rows: np.ndarray | None = None, root: BatchTrial | None = None) -> None:
        self.study = study
        self._given_proposer = proposer  # None: made when first needed (a sampler without a before_trials hook)
        self._sampler = study.sampler if proposer is None else proposer.sampler
        unit_range = type(numbers) is range and numbers.step == 1
        if unit_range:
            self._all = np.arange(numbers.start, numbers.stop, dtype=np.int64)
        else:
            self._all = np.asarray(numbers, dtype=np.int64)
        first = int(self._all[0]) if len(self._all) else 0
        contiguous = root is None and (unit_range or (self._all == np.arange(first, first + len(self._all))).all())
        self._rows = np.arange(len(self._all)) if rows is None else rows
        self._whole = rows is None  # every member of the batch, in order
        # the members' numbers as a range when they follow each other: slices, not fancy indexing
        self._span = range(first, first + len(self._all)) if contiguous else (root._span if root else None)
        self._root = self if root is None else root
        self._told = False
        self._finished_seen = -1  # the store's n_finished when every member was last seen running
        self._asked: dict[str, list[tuple[BaseDistribution, np.ndarray, np.ndarray]]] = {}  # kept by the root
        self._trial: Trial | None = None if root is None else root._trial  # the member of a batch of one
        self._group = None  # the in-memory store's entry of the batch (set by ask_batch)

    @classmethod
    def of_one(cls, trial: Trial) -> BatchTrial:
        """The batch of one member, the scalar ``trial``: its suggestions are the trial's,
        as arrays of one value."""
        batch = cls.__new__(cls)
        batch.study, batch._given_proposer, batch._sampler, batch._trial = trial.study, None, None, trial
        batch._all = np.array([trial.number], dtype=np.int64)
        batch._rows, batch._whole, batch._span = _ONE_ROW, True, range(trial.number, trial.number + 1)
        batch._root, batch._told, batch._finished_seen, batch._asked = batch, False, -1, {}
        batch._group = None
        return batch

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def _proposer(self) -> Proposer:
        """The :class:`~fasthpo.core.propose.Proposer` of the members (the scalar trial's
        for a batch of one), made when first needed."""
        root = self._root
        if root._trial is not None:
            return root._trial._proposer
        if root._given_proposer is None:
            study = self.study
            root._given_proposer = Proposer(root._sampler, study._history, root._span or root._all,
                                            study._store.set_system_attr)
        return root._given_proposer

    def __repr__(self) -> str:
        return f"BatchTrial(numbers={self.numbers.tolist()!r})"

    @property
    def numbers(self) -> np.ndarray:
        """The trial numbers of the members."""
        return self._all[self._rows]

    @property
    def params(self) -> list[dict[str, Any]]:
        """Each member's parameters so far."""
        records = self.study._store.records
        return [dict(records[n].params) for n in self.numbers.tolist()]

    def subset(self, mask: Any) -> BatchTrial:
        """The members where ``mask`` (a boolean array of ``len(self)``) is True."""
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(self),):
            raise ValueError(f"mask must be a boolean array of shape ({len(self)},), got {mask.dtype} {mask.shape}.")
        return BatchTrial(self.study, self._all, self._proposer, self._rows[mask], self._root)

    # -------------------------------------------------------------- suggest
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> np.ndarray:
        """A float per member in ``[low, high]`` (log scale with ``log=True``, grid with ``step``)."""
        if self._trial is not None and self._whole:  # a batch of one: its scalar trial's suggestion
            return suggest_of_one(self, FloatDistribution, name, low, high, log, step)
        values = suggest_column(self, name, FloatDistribution, low, high, log, step)  # the common case, compiled
        if values is not None:
            return values
        return self._suggest(name, numeric_distribution(FloatDistribution, low, high, log, step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> np.ndarray:
        """An integer per member in ``[low, high]`` on the grid ``low + k * step``."""
        if self._trial is not None and self._whole:  # a batch of one: its scalar trial's suggestion
            return suggest_of_one(self, IntDistribution, name, low, high, log, step)
        return self._suggest(name, numeric_distribution(IntDistribution, low, high, log, step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> np.ndarray:
        """One of ``choices`` per member (an object array)."""
        return self._suggest(name, CategoricalDistribution(choices))

    def _suggest(self, name: str, distribution: BaseDistribution) -> np.ndarray:
        if not isinstance(name, str):
            raise TypeError(f"Parameter name must be a str, got {name!r} ({type(name).__name__}).")
        if self._trial is not None:
            return self._suggest_one(name, distribution)
        study = self.study
        asked = self._root._asked.setdefault(name, [])  # (distribution, members that have it, their values)
        with study._lock:
            self._check_running()
            has = None  # the members that have the parameter (None: none of them)
            for before, members, _ in asked:
                overlap = members if self._whole else members[self._rows]
                if before != distribution and overlap.any():
                    number = int(self.numbers[np.argmax(overlap)])
                    raise ValueError(f"Parameter {name!r} was already suggested in trial {number} as {before!r}; "
                                     f"it cannot be suggested again as {distribution!r}.")
                has = overlap if has is None else has | overlap
            if has is None or not has.all():
                study._store.check_param(name, distribution)
                self._set_new(asked, name, distribution, None if has is None and self._whole else
                              self._rows if has is None else self._rows[~has])
        for before, members, values in asked:
            if (before is distribution or before == distribution) and (
                    members if self._whole else members[self._rows]).all():
                return values.copy() if self._whole else values[self._rows]
        out = _empty(distribution, len(self))  # members told apart (never with distinct distributions)
        for before, members, values in asked:
            overlap = members[self._rows]
            out[overlap] = values[self._rows[overlap]]
        return out

    def _suggest_one(self, name: str, distribution: BaseDistribution) -> np.ndarray:
        """:meth:`_suggest` in a batch of one: the scalar trial's suggestion (none for
        the empty part of the batch), as an array."""
        out = _empty(distribution, len(self))
        with self.study._lock:
            self._check_running()
            if not len(out):
                self.study._store.check_param(name, distribution)
                return out
            out[0] = self._trial._suggest(name, distribution)
        return out

    def _set_new(self, asked: list, name: str, distribution: BaseDistribution, rows: np.ndarray | None) -> None:
        """Propose ``name`` for the members ``rows`` (positions in the whole batch; None:
        all of them) and store it."""
        n = len(self._all) if rows is None else len(rows)
        if distribution.single():
            internals = np.full(n, distribution.internal_low)
        else:
            internals = self._proposer.values(name, distribution, rows)
        rounded, external = round_and_decode(distribution, np.asarray(internals, dtype=float))
        numbers = (self._span or self._all) if rows is None else self._all[rows]
        self.study._store.set_params(numbers, name, distribution, rounded)
        if rows is None:  # the first ask of the whole batch: the values are the entry
            asked.append((distribution, np.ones(n, dtype=bool), external))
            return
        entry = next((e for e in asked if e[0] == distribution), None)
        if entry is None:
            entry = (distribution, np.zeros(len(self._all), dtype=bool), _empty(distribution, len(self._all)))
            asked.append(entry)
        entry[1][rows] = True
        entry[2][rows] = external

    def _check_running(self) -> None:
        root = self._root
        if root._told:
            raise ValueError(f"{self!r} has been told; its members cannot change.")
        store = self.study._store
        if root._trial is not None:  # a batch of one
            number = root._trial.number
            if store.state_of(number) != _RUNNING:
                raise ValueError(f"Trial {number} of the batch is {TrialState(store.state_of(number)).name}; "
                                 "only running members can be changed.")
            return
        if store.n_finished == root._finished_seen:
            return  # no trial finished since the members were last seen running
        numbers = self._all if self._whole else self.numbers
        span = self._span if self._whole else None
        states = store.states[span.start: span.stop] if span else store.states[numbers]
        if (states != _RUNNING).any():
            number = int(numbers[np.argmax(states != _RUNNING)])
            raise ValueError(f"Trial {number} of the batch is {TrialState(store.state_of(number)).name}; "
                             "only running members can be changed.")
        if self._whole:
            root._finished_seen = store.n_finished


def _empty(distribution: BaseDistribution, n: int) -> np.ndarray:
    """An array for ``n`` values of ``distribution`` (object for the choices of a categorical one)."""
    if isinstance(distribution, CategoricalDistribution):
        return np.empty(n, dtype=object)
    return np.zeros(n, dtype=np.int64 if isinstance(distribution, IntDistribution) else float)


def batch_results(batch: BatchTrial, values: Any, states: Any, n_objectives: int
                  ) -> tuple[range | np.ndarray, np.ndarray, np.ndarray]:
    """The members' numbers (a range when they follow each other), states (``int8`` codes of :class:`TrialState`) and values
    ``[n, n_objectives]`` (a row of NaN: no values), checked: raises
    ``TypeError``/``ValueError`` naming the problem before anything is written."""
    n = len(batch._all)
    if isinstance(values, (str, bytes)):
        raise TypeError(f"values must be an array of numbers, got {values!r}.")
    try:
        Y = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"values must be an array of numbers, got {values!r}.") from None
    if Y.shape == (n,) and n_objectives == 1:
        Y = Y[:, None]
    if Y.shape != (n, n_objectives):
        wanted = f"({n},)" if n_objectives == 1 else f"({n}, {n_objectives})"
        raise ValueError(f"values must have shape {wanted} for a batch of {n} trials, got {Y.shape}.")
    finite = np.isfinite(Y).all(axis=1)
    if states is None:
        codes = np.where(finite, np.int8(_COMPLETE), np.int8(_FAIL))  # NaN (or inf) fails that member only
    else:
        if isinstance(states, TrialState) or len(states) != n:
            raise ValueError(f"states must be a sequence of {n} TrialState values (one per member), got {states!r}.")
        for state in states:
            if not isinstance(state, TrialState) or not state.is_finished():
                raise ValueError(f"states must be TrialState.COMPLETE, PRUNED or FAIL, got {state!r}.")
        codes = np.array([int(state) for state in states], dtype=np.int8)
        codes[(codes == _COMPLETE) & ~finite] = _FAIL  # NaN (or inf) fails that member only
    if not finite.all() or (codes == _FAIL).any():
        Y[~finite | (codes == _FAIL)] = np.nan
    return batch._span or batch._all, codes, Y


def one_value(values: Any) -> float | None:
    """The one number of ``values`` for a batch of one in a single-objective study (a
    float, or an array or list holding one), or None when ``values`` is anything else
    (:func:`batch_results` then checks it)."""
    if type(values) is np.ndarray:
        if values.shape in ((1,), (1, 1)) and values.dtype.kind == "f":
            return float(values.flat[0])
    elif type(values) is list and len(values) == 1 and type(values[0]) is float:
        return values[0]
    return None


def check_batch_arguments(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an int, got {n!r} ({type(n).__name__}).")
    if n <= 0:
        raise ValueError(f"n must be >= 1, got {n!r}.")
    return int(n)


