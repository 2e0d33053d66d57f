"""Pure-NumPy twin of the Parzen-estimator kernels (csrc/parzen.pyx).

Same functions and arguments; whole-array NumPy written to be read. The twin sums
every component (the kernel skips components that cannot matter).
"""

from __future__ import annotations

import numpy as np

from fasthpo._reference.special import log_ndtr_diff, truncnorm_ppf

__all__ = ["CONTINUOUS", "DISCRETE", "DISCRETE_LOG", "CATEGORICAL", "kernel_log_peaks",
           "mixture_log_pdf", "mixture_sample", "neighbour_bandwidths", "neighbour_gaps",
           "sorted_neighbour_gaps"]

CONTINUOUS, DISCRETE, DISCRETE_LOG, CATEGORICAL = 0, 1, 2, 3
LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def kernel_log_peaks(mus, sigmas, kinds, lows, highs, steps, cat_eps):
    """Each component's largest log-kernel value per dimension [D, K] (see the kernel)."""
    mus, sigmas = mus.T, sigmas.T  # [K, D] below, for broadcasting against [D] constants
    categorical = kinds == CATEGORICAL
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mass = log_ndtr_diff((lows - mus) / sigmas, (highs - mus) / sigmas)
        numeric = -log_mass - np.where(kinds == CONTINUOUS, np.log(sigmas) + LOG_SQRT_2PI, 0.0)
        observed = np.log1p(cat_eps) - np.log1p(steps * cat_eps)  # steps is 0 in numeric dimensions
        choice = np.where(mus < 0.0, -np.log(steps), observed)
    return np.where(categorical, choice, numeric).T


def _cell_edges(x, kinds, steps):
    linear = kinds == DISCRETE
    with np.errstate(invalid="ignore", divide="ignore"):
        left = np.where(linear, x - 0.5 * steps, np.log(np.exp(x) - 0.5 * steps))
        right = np.where(linear, x + 0.5 * steps, np.log(np.exp(x) + 0.5 * steps))
    return left, right


def mixture_log_pdf(x, mus, sigmas, log_peaks, kinds, steps, cat_eps, n_threads=1, lead=-1):
    """log density of the mixture at each row of ``x`` [C, D]; mus, sigmas [D, K] (one
    thread whatever ``n_threads``; every component summed, so ``lead`` changes nothing)."""
    mus, sigmas = mus.T, sigmas.T
    xc = x[:, None, :]  # [C, 1, D] against components [1, K, D]
    z = (xc - mus[None]) / sigmas[None]
    left, right = _cell_edges(x, kinds, steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        cell = log_ndtr_diff((left[:, None, :] - mus[None]) / sigmas[None],
                             (right[:, None, :] - mus[None]) / sigmas[None])
        mismatch = np.log(cat_eps) - np.log1p(cat_eps)
    choice = np.where((mus[None] >= 0.0) & (xc != mus[None]), mismatch, 0.0)
    terms = np.where(kinds == CONTINUOUS, -0.5 * z * z,
                     np.where(kinds == CATEGORICAL, choice, np.where(np.isin(kinds, (DISCRETE, DISCRETE_LOG)), cell, 0.0)))
    values = log_peaks[None] + terms.sum(axis=2)  # [C, K]
    best = values.max(axis=1)
    safe = np.where(np.isfinite(best), best, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(values - safe[:, None]).sum(axis=1))


def _pick_choices(u, n_choices, observed, eps):
    """Inverse CDF of the categorical kernel: the number of cumulative masses <= t."""
    n = int(n_choices)
    masses = eps + (np.arange(n)[None, :] == observed[:, None])
    t = u * (n * eps + 1.0)
    choice = np.minimum((np.cumsum(masses, axis=1) <= t[:, None]).sum(axis=1), n - 1)
    prior = np.minimum(np.floor(u * n), n - 1)
    return np.where(observed < 0.0, prior, choice).astype(float)


def mixture_sample(u_component, u_dims, cumulative_weights, mus, sigmas, kinds, lows, highs, steps,
                   grid_lows, grid_highs, cat_eps):
    """C draws from the mixture, from the caller's uniforms (see the kernel)."""
    mus, sigmas = mus.T, sigmas.T
    k = np.searchsorted(cumulative_weights, u_component * cumulative_weights[-1], side="right")
    k = np.minimum(k, len(cumulative_weights) - 1)
    mu, sigma = mus[k], sigmas[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = mu + sigma * truncnorm_ppf(u_dims, (lows - mu) / sigma, (highs - mu) / sigma)
        value = np.where(kinds == DISCRETE_LOG, np.exp(x), x)
        grid = np.clip(grid_lows + np.floor((value - grid_lows) / steps + 0.5) * steps, grid_lows, grid_highs)
        grid = np.where(kinds == DISCRETE_LOG, np.log(grid), grid)
    x = np.where((kinds == DISCRETE) | (kinds == DISCRETE_LOG), grid, x)
    for j in np.flatnonzero(kinds == CATEGORICAL):
        x[:, j] = _pick_choices(u_dims[:, j], steps[j], mu[:, j], cat_eps)
    return x


def neighbour_bandwidths(values, order, lows, highs, consider_endpoints, magic_clip):
    """Sigmas [D, m] by the neighbour-gap rule (see the kernel)."""
    D, m = values.shape
    sorted_values = np.take_along_axis(values, order, axis=1)
    padded = np.concatenate([lows[:, None], sorted_values, highs[:, None]], axis=1)
    left = padded[:, 1:-1] - padded[:, :-2]
    right = padded[:, 2:] - padded[:, 1:-1]
    sigmas = np.maximum(left, right)
    if not consider_endpoints and m >= 2:
        sigmas[:, 0] = right[:, 0]
        sigmas[:, -1] = left[:, -1]
    width = highs - lows
    floor_sigma = width / min(100.0, m + 2.0) if magic_clip else np.full(D, 1e-12)
    sigmas = np.clip(sigmas, floor_sigma[:, None], width[:, None])
    out = np.empty((D, m))
    np.put_along_axis(out, order, sigmas, axis=1)
    return out


def neighbour_gaps(centres, m, x):
    """Gaps from x[j] to its nearest neighbours among centres[j, :m] (see the kernel)."""
    gaps = centres[:, :m] - x[:, None]
    left = np.min(np.where(gaps <= 0.0, -gaps, np.inf), axis=1, initial=np.inf)
    right = np.min(np.where(gaps > 0.0, gaps, np.inf), axis=1, initial=np.inf)
    return left, right


def sorted_neighbour_gaps(sorted_rows, sorted_values, n_sorted, member, x):
    """neighbour_gaps among the sorted rows that are members (see the kernel)."""
    centres = [values[:n_sorted][member[rows[:n_sorted]].astype(bool)]
               for rows, values in zip(sorted_rows, sorted_values)]
    left, right = np.full(len(x), np.inf), np.full(len(x), np.inf)
    for j, c in enumerate(centres):
        left[j], right[j] = (g[0] for g in neighbour_gaps(c[None, :], len(c), x[j:j + 1]))
    return left, right
