"""How every client drives a sampler for a group of new trials (the protocol of
:mod:`fasthpo.samplers.base`): hooks, the joint proposal made once, then each parameter
taken from it or proposed on its own. The Study (scalar and batch trials), the Optuna
adapter and :class:`~fasthpo.core.ArrayHistory` all go through :class:`Proposer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fasthpo.core.history import History
from fasthpo.core.space import SearchSpace
from fasthpo.distributions import BaseDistribution

__all__ = ["Proposer", "propose_rows"]

AttrWriter = Callable[[int, str, Any], None]


class Proposer:
    """The proposals of ``sampler`` for trials ``numbers``, parameter by parameter.

    The joint proposal is made on the first parameter asked (define-by-run: by then
    the trials exist and the sampler's hooks have run) and kept for the others.

    Parameters
    ----------
    sampler : BaseSampler
    history : History
    numbers : sequence of int
        The new trials, RUNNING in ``history``.
    write_attr : callable
        ``write_attr(number, key, value)`` stores a system attribute the sampler returned.
    """

    __slots__ = ("sampler", "history", "numbers", "_write", "_space", "_X")

    def __init__(self, sampler: Any, history: History, numbers: Sequence[int], write_attr: AttrWriter) -> None:
        self.sampler = sampler
        self.history = history
        self.numbers = list(numbers)
        self._write = write_attr
        self._space: SearchSpace | None = None
        self._X: np.ndarray | None = None
        self._store_attrs(sampler.before_trials(history, self.numbers))

    def values(self, name: str, distribution: BaseDistribution) -> np.ndarray:
        """One encoded value of ``name`` per trial."""
        if self._space is None:
            self._propose_joint()
        space = self._space
        if name in space and space[name] == distribution:
            column = self._X[:, space.index(name)]
            missing = np.isnan(column)
            if not missing.any():
                return column
            if missing.all():
                return self._independent(name, distribution, self.numbers)
            column = column.copy()
            rows = np.flatnonzero(missing)
            column[rows] = self._independent(name, distribution, [self.numbers[i] for i in rows])
            return column
        return self._independent(name, distribution, self.numbers)

    def _independent(self, name: str, distribution: BaseDistribution, numbers: list[int]) -> np.ndarray:
        values = np.asarray(self.sampler.propose_independent(self.history, name, distribution, numbers), dtype=float)
        if values.shape != (len(numbers),):
            raise RuntimeError(f"{type(self.sampler).__name__}.propose_independent returned shape {values.shape} "
                               f"for {len(numbers)} trials.")
        return values

    def _propose_joint(self) -> None:
        space = SearchSpace(self.sampler.infer_relative_search_space(self.history))
        self._space = space
        if len(space) == 0:
            self._X = np.empty((len(self.numbers), 0))
            return
        proposal = self.sampler.propose(self.history, space, self.numbers)
        if proposal.X.shape != (len(self.numbers), len(space)):
            raise RuntimeError(f"{type(self.sampler).__name__}.propose returned shape {proposal.X.shape} "
                               f"for {len(self.numbers)} trials and {len(space)} parameters.")
        self._X = proposal.X
        self._store_attrs(proposal.attrs)

    def _store_attrs(self, attrs: list[dict[str, Any]] | None) -> None:
        for number, row in zip(self.numbers, attrs or ()):
            for key, value in row.items():
                self._write(number, key, value)


def propose_rows(sampler: Any, history: History, space: SearchSpace, numbers: Sequence[int], store: Any) -> np.ndarray:
    """Propose every parameter of ``space`` for the new trials ``numbers`` and record
    them in ``store``; the encoded rows ``[len(numbers), len(space)]`` as recorded."""
    proposer = Proposer(sampler, history, numbers, store.set_system_attr)
    X = np.empty((len(numbers), len(space)))
    for j, (name, distribution) in enumerate(zip(space.names, space.distributions)):
        if distribution.single():
            column = np.full(len(numbers), distribution.internal_low)
        else:
            column = proposer.values(name, distribution)
        for i, number in enumerate(numbers):
            store.set_param(number, name, distribution, float(column[i]))
            X[i, j] = store.X[number, store.columns[name]]
    return X
