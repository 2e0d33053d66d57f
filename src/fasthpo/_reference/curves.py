"""Pure-NumPy twin of the learning-curve fits (csrc/curves.pyx)."""

from __future__ import annotations

import numpy as np

__all__ = ["evaluate", "fit_curves"]


def _basis(family: int, t, c: float):
    return t ** -c if family == 0 else np.exp(-c * t)


def fit_curves(t: np.ndarray, y: np.ndarray, shapes: np.ndarray) -> np.ndarray:
    """Rows (a, b, c, sse) of the best fit of each family (see the kernel)."""
    if len(y) != len(t) or len(t) == 0:
        raise ValueError(f"t and y must have the same length >= 1, got {len(t)} and {len(y)}.")
    out = np.empty((2, 4))
    for family in range(2):
        best = (np.inf,)
        for c in shapes:
            phi = _basis(family, t, c)
            p = phi - phi.mean()
            spp = (p * p).sum()
            b = (p * (y - y.mean())).sum() / spp if spp > 1e-300 else 0.0
            a = y.mean() - b * phi.mean()
            sse = ((y - a - b * phi) ** 2).sum()
            if sse < best[0]:
                best = (sse, a, b, c)
        out[family] = [best[1], best[2], best[3], best[0]]
    return out


def evaluate(fits: np.ndarray, t: float) -> np.ndarray:
    """Each family's fitted value at resource ``t``."""
    return np.array([fits[f, 0] + fits[f, 1] * _basis(f, t, fits[f, 2]) for f in range(len(fits))])
