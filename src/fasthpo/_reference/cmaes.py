"""Pure-NumPy twin of the CMA-ES kernels (csrc/cmaes.pyx)."""

from __future__ import annotations

import numpy as np

__all__ = ["covariance_update", "eigh", "sample"]


def sample(mean, sigma, B, D, z):
    """x_k = m + sigma B (D * z_k) for each row of z (Hansen's tutorial, eq. 38-40)."""
    return mean + sigma * (z * D) @ B.T


def covariance_update(C, decay, c1, pc, cmu, weights, y):
    """C <- decay C + c1 pc pc^T + cmu sum_i w_i y_i y_i^T, in place (eq. 47)."""
    C *= decay
    C += c1 * np.outer(pc, pc) + cmu * (y.T * weights) @ y


def eigh(C):
    """(eigenvectors as columns, eigenvalues ascending) of the symmetric C."""
    values, vectors = np.linalg.eigh(C)
    return vectors, values
