"""Optimization quality: fasthpo's TPESampler against Optuna's, same problems, seeds, budgets.

For each problem of :data:`problems.QUALITY_SUITE` and each seed, both samplers (default
settings, ``seed=s``) run ``--budget`` trials; the best value after 200 trials and after
the full budget are paired by seed and compared with a one-sided Wilcoxon signed-rank
test of "fasthpo is worse" (small p: fasthpo worse; large p: no evidence of that)::

    python benchmarks/compare_tpe_quality.py --seeds 10 --budget 1000 --jobs 2

``--problems branin-2d sphere-5d --first-seed 10`` reruns a subset on fresh seeds.
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from harness import markdown_table, one_sided_p
from problems import QUALITY_SUITE

CHECKPOINTS = (200, 1000)


def best_so_far(library: str, problem_index: int, seed: int, budget: int) -> list[float]:
    problem = QUALITY_SUITE[problem_index]
    if library == "fasthpo":
        import fasthpo

        study = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=seed))
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(problem.objective, n_trials=budget)
    values = np.minimum.accumulate([t.value for t in study.trials])
    return [float(values[c - 1]) for c in CHECKPOINTS if c <= budget]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", nargs="+", choices=[p.name for p in QUALITY_SUITE],
                        default=[p.name for p in QUALITY_SUITE])
    args = parser.parse_args()
    selected = [p for p, problem in enumerate(QUALITY_SUITE) if problem.name in args.problems]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(lib, p, s) for p in selected for s in seeds for lib in ("fasthpo", "optuna")]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(best_so_far, *zip(*jobs), [args.budget] * len(jobs)))
    best = {job: r for job, r in zip(jobs, results)}
    checkpoints = [c for c in CHECKPOINTS if c <= args.budget]
    rows = []
    for p in selected:
        row = [QUALITY_SUITE[p].name]
        for i, c in enumerate(checkpoints):
            ours = [best[("fasthpo", p, s)][i] for s in seeds]
            theirs = [best[("optuna", p, s)][i] for s in seeds]
            p_value = one_sided_p(ours, theirs)
            row += [f"{statistics.median(ours):.4g}", f"{statistics.median(theirs):.4g}", f"{p_value:.2f}"]
        rows.append(row)
    header = ["problem"]
    for c in checkpoints:
        header += [f"fasthpo median best @{c}", f"optuna median best @{c}", f"p(fasthpo worse) @{c}"]
    print(f"seeds {seeds.start}-{seeds.stop - 1}, budget {args.budget}, default TPESampler settings in both\n")
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
