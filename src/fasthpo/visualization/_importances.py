"""Parameter importances as horizontal bars."""

from __future__ import annotations

import numpy as np

from fasthpo._target import Target
from fasthpo.study import Study
from fasthpo.visualization._common import complete_trials, empty, new_axes


def plot_param_importances(study: Study, evaluator=None, params: list[str] | None = None, *,
                           target: Target | None = None, target_name: str = "Objective Value"):
    """Normalized importance of each parameter (:func:`fasthpo.importance.get_param_importances`),
    the most important on top, each bar labelled with its value.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + 1e-3 * t.suggest_float("y", -1, 1), n_trials=100)
    >>> [label.get_text() for label in plot_param_importances(study).get_yticklabels()]
    ['y', 'x']
    """
    from fasthpo.importance import get_param_importances

    ax = new_axes()
    title = "Hyperparameter Importances"
    if len(complete_trials(study)) < 2:
        return empty(ax, title, "No importance: fewer than 2 complete trials")
    importances = get_param_importances(study, evaluator=evaluator, params=params, target=target)
    names = list(importances)[::-1]
    values = np.array([importances[n] for n in names])
    bars = ax.barh(range(len(names)), values, color="C0")
    ax.bar_label(bars, labels=[f"{v:.2f}" if v >= 0.01 else "<0.01" for v in values], padding=3, fontsize=8)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, max(values.max() * 1.15, 1e-9))
    ax.set_xlabel(f"Importance for {target_name}")
    ax.set_ylabel("Hyperparameter")
    ax.set_title(title)
    return ax
