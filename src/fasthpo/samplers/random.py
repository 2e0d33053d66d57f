"""Uniform random search."""

from __future__ import annotations

import numpy as np

from fasthpo.distributions import BaseDistribution
from fasthpo.samplers.base import BaseSampler, UniformSource, check_seed

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Draw every parameter independently and uniformly (log-uniformly with ``log=True``).

    Integers, step grids and categorical choices are uniform over their values.

    Parameters
    ----------
    seed : int, optional
        Seed of the sampler's generator; the same seed gives the same suggestions.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=42))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
    >>> study.best_value < 0.1
    True
    """

    def __init__(self, seed: int | None = None) -> None:
        self._uniforms = UniformSource(check_seed(seed))

    def propose_independent(self, history, name: str, distribution: BaseDistribution, numbers) -> np.ndarray:
        low, high = distribution.sampling_bounds()
        if len(numbers) == 1:  # the scalar path: no array for one value
            return [low + (high - low) * self._uniforms.next()]
        return low + (high - low) * self._uniforms.take(len(numbers))

    def reseed_rng(self) -> None:
        self._uniforms.reseed()
