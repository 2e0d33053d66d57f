"""Tree-structured Parzen Estimator (Bergstra et al. 2011; Watanabe 2023, "Tree-structured
Parzen estimator: understanding its algorithm components"), with Optuna 5's choices.

Each suggestion splits the history into the best ``gamma(n)`` trials ("below") and the
rest ("above"), fits a Parzen estimator l(x) to the first and g(x) to the second, draws
``n_ei_candidates`` points from l and returns the one maximizing log l(x) - log g(x).
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fasthpo._constraints import CONSTRAINTS_KEY, constraint_values
from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution
from fasthpo._kernels import hypervolume as hv_kernels
from fasthpo.samplers._parzen import Dimensions, LiedMixture, ParzenEstimator, SpaceHistory
from fasthpo.samplers.base import BaseSampler, check_seed
from fasthpo.samplers.random import RandomSampler
from fasthpo.trial_state import TrialState

__all__ = ["TPESampler", "default_gamma", "default_weights"]


_LIE_COMPONENTS_FROM = 256  # trials in g from which a batch's lies join it as components (see _sample_batch)
_COMPLETE, _PRUNED, _RUNNING, _WAITING = map(int, (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING,
                                                 TrialState.WAITING))


def default_gamma(n: int) -> int:
    """Size of the "below" set: 10% of the trials, at most 25."""
    return min(math.ceil(0.1 * n), 25)


def default_weights(n: int) -> np.ndarray:
    """Observation weights: 1 for the newest 25 trials, a ramp from 1/n up for older ones."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


@functools.lru_cache(maxsize=8)
def _cached_default_weights(n: int) -> np.ndarray:
    """:func:`default_weights` read-only, for the few sizes an ask and its neighbours use."""
    w = default_weights(n)
    w.flags.writeable = False
    return w


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
        (default: :func:`default_gamma` for one objective, ``ceil(0.1 n)`` for several).
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
        constraints_func: Callable[[Any], Sequence[float]] | None = None,
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
        self._pending: dict[int, dict[str, float]] = {}  # proposed params of running trials
        self._facts = _FinishedTrialFacts()
        self._histories: dict[tuple, SpaceHistory] = {}
        self._dimensions: dict[tuple, Dimensions] = {}
        self._groups = _GroupDecomposition()
        self._last_split: tuple = (None, None)
        self._bound = _BoundPolicy()

    # ------------------------------------------------------------ interface
    def _is_multivariate(self, history: History) -> bool:
        if self._multivariate is not None:
            return self._multivariate
        return self._group or history.n_objectives == 1

    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        if not self._is_multivariate(history):
            return {}
        if self._group:
            groups = self._groups.update(history)
            return {name: d for group in groups for name, d in group.items() if not d.single()}
        space = history.intersection_search_space(include_pruned=True)
        return {name: d for name, d in space.items() if not d.single()}

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        """One row per trial, in order; each earlier row counts as a running trial for
        the later ones (the constant liar), so a batch spreads out."""
        if self._n_done(history) < self._n_startup_trials:
            return Proposal.empty(len(numbers), len(space))
        search_space = space.as_dict()
        if not self._group:
            X = self._sample(history, numbers, search_space)
        else:
            X = np.full((len(numbers), len(space)), np.nan)
            for group in self._groups.groups:
                j = [space.names.index(name) for name in group if name in search_space]
                if j:
                    X[:, j] = self._sample(history, numbers, {space.names[i]: search_space[space.names[i]] for i in j})
        for number, row in zip(numbers, X):
            self._note_pending(number, dict(zip(space.names, row.tolist())))
        return Proposal(X)

    def propose_independent(self, history: History, name: str, distribution: BaseDistribution,
                            numbers: Sequence[int]) -> np.ndarray:
        if self._n_done(history) < self._n_startup_trials:
            return self._random.propose_independent(history, name, distribution, numbers)
        out = self._sample(history, numbers, {name: distribution})[:, 0]
        for number, value in zip(numbers, out.tolist()):
            self._note_pending(number, {name: value})
        return out

    def _note_pending(self, number: int, params: dict[str, float]) -> None:
        """Keep a running trial's proposed values, for the constant liar of later asks."""
        if self._constant_liar:
            self._pending.setdefault(number, {}).update(params)

    def after_trial(self, history: History, number: int, state: TrialState,
                    values: Sequence[float] | None) -> dict[str, Any] | None:
        self._pending.pop(number, None)
        if self._constraints_func is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
            return {CONSTRAINTS_KEY: constraint_values(self._constraints_func(history.frozen_trial(number)))}
        return None

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._random.reseed_rng()

    # ------------------------------------------------------------- sampling
    @staticmethod
    def _n_done(history: History) -> int:
        states = history.states
        return int(np.count_nonzero((states == _COMPLETE) | (states == _PRUNED)))

    def _sample(self, history: History, numbers: Sequence[int],
                search_space: dict[str, BaseDistribution]) -> np.ndarray:
        """Rows [len(numbers), D] maximizing log l(x) - log g(x), one per trial."""
        rows = np.empty((len(numbers), len(search_space)))
        for members in _same_model(history, numbers):
            rows[members] = self._sample_batch(history, [numbers[i] for i in members], search_space)
        return rows

    def _sample_batch(self, history: History, numbers: Sequence[int],
                      search_space: dict[str, BaseDistribution]) -> np.ndarray:
        """Rows for trials modelled by the same trials.

        l and g are fitted once. Each trial draws its own candidates from l; the rows
        chosen for the earlier trials of a batch join g as lied points (the constant
        liar), so the later ones look elsewhere. A g of fewer than
        ``_LIE_COMPONENTS_FROM`` trials is refitted with them (cheap; a refit also
        narrows the floor of every bandwidth, which matters while it is above its
        limit of range / 100); a larger one takes them as extra components
        (:class:`LiedMixture`), a refit's changes to its own components being then of
        the order of 1 / m, and g is evaluated only at the candidates that can win
        (:func:`_choose_with_lies`).
        """
        names = list(search_space)
        below_rows, above_rows = self._split(history, numbers)
        dims = self._dimensions_of(tuple(search_space.values()))
        columns = [history.columns.get(n) for n in names]
        below, _ = self._observations(history, below_rows, names, columns)
        below_weights = self._weights_of(len(below)) if history.n_objectives == 1 else np.ones(len(below))
        estimator_below = ParzenEstimator(below, dims, below_weights, self._prior_weight, self._magic_clip,
                                          self._endpoints)
        estimator_above = self._estimator_above(history, above_rows, names, columns, dims)
        n, size = len(numbers), self._n_ei_candidates
        candidates = estimator_below.sample(self._rng, size, n).reshape(n, size, len(names))
        flat = candidates.reshape(n * size, len(names))
        log_l = estimator_below.log_pdf(flat).reshape(n, size)
        m = estimator_above.n_observations
        if m >= _LIE_COMPONENTS_FROM and (n > 1 or self._bound.pays()):
            lies = LiedMixture(estimator_above, self._weights_of(m + 1)[-1], self._magic_clip, self._endpoints)
            rows, share = _choose_with_lies(candidates, log_l, estimator_above, lies)
            if n == 1:
                self._bound.record(share)
            return rows
        log_g = estimator_above.log_pdf(flat).reshape(n, size)
        rows = np.empty((n, len(names)))
        for i in range(n):
            if i:  # small g: refit it with the earlier members' rows
                observations = np.vstack([estimator_above.mus[:, :m].T, rows[:i]])
                g = ParzenEstimator(observations, dims, self._weights_of(m + i), self._prior_weight,
                                    self._magic_clip, self._endpoints)
                log_g[i] = g.log_pdf(candidates[i])
            rows[i] = candidates[i, int(np.argmax(log_l[i] - log_g[i]))]
        return rows

    def _estimator_above(self, history: History, rows: np.ndarray, names: list[str], columns: list[int | None],
                         dims: Dimensions) -> ParzenEstimator:
        """g(x): from the space's history when the set is large and all finished (the usual
        case), else from the gathered observations."""
        if len(rows) >= 256 and None not in columns:
            sorted_history = self._space_history(history, columns)
            if sorted_history.covers(rows):  # the usual case, in short
                return ParzenEstimator(None, dims, self._weights_of(len(rows)), self._prior_weight,
                                       self._magic_clip, self._endpoints, sorted_history, rows)
            inside = rows < len(sorted_history.in_sorted)
            inside[inside] = sorted_history.in_sorted[rows[inside]]
            members = rows[inside]
            others, _ = self._observations(history, rows[~inside], names, columns)
            if len(others) == 0 and sorted_history.covers(members):
                return ParzenEstimator(None, dims, self._weights_of(len(members)), self._prior_weight,
                                       self._magic_clip, self._endpoints, sorted_history, members)
        above, _ = self._observations(history, rows, names, columns)
        return ParzenEstimator(above, dims, self._weights_of(len(above)), self._prior_weight, self._magic_clip,
                               self._endpoints)

    def _space_history(self, history: History, columns: list[int | None]) -> SpaceHistory:
        """The :class:`SpaceHistory` of these columns, up to date with the finished trials."""
        key = (history.key, tuple(columns))
        sorted_history = self._histories.get(key)
        if sorted_history is None:
            sorted_history = self._histories[key] = SpaceHistory(columns)
        first = sorted_history.settled  # the rows before it ended and were taken in
        states = history.states[first:]
        sorted_history.add_finished(history.X, (states == _COMPLETE) | (states == _PRUNED), first)
        still_open = np.flatnonzero((states == _RUNNING) | (states == _WAITING))
        sorted_history.settled = first + (int(still_open[0]) if len(still_open) else len(states))
        return sorted_history

    def _dimensions_of(self, distributions: tuple[BaseDistribution, ...]) -> Dimensions:
        dims = self._dimensions.get(distributions)
        if dims is None:
            if len(self._dimensions) >= 64:  # a conditional space has few distinct subspaces
                self._dimensions.clear()
            dims = self._dimensions[distributions] = Dimensions.of(list(distributions))
        return dims

    def _weights_of(self, m: int) -> np.ndarray:
        if self._weights is default_weights:
            return _cached_default_weights(m)
        w = np.asarray(self._weights(m), dtype=float)[:m]
        if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or (m and w.sum() <= 0):
            raise ValueError(f"weights({m}) must return {m} finite non-negative numbers, not all zero; got {w!r}.")
        return w

    def _observations(self, history: History, rows: np.ndarray, names: list[str],
                      columns: list[int | None]) -> tuple[np.ndarray, np.ndarray]:
        """Internal values [m, D] of the trials in ``rows`` that have every parameter, and their rows."""
        if any(c is None for c in columns) or len(rows) == 0:
            return np.empty((0, len(names))), np.empty(0, dtype=np.int64)
        X = history.X[rows]
        if columns != list(range(X.shape[1])):
            X = X[:, columns]
        missing = np.flatnonzero(np.isnan(X.sum(axis=1)))
        if len(missing) == 0:
            return X, rows
        for i in missing:  # running trials: fill in their relative params
            pending = self._pending.get(int(rows[i]))
            if pending:
                X[i] = [pending.get(n, v) if math.isnan(v) else v for n, v in zip(names, X[i])]
        keep = ~np.isnan(X).any(axis=1)
        return np.ascontiguousarray(X[keep]), rows[keep]

    def _split(self, history: History, number: int | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers of the "below" and "above" trials for the new trial(s) ``number``,
        each ascending (Optuna's order); the new trials are in neither.

        The split is kept while the history stays the same, for the other parameters
        of the same trials (univariate and group sampling split once per trial).
        """
        numbers = np.atleast_1d(np.asarray(number, dtype=np.int64))
        key = (history.key, numbers.tobytes(), history.n_trials, history.n_finished)
        if self._last_split[0] != key:
            self._last_split = (key, self._compute_split(history, numbers))
        return self._last_split[1]

    def _compute_split(self, history: History, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        states = history.states
        complete = states == _COMPLETE
        pruned = states == _PRUNED
        bracket = history.model_rows(int(numbers[0]))  # the batch shares it (see _same_model)
        if bracket is not None:  # Hyperband: model only the trials of this trial's bracket
            complete, pruned = complete & bracket, pruned & bracket
        finished = complete | pruned
        n_below = self._n_below(history, int(np.count_nonzero(finished)))
        violation = history.violation  # NaN without constraints: feasible
        infeasible = violation > 0.0
        groups = []  # (trials, how to pick the best of them), in the order they fill the below set
        if infeasible.any():
            feasible = ~infeasible
            groups.append((complete & feasible, self._select_complete))
            groups.append((pruned & feasible, self._select_pruned))
            groups.append((finished & infeasible, lambda h, r, k: _stable_smallest(violation[r], k)))
        else:
            groups.append((complete, self._select_complete))
            if pruned.any():
                groups.append((pruned, self._select_pruned))
        below = []
        for mask, select in groups:
            rows = np.flatnonzero(mask)
            take = min(n_below, len(rows))
            if take:
                below.append(rows[select(history, rows, take)])
                n_below -= take
        below_rows = np.sort(np.concatenate(below) if len(below) > 1 else below[0]) if below else \
            np.empty(0, dtype=np.int64)
        candidates = finished
        if self._constant_liar:
            running = states == _RUNNING
            candidates |= running if bracket is None else running & bracket
        candidates[numbers[numbers < len(candidates)]] = False
        candidates[below_rows] = False
        return below_rows, np.flatnonzero(candidates)

    def _n_below(self, history: History, n: int) -> int:
        if self._gamma is not None:
            return int(self._gamma(n))
        if history.n_objectives == 1:
            return default_gamma(n)
        return math.ceil(0.1 * n)  # Optuna's multi-objective default: no cap

    @staticmethod
    def _select_complete(history: History, rows: np.ndarray, take: int) -> np.ndarray:
        """Positions in ``rows`` of the ``take`` best complete trials: by value (ties to
        the earlier trial), or with several objectives by Pareto rank, the last rank
        that does not fit whole thinned by greedy hypervolume subset selection."""
        losses = history.Y[rows]
        if history.n_objectives == 1:
            return _stable_smallest(losses[:, 0], take)
        return select_by_pareto_rank(np.ascontiguousarray(losses), take)

    def _select_pruned(self, history: History, rows: np.ndarray, take: int) -> np.ndarray:
        """Pruned trials by their last step (later first), then the value there."""
        states = history.states
        facts = self._facts
        facts.update(history, (states == _COMPLETE) | (states == _PRUNED))
        return np.lexsort((facts.pruned_value[rows], -facts.pruned_step[rows]))[:take]


class _GroupDecomposition:
    """Disjoint groups of parameters that always appear together in finished trials.

    Each finished trial splits every group into the part it has and the part it lacks,
    and its parameters in no group form a new one (Optuna's group-decomposed search
    space). A finished trial is taken in once.
    """

    def __init__(self) -> None:
        self.groups: list[dict[str, BaseDistribution]] = []
        self._history_key: int | None = None
        self._seen = np.zeros(0, dtype=bool)

    def update(self, history: History) -> list[dict[str, BaseDistribution]]:
        if history.key != self._history_key:
            self.__init__()
            self._history_key = history.key
        states = history.states
        finished = (states == _COMPLETE) | (states == _PRUNED)
        seen = np.zeros(len(states), dtype=bool)
        seen[: len(self._seen)] = self._seen[: len(states)]
        for row in np.flatnonzero(finished & ~seen):
            self._add(history.distributions(row))
        self._seen = seen | finished
        return self.groups

    def _add(self, distributions: dict[str, BaseDistribution]) -> None:
        names = set(distributions)
        split = []
        for group in self.groups:
            split.append({n: d for n, d in group.items() if n in names})
            split.append({n: d for n, d in group.items() if n not in names})
            names -= set(group)
        split.append({n: distributions[n] for n in distributions if n in names})
        self.groups = [g for g in split if g]


class _FinishedTrialFacts:
    """What TPE ranks finished trials by, read once per trial from its record.

    A finished trial never changes, so each is read the first time it is seen and its
    facts kept in arrays: for pruned trials the last reported step and the
    (sign-adjusted, NaN as +inf) value there.
    """

    def __init__(self) -> None:
        self.history_key: int | None = None
        self.known = np.zeros(0, dtype=bool)
        self.pruned_step = np.zeros(0)
        self.pruned_value = np.zeros(0)

    def update(self, history: History, finished: np.ndarray) -> None:
        n = len(finished)
        if history.key != self.history_key:
            self.__init__()
            self.history_key = history.key
        if n > len(self.known):
            grow = max(n, 2 * len(self.known)) - len(self.known)
            self.known = np.concatenate([self.known, np.zeros(grow, dtype=bool)])
            self.pruned_step, self.pruned_value = (
                np.concatenate([a, np.zeros(grow)]) for a in (self.pruned_step, self.pruned_value))
        sign = -1.0 if history.directions[0].name == "MAXIMIZE" else 1.0
        for row in np.flatnonzero(finished & ~self.known[:n]):
            reported = history.intermediate_values(row)
            if reported:  # Optuna's score: (-last step, value); (1, 0) without reports
                step = max(reported)
                value = reported[step]
                self.pruned_step[row] = step
                self.pruned_value[row] = math.inf if math.isnan(value) else sign * value
            else:
                self.pruned_step[row], self.pruned_value[row] = -1.0, 0.0
            self.known[row] = True


def _choose_with_lies(candidates: np.ndarray, log_l: np.ndarray, g: ParzenEstimator,
                      lies: LiedMixture) -> tuple[np.ndarray, float]:
    """Rows [n, D]: each member's candidate maximizing log l - log g', g' being g with
    the earlier members' rows as lies; ``candidates`` [n, C, D], ``log_l`` [n, C]. Also
    returns the share of the candidates g was evaluated at.

    The same choice as scoring every candidate, with g evaluated at few of them: g is
    at least its prior component's share p (a lower bound that costs one component),
    so log l - log g' <= log l - log g'(p), and a candidate whose bound is below a
    score already known cannot win. g is evaluated first at each member's candidate of
    best bound, then wherever a bound reaches that member's best score (lies only
    lower scores, so a third evaluation is rarely needed). Where g is close to its
    prior, as around a long random history, a member needs g at one or two candidates.
    """
    n, size, _ = candidates.shape
    log_g = np.full((n, size), np.nan)  # known where evaluated

    def evaluate(wanted: np.ndarray) -> None:
        todo = wanted & np.isnan(log_g)
        if todo.any():
            log_g[todo] = g.log_pdf(candidates[todo])

    floor = g.prior_log_pdf(candidates.reshape(n * size, -1)).reshape(n, size)  # log g >= floor
    bound = log_l - floor
    first = np.zeros((n, size), dtype=bool)
    first[np.arange(n), np.argmax(bound, axis=1)] = True
    evaluate(first)
    best = np.nanmax(log_l - log_g, axis=1)
    evaluate(bound >= (best - _slack(best))[:, None])
    rows = np.empty((n, candidates.shape[2]))
    for i in range(n):
        lied_floor = lies.log_pdf(candidates[i], floor[i])
        while True:
            known = ~np.isnan(log_g[i])
            score = np.full(size, -np.inf)
            score[known] = log_l[i, known] - lies.log_pdf(candidates[i, known], log_g[i, known])
            top = np.max(score)
            missing = np.isnan(log_g[i]) & (log_l[i] - lied_floor >= top - _slack(top))
            if not missing.any():
                break
            wanted = np.zeros((n, size), dtype=bool)
            wanted[i] = missing
            evaluate(wanted)
        rows[i] = candidates[i, int(np.argmax(score))]
        if i + 1 < n:
            lies.add(rows[i])
    return rows, float(np.mean(~np.isnan(log_g)))


class _BoundPolicy:
    """Whether a single ask should try :func:`_choose_with_lies`'s bound: it pays where
    g is close to its prior (a long random history), and costs one more pass over g's
    components where it is not (a converged study). After an ask that had to evaluate
    g at more than half the candidates, the next ``_PLAIN_ASKS`` asks score them all.
    Either way the choice is the same."""

    _PLAIN_ASKS = 16

    def __init__(self) -> None:
        self._plain_left = 0

    def pays(self) -> bool:
        if self._plain_left:
            self._plain_left -= 1
            return False
        return True

    def record(self, share: float) -> None:
        if share > 0.5:
            self._plain_left = self._PLAIN_ASKS


def _slack(score: np.ndarray | float) -> np.ndarray | float:
    """Room for rounding in the prior bound of :func:`_choose_with_lies` (relative error
    ~1e-15 of a log-sum-exp); larger than needed, and only costs an evaluation."""
    return 1e-7 + 1e-9 * np.abs(score)


def _same_model(history: History, numbers: Sequence[int]) -> list[list[int]]:
    """Positions of ``numbers`` grouped by the trials that model them: one group, unless
    a Hyperband pruner puts them in different brackets."""
    groups: dict[bytes | None, list[int]] = {}
    for i, number in enumerate(numbers):
        bracket = history.model_rows(number)
        groups.setdefault(None if bracket is None else np.packbits(bracket).tobytes(), []).append(i)
    return list(groups.values())


def select_by_pareto_rank(losses: np.ndarray, take: int) -> np.ndarray:
    """Positions of ``take`` rows of ``losses`` [n, k]: whole Pareto fronts while they
    fit, then a greedy hypervolume subset of the next front (Optuna's tie-break)."""
    if take >= len(losses):
        return np.arange(len(losses))
    ranks = hv_kernels.nondomination_ranks(losses, take)
    counts = np.bincount(ranks)
    whole = int(np.searchsorted(np.cumsum(counts), take, side="right"))  # fronts 0 .. whole-1 fit
    chosen = np.flatnonzero(ranks < whole)
    if len(chosen) < take:
        tied = np.flatnonzero(ranks == whole)
        chosen = np.concatenate([chosen, tied[greedy_hypervolume_subset(losses[tied], take - len(chosen))]])
    return chosen


def greedy_hypervolume_subset(losses: np.ndarray, size: int) -> np.ndarray:
    """``size`` rows of one front chosen greedily by hypervolume contribution (a
    1 - 1/e approximation, Guerreiro et al. 2016), duplicates last; the reference point
    is 1.1x the worst loss per objective (0.9x where negative; 1e-12 where zero)."""
    unique, first = np.unique(losses, axis=0, return_index=True)
    if len(unique) <= size:
        rest = np.setdiff1d(np.arange(len(losses)), first)
        return np.concatenate([first, rest[: size - len(unique)]])
    worst = unique.max(axis=0)
    reference = np.maximum(1.1 * worst, 0.9 * worst)
    reference[reference == 0] = 1e-12
    # Lazy greedy: a point's contribution only shrinks as the subset grows (submodularity),
    # so a stale contribution is an upper bound and only the top one needs refreshing.
    bounds = [(-float(np.prod(reference - row)), i) for i, row in enumerate(unique)]
    heapq.heapify(bounds)
    selected: list[int] = []
    volume = 0.0
    while len(selected) < size:
        _, i = heapq.heappop(bounds)
        gain = hv_kernels.hypervolume(unique[selected + [i]], reference) - volume
        if not bounds or gain >= -bounds[0][0]:
            selected.append(i)
            volume += gain
        else:
            heapq.heappush(bounds, (-gain, i))
    return first[selected]


def _stable_smallest(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest ``values``, ascending, ties by position: the
    first ``k`` of a stable argsort, in O(n) + O(k log k)."""
    if k >= len(values):
        return np.argsort(values, kind="stable")
    kth = np.partition(values, k - 1)[k - 1]
    chosen = np.concatenate([np.flatnonzero(values < kth), np.flatnonzero(values == kth)])[:k]
    return chosen[np.argsort(values[chosen], kind="stable")]


def _count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return int(value)
