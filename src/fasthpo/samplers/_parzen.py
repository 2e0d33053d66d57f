"""The Parzen estimator of TPE: observations in, a mixture of product kernels out.

Policy only (Optuna 5's choices): which kernel each distribution gets, the prior
component, the neighbour-gap bandwidths and the mixture weights. The numbers are
crunched by :mod:`fasthpo._kernels.parzen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from fasthpo._kernels import parzen as kernels
from fasthpo._threads import get_num_threads
from fasthpo.distributions import BaseDistribution, CategoricalDistribution

__all__ = ["Dimensions", "LiedMixture", "ParzenEstimator", "SpaceHistory"]

_MERGE_FROM = 32  # new rows from which SpaceHistory sorts them in at once


@dataclass(frozen=True)
class Dimensions:
    """Per-dimension constants of a search space, in the layout the kernels read."""

    kinds: np.ndarray  # int32 kernel kinds (kernels.CONTINUOUS ...)
    lows: np.ndarray  # sampling bounds in the internal encoding
    highs: np.ndarray
    steps: np.ndarray  # grid step; number of choices for categorical dimensions
    grid_lows: np.ndarray  # grid bounds on the user's scale (discrete dimensions)
    grid_highs: np.ndarray

    @classmethod
    def of(cls, distributions: list[BaseDistribution]) -> Dimensions:
        rows = [_dimension(d) for d in distributions]
        kinds, lows, highs, steps, grid_lows, grid_highs = (np.array(c) for c in zip(*rows))
        return cls(kinds.astype(np.int32), lows, highs, steps, grid_lows, grid_highs)

    @cached_property
    def priors(self) -> np.ndarray:
        """The prior component's centre: the middle of each range, -1 (uniform) for choices."""
        return np.where(self.kinds == kernels.CATEGORICAL, -1.0, 0.5 * (self.lows + self.highs))


def _dimension(distribution: BaseDistribution) -> tuple:
    low, high = distribution.sampling_bounds()
    if isinstance(distribution, CategoricalDistribution):
        return kernels.CATEGORICAL, low, high, float(len(distribution.choices)), 0.0, 0.0
    step = distribution.step
    if step is None:
        return kernels.CONTINUOUS, low, high, 0.0, 0.0, 0.0
    kind = kernels.DISCRETE_LOG if distribution.log else kernels.DISCRETE
    return kind, low, high, float(step), float(distribution.low), float(distribution.high)


class ParzenEstimator:
    """A mixture with one component per observation plus a prior component.

    Parameters
    ----------
    observations : ndarray [m, D]
        Internal values, one row per trial (no NaN).
    dims : Dimensions
    weights : ndarray [m]
        Non-negative observation weights; the prior adds ``prior_weight``.
    prior_weight, consider_magic_clip, consider_endpoints
        As in :class:`fasthpo.samplers.TPESampler`.
    history, rows : SpaceHistory and the trials' row numbers, optional
        For large sets of finished trials: the components are read from the history
        (``observations`` is then unused), which keeps the rows sorted and the kernel
        constants cached across suggestions.
    """

    def __init__(self, observations: np.ndarray | None, dims: Dimensions, weights: np.ndarray, prior_weight: float,
                 consider_magic_clip: bool, consider_endpoints: bool, history: SpaceHistory | None = None,
                 rows: np.ndarray | None = None) -> None:
        m = len(weights)
        self.dims = dims
        self.n_observations = m
        self.history, self.rows = history, rows
        self.total_weight = float(np.sum(weights)) + prior_weight  # of the normalized mixture
        self.cat_eps = prior_weight / (m + 1)  # Optuna's categorical kernel: prior_weight / n_kernels
        prior_mu, prior_sigma = dims.priors, dims.highs - dims.lows
        if history is not None:  # [D, m + 1] with the last column free for the prior
            self.mus, self.sigmas, sums = history.components(rows, dims, self.cat_eps, consider_magic_clip,
                                                             consider_endpoints)
        else:
            self.mus = np.empty((len(dims.kinds), m + 1))
            self.mus[:, :m] = observations.T
            self.sigmas = np.empty_like(self.mus)
            self.sigmas[:, :m] = self._bandwidths(np.ascontiguousarray(self.mus[:, :m]), consider_magic_clip,
                                                  consider_endpoints)
            sums = None
        self.mus[:, m] = prior_mu  # dimension-major like the kernels: [D, m + 1]
        self.sigmas[:, m] = prior_sigma
        if sums is None:
            sums = self._kernel_peaks(self.mus, self.sigmas).sum(axis=0)
        else:
            sums = np.append(sums, self._kernel_peaks(prior_mu[:, None], prior_sigma[:, None]).sum())
        w = np.append(weights, prior_weight) if m else np.ones(1)
        w = w / w.sum()
        self.cumulative_weights = np.cumsum(w)
        with np.errstate(divide="ignore"):
            self.log_peaks = np.log(w) + sums

    def _kernel_peaks(self, mus: np.ndarray, sigmas: np.ndarray) -> np.ndarray:
        d = self.dims
        return kernels.kernel_log_peaks(mus, sigmas, d.kinds, d.lows, d.highs, d.steps, self.cat_eps)

    def _bandwidths(self, columns: np.ndarray, magic_clip: bool, endpoints: bool) -> np.ndarray:
        order = np.argsort(columns, axis=1, kind="stable")
        sigmas = kernels.neighbour_bandwidths(columns, order, self.dims.lows, self.dims.highs, endpoints, magic_clip)
        sigmas[self.dims.kinds == kernels.CATEGORICAL] = 1.0
        return sigmas

    def sample(self, rng: np.random.Generator, size: int, groups: int = 1) -> np.ndarray:
        """``groups`` x ``size`` draws [groups * size, D] in the internal encoding; the
        uniforms come group by group, as ``groups`` calls with ``size`` would draw them."""
        D = self.mus.shape[0]
        u = rng.random((groups, size * (1 + D)))  # per group: the size uniforms, then the size x D
        u_component = np.ascontiguousarray(u[:, :size]).reshape(groups * size)
        u_dims = np.ascontiguousarray(u[:, size:]).reshape(groups * size, D)
        d = self.dims
        return kernels.mixture_sample(u_component, u_dims, self.cumulative_weights, self.mus, self.sigmas, d.kinds,
                                      d.lows, d.highs, d.steps, d.grid_lows, d.grid_highs, self.cat_eps)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """log density at each row of ``x`` [C, D] (on :func:`fasthpo.get_num_threads` threads); the
        prior component, wide and last, leads (see :func:`kernels.mixture_log_pdf`)."""
        return kernels.mixture_log_pdf(x, self.mus, self.sigmas, self.log_peaks, self.dims.kinds, self.dims.steps,
                                       self.cat_eps, get_num_threads(), self.mus.shape[1] - 1)

    def prior_log_pdf(self, x: np.ndarray) -> np.ndarray:
        """The prior component's share of the log density at each row of ``x`` [C, D]: a
        lower bound of :meth:`log_pdf` (to rounding), computed the way the mixture
        computes that component."""
        return kernels.mixture_log_pdf(x, np.ascontiguousarray(self.mus[:, -1:]),
                                       np.ascontiguousarray(self.sigmas[:, -1:]), self.log_peaks[-1:],
                                       self.dims.kinds, self.dims.steps, self.cat_eps)


class LiedMixture:
    """g(x) with the rows already chosen for a batch added as components (the constant
    liar), without refitting g.

    A lied row enters as one more component of weight ``weight`` (a newest trial's),
    with its bandwidths by the neighbour-gap rule among g's centres and the earlier
    lies (:func:`lie_bandwidths`). g's own components keep their bandwidths and weights:
    a refit would also narrow the lie's two neighbours per dimension and move the
    ramp of the older weights, at the cost of a whole fit per member.

    Parameters
    ----------
    estimator : ParzenEstimator
        g, fitted without the lies.
    weight : float
        Weight of each lie, on the scale of the weights ``estimator`` was fitted with.
    consider_magic_clip, consider_endpoints
        As in :class:`fasthpo.samplers.TPESampler`.
    """

    def __init__(self, estimator: ParzenEstimator, weight: float, consider_magic_clip: bool,
                 consider_endpoints: bool) -> None:
        self.estimator = estimator
        self.weight = weight
        self.magic_clip = consider_magic_clip
        self.endpoints = consider_endpoints
        D = len(estimator.dims.kinds)
        self._member = None  # g's rows of the sorted history, where g was read from one
        if estimator.history is not None:
            self._member = np.zeros(len(estimator.history.indexed), dtype=np.uint8)
            self._member[estimator.rows] = 1
        self.mus = np.empty((D, 0))
        self.sigmas = np.empty((D, 0))
        self.log_peaks = np.empty(0)

    def add(self, x: np.ndarray) -> None:
        """Tell the row ``x`` [D] (internal encoding) to g as a lie."""
        d, g = self.estimator.dims, self.estimator
        if self._member is None:
            left, right = kernels.neighbour_gaps(g.mus, g.n_observations, x)
        else:
            h = g.history
            left, right = kernels.sorted_neighbour_gaps(h.sorted_rows, h.sorted_values, h.n_sorted, self._member, x)
        lie_left, lie_right = kernels.neighbour_gaps(self.mus, self.mus.shape[1], x)
        m = g.n_observations + self.mus.shape[1] + 1
        sigma = lie_bandwidths(x, np.minimum(left, lie_left), np.minimum(right, lie_right), m, d,
                               self.magic_clip, self.endpoints)
        peak = kernels.kernel_log_peaks(x[:, None], sigma[:, None], d.kinds, d.lows, d.highs, d.steps, g.cat_eps)
        self.mus = np.hstack([self.mus, x[:, None]])
        self.sigmas = np.hstack([self.sigmas, sigma[:, None]])
        self.log_peaks = np.append(self.log_peaks, np.log(self.weight) + peak.sum())

    def log_pdf(self, x: np.ndarray, log_g: np.ndarray) -> np.ndarray:
        """log density at each row of ``x`` [C, D], given g's own ``log_g`` there."""
        if not len(self.log_peaks):
            return log_g
        g = self.estimator
        lies = kernels.mixture_log_pdf(x, self.mus, self.sigmas, self.log_peaks, g.dims.kinds, g.dims.steps,
                                       g.cat_eps)
        total = g.total_weight + self.weight * len(self.log_peaks)
        return np.logaddexp(log_g + np.log(g.total_weight), lies) - np.log(total)


def lie_bandwidths(x: np.ndarray, left: np.ndarray, right: np.ndarray, m: int, dims: Dimensions,
                   magic_clip: bool, endpoints: bool) -> np.ndarray:
    """Bandwidths [D] of an observation ``x`` [D] among m observations (itself
    included) by the neighbour-gap rule of :func:`kernels.neighbour_bandwidths`, given
    the gaps to its nearest other observations (+inf for none, see
    :func:`kernels.neighbour_gaps`); 1 in categorical dimensions."""
    if endpoints or m < 2:  # the bounds stand in for missing neighbours
        sigma = np.maximum(np.minimum(left, x - dims.lows), np.minimum(right, dims.highs - x))
    else:  # an extreme observation takes its inner gap
        sigma = np.where(np.isinf(left), right, np.where(np.isinf(right), left, np.maximum(left, right)))
    width = dims.highs - dims.lows
    floor_sigma = width / min(100.0, m + 2.0) if magic_clip else np.full(len(x), 1e-12)
    sigma = np.minimum(np.maximum(sigma, floor_sigma), width)
    return np.where(dims.kinds == kernels.CATEGORICAL, 1.0, sigma)


class SpaceHistory:
    """What the estimators over one search space reuse from one suggestion to the next.

    * Bandwidths need each dimension's observations in order; sorting the whole
      history on every suggestion costs O(n log n) per dimension. Here every finished
      trial with all the parameters is inserted once into each column's order
      (:func:`kernels.sorted_insert`; many at once, as after a long random start-up,
      by one sort per column), and a subset's components are read off in one
      pass per dimension (:func:`kernels.history_components`).

    Kept: a row number (int32) and a value (float64) per (trial, parameter), 1.5x the
    history's values, with 1.25x room to grow.
    """

    def __init__(self, columns: list[int]) -> None:
        self.columns = np.array(columns, dtype=np.int64)
        self.settled = 0  # the caller's mark: rows before it have ended and were taken in
        self.n_sorted = 0
        self.sorted_rows = np.empty((len(columns), 64), dtype=np.int32)
        self.sorted_values = np.empty((len(columns), 64))
        self.indexed = np.zeros(64, dtype=bool)  # rows looked at (finished)
        self.in_sorted = np.zeros(64, dtype=bool)  # rows sorted (finished, with every parameter)

    def add_finished(self, X: np.ndarray, finished: np.ndarray, first: int = 0) -> None:
        """Take in the rows of ``X`` that are finished, complete in these columns and new;
        ``finished`` tells it of rows ``first`` onwards."""
        n = first + len(finished)
        if n > len(self.indexed):
            size = max(n, len(self.indexed) + len(self.indexed) // 4)  # 1.25x growth: little slack
            self.indexed = np.concatenate([self.indexed, np.zeros(size - len(self.indexed), dtype=bool)])
            self.in_sorted = np.concatenate([self.in_sorted, np.zeros(size - len(self.in_sorted), dtype=bool)])
        new = first + np.flatnonzero(finished & ~self.indexed[first:n])
        if len(new) == 0:
            return
        self.indexed[new] = True
        new = new[~np.isnan(X[np.ix_(new, self.columns)]).any(axis=1)]
        self.in_sorted[new] = True
        if self.n_sorted + len(new) > self.sorted_rows.shape[1]:
            size = (self.n_sorted + len(new)) * 5 // 4 + 64
            self.sorted_rows = _widened(self.sorted_rows, size, self.n_sorted)
            self.sorted_values = _widened(self.sorted_values, size, self.n_sorted)
        if len(new) > _MERGE_FROM:
            self._merge(X, new)
        else:
            kernels.sorted_insert(self.sorted_rows, self.sorted_values, self.n_sorted, X, self.columns, new)
        self.n_sorted += len(new)

    def _merge(self, X: np.ndarray, new: np.ndarray) -> None:
        """Insert many rows at once: per column, one stable sort of the sorted values
        followed by the new ones, which orders ties exactly as one-by-one insertion does
        (earlier rows first), in O((n + k) log(n + k)) instead of O(n k) moves."""
        n, k = self.n_sorted, len(new)
        for j, column in enumerate(self.columns):
            values = np.concatenate([self.sorted_values[j, :n], X[new, column]])
            rows = np.concatenate([self.sorted_rows[j, :n], new.astype(np.int32)])
            order = np.argsort(values, kind="stable")
            self.sorted_values[j, : n + k] = values[order]
            self.sorted_rows[j, : n + k] = rows[order]

    def covers(self, rows: np.ndarray) -> bool:
        """Whether every one of ``rows`` is a sorted finished trial."""
        return bool(len(rows)) and rows.max() < len(self.in_sorted) and bool(self.in_sorted[rows].all())

    def components(self, rows: np.ndarray, dims: Dimensions, cat_eps: float, magic_clip: bool,
                   endpoints: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mus, sigmas, summed peak terms) of the components of ``rows`` (ascending)."""
        member_pos = np.full(len(self.indexed), -1, dtype=np.int64)
        member_pos[rows] = np.arange(len(rows))
        return kernels.history_components(self.sorted_rows, self.sorted_values, self.n_sorted, member_pos,
                                          len(rows), dims.kinds, dims.lows, dims.highs, dims.steps, cat_eps,
                                          magic_clip, endpoints, get_num_threads())


def _widened(array: np.ndarray, columns: int, used: int) -> np.ndarray:
    out = np.empty((array.shape[0], columns), dtype=array.dtype)
    out[:, :used] = array[:, :used]
    return out
