"""Prune a trial whose best intermediate value is worse than a percentile of the
completed trials' values at the same step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from fasthpo.pruners.base import BasePruner, check_count, is_maximize, last_step
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["MedianPruner", "PercentilePruner"]


class PercentilePruner(BasePruner):
    """Prune when the trial's best value so far is worse than the ``percentile`` of the
    COMPLETE trials' values at its current step.

    Parameters
    ----------
    percentile : float
        In [0, 100]; the share of completed trials a trial must beat to go on (for
        maximize, the mirrored percentile).
    n_startup_trials : int
        No pruning until this many trials are COMPLETE.
    n_warmup_steps : int
        No pruning before this step.
    interval_steps : int
        Decide only on the first report in each window of this many steps after the
        warm-up.
    n_min_trials : int
        No pruning at a step fewer than this many completed trials reported.

    Notes
    -----
    A trial whose intermediate values are all NaN is pruned. The decision reads the
    values reported at the current step as one column of the trial store, so it costs
    O(trials that reported that step).

    Examples
    --------
    >>> import fasthpo
    >>> pruner = fasthpo.pruners.PercentilePruner(25.0, n_startup_trials=2)
    >>> study = fasthpo.create_study(pruner=pruner)
    >>> for final in (1.0, 2.0):
    ...     t = study.ask(); t.report(final, step=0); _ = study.tell(t, final)
    >>> t = study.ask(); t.report(5.0, step=0)
    >>> t.should_prune()
    True
    """

    def __init__(self, percentile: float, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, *, n_min_trials: int = 1) -> None:
        if isinstance(percentile, bool) or not isinstance(percentile, (int, float)) or not 0 <= percentile <= 100:
            raise ValueError(f"percentile must be a number in [0, 100], got {percentile!r}.")
        self._percentile = float(percentile)
        self._n_startup_trials = check_count("n_startup_trials", n_startup_trials, minimum=0)
        self._n_warmup_steps = check_count("n_warmup_steps", n_warmup_steps, minimum=0)
        self._interval_steps = check_count("interval_steps", interval_steps, minimum=1)
        self._n_min_trials = check_count("n_min_trials", n_min_trials, minimum=1)

    def prune(self, history: History, number: int) -> bool:
        n_complete = int(np.count_nonzero(history.states == TrialState.COMPLETE))
        reported = history.intermediate_values(number)
        step = last_step(reported)
        if n_complete == 0 or n_complete < self._n_startup_trials or step is None or step < self._n_warmup_steps:
            return False
        if not _first_report_in_interval(step, reported, self._n_warmup_steps, self._interval_steps):
            return False
        maximize = is_maximize(history)
        best = _best_so_far(reported, maximize)
        if math.isnan(best):
            return True
        threshold = _percentile_at_step(history, step, 100 - self._percentile if maximize else self._percentile,
                                        self._n_min_trials)
        if math.isnan(threshold):
            return False
        return best < threshold if maximize else best > threshold


class MedianPruner(PercentilePruner):
    """Prune when the trial's best value so far is worse than the median of the
    COMPLETE trials' values at the same step: the default pruner.

    Parameters
    ----------
    n_startup_trials, n_warmup_steps, interval_steps, n_min_trials
        As in :class:`PercentilePruner`.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.MedianPruner(n_startup_trials=1))
    >>> t = study.ask(); t.report(1.0, step=0); _ = study.tell(t, 1.0)
    >>> t = study.ask(); t.report(3.0, step=0)
    >>> t.should_prune()
    True
    """

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1, *,
                 n_min_trials: int = 1) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=n_min_trials)


def _first_report_in_interval(step: int, reported: dict[int, float], warmup: int, interval: int) -> bool:
    """Whether no earlier report falls in the pruning window that contains ``step``."""
    window_start = (step - warmup) // interval * interval + warmup
    earlier = max((s for s in reported if s != step), default=-1)
    return earlier < window_start


def _best_so_far(reported: dict[int, float], maximize: bool) -> float:
    values = np.array(list(reported.values()), dtype=float)
    if np.isnan(values).all():
        return math.nan
    return float(np.nanmax(values) if maximize else np.nanmin(values))


def _percentile_at_step(history: History, step: int, percentile: float, n_min_trials: int) -> float:
    """The percentile of the COMPLETE trials' values reported at ``step`` (NaN if too few)."""
    numbers, values = history.step_values(step)
    values = values[history.states[numbers] == TrialState.COMPLETE]
    if len(values) < n_min_trials:
        return math.nan
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return math.nan
    # numpy's default (linear) percentile, by partition: O(n) without nanpercentile's overhead
    rank = (len(values) - 1) * percentile / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    part = np.partition(values, [low, high])
    return float(part[low] + (part[high] - part[low]) * (rank - low))
