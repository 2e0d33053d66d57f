"""Pure-NumPy twin of the multi-objective kernels (csrc/hypervolume.pyx)."""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["hypervolume", "nondomination_ranks"]


def nondomination_ranks(losses: np.ndarray, n_needed: int) -> np.ndarray:
    """Ranks by peeling Pareto fronts (from the full dominance matrix) until
    ``n_needed`` rows are ranked; the rest get the next rank."""
    n = len(losses)
    no_worse = (losses[:, None, :] <= losses[None, :, :]).all(axis=2)
    better = (losses[:, None, :] < losses[None, :, :]).any(axis=2)
    dominates = no_worse & better  # dominates[a, b]: a dominates b
    ranks = np.full(n, -1)
    rank = 0
    while (ranks >= 0).sum() < min(n, n_needed):
        left = ranks < 0
        front = left & ~dominates[left].any(axis=0)  # not dominated by any row still unranked
        ranks[front] = rank
        rank += 1
    ranks[ranks < 0] = rank
    return ranks


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Dominated volume by inclusion-exclusion over every subset (exponential: small n only)."""
    inside = points[(points < reference).all(axis=1)]
    total = 0.0
    for size in range(1, len(inside) + 1):
        for subset in itertools.combinations(range(len(inside)), size):
            corner = inside[list(subset)].max(axis=0)
            total += (-1) ** (size + 1) * np.prod(reference - corner)
    return float(total)
