"""The runner: every sampler × problem × seed × budget, in worker processes, resumable.

Results go to a JSON-lines file: a header line with the suite definition, then one line
per finished run, appended as runs finish. A rerun with the same definition skips the
runs already in the file (a line torn by a killed process is dropped); a file written
for another definition is refused before anything runs.

Examples
--------
>>> import os, tempfile
>>> suite = Suite(problems=("sphere-2d",), samplers=("fasthpo-random",), seeds=(0, 1), budgets=(10,))
>>> path = os.path.join(tempfile.mkdtemp(), "results.jsonl")
>>> records = run_suite(suite, path, progress=False)
>>> [(r["sampler"], r["seed"], len(r["regret"])) for r in records]
[('fasthpo-random', 0, 10), ('fasthpo-random', 1, 10)]
>>> run_suite(suite, path, progress=False) == records  # nothing left to run
True
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any, TextIO

import numpy as np

from fasthpo.benchmarks.contestants import Contestant, get_contestant
from fasthpo.benchmarks.problems import Problem, get_problem

__all__ = ["SUITES", "Suite", "load_results", "recorded_runs", "run_suite", "score"]

FORMAT = "fasthpo-bench/1"


@dataclass(frozen=True)
class Suite:
    """What to run: every applicable (problem, sampler, seed, budget) of this product and of
    the products in ``also`` (e.g. slow samplers at a smaller budget, or several-objective
    problems with their own samplers and budget)."""

    problems: tuple[str, ...]
    samplers: tuple[str, ...]
    seeds: tuple[int, ...]
    budgets: tuple[int, ...]
    also: tuple[Suite, ...] = ()

    def definition(self) -> dict[str, Any]:
        out = {key: list(getattr(self, key)) for key in ("problems", "samplers", "seeds", "budgets")}
        if self.also:
            out["also"] = [part.definition() for part in self.also]
        return out

    def parts(self) -> tuple[Suite, ...]:
        """This product (without ``also``) followed by each product of ``also``."""
        return (replace(self, also=()), *(p for part in self.also for p in part.parts()))

    def check(self) -> tuple[dict[str, Problem], dict[str, Contestant]]:
        """The problems and contestants by name; ``ValueError`` naming the first bad input."""
        problems, contestants = {}, {}
        for part in self.parts():
            for field in ("problems", "samplers", "seeds", "budgets"):
                if not getattr(part, field):
                    raise ValueError(f"the suite has no {field}")
            for budget in part.budgets:
                if not isinstance(budget, (int, np.integer)) or budget <= 0:
                    raise ValueError(f"a budget must be a positive number of trials, got {budget!r}")
            problems.update({name: get_problem(name) for name in part.problems if name not in problems})
            contestants.update({name: get_contestant(name) for name in part.samplers if name not in contestants})
        return problems, contestants


SUITES = {
    "quick": Suite(
        problems=("sphere-5d", "rosenbrock-4d", "rastrigin-5d", "ackley-5d", "mixed", "conditional", "zdt1-6d"),
        samplers=("fasthpo-random", "fasthpo-tpe", "fasthpo-cmaes", "optuna-tpe", "optuna-cmaes"),
        seeds=tuple(range(5)), budgets=(100,)),
    "standard": Suite(
        problems=("sphere-10d", "ellipsoid-10d", "rosenbrock-5d", "rastrigin-10d", "ackley-10d", "griewank-10d",
                  "levy-5d", "schwefel-5d", "styblinski-tang-10d", "michalewicz-5d", "mixed", "conditional",
                  "svm-breast_cancer", "mlp-wine", "gbm-wine"),
        samplers=("fasthpo-random", "fasthpo-tpe", "fasthpo-gp", "fasthpo-cmaes", "optuna-random", "optuna-tpe",
                  "optuna-gp", "optuna-cmaes", "rustuna-tpe", "rustuna-cmaes"),
        seeds=tuple(range(10)), budgets=(100,),
        also=(Suite(problems=("zdt1-5d", "zdt2-5d", "dtlz2-5d"),
                    samplers=("fasthpo-random", "fasthpo-tpe", "fasthpo-nsga2", "optuna-tpe", "optuna-nsga2",
                              "rustuna-tpe", "rustuna-nsga2"),
                    seeds=tuple(range(10)), budgets=(200,)),)),
}
"""``quick``: a few minutes on two cores. ``standard``: about an hour on two cores; one
objective at 100 trials (small enough for the GP samplers, whose asks cost the most),
several objectives at 200 trials (NSGA-II's population is 50)."""


def _key(problem: str, sampler: str, seed: int, budget: int) -> tuple[str, str, int, int]:
    return problem, sampler, int(seed), int(budget)


def _plan(suite: Suite, problems: dict[str, Problem], contestants: dict[str, Contestant]) -> list[tuple]:
    keys = [_key(p, s, seed, budget) for part in suite.parts() for p in part.problems for s in part.samplers
            for seed in part.seeds for budget in part.budgets
            if problems[p].n_objectives == 1 or contestants[s].multi_objective]
    return list(dict.fromkeys(keys))


def _run_order(todo: list[tuple], suite: Suite) -> list[tuple]:
    """Seed by seed (in the order of the suite's seeds), so that an interrupted suite has
    every problem and sampler on its first seeds rather than some problems on all seeds."""
    seeds = {seed: i for i, seed in enumerate(dict.fromkeys(s for part in suite.parts() for s in part.seeds))}
    return sorted(todo, key=lambda key: seeds[key[2]])


# ------------------------------------------------------------------ one run
def score(values: np.ndarray, optimum: float, reference: np.ndarray | None) -> np.ndarray:
    """Regret after each trial: best value so far minus the optimum (one objective), or the
    true front's hypervolume minus that of the trials so far (several objectives)."""
    if reference is None:
        return np.minimum.accumulate(values) - optimum
    from fasthpo._kernels.hypervolume import hypervolume

    inside = np.all(values < reference, axis=1)
    out = np.empty(len(values))
    volume, front = 0.0, np.empty((0, values.shape[1]))
    for i, point in enumerate(values):
        if inside[i] and not np.any(np.all(front <= point, axis=1)):
            front = np.vstack([front[~np.all(point <= front, axis=1)], point])
            volume = hypervolume(front, reference)
        out[i] = optimum - volume
    return out


def _run(key: tuple, contestant: Contestant) -> dict[str, Any]:
    problem_name, _, seed, budget = key
    problem = get_problem(problem_name)
    instance = problem.instance(seed)
    result = contestant.run(instance, budget, seed, problem.n_objectives)
    values = np.ascontiguousarray(result.values, dtype=float)
    return {
        "problem": problem_name, "sampler": contestant.name, "seed": seed, "budget": budget,
        "regret": score(values, instance.optimum, instance.reference).tolist(),
        "digest": hashlib.sha256(values.tobytes()).hexdigest()[:16],
        "wall_time": result.wall_time, "ask_time": result.ask_time,
    }


def _init_worker() -> None:
    """One BLAS thread per worker process: the workers share the cores."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


# ------------------------------------------------------------------ the results file
def load_results(path: str, suite: Suite | None = None) -> list[dict[str, Any]]:
    """The runs recorded in ``path`` (a torn last line, of a killed run or of a run still
    writing it, is left out). With ``suite``, a file written for another suite definition
    raises ``ValueError``."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data[: data.rfind(b"\n") + 1].decode().splitlines()
    header = json.loads(lines[0]) if lines else {}
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a fasthpo bench results file")
    if suite is not None and header["suite"] != suite.definition():
        raise ValueError(f"{path} holds results of another suite definition {header['suite']}; "
                         f"this one is {suite.definition()}: use another file or the same definition")
    return [json.loads(line) for line in lines[1:]]


def _open_results(path: str, suite: Suite) -> tuple[list[dict[str, Any]], TextIO]:
    if os.path.exists(path) and os.path.getsize(path) > 0:
        records = load_results(path, suite)
        with open(path, "r+b") as f:
            f.truncate(f.read().rfind(b"\n") + 1)  # drop a line torn by a killed run
        return records, open(path, "a")
    f = open(path, "w")
    f.write(json.dumps({"format": FORMAT, "suite": suite.definition()}) + "\n")
    f.flush()
    return [], f


class _Progress:
    """``bench |######------| 12/30 runs [00:04<00:06] fasthpo-tpe on sphere-5d seed 3``"""

    def __init__(self, total: int, stream: TextIO | None, width: int = 24) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.count, self.start = 0, time.monotonic()

    def update(self, record: dict[str, Any]) -> None:
        self.count += 1
        if self.stream is None:
            return
        elapsed = time.monotonic() - self.start
        left = elapsed * (self.total - self.count) / self.count
        filled = self.width * self.count // self.total
        self.stream.write(f"\rbench |{'#' * filled}{'-' * (self.width - filled)}| {self.count}/{self.total} runs "
                          f"[{elapsed:.0f}s<{left:.0f}s] {record['sampler']} on {record['problem']} seed {record['seed']}   ")
        if self.count == self.total:
            self.stream.write("\n")
        self.stream.flush()


def run_suite(suite: Suite, path: str, workers: int = 1, progress: bool = True) -> list[dict[str, Any]]:
    """Run what of ``suite`` is not yet in the results file ``path`` and return all its
    records (in plan order). Inputs are checked before any run starts.

    ``workers > 1`` runs in that many processes with one thread each; each record is
    appended to ``path`` as soon as its run finishes, so an interrupted suite resumes
    where it stopped. A sampler that does not handle several objectives is not run on
    multi-objective problems.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    problems, contestants = suite.check()
    plan = _plan(suite, problems, contestants)
    records, out = _open_results(path, suite)
    try:
        done = {_key(r["problem"], r["sampler"], r["seed"], r["budget"]) for r in records}
        todo = _run_order([key for key in plan if key not in done], suite)
        bar = _Progress(len(todo), sys.stderr if progress and todo else None)
        for record in _execute(todo, contestants, workers):
            out.write(json.dumps(record) + "\n")
            out.flush()
            records.append(record)
            bar.update(record)
    finally:
        out.close()
    return _in_plan_order(records, plan)


def recorded_runs(suite: Suite, path: str) -> list[dict[str, Any]]:
    """The runs of ``suite`` already in the results file ``path`` (in plan order), without
    running the others: the report of an unfinished suite."""
    problems, contestants = suite.check()
    return _in_plan_order(load_results(path, suite), _plan(suite, problems, contestants))


def _in_plan_order(records: list[dict[str, Any]], plan: list[tuple]) -> list[dict[str, Any]]:
    order = {key: i for i, key in enumerate(plan)}
    return sorted((r for r in records if _key(r["problem"], r["sampler"], r["seed"], r["budget"]) in order),
                  key=lambda r: order[_key(r["problem"], r["sampler"], r["seed"], r["budget"])])


def _execute(todo: list[tuple], contestants: dict[str, Contestant], workers: int) -> Iterable[dict[str, Any]]:
    if workers == 1 or len(todo) <= 1:
        for key in todo:
            yield _run(key, contestants[key[1]])
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker) as pool:
        futures = [pool.submit(_run, key, contestants[key[1]]) for key in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()
