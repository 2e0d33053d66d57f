"""Wait for a trial to stop improving before another pruner may judge it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fasthpo.pruners.base import BasePruner, check_count, is_maximize

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Let ``wrapped_pruner`` decide only once the trial has stalled: the best of its last
    ``patience + 1`` reports is worse than its best before them by more than ``min_delta``.

    Parameters
    ----------
    wrapped_pruner : BasePruner or None
        Consulted after the patience ran out; None prunes right away then.
    patience : int
        Number of reports without improvement to tolerate.
    min_delta : float
        Tolerance, >= 0: a recent best within ``min_delta`` of the earlier best still
        counts as keeping up.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.PatientPruner(None, patience=1))
    >>> t = study.ask()
    >>> for step, value in enumerate([1.0, 1.2, 1.3]):
    ...     t.report(value, step)
    >>> t.should_prune()
    True
    """

    def __init__(self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise TypeError(f"wrapped_pruner must be a fasthpo pruner or None, got {wrapped_pruner!r}.")
        self._wrapped = wrapped_pruner
        self._patience = check_count("patience", patience, minimum=0)
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}.")
        self._min_delta = float(min_delta)

    def prune(self, history: History, number: int) -> bool:
        reported = history.intermediate_values(number)
        if len(reported) <= self._patience + 1:
            return False
        steps = sorted(reported)
        before = np.array([reported[s] for s in steps[: -self._patience - 1]])
        recent = np.array([reported[s] for s in steps[-self._patience - 1:]])
        if np.isnan(before).all() or np.isnan(recent).all():
            return False
        if is_maximize(history):
            stalled = np.nanmax(before) - self._min_delta > np.nanmax(recent)
        else:
            stalled = np.nanmin(before) + self._min_delta < np.nanmin(recent)
        if not stalled:
            return False
        return True if self._wrapped is None else self._wrapped.prune(history, number)
