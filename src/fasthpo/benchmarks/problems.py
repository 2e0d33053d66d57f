"""Benchmark problems with known optima, evaluated on whole arrays of configurations.

A problem is named like ``rastrigin-10d`` (a classic function in 10 dimensions),
``mixed``, ``conditional``, ``zdt1-10d`` or ``dtlz2-6d``; :func:`get_problem` turns the
name into a :class:`Problem`. ``problem.instance(seed)`` is one instance of it: the
classic functions are shifted and rotated (or permuted) per seed, the mixed and
conditional spaces move their optimum per seed; the instance suggests its parameters
on a trial and evaluates them on arrays.

The same code serves scalar trials (fasthpo, Optuna, rustuna) and fasthpo's
:class:`~fasthpo.batch.BatchTrial`: :func:`as_batch` wraps a scalar trial so that its
suggestions are arrays of one value.

Single-objective problems are scored by regret ``best value - optimum``; two- and
three-objective ones by hypervolume regret ``HV(true front) - HV(front found)`` against
a fixed reference point.

Examples
--------
>>> import numpy as np
>>> instance = get_problem("rastrigin-3d").instance(seed=7)
>>> float(instance.evaluate({f"x{i}": np.array([v]) for i, v in enumerate(instance.minimizer)})[0])
0.0
>>> get_problem("zdt1-6d").n_objectives
2
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from fasthpo.benchmarks.model_tuning import model_tuning_problems

__all__ = ["Instance", "Problem", "as_batch", "dtlz2", "get_problem", "problem_names"]


# ------------------------------------------------------------------ trials as batches
class _ScalarAsBatch:
    """A scalar trial whose suggestions are arrays of one value (``subset`` of a
    one-member batch is the trial itself or nothing)."""

    def __init__(self, trial: Any) -> None:
        self._trial = trial

    def __len__(self) -> int:
        return 1

    def subset(self, mask: np.ndarray) -> Any:
        return self if bool(np.asarray(mask)[0]) else _EMPTY

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False):
        return np.array([self._trial.suggest_float(name, low, high, step=step, log=log)])

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False):
        return np.array([self._trial.suggest_int(name, low, high, log=log)])

    def suggest_categorical(self, name: str, choices: list[Any]):
        out = np.empty(1, dtype=object)
        out[0] = self._trial.suggest_categorical(name, choices)
        return out


class _Empty:
    """The members of a batch for which a condition holds when there are none."""

    def __len__(self) -> int:
        return 0

    def subset(self, mask: np.ndarray) -> Any:
        return self

    def suggest_float(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return np.empty(0)

    suggest_int = suggest_float

    def suggest_categorical(self, *args: Any, **kwargs: Any) -> np.ndarray:
        return np.empty(0, dtype=object)


_EMPTY = _Empty()


def as_batch(trial: Any) -> Any:
    """``trial`` itself if it suggests arrays (a fasthpo BatchTrial), else a wrapper whose
    suggestions are arrays of one value. Works for fasthpo's, Optuna's and rustuna's trials."""
    return trial if hasattr(trial, "subset") else _ScalarAsBatch(trial)


def _scatter(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Full-length array with ``values`` where ``mask`` holds and NaN (None) elsewhere."""
    out = np.full(len(mask), None, dtype=object) if values.dtype == object else np.full(len(mask), np.nan)
    out[mask] = values
    return out


# ------------------------------------------------------------------ problem and instance
@dataclass(frozen=True)
class Instance:
    """One seeded instance of a problem.

    ``suggest(batch)`` asks a batch-like trial (see :func:`as_batch`) for every
    parameter and returns ``{name: array}`` (NaN or None where a conditional parameter
    is absent); ``evaluate(params)`` returns the values, shape ``(n,)`` or
    ``(n, n_objectives)``. ``optimum`` is the best value (single objective) or the
    hypervolume of the true Pareto front (several objectives) against ``reference``.
    ``minimizer`` is a configuration at the optimum, where one is known in closed form.
    """

    suggest: Callable[[Any], dict[str, np.ndarray]]
    evaluate: Callable[[dict[str, np.ndarray]], np.ndarray]
    optimum: float
    reference: np.ndarray | None = None
    minimizer: np.ndarray | None = None


@dataclass(frozen=True)
class Problem:
    """A named benchmark problem; ``instance(seed)`` gives its instance for a seed."""

    name: str
    n_objectives: int
    make_instance: Callable[[int], Instance]

    def instance(self, seed: int) -> Instance:
        return self.make_instance(seed)


# ------------------------------------------------------------------ classic functions
def _sphere(z: np.ndarray) -> np.ndarray:
    return np.sum(z * z, axis=1)


def _ellipsoid(z: np.ndarray) -> np.ndarray:
    d = z.shape[1]
    return np.sum(10.0 ** (6.0 * np.arange(d) / max(d - 1, 1)) * z * z, axis=1)


def _rosenbrock(z: np.ndarray) -> np.ndarray:
    return np.sum(100.0 * (z[:, 1:] - z[:, :-1] ** 2) ** 2 + (1.0 - z[:, :-1]) ** 2, axis=1)


def _rastrigin(z: np.ndarray) -> np.ndarray:
    return 10.0 * z.shape[1] + np.sum(z * z - 10.0 * np.cos(2 * np.pi * z), axis=1)


def _ackley(z: np.ndarray) -> np.ndarray:
    d = z.shape[1]
    a = -20.0 * np.exp(-0.2 * np.sqrt(np.sum(z * z, axis=1) / d))
    return a - np.exp(np.sum(np.cos(2 * np.pi * z), axis=1) / d) + 20.0 + math.e


def _griewank(z: np.ndarray) -> np.ndarray:
    i = np.sqrt(np.arange(1, z.shape[1] + 1))
    return 1.0 + np.sum(z * z, axis=1) / 4000.0 - np.prod(np.cos(z / i), axis=1)


def _levy(z: np.ndarray) -> np.ndarray:
    w = 1.0 + (z - 1.0) / 4.0
    body = np.sum((w[:, :-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:, :-1] + 1) ** 2), axis=1)
    tail = (w[:, -1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[:, -1]) ** 2)
    return np.sin(np.pi * w[:, 0]) ** 2 + body + tail


def _schwefel(z: np.ndarray) -> np.ndarray:
    return 418.9828872724338 * z.shape[1] - np.sum(z * np.sin(np.sqrt(np.abs(z))), axis=1)


def _styblinski_tang(z: np.ndarray) -> np.ndarray:
    return np.sum(z**4 - 16 * z**2 + 5 * z, axis=1) / 2.0


def _michalewicz(z: np.ndarray) -> np.ndarray:
    i = np.arange(1, z.shape[1] + 1)
    return -np.sum(np.sin(z) * np.sin(i * z * z / np.pi) ** 20, axis=1)


@dataclass(frozen=True)
class _Classic:
    f: Callable[[np.ndarray], np.ndarray]
    box: tuple[float, float]
    argmin: float | None  # every coordinate of the minimizer; None: instances permute coordinates
    bounded: bool = False  # the function is only a test function inside its box (clip there)


_CLASSIC = {
    "sphere": _Classic(_sphere, (-5.0, 5.0), 0.0),
    "ellipsoid": _Classic(_ellipsoid, (-5.0, 5.0), 0.0),
    "rosenbrock": _Classic(_rosenbrock, (-5.0, 10.0), 1.0),
    "rastrigin": _Classic(_rastrigin, (-5.12, 5.12), 0.0),
    "ackley": _Classic(_ackley, (-32.768, 32.768), 0.0),
    "griewank": _Classic(_griewank, (-600.0, 600.0), 0.0),
    "levy": _Classic(_levy, (-10.0, 10.0), 1.0),
    "schwefel": _Classic(_schwefel, (-500.0, 500.0), 420.9687463, bounded=True),
    "styblinski-tang": _Classic(_styblinski_tang, (-5.0, 5.0), -2.903534027771177),
    "michalewicz": _Classic(_michalewicz, (0.0, math.pi), None, bounded=True),
}
_MICHALEWICZ_MINIMA = {2: -1.8013034100985537, 5: -4.687658, 10: -9.66015}


def _rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))  # Haar-distributed


def _float_space(d: int, low: float, high: float) -> Callable[[Any], dict[str, np.ndarray]]:
    names = [f"x{i}" for i in range(d)]

    def suggest(batch: Any) -> dict[str, np.ndarray]:
        return {name: batch.suggest_float(name, low, high) for name in names}

    return suggest


def _stack(params: dict[str, np.ndarray], d: int) -> np.ndarray:
    return np.array([params[f"x{i}"] for i in range(d)], dtype=float).T


def _classic(kind: str, d: int) -> Problem:
    spec = _CLASSIC[kind]
    if kind == "michalewicz" and d not in _MICHALEWICZ_MINIMA:
        raise ValueError(f"michalewicz has a known minimum in {sorted(_MICHALEWICZ_MINIMA)} dimensions, not {d}")
    if d < 2:
        raise ValueError(f"{kind} needs at least 2 dimensions, got {d}")
    low, high = spec.box

    def make(seed: int) -> Instance:
        rng = np.random.default_rng([seed, d])
        if spec.argmin is None:  # coordinates permuted per seed; the optimum value stays
            order = rng.permutation(d)
            return Instance(_float_space(d, low, high), lambda p: spec.f(_stack(p, d)[:, order]),
                            _MICHALEWICZ_MINIMA[d])
        rotation = _rotation(rng, d)
        width = high - low
        shift = low + width * rng.uniform(0.25, 0.75, d)  # the instance's minimizer
        target = np.full(d, spec.argmin)

        def evaluate(params: dict[str, np.ndarray]) -> np.ndarray:
            z = (_stack(params, d) - shift) @ rotation.T + target
            return spec.f(np.clip(z, low, high) if spec.bounded else z)

        return Instance(_float_space(d, low, high), evaluate, float(spec.f(target[None, :])[0]), minimizer=shift)

    return Problem(f"{kind}-{d}d", 1, make)


# ------------------------------------------------------------------ mixed and conditional spaces
_ACTIVATIONS = ["relu", "tanh", "gelu", "silu"]
_OPTIMIZERS = ["sgd", "adam", "adamw"]


def _costs(rng: np.random.Generator, choices: list[str], costs: list[float]) -> dict[str, float]:
    return dict(zip(choices, rng.permutation(costs).tolist()))


def _lookup(values: np.ndarray, costs: dict[str, float]) -> np.ndarray:
    return np.array([costs[v] for v in values], dtype=float)


def _mixed(seed: int) -> Instance:
    """Log floats, a stepped float, an int, a log int and two categoricals (minimum 0)."""
    rng = np.random.default_rng([seed, 101])
    lr, wd = rng.uniform(-4.5, -2.0), rng.uniform(-5.0, -3.0)
    dropout, layers = 0.05 * rng.integers(0, 11), int(rng.integers(1, 9))
    width = int(rng.integers(16, 1025))
    act, opt = _costs(rng, _ACTIVATIONS, [0.0, 0.1, 0.3, 0.8]), _costs(rng, _OPTIMIZERS, [0.0, 0.1, 0.6])

    def suggest(batch: Any) -> dict[str, np.ndarray]:
        return {
            "lr": batch.suggest_float("lr", 1e-5, 1e-1, log=True),
            "weight_decay": batch.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            "dropout": batch.suggest_float("dropout", 0.0, 0.5, step=0.05),
            "layers": batch.suggest_int("layers", 1, 8),
            "width": batch.suggest_int("width", 16, 1024, log=True),
            "activation": batch.suggest_categorical("activation", _ACTIVATIONS),
            "optimizer": batch.suggest_categorical("optimizer", _OPTIMIZERS),
        }

    def evaluate(p: dict[str, np.ndarray]) -> np.ndarray:
        loss = (np.log10(p["lr"].astype(float)) - lr) ** 2 + 0.3 * (np.log10(p["weight_decay"].astype(float)) - wd) ** 2
        loss += 4 * (p["dropout"].astype(float) - dropout) ** 2 + 0.2 * (p["layers"].astype(float) - layers) ** 2
        loss += 0.5 * (np.log2(p["width"].astype(float)) - math.log2(width)) ** 2
        return loss + _lookup(p["activation"], act) + _lookup(p["optimizer"], opt)

    return Instance(suggest, evaluate, 0.0)


_MODELS = ["svm", "forest", "knn"]


def _conditional(seed: int) -> Instance:
    """A model choice whose branches have their own parameters, one of them nested
    (``degree`` exists only for a polynomial SVM); minimum 0 in the best branch."""
    rng = np.random.default_rng([seed, 202])
    offset = _costs(rng, _MODELS, [0.0, 0.3, 0.6])
    c, gamma, degree = rng.uniform(-2, 2), rng.uniform(-3, 0), int(rng.integers(2, 6))
    kernel = _costs(rng, ["rbf", "poly"], [0.0, 0.2])
    trees, depth, k = rng.uniform(1.5, 2.5), int(rng.integers(2, 20)), int(rng.integers(1, 40))
    weights = _costs(rng, ["uniform", "distance"], [0.0, 0.15])

    def suggest(batch: Any) -> dict[str, np.ndarray]:
        model = batch.suggest_categorical("model", _MODELS)
        svm, forest, knn = (model == name for name in _MODELS)
        s, f, n = batch.subset(svm), batch.subset(forest), batch.subset(knn)
        kern = s.suggest_categorical("kernel", ["rbf", "poly"])
        poly = svm.copy()
        poly[svm] = kern == "poly"
        out = {"model": model, "C": _scatter(svm, s.suggest_float("C", 1e-3, 1e3, log=True)),
               "gamma": _scatter(svm, s.suggest_float("gamma", 1e-4, 10.0, log=True)),
               "kernel": _scatter(svm, kern)}
        out["degree"] = _scatter(poly, s.subset(kern == "poly").suggest_int("degree", 2, 5))
        out["n_estimators"] = _scatter(forest, f.suggest_int("n_estimators", 10, 1000, log=True))
        out["max_depth"] = _scatter(forest, f.suggest_int("max_depth", 1, 32))
        out["n_neighbors"] = _scatter(knn, n.suggest_int("n_neighbors", 1, 50))
        out["weights"] = _scatter(knn, n.suggest_categorical("weights", ["uniform", "distance"]))
        return out

    def evaluate(p: dict[str, np.ndarray]) -> np.ndarray:
        model = p["model"]
        loss = _lookup(model, offset)
        svm, forest, knn = (model == name for name in _MODELS)
        loss[svm] += 0.2 * (np.log10(p["C"][svm]) - c) ** 2 + 0.3 * (np.log10(p["gamma"][svm]) - gamma) ** 2
        loss[svm] += _lookup(p["kernel"][svm], kernel)
        poly = svm & (p["kernel"] == "poly")
        loss[poly] += 0.05 * (p["degree"][poly] - degree) ** 2
        loss[forest] += 0.5 * (np.log10(p["n_estimators"][forest]) - trees) ** 2
        loss[forest] += 0.002 * (p["max_depth"][forest] - depth) ** 2
        loss[knn] += 0.0005 * (p["n_neighbors"][knn] - k) ** 2 + _lookup(p["weights"][knn], weights)
        return loss

    return Instance(suggest, evaluate, 0.0)


# ------------------------------------------------------------------ several objectives
def _zdt(x: np.ndarray, shape: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    f1 = x[:, 0]
    g = 1.0 + 9.0 * np.mean(x[:, 1:], axis=1)
    return np.column_stack([f1, g * shape(f1 / g)])


def dtlz2(x: np.ndarray, n_objectives: int = 3) -> np.ndarray:
    """DTLZ2 (Deb et al. 2002) with ``n_objectives`` objectives, on points in ``[0, 1]^d``.

    The Pareto front is the unit sphere's positive orthant, reached where every
    coordinate from the ``n_objectives``-th on is 0.5.

    Parameters
    ----------
    x : ndarray of shape (..., d), d >= n_objectives
    n_objectives : int

    Returns
    -------
    ndarray of shape (..., n_objectives)

    Examples
    --------
    >>> f = dtlz2(np.array([0.3, 0.8, 0.5, 0.5]))
    >>> round(float(np.linalg.norm(f)), 12)
    1.0
    """
    m = n_objectives
    g = ((x[..., m - 1:] - 0.5) ** 2).sum(axis=-1)
    angles = x[..., : m - 1] * np.pi / 2
    on_sphere = []
    for i in range(m):
        f = np.prod(np.cos(angles[..., : m - 1 - i]), axis=-1)
        if i > 0:
            f = f * np.sin(angles[..., m - 1 - i])
        on_sphere.append(f)
    return (1.0 + g)[..., None] * np.stack(on_sphere, axis=-1)


# hypervolume of the true front against the reference 1.1 in every objective:
# ZDT1 0.1 + 2/3 + 0.11, ZDT2 0.1 + 1/3 + 0.11, DTLZ2 1.1^3 - (unit ball octant) pi/6
_MULTI = {
    "zdt1": (lambda x: _zdt(x, lambda r: 1.0 - np.sqrt(r)), 2, 0.1 + 2 / 3 + 0.11),
    "zdt2": (lambda x: _zdt(x, lambda r: 1.0 - r * r), 2, 0.1 + 1 / 3 + 0.11),
    "dtlz2": (dtlz2, 3, 1.1**3 - math.pi / 6),
}


def _multi(kind: str, d: int) -> Problem:
    f, n_objectives, optimum = _MULTI[kind]
    if d < n_objectives:
        raise ValueError(f"{kind} needs at least {n_objectives} dimensions, got {d}")
    reference = np.full(n_objectives, 1.1)
    instance = Instance(_float_space(d, 0.0, 1.0), lambda p: f(_stack(p, d)), optimum, reference)
    return Problem(f"{kind}-{d}d", n_objectives, lambda seed: instance)  # fixed functions: the seed moves the sampler


# ------------------------------------------------------------------ names
_FIXED = {"mixed": _mixed, "conditional": _conditional}


def problem_names() -> list[str]:
    """The problem families: ``<function>-<d>d`` for each function, the fixed spaces and the
    model tuning problems (:mod:`fasthpo.benchmarks.model_tuning`)."""
    return [f"{kind}-<d>d" for kind in [*_CLASSIC, *_MULTI]] + sorted(_FIXED) + list(model_tuning_problems())


def _model_tuning(name: str) -> Problem:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ValueError(f"problem {name!r} needs scikit-learn: pip install 'fasthpo[sklearn]'") from None
    return Problem(name, 1, model_tuning_problems()[name].instance)


def get_problem(name: str) -> Problem:
    """The problem called ``name`` (see :func:`problem_names`).

    Examples
    --------
    >>> get_problem("ackley-10d").name
    'ackley-10d'
    >>> get_problem("sphere")
    Traceback (most recent call last):
    ...
    ValueError: unknown problem 'sphere'; known: sphere-<d>d, ellipsoid-<d>d, rosenbrock-<d>d, rastrigin-<d>d, ackley-<d>d, griewank-<d>d, levy-<d>d, schwefel-<d>d, styblinski-tang-<d>d, michalewicz-<d>d, zdt1-<d>d, zdt2-<d>d, dtlz2-<d>d, conditional, mixed, svm-breast_cancer, mlp-wine, gbm-wine
    """
    if name in _FIXED:
        return Problem(name, 1, _FIXED[name])
    if name in model_tuning_problems():
        return _model_tuning(name)
    match = re.fullmatch(r"([a-z0-9-]+?)-(\d+)d", name)
    if match and match.group(1) in _CLASSIC:
        return _classic(match.group(1), int(match.group(2)))
    if match and match.group(1) in _MULTI:
        return _multi(match.group(1), int(match.group(2)))
    raise ValueError(f"unknown problem {name!r}; known: {', '.join(problem_names())}")
