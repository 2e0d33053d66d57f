"""What every evaluator shares: the interface, the trials it reads, the parameters it rates.

Evaluators read the study's columnar store (encoded parameters, values, states) under the
study's lock, not one FrozenTrial per trial: a 100k-trial study is a few array slices.
FrozenTrials are built only for a user's ``target``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fasthpo._target import Target, target_values
from fasthpo.distributions import BaseDistribution
from fasthpo.study import Study
from fasthpo.trial_state import TrialState


class BaseImportanceEvaluator:
    """An importance evaluator: ``evaluate(study, params, target=...)`` returns ``{name: importance}``
    (not normalized), ordered from the most to the least important."""

    def evaluate(self, study: Study, params: list[str] | None = None, *, target: Target | None = None) -> dict[str, float]:
        raise NotImplementedError


@dataclass
class Rated:
    """The trials an evaluator rates: complete, with a finite value (or target).

    Attributes
    ----------
    numbers : ndarray of int
        Their trial numbers, ascending.
    values : ndarray
        ``[n]`` (the objective, or the target), or ``[n, k]`` (every objective of a study
        of several when no target is given); as told, not turned into minimization.
    X : ndarray
        Their encoded parameters ``[n, n_columns]`` (NaN where absent): log scale for log
        parameters, the index for choices (:mod:`fasthpo.distributions`).
    columns : dict of str to int
        The column of each parameter name in ``X``.
    """

    numbers: np.ndarray
    values: np.ndarray
    X: np.ndarray
    columns: dict[str, int]
    _records: list
    _shared: dict[str, BaseDistribution]

    def distributions(self, name: str, positions: np.ndarray) -> BaseDistribution | list[BaseDistribution | None]:
        """The distribution of ``name`` in the rated trials at ``positions``: one object when
        every complete trial has it with the same one, else one per trial (None: absent)."""
        if name in self._shared:
            return self._shared[name]
        return [self._records[n].distributions.get(name) for n in self.numbers[positions].tolist()]

    def last_distribution(self, name: str) -> BaseDistribution:
        """The distribution of ``name`` in the last rated trial that has it."""
        present = np.flatnonzero(~np.isnan(self.X[:, self.columns[name]]))
        return self._records[int(self.numbers[present[-1]])].distributions[name]


def rated_trials(study: Study, target: Target | None) -> Rated:
    """The complete trials whose value (or target) is finite, read from the study's store."""
    with study._lock:
        store = study._store
        store.sync()
        numbers = np.flatnonzero(store.states == TrialState.COMPLETE)
        X, columns, records = store.X[numbers], dict(store.columns), store.records
        shared = store.intersection_search_space()
        if target is not None:
            trials = [study._frozen(int(n)) for n in numbers]
        elif len(study.directions) > 1:
            values = store.Y[numbers]
        else:
            values = store.Y[numbers, 0]
    if target is not None:
        values = target_values(trials, target)
    finite = np.isfinite(values) if values.ndim == 1 else np.isfinite(values).all(axis=1)
    if len(numbers) < 2 or finite.sum() < 2:
        raise ValueError(
            f"Parameter importance needs at least 2 complete trials with a finite value; the study has "
            f"{len(numbers)} complete trial(s), {int(finite.sum())} of them finite."
        )
    return Rated(numbers[finite], values[finite], X[finite], columns, records, shared)


def rated_params(rated: Rated, params: list[str] | None, in_all: bool) -> list[str]:
    """``params`` checked against the rated trials' parameters (in every trial when ``in_all``),
    or all of those, sorted."""
    if params is not None and (isinstance(params, str) or not all(isinstance(p, str) for p in params)):
        raise TypeError(f"params must be a list of parameter names, got {params!r}.")
    present = ~np.isnan(rated.X)
    seen = present.all(axis=0) if in_all else present.any(axis=0)
    known = {name for name, j in rated.columns.items() if seen[j]}
    if params is None:
        return sorted(known)
    unknown = [p for p in params if p not in known]
    if unknown:
        where = "every complete trial" if in_all else "the complete trials"
        raise ValueError(f"Unknown parameter(s) {unknown}; {where} have {sorted(known)}.")
    return list(params)


def ranked(importances: dict[str, float]) -> dict[str, float]:
    """The importances from the largest to the smallest."""
    return dict(sorted(importances.items(), key=lambda item: -item[1]))


def normalized(importances: dict[str, float]) -> dict[str, float]:
    total = math.fsum(importances.values())
    if total == 0:
        return {name: 1.0 / len(importances) for name in importances}
    return {name: value / total for name, value in importances.items()}
