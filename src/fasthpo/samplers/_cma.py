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

__all__ = ["CMA", "CMAwM", "SepCMA", "warm_start"]

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
                 eigen_interval: int | None = None, lr_adapt: bool = False, cov: np.ndarray | None = None) -> None:
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
        self.C = np.eye(n) if cov is None else np.array(cov, dtype=float)
        self.eigen_interval = eigen_interval or max(1, math.floor(1 / (10 * n * (self.c1 + self.cmu))))
        self._B: np.ndarray | None = None
        self._D: np.ndarray | None = None
        self._eigen_age = 0
        self.lr_adapt = lr_adapt
        if lr_adapt:  # Nomura et al. 2023, "CMA-ES with Learning Rate Adaptation", Algorithm 1
            self.eta_mean = self.eta_sigma = 1.0
            self.E_mean, self.E_sigma = np.zeros(n), np.zeros(n * n)
            self.V_mean = self.V_sigma = 0.0

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
        if self.lr_adapt:
            old = (self.mean.copy(), self.sigma, self.sigma**2 * self.C, (B / D) @ B.T)
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
        if self.lr_adapt:
            self._adapt_learning_rates(*old)

    def _adapt_learning_rates(self, old_mean, old_sigma, old_Sigma, old_whiten) -> None:
        """Scale the mean and covariance steps by learning rates that track their
        signal-to-noise ratio (Nomura et al. 2023, eq. 6-10; constants alpha = 1.4,
        beta_mean = 0.1, beta_Sigma = 0.03, gamma = 0.1 as in the cmaes library)."""
        alpha, beta_m, beta_s, gamma = 1.4, 0.1, 0.03, 0.1
        delta_mean = self.mean - old_mean
        delta_Sigma = self.sigma**2 * self.C - old_Sigma
        whiten = old_whiten / old_sigma
        local_mean = whiten @ delta_mean
        local_Sigma = (whiten @ delta_Sigma @ whiten).ravel() / np.sqrt(2)
        self.E_mean = (1 - beta_m) * self.E_mean + beta_m * local_mean
        self.E_sigma = (1 - beta_s) * self.E_sigma + beta_s * local_Sigma
        self.V_mean = (1 - beta_m) * self.V_mean + beta_m * float(np.linalg.norm(local_mean)) ** 2
        self.V_sigma = (1 - beta_s) * self.V_sigma + beta_s * float(np.linalg.norm(local_Sigma)) ** 2
        sq_mean, sq_sigma = np.linalg.norm(self.E_mean) ** 2, np.linalg.norm(self.E_sigma) ** 2
        snr_mean = (sq_mean - beta_m / (2 - beta_m) * self.V_mean) / (self.V_mean - sq_mean)
        snr_sigma = (sq_sigma - beta_s / (2 - beta_s) * self.V_sigma) / (self.V_sigma - sq_sigma)
        eta_mean_before = self.eta_mean
        self.eta_mean *= np.exp(min(gamma * self.eta_mean, beta_m)
                                * np.clip(snr_mean / alpha / self.eta_mean - 1, -1, 1))
        self.eta_sigma *= np.exp(min(gamma * self.eta_sigma, beta_s)
                                 * np.clip(snr_sigma / alpha / self.eta_sigma - 1, -1, 1))
        self.eta_mean, self.eta_sigma = min(self.eta_mean, 1.0), min(self.eta_sigma, 1.0)
        self.mean = old_mean + self.eta_mean * delta_mean
        Sigma = old_Sigma + self.eta_sigma * delta_Sigma
        self.sigma = min(float(np.exp(np.sum(np.log(np.linalg.eigvalsh(Sigma))) / 2.0 / self.n)), SIGMA_MAX)
        self.C = Sigma / self.sigma**2
        self.sigma *= eta_mean_before / self.eta_mean

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


class CMAwM:
    """CMA-ES with margin (Hamano et al. 2022, "CMA-ES with Margin: Lower-Bounding Marginal
    Probability for Mixed-Integer Black-Box Optimization"): discrete coordinates are
    rounded to their grid for evaluation, and after each update the mean and a per-axis
    scaling A are corrected so that every discrete coordinate keeps at least ``margin``
    probability of leaving its current grid cell (Algorithm 1 there; the cmaes library's
    order of operations).

    Parameters
    ----------
    mean, sigma, popsize
        As in :class:`CMA`.
    grid_low, grid_step : arrays [n]
        The first grid value and the grid step of each coordinate; step 0 marks a
        continuous one. ``grid_size`` the number of grid values.
    margin : float, optional
        1 / (n popsize) by default.
    """

    def __init__(self, mean, sigma, grid_low, grid_step, grid_size, popsize=None, margin=None) -> None:
        self.cma = CMA(mean, sigma, popsize)
        self.discrete = np.flatnonzero(np.asarray(grid_step) > 0)
        self.low = np.asarray(grid_low, dtype=float)[self.discrete]
        self.step = np.asarray(grid_step, dtype=float)[self.discrete]
        self.size = np.asarray(grid_size)[self.discrete]
        self.margin = margin if margin is not None else 1 / (self.cma.n * self.cma.popsize)
        self.A = np.ones(self.cma.n)

    def __getattr__(self, name):  # popsize, generation, mean, sigma, C, should_stop ...
        return getattr(self.cma, name)

    def sample(self, z: np.ndarray) -> np.ndarray:
        """Raw solutions (what :meth:`tell` wants); :meth:`encode` rounds them."""
        return self.cma.sample(z)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Discrete coordinates moved (x - m) A + m and rounded to the nearest grid value."""
        out = np.array(x, dtype=float)
        mean = self.cma.mean[self.discrete]
        values = (out[..., self.discrete] - mean) * self.A[self.discrete] + mean
        index = np.clip(np.floor((values - self.low) / self.step + 0.5), 0, self.size - 1)
        out[..., self.discrete] = self.low + index * self.step
        return out

    def _limits(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boundaries of the grid cell around each value (midpoints to the neighbours)."""
        index = np.clip(np.floor((values - self.low) / self.step + 0.5), 0, self.size - 1)
        lower = np.clip(index - 1, 0, self.size - 2)
        upper = np.clip(index, 0, self.size - 2)
        return self.low + (lower + 0.5) * self.step, self.low + (upper + 0.5) * self.step

    def tell(self, x: np.ndarray, values: np.ndarray) -> None:
        self.cma.tell(x, values)
        if len(self.discrete) == 0:
            return
        from scipy.special import ndtr
        from scipy.stats import chi2

        cma, idx, margin = self.cma, self.discrete, self.margin
        mean = cma.mean
        lim_low, lim_up = self._limits(mean[idx])
        scale = cma.sigma * self.A[idx] * np.sqrt(np.diag(cma.C)[idx])
        low_cdf = ndtr((lim_low - mean[idx]) / scale)
        up_cdf = 1.0 - ndtr((lim_up - mean[idx]) / scale)
        mid_cdf = 1.0 - (low_cdf + up_cdf)
        edge = np.maximum(low_cdf, up_cdf) > 0.5
        side = ~edge
        if edge.any():  # at an end of the grid: pull the mean back inside the margin
            modify = np.minimum(low_cdf, up_cdf) < margin
            sign = np.sign(mean[idx] - lim_up)
            dist = cma.sigma * self.A[idx] * np.sqrt(chi2.ppf(1.0 - 2.0 * margin, 1) * np.diag(cma.C)[idx])
            mean[idx] = mean[idx] + modify * edge * (lim_up + sign * dist - mean[idx])
        low_cdf = np.maximum(low_cdf, margin / 2.0)
        up_cdf = np.maximum(up_cdf, margin / 2.0)
        rest = (1.0 - low_cdf - up_cdf - mid_cdf) / (low_cdf + mid_cdf + up_cdf - 3.0 * margin / 2)
        new_low = np.clip(low_cdf + rest * (low_cdf - margin / 2), 1e-10, 0.5 - 1e-10)
        new_up = np.clip(up_cdf + rest * (up_cdf - margin / 2), 1e-10, 0.5 - 1e-10)
        chi_low = np.sqrt(chi2.ppf(1.0 - 2 * new_low, 1))
        chi_up = np.sqrt(chi2.ppf(1.0 - 2 * new_up, 1))
        std = np.sqrt(np.diag(cma.C))[idx]
        self.A[idx] = self.A[idx] + side * ((lim_up - lim_low) / ((chi_low + chi_up) * cma.sigma * std) - self.A[idx])
        mean[idx] = mean[idx] + side * ((lim_low * chi_up + lim_up * chi_low) / (chi_low + chi_up) - mean[idx])


def warm_start(x: np.ndarray, values: np.ndarray, gamma: float = 0.1, alpha: float = 0.1
               ) -> tuple[np.ndarray, float, np.ndarray]:
    """Initial mean, step size and covariance from solutions of a related task
    (WS-CMA-ES, Nomura et al. 2021, eq. 5-6): the best ``gamma`` share of the solutions
    gives the mean and, with a prior alpha^2 I, the covariance Sigma = sigma^2 C with
    det(C) = 1."""
    k = max(1, math.floor(len(values) * gamma))
    top = np.asarray(x)[np.argsort(values, kind="stable")[:k]]
    mean = top.mean(axis=0)
    Sigma = alpha**2 * np.eye(top.shape[1]) + top.T @ top / k - np.outer(mean, mean)
    sigma = float(np.linalg.det(Sigma) ** (1.0 / (2 * top.shape[1])))
    return mean, sigma, Sigma / sigma**2
