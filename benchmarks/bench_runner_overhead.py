"""The bench runner's own overhead per ask: RandomSampler on a trivial problem.

The same studies (fasthpo's RandomSampler, sphere-2d, ``--budget`` trials, ``--seeds``
seeds) are run twice, in one process:

* bare: a plain ask / suggest / tell loop with the objective inlined (what a user's
  script would do, nothing recorded);
* runner: ``fasthpo.benchmarks.run_suite`` (instance setup, the problem's array
  evaluation, regret scoring, JSON lines, progress bookkeeping).

Printed: the runner's own work outside the studies as a share of the whole run, and the
whole difference to the bare loop (which includes evaluating the problem on arrays of
one configuration, and the scalar trial's array wrapper). Medians of ``--repeat``
alternating repetitions.

    python benchmarks/bench_runner_overhead.py --budget 1000 --seeds 10 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import fasthpo
from fasthpo.benchmarks import Suite, get_problem, run_suite


def bare(budget: int, seeds: int) -> float:
    start = time.perf_counter()
    for seed in range(seeds):
        shift = get_problem("sphere-2d").instance(seed).minimizer
        study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=seed))
        for _ in range(budget):
            trial = study.ask()
            x, y = trial.suggest_float("x0", -5, 5), trial.suggest_float("x1", -5, 5)
            study.tell(trial, (x - shift[0]) ** 2 + (y - shift[1]) ** 2)
    return time.perf_counter() - start


def runner(budget: int, seeds: int) -> tuple[float, float, float]:
    suite = Suite(("sphere-2d",), ("fasthpo-random",), tuple(range(seeds)), (budget,))
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        records = run_suite(suite, os.path.join(directory, "results.jsonl"), progress=False)
        total = time.perf_counter() - start
    return total, sum(r["wall_time"] for r in records), sum(r["ask_time"] for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    fasthpo.set_num_threads(1)
    bares, runs, studies, asking = [], [], [], []
    for _ in range(args.repeat):
        bares.append(bare(args.budget, args.seeds))
        total, in_studies, in_library = runner(args.budget, args.seeds)
        runs.append(total)
        studies.append(in_studies)
        asking.append(in_library)
    b, r, s, a = (statistics.median(x) for x in (bares, runs, studies, asking))
    asks = args.budget * args.seeds
    print(f"{asks} asks per repetition (RandomSampler, sphere-2d, {args.seeds} seeds x {args.budget} trials), "
          f"medians of {args.repeat}")
    print(f"bare ask/suggest/tell loop: {b:.3f} s ({b / asks * 1e6:.1f} us/ask)")
    print(f"run_suite:                  {r:.3f} s ({r / asks * 1e6:.1f} us/ask): in the library (ask, suggest, "
          f"tell) {a:.3f} s, evaluating the problem on arrays {s - a:.3f} s, the runner's own work outside the "
          f"studies {r - s:.3f} s = {(r - s) / r:.1%} of the whole run")
    print(f"run_suite against the bare loop: +{(r - b) / asks * 1e6:.1f} us/ask = {(r - b) / r:.1%} of the whole run")


if __name__ == "__main__":
    main()
