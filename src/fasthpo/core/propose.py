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

    __slots__ = ("sampler", "history", "numbers", "_write", "_X", "_columns")

    def __init__(self, sampler: Any, history: History, numbers: Sequence[int], write_attr: AttrWriter) -> None:
        self.sampler = sampler
        self.history = history
        self.numbers = list(numbers)
        self._write = write_attr
        self._X: np.ndarray | None = None
        self._columns: dict[str, tuple[int, BaseDistribution]] | None = None  # of the joint proposal
        attrs = sampler.before_trials(history, self.numbers)
        if attrs:
            self._store_attrs(attrs)

    def values(self, name: str, distribution: BaseDistribution, rows: np.ndarray | None = None) -> np.ndarray:
        """One encoded value of ``name`` per trial (per trial of ``rows``, positions in
        ``numbers``, for a part of a batch)."""
        if self._columns is None:
            self._propose_joint()
        everyone = rows is None or len(rows) == len(self.numbers)  # a batch's rows are distinct
        joint = self._columns.get(name)
        if joint is None or joint[1] != distribution:
            numbers = self.numbers if everyone else np.asarray(self.numbers)[rows].tolist()
            return self._independent(name, distribution, numbers)
        rows = np.arange(len(self.numbers)) if rows is None else rows
        column = self._X[rows, joint[0]]
        missing = np.flatnonzero(np.isnan(column))
        if len(missing):
            column[missing] = self._independent(name, distribution, np.asarray(self.numbers)[rows[missing]].tolist())
        return column

    def value(self, name: str, distribution: BaseDistribution) -> float:
        """The encoded value of ``name`` for a group of one trial (the scalar path)."""
        if self._columns is None:
            self._propose_joint()
        joint = self._columns.get(name)
        if joint is not None and joint[1] == distribution:
            x = self._X[0, joint[0]]
            if x == x:  # not NaN
                return float(x)
        return float(self.sampler.propose_independent(self.history, name, distribution, self.numbers)[0])

    def _independent(self, name: str, distribution: BaseDistribution, numbers: list[int]) -> np.ndarray:
        values = np.asarray(self.sampler.propose_independent(self.history, name, distribution, numbers), dtype=float)
        if values.shape != (len(numbers),):
            raise RuntimeError(f"{type(self.sampler).__name__}.propose_independent returned shape {values.shape} "
                               f"for {len(numbers)} trials.")
        return values

    def _propose_joint(self) -> None:
        distributions = self.sampler.infer_relative_search_space(self.history)
        self._columns = {}
        if not distributions:
            return
        space = SearchSpace(distributions)
        self._columns = {name: (j, d) for j, (name, d) in enumerate(distributions.items())}
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
