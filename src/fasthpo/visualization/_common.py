"""What every plot shares: matplotlib on demand, the target, parameter axes, empty figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo._target import Target, target_values
from fasthpo.distributions import CategoricalDistribution
from fasthpo.trial import FrozenTrial
from fasthpo.trial_state import TrialState



def pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("fasthpo.visualization needs matplotlib: pip install matplotlib (from a fasthpo checkout: pip install '.[plot]').") from exc
    return plt


def new_axes():
    return pyplot().subplots()[1]


def empty(ax, title: str, message: str):
    """Title ``ax`` and write ``message`` in its middle: the figure says why it is empty."""
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    return ax


def complete_trials(study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def checked_values(trials: Sequence[FrozenTrial], target: Target | None) -> np.ndarray:
    """The plotted value of each trial; a target giving NaN is an error (nothing to place)."""
    values = target_values(trials, target)
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        raise ValueError(f"target must return a real number, got nan on trial {trials[bad[0]].number}.")
    return values


def param_names(trials: Sequence[FrozenTrial], params: Sequence[str] | None, n_min: int = 1) -> list[str]:
    """The parameters to draw: ``params`` checked against the trials', or all of them sorted."""
    known = sorted({name for t in trials for name in t.params})
    if params is None:
        return known
    if isinstance(params, str):
        raise TypeError(f"params must be a list of parameter names, got the string {params!r}.")
    names = list(params)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown}; the study's complete trials have {known}.")
    if len(names) < n_min:
        raise ValueError(f"params must name at least {n_min} parameter(s), got {names!r}.")
    return names


class ParamAxis:
    """One parameter as an axis: numeric values (categorical choices as their index), NaN where absent."""

    def __init__(self, trials: Sequence[FrozenTrial], name: str) -> None:
        self.name = name
        distribution = next(t.distributions[name] for t in trials if name in t.distributions)
        self.choices: list[Any] | None = None
        self.log = bool(getattr(distribution, "log", False))
        if isinstance(distribution, CategoricalDistribution):
            self.choices = list(distribution.choices)
            self.values = np.array(
                [distribution.to_internal(t.params[name]) if name in t.params else np.nan for t in trials], dtype=float
            )
        else:
            self.values = np.array([t.params.get(name, np.nan) for t in trials], dtype=float)

    @property
    def present(self) -> np.ndarray:
        return ~np.isnan(self.values)

    def scaled(self) -> np.ndarray:
        """Values on the axis' own scale (log10 for log parameters), for interpolation and spacing."""
        return np.log10(self.values) if self.log else self.values

    def style(self, ax, which: str = "x") -> None:
        """Label the axis with the parameter name; log scale or choice names as ticks."""
        getattr(ax, f"set_{which}label")(self.name)
        if self.log:
            getattr(ax, f"set_{which}scale")("log")
        if self.choices is not None:
            getattr(ax, f"set_{which}ticks")(range(len(self.choices)), [str(c) for c in self.choices])
