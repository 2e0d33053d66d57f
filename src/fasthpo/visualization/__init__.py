"""Plots of a study with matplotlib (the ``plot`` extra), with Optuna's names and arguments.

Every function reads the study through its public API and returns a matplotlib ``Axes``
(or an array of them for a grid of panels), so the caller can style or save the figure.
Plots of one value per trial take ``target=`` (required for several objectives) and
``target_name=``. A study with nothing to draw gives a figure that says so.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import fasthpo
>>> from fasthpo.visualization import plot_optimization_history
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
>>> plot_optimization_history(study).get_ylabel()
'Objective Value'
"""

from fasthpo.visualization._history import (
    plot_edf,
    plot_hypervolume_history,
    plot_intermediate_values,
    plot_optimization_history,
    plot_timeline,
)
from fasthpo.visualization._importances import plot_param_importances
from fasthpo.visualization._params import plot_contour, plot_parallel_coordinate, plot_rank, plot_slice
from fasthpo.visualization._pareto import plot_pareto_front

__all__ = [
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]
