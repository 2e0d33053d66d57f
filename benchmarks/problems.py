"""Standard test functions for the quality and speed comparisons, written once for every
library's trial object (anything with suggest_float / suggest_int / suggest_categorical)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Problem:
    name: str
    dims: int
    objective: Callable[[Any], float]


def _floats(trial, d: int, low: float, high: float) -> list[float]:
    return [trial.suggest_float(f"x{i}", low, high) for i in range(d)]


def sphere(d: int) -> Problem:
    return Problem(f"sphere-{d}d", d, lambda t: sum(x * x for x in _floats(t, d, -5, 5)))


def rosenbrock(d: int) -> Problem:
    def f(t):
        x = _floats(t, d, -2.048, 2.048)
        return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(d - 1))

    return Problem(f"rosenbrock-{d}d", d, f)


def rastrigin(d: int) -> Problem:
    def f(t):
        return 10 * d + sum(x * x - 10 * math.cos(2 * math.pi * x) for x in _floats(t, d, -5.12, 5.12))

    return Problem(f"rastrigin-{d}d", d, f)


def ackley(d: int) -> Problem:
    def f(t):
        x = _floats(t, d, -32.768, 32.768)
        a = -20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / d))
        return a - math.exp(sum(math.cos(2 * math.pi * v) for v in x) / d) + 20 + math.e

    return Problem(f"ackley-{d}d", d, f)


def styblinski_tang(d: int) -> Problem:
    def f(t):
        return sum(v**4 - 16 * v**2 + 5 * v for v in _floats(t, d, -5, 5)) / 2 + 39.16616570377142 * d

    return Problem(f"styblinski-tang-{d}d", d, f)


def levy(d: int) -> Problem:
    def f(t):
        w = [1 + (v - 1) / 4 for v in _floats(t, d, -10, 10)]
        head = math.sin(math.pi * w[0]) ** 2
        tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
        body = sum((wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2) for wi in w[:-1])
        return head + body + tail

    return Problem(f"levy-{d}d", d, f)


def griewank(d: int) -> Problem:
    def f(t):
        x = _floats(t, d, -600, 600)
        prod = 1.0
        for i, v in enumerate(x):
            prod *= math.cos(v / math.sqrt(i + 1))
        return 1 + sum(v * v for v in x) / 4000 - prod

    return Problem(f"griewank-{d}d", d, f)


def branin() -> Problem:
    def f(t):
        x = t.suggest_float("x0", -5, 10)
        y = t.suggest_float("x1", 0, 15)
        return (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10 - 0.397887

    return Problem("branin-2d", 2, f)


def mixed() -> Problem:
    """A model-tuning-like space: log floats, ints, a log int and categoricals."""

    def f(t):
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        wd = t.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        dropout = t.suggest_float("dropout", 0.0, 0.5, step=0.05)
        layers = t.suggest_int("layers", 1, 8)
        width = t.suggest_int("width", 16, 1024, log=True)
        act = t.suggest_categorical("activation", ["relu", "tanh", "gelu", "silu"])
        opt = t.suggest_categorical("optimizer", ["sgd", "adam", "adamw"])
        loss = (math.log10(lr) + 3.2) ** 2 + 0.3 * (math.log10(wd) + 4) ** 2 + 4 * (dropout - 0.15) ** 2
        loss += 0.2 * (layers - 3) ** 2 + 0.5 * (math.log2(width) - 7.5) ** 2
        loss += {"relu": 0.3, "tanh": 0.8, "gelu": 0.0, "silu": 0.1}[act] + {"sgd": 0.6, "adam": 0.1, "adamw": 0.0}[opt]
        return loss

    return Problem("mixed-7d", 7, f)


ROTATED_BOX = (-5.12, 5.12)


def rotated_function(kind: str, d: int) -> Callable[[np.ndarray], float]:
    """A rotated, shifted test function on arrays, minimum 0 at a known point x*.

    z = Q (x - x*) with Q a fixed random rotation and x* a fixed point of [-2, 2]^d
    (both from seed ``d``, so every library and run sees the same function):

    * ``ellipsoid``   sum_i 10^(6 i / (d - 1)) z_i^2 (condition number 1e6);
    * ``rosenbrock``  Rosenbrock at z + 1 (its minimum sits at z = 0);
    * ``rastrigin``   10 d + sum_i z_i^2 - 10 cos(2 pi z_i).
    """
    rng = np.random.default_rng(d)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    rotation = q * np.sign(np.diag(r))  # Haar-distributed
    optimum = rng.uniform(-2.0, 2.0, d)
    scales = 10.0 ** (6.0 * np.arange(d) / max(d - 1, 1))

    def f(x: np.ndarray) -> float:
        z = rotation @ (np.asarray(x) - optimum)
        if kind == "ellipsoid":
            return float(np.sum(scales * z * z))
        if kind == "rosenbrock":
            y = z + 1.0
            return float(np.sum(100.0 * (y[1:] - y[:-1] ** 2) ** 2 + (1.0 - y[:-1]) ** 2))
        if kind == "rastrigin":
            return float(10 * d + np.sum(z * z - 10 * np.cos(2 * np.pi * z)))
        raise ValueError(f"unknown rotated function {kind!r}")

    f.optimum = optimum
    return f


def rotated(kind: str, d: int) -> Problem:
    """:func:`rotated_function` on ``x0 .. x{d-1}`` in [-5.12, 5.12]."""
    f = rotated_function(kind, d)
    return Problem(f"rotated-{kind}-{d}d", d, lambda t: f(np.array(_floats(t, d, *ROTATED_BOX))))


QUALITY_SUITE = [branin(), sphere(5), rosenbrock(4), rastrigin(5), ackley(10), styblinski_tang(10), levy(10),
                 griewank(20), sphere(30), mixed()]
