"""Least-squares fits of learning-curve families, for the learning-curve pruner.

Each family is ``y = a + b * phi(t; c)``: linear in (a, b) for a fixed shape c, so the
fit solves the 2 x 2 normal equations in closed form for every c of a grid and keeps
the c with the smallest sum of squared residuals (variable projection on a grid).

- family 0, power law: ``phi = t ** -c``
- family 1, exponential: ``phi = exp(-c t)``

Both level off. A logarithm ``a + b log t`` was a third family until it proved to
extrapolate every still-rising curve too far (benchmarks/RESULTS.md, issue 20); the
power law with a small c follows a slow, log-like rise and still levels off.

Twin: :mod:`fasthpo._reference.curves`.
"""
import numpy as np

from libc.math cimport exp, pow, INFINITY

DEF N_FAMILIES = 2


cdef inline double basis(int family, double t, double c) noexcept nogil:
    if family == 0:
        return pow(t, -c)
    return exp(-c * t)


cdef void fit_one(const double[::1] y, const double* phi, double* out) noexcept nogil:
    """(a, b, sse) of ``y ~ a + b phi`` into out[0:3]; ``phi`` holds the basis at each t."""
    cdef Py_ssize_t n = y.shape[0], i
    cdef double mp = 0.0, my = 0.0, spp = 0.0, spy = 0.0, p, a, b, r, sse = 0.0
    for i in range(n):
        mp += phi[i]
        my += y[i]
    mp /= n
    my /= n
    for i in range(n):
        p = phi[i] - mp
        spp += p * p
        spy += p * (y[i] - my)
    b = spy / spp if spp > 1e-300 else 0.0
    a = my - b * mp
    for i in range(n):
        r = y[i] - a - b * phi[i]
        sse += r * r
    out[0] = a
    out[1] = b
    out[2] = sse


def fit_curves(const double[::1] t, const double[::1] y, const double[::1] shapes):
    """Best fit of each family: rows (a, b, c, sse) for the power law and the exponential.

    ``t`` > 0 are the resources (steps), ``y`` the values; ``shapes`` the grid of c > 0
    tried for the power law and the exponential (the first of the smallest sse wins).
    The basis is computed once per (t, c), as ``exp(-c log t)`` for the power law.
    """
    cdef Py_ssize_t n = t.shape[0], g, i
    cdef int family
    cdef double trial[3]
    cdef double c
    if y.shape[0] != n or n == 0:
        raise ValueError(f"t and y must have the same length >= 1, got {n} and {y.shape[0]}.")
    out = np.empty((N_FAMILIES, 4))
    cdef double[:, ::1] best = out
    cdef double[::1] log_t = np.log(np.asarray(t))
    cdef double[::1] phi = np.empty(n)
    with nogil:
        for family in range(N_FAMILIES):
            best[family, 3] = INFINITY
            for g in range(shapes.shape[0]):
                c = shapes[g]
                for i in range(n):
                    if family == 0:
                        phi[i] = exp(-c * log_t[i])
                    else:
                        phi[i] = exp(-c * t[i])
                fit_one(y, &phi[0], trial)
                if trial[2] < best[family, 3]:
                    best[family, 0] = trial[0]
                    best[family, 1] = trial[1]
                    best[family, 2] = c
                    best[family, 3] = trial[2]
    return out


def evaluate(const double[:, ::1] fits, double t):
    """Each family's fitted value at resource ``t``."""
    out = np.empty(fits.shape[0])
    cdef Py_ssize_t family
    for family in range(fits.shape[0]):
        out[family] = fits[family, 0] + fits[family, 1] * basis(<int> family, t, fits[family, 2])
    return out
