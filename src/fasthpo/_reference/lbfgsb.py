"""Twin of :mod:`fasthpo._kernels.lbfgsb`: the same independent projected L-BFGS runs,
each round done in a few dozen NumPy array calls over the active runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["batched_lbfgsb"]

ARMIJO = 1e-4  # sufficient decrease: f(new) <= f + ARMIJO * g . (new - x)
MAX_BACKTRACKS = 20


def batched_lbfgsb(fun_and_grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                   starts: np.ndarray, bounds: Sequence[tuple[float, float]], *, maxiter: int = 200,
                   gtol: float = 1e-5, ftol: float = 2.220446049250313e-09, memory: int = 10) -> np.ndarray:
    """Minimize from each row of ``starts`` by its own projected L-BFGS run; the end points.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(runs, Z)`` gives the values (shape ``[k]``) and gradients
        (``[k, dim]``) at the rows of ``Z``, the points asked for by the runs numbered
        ``runs`` (so the function may depend on the run).
    starts : ndarray of shape (n_runs, dim)
    bounds : sequence of (low, high), one per coordinate, shared by the runs.
    maxiter : int
        Iterations per run.
    gtol : float
        A run stops when its projected gradient's largest component is at most this.
    ftol : float
        A run stops when an iteration reduces its value by at most ``ftol`` relative to
        ``max(|f|, |f_new|, 1)`` (scipy's L-BFGS-B test and default).
    memory : int
        Curvature pairs kept per run.

    Examples
    --------
    >>> centres = np.array([[0.2], [0.7]])
    >>> def fun_and_grad(runs, Z):
    ...     return ((Z - centres[runs]) ** 2).sum(axis=1), 2 * (Z - centres[runs])
    >>> batched_lbfgsb(fun_and_grad, np.array([[1.0], [0.0]]), [(0.0, 1.0)]).round(6).tolist()
    [[0.2], [0.7]]
    """
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
    low, high = bounds[:, 0], bounds[:, 1]
    X = np.clip(np.array(starts, dtype=float), low, high)
    n_runs, dim = X.shape
    runs = np.arange(n_runs)
    F, G = _evaluate(fun_and_grad, runs, X)
    S, Y = np.zeros((n_runs, memory, dim)), np.zeros((n_runs, memory, dim))  # newest pair last
    n_pairs = np.zeros(n_runs, dtype=int)
    active = _projected_gradient_norm(X, G, low, high) > gtol
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        x, f, g = X[idx], F[idx], G[idx]
        free = ~(((x <= low) & (g > 0)) | ((x >= high) & (g < 0)))
        direction = -_two_loop(g * free, S[idx] * free[:, None], Y[idx] * free[:, None], n_pairs[idx]) * free
        uphill = (direction * g).sum(axis=1) >= 0  # curvature pairs no longer fit: start them over
        direction[uphill] = -(g * free)[uphill]
        n_pairs[idx[uphill]] = 0
        first = n_pairs[idx] == 0
        step = np.ones(len(idx))
        step[first] = np.minimum(1.0, 1.0 / np.maximum(np.linalg.norm(direction[first], axis=1), 1e-300))
        moved, x_new, f_new, g_new = _backtrack(fun_and_grad, idx, x, f, g, direction, step, low, high)
        stuck = idx[~moved]
        active[stuck] = False  # no decrease along the projected path: a (numerically) stationary point
        idx, x, f, g = idx[moved], x[moved], f[moved], g[moved]
        x_new, f_new, g_new = x_new[moved], f_new[moved], g_new[moved]
        _remember(S, Y, n_pairs, idx, x_new - x, g_new - g)
        X[idx], F[idx], G[idx] = x_new, f_new, g_new
        small_reduction = (f - f_new) <= ftol * np.maximum(np.maximum(np.abs(f), np.abs(f_new)), 1.0)
        converged = _projected_gradient_norm(x_new, g_new, low, high) <= gtol
        active[idx[small_reduction | converged]] = False
    return X


def _evaluate(fun_and_grad, runs: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, grads = fun_and_grad(runs, Z)
    return np.array(values, dtype=float).reshape(len(runs)), np.array(grads, dtype=float).reshape(Z.shape)


def _projected_gradient_norm(x: np.ndarray, g: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Largest component of ``x - P(x - g)`` per row (scipy's projected gradient)."""
    return np.abs(x - np.clip(x - g, low, high)).max(axis=1, initial=0.0)


def _two_loop(g: np.ndarray, S: np.ndarray, Y: np.ndarray, n_pairs: np.ndarray) -> np.ndarray:
    """``H g`` per row by the L-BFGS two-loop recursion over the row's newest ``n_pairs``
    pairs (slots ``memory - n_pairs`` to the end), initial scaling s'y / y'y of the
    newest; pairs without positive curvature on the free coordinates are skipped."""
    memory = S.shape[1]
    sy = np.einsum("rmd,rmd->rm", S, Y)
    valid = (np.arange(memory) >= memory - n_pairs[:, None]) & (sy > 1e-10 * np.einsum("rmd,rmd->rm", Y, Y))
    rho = np.where(valid, 1.0 / np.where(valid, sy, 1.0), 0.0)
    q = g.copy()
    alphas = np.zeros(rho.shape)
    oldest = memory - int(n_pairs.max(initial=0))  # the slots before it are empty in every run
    for j in range(memory - 1, oldest - 1, -1):
        alphas[:, j] = rho[:, j] * np.einsum("rd,rd->r", S[:, j], q)
        q -= alphas[:, j, None] * Y[:, j]
    yy = np.einsum("rd,rd->r", Y[:, -1], Y[:, -1])
    gamma = np.where(valid[:, -1], sy[:, -1] / np.where(valid[:, -1], yy, 1.0), 1.0)
    r = gamma[:, None] * q
    for j in range(oldest, memory):
        beta = rho[:, j] * np.einsum("rd,rd->r", Y[:, j], r)
        r += S[:, j] * (alphas[:, j] - beta)[:, None]
    return r


def _backtrack(fun_and_grad, idx, x, f, g, direction, step, low, high):
    """Armijo backtracking along the projected path ``P(x + t d)`` for every run at once,
    each with its own ``t`` (halved, or cut to the quadratic model's minimum, at most
    tenfold, on each rejection). Returns whether each run found a decrease, and its new
    point, value and gradient."""
    k = len(idx)
    moved = np.zeros(k, dtype=bool)
    x_new, f_new, g_new = x.copy(), f.copy(), g.copy()
    pending = np.arange(k)
    for _ in range(MAX_BACKTRACKS):
        trial = np.clip(x[pending] + step[pending, None] * direction[pending], low, high)
        change = trial - x[pending]
        still = np.abs(change).max(axis=1, initial=0.0) > 0
        pending, trial, change = pending[still], trial[still], change[still]
        if len(pending) == 0:
            break
        values, grads = _evaluate(fun_and_grad, idx[pending], trial)
        slope = (g[pending] * change).sum(axis=1)
        accept = np.isfinite(values) & (values <= f[pending] + ARMIJO * slope)
        done = pending[accept]
        moved[done], x_new[done], f_new[done], g_new[done] = True, trial[accept], values[accept], grads[accept]
        rejected = pending[~accept]
        t, rise = step[rejected], values[~accept] - f[rejected] - slope[~accept]
        with np.errstate(divide="ignore", invalid="ignore"):
            quadratic = -slope[~accept] * t / (2.0 * rise)  # minimizer of the quadratic through f, slope, value
        step[rejected] = np.where(np.isfinite(quadratic), np.clip(quadratic, 0.1 * t, 0.5 * t), 0.5 * t)
        pending = rejected
    return moved, x_new, f_new, g_new


def _remember(S, Y, n_pairs, idx, s, y) -> None:
    """Append each run's newest pair (the oldest drops out when memory is full)."""
    S[idx] = np.roll(S[idx], -1, axis=1)
    Y[idx] = np.roll(Y[idx], -1, axis=1)
    S[idx, -1], Y[idx, -1] = s, y
    n_pairs[idx] = np.minimum(n_pairs[idx] + 1, S.shape[1])
