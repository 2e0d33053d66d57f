"""Quasi-Monte Carlo search: low-discrepancy sequences from scipy.stats.qmc."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import qmc

from fasthpo.core import Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution
from fasthpo.samplers.base import BaseSampler, JointSampler, check_seed
from fasthpo.samplers.random import RandomSampler

__all__ = ["QMCSampler"]


class QMCSampler(JointSampler):
    """Cover the search space evenly with a Sobol or Halton sequence.

    The joint search space is fixed by the first complete trial (which, like any
    parameter outside that space, is drawn by ``independent_sampler``); each later
    trial takes the next point of the sequence.

    Parameters
    ----------
    qmc_type : {"sobol", "halton"}
        The low-discrepancy sequence.
    scramble : bool
        Randomize the sequence (Owen scrambling), seeded by ``seed``.
    seed : int, optional
        Seed of the scrambling and of the independent sampler.
    independent_sampler : BaseSampler, optional
        For parameters outside the joint space; ``RandomSampler(seed)`` by default.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.QMCSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=9)
    >>> sorted(round(t.params["x"], 3) for t in study.trials[1:5])
    [0.0, 0.25, 0.5, 0.75]
    """

    def __init__(
        self,
        qmc_type: str = "sobol",
        scramble: bool = False,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        if qmc_type not in ("sobol", "halton"):
            raise ValueError(f"qmc_type must be 'sobol' or 'halton', got {qmc_type!r}.")
        self.qmc_type = qmc_type
        self.scramble = bool(scramble)
        seed = check_seed(seed)
        self._seed = int(np.random.SeedSequence(seed).generate_state(1)[0]) if seed is None else seed
        self._independent = independent_sampler if independent_sampler is not None else RandomSampler(seed)
        self._space: dict[str, BaseDistribution] | None = None
        self._engine = None
        self._next_index = 0

    def infer_relative_search_space(self, history) -> dict[str, BaseDistribution]:
        if self._space is None:
            space = history.intersection_search_space()
            if not space:
                return {}
            self._space = {n: space[n] for n in sorted(space) if not space[n].single()}
        return self._space

    def propose(self, history, space: SearchSpace, numbers) -> Proposal:
        """The next ``len(numbers)`` points of the sequence, in order."""
        if self._engine is None:
            engine = qmc.Sobol if self.qmc_type == "sobol" else qmc.Halton
            self._engine = engine(d=len(space), scramble=self.scramble, seed=self._seed)
        with warnings.catch_warnings():  # consecutive batches continue one sequence: its balance holds
            warnings.filterwarnings("ignore", "The balance properties", UserWarning)
            u = self._engine.random(len(numbers))
        first = self._next_index
        self._next_index += len(numbers)
        return Proposal(space.low + (space.high - space.low) * u, [{"qmc_index": first + i} for i in range(len(numbers))])
