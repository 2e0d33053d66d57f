"""Prune a trial whose latest value leaves fixed bounds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fasthpo.pruners.base import BasePruner, check_count, last_step
from fasthpo.pruners.percentile import _first_report_in_interval

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Prune when the latest intermediate value is NaN, below ``lower`` or above ``upper``.

    Parameters
    ----------
    lower, upper : float, optional
        The bounds (at least one); a value equal to a bound is kept.
    n_warmup_steps, interval_steps : int
        As in :class:`~fasthpo.pruners.PercentilePruner`.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.ThresholdPruner(upper=1.0))
    >>> t = study.ask(); t.report(2.5, step=0); t.should_prune()
    True
    """

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1) -> None:
        for name, bound in (("lower", lower), ("upper", upper)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))
                                      or math.isnan(bound)):
                raise TypeError(f"{name} must be a number or None, got {bound!r}.")
        if lower is None and upper is None:
            raise TypeError("ThresholdPruner needs lower or upper (or both).")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"lower must be <= upper, got lower={lower!r} > upper={upper!r}.")
        self._lower = -math.inf if lower is None else float(lower)
        self._upper = math.inf if upper is None else float(upper)
        self._n_warmup_steps = check_count("n_warmup_steps", n_warmup_steps, minimum=0)
        self._interval_steps = check_count("interval_steps", interval_steps, minimum=1)

    def prune(self, history: History, number: int) -> bool:
        reported = history.intermediate_values(number)
        step = last_step(reported)
        if step is None or step < self._n_warmup_steps:
            return False
        if not _first_report_in_interval(step, reported, self._n_warmup_steps, self._interval_steps):
            return False
        value = reported[step]
        return math.isnan(value) or value < self._lower or value > self._upper
