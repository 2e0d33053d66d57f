"""Independent limited-memory quasi-Newton runs in a box, advanced together so that one
vectorized call evaluates the points all of them ask for.

Each run is a projected L-BFGS (the box-constrained variant of Nocedal & Wright 2006,
alg. 7.4, on the free variables): the two-loop recursion on the coordinates not held at
a bound, a step projected onto the box, Armijo backtracking along the projected path.
Every run keeps its own curvature pairs, its own step length and its own stopping tests
(projected gradient, relative reduction, line-search failure), so a run ends where it
would end alone; only the evaluations are shared. (One quasi-Newton method over the
stacked runs' coordinates would share the first step and the reduction test, and a run
from a flat start would stop where it began.) The arithmetic of a run never mixes with
another's, so the result of a run does not depend on which others run beside it.

Compiled: a round costs one call of the objective and loops over the runs in C; the
NumPy twin :mod:`fasthpo._reference.lbfgsb` does each round in a few dozen array calls.
"""
import numpy as np

from libc.math cimport fabs, isfinite, sqrt

cdef double ARMIJO = 1e-4  # sufficient decrease: f(new) <= f + ARMIJO * g . (new - x)
cdef int MAX_BACKTRACKS = 20


cdef inline double clip(double v, double lo, double hi) noexcept nogil:
    return lo if v < lo else (hi if v > hi else v)


cdef double projected_gradient_norm(const double[::1] x, const double[::1] g, const double[::1] low,
                                    const double[::1] high) noexcept nogil:
    """Largest component of ``x - P(x - g)`` (scipy's projected gradient)."""
    cdef double top = 0.0, v
    cdef Py_ssize_t j
    for j in range(x.shape[0]):
        v = fabs(x[j] - clip(x[j] - g[j], low[j], high[j]))
        if v > top:
            top = v
    return top


cdef void search_direction(const double[::1] x, const double[::1] g, const double[:, ::1] S,
                           const double[:, ::1] Y, int newest, int n_pairs, const double[::1] low,
                           const double[::1] high, double[::1] free, double[::1] alphas, double[::1] rhos,
                           double[::1] out) noexcept nogil:
    """``-H g`` on the free coordinates (not at a bound the gradient pushes against) by
    the two-loop recursion over the run's ``n_pairs`` newest pairs (ring slots ending at
    ``newest``), initial scaling s'y / y'y of the newest; pairs without positive
    curvature on the free coordinates are skipped."""
    cdef Py_ssize_t dim = x.shape[0], memory = S.shape[0], j, k, slot
    cdef double sy, yy, dot, gamma = 1.0
    for j in range(dim):
        free[j] = 0.0 if (x[j] <= low[j] and g[j] > 0) or (x[j] >= high[j] and g[j] < 0) else 1.0
        out[j] = g[j] * free[j]
    for k in range(n_pairs):  # newest first
        slot = (newest - k + memory) % memory
        sy = 0.0
        yy = 0.0
        for j in range(dim):
            sy += S[slot, j] * Y[slot, j] * free[j]
            yy += Y[slot, j] * Y[slot, j] * free[j]
        rhos[k] = 1.0 / sy if sy > 1e-10 * yy else 0.0
        if k == 0 and rhos[0] != 0.0:
            gamma = sy / yy
        if rhos[k] == 0.0:
            continue
        dot = 0.0
        for j in range(dim):
            dot += S[slot, j] * free[j] * out[j]
        alphas[k] = rhos[k] * dot
        for j in range(dim):
            out[j] -= alphas[k] * Y[slot, j] * free[j]
    for j in range(dim):
        out[j] *= gamma
    for k in range(n_pairs - 1, -1, -1):  # oldest first
        if rhos[k] == 0.0:
            continue
        slot = (newest - k + memory) % memory
        dot = 0.0
        for j in range(dim):
            dot += Y[slot, j] * free[j] * out[j]
        dot = alphas[k] - rhos[k] * dot
        for j in range(dim):
            out[j] += S[slot, j] * free[j] * dot
    for j in range(dim):
        out[j] = -out[j] * free[j]


def batched_lbfgsb(fun_and_grad, starts, bounds, *, int maxiter=200, double gtol=1e-5,
                   double ftol=2.220446049250313e-09, int memory=10):
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
    >>> import numpy as np
    >>> centres = np.array([[0.2], [0.7]])
    >>> def fun_and_grad(runs, Z):
    ...     return ((Z - centres[runs]) ** 2).sum(axis=1), 2 * (Z - centres[runs])
    >>> batched_lbfgsb(fun_and_grad, np.array([[1.0], [0.0]]), [(0.0, 1.0)]).round(6).tolist()
    [[0.2], [0.7]]
    """
    if memory < 1:
        raise ValueError(f"memory must be at least 1, got {memory}.")
    box = np.asarray(bounds, dtype=float).reshape(-1, 2)
    cdef const double[::1] low = np.ascontiguousarray(box[:, 0]), high = np.ascontiguousarray(box[:, 1])
    X_arr = np.ascontiguousarray(np.clip(np.array(starts, dtype=float, ndmin=2), box[:, 0], box[:, 1]))
    cdef double[:, ::1] X = X_arr
    cdef Py_ssize_t n_runs = X.shape[0], dim = X.shape[1], r, i, j, k, n_idx, n_pending, n_kept
    F_arr, G_arr = _evaluate(fun_and_grad, np.arange(n_runs, dtype=np.intp), X_arr)
    cdef double[::1] F = F_arr
    cdef double[:, ::1] G = G_arr
    cdef double[:, :, ::1] S = np.zeros((n_runs, memory, dim)), Y = np.zeros((n_runs, memory, dim))
    cdef int[::1] n_pairs = np.zeros(n_runs, dtype=np.intc), newest = np.full(n_runs, memory - 1, dtype=np.intc)
    cdef unsigned char[::1] active = np.zeros(n_runs, dtype=np.uint8), moved = np.zeros(n_runs, dtype=np.uint8)
    cdef double[:, ::1] direction = np.zeros((n_runs, dim)), X_new = np.zeros((n_runs, dim))
    cdef double[:, ::1] G_new = np.zeros((n_runs, dim)), free = np.zeros((n_runs, dim))
    cdef double[::1] F_new = np.zeros(n_runs), step = np.zeros(n_runs), alphas = np.zeros(memory)
    cdef double[::1] rhos = np.zeros(memory)
    cdef Py_ssize_t[::1] idx = np.zeros(n_runs, dtype=np.intp), pending = np.zeros(n_runs, dtype=np.intp)
    runs_arr = np.zeros(n_runs, dtype=np.intp)
    trial_arr = np.zeros((n_runs, dim))
    cdef Py_ssize_t[::1] runs = runs_arr
    cdef double[:, ::1] trial = trial_arr
    cdef const double[::1] values
    cdef const double[:, ::1] grads
    cdef bint small
    cdef double norm, slope, t, rise, quadratic, change, largest, reduction
    cdef int iteration, backtrack, slot
    for r in range(n_runs):
        active[r] = projected_gradient_norm(X[r], G[r], low, high) > gtol
    for iteration in range(maxiter):
        n_idx = 0
        for r in range(n_runs):
            if active[r]:
                idx[n_idx] = r
                n_idx += 1
        if n_idx == 0:
            break
        with nogil:
            for i in range(n_idx):
                r = idx[i]
                search_direction(X[r], G[r], S[r], Y[r], newest[r], n_pairs[r], low, high, free[r], alphas, rhos,
                                 direction[r])
                slope = 0.0
                for j in range(dim):
                    slope += direction[r, j] * G[r, j]
                if slope >= 0:  # the curvature pairs no longer fit: start them over
                    for j in range(dim):
                        direction[r, j] = -(G[r, j] * free[r, j])
                    n_pairs[r] = 0
                step[r] = 1.0
                if n_pairs[r] == 0:
                    norm = 0.0
                    for j in range(dim):
                        norm += direction[r, j] * direction[r, j]
                    step[r] = min(1.0, 1.0 / max(sqrt(norm), 1e-300))
                moved[r] = 0
                pending[i] = r
        # Armijo backtracking along the projected path P(x + t d), each run with its own t
        # (halved, or cut to the quadratic model's minimum, at most tenfold, on each rejection)
        n_pending = n_idx
        for backtrack in range(MAX_BACKTRACKS):
            n_kept = 0
            with nogil:
                for i in range(n_pending):
                    r = pending[i]
                    largest = 0.0
                    for j in range(dim):
                        trial[n_kept, j] = clip(X[r, j] + step[r] * direction[r, j], low[j], high[j])
                        change = fabs(trial[n_kept, j] - X[r, j])
                        if change > largest:
                            largest = change
                    if largest > 0:
                        runs[n_kept] = r
                        n_kept += 1
            if n_kept == 0:
                break
            values, grads = _evaluate(fun_and_grad, runs_arr[:n_kept].copy(), trial_arr[:n_kept].copy())
            n_pending = 0
            with nogil:
                for i in range(n_kept):
                    r = runs[i]
                    slope = 0.0
                    for j in range(dim):
                        slope += G[r, j] * (trial[i, j] - X[r, j])
                    if isfinite(values[i]) and values[i] <= F[r] + ARMIJO * slope:
                        moved[r] = 1
                        F_new[r] = values[i]
                        for j in range(dim):
                            X_new[r, j] = trial[i, j]
                            G_new[r, j] = grads[i, j]
                        continue
                    t = step[r]
                    rise = values[i] - F[r] - slope
                    quadratic = -slope * t / (2.0 * rise)  # minimizer of the quadratic through f, slope, value
                    step[r] = clip(quadratic, 0.1 * t, 0.5 * t) if isfinite(quadratic) else 0.5 * t
                    pending[n_pending] = r
                    n_pending += 1
        with nogil:
            for i in range(n_idx):
                r = idx[i]
                if not moved[r]:  # no decrease along the projected path: a (numerically) stationary point
                    active[r] = 0
                    continue
                slot = (newest[r] + 1) % memory  # the oldest pair drops out when memory is full
                for j in range(dim):
                    S[r, slot, j] = X_new[r, j] - X[r, j]
                    Y[r, slot, j] = G_new[r, j] - G[r, j]
                    X[r, j] = X_new[r, j]
                    G[r, j] = G_new[r, j]
                newest[r] = slot
                n_pairs[r] = min(n_pairs[r] + 1, memory)
                reduction = F[r] - F_new[r]
                small = reduction <= ftol * max(max(fabs(F[r]), fabs(F_new[r])), 1.0)
                F[r] = F_new[r]
                if small or projected_gradient_norm(X[r], G[r], low, high) <= gtol:
                    active[r] = 0
    return X_arr


def _evaluate(fun_and_grad, runs, Z):
    values, grads = fun_and_grad(runs, Z)
    return (np.ascontiguousarray(values, dtype=float).reshape(len(runs)),
            np.ascontiguousarray(grads, dtype=float).reshape(Z.shape))
