"""Gaussian-process Bayesian optimization with log expected improvement, on numpy and
scipy alone (no torch): Matérn-5/2 ARD kernel, hyperparameters by maximum a posteriori
with L-BFGS-B on analytic gradients, acquisition maximized by a quasi-random sweep and
batched local searches. Model choices follow Optuna 5's GPSampler."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import scipy.optimize
from scipy.stats import qmc

from fasthpo._kernels.lbfgsb import batched_lbfgsb
from fasthpo._constraints import CONSTRAINTS_KEY, constraint_values
from fasthpo._kernels import gp as kernels
from fasthpo._threads import single_threaded_blas, threads_for
from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution, CategoricalDistribution
from fasthpo.samplers.base import BaseSampler, JointSampler, check_seed
from fasthpo.samplers.random import RandomSampler
from fasthpo.trial_state import TrialState


__all__ = ["GPSampler"]

MINIMUM_NOISE = 1e-6  # noise variance floor (of standardized values), as in Optuna
N_SWEEP = 2048  # quasi-random candidates per acquisition
N_LOCAL = 10  # local searches per suggestion
N_FANTASIES = 16  # joint-posterior samples of the running trials' values
FANTASY_JITTER = 1e-10  # noise of a fantasized value, relative to the signal variance
REJECTED_LOSS = 1e300  # loss of hyperparameters the likelihood cannot be evaluated at
REFIT_FTOL = 1e-4  # a warm-started refit stops when an iteration gains at most this, relative
REFIT_GAIN = 0.1  # nats: refits that gain less than this come less often
THREAD_GRAIN = 2**16  # (query row, history row) pairs of acquisition work that pay for a thread
ACQUISITIONS = ("logEI", "PI", "UCB", "hedge")
PORTFOLIO = ("logEI", "PI", "UCB")  # what "hedge" chooses among
PI_MARGIN = 0.01  # PI counts improvements by more than this (standardized values)
UCB_DELTA = 0.1  # confidence parameter of UCB's beta_t
HEDGE_ETA = 1.0  # softmax temperature of hedge's cumulative gains (standardized values)
PAREGO_RHO = 0.05  # weight of the sum in ParEGO's augmented Chebyshev scalarization (Knowles 2006)


def ucb_beta(d: int, t: int) -> float:
    """beta_t = 2 log(t^(d/2 + 2) pi^2 / (3 delta)) (Srinivas et al. 2010, Brochu et al.'s
    tutorial form), divided by 5 as in Srinivas et al.'s experiments."""
    return 2.0 * ((d / 2 + 2) * math.log(max(t, 1)) + math.log(math.pi**2 / (3 * UCB_DELTA))) / 5


def log_prior(ils: np.ndarray, scale: float, noise: float) -> tuple[float, np.ndarray]:
    """Log prior and its gradient in (ils, scale, noise): -(0.1/ils + 0.1 ils) per
    lengthscale, Gamma(2, 1) on the signal variance, Gamma(1.1, 30) on the noise
    (Optuna 5's default prior, unnormalized)."""
    value = -np.sum(0.1 / ils + 0.1 * ils) + (np.log(scale) - scale) + (0.1 * np.log(noise) - 30 * noise)
    grad = np.concatenate([0.1 / ils**2 - 0.1, [1 / scale - 1, 0.1 / noise - 30]])
    return float(value), grad


def standardize(values: np.ndarray) -> tuple[np.ndarray, float]:
    """``(values - mean) / std`` and where 0 lands. The values are first divided by their
    largest magnitude, which changes neither, so that values near the float limit (1e200)
    do not overflow the variance and tiny ones (1e-200) do not fall under the std floor."""
    values = values / (float(np.abs(values).max()) or 1.0)
    mean, std = values.mean(), max(values.std(), 1e-10)
    return (values - mean) / std, -mean / std


SOBOL_BITS = 30  # digits of a Sobol coordinate (scipy's)


@lru_cache(maxsize=64)
def _sobol_directions(d: int, m: int) -> np.ndarray:
    """The first ``m`` direction numbers of each of ``d`` Sobol coordinates, [d, m] integers
    of ``SOBOL_BITS`` digits (Joe and Kuo's, read off scipy's unscrambled generator: point
    ``2^(k+1) - 1`` in its Gray-code order is direction number k)."""
    points = qmc.Sobol(d, scramble=False).random_base2(m + 1) * 2.0**SOBOL_BITS  # exact integers
    return points[2 ** np.arange(1, m + 1) - 1].astype(np.int64).T


def scrambled_sobol(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The ``n`` points (a power of 2) of a Sobol net in [0, 1)^d under a fresh random
    linear matrix scramble and digital shift (Matousek 1998; what scipy's
    ``qmc.Sobol(scramble=True)`` draws): the digits of each coordinate's direction numbers
    are multiplied by a random lower-triangular binary matrix with a unit diagonal, the
    points XORed with a random word. The scramble keeps the net's strata (one point in
    each of the n equal cells of every coordinate, and in every elementary box of
    volume 1/n of the first two). Scrambling the direction numbers and building the
    points by XOR-doubling costs ~0.5 ms at d = 20, against ~3 ms for scipy's
    generator built anew (a kept net with only a new shift was worse on rastrigin-3d:
    median 14.5 against 11.6 over 30 seeds, p = 0.03)."""
    m = int(n).bit_length() - 1
    if n != 1 << m:
        raise ValueError(f"n must be a power of 2, got {n}.")
    weights = 1 << np.arange(SOBOL_BITS - 1, -1, -1, dtype=np.int64)  # digit t is worth 2^(BITS-1-t)
    digits = ((_sobol_directions(d, m)[:, :, None] & weights) != 0).astype(float)  # [d, m, BITS]
    lower = np.tril(rng.integers(0, 2, (d, SOBOL_BITS, SOBOL_BITS)), -1) + np.eye(SOBOL_BITS)
    # digit u of a scrambled direction number: sum over t <= u of lower[u, t] digit t, mod 2
    directions = (np.matmul(digits, lower.transpose(0, 2, 1)).astype(np.int64) & 1) @ weights  # [d, m]
    points = rng.integers(0, 1 << SOBOL_BITS, (1, d), dtype=np.int64)  # the shift: point 0
    for k in range(m):  # points 0 .. 2^(k+1) - 1: the ones before, then those XOR direction k
        points = np.vstack([points, points ^ directions[:, k]])
    return points * 2.0**-SOBOL_BITS


class _Model:
    """A GP on standardized data with fixed hyperparameters: the Cholesky factor and the
    weights the acquisition needs. ``L`` may be handed in (extended incrementally)."""

    def __init__(self, X, y, is_cat, raw, deterministic, L=None):
        self.X, self.y, self.is_cat, self.raw = X, y, is_cat, raw
        d = X.shape[1]
        self.ils, self.scale = np.exp(raw[:d]), float(np.exp(raw[d]))
        self.noise = MINIMUM_NOISE if deterministic else MINIMUM_NOISE + float(np.exp(raw[d + 1]))
        if L is None:
            L = self.covariance(X)
            kernels.cholesky(L)
        self.L = L
        self.alpha = np.ascontiguousarray(self.weights(y.reshape(-1, 1))[:, 0])  # K^-1 y
        self.alphas = self.alpha[:, None].copy()  # a column per fantasy once running trials are in
        self.fantasy_best = np.array([np.inf])  # each fantasy's best running value

    @cached_property
    def L_inv(self) -> np.ndarray:
        """L^-1, for the acquisition (a product with it is much faster than solves with L)."""
        return kernels.triangular_inverse(self.L)

    def weights(self, Y: np.ndarray) -> np.ndarray:
        """K^-1 Y for the columns of Y."""
        W = np.array(Y, dtype=float, order="C")
        kernels.solve_lower(self.L, W, False)
        kernels.solve_lower(self.L, W, True)
        return W

    def joint_posterior(self, Xr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the latent values at the rows of Xr."""
        Kr = kernels.kernel_matrix(Xr, self.X, self.ils, self.is_cat, self.scale)
        V = np.array(Kr.T, order="C")
        kernels.solve_lower(self.L, V, False)
        return Kr @ self.alpha, kernels.kernel_matrix(Xr, Xr, self.ils, self.is_cat, self.scale) - V.T @ V

    def covariance(self, X: np.ndarray) -> np.ndarray:
        K = kernels.kernel_matrix(X, X, self.ils, self.is_cat, self.scale)
        K[np.diag_indices_from(K)] += self.noise
        return K

    def extended(self, X_new: np.ndarray, y: np.ndarray, deterministic: bool, noise: float | None = None) -> _Model:
        """The same hyperparameters with rows appended, observed with ``noise`` (the
        model's own by default): the factor grows in O(n^2) per row."""
        L, X = self.L, self.X
        noise = self.noise if noise is None else noise
        for row in X_new:
            k = kernels.kernel_matrix(row[None], X, self.ils, self.is_cat, self.scale)[0]
            L = kernels.cholesky_append(L, k, self.scale + noise)
            X = np.vstack([X, row])
        return _Model(np.ascontiguousarray(X), y, self.is_cat, self.raw, deterministic, L)

    def log_ei(self, Xq: np.ndarray, f_best: np.ndarray, gradient: bool,
               n_threads: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
        """log of EI averaged over the fantasies (incumbent ``f_best[s]`` in fantasy s)."""
        return kernels.log_mean_ei(np.ascontiguousarray(Xq), self.X, self.L_inv, self.alphas, self.ils, self.is_cat,
                                   self.scale, np.ascontiguousarray(f_best, dtype=float), gradient, n_threads)


class _Fit:
    """The current model of one space, the rows it was built on, the history length at
    the last refit and the number of new trials after which the next refit comes."""

    def __init__(self, rows: np.ndarray, model: _Model, n_fitted: int, interval: int) -> None:
        self.rows, self.model, self.n_fitted, self.interval = rows, model, n_fitted, interval

    def extended(self, rows: np.ndarray, X: np.ndarray, y: np.ndarray, deterministic: bool) -> _Fit:
        """The same hyperparameters on the grown history, the factor extended."""
        model = self.model.extended(X[len(self.rows):], y, deterministic)
        return _Fit(rows, model, self.n_fitted, self.interval)


def fit(X: np.ndarray, y: np.ndarray, is_cat: np.ndarray, start: np.ndarray, deterministic: bool,
        ftol: float = 2.220446049250313e-09) -> tuple[np.ndarray, float]:
    """MAP raw hyperparameters (log ils, log scale, log(noise - floor)) by L-BFGS-B from
    ``start``, which stops when an iteration improves the log posterior by at most
    ``ftol`` relative; and how much the fit improved the log posterior over ``start``."""
    d = X.shape[1]
    losses = []

    def loss(raw: np.ndarray) -> tuple[float, np.ndarray]:
        # A long line-search step can take exp(raw) to 0 or inf: that point is
        # rejected as infinitely bad instead of warning and returning NaN.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            ils, scale = np.exp(raw[:d]), float(np.exp(raw[d]))
            extra = 0.0 if deterministic else float(np.exp(raw[d + 1]))
            noise = MINIMUM_NOISE + extra
            try:
                value, grad, _ = kernels.log_marginal_likelihood(X, y, ils, is_cat, scale, noise)
            except ArithmeticError:
                return REJECTED_LOSS, np.zeros_like(raw)
            prior, prior_grad = log_prior(ils, scale, noise)
            grad = grad + prior_grad
            # chain rule to the raw (log) parameters
            raw_grad = np.concatenate([grad[:d] * ils, [grad[d] * scale, 0.0 if deterministic else grad[d + 1] * extra]])
        if not (math.isfinite(value + prior) and np.isfinite(raw_grad).all()):
            return REJECTED_LOSS, np.zeros_like(raw)
        losses.append(-(value + prior))
        return -(value + prior), -raw_grad

    result = scipy.optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-2, "ftol": ftol})
    return result.x, (losses[0] - min(losses)) if losses else 0.0


class GPSampler(JointSampler):
    """Bayesian optimization with a Gaussian process and log expected improvement (or
    probability of improvement, an upper confidence bound, or a portfolio of the three).

    Numeric parameters are scaled to [0, 1] (log parameters on their log scale, grid
    cells of integers and steps widened), categorical ones compared by equality; values
    are standardized. Running trials (other workers', and the earlier rows of an
    ``ask_batch``) enter as fantasies: joint-posterior samples of their values, with
    log EI averaged over the samples, so parallel workers spread out instead of
    crowding one point.
    While every value is equal (a flat objective says nothing), it proposes the point
    farthest from all observed and running ones, filling the space.

    With several objectives the GP models one scalarization of them per trial (ParEGO,
    Knowles 2006): the objectives are scaled to [0, 1] by the ranges observed so far,
    and each trial minimizes ``max_i w_i f_i + 0.05 sum_i w_i f_i`` under its own
    weights ``w`` drawn uniformly from the simplex, so that successive trials aim at
    different parts of the Pareto front.

    Parameters
    ----------
    seed : int, optional
    independent_sampler : BaseSampler, optional
        For parameters outside the joint space (RandomSampler by default).
    n_startup_trials : int
        Independent suggestions before the GP starts.
    deterministic_objective : bool
        Fix the noise variance at its floor (for noise-free objectives).
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` gives constraint values, feasible when all are
        <= 0 (trials can also call ``trial.set_constraint``). Each constraint gets its own
        GP, and the log probability that a point is feasible is added to its log EI, whose
        incumbent is the best feasible value.
    acquisition : {"logEI", "PI", "UCB", "hedge"}
        What the next point maximizes (values to minimize; standardized):

        - ``"logEI"`` (default): log expected improvement over the best value.
        - ``"PI"``: log probability of improving on the best value by ``PI_MARGIN``.
        - ``"UCB"``: ``-mu + sqrt(beta_t) sigma`` (GP-UCB, Srinivas et al. 2010), with
          ``beta_t = 2 log(t^(d/2+2) pi^2 / (3 delta)) / 5``, ``delta = 0.1``, ``t`` trials.
        - ``"hedge"``: GP-Hedge (Brochu, Hoffman and de Freitas 2011): each of the three
          proposes its maximizer; one is drawn with probability proportional to
          ``exp(HEDGE_ETA * g)``, where a function's gain ``g`` is minus the sum of the
          current posterior mean at all its past proposals (recomputed after every refit).
          Measured against log EI (benchmarks/RESULTS.md): better on low-dimensional
          multimodal functions (Styblinski-Tang 5-D), worse in 7-20 dimensions, where
          it mostly draws the greedy PI.

        PI and UCB see running trials as a kriging believer (observed at their posterior
        mean, without noise); with constraints, PI adds the log feasibility probabilities
        as EI does and UCB adds them as a penalty.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.GPSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=20)
    >>> study.best_value < 0.01
    True
    """

    def __init__(self, *, seed: int | None = None, independent_sampler: BaseSampler | None = None,
                 n_startup_trials: int = 10, deterministic_objective: bool = False,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None,
                 acquisition: str = "logEI") -> None:
        if not isinstance(acquisition, str) or acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {', '.join(map(repr, ACQUISITIONS))}, got {acquisition!r}.")
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or n_startup_trials < 0:
            raise ValueError(f"n_startup_trials must be an int >= 0, got {n_startup_trials!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(f"independent_sampler must be a fasthpo sampler, got {independent_sampler!r}.")
        if not isinstance(deterministic_objective, bool):
            raise TypeError(f"deterministic_objective must be a bool, got {deterministic_objective!r}.")
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(f"constraints_func must be callable or None, got {constraints_func!r}.")
        self._constraints_func = constraints_func
        seed = check_seed(seed)
        self._rng = np.random.default_rng(seed)
        self._independent = independent_sampler or RandomSampler(seed=seed)
        self._n_startup_trials = n_startup_trials
        self._deterministic = deterministic_objective
        self._fits: dict[tuple, _Fit] = {}  # per space (and constraint): the current model
        self._acquisition_name = acquisition
        self._proposals: dict[tuple, list[list[np.ndarray]]] = {}  # hedge: per space, each function's proposals

    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        space = history.intersection_search_space()
        return {name: d for name, d in sorted(space.items()) if not d.single()}

    def after_trial(self, history: History, number: int, state: TrialState,
                    values: Sequence[float] | None) -> dict[str, Any] | None:
        attrs = dict(super().after_trial(history, number, state, values) or {})
        if self._constraints_func is not None and state == TrialState.COMPLETE:
            attrs[CONSTRAINTS_KEY] = constraint_values(self._constraints_func(history.frozen_trial(number)))
        return attrs or None

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        super().reseed_rng()

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        """One row per trial; each earlier row of the batch counts as a running trial for
        the later ones (fantasized, as other workers' running trials), so the rows spread out."""
        X = np.full((len(numbers), len(space)), np.nan)
        # one BLAS thread even for short histories: the sweep's triangular solves have
        # N_SWEEP columns, and threaded BLAS on a busy machine was 10-100x slower here
        with single_threaded_blas(max(history.n_trials, N_SWEEP)):
            for i, number in enumerate(numbers):
                row = self._sample(history, number, space.as_dict(), X[:i])
                if row is None:
                    break
                X[i] = row
        return Proposal(X)

    def _sample(self, history: History, number: int, search_space: dict[str, BaseDistribution],
                earlier: np.ndarray) -> list[float] | None:
        names = list(search_space)
        columns = [history.columns[n] for n in names]
        complete = history.rows_in(TrialState.COMPLETE)
        X = history.X[np.ix_(complete, columns)]
        keep = ~np.isnan(X).any(axis=1)
        if keep.sum() < self._n_startup_trials:
            return None
        space = _UnitCube(search_space)
        X = np.ascontiguousarray(space.encode(X[keep]))
        values = self._scalarized(history.Y[complete[keep]])
        running = np.vstack([self._running_points(history, columns, space, number), space.encode(earlier)])
        if not np.ptp(values) > 0:  # equal values say nothing: fill the space instead
            return space.decode(self._farthest_point(space, np.vstack([X, running])))
        y, _ = standardize(values)
        rows = complete[keep]
        key = tuple(names)
        model = self._model(key, rows, X, y, space.is_cat)
        fantasy = self._with_fantasies(model, running)
        incumbent = X[int(np.argmin(y))]
        if self._acquisition_name != "hedge":
            acquisition = self._acquisition(history, key, rows, X, y, fantasy, self._acquisition_name)
            return space.decode(self._maximize(acquisition, space, len(fantasy.X), incumbent))
        proposals = [self._maximize(self._acquisition(history, key, rows, X, y, fantasy, name), space,
                                    len(fantasy.X), incumbent) for name in PORTFOLIO]
        return space.decode(proposals[self._hedge(key, model, proposals)])

    def _scalarized(self, Y: np.ndarray) -> np.ndarray:
        """One value per row: the objective, or with several objectives ParEGO's augmented
        Chebyshev scalarization under weights drawn anew from the uniform distribution on
        the simplex (Knowles 2006), of the objectives scaled to [0, 1] by their ranges."""
        if Y.shape[1] == 1 or len(Y) == 0:
            return Y[:, 0]
        span = np.ptp(Y, axis=0)
        scaled = (Y - Y.min(axis=0)) / np.where(span > 0, span, 1.0)
        weighted = scaled * self._rng.dirichlet(np.ones(Y.shape[1]))
        return weighted.max(axis=1) + PAREGO_RHO * weighted.sum(axis=1)

    def _hedge(self, key: tuple, model: _Model, proposals: list[np.ndarray]) -> int:
        """GP-Hedge's choice among the portfolio's proposals: softmax of the gains (minus
        the summed posterior mean at each function's past proposals, under the current
        model); then the proposals join the past ones."""
        past = self._proposals.setdefault(key, [[] for _ in PORTFOLIO])
        gains = np.zeros(len(PORTFOLIO))
        for i, points in enumerate(past):
            if points:
                mean = kernels.posterior_with_gradient(np.array(points), model.X, model.L, model.alpha, model.ils,
                                                       model.is_cat, model.scale, False)[0]
                gains[i] = -mean.sum()
        weights = np.exp(HEDGE_ETA * (gains - gains.max()))
        choice = int(self._rng.choice(len(PORTFOLIO), p=weights / weights.sum()))
        for points, x in zip(past, proposals):
            points.append(x)
        return choice

    def _acquisition(self, history: History, key: tuple, rows: np.ndarray, X: np.ndarray, y: np.ndarray,
                     model: _Model, name: str) -> _Acquisition:
        """The acquisition ``name``, plus log P(feasible) from one GP per constraint when
        every trial has them."""
        beta = ucb_beta(X.shape[1], len(rows))
        constraints = []
        for r in rows:  # without constraints the first row ends the loop
            constraints.append(list(history.constraints(r).values()))
            if not constraints[-1]:
                return _Acquisition(model, float(y.min()), [], name, beta)
        if len({len(c) for c in constraints}) != 1:
            return _Acquisition(model, float(y.min()), [], name, beta)
        C = np.array(constraints, dtype=float)
        feasible = (C <= 0).all(axis=1)
        models = []
        for k in range(C.shape[1]):
            c, zero = standardize(C[:, k])
            models.append((self._model(key + ("constraint", k), rows, X, c, model.is_cat), zero))
        return _Acquisition(model, float(y[feasible].min()) if feasible.any() else None, models, name, beta)

    def _model(self, key: tuple, rows: np.ndarray, X: np.ndarray, y: np.ndarray, is_cat: np.ndarray) -> _Model:
        """The GP for this history. A refit starts from the last fit's hyperparameters and
        stops once an iteration improves the log posterior by at most ``REFIT_FTOL``
        relative. While refits barely move it (by less than ``REFIT_GAIN`` nats), the
        number of new trials between refits doubles, up to a tenth of the history; a refit
        that moves it brings back a refit on every new trial. Between refits the last
        factor is extended by the new rows in O(n^2) each (the values are re-standardized
        every time)."""
        last = self._fits.get(key)
        if last is not None:
            if np.array_equal(rows, last.rows) and np.array_equal(y, last.model.y):  # e.g. the next row of a batch
                return last.model
            grown = len(rows) > len(last.rows) and np.array_equal(rows[: len(last.rows)], last.rows)
            if grown and len(rows) - last.n_fitted < last.interval:
                try:
                    self._fits[key] = last.extended(rows, X, y, self._deterministic)
                    return self._fits[key].model
                except ArithmeticError:
                    pass
        try:
            start, ftol = (last.model.raw, REFIT_FTOL) if last is not None else (np.zeros(X.shape[1] + 2), 2.2e-9)
            raw, gain = fit(X, y, is_cat, start, self._deterministic, ftol)
            model = _Model(X, y, is_cat, raw, self._deterministic)
        except ArithmeticError:
            raw, gain = fit(X, y, is_cat, np.zeros(X.shape[1] + 2), self._deterministic)
            model, last = _Model(X, y, is_cat, raw, self._deterministic), None
        interval = 1 if last is None or gain >= REFIT_GAIN else min(2 * last.interval, max(1, len(rows) // 10))
        self._fits[key] = _Fit(rows, model, len(rows), interval)
        return model

    @staticmethod
    def _running_points(history: History, columns: list[int], space: _UnitCube, number: int) -> np.ndarray:
        """The encoded points of the other running trials that have every parameter."""
        running = history.rows_in(TrialState.RUNNING)
        Xr = history.X[np.ix_(running[running != number], columns)]
        return np.ascontiguousarray(space.encode(Xr[~np.isnan(Xr).any(axis=1)]))

    def _farthest_point(self, space: _UnitCube, observed: np.ndarray) -> np.ndarray:
        """The point of a scrambled Sobol sweep farthest from every observed one (maximin):
        new points fill the gaps, never repeat one while unobserved points remain."""
        candidates = space.from_unit(self._sobol(len(space.is_cat), N_SWEEP))
        return candidates[int(np.argmax(space.gaps(candidates, observed)))]

    def _sobol(self, d: int, n: int) -> np.ndarray:
        """``n`` points of a freshly scrambled Sobol net in [0, 1)^d (see
        :func:`scrambled_sobol`)."""
        return scrambled_sobol(d, n, self._rng)

    def _with_fantasies(self, model: _Model, Xr: np.ndarray) -> _Model:
        """The model conditioned on ``N_FANTASIES`` joint-posterior samples of the running
        trials' latent values, each observed without noise (a jitter of ``FANTASY_JITTER``
        times the signal variance keeps the factor definite): the variance at a running
        trial is then ~0 and so is EI there, as in q-EI, where a point adds nothing over
        a running trial at the same place. With the noise of the observed trials the
        variance there stayed near the noise, which near the optimum is as large as the
        posterior variance, and parallel asks crowded together. The fantasies share the
        running trials' inputs, hence one factor (the last one extended by their rows)
        and one variance; each has its own weights K^-1 y_s and its own incumbent (the
        best of its samples; the observed best is added by the acquisition). A running
        trial already determined by the others (a repeated point) adds no row."""
        if len(Xr) == 0:
            return model
        mean, cov = model.joint_posterior(Xr)
        w, U = np.linalg.eigh(cov)
        samples = mean + self._rng.standard_normal((N_FANTASIES, len(Xr))) @ (U * np.sqrt(np.maximum(w, 0.0))).T
        fantasy, kept = model, []
        for i in range(len(Xr)):
            try:
                fantasy = fantasy.extended(Xr[i:i + 1], np.append(fantasy.y, mean[i]), self._deterministic,
                                           FANTASY_JITTER * model.scale)
                kept.append(i)
            except ArithmeticError:
                continue
        if not kept:
            return model
        fantasy.alphas = fantasy.weights(np.vstack([np.repeat(model.y[:, None], N_FANTASIES, axis=1),
                                                    samples[:, kept].T]))
        fantasy.fantasy_best = samples.min(axis=1)
        return fantasy

    def _maximize(self, acquisition: _Acquisition, space: _UnitCube, n_observed: int,
                  incumbent: np.ndarray) -> np.ndarray:
        """Optuna's scheme: a scrambled Sobol sweep; local searches from its best point, from
        ``N_LOCAL - 2`` more drawn with probability proportional to their EI (roulette:
        spread over the promising regions) and from the best trial so far."""
        d = len(space.is_cat)
        # the sweep costs O(n^2) per point: fewer points, still a power of 2, for long histories
        n_sweep = max(256, 2 ** int(np.log2(N_SWEEP * min(1.0, 200 / n_observed))))
        sweep = space.from_unit(self._sobol(d, n_sweep))
        scores, _ = acquisition(sweep, gradient=False)
        best = int(np.argmax(scores))
        weights = np.exp(scores - scores[best])
        weights[best] = 0.0
        n_more = min(N_LOCAL - 2, int(np.count_nonzero(weights > 0)))
        more = self._rng.choice(n_sweep, n_more, replace=False, p=weights / weights.sum()) if n_more else []
        starts = np.vstack([sweep[best], sweep[more], incumbent])
        found = [(sweep[best], float(scores[best]))] + _local_searches(acquisition, space, starts)
        return max(found, key=lambda pair: pair[1])[0]


def _local_searches(acquisition: _Acquisition, space: _UnitCube, starts: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Optuna's mixed local search from each start: L-BFGS-B on the continuous
    coordinates, then each discrete coordinate (choices, integers, steps) set to its best
    value with the others fixed, in turn until no discrete coordinate changes. The runs
    advance together, so each acquisition call serves all of them."""
    X = space.snap(starts)
    continuous = space.continuous
    grids = {j: space.grid(j) for j in np.flatnonzero(~continuous)}
    for _ in range(20):
        if continuous.any():
            X[:, continuous] = _lbfgsb_runs(acquisition, X, continuous)
        moved = False
        for j, grid in grids.items():
            X[:, j], changed = _best_values_of(acquisition, X, j, grid)
            moved |= changed
        if not moved:
            break
    scores, _ = acquisition(X, gradient=False)
    return list(zip(X, scores.tolist()))


def _lbfgsb_runs(acquisition: _Acquisition, X: np.ndarray, continuous: np.ndarray) -> np.ndarray:
    """The continuous coordinates of each row of ``X`` after its own L-BFGS-B run on the
    acquisition, in coordinates divided by the lengthscales (Optuna's preconditioning:
    the acquisition then varies alike along each of them; its projected-gradient
    tolerance 1e-2)."""
    lengthscales = 1.0 / np.sqrt(acquisition.model.ils[continuous])
    every = bool(continuous.all())

    def negative_acquisition(rows: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if every:  # no fixed coordinates to fill in
            values, grads = acquisition(Z * lengthscales)
            return -values, -grads * lengthscales
        points = X[rows]
        points[:, continuous] = Z * lengthscales
        values, grads = acquisition(points)
        return -values, -grads[:, continuous] * lengthscales

    bounds = [(0.0, 1.0 / length) for length in lengthscales]
    Z = batched_lbfgsb(negative_acquisition, X[:, continuous] / lengthscales, bounds, maxiter=200, gtol=1e-2)
    return np.clip(Z * lengthscales, 0.0, 1.0)


def _best_values_of(acquisition: _Acquisition, X: np.ndarray, j: int, grid: np.ndarray) -> tuple[np.ndarray, bool]:
    """Coordinate ``j`` of each run set to the value of ``grid`` (plus the current one)
    that maximizes the acquisition, the other coordinates fixed; and whether any moved."""
    n_runs = len(X)
    options = np.repeat(X, len(grid) + 1, axis=0)  # [run * (grid + current), d]
    options[:, j] = np.column_stack([np.tile(grid, (n_runs, 1)), X[:, j]]).ravel()
    scores, _ = acquisition(options, gradient=False)
    best = options[:, j].reshape(n_runs, -1)[np.arange(n_runs), np.argmax(scores.reshape(n_runs, -1), axis=1)]
    return best, bool(np.any(best != X[:, j]))


class _Acquisition:
    """An acquisition under the objective's GP (incumbent ``f_best``; left out when no
    trial is feasible yet) plus, per constraint GP, log P(constraint <= threshold):
    ``name`` is "logEI" (averaged over the fantasies), "PI" or "UCB" (``beta``)."""

    def __init__(self, model: _Model, f_best: float | None, constraints: list[tuple[_Model, float]],
                 name: str = "logEI", beta: float = 0.0) -> None:
        self.model, self.f_best, self.constraints, self.name, self.beta = model, f_best, constraints, name, beta

    def __call__(self, Xq: np.ndarray, gradient: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Values at the rows of ``Xq`` and, with ``gradient``, their gradients (else None)."""
        Xq = np.ascontiguousarray(Xq)
        if self.f_best is None:
            value, grad = np.zeros(len(Xq)), np.zeros(Xq.shape) if gradient else None
        else:
            value, grad = self._objective_term(Xq, gradient)
        for model, threshold in self.constraints:
            v, g = kernels.log_probability_below(Xq, model.X, model.L, model.alpha, model.ils, model.is_cat,
                                                 model.scale, threshold, gradient)
            value = value + v
            if gradient:
                grad = grad + g
        return value, grad

    def _objective_term(self, Xq: np.ndarray, gradient: bool) -> tuple[np.ndarray, np.ndarray | None]:
        model = self.model
        # with constraints a running trial's value may be infeasible: no fantasy incumbents
        fantasy_best = np.inf if self.constraints else model.fantasy_best
        if self.name == "logEI":
            threads = threads_for(len(Xq) * len(model.X), THREAD_GRAIN)  # the sweep's, not the local searches'
            return model.log_ei(Xq, np.minimum(self.f_best, fantasy_best), gradient, threads)
        if self.name == "PI":  # the believer's incumbent: the best running mean counts
            f_best = min(self.f_best, float(model.y.min())) if not self.constraints else self.f_best
            return kernels.log_probability_below(Xq, model.X, model.L, model.alpha, model.ils, model.is_cat,
                                                 model.scale, f_best - PI_MARGIN, gradient)
        mean, var, dmean, dvar = kernels.posterior_with_gradient(Xq, model.X, model.L, model.alpha, model.ils,
                                                                 model.is_cat, model.scale, gradient)
        root_beta, sigma = math.sqrt(self.beta), np.sqrt(var)
        value = -mean + root_beta * sigma
        return value, (-dmean + root_beta * dvar / (2 * sigma[:, None]) if gradient else None)


class _UnitCube:
    """Numeric parameters mapped to [0, 1] over their sampling bounds; categorical ones
    kept as choice indices."""

    def __init__(self, search_space: dict[str, BaseDistribution]) -> None:
        self.distributions = list(search_space.values())
        self.is_cat = np.array([isinstance(d, CategoricalDistribution) for d in self.distributions], dtype=np.intc)
        bounds = np.array([d.sampling_bounds() for d in self.distributions])
        self.low, self.width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
        self.n_choices = np.array([len(d.choices) if isinstance(d, CategoricalDistribution) else 0
                                   for d in self.distributions])

    def encode(self, internal: np.ndarray) -> np.ndarray:
        return np.where(self.is_cat.astype(bool), internal, (internal - self.low) / self.width)

    def decode(self, x: np.ndarray) -> list[float]:
        return [float(x[j]) if self.is_cat[j] else d.round_internal(self.low[j] + x[j] * self.width[j])
                for j, d in enumerate(self.distributions)]

    @property
    def continuous(self) -> np.ndarray:
        """Mask of the coordinates without a grid (the ones L-BFGS-B moves)."""
        return np.array([not self.is_cat[j] and getattr(d, "step", None) is None
                         for j, d in enumerate(self.distributions)])

    def grid(self, j: int, max_values: int = 256) -> np.ndarray:
        """The admissible values of discrete coordinate ``j`` (choice indices, or grid
        points in [0, 1]); long grids thinned to about ``max_values``, evenly in [0, 1]."""
        d = self.distributions[j]
        if self.is_cat[j]:
            return np.arange(self.n_choices[j], dtype=float)
        if (d.high - d.low) / d.step < max_values:
            values = d.low + d.step * np.arange(int(round((d.high - d.low) / d.step)) + 1)
            internal = [math.log(v) if d.log else v for v in values]
        else:
            internal = self.low[j] + self.width[j] * np.linspace(0.0, 1.0, max_values)
        return (np.unique([d.round_internal(x) for x in internal]) - self.low[j]) / self.width[j]

    def gaps(self, candidates: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """Each candidate's squared distance to its nearest observed point (a differing
        choice counts as 1, as a full unit of a numeric coordinate)."""
        cat = self.is_cat.astype(bool)
        nearest = np.full(len(candidates), np.inf)
        for block in np.array_split(observed, max(1, len(observed) // 64)):  # bounded memory
            numeric = candidates[:, None, ~cat] - block[None, :, ~cat]
            mismatches = candidates[:, None, cat] != block[None, :, cat]
            nearest = np.minimum(nearest, ((numeric**2).sum(axis=2) + mismatches.sum(axis=2)).min(axis=1))
        return nearest

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Quasi-random points of the unit cube as admissible points (choices as indices)."""
        x = u.copy()
        cat = self.is_cat.astype(bool)
        x[:, cat] = np.minimum(np.floor(u[:, cat] * self.n_choices[cat]), self.n_choices[cat] - 1)
        return self.snap(x)

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Points moved onto admissible values: grids rounded, choice indices rounded."""
        cat = self.is_cat.astype(bool)
        out = np.clip(x, 0.0, 1.0)
        out[:, cat] = np.clip(np.round(x[:, cat]), 0, self.n_choices[cat] - 1)
        for j, d in enumerate(self.distributions):
            if not self.is_cat[j] and getattr(d, "step", None) is not None:
                internal = [d.round_internal(self.low[j] + v * self.width[j]) for v in out[:, j]]
                out[:, j] = (np.array(internal) - self.low[j]) / self.width[j]
        return out
