"""Fix some parameters to given values and let another sampler propose the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution
from fasthpo.samplers.base import BaseSampler
from fasthpo.trial_state import TrialState

__all__ = ["PartialFixedSampler"]


class PartialFixedSampler(BaseSampler):
    """Suggest the values in ``fixed_params`` for their parameters, and ask ``base_sampler``
    for every other parameter (it models the fixed ones as they were observed).

    Parameters
    ----------
    fixed_params : dict of str to value
        The fixed value of each parameter; it must lie in the distribution the
        parameter is suggested with.
    base_sampler : BaseSampler
        Proposes the parameters that are not fixed.

    Examples
    --------
    >>> import fasthpo
    >>> base = fasthpo.samplers.RandomSampler(seed=0)
    >>> sampler = fasthpo.samplers.PartialFixedSampler({"y": 0}, base)
    >>> study = fasthpo.create_study(sampler=sampler)
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("y", -1, 1) ** 2, n_trials=5)
    >>> {t.params["y"] for t in study.trials}
    {0}
    """

    def __init__(self, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> None:
        if not isinstance(fixed_params, dict) or not all(isinstance(k, str) for k in fixed_params):
            raise TypeError(f"fixed_params must be a dict with str keys, got {fixed_params!r}.")
        if not isinstance(base_sampler, BaseSampler):
            raise TypeError(f"base_sampler must be a fasthpo sampler, got {base_sampler!r}.")
        self._fixed = dict(fixed_params)
        self._base = base_sampler

    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        space = self._base.infer_relative_search_space(history)
        return {name: d for name, d in space.items() if name not in self._fixed}

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        return self._base.propose(history, space, numbers)

    def propose_independent(
        self, history: History, name: str, distribution: BaseDistribution, numbers: Sequence[int]
    ) -> np.ndarray:
        if name not in self._fixed:
            return self._base.propose_independent(history, name, distribution, numbers)
        value = self._fixed[name]
        if not distribution.contains(value):
            raise ValueError(f"The fixed value {value!r} of parameter {name!r} is not in {distribution!r}.")
        return np.full(len(numbers), distribution.to_internal(value))

    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]] | None:
        return self._base.before_trials(history, numbers)

    def after_trial(
        self, history: History, number: int, state: TrialState, values: Sequence[float] | None
    ) -> dict[str, Any] | None:
        return self._base.after_trial(history, number, state, values)

    def n_remaining(self, history: History) -> int | None:
        return self._base.n_remaining(history)

    def reseed_rng(self) -> None:
        self._base.reseed_rng()
