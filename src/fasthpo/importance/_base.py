"""What every evaluator shares: the interface, the trials it reads, the parameters it rates."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fasthpo._target import Target, target_values
from fasthpo.study import Study
from fasthpo.trial import FrozenTrial
from fasthpo.trial_state import TrialState


class BaseImportanceEvaluator:
    """An importance evaluator: ``evaluate(study, params, target=...)`` returns ``{name: importance}``
    (not normalized), ordered from the most to the least important."""

    def evaluate(self, study: Study, params: list[str] | None = None, *, target: Target | None = None) -> dict[str, float]:
        raise NotImplementedError


def rated_trials(study: Study, target: Target | None) -> tuple[list[FrozenTrial], np.ndarray]:
    """Complete trials whose value (or target) is finite, and those values: [n] for one value,
    [n, k] for the objectives of a study of several when ``target`` is None."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if target is None and len(study.directions) > 1:
        values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(study.directions))
        finite = np.isfinite(values).all(axis=1)
    else:
        values = target_values(trials, target)
        finite = np.isfinite(values)
    if len(trials) < 2 or finite.sum() < 2:
        raise ValueError(
            f"Parameter importance needs at least 2 complete trials with a finite value; the study has "
            f"{len(trials)} complete trial(s), {int(finite.sum())} of them finite."
        )
    return [t for t, keep in zip(trials, finite) if keep], values[finite]


def rated_params(trials: Sequence[FrozenTrial], params: Sequence[str] | None, in_all: bool) -> list[str]:
    """``params`` checked against the trials' parameters (in every trial when ``in_all``), or all
    of those, sorted."""
    if params is not None and (isinstance(params, str) or not all(isinstance(p, str) for p in params)):
        raise TypeError(f"params must be a list of parameter names, got {params!r}.")
    seen = [set(t.params) for t in trials]
    known = set.intersection(*seen) if in_all else set.union(*seen)
    if params is None:
        return sorted(known)
    unknown = [p for p in params if p not in known]
    if unknown:
        where = "every complete trial" if in_all else "the complete trials"
        raise ValueError(f"Unknown parameter(s) {unknown}; {where} have {sorted(known)}.")
    return list(params)


def ranked(importances: dict[str, float]) -> dict[str, float]:
    """The importances from the largest to the smallest."""
    return dict(sorted(importances.items(), key=lambda item: -item[1]))


def normalized(importances: dict[str, float]) -> dict[str, float]:
    total = math.fsum(importances.values())
    if total == 0:
        return {name: 1.0 / len(importances) for name in importances}
    return {name: value / total for name, value in importances.items()}
