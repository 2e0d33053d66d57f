"""NSGA-III (Deb & Jain 2014): NSGA-II's generations and children, with survival by
reference points instead of crowding distance, for three or more objectives.

The fronts come from the compiled kernel (:func:`fasthpo._kernels.nsga.constrained_ranks`);
the front that does not fit whole is cut by niching: the objectives of the survivors
are normalized (ideal point, extreme points, intercepts of their hyperplane), each is
associated with the nearest reference line, and the members of the cut front go, one
at a time, to the reference lines with the fewest survivors so far.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fasthpo._kernels import nsga as kernels
from fasthpo.core import History
from fasthpo.samplers.nsgaii import BaseCrossover, BaseMutation, NSGAIISampler

__all__ = ["NSGAIIISampler", "default_reference_points"]

GENERATION_KEY = "NSGAIIISampler:generation"  # Optuna's key


def default_reference_points(n_objectives: int, dividing_parameter: int = 3) -> np.ndarray:
    """Das and Dennis's points: every point of the unit simplex whose coordinates are
    multiples of ``1 / dividing_parameter`` (``C(n_objectives + p - 1, p)`` of them).

    Examples
    --------
    >>> default_reference_points(3, 2)
    array([[1. , 0. , 0. ],
           [0.5, 0.5, 0. ],
           [0.5, 0. , 0.5],
           [0. , 1. , 0. ],
           [0. , 0.5, 0.5],
           [0. , 0. , 1. ]])
    """
    combinations = itertools.combinations_with_replacement(range(n_objectives), dividing_parameter)
    counts = [np.bincount(c, minlength=n_objectives) for c in combinations]
    return np.array(counts, dtype=float) / dividing_parameter


def normalize(losses: np.ndarray) -> np.ndarray:
    """Objectives translated to the ideal point and divided by the intercepts of the
    hyperplane through the extreme points (Deb & Jain 2014, section IV-C); where that
    plane is degenerate, by each objective's range. Infinite values are first clipped to
    three ranges beyond the finite ones."""
    F = np.array(losses, dtype=float)
    finite = np.where(np.isfinite(F), F, np.nan)
    with warnings.catch_warnings():  # an objective without a finite value: "All-NaN slice"
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(finite, axis=0), np.nanmax(finite, axis=0)
    low, high = np.nan_to_num(low), np.nan_to_num(high)
    F = np.clip(F, low - 3 * (high - low), high + 3 * (high - low))
    F -= F.min(axis=0)
    m = F.shape[1]
    weights = np.where(np.eye(m) > 0, 1.0, 1e-6)  # achievement scalarizing function per axis
    asf = (F[None, :, :] / weights[:, None, :]).max(axis=2)  # [axis, member]
    extremes = F[asf.argmin(axis=1)]
    intercepts = None
    try:
        plane = np.linalg.solve(extremes, np.ones(m))  # extremes @ plane = 1
        with np.errstate(divide="ignore"):
            intercepts = 1.0 / plane
    except np.linalg.LinAlgError:
        pass
    if intercepts is None or not (np.isfinite(intercepts).all() and (intercepts > 1e-10).all()):
        intercepts = F.max(axis=0)
    return F / np.where(intercepts > 1e-10, intercepts, 1.0)


def associate(F: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``F`` the nearest reference line (through the origin and a
    reference point) and the perpendicular distance to it."""
    directions = references / np.linalg.norm(references, axis=1, keepdims=True)
    along = F @ directions.T
    distance = np.sqrt(np.maximum((F * F).sum(axis=1)[:, None] - along**2, 0.0))
    line = distance.argmin(axis=1)
    return line, distance[np.arange(len(F)), line]


class NSGAIIISampler(NSGAIISampler):
    """NSGA-III over the parameters every finished trial has, for several objectives.

    Generations, tournaments, crossovers and mutation are :class:`NSGAIISampler`'s; the
    parents of the next generation are whole fronts while they fit, then members of the
    next front chosen by niching on reference points (Deb & Jain 2014), which keeps the
    population spread along the front with many objectives, where crowding distance
    does not. Trials record their generation in ``"NSGAIIISampler:generation"``.

    Parameters
    ----------
    population_size : int
        Trials per generation (>= 2).
    mutation : BaseMutation, optional
        How numeric parameters mutate (None: redrawn at random, as in Optuna).
    mutation_prob : float, optional
        Per parameter; ``1 / number of parameters`` by default.
    crossover : BaseCrossover, optional
        :class:`~fasthpo.samplers.nsgaii.UniformCrossover` with ``swapping_prob`` when None.
    crossover_prob : float
        Probability that a child is a crossover (else a copy of one parent).
    swapping_prob : float
        Probability of taking the second parent's value of a categorical parameter.
    seed : int, optional
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` returns constraint values, feasible when all
        are <= 0 (constraint domination, as in NSGAIISampler).
    reference_points : array of shape (n_points, n_objectives), optional
        Points of the normalized objective space; each defines the line from the origin
        through it. By default :func:`default_reference_points` with ``dividing_parameter``.
    dividing_parameter : int
        Divisions of each objective for the default reference points (unused when
        ``reference_points`` is given).
    elite_population_selection_strategy : callable, optional
        ``f(history, numbers) -> numbers``: the parents of the next generation (NSGA-III's
        selection by default).

    Examples
    --------
    >>> import fasthpo, numpy as np
    >>> def dtlz2(trial):
    ...     x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    ...     g, a = ((x[2:] - 0.5) ** 2).sum(), x[:2] * np.pi / 2
    ...     return ((1 + g) * np.cos(a[0]) * np.cos(a[1]), (1 + g) * np.cos(a[0]) * np.sin(a[1]),
    ...             (1 + g) * np.sin(a[0]))
    >>> sampler = fasthpo.samplers.NSGAIIISampler(population_size=30, seed=0)
    >>> study = fasthpo.create_study(directions=["minimize"] * 3, sampler=sampler)
    >>> study.optimize(dtlz2, n_trials=600)
    >>> front = np.array([t.values for t in study.best_trials])
    >>> bool(np.median(np.linalg.norm(front, axis=1)) < 1.1)  # near the unit sphere
    True
    """

    _generation_key = GENERATION_KEY

    def __init__(self, *, population_size: int = 50, mutation: BaseMutation | None = None,
                 mutation_prob: float | None = None, crossover: BaseCrossover | None = None,
                 crossover_prob: float = 0.9, swapping_prob: float = 0.5, seed: int | None = None,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None,
                 reference_points: np.ndarray | None = None, dividing_parameter: int = 3,
                 elite_population_selection_strategy: Callable[[History, np.ndarray], np.ndarray] | None = None
                 ) -> None:
        if isinstance(dividing_parameter, bool) or not isinstance(dividing_parameter, int) or dividing_parameter < 1:
            raise ValueError(f"dividing_parameter must be an int >= 1, got {dividing_parameter!r}.")
        self._reference_points = None if reference_points is None else _check_points(reference_points)
        self._dividing_parameter = dividing_parameter
        super().__init__(population_size=population_size, mutation=mutation, mutation_prob=mutation_prob,
                         crossover=crossover, crossover_prob=crossover_prob, swapping_prob=swapping_prob,
                         seed=seed, constraints_func=constraints_func,
                         elite_population_selection_strategy=elite_population_selection_strategy or self._nsga3_elite)

    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]]:
        self._references(history.n_objectives)  # a mismatch fails before any trial is evaluated
        return super().before_trials(history, numbers)

    def _references(self, n_objectives: int) -> np.ndarray:
        if self._reference_points is None:
            return default_reference_points(n_objectives, self._dividing_parameter)
        if self._reference_points.shape[1] != n_objectives:
            raise ValueError(f"reference_points have {self._reference_points.shape[1]} coordinates; the study has "
                             f"{n_objectives} objectives.")
        return self._reference_points

    def _nsga3_elite(self, history: History, population: np.ndarray) -> np.ndarray:
        """Whole fronts while they fit, then niching on the reference lines."""
        losses, violation = self._losses(history, population)
        ranks = kernels.constrained_ranks(losses, violation)
        chosen: list[np.ndarray] = []
        room = self._population_size
        for rank in range(int(ranks.max()) + 1 if len(ranks) else 0):
            front = np.flatnonzero(ranks == rank)
            if len(front) > room:
                elite = np.concatenate(chosen) if chosen else front[:0]
                chosen.append(self._niching(losses, elite, front, room))
                break
            chosen.append(front)
            room -= len(front)
            if room == 0:
                break
        return population[np.concatenate(chosen)] if chosen else population[:0]

    def _niching(self, losses: np.ndarray, elite: np.ndarray, front: np.ndarray, room: int) -> np.ndarray:
        """``room`` members of ``front``: each goes to a reference line with the fewest
        survivors (ties at random); a line with none takes its nearest member, else a
        random one."""
        members = np.concatenate([elite, front])
        line, distance = associate(normalize(losses[members]), self._references(losses.shape[1]))
        counts = np.bincount(line[: len(elite)], minlength=len(self._references(losses.shape[1])))
        line, distance = line[len(elite):], distance[len(elite):]
        left = np.ones(len(front), dtype=bool)
        open_lines = np.zeros(len(counts), dtype=bool)
        open_lines[line] = True
        picked: list[int] = []
        while len(picked) < room:
            fewest = counts[open_lines].min()
            j = self._rng.choice(np.flatnonzero(open_lines & (counts == fewest)))
            candidates = np.flatnonzero(left & (line == j))
            k = candidates[distance[candidates].argmin()] if counts[j] == 0 else self._rng.choice(candidates)
            picked.append(int(k))
            left[k] = False
            counts[j] += 1
            open_lines[j] = len(candidates) > 1
        return front[np.array(picked, dtype=np.int64)]


def _check_points(points: Any) -> np.ndarray:
    try:
        array = np.array(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"reference_points must be a 2-D array of numbers, got {points!r}.") from None
    if array.ndim != 2 or len(array) == 0 or array.shape[1] < 2:
        raise ValueError(f"reference_points must have shape (n_points, n_objectives >= 2), got {array.shape}.")
    if not np.isfinite(array).all() or (array < 0).any() or not (array.sum(axis=1) > 0).all():
        raise ValueError("reference_points must be finite and >= 0, with no all-zero point.")
    return array
