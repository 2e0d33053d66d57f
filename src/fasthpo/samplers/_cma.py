"""CMA-ES state and updates (Hansen, "The CMA Evolution Strategy: A Tutorial",
arXiv:1604.00772; equation numbers refer to it). The heavy linear algebra runs in
:mod:`fasthpo._kernels.cmaes`; normals come from the caller, so a seeded caller
reproduces every step.

The update follows the order of operations of CyberAgent's ``cmaes`` library, so that
driven by the same normals both give the same iterates (tested to 1e-10).
"""

from __future__ import annotations

import math

import numpy as np

from fasthpo._kernels import cmaes as kernels
from fasthpo._threads import single_threaded_blas

__all__ = ["CMA", "SepCMA"]

EPS = 1e-8
SIGMA_MAX = 1e32


class _Common:
    """Step-size control and the stopping rules shared by the full and separable variants."""

    def _init_common(self, mean: np.ndarray, sigma: float, popsize: int | None) -> None:
        n = len(mean)
        self.n = n
        self.popsize = popsize if popsize is not None else 4 + math.floor(3 * math.log(n))  # eq. 48
        self.mu = self.popsize // 2
        self.mean = np.array(mean, dtype=float)
        self.sigma = float(sigma)
        self.p_sigma = np.zeros(n)
        self.pc = np.zeros(n)
        self.generation = 0
        self.chi_n = math.sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n))  # E||N(0, I)||
        self.tolx = 1e-12 * sigma
        self.funhist_term = 10 + math.ceil(30 * n / self.popsize)
        self.funhist = np.empty(2 * self.funhist_term)

    def _record_values(self, sorted_values: np.ndarray) -> None:
        i = 2 * (self.generation % self.funhist_term)
        self.funhist[i], self.funhist[i + 1] = sorted_values[0], sorted_values[-1]

    def _step_size(self, whitened_y_w: np.ndarray) -> float:
        """Cumulative step-size adaptation (eq. 43-44); returns h_sigma (p. 28)."""
        cs = self.c_sigma
        self.p_sigma = (1 - cs) * self.p_sigma + math.sqrt(cs * (2 - cs) * self.mu_eff) * whitened_y_w
        norm = float(np.linalg.norm(self.p_sigma))
        self.sigma = min(self.sigma * math.exp((cs / self.d_sigma) * (norm / self.chi_n - 1)), SIGMA_MAX)
        left = norm / math.sqrt(1 - (1 - cs) ** (2 * (self.generation + 1)))
        return 1.0 if left < (1.4 + 2 / (self.n + 1)) * self.chi_n else 0.0

    def _stopped(self, diag_c: np.ndarray, D: np.ndarray, axis: np.ndarray) -> bool:
        """The restart criteria of the cmaes library (tolfun, tolx, tolxup, no effect of
        an axis or a coordinate, condition number above 1e14)."""
        if self.generation > self.funhist_term and np.ptp(self.funhist) < 1e-12:
            return True
        if np.all(self.sigma * diag_c < self.tolx) and np.all(self.sigma * self.pc < self.tolx):
            return True
        if self.sigma * np.max(D) > 1e4:
            return True
        if np.any(self.mean == self.mean + 0.2 * self.sigma * np.sqrt(diag_c)):
            return True
        if np.all(self.mean == self.mean + 0.1 * self.sigma * axis):
            return True
        return np.max(D) / np.min(D) > 1e14


class CMA(_Common):
    """Full-covariance CMA-ES with active (negative) recombination weights.

    Parameters
    ----------
    mean : array [n]
    sigma : float
    popsize : int, optional
        lambda; 4 + floor(3 ln n) by default (eq. 48).
    eigen_interval : int, optional
        Generations between eigendecompositions of C; by default
        max(1, floor(1 / (10 n (c1 + cmu)))) (the tutorial's advice to keep the
        O(n^3) step at O(n^2) per generation), which is 1 up to n of about 150.
    """

    def __init__(self, mean: np.ndarray, sigma: float, popsize: int | None = None,
                 eigen_interval: int | None = None) -> None:
        self._init_common(mean, sigma, popsize)
        n, lam, mu = self.n, self.popsize, self.mu
        w_prime = np.array([math.log((lam + 1) / 2) - math.log(i + 1) for i in range(lam)])  # eq. 49
        self.mu_eff = w_prime[:mu].sum() ** 2 / (w_prime[:mu] ** 2).sum()
        mu_eff_minus = w_prime[mu:].sum() ** 2 / (w_prime[mu:] ** 2).sum() if lam > mu else 1.0
        self.c1 = 2 / ((n + 1.3) ** 2 + self.mu_eff)  # eq. 57
        self.cmu = min(1 - self.c1 - 1e-8, 2 * (self.mu_eff - 2 + 1 / self.mu_eff)
                       / ((n + 2) ** 2 + self.mu_eff))  # eq. 58
        alpha_min = min(1 + self.c1 / self.cmu, 1 + 2 * mu_eff_minus / (self.mu_eff + 2),
                        (1 - self.c1 - self.cmu) / (n * self.cmu))  # eq. 50-52
        positive, negative = w_prime[w_prime > 0].sum(), -w_prime[w_prime < 0].sum()
        self.weights = np.where(w_prime >= 0, w_prime / positive, alpha_min * w_prime / negative)  # eq. 53
        self.c_sigma = (self.mu_eff + 2) / (n + self.mu_eff + 5)  # eq. 55
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((self.mu_eff - 1) / (n + 1)) - 1) + self.c_sigma
        self.cc = (4 + self.mu_eff / n) / (n + 4 + 2 * self.mu_eff / n)  # eq. 56
        self.C = np.eye(n)
        self.eigen_interval = eigen_interval or max(1, math.floor(1 / (10 * n * (self.c1 + self.cmu))))
        self._B: np.ndarray | None = None
        self._D: np.ndarray | None = None
        self._eigen_age = 0

    def _eigen(self) -> tuple[np.ndarray, np.ndarray]:
        """B, D with C = B diag(D^2) B^T; recomputed (and C re-formed from them, as the
        cmaes library does) when stale, at most every ``eigen_interval`` generations."""
        if self._B is None or self._eigen_age >= self.eigen_interval:
            with single_threaded_blas(self.n):
                self.C = (self.C + self.C.T) / 2
                B, D2 = kernels.eigh(self.C)
                D = np.sqrt(np.where(D2 < 0, EPS, D2))
                self.C = (B * D**2) @ B.T
            self._B, self._D, self._eigen_age = B, D, 0
        return self._B, self._D

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Solutions [k, n] from standard normals z [k, n] (eq. 38-40)."""
        B, D = self._eigen()
        return kernels.sample(self.mean, self.sigma, B, D, np.ascontiguousarray(z))

    def tell(self, x: np.ndarray, values: np.ndarray) -> None:
        """Update from ``popsize`` solutions and their values (smaller is better)."""
        with single_threaded_blas(self.n):
            self._tell(x, values)

    def _tell(self, x: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(values, kind="stable")
        self.generation += 1
        self._record_values(np.asarray(values)[order])
        B, D = self._eigen()
        self._B = None if self.eigen_interval == 1 else self._B
        self._eigen_age += 1
        y = (np.asarray(x)[order] - self.mean) / self.sigma
        y_w = self.weights[: self.mu] @ y[: self.mu]  # eq. 41
        self.mean = self.mean + self.sigma * y_w  # eq. 42, cm = 1
        whiten = (B / D) @ B.T  # C^(-1/2)
        h_sigma = self._step_size(whiten @ y_w)
        self.pc = (1 - self.cc) * self.pc + h_sigma * math.sqrt(self.cc * (2 - self.cc) * self.mu_eff) * y_w  # eq. 45
        # active weights rescaled by n / ||C^(-1/2) y||^2 (eq. 46)
        w_io = self.weights * np.where(self.weights >= 0, 1.0,
                                       self.n / (np.linalg.norm(whiten @ y.T, axis=0) ** 2 + EPS))
        delta_h = (1 - h_sigma) * self.cc * (2 - self.cc)
        decay = 1 + self.c1 * delta_h - self.c1 - self.cmu * self.weights.sum()
        kernels.covariance_update(self.C, decay, self.c1, self.pc, self.cmu, w_io, np.ascontiguousarray(y))  # eq. 47

    def should_stop(self) -> bool:
        B, D = self._eigen()
        i = self.generation % self.n
        return self._stopped(np.diag(self.C), D, D[i] * B[:, i])


class SepCMA(_Common):
    """Separable CMA-ES (Ros & Hansen 2008): a diagonal covariance, O(n) per solution,
    for hundreds to thousands of parameters. Constants as in the cmaes library."""

    def __init__(self, mean: np.ndarray, sigma: float, popsize: int | None = None) -> None:
        self._init_common(mean, sigma, popsize)
        n, mu = self.n, self.mu
        w_prime = np.array([math.log(mu + 1) - math.log(i + 1) for i in range(mu)])
        self.weights = w_prime / w_prime.sum()
        self.mu_eff = 1 / (self.weights**2).sum()
        self.c1 = 2 / ((n + 1.3) ** 2 + self.mu_eff)
        cmu_full = 2 / self.mu_eff / (n + math.sqrt(2)) ** 2 + (1 - 1 / self.mu_eff) * min(
            1, (2 * self.mu_eff - 1) / ((n + 2) ** 2 + self.mu_eff))
        self.cmu = (n + 2) / 3 * cmu_full
        self.c_sigma = (self.mu_eff + 2) / (n + self.mu_eff + 3)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((self.mu_eff - 1) / (n + 1)) - 1) + self.c_sigma
        self.cc = 4 / (n + 4)
        self.C = np.ones(n)

    def _D(self) -> np.ndarray:
        return np.sqrt(np.where(self.C < 0, EPS, self.C))

    def sample(self, z: np.ndarray) -> np.ndarray:
        return self.mean + self.sigma * (self._D() * z)

    def tell(self, x: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(values, kind="stable")
        self.generation += 1
        self._record_values(np.asarray(values)[order])
        D = self._D()
        y = (np.asarray(x)[order] - self.mean) / self.sigma
        y_w = self.weights @ y[: self.mu]
        self.mean = self.mean + self.sigma * y_w
        h_sigma = self._step_size(y_w / D)
        self.pc = (1 - self.cc) * self.pc + h_sigma * math.sqrt(self.cc * (2 - self.cc) * self.mu_eff) * y_w
        delta_h = (1 - h_sigma) * self.cc * (2 - self.cc)
        rank_mu = self.weights @ (y[: self.mu] ** 2)
        self.C = ((1 + self.c1 * delta_h - self.c1 - self.cmu * self.weights.sum()) * self.C
                  + self.c1 * self.pc**2 + self.cmu * rank_mu)

    def should_stop(self) -> bool:
        D = self._D()
        return self._stopped(self.C, D, D[self.generation % self.n] * np.ones(self.n))
