"""Plots of a study with matplotlib (the ``plot`` extra): history, slices, curves, fronts.

Each function draws from the columnar trial store and returns the matplotlib ``Axes``
(or an array of them) so that the figure can be styled or saved by the caller.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import fasthpo
>>> from fasthpo.visualization import plot_optimization_history
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
>>> ax = plot_optimization_history(study)
>>> ax.get_title()
'Optimization history'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fasthpo.study import Study, StudyDirection, pareto_front_mask
from fasthpo.trial_state import TrialState

__all__ = ["plot_optimization_history", "plot_slice", "plot_intermediate_values", "plot_pareto_front"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("fasthpo.visualization needs matplotlib: pip install matplotlib (from a fasthpo checkout: pip install '.[plot]').") from exc
    return plt


def _complete(study: Study) -> np.ndarray:
    return np.flatnonzero(study._store.states == TrialState.COMPLETE)


def _single_objective(study: Study, function: str) -> None:
    if len(study.directions) > 1:
        raise ValueError(f"{function} plots one objective; this study has {len(study.directions)}.")


def plot_optimization_history(study: Study, ax=None):
    """Objective value of every complete trial and the best value so far."""
    _single_objective(study, "plot_optimization_history")
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots()[1]
    numbers = _complete(study)
    values = study._store.Y[numbers, 0]
    best = np.minimum.accumulate(values) if study.direction == StudyDirection.MINIMIZE else np.maximum.accumulate(values)
    ax.scatter(numbers, values, s=12, alpha=0.6, label="Objective value")
    ax.step(numbers, best, where="post", color="C3", label="Best value")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Objective value")
    ax.set_title("Optimization history")
    ax.legend()
    return ax


def plot_slice(study: Study, params: Sequence[str] | None = None):
    """Objective value against each parameter (one panel per parameter), colored by trial number."""
    _single_objective(study, "plot_slice")
    plt = _pyplot()
    store = study._store
    names = list(store.columns) if params is None else list(params)
    unknown = [n for n in names if n not in store.columns]
    if unknown or not names:
        raise ValueError(f"params must name parameters of the study {list(store.columns)}, got {names!r}.")
    numbers = _complete(study)
    _, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], names):
        x = store.X[numbers, store.columns[name]]
        present = ~np.isnan(x)
        distribution = store.column_distributions[store.columns[name]]
        shown = np.exp(x[present]) if getattr(distribution, "log", False) else x[present]
        ax.scatter(shown, store.Y[numbers[present], 0], c=numbers[present], s=12, cmap="Blues")
        if getattr(distribution, "log", False):
            ax.set_xscale("log")
        if hasattr(distribution, "choices"):
            ax.set_xticks(range(len(distribution.choices)), [str(c) for c in distribution.choices])
        ax.set_xlabel(name)
    axes[0][0].set_ylabel("Objective value")
    return axes[0]


def plot_intermediate_values(study: Study, ax=None):
    """The learning curve (intermediate values by step) of every trial that reported one."""
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots()[1]
    store = study._store
    for record, state in zip(store.records, store.states):
        if record.intermediate_values:
            steps = sorted(record.intermediate_values)
            style = "--" if state == TrialState.PRUNED else "-"
            ax.plot(steps, [record.intermediate_values[s] for s in steps], style, marker=".", alpha=0.7)
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate value")
    ax.set_title("Intermediate values (dashed: pruned)")
    return ax


def plot_pareto_front(study: Study, ax=None):
    """Complete trials of a two-objective study, the Pareto front highlighted."""
    if len(study.directions) != 2:
        raise ValueError(f"plot_pareto_front plots two objectives; this study has {len(study.directions)}.")
    plt = _pyplot()
    ax = ax if ax is not None else plt.subplots()[1]
    y = study._store.Y[_complete(study)]
    signs = np.array([1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in study.directions])
    front = pareto_front_mask(y * signs)
    ax.scatter(y[~front, 0], y[~front, 1], s=12, alpha=0.5, label="Trial")
    ax.scatter(y[front, 0], y[front, 1], s=20, color="C3", label="Pareto front")
    ax.set_xlabel("Objective 0")
    ax.set_ylabel("Objective 1")
    ax.set_title("Pareto front")
    ax.legend()
    return ax
