"""Quality of a batched TPE study against a sequential one: same problems, seeds, budget.

For each problem of :data:`problems.QUALITY_SUITE` and each seed, fasthpo's TPESampler
(default settings, ``seed=s``) runs ``--budget`` trials once one trial at a time and once
in batches of ``--batch`` (``study.optimize(..., batch_size=8)``; the earlier members of
a batch are running trials to the sampler). The best values are paired by seed and
compared with a one-sided Wilcoxon signed-rank test of "batched is worse" (small p:
batched worse; large p: no evidence of that)::

    python benchmarks/compare_batch_quality.py --seeds 10 --budget 1000 --jobs 2

The problems are written for scalar trials; a batch evaluates them member by member
through :class:`Member`, which hands each member its own entry of the batch's arrays.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from harness import markdown_table, one_sided_p
from problems import QUALITY_SUITE


class Member:
    """Member ``i`` of a batch, seen as a scalar trial (suggestions are the batch's arrays)."""

    def __init__(self, batch, i: int) -> None:
        self.batch, self.i = batch, i

    def suggest_float(self, name, low, high, **kwargs):
        return float(self.batch.suggest_float(name, low, high, **kwargs)[self.i])

    def suggest_int(self, name, low, high, **kwargs):
        return int(self.batch.suggest_int(name, low, high, **kwargs)[self.i])

    def suggest_categorical(self, name, choices):
        return self.batch.suggest_categorical(name, choices)[self.i]


def best_value(problem_index: int, seed: int, batch: int, budget: int) -> tuple[float, float]:
    """The best value of one study (``batch`` 1: sequential) and its wall time."""
    import fasthpo

    fasthpo.set_num_threads(1)  # the --jobs processes share the cores
    objective = QUALITY_SUITE[problem_index].objective
    study = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=seed))
    start = time.perf_counter()
    if batch == 1:
        study.optimize(objective, n_trials=budget)
    else:
        study.optimize(lambda b: np.array([objective(Member(b, i)) for i in range(len(b))]),
                       n_trials=budget, batch_size=batch)
    return study.best_value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", nargs="+", choices=[p.name for p in QUALITY_SUITE],
                        default=[p.name for p in QUALITY_SUITE])
    args = parser.parse_args()
    selected = [p for p, problem in enumerate(QUALITY_SUITE) if problem.name in args.problems]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(p, s, b) for p in selected for s in seeds for b in (1, args.batch)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = dict(zip(jobs, pool.map(best_value, *zip(*jobs), [args.budget] * len(jobs))))
    rows = []
    for p in selected:
        sequential = [results[(p, s, 1)][0] for s in seeds]
        batched = [results[(p, s, args.batch)][0] for s in seeds]
        seconds = [statistics.median(results[(p, s, b)][1] for s in seeds) for b in (1, args.batch)]
        rows.append([QUALITY_SUITE[p].name, f"{statistics.median(sequential):.4g}",
                     f"{statistics.median(batched):.4g}", f"{one_sided_p(batched, sequential):.2f}",
                     f"{seconds[0]:.1f}", f"{seconds[1]:.1f}"])
    print(f"seeds {seeds.start}-{seeds.stop - 1}, budget {args.budget}, TPESampler defaults, batch {args.batch}\n")
    print(markdown_table(["problem", "sequential median best", f"batch {args.batch} median best",
                          "p(batched worse)", "sequential s", "batched s"], rows))


if __name__ == "__main__":
    main()
