"""The Pareto front of a study of two or three objectives."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fasthpo.core.direction import minimization_signs, pareto_front_mask
from fasthpo.study import Study
from fasthpo.trial import FrozenTrial
from fasthpo.visualization._common import complete_trials, empty, pyplot


def plot_pareto_front(
    study: Study,
    *,
    target_names: list[str] | None = None,
    include_dominated_trials: bool = True,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
):
    """Complete trials in objective space (2 or 3 objectives), the Pareto front highlighted.

    Infeasible trials (a constraint > 0, from ``trial.constraints`` or ``constraints_func``)
    are drawn in grey and never belong to the front. ``targets`` maps a trial to the 2 or 3
    values to draw (then every target is minimized for the front).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(directions=["minimize", "minimize"])
    >>> for values in [(1, 3), (2, 2), (3, 3)]:
    ...     _ = study.tell(study.ask(), values)
    >>> ax = plot_pareto_front(study)
    >>> ax.collections[0].get_offsets().tolist()
    [[1.0, 3.0], [2.0, 2.0]]
    """
    trials = complete_trials(study)
    values, signs = _objectives(study, trials, targets)
    n = values.shape[1]
    names = _target_names(target_names, n)
    feasible = np.array([_feasible(t, constraints_func) for t in trials], dtype=bool)
    front = np.zeros(len(trials), dtype=bool)
    if feasible.any():
        front[np.flatnonzero(feasible)] = pareto_front_mask(values[feasible] * signs)
    title = "Pareto-front Plot"
    if not trials:
        return empty(pyplot().subplots()[1], title, "No complete trials")
    ax = pyplot().figure().add_subplot(projection="3d") if n == 3 else pyplot().subplots()[1]
    groups = [(front, "C3", "Best Trial")]
    if include_dominated_trials:
        groups.append((feasible & ~front, "C0", "Trial"))
    groups.append((~feasible, "0.7", "Infeasible Trial"))
    for mask, color, label in groups:
        ax.scatter(*values[mask].T, s=16, color=color, label=label, edgecolors="0.3", linewidths=0.3)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if n == 3:
        ax.set_zlabel(names[2])
    ax.set_title(title)
    ax.legend()
    return ax


def _objectives(study: Study, trials: list[FrozenTrial], targets) -> tuple[np.ndarray, np.ndarray]:
    """The drawn values, one row per trial, and the signs that turn them into values to minimize."""
    if targets is None:
        n = len(study.directions)
        if n not in (2, 3):
            raise ValueError(f"plot_pareto_front plots 2 or 3 objectives; this study has {n} (pass targets=...).")
        signs = minimization_signs(study.directions)
        return np.array([t.values for t in trials], dtype=float).reshape(len(trials), n), signs
    if not callable(targets):
        raise TypeError(f"targets must be a callable returning 2 or 3 values, got {targets!r}.")
    rows = []
    for trial in trials:
        try:
            row = [float(v) for v in targets(trial)]
        except Exception as exc:
            raise ValueError(f"targets raised {type(exc).__name__}: {exc} on trial {trial.number}.") from exc
        if len(row) not in (2, 3) or (rows and len(row) != len(rows[0])):
            raise ValueError(f"targets must return 2 or 3 values for every trial, got {row!r} on trial {trial.number}.")
        rows.append(row)
    n = len(rows[0]) if rows else 2
    return np.array(rows, dtype=float).reshape(len(trials), n), np.ones(n)


def _target_names(target_names, n: int) -> list[str]:
    if target_names is None:
        return [f"Objective {i}" for i in range(n)]
    if len(target_names) != n:
        raise ValueError(f"target_names must have {n} names, got {target_names!r}.")
    return list(target_names)


def _feasible(trial: FrozenTrial, constraints_func) -> bool:
    constraints = trial.constraints.values() if constraints_func is None else constraints_func(trial)
    return all(c <= 0 for c in constraints)
