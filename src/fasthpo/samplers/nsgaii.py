"""NSGA-II (Deb et al. 2002): a genetic algorithm for several objectives, with Optuna's
crossover operators and defaults. Survival (constraint-domination fronts and crowding
distance) runs in the compiled kernels of :mod:`fasthpo._kernels.nsga`; the children of
a generation are made together, as one batch of rows.

Crossovers and mutations work on encoded parameters (log scale for ``log=True``) inside
the sampling bounds; categorical parameters always take the uniform crossover.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fasthpo._constraints import CONSTRAINTS_KEY, constraint_values
from fasthpo._kernels import nsga as kernels
from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution, CategoricalDistribution
from fasthpo.samplers.base import BaseSampler, JointSampler, check_seed
from fasthpo.samplers.random import RandomSampler
from fasthpo.trial_state import TrialState

__all__ = ["BLXAlphaCrossover", "BaseCrossover", "BaseMutation", "NSGAIISampler", "PolynomialMutation",
           "SBXCrossover", "SPXCrossover", "UNDXCrossover", "UniformCrossover", "VSBXCrossover"]

GENERATION_KEY = "NSGAIISampler:generation"  # Optuna's key: journals stay readable by both
_MAX_RETRIES = 100


# ------------------------------------------------------------------ crossovers
class BaseCrossover:
    """A crossover: ``n_parents`` parents' encoded rows in, one child row out.

    ``crossover(parents, rng, bounds, n_objectives)`` takes ``parents[m, n_parents, d]``
    (m children at once), a ``numpy.random.Generator``, ``bounds[d, 2]`` and the
    study's number of objectives; it returns ``[m, d]``.
    """

    n_parents = 2

    def crossover(self, parents: np.ndarray, rng: np.random.Generator, bounds: np.ndarray,
                  n_objectives: int = 2) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class UniformCrossover(BaseCrossover):
    """Each parameter from the second parent with probability ``swapping_prob``, else the first.

    Examples
    --------
    >>> UniformCrossover(swapping_prob=0.0).crossover(np.array([[[1.0, 2.0], [3.0, 4.0]]]),
    ...                                               np.random.default_rng(0), np.array([[0, 5], [0, 5]]))
    array([[1., 2.]])
    """

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._swapping_prob = _probability("swapping_prob", swapping_prob)

    def crossover(self, parents, rng, bounds, n_objectives=2):
        swap = rng.random(parents.shape[::2]) < self._swapping_prob
        return np.where(swap, parents[:, 1], parents[:, 0])


class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover (Eshelman & Schaffer 1993): uniform in the parents' interval
    widened by ``alpha`` times its length on each side."""

    def __init__(self, alpha: float = 0.5) -> None:
        self._alpha = _non_negative("alpha", alpha)

    def crossover(self, parents, rng, bounds, n_objectives=2):
        low, high = parents.min(axis=1), parents.max(axis=1)
        margin = self._alpha * (high - low)
        return low - margin + rng.random(low.shape) * (high - low + 2 * margin)


class _SimulatedBinary(BaseCrossover):
    """Shared by SBX and VSBX: two children per pair, and per parameter either a
    child's gene (probability ``1 - uniform_crossover_prob``) or a parent's."""

    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        self._eta = None if eta is None else _non_negative("eta", eta)
        self._uniform_prob = _probability("uniform_crossover_prob", uniform_crossover_prob)
        self._child_prob = _probability("use_child_gene_prob", use_child_gene_prob)

    def eta(self, n_objectives: int) -> float:
        """``eta``, by default 20 for several objectives and 2 for one (as in Optuna)."""
        return self._eta if self._eta is not None else (20.0 if n_objectives > 1 else 2.0)

    def crossover(self, parents, rng, bounds, n_objectives=2):
        x1, x2 = parents[:, 0], parents[:, 1]
        c1, c2 = self._children(x1, x2, rng, bounds, self.eta(n_objectives))
        use_child = rng.random(x1.shape) < self._child_prob
        swap = rng.random(x1.shape) < self._uniform_prob
        first = np.where(use_child, np.where(swap, c2, c1), np.where(swap, x2, x1))
        second = np.where(use_child, np.where(swap, c1, c2), np.where(swap, x1, x2))
        return np.where(rng.random((len(x1), 1)) < 0.5, first, second)

    def _children(self, x1, x2, rng, bounds, eta):
        raise NotImplementedError


class SBXCrossover(_SimulatedBinary):
    """Simulated binary crossover (Deb & Agrawal 1995) with bounds; ``eta`` 20 for
    several objectives, 2 for one, by default.

    Examples
    --------
    >>> parents = np.array([[[0.2, 0.5], [0.4, 0.6]]])
    >>> child = SBXCrossover().crossover(parents, np.random.default_rng(0), np.array([[0, 1], [0, 1]]))
    >>> child.shape, bool(((child >= 0) & (child <= 1)).all())
    ((1, 2), True)
    """

    def _children(self, x1, x2, rng, bounds, eta):
        low, high = np.minimum(x1, x2), np.maximum(x1, x2)
        diff = np.maximum(high - low, 1e-10)
        beta1 = 1 + 2 * (low - bounds[:, 0]) / diff
        beta2 = 1 + 2 * (bounds[:, 1] - high) / diff
        u = rng.random(x1.shape)

        def spread(beta):
            alpha = 2 - np.maximum(beta, 1e-300) ** -(eta + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                near = (u * alpha) ** (1 / (eta + 1))
                far = (1 / np.maximum(2 - u * alpha, 1e-300)) ** (1 / (eta + 1))
            return np.where(u <= 1 / alpha, near, far)

        mid = 0.5 * (low + high)
        return mid - 0.5 * spread(beta1) * diff, mid + 0.5 * spread(beta2) * diff


class VSBXCrossover(_SimulatedBinary):
    """Modified simulated binary crossover (vSBX, Pan et al. 2021): children spread on
    both sides of the parents; ``eta`` as in :class:`SBXCrossover`."""

    def _children(self, x1, x2, rng, bounds, eta):
        u = np.clip(rng.random(x1.shape), 1e-12, 1 - 1e-12)
        b1 = (1 / (2 * u)) ** (1 / (eta + 1))
        b2 = (1 / (2 * (1 - u))) ** (1 / (eta + 1))
        side1 = rng.random(x1.shape[0])[:, None] <= 0.5
        side2 = rng.random(x1.shape[0])[:, None] <= 0.5
        c1 = np.where(side1, 0.5 * ((1 + b1) * x1 + (1 - b2) * x2), 0.5 * ((1 - b1) * x1 + (1 + b2) * x2))
        c2 = np.where(side2, 0.5 * ((3 - b1) * x1 - (1 - b2) * x2), 0.5 * (-(1 - b1) * x1 + (3 - b2) * x2))
        return c1, c2


class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui et al. 1999) of three parents: a point of their
    simplex expanded by ``epsilon`` around its centroid (``sqrt(d + 2)`` by default)."""

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        self._epsilon = None if epsilon is None else _non_negative("epsilon", epsilon)

    def crossover(self, parents, rng, bounds, n_objectives=2):
        m, k, d = parents.shape
        epsilon = self._epsilon if self._epsilon is not None else math.sqrt(d + 2)
        centroid = parents.mean(axis=1, keepdims=True)
        x = centroid + epsilon * (parents - centroid)
        c = np.zeros((m, d))
        for i in range(1, k):
            r = rng.random((m, 1)) ** (1 / i)
            c = r * (x[:, i - 1] - x[:, i] + c)
        return x[:, -1] + c


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono et al. 2003): normal around the
    midpoint of two parents, ``sigma_xi`` along their difference and ``sigma_eta``
    (``0.35 / sqrt(d)`` by default) times the third parent's distance across it. The
    sigmas are standard deviations, as in the paper (Optuna draws with ``sigma**2``)."""

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        self._sigma_xi = _non_negative("sigma_xi", sigma_xi)
        self._sigma_eta = None if sigma_eta is None else _non_negative("sigma_eta", sigma_eta)

    def crossover(self, parents, rng, bounds, n_objectives=2):
        m, _, d = parents.shape
        sigma_eta = self._sigma_eta if self._sigma_eta is not None else 0.35 / math.sqrt(d)
        x1, x2, x3 = parents[:, 0], parents[:, 1], parents[:, 2]
        mid, diff = 0.5 * (x1 + x2), x1 - x2
        norm = np.linalg.norm(diff, axis=1, keepdims=True)
        unit = np.divide(diff, norm, out=np.zeros_like(diff), where=norm > 0)
        across = (x3 - x1) - ((x3 - x1) * unit).sum(axis=1, keepdims=True) * unit
        distance = np.linalg.norm(across, axis=1, keepdims=True)
        noise = rng.standard_normal((m, d))
        noise -= (noise * unit).sum(axis=1, keepdims=True) * unit  # the part orthogonal to diff
        xi = rng.standard_normal((m, 1)) * self._sigma_xi
        return mid + xi * diff + sigma_eta * distance * noise


# ------------------------------------------------------------------- mutation
class BaseMutation:
    """A mutation of numeric parameters: ``mutation(x, rng, bounds)`` maps encoded
    values ``x[m]`` of one parameter inside ``bounds = (low, high)`` to new ones."""

    def mutation(self, x: np.ndarray, rng: np.random.Generator, bounds: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PolynomialMutation(BaseMutation):
    """Polynomial mutation (Deb & Goyal 1996, as in the NSGA-II reference code): a
    perturbation whose spread shrinks as ``eta`` grows, kept inside the bounds.

    Examples
    --------
    >>> y = PolynomialMutation().mutation(np.full(1000, 0.5), np.random.default_rng(0), np.array([0.0, 1.0]))
    >>> bool(((y >= 0) & (y <= 1)).all()), bool(abs(np.median(y) - 0.5) < 0.05)
    (True, True)
    """

    def __init__(self, eta: float = 20.0) -> None:
        self._eta = _non_negative("eta", eta)

    def mutation(self, x, rng, bounds):
        low, high = bounds
        width = high - low
        if width <= 0:
            return np.array(x, dtype=float)
        u = rng.random(len(x))
        power = 1 / (self._eta + 1)
        d1, d2 = (x - low) / width, (high - x) / width
        lower = (2 * u + (1 - 2 * u) * (1 - d1) ** (self._eta + 1)) ** power - 1
        upper = 1 - (2 * (1 - u) + 2 * (u - 0.5) * (1 - d2) ** (self._eta + 1)) ** power
        return np.clip(x + np.where(u <= 0.5, lower, upper) * width, low, high)


# -------------------------------------------------------------------- sampler
class NSGAIISampler(JointSampler):
    """NSGA-II over the parameters every finished trial has, for one or several objectives.

    Trials are grouped in generations (the system attribute
    ``"NSGAIISampler:generation"``). Generation 0 is random; once a generation has
    ``population_size`` COMPLETE trials, the elite of it and the previous parents
    (constraint-domination fronts, the last front cut by crowding distance) become the
    parents of the next. Each child picks its parents by binary tournament on
    domination, crosses them with probability ``crossover_prob`` (else copies a random
    parent) and leaves each parameter with probability ``mutation_prob`` to ``mutation``
    (to random sampling when ``mutation`` is None). Asking for ``population_size`` trials
    as one batch (``optimize(batch_size=population_size)``) makes a generation at once.

    Parameters
    ----------
    population_size : int
        Trials per generation (>= 2).
    mutation : BaseMutation, optional
        How numeric parameters mutate (None: they are redrawn at random, as in Optuna).
    mutation_prob : float, optional
        Per parameter; ``1 / number of parameters`` by default.
    crossover : BaseCrossover, optional
        When None, :class:`UniformCrossover` with ``swapping_prob``; also :class:`BLXAlphaCrossover`,
        :class:`SBXCrossover`, :class:`SPXCrossover`, :class:`UNDXCrossover`,
        :class:`VSBXCrossover`.
    crossover_prob : float
        Probability that a child is a crossover (else a copy of one parent).
    swapping_prob : float
        Probability of taking the second parent's value of a categorical parameter.
    seed : int, optional
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` returns constraint values, feasible when all
        are <= 0; a feasible trial dominates an infeasible one, and between infeasible
        ones the smaller total violation wins.
    elite_population_selection_strategy : callable, optional
        ``f(history, numbers) -> numbers``: the parents of the next generation among
        the trial numbers given (the previous parents and the generation's COMPLETE
        trials); NSGA-II's selection by default.

    Examples
    --------
    >>> import fasthpo
    >>> def zdt1(trial):
    ...     x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(5)]
    ...     g = 1 + 9 * sum(x[1:]) / 4
    ...     return x[0], g * (1 - (x[0] / g) ** 0.5)
    >>> study = fasthpo.create_study(directions=["minimize", "minimize"],
    ...                              sampler=fasthpo.samplers.NSGAIISampler(population_size=20, seed=0))
    >>> study.optimize(zdt1, n_trials=400)
    >>> len(study.best_trials) >= 10
    True
    """

    _generation_key = GENERATION_KEY

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None,
                 elite_population_selection_strategy: Callable[[History, np.ndarray], np.ndarray] | None = None
                 ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValueError(f"population_size must be an int >= 2, got {population_size!r}.")
        crossover = UniformCrossover(swapping_prob) if crossover is None else crossover
        if not isinstance(crossover, BaseCrossover):
            raise TypeError(f"crossover must be a fasthpo.samplers.nsgaii crossover, got {crossover!r}.")
        if population_size < crossover.n_parents:
            raise ValueError(f"population_size ({population_size}) must be >= the {crossover.n_parents} parents "
                             f"{type(crossover).__name__} takes.")
        if mutation is not None and not isinstance(mutation, BaseMutation):
            raise TypeError(f"mutation must be a fasthpo.samplers.nsgaii mutation or None, got {mutation!r}.")
        for name, func in (("constraints_func", constraints_func),
                           ("elite_population_selection_strategy", elite_population_selection_strategy)):
            if func is not None and not callable(func):
                raise TypeError(f"{name} must be callable or None, got {func!r}.")
        self._population_size = population_size
        self._mutation = mutation
        self._mutation_prob = None if mutation_prob is None else _probability("mutation_prob", mutation_prob)
        self._crossover = crossover
        self._crossover_prob = _probability("crossover_prob", crossover_prob)
        self._swapping_prob = _probability("swapping_prob", swapping_prob)
        self._constraints_func = constraints_func
        self._select_elite = elite_population_selection_strategy or self._nsga2_elite
        seed = check_seed(seed)
        self._rng = np.random.default_rng(seed)
        self._independent = RandomSampler(seed=seed)
        self._generations: _Generations | None = None
        self._block: tuple = (None, None)  # children made and not yet handed out
        self._n_objectives = 1
        self._space: tuple = (None, {})

    # ------------------------------------------------------------ interface
    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        key = (history.key, history.n_finished)  # the intersection only changes when trials finish
        if self._space[0] != key:
            space = history.intersection_search_space()
            self._space = (key, {name: d for name, d in sorted(space.items()) if not d.single()})
        return self._space[1]

    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]]:
        attrs = super().before_trials(history, numbers) or [{} for _ in numbers]
        generation = self._sync(history).generation
        return [{**row, self._generation_key: generation} for row in attrs]

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        """One child per trial, from the parents of the current generation (random in
        generation 0: every row NaN). Children are made ``population_size`` at a time
        and handed out in order, so one-by-one trials cost what a batch costs."""
        generations = self._sync(history)
        if len(generations.parents) < self._crossover.n_parents:
            return Proposal.empty(len(numbers), len(space))
        key = (history.key, generations.generation, tuple(space.names))
        if self._block[0] != key:
            self._block = (key, np.empty((0, len(space))))
        block = self._block[1]
        if len(block) < len(numbers):
            fresh = self._offspring(history, space, generations.parents, max(self._population_size, len(numbers)))
            block = np.concatenate([block, fresh])
        self._block = (key, block[len(numbers):])
        return Proposal(block[:len(numbers)].copy())

    def _offspring(self, history: History, space: SearchSpace, parents: np.ndarray, n: int) -> np.ndarray:
        self._n_objectives = history.n_objectives
        columns = [history.columns[name] for name in space.names]
        X = np.ascontiguousarray(history.X[np.ix_(parents, columns)])
        categorical = np.array([isinstance(d, CategoricalDistribution) for d in space.distributions])
        bounds = np.array([d.sampling_bounds() for d in space.distributions], dtype=float)
        dominates = kernels.domination_matrix(*self._losses(history, parents)).astype(bool)
        children = self._children(X, dominates, categorical, bounds, n)
        return self._mutate(children, categorical, bounds)

    def after_trial(self, history: History, number: int, state: TrialState,
                    values: Sequence[float] | None) -> dict[str, Any] | None:
        attrs = super().after_trial(history, number, state, values)
        if self._constraints_func is not None and state in (TrialState.COMPLETE, TrialState.PRUNED):
            attrs = dict(attrs or {})
            attrs[CONSTRAINTS_KEY] = constraint_values(self._constraints_func(history.frozen_trial(number)))
        return attrs

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        super().reseed_rng()

    # ---------------------------------------------------------- generations
    def _sync(self, history: History) -> _Generations:
        """The generations as the history has them now (read incrementally)."""
        if self._generations is None or self._generations.key != history.key:
            self._generations = _Generations(history.key, self._generation_key)
        state = self._generations
        state.read(history)
        while True:
            members = np.array(state.members.get(state.generation, ()), dtype=np.int64)
            complete = members[history.states[members] == TrialState.COMPLETE]
            if len(complete) < self._population_size:
                return state
            population = np.concatenate([state.parents, complete])
            state.parents = np.asarray(self._select_elite(history, population), dtype=np.int64)
            state.generation += 1

    def _losses(self, history: History, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(history.Y[rows], dtype=float), np.ascontiguousarray(history.violation[rows])

    def _nsga2_elite(self, history: History, population: np.ndarray) -> np.ndarray:
        """Whole fronts while they fit, then the least crowded of the next front."""
        losses, violation = self._losses(history, population)
        ranks = kernels.constrained_ranks(losses, violation)
        chosen: list[np.ndarray] = []
        room = self._population_size
        for rank in range(int(ranks.max()) + 1 if len(ranks) else 0):
            front = np.flatnonzero(ranks == rank)
            if len(front) >= room:
                distance = kernels.crowding_distance(np.ascontiguousarray(losses[front]))
                chosen.append(front[np.argsort(-distance, kind="stable")[:room]])
                break
            chosen.append(front)
            room -= len(front)
        return population[np.concatenate(chosen)] if chosen else population[:0]

    # ------------------------------------------------------------- children
    def _tournament(self, dominates: np.ndarray, excluded: np.ndarray) -> np.ndarray:
        """One parent per child: of two random ones not yet chosen for it, the first
        if it dominates the second, else the second."""
        m, size = excluded.shape
        weights = ~excluded
        picks = []
        for _ in range(2):
            u = self._rng.random(m) * weights.sum(axis=1)
            picks.append(np.minimum((np.cumsum(weights, axis=1) <= u[:, None]).sum(axis=1), size - 1))
        a, b = picks
        return np.where(dominates[a, b], a, b)

    def _children(self, X: np.ndarray, dominates: np.ndarray, categorical: np.ndarray, bounds: np.ndarray,
                  n: int) -> np.ndarray:
        children = X[self._rng.integers(len(X), size=n)]  # copies where no crossover happens
        crossed = np.flatnonzero(self._rng.random(n) < self._crossover_prob)
        for _ in range(_MAX_RETRIES):  # parents are drawn again for children outside the bounds
            if not len(crossed):
                break
            children[crossed] = self._cross(X, dominates, categorical, bounds, len(crossed))
            inside = ((children[crossed] >= bounds[:, 0]) & (children[crossed] <= bounds[:, 1])).all(axis=1)
            crossed = crossed[~inside]
        return np.clip(children, bounds[:, 0], bounds[:, 1])

    def _cross(self, X, dominates, categorical, bounds, m) -> np.ndarray:
        k = self._crossover.n_parents
        excluded = np.zeros((m, len(X)), dtype=bool)
        chosen = np.empty((m, k), dtype=np.int64)
        for i in range(k):
            chosen[:, i] = self._tournament(dominates, excluded)
            excluded[np.arange(m), chosen[:, i]] = True
        parents = X[chosen]  # [m, k, d]
        child = np.empty((m, X.shape[1]))
        if (~categorical).any():
            child[:, ~categorical] = self._crossover.crossover(parents[:, :, ~categorical], self._rng,
                                                               bounds[~categorical], self._n_objectives)
        if categorical.any():
            swap = self._rng.random((m, int(categorical.sum()))) < self._swapping_prob
            child[:, categorical] = np.where(swap, parents[:, -1, categorical], parents[:, 0, categorical])
        return child

    def _mutate(self, children: np.ndarray, categorical: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Each parameter mutates with ``mutation_prob``: through ``mutation`` (numeric
        ones, when set) or left NaN for random sampling."""
        m, d = children.shape
        prob = self._mutation_prob if self._mutation_prob is not None else 1 / max(1, d)
        mutate = self._rng.random((m, d)) < prob
        if self._mutation is None:
            children[mutate] = np.nan
            return children
        children[mutate & categorical] = np.nan
        for j in np.flatnonzero((mutate & ~categorical).any(axis=0)):
            rows = np.flatnonzero(mutate[:, j])
            children[rows, j] = self._mutation.mutation(children[rows, j], self._rng, bounds[j])
        return children


class _Generations:
    """Which trials belong to which generation, and the parents of the current one."""

    def __init__(self, key: int, attribute: str) -> None:
        self.key = key
        self.attribute = attribute  # the system attribute holding a trial's generation
        self.cursor = 0  # trials before it were read
        self.pending: list[int] = []  # running trials not yet given a generation
        self.members: dict[int, list[int]] = {}
        self.generation = 0
        self.parents = np.empty(0, dtype=np.int64)

    def read(self, history: History) -> None:
        waiting, self.pending = self.pending + list(range(self.cursor, history.n_trials)), []
        self.cursor = history.n_trials
        for number in waiting:
            generation = history.system_attrs(number).get(self.attribute)
            if generation is not None:
                self.members.setdefault(int(generation), []).append(number)
            elif history.state_of(number) == TrialState.RUNNING:
                self.pending.append(number)


def _probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a float in [0, 1], got {value!r}.")
    return float(value)


def _non_negative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite float >= 0, got {value!r}.")
    return float(value)
