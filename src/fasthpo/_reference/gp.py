"""Pure-NumPy twin of the GP kernels (csrc/gp.pyx)."""

from __future__ import annotations

import numpy as np
from scipy.special import erfcx, log_ndtr

__all__ = ["cholesky_append", "kernel_matrix", "log_ei", "log_ei_with_gradient", "log_marginal_likelihood",
           "log_mean_ei", "log_probability_below", "posterior_with_gradient"]

SQRT5 = np.sqrt(5.0)


def _squared_distances(a, b, ils, is_cat):
    diff = a[:, None, :] - b[None, :, :]
    per_dim = np.where(is_cat.astype(bool), (diff != 0) * 1.0, diff * diff)
    return (per_dim * ils).sum(axis=2), diff


def _matern(r2, scale):
    r = np.sqrt(r2)
    return scale * (1 + SQRT5 * r + 5 / 3 * r2) * np.exp(-SQRT5 * r)


def _slope(r2, scale):
    r = np.sqrt(r2)
    return -5 / 6 * scale * (1 + SQRT5 * r) * np.exp(-SQRT5 * r)


def kernel_matrix(a, b, ils, is_cat, scale):
    return _matern(_squared_distances(a, b, ils, is_cat)[0], scale)


def log_marginal_likelihood(X, y, ils, is_cat, scale, noise):
    """(value without the 2 pi constant, gradient in (ils, scale, noise), L)."""
    n = len(X)
    r2, diff = _squared_distances(X, X, ils, is_cat)
    K = _matern(r2, scale) + noise * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(K, y)
    value = -0.5 * y @ alpha - np.log(np.diag(L)).sum()
    W = np.outer(alpha, alpha) - np.linalg.inv(K)
    per_dim = np.where(is_cat.astype(bool), (diff != 0) * 1.0, diff * diff)
    d_ils = 0.5 * np.einsum("ik,ikj->j", W * _slope(r2, scale), per_dim)
    d_scale = 0.5 * np.sum(W * _matern(r2, 1.0))
    d_noise = 0.5 * np.trace(W)
    return value, np.concatenate([d_ils, [d_scale, d_noise]]), L


def log_ei(z):
    """log(phi(z) + z Phi(z)) by the kernel's three regimes."""
    z = float(z)
    if z > -1:
        return float(np.log(np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi) + z * np.exp(log_ndtr(z))))
    if z > -40:
        q = -z * np.sqrt(np.pi / 2) * erfcx(-z / np.sqrt(2))
        return float(-0.5 * z * z - 0.5 * np.log(2 * np.pi) + np.log1p(-q))
    k = np.arange(1, 12)
    series = np.cumprod(-(2 * k - 1) / z**2) / -1.0  # 1/z^2, -3/z^4, 15/z^6, ...
    return float(-0.5 * z * z - 0.5 * np.log(2 * np.pi) + np.log(series.sum()))


def posterior_with_gradient(Xq, X, L, alpha, ils, is_cat, scale):
    """(mean, var, dmean, dvar) at the rows of Xq (see the kernel)."""
    return _posterior(Xq, X, np.linalg.inv(L @ L.T), alpha, ils, is_cat, scale)


def _posterior(Xq, X, K_inv, alpha, ils, is_cat, scale):
    Kq = kernel_matrix(Xq, X, ils, is_cat, scale)
    mean = Kq @ alpha
    var = np.maximum(scale - np.einsum("qi,ij,qj->q", Kq, K_inv, Kq), 1e-12 * scale)
    r2, diff = _squared_distances(Xq, X, ils, is_cat)
    dk = _slope(r2, scale)[:, :, None] * 2 * ils * diff  # [q, i, j]
    dk[:, :, is_cat.astype(bool)] = 0.0
    return mean, var, np.einsum("qij,i->qj", dk, alpha), -2 * np.einsum("qij,qi->qj", dk, Kq @ K_inv)


def log_ei_with_gradient(Xq, X, L, alpha, ils, is_cat, scale, f_best):
    return _log_ei(Xq, X, np.linalg.inv(L @ L.T), alpha, ils, is_cat, scale, f_best)


def _log_ei(Xq, X, K_inv, alpha, ils, is_cat, scale, f_best):
    mean, var, dmu, dvar = _posterior(Xq, X, K_inv, alpha, ils, is_cat, scale)
    sigma = np.sqrt(var)
    z = (f_best - mean) / sigma
    out = np.log(sigma) + np.array([log_ei(v) for v in z])
    dz = np.exp(log_ndtr(z) - (out - np.log(sigma)))
    grad = dvar / (2 * var[:, None]) + dz[:, None] * (-dmu / sigma[:, None] - z[:, None] * dvar / (2 * var[:, None]))
    return out, mean, var, grad


def cholesky_inverse(L):
    """K^-1 from the lower Cholesky factor of K."""
    return np.linalg.inv(L @ L.T)


def triangular_inverse(L):
    return np.linalg.inv(L)


def log_mean_ei(Xq, X, L_inv, alphas, ils, is_cat, scale, f_best):
    """(log of the mean EI over the fantasies, its gradient), one fantasy per column of alphas."""
    K_inv = L_inv.T @ L_inv
    per = [_log_ei(Xq, X, K_inv, alphas[:, s], ils, is_cat, scale, f_best[s]) for s in range(len(f_best))]
    values = np.array([p[0] for p in per])  # [S, m]
    top = values.max(axis=0)
    out = top + np.log(np.exp(values - top).mean(axis=0))
    weights = np.exp(values - out) / len(f_best)
    return out, np.einsum("sm,smj->mj", weights, np.array([p[3] for p in per]))


def log_probability_below(Xq, X, L, alpha, ils, is_cat, scale, threshold):
    mean, var, dmu, dvar = posterior_with_gradient(Xq, X, L, alpha, ils, is_cat, scale)
    sigma = np.sqrt(var)
    u = (threshold - mean) / sigma
    out = log_ndtr(u)
    ratio = np.exp(-0.5 * u * u - 0.5 * np.log(2 * np.pi) - out)
    return out, ratio[:, None] * (-dmu / sigma[:, None] - u[:, None] * dvar / (2 * var[:, None]))


def cholesky_append(L, k_new, k_self):
    n = len(L)
    out = np.zeros((n + 1, n + 1))
    out[:n, :n] = L
    out[n, :n] = np.linalg.solve(L, k_new)
    out[n, n] = np.sqrt(k_self - out[n, :n] @ out[n, :n])
    return out
