"""CMA-ES sampler: the covariance matrix adaptation evolution strategy over the numeric
parameters shared by all trials, with IPOP/BIPOP restarts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution, CategoricalDistribution
from fasthpo.distributions import FloatDistribution, IntDistribution
from fasthpo.samplers._cma import CMA, CMAwM, SepCMA, warm_start
from fasthpo.samplers.base import BaseSampler, JointSampler, check_seed
from fasthpo.samplers.random import RandomSampler
from fasthpo.trial_state import TrialState

__all__ = ["CmaEsSampler"]

RESTART_KEY, GENERATION_KEY, INIT_KEY, RAW_KEY = "cma:restart", "cma:generation", "cma:init", "cma:raw"


class CmaEsSampler(JointSampler):
    """CMA-ES over the numeric parameters every finished trial has (categorical ones go
    to ``independent_sampler``), in the unit cube (log parameters on their log scale).

    The optimizer lives in the sampler: each trial records its restart and generation as
    system attributes, a generation is told as soon as ``popsize`` of its results are
    in (results of parallel workers from older generations of the same restart are told
    with the next one, not thrown away), and a new process rebuilds the state by
    replaying the trials of the current restart.

    Parameters
    ----------
    x0 : dict, optional
        Initial mean by parameter name (user values); the centre by default.
    sigma0 : float, optional
        Initial step size in the unit cube; 1/6 by default.
    n_startup_trials : int
        Independent suggestions before CMA-ES starts.
    independent_sampler : BaseSampler, optional
        For parameters outside the joint space (RandomSampler by default).
    seed : int, optional
    consider_pruned_trials : bool
        Tell pruned trials with their last intermediate value.
    restart_strategy : {None, "ipop", "bipop"}
        Restart when the optimizer stops making progress: with a population
        ``inc_popsize`` times larger each time (IPOP, Auger & Hansen 2005), or
        alternating large and small populations by evaluation budget (BIPOP, Hansen 2009).
    popsize : int, optional
        lambda; 4 + floor(3 ln n) by default.
    inc_popsize : int
        Population growth factor of the restarts.
    use_separable_cma : bool
        Diagonal covariance, O(n) per solution (for hundreds to thousands of parameters).
    source_trials : list of FrozenTrial, optional
        COMPLETE trials of a related study (same parameters, same direction) to start
        from: warm-starting CMA-ES (Nomura et al. 2021) takes the mean and covariance of
        the best 10% of them.
    with_margin : bool
        CMA-ES with margin (Hamano et al. 2022) for integer and stepped parameters (on a
        linear scale), so that they keep moving between grid values.
    lr_adapt : bool
        Learning-rate adaptation (Nomura et al. 2023), for multimodal or noisy problems.

    Examples
    --------
    >>> import fasthpo
    >>> sampler = fasthpo.samplers.CmaEsSampler(seed=0)
    >>> study = fasthpo.create_study(sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 + t.suggest_float("y", -5, 5) ** 2,
    ...                n_trials=150)
    >>> study.best_value < 0.01
    True
    """

    def __init__(self, x0: dict[str, Any] | None = None, sigma0: float | None = None, n_startup_trials: int = 1,
                 independent_sampler: BaseSampler | None = None, warn_independent_sampling: bool = True,
                 seed: int | None = None, *, consider_pruned_trials: bool = False,
                 restart_strategy: str | None = None, popsize: int | None = None, inc_popsize: int = 2,
                 use_separable_cma: bool = False, with_margin: bool = False, lr_adapt: bool = False,
                 source_trials: list | None = None) -> None:
        if x0 is not None and not isinstance(x0, dict):
            raise TypeError(f"x0 must be a dict of parameter values or None, got {x0!r}.")
        if sigma0 is not None and (isinstance(sigma0, bool) or not isinstance(sigma0, (int, float))
                                   or not 0 < sigma0 < math.inf):
            raise ValueError(f"sigma0 must be a finite number > 0, got {sigma0!r}.")
        for name, value, minimum in (("n_startup_trials", n_startup_trials, 0), ("inc_popsize", inc_popsize, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
        if popsize is not None and (isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2):
            raise ValueError(f"popsize must be an int >= 2 or None, got {popsize!r}.")
        if restart_strategy not in (None, "ipop", "bipop"):
            raise ValueError(f"restart_strategy must be None, 'ipop' or 'bipop', got {restart_strategy!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(f"independent_sampler must be a fasthpo sampler, got {independent_sampler!r}.")
        if sum([use_separable_cma, with_margin, lr_adapt]) > 1:
            raise ValueError("use_separable_cma, with_margin and lr_adapt are exclusive; choose one.")
        if source_trials is not None and (x0 is not None or sigma0 is not None or use_separable_cma or with_margin):
            raise ValueError("source_trials sets the initial mean, step size and covariance itself; it cannot be "
                             "combined with x0, sigma0, use_separable_cma or with_margin.")
        self._source_trials = source_trials
        if use_separable_cma and restart_strategy == "bipop":
            raise ValueError("restart_strategy='bipop' needs the full covariance (use_separable_cma=False).")
        seed = check_seed(seed)
        self._x0 = x0
        self._sigma0 = sigma0
        self._n_startup_trials = n_startup_trials
        self._independent = independent_sampler or RandomSampler(seed=seed)
        self._consider_pruned = consider_pruned_trials
        self._restart_strategy = restart_strategy
        self._popsize = popsize
        self._inc_popsize = inc_popsize
        self._kind = "separable" if use_separable_cma else "margin" if with_margin else (
            "lr_adapt" if lr_adapt else "full")
        self._rng = np.random.default_rng(seed)
        self._run: _Run | None = None
        self._space: tuple = (None, {})

    # ------------------------------------------------------------ interface
    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        key = (history.key, history.n_finished)  # the intersection only changes when trials finish
        if self._space[0] != key:
            space = history.intersection_search_space(include_pruned=self._consider_pruned)
            self._space = (key, {name: d for name, d in sorted(space.items())
                                 if not d.single() and not isinstance(d, CategoricalDistribution)})
        return self._space[1]

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        """One solution per trial, from the current generation (a generation is a batch
        of ``popsize``); each row's attributes record its restart and generation."""
        if history.n_objectives > 1:
            raise ValueError("CmaEsSampler optimizes one objective; this study has several.")
        if len(history.rows_in(TrialState.COMPLETE)) < self._n_startup_trials:
            return Proposal.empty(len(numbers), len(space))
        run = self._current_run(history, space.as_dict())
        X = np.empty((len(numbers), len(space)))
        attrs = []
        for i, number in enumerate(numbers):
            x, raw = run.ask(self._rng)
            X[i] = run.low + x * run.width
            row: dict[str, Any] = {RESTART_KEY: run.restart, GENERATION_KEY: run.optimizer.generation}
            if run.discrete.any():  # margin: tell the raw coordinates, not the rounded ones
                row[RAW_KEY] = raw[run.discrete].tolist()
            if run.first_asked is None:
                run.first_asked = number
                row[INIT_KEY] = run.init_record()
            attrs.append(row)
        return Proposal(X, attrs)

    def after_trial(self, history: History, number: int, state: TrialState,
                    values: Sequence[float] | None) -> dict[str, Any] | None:
        attrs = super().after_trial(history, number, state, values)
        run = self._run
        if run is None or run.key != history.key or history.system_attrs(number).get(RESTART_KEY) != run.restart:
            return attrs
        value = self._value_of(history, number, state)
        if value is not None:
            self._take(history, run, number, value)
        return attrs

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        super().reseed_rng()

    # ---------------------------------------------------------------- state
    def _value_of(self, history: History, number: int, state: int) -> float | None:
        """The loss CMA-ES is told for a finished trial (None: not told)."""
        if state == TrialState.COMPLETE:
            value = float(history.Y[number, 0])
        elif state == TrialState.PRUNED and self._consider_pruned:
            reported = history.intermediate_values(number)
            if not reported:
                return None
            value = reported[max(reported)]
            value = -value if history.directions[0].name == "MAXIMIZE" else value
        else:
            return None
        return None if math.isnan(value) else value

    def _take(self, history: History, run: _Run, number: int, value: float) -> None:
        """Add a result; tell a generation when ``popsize`` are in; restart when stuck."""
        x = run.encode(history.X[number, run.columns])
        raw = history.system_attrs(number).get(RAW_KEY)
        if raw is not None:
            x[run.discrete] = raw
        run.results.append((x, value))
        if len(run.results) < run.optimizer.popsize:
            return
        told, run.results = run.results[: run.optimizer.popsize], run.results[run.optimizer.popsize:]
        run.optimizer.tell(np.array([x for x, _ in told]), np.array([v for _, v in told]))
        if self._restart_strategy is not None and run.optimizer.should_stop():
            self._run = run.restarted(history, self._restart_strategy, self._inc_popsize, self._rng)

    def _current_run(self, history: History, search_space: dict[str, BaseDistribution]) -> _Run:
        names = list(search_space)
        run = self._run
        if run is None or run.key != history.key or run.names != names:
            run = self._run = self._rebuild(history, search_space)
        return run

    def _rebuild(self, history: History, search_space: dict[str, BaseDistribution]) -> _Run:
        """A fresh optimizer, or the current restart replayed from the trials' records."""
        names = list(search_space)
        latest = None
        for number in range(history.n_trials):  # once per process: find the newest restart
            attrs = history.system_attrs(number)
            if INIT_KEY in attrs and attrs[INIT_KEY].get("names") == names:
                latest = number
        if latest is None:
            if self._source_trials:
                mean, sigma, cov = self._warm_start(history, search_space)
                return _Run.new(history, search_space, mean, sigma, self._popsize, self._kind, cov=cov)
            return _Run.new(history, search_space, self._initial_mean(search_space), self._sigma0 or 1 / 6,
                            self._popsize, self._kind)
        init = history.system_attrs(latest)[INIT_KEY]
        run = _Run.from_record(history, search_space, init, self._kind)
        run.first_asked = latest
        for number in range(latest, history.n_trials):
            if history.system_attrs(number).get(RESTART_KEY) == run.restart:
                value = self._value_of(history, number, history.state_of(number))
                if value is not None:
                    self._run = run
                    self._take(history, run, number, value)
                    run = self._run
        return run

    def _warm_start(self, history: History, search_space: dict[str, BaseDistribution]):
        """WS-CMA-ES start from the source trials that have every parameter of the space."""
        sign = -1.0 if history.directions[0].name == "MAXIMIZE" else 1.0
        bounds = np.array([d.sampling_bounds() for d in search_space.values()])
        rows, values = [], []
        for trial in self._source_trials:
            if trial.state == TrialState.COMPLETE and all(n in trial.params for n in search_space):
                internal = [d.to_internal(trial.params[n]) for n, d in search_space.items()]
                rows.append((np.array(internal) - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0]))
                values.append(sign * trial.value)
        if not rows:
            raise ValueError("source_trials holds no COMPLETE trial with every parameter of the search space.")
        return warm_start(np.array(rows), np.array(values))

    def _initial_mean(self, search_space: dict[str, BaseDistribution]) -> np.ndarray:
        mean = np.full(len(search_space), 0.5)
        for j, (name, distribution) in enumerate(search_space.items()):
            if self._x0 is not None and name in self._x0:
                low, high = distribution.sampling_bounds()
                mean[j] = (distribution.to_internal(self._x0[name]) - low) / (high - low)
        return mean


class _Run:
    """One CMA-ES run (a restart) over a search space mapped to the unit cube."""

    def __init__(self, history: History, search_space: dict[str, BaseDistribution], optimizer, restart: int,
                 budget: dict[str, Any]) -> None:
        self.key = history.key
        self.names = list(search_space)
        self.columns = [history.columns[n] for n in self.names]
        bounds = np.array([d.sampling_bounds() for d in search_space.values()])
        self.low, self.width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
        self.search_space = search_space
        self.optimizer = optimizer
        self.restart = restart
        self.budget = budget  # restart bookkeeping: popsize0, sigma0, evaluations per population type
        self.results: list[tuple[np.ndarray, float]] = []
        self.first_asked: int | None = None
        self.initial_mean = optimizer.mean.copy()
        self.initial_sigma = optimizer.sigma
        self.initial_cov = None

    @classmethod
    def new(cls, history, search_space, mean, sigma, popsize, kind, restart=0, budget=None, cov=None) -> _Run:
        optimizer = _optimizer(kind, search_space, mean, sigma, popsize, cov)
        budget = budget or {"popsize0": optimizer.popsize, "sigma0": sigma, "small": 0, "large": 0,
                            "type": "large", "n_restarts": 0}
        run = cls(history, search_space, optimizer, restart, budget)
        run.kind = kind
        run.initial_cov = None if cov is None else np.array(cov)
        return run

    @classmethod
    def from_record(cls, history, search_space, init: dict, kind: str) -> _Run:
        cov = np.array(init["cov"]) if "cov" in init else None
        return cls.new(history, search_space, np.array(init["mean"]), init["sigma"], init["popsize"], kind,
                       init["restart"], dict(init["budget"]), cov)

    def init_record(self) -> dict:
        record = {"names": self.names, "restart": self.restart, "mean": self.initial_mean.tolist(),
                  "sigma": self.initial_sigma, "popsize": self.optimizer.popsize, "budget": dict(self.budget)}
        if self.initial_cov is not None:  # a warm start
            record["cov"] = self.initial_cov.tolist()
        return record

    def encode(self, internal: np.ndarray) -> np.ndarray:
        return (internal - self.low) / self.width

    @property
    def discrete(self) -> np.ndarray:
        """Mask of the coordinates CMA-ES with margin rounds (none for the other variants)."""
        if not isinstance(self.optimizer, CMAwM):
            return np.zeros(len(self.names), dtype=bool)
        mask = np.zeros(len(self.names), dtype=bool)
        mask[self.optimizer.discrete] = True
        return mask

    def ask(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One solution in the unit cube and its raw form: resampled up to 10 n times (as
        the cmaes library under Optuna does) until the continuous coordinates are inside,
        then a fresh one clipped (discrete ones are rounded to their grid by the margin
        variant)."""
        n, continuous = len(self.names), ~self.discrete
        for _ in range(10 * n):
            raw = self.optimizer.sample(rng.standard_normal((1, n)))[0]
            if np.all((raw[continuous] >= 0) & (raw[continuous] <= 1)):
                break
        else:  # a fresh draw, clipped: the last one is outside by construction
            raw = self.optimizer.sample(rng.standard_normal((1, n)))[0]
            raw = np.where(continuous, np.clip(raw, 0.0, 1.0), raw)
        x = self.optimizer.encode(raw[None])[0] if isinstance(self.optimizer, CMAwM) else raw
        return x, raw

    def restarted(self, history: History, strategy: str, inc_popsize: int, rng: np.random.Generator) -> _Run:
        """The next run: IPOP grows the population; BIPOP alternates a large population
        with small ones of random size while their evaluations lag behind (Hansen 2009)."""
        budget = dict(self.budget)
        budget["n_restarts"] += 1
        popsize0, k = budget["popsize0"], budget["n_restarts"]
        if strategy == "ipop":
            popsize = popsize0 * inc_popsize**k
        else:
            budget[budget["type"]] += self.optimizer.popsize * self.optimizer.generation
            if budget["small"] < budget["large"]:
                budget["type"] = "small"
                popsize = max(2, math.floor(popsize0 * (inc_popsize**k) ** (rng.uniform() ** 2)))
            else:
                budget["type"] = "large"
                popsize = popsize0 * inc_popsize**k
        mean = rng.uniform(size=len(self.names))
        return _Run.new(history, self.search_space, mean, budget["sigma0"], popsize, self.kind, self.restart + 1,
                        budget)


def _optimizer(kind: str, search_space: dict[str, BaseDistribution], mean: np.ndarray, sigma: float,
               popsize: int | None, cov: np.ndarray | None = None):
    if kind == "separable":
        return SepCMA(mean, sigma, popsize)
    if kind == "lr_adapt":
        return CMA(mean, sigma, popsize, lr_adapt=True)
    if kind == "margin":
        grid = [_unit_grid(d) for d in search_space.values()]
        if any(step > 0 for _, step, _ in grid):
            low, step, size = (np.array(c) for c in zip(*grid))
            return CMAwM(mean, sigma, low, step, size, popsize)
    return CMA(mean, sigma, popsize, cov=cov)


def _unit_grid(distribution: BaseDistribution) -> tuple[float, float, int]:
    """(first grid value, step, number of values) in the unit cube of the sampling
    bounds; step 0 for continuous and log-scale parameters (margin needs an even grid)."""
    step = getattr(distribution, "step", None)
    if step is None or distribution.log or not isinstance(distribution, (IntDistribution, FloatDistribution)):
        return 0.0, 0.0, 0
    low, high = distribution.sampling_bounds()
    width = high - low
    return 0.5 * step / width, step / width, int(round((distribution.high - distribution.low) / step)) + 1
