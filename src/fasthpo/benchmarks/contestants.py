"""Contestants: samplers of fasthpo, Optuna and rustuna, or a user's, behind one interface.

A contestant is named ``<library>-<sampler>`` (``fasthpo-tpe``, ``optuna-cmaes``,
``rustuna-random`` ...); ``fasthpo-<sampler>@<k>`` asks fasthpo's batch API for ``k``
trials at a time. A user's sampler is named ``module:attribute`` or
``path/to/file.py:attribute``, where the attribute is a sampler class (called as
``cls(seed=seed)``) or a callable ``seed -> sampler``; the sampler may be a fasthpo,
Optuna or rustuna sampler. :func:`get_contestant` resolves a name; :meth:`Contestant.run`
runs one study on a problem instance.

Examples
--------
>>> from fasthpo.benchmarks.problems import get_problem
>>> result = get_contestant("fasthpo-random").run(get_problem("sphere-2d").instance(0), budget=20, seed=0)
>>> result.values.shape
(20,)
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fasthpo.benchmarks.problems import Instance, as_batch

__all__ = ["Contestant", "RunResult", "contestant_names", "get_contestant"]


@dataclass
class RunResult:
    """One study: the values in trial order (``(budget,)`` or ``(budget, k)``), the
    seconds of the whole study and the seconds spent in the library (ask, suggestions
    and tell, i.e. everything but evaluating the problem)."""

    values: np.ndarray
    wall_time: float
    ask_time: float


@dataclass(frozen=True)
class Contestant:
    """A named sampler: ``make(seed)`` builds it; ``batch_size`` trials are asked at a time
    through fasthpo's batch API (fasthpo samplers only); ``multi_objective`` says whether
    it handles several objectives."""

    name: str
    make: Any = field(compare=False)  # seed -> sampler; picklable for worker processes
    multi_objective: bool = True
    batch_size: int = 1

    def run(self, instance: Instance, budget: int, seed: int, n_objectives: int = 1) -> RunResult:
        """Optimize ``instance`` for ``budget`` trials with this sampler seeded by ``seed``.

        fasthpo runs on one thread, as Optuna and rustuna do (and as the runs of a suite
        share the cores).
        """
        import fasthpo

        sampler = self.make(seed)
        loop = _LOOPS[_library(sampler)]
        threads = fasthpo.get_num_threads()
        fasthpo.set_num_threads(1)
        try:
            start = time.perf_counter()
            values, evaluating = loop(sampler, ["minimize"] * n_objectives, instance, budget, self.batch_size)
            wall = time.perf_counter() - start
        finally:
            fasthpo.set_num_threads(threads)
        return RunResult(values, wall, wall - evaluating)


def _library(sampler: Any) -> str:
    import fasthpo

    if isinstance(sampler, fasthpo.samplers.BaseSampler):
        return "fasthpo"
    root = type(sampler).__module__.split(".")[0]
    if root in ("optuna", "rustuna"):
        return root
    try:  # a user's sampler written against Optuna's interface
        import optuna

        if isinstance(sampler, optuna.samplers.BaseSampler):
            return "optuna"
    except ImportError:
        pass
    raise TypeError(f"{type(sampler).__name__} is not a fasthpo, Optuna or rustuna sampler")


def _evaluated(instance: Instance, batch: Any) -> tuple[np.ndarray, float]:
    params = instance.suggest(batch)
    start = time.perf_counter()
    values = instance.evaluate(params)
    return values, time.perf_counter() - start


def _fasthpo_loop(sampler, directions, instance, budget, batch_size):
    """ask / tell one by one, or ``batch_size`` trials at a time through the batch API."""
    import fasthpo

    if batch_size == 1:  # the scalar path costs less per trial than batches of one
        return _scalar_loop(fasthpo.create_study, lambda s, t, v: s.tell(t, v))(
            sampler, directions, instance, budget, batch_size)
    study = fasthpo.create_study(sampler=sampler, directions=directions)
    out, evaluating = [], 0.0
    while len(out) < budget:
        batch = study.ask_batch(min(batch_size, budget - len(out)))
        values, seconds = _evaluated(instance, batch)
        study.tell_batch(batch, values)
        out.extend(values)
        evaluating += seconds
    return np.array(out), evaluating


def _scalar_loop(create_study, tell):
    def loop(sampler, directions, instance, budget, batch_size):
        study = create_study(sampler=sampler, directions=directions)
        out, evaluating = [], 0.0
        for _ in range(budget):
            trial = study.ask()
            values, seconds = _evaluated(instance, as_batch(trial))
            value = values[0].tolist()
            tell(study, trial, value)
            out.append(values[0])
            evaluating += seconds
        return np.array(out), evaluating

    return loop


def _optuna_loop(*args):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return _scalar_loop(optuna.create_study, lambda s, t, v: s.tell(t, v))(*args)


def _rustuna_loop(*args):
    import rustuna

    return _scalar_loop(rustuna.create_study, lambda s, t, v: s.tell(t.number, v))(*args)


_LOOPS = {"fasthpo": _fasthpo_loop, "optuna": _optuna_loop, "rustuna": _rustuna_loop}


# ------------------------------------------------------------------ the named contestants
def _make(module: str, cls: str, kwargs: dict[str, Any], seed: int) -> Any:
    return getattr(importlib.import_module(module), cls)(seed=seed, **kwargs)


_BUILTIN: dict[str, tuple[str, str, dict[str, Any], bool]] = {
    # name: (module, class, extra arguments, handles several objectives)
    "fasthpo-random": ("fasthpo.samplers", "RandomSampler", {}, True),
    "fasthpo-qmc": ("fasthpo.samplers", "QMCSampler", {"scramble": True}, True),
    "fasthpo-tpe": ("fasthpo.samplers", "TPESampler", {}, True),
    "fasthpo-gp": ("fasthpo.samplers", "GPSampler", {}, False),
    "fasthpo-cmaes": ("fasthpo.samplers", "CmaEsSampler", {}, False),
    "fasthpo-nsga2": ("fasthpo.samplers", "NSGAIISampler", {}, True),
    "optuna-random": ("optuna.samplers", "RandomSampler", {}, True),
    "optuna-qmc": ("optuna.samplers", "QMCSampler", {"scramble": True}, True),
    "optuna-tpe": ("optuna.samplers", "TPESampler", {}, True),
    "optuna-gp": ("optuna.samplers", "GPSampler", {}, False),
    "optuna-cmaes": ("optuna.samplers", "CmaEsSampler", {}, False),
    "optuna-nsga2": ("optuna.samplers", "NSGAIISampler", {}, True),
    "rustuna-random": ("rustuna.samplers", "RandomSampler", {}, True),
    "rustuna-tpe": ("rustuna.samplers", "TPESampler", {}, True),
    "rustuna-cmaes": ("rustuna.samplers", "CmaEsSampler", {}, False),
    "rustuna-nsga2": ("rustuna.samplers", "NSGAIISampler", {}, True),
}


_NEEDS = {"optuna-gp": ("torch",)}  # modules a sampler imports only when it first samples


def contestant_names() -> list[str]:
    """The built-in contestant names."""
    return list(_BUILTIN)


def _user_make(spec: str, seed: int) -> Any:
    target = _user_attribute(spec)
    return target(seed=seed) if isinstance(target, type) else target(seed)


def _user_attribute(spec: str) -> Any:
    where, _, attribute = spec.rpartition(":")
    if where.endswith(".py"):
        module_spec = importlib.util.spec_from_file_location(f"_fasthpo_bench_user_{abs(hash(where))}", where)
        if module_spec is None:
            raise ValueError(f"cannot load sampler file {where!r}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    if not callable(getattr(module, attribute, None)):
        raise ValueError(f"{spec!r}: {where} has no sampler class or callable {attribute!r}")
    return getattr(module, attribute)


def get_contestant(name: str) -> Contestant:
    """The contestant called ``name``; its library must be importable (checked here, before
    any run starts).

    Examples
    --------
    >>> get_contestant("fasthpo-tpe@8").batch_size
    8
    >>> get_contestant("fasthpo-sobol")
    Traceback (most recent call last):
    ...
    ValueError: unknown sampler 'fasthpo-sobol'; known: fasthpo-random, fasthpo-qmc, fasthpo-tpe, fasthpo-gp, fasthpo-cmaes, fasthpo-nsga2, optuna-random, optuna-qmc, optuna-tpe, optuna-gp, optuna-cmaes, optuna-nsga2, rustuna-random, rustuna-tpe, rustuna-cmaes, rustuna-nsga2, or module:attribute for your own
    """
    if ":" in name:
        try:
            target = _user_attribute(name)
        except (ImportError, OSError) as exc:
            raise ValueError(f"cannot import the sampler {name!r}: {exc}") from exc
        _library(target(seed=0) if isinstance(target, type) else target(0))
        return Contestant(name, functools.partial(_user_make, name))
    match = re.fullmatch(r"(.+?)(?:@(\d+))?", name)
    base, batch = match.group(1), int(match.group(2) or 1)
    if base not in _BUILTIN:
        raise ValueError(f"unknown sampler {name!r}; known: {', '.join(_BUILTIN)}, or module:attribute for your own")
    if batch < 1 or (batch > 1 and not base.startswith("fasthpo-")):
        raise ValueError(f"{name!r}: a batch size @k (k >= 1) is for fasthpo's samplers only")
    module, cls, kwargs, multi = _BUILTIN[base]
    try:
        getattr(importlib.import_module(module), cls)
        for needed in _NEEDS.get(base, ()):
            importlib.import_module(needed)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"sampler {name!r} is not available here: {exc}") from exc
    return Contestant(name, functools.partial(_make, module, cls, kwargs), multi, batch)
