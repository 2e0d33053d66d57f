"""The interface every sampler implements.

A sampler proposes parameters in the internal encoding (DESIGN.md, principle 4) in two
steps, the way Optuna's samplers do:

1. **Relative (joint) sampling.** On the first suggestion of a trial the sampler names a
   search space (:meth:`BaseSampler.infer_relative_search_space`, usually the
   parameters every finished trial shares) and proposes all of it at once
   (:meth:`BaseSampler.sample_relative`). TPE-multivariate, GP and CMA-ES live here.
2. **Independent sampling.** Any parameter outside that space, or with another
   distribution, is proposed alone (:meth:`BaseSampler.sample_independent`).

Samplers read the history from ``study._store`` (a :class:`fasthpo.store.TrialStore`),
never by looping over trial objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from fasthpo.distributions import BaseDistribution
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.study import Study
    from fasthpo.trial import FrozenTrial, Trial

__all__ = ["BaseSampler", "JointSampler", "UniformSource"]


class BaseSampler:
    """Base class of samplers. Subclasses override the steps they use."""

    def infer_relative_search_space(self, study: Study, trial: Trial) -> dict[str, BaseDistribution]:
        """The parameters to sample jointly for ``trial`` (empty: none)."""
        return {}

    def sample_relative(
        self, study: Study, trial: Trial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, float]:
        """Internal values for (a subset of) ``search_space``, proposed jointly."""
        return {}

    def sample_independent(self, study: Study, trial: Trial, name: str, distribution: BaseDistribution) -> float:
        """An internal value for one parameter outside the relative search space."""
        raise NotImplementedError

    def before_trial(self, study: Study, trial: Trial) -> None:
        """Called when ``study.ask`` has created ``trial``, before any suggestion."""

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        """Called when ``trial`` has been told (and is already finished in the store)."""

    def reseed_rng(self) -> None:
        """Draw a fresh seed (each worker of ``optimize(n_jobs>1)`` keeps its own sequence)."""


class JointSampler(BaseSampler):
    """A sampler that proposes its joint search space itself and hands every parameter
    outside it to ``self._independent`` (set by the subclass), hooks and seed included."""

    _independent: BaseSampler

    def sample_independent(self, study: Study, trial: Trial, name: str, distribution: BaseDistribution) -> float:
        return self._independent.sample_independent(study, trial, name, distribution)

    def before_trial(self, study: Study, trial: Trial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._independent.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()


class UniformSource:
    """Uniform draws from a seeded ``numpy.random.Generator``, served from a block.

    One ``Generator.random()`` call per suggestion costs more than the rest of a
    random suggestion; drawing a block of ``block`` at a time and handing them out one
    by one keeps the sequence identical for a given seed.

    Examples
    --------
    >>> a, b = UniformSource(seed=1), UniformSource(seed=1)
    >>> [a.next() for _ in range(3)] == [b.next() for _ in range(3)]
    True
    """

    def __init__(self, seed: int | None = None, block: int = 256) -> None:
        self.rng = np.random.default_rng(seed)
        self._block = block
        self._buffer: list[float] = []

    def next(self) -> float:
        """One uniform draw in ``[0, 1)``."""
        if not self._buffer:
            self._buffer = self.rng.random(self._block).tolist()
            self._buffer.reverse()
        return self._buffer.pop()

    def reseed(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self._buffer = []


def check_seed(seed: Any) -> int | None:
    """Validate a sampler's ``seed`` argument."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {seed!r} ({type(seed).__name__}).")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed!r}.")
    return int(seed)
