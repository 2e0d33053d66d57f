"""The Parzen estimator of TPE: observations in, a mixture of product kernels out.

Policy only (Optuna 5's choices): which kernel each distribution gets, the prior
component, the neighbour-gap bandwidths and the mixture weights. The numbers are
crunched by :mod:`fasthpo._kernels.parzen`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fasthpo._kernels import parzen as kernels
from fasthpo.distributions import BaseDistribution, CategoricalDistribution

__all__ = ["Dimensions", "ParzenEstimator", "SortedHistory"]


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

    @property
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
    order : ndarray [D, m], optional
        ``order[j]`` sorts the observations by dimension j (computed when omitted).
    """

    def __init__(self, observations: np.ndarray, dims: Dimensions, weights: np.ndarray, prior_weight: float,
                 consider_magic_clip: bool, consider_endpoints: bool, order: np.ndarray | None = None) -> None:
        m = observations.shape[0]
        self.dims = dims
        sigmas = self._bandwidths(observations, order, consider_magic_clip, consider_endpoints)
        self.mus = np.ascontiguousarray(np.vstack([observations, dims.priors]))
        self.sigmas = np.ascontiguousarray(np.vstack([sigmas, dims.highs - dims.lows]))
        w = np.append(weights, prior_weight) if m else np.ones(1)
        w = w / w.sum()
        self.cumulative_weights = np.cumsum(w)
        self.cat_eps = prior_weight / (m + 1)  # Optuna's categorical kernel: prior_weight / n_kernels
        with np.errstate(divide="ignore"):
            log_weights = np.log(w)
        self.log_peaks = kernels.component_log_peaks(self.mus, self.sigmas, log_weights, dims.kinds, dims.lows,
                                                     dims.highs, dims.steps, self.cat_eps)

    def _bandwidths(self, observations: np.ndarray, order: np.ndarray | None, magic_clip: bool,
                    endpoints: bool) -> np.ndarray:
        columns = np.ascontiguousarray(observations.T)
        if order is None:
            order = np.argsort(columns, axis=1, kind="stable")
        sigmas = kernels.neighbour_bandwidths(columns, order, self.dims.lows, self.dims.highs, endpoints, magic_clip)
        return np.where(self.dims.kinds == kernels.CATEGORICAL, 1.0, sigmas)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws [size, D] in the internal encoding."""
        u_component = rng.random(size)
        u_dims = rng.random((size, self.mus.shape[1]))
        d = self.dims
        return kernels.mixture_sample(u_component, u_dims, self.cumulative_weights, self.mus, self.sigmas, d.kinds,
                                      d.lows, d.highs, d.steps, d.grid_lows, d.grid_highs, self.cat_eps)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """log density at each row of ``x`` [C, D]."""
        return kernels.mixture_log_pdf(x, self.mus, self.sigmas, self.log_peaks, self.dims.kinds, self.dims.steps,
                                       self.cat_eps)


class SortedHistory:
    """The finished trials' values of some columns, kept sorted as trials finish.

    Bandwidths need each dimension's observations in order; sorting the whole history
    on every suggestion costs O(n log n) per dimension. Here a finished trial is
    inserted once (O(n) memory moves) and the order of any subset of rows is read off
    in O(n) (:meth:`order_of`).
    """

    def __init__(self, columns: list[int]) -> None:
        self.columns = list(columns)
        self.values = [np.empty(0) for _ in columns]  # ascending, one array per column
        self.rows = [np.empty(0, dtype=np.int64) for _ in columns]  # the row of each value
        self.indexed = np.zeros(0, dtype=bool)

    def add_finished(self, X: np.ndarray, finished: np.ndarray) -> None:
        """Insert the rows of ``X`` that are finished, complete in these columns and new."""
        n = len(finished)
        if n > len(self.indexed):
            self.indexed = np.concatenate([self.indexed, np.zeros(max(n, 2 * len(self.indexed)) - len(self.indexed),
                                                                  dtype=bool)])
        new = np.flatnonzero(finished & ~self.indexed[:n])
        if len(new) == 0:
            return
        self.indexed[new] = True
        block = X[np.ix_(new, self.columns)].T  # [D, r]
        new = new[~np.isnan(block).any(axis=0)]
        block = block[:, ~np.isnan(block).any(axis=0)]
        if len(new) == 0:
            return
        for j in range(len(self.columns)):
            order = np.argsort(block[j], kind="stable")
            at = np.searchsorted(self.values[j], block[j, order], side="right")
            self.values[j] = np.insert(self.values[j], at, block[j, order])
            self.rows[j] = np.insert(self.rows[j], at, new[order])

    def order_of(self, rows: np.ndarray, observations: np.ndarray) -> np.ndarray:
        """``order[j]`` sorting ``observations`` [m, D] of ``rows`` (ascending row numbers)
        by column j; rows not in the history (running trials) are merged in by value."""
        position = np.full(len(self.indexed) if len(self.indexed) else 1, -1, dtype=np.int64)
        inside = rows < len(position)
        inside[inside] = self.indexed[rows[inside]]
        position[rows[inside]] = np.flatnonzero(inside)
        extra = np.flatnonzero(~inside)  # positions (in rows) of trials not indexed
        order = np.empty((len(self.columns), len(rows)), dtype=np.int64)
        for j in range(len(self.columns)):
            members = position[self.rows[j]]
            keep = members >= 0
            sorted_positions = members[keep]
            if len(extra):
                extra_values = observations[extra, j]
                by_value = np.argsort(extra_values, kind="stable")
                at = np.searchsorted(self.values[j][keep], extra_values[by_value], side="right")
                sorted_positions = np.insert(sorted_positions, at, extra[by_value])
            order[j] = sorted_positions
        return order
