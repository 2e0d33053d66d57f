"""Prune a trial whose per-step results are significantly worse than the best trial's
(for objectives that average over instances, folds or seeds reported as steps)."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from fasthpo.pruners.base import BasePruner, check_count, is_maximize

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["WilcoxonPruner"]


class WilcoxonPruner(BasePruner):
    """Prune when a one-sided Wilcoxon signed-rank test over the steps both trials
    reported says the trial is worse than the best trial (p < ``p_threshold``) and its
    mean over those steps is worse too.

    Each step is one instance (a fold, a seed, a dataset) and its value the result
    there; the objective is expected to return the mean over instances.

    Parameters
    ----------
    p_threshold : float
        In [0, 1]; smaller prunes less.
    n_startup_steps : int
        Steps in common needed before any test.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.WilcoxonPruner(p_threshold=0.1))
    >>> t = study.ask()
    >>> for i in range(10):
    ...     t.report(float(i), i)
    >>> _ = study.tell(t, 4.5)
    >>> t = study.ask()
    >>> for i in range(10):
    ...     t.report(float(i) + 1.0, i)
    >>> t.should_prune()
    True
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if isinstance(p_threshold, bool) or not isinstance(p_threshold, (int, float)) or not 0 <= p_threshold <= 1:
            raise ValueError(f"p_threshold must be a number in [0, 1], got {p_threshold!r}.")
        self._p_threshold = float(p_threshold)
        self._n_startup_steps = check_count("n_startup_steps", n_startup_steps, minimum=0)

    def prune(self, history: History, number: int) -> bool:
        reported = history.intermediate_values(number)
        if not reported:
            return False
        best = history.best_row()
        if best is None:
            return False
        best_reported = history.intermediate_values(best)
        steps = np.array(list(reported), dtype=np.int64)
        values = np.array(list(reported.values()), dtype=float)
        best_steps = np.array(list(best_reported), dtype=np.int64)
        best_values = np.array(list(best_reported.values()), dtype=float)
        if not (np.isfinite(values).all() and np.isfinite(best_values).all()):
            warnings.warn("WilcoxonPruner skips trials with NaN or inf intermediate values.", UserWarning,
                          stacklevel=3)
            return False
        _, mine, theirs = np.intersect1d(steps, best_steps, return_indices=True)
        if len(mine) < max(self._n_startup_steps, 1):
            return False
        diff = values[mine] - best_values[theirs]
        if is_maximize(history):
            diff = -diff  # losses: positive means worse than the best trial
        if np.all(diff == 0):
            return False
        from scipy.stats import wilcoxon  # here, not at the top: scipy.stats costs ~1 s of `import fasthpo`

        p_value = wilcoxon(diff, alternative="greater", zero_method="zsplit").pvalue
        return bool(p_value < self._p_threshold and diff.mean() > 0 and not math.isnan(p_value))
