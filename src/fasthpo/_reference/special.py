"""Pure-NumPy twin of the ``special`` kernel (csrc/normal.pxd, csrc/special.pyx).

Same functions, same branches, written over whole arrays to be read. ``erfc`` comes
from scipy.special because NumPy has none.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfc

__all__ = ["log_ndtr", "log_ndtr_diff", "truncnorm_ppf"]

LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
SQRT1_2 = np.sqrt(0.5)
ASYMPTOTIC_BELOW = -30.0  # below: the asymptotic series, erfc would turn subnormal


def _asymptotic_tail(x: np.ndarray) -> np.ndarray:
    """log S(x), Phi(x) = phi(x) / (-x) S(x), S = sum_k (-1)^k (2k-1)!! / x^(2k) (A&S 26.2.12)."""
    r = 1.0 / (x * x)
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, 9):
        term = term * (-(2 * k - 1) * r)
        total = total + term
    return np.log(total)


def log_ndtr(x):
    """log Phi(x) for an array ``x``.

    Examples
    --------
    >>> float(log_ndtr(-40.0))
    -804.6084420137538
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        upper = np.log1p(-0.5 * erfc(x * SQRT1_2))
        middle = np.log(0.5 * erfc(-x * SQRT1_2))
        tail = -0.5 * x * x - np.log(-x) - LOG_SQRT_2PI + _asymptotic_tail(x)
    out = np.where(x > 0.0, upper, np.where(x > ASYMPTOTIC_BELOW, middle, tail))
    return np.where(x == -np.inf, -np.inf, out)


def _log1mexp(d: np.ndarray) -> np.ndarray:
    """log(1 - exp(d)) for d <= 0 (Maechler 2012)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > -np.log(2.0), np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


def _log_ndtr_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log Phi(a) - log Phi(b) for a < b <= 0; series subtracted termwise in the deep tail."""
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = log_ndtr(a) - log_ndtr(b)
        series = (-0.5 * (a - b) * (a + b) - np.log1p((a - b) / b)
                  + _asymptotic_tail(a) - _asymptotic_tail(b))
    deep = (b <= ASYMPTOTIC_BELOW) & (a > -np.inf)
    return np.where(deep, series, direct)


def log_ndtr_diff(a, b):
    """log(Phi(b) - Phi(a)) for a <= b (-inf where a == b, NaN where a > b).

    Examples
    --------
    >>> float(log_ndtr_diff(-41.0, -40.0))
    -804.6084420137538
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    half_width = 0.5 * (b - a)
    mid = 0.5 * a + 0.5 * b
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # Narrow interval: Taylor series of the integral of phi around the midpoint.
        h2, m2 = half_width * half_width, mid * mid
        narrow = (-0.5 * m2 - LOG_SQRT_2PI + np.log(b - a)
                  + np.log1p(h2 * (m2 - 1.0) / 6.0 + h2 * h2 * (m2 * m2 - 6.0 * m2 + 3.0) / 120.0))
        flip = a > 0.0  # upper tail: Phi(b) - Phi(a) = Phi(-a) - Phi(-b)
        lo, hi = np.where(flip, -b, a), np.where(flip, -a, b)
        one_tail = log_ndtr(hi) + _log1mexp(_log_ndtr_gap(lo, hi))
        straddling = np.log1p(-0.5 * erfc(-lo * SQRT1_2) - 0.5 * erfc(hi * SQRT1_2))
    out = np.where(hi <= 0.0, one_tail, straddling)
    out = np.where(half_width * (1.0 + np.abs(mid)) < 1e-2, narrow, out)
    out = np.where(a == b, -np.inf, out)
    return np.where(np.isnan(a) | np.isnan(b) | (a > b), np.nan, out)


def _logaddexp(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.logaddexp(u, v)


def _ndtri_exp_guess(log_p: np.ndarray) -> np.ndarray:
    """Phi^{-1}(exp(log_p)) to ~1e-9: Acklam's rational approximation (2003)."""
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
         -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00]
    e = [-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
         1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00]
    f = [-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
         6.680131252260844e01, -1.328068155288572e01]

    def tail(q):
        return np.polyval(c, q) / np.polyval(d + [1.0], q)

    with np.errstate(divide="ignore", invalid="ignore"):
        lower = tail(np.sqrt(-2.0 * log_p))
        upper = -tail(np.sqrt(-2.0 * np.log(-np.expm1(log_p))))
        q = np.exp(log_p) - 0.5
        r = q * q
        central = np.polyval(e, r) * q / np.polyval(f + [1.0], r)
    return np.where(log_p < -3.7195, lower, np.where(log_p > -0.024548, upper, central))


def _truncnorm_ppf_guess(q, a, b, log_mass):
    """Acklam's inverse applied to the CDF target in whichever tail keeps it in range
    (linear interpolation on narrow intervals, as in the kernel)."""
    mirror = a > 0.0  # upper tail: x(q; a, b) = -x(1 - q; -b, -a)
    q = np.where(mirror, 1.0 - q, q)
    a, b = np.where(mirror, -b, a), np.where(mirror, -a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_lower = _ndtri_exp_guess(_logaddexp(log_ndtr(a), np.log(q) + log_mass))
        from_upper = -_ndtri_exp_guess(_logaddexp(log_ndtr(-b), np.log1p(-q) + log_mass))
    guess = np.where((b <= 0.0) | (q <= 0.5), from_lower, from_upper)
    guess = np.where(mirror, -guess, guess)
    a, b, q = np.where(mirror, -b, a), np.where(mirror, -a, b), np.where(mirror, 1.0 - q, q)  # undo the mirror
    narrow = (b - a) * (1.0 + np.abs(a) + np.abs(b)) < 1e-2  # nearly uniform: interpolate
    with np.errstate(invalid="ignore"):  # infinite bounds are never narrow
        return np.where(narrow, a + q * (b - a), guess)


def truncnorm_ppf(q, a, b):
    """Inverse CDF at ``q`` of the standard normal truncated to [a, b].

    Newton's method on the log of the lower (q <= 1/2) or upper tail mass, from
    Acklam's guess, as in the kernel.

    Examples
    --------
    >>> round(float(truncnorm_ppf(0.975, -float("inf"), float("inf"))), 6)
    1.959964
    """
    q, a, b = (np.array(v, dtype=np.float64) for v in
               np.broadcast_arrays(np.asarray(q, float), np.asarray(a, float), np.asarray(b, float)))
    lower = q <= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mass = log_ndtr_diff(a, b)
        target = np.where(lower, np.log(q), np.log1p(-q)) + log_mass
    x = _truncnorm_ppf_guess(q, a, b, log_mass)
    with np.errstate(invalid="ignore"):
        restart = np.where(a == -np.inf, b - 1.0, np.where(b == np.inf, a + 1.0, 0.5 * a + 0.5 * b))
    x = np.where((a < x) & (x < b), x, restart)
    active = (0.0 < q) & (q < 1.0) & (a < b)
    for _ in range(100):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            mass = np.where(lower, log_ndtr_diff(a, x), log_ndtr_diff(x, b))
            # (log mass(x) - target) / (d log mass / dx), d mass / dx = +-phi(x)
            step = np.where(lower, 1.0, -1.0) * (mass - target) * np.exp(mass + 0.5 * x * x + LOG_SQRT_2PI)
        active &= (step != 0.0) & ~np.isnan(step)
        step = np.where(x - step <= a, 0.5 * (x - a), np.where(x - step >= b, -0.5 * (b - x), step))
        x = np.where(active, x - step, x)
        distance = np.where(lower, x - a, b - x)
        active &= (np.abs(step) > 1e-11 * distance) & (np.abs(step) > 4.5e-16 * np.abs(x))
        if not active.any():
            break
    x = np.where((q == 0.0) | (a == b), a, np.where(q == 1.0, b, x))
    bad = np.isnan(q) | np.isnan(a) | np.isnan(b) | (q < 0.0) | (q > 1.0) | (a > b)
    return np.where(bad, np.nan, x)
