"""Pure-NumPy twin of NSGA-II's survival kernels (csrc/nsga.pyx)."""

from __future__ import annotations

import numpy as np

__all__ = ["constrained_ranks", "crowding_distance", "domination_matrix"]


def domination_matrix(losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """``out[a, b]`` is 1 when row a constraint-dominates row b."""
    n = len(losses)
    if len(violation) != n:
        raise ValueError(f"violation has {len(violation)} entries for {n} rows.")
    feasible = np.isnan(violation) | (violation <= 0)
    pareto = ((losses[:, None, :] <= losses[None, :, :]).all(axis=2)
              & (losses[:, None, :] < losses[None, :, :]).any(axis=2))
    both_feasible = feasible[:, None] & feasible[None, :]
    both_infeasible = ~feasible[:, None] & ~feasible[None, :]
    dominates = ((both_feasible & pareto) | (feasible[:, None] & ~feasible[None, :])
                 | (both_infeasible & (violation[:, None] < violation[None, :])))
    return dominates.astype(np.uint8)


def constrained_ranks(losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Fronts under constraint domination, peeled from the full domination matrix."""
    n = len(losses)
    dominates = domination_matrix(losses, violation).astype(bool)
    ranks = np.full(n, -1, dtype=np.int64)
    rank = 0
    while (ranks < 0).any():
        left = ranks < 0
        ranks[left & ~dominates[left].any(axis=0)] = rank
        rank += 1
    return ranks


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """Crowding distance of each row of one front (see the kernel's docstring)."""
    n, k = losses.shape
    dist = np.zeros(n)
    for j in range(k):
        order = np.argsort(losses[:, j], kind="stable")
        v = losses[order, j]
        if n == 0 or v[0] == v[-1]:
            continue
        finite = v[np.isfinite(v)]
        width = finite.max() - finite.min() if finite.size and finite.max() > finite.min() else 1.0
        padded = np.concatenate([[-np.inf], v, [np.inf]])
        below, above = padded[:-2], padded[2:]
        with np.errstate(invalid="ignore"):
            gap = np.where(below == above, 0.0, above - below)
        dist[order] += gap / width
    return dist
