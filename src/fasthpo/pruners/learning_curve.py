"""Prune a trial whose learning curve, extrapolated, is unlikely to end among the best.

The curve so far is fitted with two families that level off (power law, exponential) by
compiled least squares (:mod:`fasthpo._kernels.curves`), combined with weights from
their fit, and extrapolated to the final resource. Before a curve has enough points
for that, the COMPLETE trials' curves predict where it is heading.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from fasthpo._kernels import curves
from fasthpo.pruners.base import BasePruner, check_count, is_maximize
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["LearningCurvePruner"]

_SHAPES = np.geomspace(0.05, 20.0, 32)  # c of t**-c and exp(-c t), t scaled to the last step
_N_PARAMS = np.array([3.0, 3.0])  # a, b, c per family


class LearningCurvePruner(BasePruner):
    """Prune when the trial's extrapolated final value is unlikely to beat the
    ``top_k``-th best value of the COMPLETE trials.

    At each report the intermediate values ``y(t)`` (t = step + 1) are fitted with
    ``a + b t^-c`` and ``a + b exp(-c t)``; each family is weighted by ``exp(-BIC / 2)``
    of its fit. (No ``a + b log t``: it never levels off, and extrapolated the rising
    curves of real models too far; a power law with a small c rises as slowly.) The
    prediction at the final resource is normal with the weighted mean of the families'
    values and a variance made of their residual variances (grown with the log of the
    extrapolation ratio) and their disagreement.
    The trial is pruned when the probability that its final value beats the target is
    below ``min_probability``.

    Before the trial has ``min_points`` values, its own curve cannot be fitted; the
    prediction comes from the other curves instead: among the COMPLETE trials that
    reported at the trial's last step, a least-squares line of their final value on
    their value at that step (its slope at least 0), evaluated at the trial's value,
    with the line's prediction variance and Student's t (n - 2 degrees of freedom); a
    trial ahead of all of them at that step is not pruned. So a clearly bad
    trial stops after its first report, as with successive halving, and one that is
    merely slow is judged later by its own curve.

    Steps are resources and may have gaps (epochs, boosting rounds, samples seen), as
    with :class:`HyperbandPruner`.

    Parameters
    ----------
    min_probability : float
        In (0, 1); a trial goes on while its chance of beating the target is at least
        this. The default 0.2 spends a trial's remaining epochs only where one in five
        would give a new best. On benchmarks/RESULTS.md's SGD model it spends fewer
        epochs than successive halving at a best score not significantly worse; on its
        MLP, whose early epochs do not rank good configurations, it does not.
    top_k : int
        The target is the ``top_k``-th best value of the COMPLETE trials (1: the best).
    max_resource : int or "auto"
        The final step; "auto" takes the largest last step of the COMPLETE trials.
    n_startup_trials : int
        No pruning until this many trials are COMPLETE (and at least ``top_k``); the
        line through the COMPLETE curves needs 3.
    min_points : int
        From this many reported values (at least 3) the trial's own curve is
        extrapolated; before, the COMPLETE trials' curves predict it.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.LearningCurvePruner(n_startup_trials=1))
    >>> t = study.ask()
    >>> for step in range(20):
    ...     t.report(1 / (step + 1), step)
    >>> _ = study.tell(t, 1 / 20)
    >>> t = study.ask()
    >>> for step in range(5):
    ...     t.report(2 + 1 / (step + 1), step)
    >>> t.should_prune()
    True
    """

    def __init__(self, min_probability: float = 0.2, top_k: int = 1, max_resource: int | str = "auto",
                 n_startup_trials: int = 3, min_points: int = 4) -> None:
        if isinstance(min_probability, bool) or not isinstance(min_probability, (int, float)) \
                or not 0 < min_probability < 1:
            raise ValueError(f"min_probability must be a number in (0, 1), got {min_probability!r}.")
        self._min_probability = float(min_probability)
        self._top_k = check_count("top_k", top_k, minimum=1)
        if max_resource != "auto":
            check_count("max_resource", max_resource, minimum=1)
        self._max_resource = None if max_resource == "auto" else max_resource
        self._n_startup_trials = check_count("n_startup_trials", n_startup_trials, minimum=0)
        self._min_points = check_count("min_points", min_points, minimum=3)
        self._completed = _Completed(self._top_k)

    def prune(self, history: History, number: int) -> bool:
        reported = history.intermediate_values(number)
        if not reported:
            return False
        completed = self._completed.update(history)
        if completed.count < max(self._n_startup_trials, self._top_k, 1):
            return False
        final_step = self._max_resource if self._max_resource is not None else completed.last_step
        steps = np.fromiter(reported, dtype=float, count=len(reported))
        values = np.fromiter(reported.values(), dtype=float, count=len(reported))
        if final_step is None or steps.max() >= final_step:
            return False
        keep = ~np.isnan(values)
        if not keep.any():
            return len(reported) >= self._min_points  # only NaN reported: hopeless
        sign = -1.0 if is_maximize(history) else 1.0
        target = float(completed.best[self._top_k - 1])
        if keep.sum() < self._min_points:
            last = int(steps.argmax())
            if not keep[last]:
                return False
            x, final = _others_at(history, int(steps[last]), sign)
            p = self.probability_from_others(x, final, sign * values[last], target)
        else:
            order = np.argsort(steps[keep])
            t, y = steps[keep][order] + 1.0, values[keep][order] * sign
            p = self.probability_to_beat(t, y, final_step + 1.0, target)
        return p < self._min_probability

    @staticmethod
    def probability_from_others(x: np.ndarray, final: np.ndarray, value: float, target: float) -> float:
        """Probability that a curve at ``value`` (a loss) ends below ``target``, judged by
        other curves that were at ``x`` at the same step and ended at ``final``: Student's
        t around their least-squares line, its slope at least 0 (a curve ahead now is not
        predicted to end behind). 1 when fewer than 3 are given or ``value`` is ahead of
        all of them.

        Examples
        --------
        >>> x, final = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.51, 1.0, 1.51, 2.0])
        >>> p = LearningCurvePruner.probability_from_others
        >>> bool(p(x, final, 3.5, target=0.5) < 0.01), bool(p(x, final, 0.8, target=0.5) > 0.5)
        (True, True)
        """
        from scipy.special import stdtr  # here: importing fasthpo loads no scipy

        n = len(x)
        if n < 3 or value <= x.min():  # too few to judge, or ahead of every one of them
            return 1.0
        # sums of products, not ``@``: BLAS threads a long dot product, and on a busy
        # machine waiting for its threads cost 100x the arithmetic
        dx = x - x.mean()
        sxx = float(np.sum(dx * dx))
        slope = max(float(np.sum(dx * (final - final.mean()))) / sxx, 0.0) if sxx > 0 else 0.0
        residual = final - final.mean() - slope * dx
        spread = max(float(np.abs(final).max()), float(np.abs(x).max()), 1.0)
        s2 = max(float(np.sum(residual * residual)) / (n - 2), 1e-24 * spread**2)
        leverage = (value - x.mean()) ** 2 / sxx if sxx > 0 else 0.0
        predicted = final.mean() + slope * (value - x.mean())
        return float(stdtr(n - 2, (target - predicted) / math.sqrt(s2 * (1.0 + 1.0 / n + leverage))))

    @staticmethod
    def probability_to_beat(t: np.ndarray, y: np.ndarray, t_final: float, target: float) -> float:
        """Probability that the curve ``y(t)`` (a loss) ends below ``target`` at ``t_final``.

        Examples
        --------
        >>> t = np.arange(1.0, 11.0)
        >>> p = LearningCurvePruner.probability_to_beat(t, 1 + 1 / t, 100.0, target=0.9)
        >>> bool(p < 0.01)
        True
        """
        scale = t[-1]
        fits = curves.fit_curves(np.ascontiguousarray(t / scale), np.ascontiguousarray(y), _SHAPES)
        n = len(t)
        sse = np.maximum(fits[:, 3], 1e-12 * max(1.0, float(np.abs(y).max())) ** 2 * n)
        bic = n * np.log(sse / n) + _N_PARAMS * math.log(n)
        weights = np.exp(-(bic - bic.min()) / 2)
        weights /= weights.sum()
        predicted = curves.evaluate(fits, t_final / scale)
        mean = float(weights @ predicted)
        residual = sse / np.maximum(n - _N_PARAMS, 1.0) * (1.0 + math.log(t_final / scale))
        sd = math.sqrt(float(weights @ (residual + (predicted - mean) ** 2)))
        return 0.5 * math.erfc((mean - target) / (sd * math.sqrt(2.0)))


def _others_at(history: History, step: int, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Values (as losses) at ``step`` and final values of the COMPLETE trials that reported there."""
    numbers, values = history.step_values(step)
    complete = history.states[numbers] == TrialState.COMPLETE
    x, final = sign * values[complete], history.Y[numbers[complete], 0]
    ok = ~(np.isnan(x) | np.isnan(final))
    return x[ok], final[ok]


class _Completed:
    """What the pruner needs of the COMPLETE trials, read incrementally: their number
    (with a value), the ``top_k`` best values (losses, ascending) and the largest last
    step. Each decision finds the newly COMPLETE trials with one vectorized pass over
    the states and reads those alone, so a decision does not walk the history."""

    def __init__(self, top_k: int) -> None:
        self.top_k = top_k
        self.key: int | None = None

    def update(self, history: History) -> _Completed:
        if self.key != history.key:
            self.key, self.seen = history.key, np.zeros(0, dtype=bool)
            self.count, self.best, self.last_step = 0, np.empty(0), None
        n = history.n_trials
        if len(self.seen) < n:
            self.seen = np.concatenate([self.seen, np.zeros(n - len(self.seen), dtype=bool)])
        new = np.flatnonzero((history.states[:n] == TrialState.COMPLETE) & ~self.seen[:n])
        if not len(new):
            return self
        self.seen[new] = True
        values = history.Y[new, 0]
        values = values[~np.isnan(values)]
        self.count += len(values)
        self.best = np.sort(np.concatenate([self.best, values]))[: self.top_k]
        for number in new.tolist():
            reported = history.intermediate_values(number)
            if reported:
                self.last_step = max(max(reported), self.last_step or 0)
        return self
