"""Tree-structured Parzen Estimator (Bergstra et al. 2011; Watanabe 2023, "Tree-structured
Parzen estimator: understanding its algorithm components"), with Optuna 5's choices.

Each suggestion splits the history into the best ``gamma(n)`` trials ("below") and the
rest ("above"), fits a Parzen estimator l(x) to the first and g(x) to the second, draws
``n_ei_candidates`` points from l and returns the one maximizing log l(x) - log g(x).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fasthpo.distributions import BaseDistribution
from fasthpo.samplers._parzen import Dimensions, ParzenEstimator
from fasthpo.samplers.base import BaseSampler, check_seed
from fasthpo.samplers.random import RandomSampler
from fasthpo.trial import constraint_values
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.study import Study
    from fasthpo.trial import FrozenTrial, Trial

__all__ = ["TPESampler", "default_gamma", "default_weights"]

CONSTRAINTS_KEY = "constraints"


def default_gamma(n: int) -> int:
    """Size of the "below" set: 10% of the trials, at most 25."""
    return min(math.ceil(0.1 * n), 25)


def default_weights(n: int) -> np.ndarray:
    """Observation weights: 1 for the newest 25 trials, a ramp from 1/n up for older ones."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator, the default sampler.

    Parameters
    ----------
    n_startup_trials : int
        Random suggestions until this many trials are COMPLETE or PRUNED.
    n_ei_candidates : int
        Candidates drawn from l(x) per suggestion.
    gamma : callable, optional
        ``gamma(n)`` is the number of "below" trials among ``n`` finished ones
        (default :func:`default_gamma`).
    weights : callable, optional
        ``weights(m)`` gives the weights of ``m`` observations, oldest first
        (default :func:`default_weights`).
    prior_weight : float
        Weight of the prior component (uniform-ish over the whole range).
    consider_magic_clip : bool
        Keep every bandwidth above range / min(100, m + 2).
    consider_endpoints : bool
        Let the extreme observations' bandwidths reach to the bounds.
    multivariate : bool, optional
        Sample the parameters shared by all trials jointly (default: True for one
        objective, False for several).
    group : bool
        With conditional search spaces, sample each group of parameters that always
        appear together jointly (needs ``multivariate``).
    constant_liar : bool
        Count running trials as bad ones, so parallel workers spread out.
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` returns constraint values, feasible when all
        are <= 0; infeasible trials rank after feasible ones by total violation.
        Trials can also set them with ``trial.set_constraint``.
    seed : int, optional
        The same seed gives the same suggestions.

    Examples
    --------
    >>> import fasthpo
    >>> sampler = fasthpo.samplers.TPESampler(seed=0)
    >>> study = fasthpo.create_study(sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=60)
    >>> abs(study.best_params["x"] - 1) < 0.3
    True
    """

    def __init__(
        self,
        *,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], np.ndarray] | None = None,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        multivariate: bool | None = None,
        group: bool = False,
        constant_liar: bool = True,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        seed: int | None = None,
    ) -> None:
        self._n_startup_trials = _count("n_startup_trials", n_startup_trials, minimum=0)
        self._n_ei_candidates = _count("n_ei_candidates", n_ei_candidates, minimum=1)
        for name, func in (("gamma", gamma), ("weights", weights), ("constraints_func", constraints_func)):
            if func is not None and not callable(func):
                raise TypeError(f"{name} must be callable or None, got {func!r}.")
        if isinstance(prior_weight, bool) or not isinstance(prior_weight, (int, float)) or not (
            math.isfinite(prior_weight) and prior_weight > 0
        ):
            raise ValueError(f"prior_weight must be a finite number > 0, got {prior_weight!r}.")
        for name, flag in (("consider_magic_clip", consider_magic_clip), ("consider_endpoints", consider_endpoints),
                           ("group", group), ("constant_liar", constant_liar)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {flag!r}.")
        if multivariate is not None and not isinstance(multivariate, bool):
            raise TypeError(f"multivariate must be a bool or None, got {multivariate!r}.")
        if group and multivariate is False:
            raise ValueError("group=True needs multivariate sampling; drop multivariate=False.")
        self._gamma = gamma
        self._weights = weights or default_weights
        self._prior_weight = float(prior_weight)
        self._magic_clip = consider_magic_clip
        self._endpoints = consider_endpoints
        self._multivariate = multivariate
        self._group = group
        self._constant_liar = constant_liar
        self._constraints_func = constraints_func
        seed = check_seed(seed)
        self._rng = np.random.default_rng(seed)
        self._random = RandomSampler(seed=seed)
        self._pending: dict[int, dict[str, float]] = {}  # relative params of running trials
        self._facts = _FinishedTrialFacts()

    # ------------------------------------------------------------ interface
    def _is_multivariate(self, study: Study) -> bool:
        if self._multivariate is not None:
            return self._multivariate
        return self._group or len(study.directions) == 1

    def infer_relative_search_space(self, study: Study, trial: Trial) -> dict[str, BaseDistribution]:
        if not self._is_multivariate(study):
            return {}
        space = study._store.intersection_search_space(include_pruned=True)
        return {name: d for name, d in space.items() if not d.single()}

    def sample_relative(self, study: Study, trial: Trial, search_space: dict[str, BaseDistribution]) -> dict[str, float]:
        if not search_space or self._n_done(study) < self._n_startup_trials:
            return {}
        params = self._sample(study, trial, search_space)
        if self._constant_liar:
            self._pending[trial.number] = params
        return params

    def sample_independent(self, study: Study, trial: Trial, name: str, distribution: BaseDistribution) -> float:
        if self._n_done(study) < self._n_startup_trials:
            return self._random.sample_independent(study, trial, name, distribution)
        return self._sample(study, trial, {name: distribution})[name]

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        self._pending.pop(trial.number, None)
        if self._constraints_func is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
            constraints = constraint_values(self._constraints_func(trial))
            study._store.set_system_attr(trial.number, CONSTRAINTS_KEY, constraints)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random.reseed_rng()

    # ------------------------------------------------------------- sampling
    @staticmethod
    def _n_done(study: Study) -> int:
        states = study._store.states
        return int(np.count_nonzero((states == TrialState.COMPLETE) | (states == TrialState.PRUNED)))

    def _sample(self, study: Study, trial: Trial, search_space: dict[str, BaseDistribution]) -> dict[str, float]:
        names = list(search_space)
        below_rows, above_rows = self._split(study, trial.number)
        dims = Dimensions.of([search_space[n] for n in names])
        below = self._observations(study, below_rows, names)
        above = self._observations(study, above_rows, names)
        below_weights = self._weights_of(len(below)) if len(study.directions) == 1 else np.ones(len(below))
        estimator_below = ParzenEstimator(below, dims, below_weights, self._prior_weight, self._magic_clip,
                                          self._endpoints)
        estimator_above = ParzenEstimator(above, dims, self._weights_of(len(above)), self._prior_weight,
                                          self._magic_clip, self._endpoints)
        candidates = estimator_below.sample(self._rng, self._n_ei_candidates)
        score = estimator_below.log_pdf(candidates) - estimator_above.log_pdf(candidates)
        best = candidates[int(np.argmax(score))]
        return {name: float(best[j]) for j, name in enumerate(names)}

    def _weights_of(self, m: int) -> np.ndarray:
        w = np.asarray(self._weights(m), dtype=float)[:m]
        if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or (m and w.sum() <= 0):
            raise ValueError(f"weights({m}) must return {m} finite non-negative numbers, not all zero; got {w!r}.")
        return w

    def _observations(self, study: Study, rows: np.ndarray, names: list[str]) -> np.ndarray:
        """Internal values [m, D] of the trials in ``rows`` that have every parameter."""
        store = study._store
        columns = [store.columns.get(n) for n in names]
        if any(c is None for c in columns) or len(rows) == 0:
            return np.empty((0, len(names)))
        X = store.X[np.ix_(rows, columns)]
        for i, row in enumerate(rows):  # running trials: fill in their relative params
            pending = self._pending.get(int(row))
            if pending and np.isnan(X[i]).any():
                X[i] = [pending.get(n, v) if math.isnan(v) else v for n, v in zip(names, X[i])]
        return np.ascontiguousarray(X[~np.isnan(X).any(axis=1)])

    def _split(self, study: Study, number: int) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of the "below" and "above" trials, each ascending (Optuna's order)."""
        store = study._store
        states = store.states
        complete = states == TrialState.COMPLETE
        pruned = states == TrialState.PRUNED
        n_below = self._n_below(study, int(np.count_nonzero(complete | pruned)))
        violation = self._violations(study, complete | pruned)
        feasible = violation <= 0.0
        below = []
        for rows, rank in (
            (np.flatnonzero(complete & feasible), self._rank_complete),
            (np.flatnonzero(pruned & feasible), self._rank_pruned),
            (np.flatnonzero((complete | pruned) & ~feasible), lambda s, r: np.argsort(violation[r], kind="stable")),
        ):
            take = min(n_below, len(rows))
            if take:
                below.append(rows[rank(study, rows)[:take]])
                n_below -= take
        below_rows = np.sort(np.concatenate(below)) if below else np.empty(0, dtype=np.int64)
        candidates = complete | pruned
        if self._constant_liar:
            candidates = candidates | (states == TrialState.RUNNING)
            candidates[number] = False
        candidates[below_rows] = False
        return below_rows, np.flatnonzero(candidates)

    def _n_below(self, study: Study, n: int) -> int:
        if self._gamma is not None:
            return int(self._gamma(n))
        if len(study.directions) == 1:
            return default_gamma(n)
        return min(math.ceil(0.1 * n), 25)

    @staticmethod
    def _rank_complete(study: Study, rows: np.ndarray) -> np.ndarray:
        """Order of ``rows`` from best to worst value (ties: lower number first)."""
        if len(study.directions) > 1:
            raise NotImplementedError  # replaced by the multi-objective ranking
        sign = -1.0 if study.directions[0].name == "MAXIMIZE" else 1.0
        return np.argsort(sign * study._store.Y[rows, 0], kind="stable")

    def _rank_pruned(self, study: Study, rows: np.ndarray) -> np.ndarray:
        """Pruned trials by their last step (later first), then the value there."""
        facts = self._facts
        return np.lexsort((facts.pruned_value[rows], -facts.pruned_step[rows]))

    def _violations(self, study: Study, finished: np.ndarray) -> np.ndarray:
        """Total constraint violation of every trial (0 without constraints)."""
        self._facts.update(study, finished)
        return self._facts.violation[: len(finished)]


class _FinishedTrialFacts:
    """What TPE ranks finished trials by, read once per trial from its record.

    A finished trial never changes, so each is read the first time it is seen and its
    facts kept in arrays: total constraint violation, and for pruned trials the last
    reported step and the (sign-adjusted, NaN as +inf) value there.
    """

    def __init__(self) -> None:
        self.store = None
        self.known = np.zeros(0, dtype=bool)
        self.violation = np.zeros(0)
        self.pruned_step = np.zeros(0)
        self.pruned_value = np.zeros(0)

    def update(self, study: Study, finished: np.ndarray) -> None:
        store = study._store
        n = len(finished)
        if store is not self.store:
            self.__init__()
            self.store = store
        if n > len(self.known):
            grow = max(n, 2 * len(self.known)) - len(self.known)
            self.known = np.concatenate([self.known, np.zeros(grow, dtype=bool)])
            self.violation, self.pruned_step, self.pruned_value = (
                np.concatenate([a, np.zeros(grow)]) for a in (self.violation, self.pruned_step, self.pruned_value))
        sign = -1.0 if study.directions[0].name == "MAXIMIZE" else 1.0
        for row in np.flatnonzero(finished & ~self.known[:n]):
            record = store.records[row]
            constraints = record.system_attrs.get(CONSTRAINTS_KEY)
            self.violation[row] = sum(c for c in constraints if c > 0) if constraints else 0.0
            reported = record.intermediate_values
            if reported:  # Optuna's score: (-last step, value); (1, 0) without reports
                step = max(reported)
                value = reported[step]
                self.pruned_step[row] = step
                self.pruned_value[row] = math.inf if math.isnan(value) else sign * value
            else:
                self.pruned_step[row], self.pruned_value[row] = -1.0, 0.0
            self.known[row] = True


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return int(value)
