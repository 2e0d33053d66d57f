"""Exhaustive search over a define-by-run space: every combination of values once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo.core import History
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers.base import BaseSampler, check_seed
from fasthpo.trial_state import TrialState

__all__ = ["BruteForceSampler"]

Path = list[tuple[str, BaseDistribution, Any]]  # (name, distribution, value) in suggestion order


class BruteForceSampler(BaseSampler):
    """Try every combination of parameter values once, following the objective's branches.

    The trials so far form a tree: each trial is a path of (parameter, value) in the
    order it suggested them, so a conditional parameter lives under the value that
    opens it. A new suggestion takes a value not tried yet under the trial's path, or
    else one whose subtree is not exhausted. Once every branch is exhausted the study
    stops by itself.

    Every parameter must take finitely many values: integers, categorical choices, or
    floats with a ``step``.

    Parameters
    ----------
    seed : int, optional
        Seed of the random order in which untried values are taken.
    avoid_premature_stop : bool
        Count running trials as exploring their branch only once they finish, so the
        study stops only after every combination finished (running trials may then be
        proposed twice). By default a running trial counts as done.

    Examples
    --------
    >>> import fasthpo
    >>> def objective(trial):
    ...     kind = trial.suggest_categorical("kind", ["float", "int"])
    ...     if kind == "float":
    ...         return trial.suggest_float("x", 1, 3, step=0.5)
    ...     a = trial.suggest_int("a", 1, 3)
    ...     return a + trial.suggest_int("b", a, 3)
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=0))
    >>> study.optimize(objective)  # stops after the 5 + 6 combinations
    >>> len(study.trials)
    11
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        if not isinstance(avoid_premature_stop, bool):
            raise TypeError(f"avoid_premature_stop must be a bool, got {avoid_premature_stop!r}.")
        self._rng = np.random.default_rng(check_seed(seed))
        self._avoid_premature_stop = avoid_premature_stop

    def propose_independent(
        self, history: History, name: str, distribution: BaseDistribution, numbers: Sequence[int]
    ) -> np.ndarray:
        """A value of ``name`` per trial, untried under the trial's path if there is one.

        The tree holds every other trial; each proposal joins it as a running path, so
        the trials of one batch take different values.
        """
        values = grid_values(name, distribution)
        tree = self._tree(history, exclude=set(numbers))
        out = np.empty(len(numbers))
        for i, number in enumerate(numbers):
            path = _path(history, number)
            node = tree.walk(path)
            choices = range(len(values)) if node is None else node.open_choices(name, values)
            value = values[int(self._rng.choice(list(choices)))]
            tree.add([*path, (name, distribution, value)], TrialState.RUNNING, self._counts_running)
            out[i] = distribution.to_internal(value)
        return out

    def n_remaining(self, history: History) -> int:
        """The combinations known to be untried (a branch not entered yet may hold more);
        0 once every branch is exhausted, and ``optimize`` stops."""
        return self._tree(history).n_open()

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    @property
    def _counts_running(self) -> bool:
        return not self._avoid_premature_stop

    def _tree(self, history: History, exclude: set[int] = frozenset()) -> _Node:
        """The tree of the paths of every started trial but those in ``exclude``."""
        root = _Node()
        for number in history.rows_in(TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
            if int(number) not in exclude:
                root.add(_path(history, int(number)), history.state_of(int(number)), self._counts_running)
        return root


def _path(history: History, number: int) -> Path:
    distributions = history.distributions(number)
    return [(name, distributions[name], value) for name, value in history.params(number).items()]


class _Node:
    """A point of the search tree: the parameter suggested next here and the values tried.

    A node no trial went beyond is *unexpanded* (``name`` is None); it is *done* when a
    finished trial ended here, or a running one and running trials count as done. Done
    matters only while unexpanded: a trial that ended earlier than others (it failed
    midway, say) does not close the branches they opened. A running trial that is
    still choosing below an expanded node will take one of its open combinations
    (``pending``), so parallel trials and the members of a batch spread out.
    """

    __slots__ = ("name", "values", "children", "done", "pending")

    def __init__(self) -> None:
        self.name: str | None = None
        self.values: list[Any] = []  # every value of that parameter here
        self.children: dict[int, _Node] = {}  # by position in values
        self.done = False
        self.pending = 0  # running trials that ended here, still choosing

    def add(self, path: Path, state: int, counts_running: bool) -> None:
        """Add a trial's path; a path off the tree (a continuous float, a space that
        changed) is left out from where it leaves."""
        if not path and state == TrialState.RUNNING:
            return  # a trial that has not chosen anything yet
        node = self
        for name, distribution, value in path:
            if node.name is None:
                if not is_finite(distribution):
                    return  # a trial this sampler did not make (added, or a continuous float)
                node.name, node.values = name, grid_values(name, distribution)
            position = node.position(name, value)
            if position is None:
                return
            node = node.children.setdefault(position, _Node())
        if state != TrialState.RUNNING:
            node.done = True
        elif counts_running:
            if node.name is None:
                node.done = True
            else:
                node.pending += 1

    def position(self, name: str, value: Any) -> int | None:
        """Where ``value`` of parameter ``name`` is in this node's values (None: absent)."""
        if self.name != name:
            return None
        for i, v in enumerate(self.values):
            if type(v) is type(value) and v == value:  # True is not the choice 1
                return i
        return None

    def walk(self, path: Path) -> _Node | None:
        """The node reached by following ``path`` (None: a path no trial took)."""
        node: _Node | None = self
        for name, _, value in path:
            position = node.position(name, value)
            node = None if position is None else node.children.get(position)
            if node is None:
                return None
        return node

    def n_open(self) -> int:
        """The untried combinations known under this node (0: exhausted)."""
        if self.name is None:
            return 0 if self.done else 1
        known = len(self.values) - len(self.children) + sum(c.n_open() for c in self.children.values())
        return max(0, known - self.pending)

    def open_choices(self, name: str, values: list[Any]) -> list[int]:
        """Positions in ``values`` to try next: untried ones, else those with an
        unexhausted subtree, else any."""
        if self.name != name or self.values != values:
            return list(range(len(values)))
        untried = [i for i in range(len(values)) if i not in self.children]
        if untried:
            return untried
        open_ = [i for i, child in self.children.items() if child.n_open()]
        return sorted(open_) or list(range(len(values)))


def is_finite(distribution: BaseDistribution) -> bool:
    """Whether ``distribution`` has finitely many values."""
    return not isinstance(distribution, FloatDistribution) or distribution.step is not None or distribution.single()


def grid_values(name: str, distribution: BaseDistribution) -> list[Any]:
    """Every value of ``distribution``, as a study stores it.

    Examples
    --------
    >>> from fasthpo.distributions import FloatDistribution
    >>> grid_values("x", FloatDistribution(0.0, 1.0, step=0.25))
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if isinstance(distribution, CategoricalDistribution):
        return list(distribution.choices)
    low, high, step = distribution.low, distribution.high, distribution.step  # type: ignore[attr-defined]
    if isinstance(distribution, IntDistribution):
        return list(range(low, high + 1, step))
    if low == high:
        return [float(low)]
    if step is None:
        raise ValueError(
            f"BruteForceSampler needs finitely many values, but parameter {name!r} is a continuous "
            f"{distribution!r}; give suggest_float a step."
        )
    n = int(round((high - low) / step))
    return [distribution.to_external(distribution.round_internal(low + k * step)) for k in range(n + 1)]
