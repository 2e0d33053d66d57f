"""Exhaustive search over a grid of values."""

from __future__ import annotations

import itertools
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo.distributions import BaseDistribution
from fasthpo.samplers.base import BaseSampler, check_seed

__all__ = ["GridSampler"]

_GRID_ID = "grid_id"


class GridSampler(BaseSampler):
    """Try every combination of the listed values once, in a seeded random order.

    When every grid point has been tried (or is running) the study stops by itself.

    Parameters
    ----------
    search_space : dict of str to sequence
        The values of each parameter. Every parameter the objective suggests must be
        listed, and each value must lie in the distribution it is suggested with.
    seed : int, optional
        Seed of the order in which grid points are tried.

    Examples
    --------
    >>> import fasthpo
    >>> space = {"x": [-1, 0, 1], "kind": ["a", "b"]}
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.GridSampler(space, seed=0))
    >>> def objective(trial):
    ...     return trial.suggest_int("x", -1, 1) ** 2 + (trial.suggest_categorical("kind", ["a", "b"]) == "b")
    >>> study.optimize(objective)  # stops after the 6 grid points
    >>> len(study.trials), study.best_params
    (6, {'x': 0, 'kind': 'a'})
    """

    def __init__(self, search_space: dict[str, Sequence[Any]], seed: int | None = None) -> None:
        if not isinstance(search_space, dict) or not search_space:
            raise ValueError(f"search_space must be a non-empty dict of name to values, got {search_space!r}.")
        for name, values in search_space.items():
            _check_grid_values(name, values)
        self._names = sorted(search_space)
        self._grid = list(itertools.product(*(search_space[n] for n in self._names)))
        self._search_space = {n: list(search_space[n]) for n in self._names}
        self._rng = np.random.default_rng(check_seed(seed))
        self._visited: set[int] = set()
        self._n_seen = 0
        self._history_key: int | None = None

    def _update_visited(self, history) -> None:
        if history.key != self._history_key:
            self._history_key, self._n_seen, self._visited = history.key, 0, set()
        for number in range(self._n_seen, history.n_trials):
            attrs = history.system_attrs(number)
            if _GRID_ID in attrs:
                self._visited.add(attrs[_GRID_ID])
        self._n_seen = history.n_trials

    def before_trials(self, history, numbers) -> list[dict[str, Any]]:
        self._update_visited(history)
        attrs = []
        for _ in numbers:
            unvisited = [i for i in range(len(self._grid)) if i not in self._visited]
            if not unvisited:
                warnings.warn("Every grid point has been tried; a grid point is tried again.", UserWarning, stacklevel=4)
                unvisited = list(range(len(self._grid)))
            grid_id = int(self._rng.choice(unvisited))
            self._visited.add(grid_id)
            attrs.append({_GRID_ID: grid_id})
        return attrs

    def propose_independent(self, history, name: str, distribution: BaseDistribution, numbers) -> np.ndarray:
        if name not in self._search_space:
            raise ValueError(f"Parameter {name!r} is not in the grid {list(self._names)!r}.")
        column = self._names.index(name)
        out = np.empty(len(numbers))
        for i, number in enumerate(numbers):
            value = self._grid[history.system_attrs(number)[_GRID_ID]][column]
            if not distribution.contains(value):
                raise ValueError(f"Grid value {value!r} of parameter {name!r} is not in {distribution!r}.")
            out[i] = distribution.to_internal(value)
        return out

    def n_remaining(self, history) -> int:
        """Grid points neither tried nor running (``optimize`` stops at 0)."""
        self._update_visited(history)
        return len(self._grid) - len(self._visited)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()


def _check_grid_values(name: Any, values: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"search_space keys must be str, got {name!r}.")
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"search_space[{name!r}] must be a non-empty list of values, got {values!r}.")
    for v in values:
        if v is not None and not isinstance(v, (str, bool, numbers.Real)):
            raise TypeError(f"search_space[{name!r}] holds {v!r}; values must be None, bool, numbers or str.")
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isfinite(v):
            raise ValueError(f"search_space[{name!r}] holds {v!r}; numbers must be finite.")
