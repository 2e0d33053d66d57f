"""Plots over trial numbers or time: optimization history, EDF, intermediate values, timeline,
hypervolume history."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fasthpo._target import Target, check_target
from fasthpo.core.direction import StudyDirection, minimization_signs, pareto_front_mask
from fasthpo.study import Study
from fasthpo.trial_state import TrialState
from fasthpo.visualization._common import checked_values, complete_trials, empty, new_axes

STATE_COLORS = {
    TrialState.COMPLETE: "C0",
    TrialState.PRUNED: "C1",
    TrialState.FAIL: "C3",
    TrialState.RUNNING: "C2",
    TrialState.WAITING: "0.6",
}


def _studies(study: Study | Sequence[Study]) -> list[Study]:
    studies = [study] if isinstance(study, Study) else list(study)
    if not studies or not all(isinstance(s, Study) for s in studies):
        raise TypeError(f"study must be a Study or a non-empty sequence of them, got {study!r}.")
    return studies


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = "Objective Value",
    error_bar: bool = False,
):
    """Value of every complete trial and the best value so far; several studies share the axes.

    With ``error_bar=True`` the studies are summarised instead: mean best-so-far by trial
    number with a band of one standard deviation. With a ``target`` the best-so-far line
    is not drawn (the direction of a target is unknown).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
    >>> ax = plot_optimization_history(study)
    >>> ax.get_title(), len(ax.collections[0].get_offsets())
    ('Optimization History Plot', 20)
    """
    studies = _studies(study)
    for s in studies:
        check_target(s, target, "plot_optimization_history")
    ax = new_axes()
    title = "Optimization History Plot"
    series = []
    for s in studies:
        trials = complete_trials(s)
        values = checked_values(trials, target)
        best = None
        if target is None and len(values):
            accumulate = np.minimum if s.direction == StudyDirection.MINIMIZE else np.maximum
            best = accumulate.accumulate(values)
        series.append((s.study_name, np.array([t.number for t in trials]), values, best))
    if not any(len(values) for _, _, values, _ in series):
        return empty(ax, title, "No complete trials")
    if error_bar:
        _history_band(ax, series)
    else:
        for i, (name, numbers, values, best) in enumerate(series):
            suffix = f" of {name}" if len(series) > 1 else ""
            ax.scatter(numbers, values, s=12, alpha=0.6, color=f"C{i}", label=f"{target_name}{suffix}")
            if best is not None:
                ax.step(numbers, best, where="post", color=f"C{i}", label=f"Best Value{suffix}")
    ax.set_xlabel("Trial")
    ax.set_ylabel(target_name)
    ax.set_title(title)
    ax.legend()
    return ax


def _history_band(ax, series) -> None:
    """Mean and standard deviation over studies of the values (and best values) by trial number."""
    n = max(int(numbers.max()) + 1 for _, numbers, values, _ in series if len(values))
    for column, label, color in ((2, "Objective Value", "C0"), (3, "Best Value", "C3")):
        table = np.full((len(series), n), np.nan)
        for row, item in enumerate(series):
            if item[column] is not None and len(item[1]):
                table[row, item[1]] = item[column]
                if column == 3:  # best so far holds until the next complete trial
                    table[row] = _forward_fill(table[row])
        if np.isnan(table).all():
            continue
        numbers = np.flatnonzero(~np.isnan(table).all(axis=0))
        mean = np.nanmean(table[:, numbers], axis=0)
        std = np.nanstd(table[:, numbers], axis=0)
        ax.plot(numbers, mean, color=color, label=label)
        ax.fill_between(numbers, mean - std, mean + std, color=color, alpha=0.2)


def _forward_fill(row: np.ndarray) -> np.ndarray:
    index = np.where(~np.isnan(row), np.arange(len(row)), 0)
    np.maximum.accumulate(index, out=index)
    filled = row[index]
    filled[: np.argmax(~np.isnan(row))] = np.nan
    return filled


def plot_edf(study: Study | Sequence[Study], *, target: Target | None = None, target_name: str = "Objective Value"):
    """Empirical distribution function of the values of complete trials, one line per study.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    >>> ax = plot_edf(study)
    >>> ax.lines[0].get_ydata()[-1]
    np.float64(1.0)
    """
    studies = _studies(study)
    for s in studies:
        check_target(s, target, "plot_edf")
    ax = new_axes()
    title = "Empirical Distribution Function Plot"
    drawn = 0
    for s in studies:
        values = np.sort(checked_values(complete_trials(s), target))
        if len(values):
            fraction = np.arange(1, len(values) + 1) / len(values)
            ax.step(values, fraction, where="post", label=s.study_name)
            drawn += 1
    if not drawn:
        return empty(ax, title, "No complete trials")
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    return ax


def plot_intermediate_values(study: Study):
    """The learning curve of every trial that reported intermediate values; pruned ones dashed,
    their last value marked with a cross.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study()
    >>> trial = study.ask()
    >>> for step in range(3):
    ...     trial.report(1.0 / (step + 1), step)
    >>> _ = study.tell(trial, 0.3)
    >>> plot_intermediate_values(study).lines[0].get_ydata().tolist()
    [1.0, 0.5, 0.3333333333333333]
    """
    ax = new_axes()
    title = "Intermediate Values Plot"
    curves = [t for t in study.get_trials(deepcopy=False) if t.intermediate_values]
    if not curves:
        return empty(ax, title, "No trial reported intermediate values")
    for trial in curves:
        steps = sorted(trial.intermediate_values)
        values = [trial.intermediate_values[s] for s in steps]
        pruned = trial.state == TrialState.PRUNED
        color = f"C{trial.number % 10}"
        ax.plot(steps, values, "--" if pruned else "-", marker=".", color=color, alpha=0.7, label=f"Trial{trial.number}")
        if pruned:
            ax.plot(steps[-1:], values[-1:], "x", color="C3", markersize=8)
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate Value")
    ax.set_title(title + " (dashed, x: pruned)")
    return ax


def plot_timeline(study: Study, n_recent_trials: int | None = None):
    """One bar per trial from its start to its end, colored by state, on the lane of the worker
    that ran it (lanes inferred: a trial takes the first lane free when it starts).

    Running trials end at the time of the plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    >>> len(plot_timeline(study).patches)
    5
    """
    import datetime

    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    if n_recent_trials is not None and (isinstance(n_recent_trials, bool) or not isinstance(n_recent_trials, int)
                                        or n_recent_trials < 1):
        raise ValueError(f"n_recent_trials must be a positive int or None, got {n_recent_trials!r}.")
    ax = new_axes()
    title = "Timeline Plot"
    trials = [t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    if not trials:
        return empty(ax, title, "No trial has started")
    now = datetime.datetime.now()
    spans = [(t.datetime_start, t.datetime_complete or now) for t in trials]
    lanes = _lanes(spans)
    for trial, (start, end), lane in zip(trials, spans, lanes):
        ax.barh(lane, mdates.date2num(end) - mdates.date2num(start), left=mdates.date2num(start), height=0.8,
                color=STATE_COLORS[trial.state], edgecolor="white", linewidth=0.3)
    shown = [state for state in STATE_COLORS if any(t.state == state for t in trials)]
    ax.legend(handles=[Patch(color=STATE_COLORS[s], label=s.name) for s in shown], loc="upper left")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Worker (inferred)")
    ax.set_yticks(range(max(lanes) + 1))
    ax.set_title(title)
    return ax


def _lanes(spans) -> list[int]:
    """Greedy interval partitioning: each span on the first lane whose last span ended before it."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    ends: list = []
    lanes = [0] * len(spans)
    for i in order:
        start, end = spans[i]
        free = next((k for k, e in enumerate(ends) if e <= start), len(ends))
        if free == len(ends):
            ends.append(end)
        ends[free] = end
        lanes[i] = free
    return lanes


def plot_hypervolume_history(study: Study, reference_point: Sequence[float]):
    """Hypervolume dominated by the feasible complete trials so far, against the reference point.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import fasthpo
    >>> study = fasthpo.create_study(directions=["minimize", "minimize"])
    >>> for values in [(1, 1), (0.5, 1.5), (2, 2)]:
    ...     _ = study.tell(study.ask(), values)
    >>> plot_hypervolume_history(study, [2, 2]).lines[0].get_ydata().tolist()
    [1.0, 1.25, 1.25]
    """
    from fasthpo._kernels.hypervolume import hypervolume

    n_objectives = len(study.directions)
    if n_objectives < 2:
        raise ValueError("plot_hypervolume_history needs a study of several objectives; this one has one.")
    reference = np.asarray(reference_point, dtype=float)
    if reference.shape != (n_objectives,) or not np.isfinite(reference).all():
        raise ValueError(f"reference_point must be {n_objectives} finite numbers, got {reference_point!r}.")
    ax = new_axes()
    title = "Hypervolume History Plot"
    trials = complete_trials(study)
    if not trials:
        return empty(ax, title, "No complete trials")
    signs = minimization_signs(study.directions)
    reference = reference * signs
    front = np.empty((0, n_objectives))
    volume = 0.0
    history = []
    for trial in trials:
        point = np.asarray(trial.values) * signs
        if all(c <= 0 for c in trial.constraints.values()) and (point < reference).all():
            candidates = np.vstack([front, point])
            kept = candidates[pareto_front_mask(candidates)]
            if len(kept) != len(front) or not np.array_equal(kept, front):
                front = np.ascontiguousarray(kept)
                volume = hypervolume(front, np.ascontiguousarray(reference))
        history.append(volume)
    ax.plot([t.number for t in trials], history, marker=".", label="Hypervolume")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Hypervolume")
    ax.set_title(title)
    ax.legend()
    return ax
