"""Plots of values against parameters: slice, contour, parallel coordinates, rank.

Conditional parameters: a panel uses the trials that have the parameter(s) it draws.
"""

from __future__ import annotations

import itertools

import numpy as np

from fasthpo._target import Target, check_target
from fasthpo.study import Study
from fasthpo.visualization._common import (
    ParamAxis,
    checked_values,
    complete_trials,
    empty,
    new_axes,
    param_names,
    pyplot,
)


def _data(study: Study, params, target: Target | None, function: str, n_min: int = 1):
    check_target(study, target, function)
    trials = complete_trials(study)
    names = param_names(trials, params, n_min)
    return trials, names, checked_values(trials, target)


def plot_slice(study: Study, params: list[str] | None = None, *, target: Target | None = None,
               target_name: str = "Objective Value"):
    """Value against each parameter, one panel per parameter, points colored by trial number.

    Returns one ``Axes`` for one parameter, else an array of them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 0, 3), n_trials=10)
    >>> [ax.get_xlabel() for ax in plot_slice(study)]
    ['n', 'x']
    """
    trials, names, values = _data(study, params, target, "plot_slice")
    if not trials:
        return empty(new_axes(), "Slice Plot", "No complete trials")
    numbers = np.array([t.number for t in trials])
    _, axes = pyplot().subplots(1, len(names), figsize=(3.2 * len(names) + 1, 3.4), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], names):
        axis = ParamAxis(trials, name)
        present = axis.present
        points = ax.scatter(axis.values[present], values[present], c=numbers[present], s=14, cmap="Blues",
                            edgecolors="0.3", linewidths=0.3)
        axis.style(ax)
    axes[0][0].set_ylabel(target_name)
    axes[0][0].figure.suptitle("Slice Plot")
    axes[0][-1].figure.colorbar(points, ax=list(axes[0]), label="Trial")
    return axes[0][0] if len(names) == 1 else axes[0]


def plot_contour(study: Study, params: list[str] | None = None, *, target: Target | None = None,
                 target_name: str = "Objective Value"):
    """Value interpolated over a pair of parameters (linear, on each axis' scale) with the trials
    on top; a grid of pairs for more than two parameters.

    Returns one ``Axes`` for two parameters, else a square array of them (the diagonal
    names the parameter).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) * t.suggest_float("y", -1, 1), n_trials=20)
    >>> ax = plot_contour(study)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('x', 'y')
    """
    trials, names, values = _data(study, params, target, "plot_contour", n_min=2)
    if not trials:
        return empty(new_axes(), "Contour Plot", "No complete trials")
    axes_of = {name: ParamAxis(trials, name) for name in names}
    if len(names) == 2:
        ax = new_axes()
        _contour(ax, axes_of[names[0]], axes_of[names[1]], values, target_name, colorbar=True)
        ax.set_title("Contour Plot")
        return ax
    figure, axes = _pair_grid(names)
    for ax, x_name, y_name in _off_diagonal(axes, names):
        _contour(ax, axes_of[x_name], axes_of[y_name], values, target_name, colorbar=False)
    figure.suptitle("Contour Plot")
    return axes


def _pair_grid(names: list[str]):
    """A figure of ``len(names)`` × ``len(names)`` axes, each diagonal cell naming its parameter."""
    n = len(names)
    figure, axes = pyplot().subplots(n, n, figsize=(2.6 * n, 2.6 * n), squeeze=False)
    for i, name in enumerate(names):
        axes[i, i].text(0.5, 0.5, name, ha="center", va="center", transform=axes[i, i].transAxes)
        axes[i, i].set_xticks([])
        axes[i, i].set_yticks([])
    return figure, axes


def _off_diagonal(axes, names: list[str]):
    """``(ax, x_name, y_name)`` of every off-diagonal cell of a :func:`_pair_grid`."""
    for (i, y_name), (j, x_name) in itertools.product(enumerate(names), enumerate(names)):
        if i != j:
            yield axes[i, j], x_name, y_name


def _contour(ax, x: ParamAxis, y: ParamAxis, values: np.ndarray, target_name: str, colorbar: bool) -> None:
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    present = x.present & y.present
    x.style(ax, "x")
    y.style(ax, "y")
    if not present.any():
        ax.text(0.5, 0.5, "No trial has both", ha="center", va="center", transform=ax.transAxes, color="0.4")
        return
    xs, ys, zs = x.scaled()[present], y.scaled()[present], values[present]
    grid_x, grid_y = np.meshgrid(np.linspace(xs.min(), xs.max(), 100), np.linspace(ys.min(), ys.max(), 100))
    try:
        grid_z = griddata((xs, ys), zs, (grid_x, grid_y), method="linear")
    except (QhullError, ValueError):  # fewer than three points off one line: no surface, points only
        grid_z = None
    if grid_z is not None and np.isfinite(grid_z).any():
        unscale = (lambda v, axis: 10.0**v if axis.log else v)
        filled = ax.contourf(unscale(grid_x, x), unscale(grid_y, y), grid_z, levels=15, cmap="Blues_r")
        if colorbar:
            ax.figure.colorbar(filled, ax=ax, label=target_name)
    ax.scatter(x.values[present], y.values[present], s=10, color="black", edgecolors="white", linewidths=0.4)


def plot_parallel_coordinate(study: Study, params: list[str] | None = None, *, target: Target | None = None,
                             target_name: str = "Objective Value"):
    """One line per complete trial across the value axis and each parameter axis, colored by value.

    Each axis is scaled to its range (log parameters on a log scale, choices by index). A
    trial without one of the drawn parameters (a conditional one) is left out.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("n", 0, 3), n_trials=10)
    >>> len(plot_parallel_coordinate(study).collections[0].get_segments())
    10
    """
    from matplotlib.collections import LineCollection

    trials, names, values = _data(study, params, target, "plot_parallel_coordinate")
    ax = new_axes()
    title = "Parallel Coordinate Plot"
    if not trials:
        return empty(ax, title, "No complete trials")
    axes_of = [ParamAxis(trials, name) for name in names]
    keep = np.all([a.present for a in axes_of], axis=0)
    if not keep.any():
        return empty(ax, title, "No complete trial has all of " + ", ".join(names))
    columns = [values[keep]] + [a.scaled()[keep] for a in axes_of]
    lows = [c.min() for c in columns]
    spans = [c.max() - c.min() or 1.0 for c in columns]
    scaled = np.column_stack([(c - low) / span for c, low, span in zip(columns, lows, spans)])
    positions = np.arange(len(columns))
    lines = LineCollection([np.column_stack([positions, row]) for row in scaled], cmap="Blues_r", alpha=0.7)
    lines.set_array(values[keep])
    ax.add_collection(lines)
    ax.figure.colorbar(lines, ax=ax, label=target_name)
    for position, column, axis in zip(positions, columns, [None, *axes_of]):
        ax.axvline(position, color="0.3", linewidth=0.8)
        _label_axis(ax, position, column, axis)
    ax.set_xticks(positions, [target_name, *names])
    ax.set_xlim(-0.3, len(columns) - 0.7)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    ax.set_title(title, pad=14)
    return ax


def _label_axis(ax, position: float, column: np.ndarray, axis: ParamAxis | None) -> None:
    """Write the low and high ends of one parallel axis in the parameter's own units."""
    low, high = column.min(), column.max()
    if axis is not None and axis.choices is not None:
        labels = [str(axis.choices[int(low)]), str(axis.choices[int(high)])]
    elif axis is not None and axis.log:
        labels = [f"{10.0**low:.3g}", f"{10.0**high:.3g}"]
    else:
        labels = [f"{low:.3g}", f"{high:.3g}"]
    ax.text(position, -0.04, labels[0], ha="center", va="top", fontsize=7)
    ax.text(position, 1.04, labels[1], ha="center", va="bottom", fontsize=7)


def plot_rank(study: Study, params: list[str] | None = None, *, target: Target | None = None,
              target_name: str = "Objective Value"):
    """Trials over a pair of parameters colored by the rank of their value (0: smallest value,
    1: largest); one parameter is drawn against the value, several as a grid of pairs.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) * t.suggest_float("y", -1, 1), n_trials=20)
    >>> len(plot_rank(study).collections[0].get_offsets())
    20
    """
    trials, names, values = _data(study, params, target, "plot_rank")
    if not trials:
        return empty(new_axes(), "Rank Plot", "No complete trials")
    ranks = _ranks(values)
    axes_of = {name: ParamAxis(trials, name) for name in names}
    if len(names) <= 2:
        ax = new_axes()
        x = axes_of[names[0]]
        y_values = axes_of[names[1]].values if len(names) == 2 else values
        present = x.present & ~np.isnan(y_values)
        points = ax.scatter(x.values[present], y_values[present], c=ranks[present], cmap="RdYlBu_r", vmin=0, vmax=1,
                            s=16, edgecolors="0.3", linewidths=0.3)
        x.style(ax, "x")
        if len(names) == 2:
            axes_of[names[1]].style(ax, "y")
        else:
            ax.set_ylabel(target_name)
        ax.figure.colorbar(points, ax=ax, label=f"Rank of {target_name}")
        ax.set_title("Rank Plot")
        return ax
    figure, axes = _pair_grid(names)
    for ax, x_name, y_name in _off_diagonal(axes, names):
        x, y = axes_of[x_name], axes_of[y_name]
        present = x.present & y.present
        ax.scatter(x.values[present], y.values[present], c=ranks[present], cmap="RdYlBu_r", vmin=0, vmax=1, s=10)
        x.style(ax, "x")
        y.style(ax, "y")
    figure.suptitle("Rank Plot")
    return axes


def _ranks(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1] by sorted position (0: smallest)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values)) / max(len(values) - 1, 1)
    return ranks
