"""The value a plot or an importance evaluator reads from each trial: its objective or ``target(trial)``."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from fasthpo.trial import FrozenTrial

Target = Callable[[FrozenTrial], float]


def check_target(study, target: Target | None, function: str) -> None:
    """A study of several objectives needs a ``target``; a given target must be callable."""
    if target is None and len(study.directions) > 1:
        raise ValueError(
            f"{function} uses one value per trial; this study has {len(study.directions)} objectives: "
            "pass target=lambda t: t.values[i] to choose one."
        )
    if target is not None and not callable(target):
        raise TypeError(f"target must be a callable taking a FrozenTrial, got {target!r}.")


def target_values(trials: Sequence[FrozenTrial], target: Target | None) -> np.ndarray:
    """``trial.value`` of each trial, or ``target(trial)`` checked to be a real number (NaN and inf pass)."""
    if target is None:
        return np.array([t.value for t in trials], dtype=float)
    values = np.empty(len(trials))
    for i, trial in enumerate(trials):
        try:
            value = target(trial)
        except Exception as exc:
            raise ValueError(f"target raised {type(exc).__name__}: {exc} on trial {trial.number}.") from exc
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"target must return a real number, got {value!r} on trial {trial.number}.")
        values[i] = value
    return values
