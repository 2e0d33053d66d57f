"""Shared pieces of the side-by-side comparison runners.

Each library (fasthpo, Optuna, rustuna) is driven through the same ask / suggest / tell
loop on the same objective and seeds; what is timed is the library's work per trial
(ask + suggestions + tell), the objective being trivially cheap.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import wilcoxon

from fasthpo.benchmarks.report import markdown_table  # noqa: F401  (the scripts import it from here)


@dataclass
class Library:
    """How to drive one library's ask/tell loop."""

    name: str
    create_study: Callable[[Any], Any]  # sampler -> study
    tell: Callable[[Any, Any, float], None]  # study, trial, value


def fasthpo_library() -> Library:
    import fasthpo

    return Library("fasthpo", lambda sampler: fasthpo.create_study(sampler=sampler), lambda s, t, v: s.tell(t, v))


def optuna_library() -> Library:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return Library("optuna", lambda sampler: optuna.create_study(sampler=sampler), lambda s, t, v: s.tell(t, v))


def rustuna_library() -> Library:
    import rustuna

    return Library("rustuna", lambda sampler: rustuna.create_study(sampler=sampler), lambda s, t, v: s.tell(t.number, v))


def sphere_suggest(d: int, low: float = -5.0, high: float = 5.0) -> Callable[[Any], float]:
    """An objective body: ``d`` float suggestions, their sum of squares."""
    names = [f"x{i}" for i in range(d)]

    def objective(trial) -> float:
        return sum(trial.suggest_float(name, low, high) ** 2 for name in names)

    return objective


def per_trial_times(library: Library, sampler, objective, n_trials: int, checkpoints: list[int], window: int) -> dict[int, float]:
    """Median seconds per trial (ask + objective's suggestions + tell) over the ``window``
    trials that end at each checkpoint."""
    study = library.create_study(sampler)
    wanted = {c for c in checkpoints if c <= n_trials}
    samples: list[float] = []
    medians: dict[int, float] = {}
    clock = time.perf_counter
    for i in range(1, n_trials + 1):
        start = clock()
        trial = study.ask()
        library.tell(study, trial, objective(trial))
        samples.append(clock() - start)
        if len(samples) > window:
            samples.pop(0)
        if i in wanted:
            medians[i] = statistics.median(samples)
    return medians


def one_sided_p(ours: list[float], theirs: list[float]) -> float:
    """p-value of the paired one-sided Wilcoxon signed-rank test of "ours is greater"
    (1.0 when every pair is equal)."""
    diff = np.array(ours) - np.array(theirs)
    return 1.0 if np.all(diff == 0) else float(wilcoxon(diff, alternative="greater").pvalue)
