"""Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
Hyperparameter Tuning", Algorithm 1)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from fasthpo.pruners.base import BasePruner, check_count, is_maximize, last_step
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["SuccessiveHalvingPruner"]


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving: a trial reaching a rung's step must be in the top
    1 / ``reduction_factor`` of the trials that reached that rung, or it is pruned.

    Rung r is reached at step ``min_resource * reduction_factor ** (min_early_stopping_rate
    + r)``. A trial's value at each rung it reaches is kept as the system attribute
    ``completed_rung_<r>``.

    Parameters
    ----------
    min_resource : int or "auto"
        Steps before the first rung; "auto" takes 1/100 of the longest COMPLETE trial's
        last step (at least 1) once a trial is complete, and prunes nothing before.
    reduction_factor : int
        At least 2; the share 1 / reduction_factor of each rung goes on.
    min_early_stopping_rate : int
        Shifts the first rung to ``min_resource * reduction_factor ** rate``.
    bootstrap_count : int
        A rung needs more than this many trials before any is promoted.

    Examples
    --------
    >>> import fasthpo
    >>> pruner = fasthpo.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    >>> study = fasthpo.create_study(pruner=pruner)
    >>> t = study.ask(); t.report(1.0, step=1); t.should_prune()
    False
    >>> t2 = study.ask(); t2.report(3.0, step=1); t2.should_prune()
    True
    """

    def __init__(self, min_resource: int | str = "auto", reduction_factor: int = 4, min_early_stopping_rate: int = 0,
                 bootstrap_count: int = 0) -> None:
        if min_resource != "auto":
            check_count("min_resource", min_resource, minimum=1)
        self._min_resource = None if min_resource == "auto" else min_resource
        self._reduction_factor = check_count("reduction_factor", reduction_factor, minimum=2)
        self._min_early_stopping_rate = check_count("min_early_stopping_rate", min_early_stopping_rate, minimum=0)
        self._bootstrap_count = check_count("bootstrap_count", bootstrap_count, minimum=0)
        if bootstrap_count > 0 and min_resource == "auto":
            raise ValueError("bootstrap_count > 0 needs an explicit min_resource (not 'auto').")
        self._rungs = _RungValues("completed_rung_")

    def prune(self, history: History, number: int) -> bool:
        reported = history.intermediate_values(number)
        step = last_step(reported)
        if step is None:
            return False
        if self._min_resource is None:
            self._min_resource = _estimate_min_resource(history)
            if self._min_resource is None:
                return False
        value = reported[step]
        rung = self._rungs.current_rung(history.system_attrs(number))
        maximize = is_maximize(history)
        while step >= self._min_resource * self._reduction_factor ** (self._min_early_stopping_rate + rung):
            if math.isnan(value):
                return True
            competing = self._rungs.record(history, number, rung, value)
            if len(competing) <= self._bootstrap_count or not _promotable(value, competing, self._reduction_factor,
                                                                            maximize):
                return True
            rung += 1
        return False


class _RungValues:
    """Each rung's values as arrays, grown as trials reach rungs (O(trials at the rung) per
    decision); also written to the trials' system attributes ``<prefix><rung>``, from
    which a reloaded study's rungs are rebuilt once."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._history_key: int | None = None
        self._values: dict[int, list[float]] = {}

    def current_rung(self, system_attrs: dict) -> int:
        rung = 0
        while f"{self.prefix}{rung}" in system_attrs:
            rung += 1
        return rung

    def record(self, history: History, number: int, rung: int, value: float) -> np.ndarray:
        if history.key != self._history_key:
            self._history_key = history.key
            self._values = {}
            for row in range(history.n_trials):
                attrs = history.system_attrs(row)
                for r in range(self.current_rung(attrs)):
                    self._values.setdefault(r, []).append(attrs[f"{self.prefix}{r}"])
        history.note(number, f"{self.prefix}{rung}", value)
        values = self._values.setdefault(rung, [])
        values.append(value)
        return np.asarray(values, dtype=float)


def _estimate_min_resource(history: History) -> int | None:
    """1/100 of the longest COMPLETE trial's last step (at least 1); None before any."""
    last_steps = [max(history.intermediate_values(i)) for i in history.rows_in(TrialState.COMPLETE)
                  if history.intermediate_values(i)]
    return max(max(last_steps) // 100, 1) if last_steps else None


def _promotable(value: float, competing: np.ndarray, reduction_factor: int, maximize: bool) -> bool:
    """Whether ``value`` is among the best len(competing) // reduction_factor (at least 1)."""
    k = max(len(competing) // reduction_factor - 1, 0)
    ordered = np.sort(competing)
    return value >= ordered[-(k + 1)] if maximize else value <= ordered[k]
