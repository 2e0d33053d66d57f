"""TPE ask+tell cost per trial at a given history size: fasthpo vs Optuna vs rustuna.

Each library's own TPESampler is built with ``n_startup_trials=N``: the first N trials
are its random start-up (the history), the next ``--window`` are TPE suggestions, timed
one by one (ask + the objective's suggestions + tell; the objective itself is trivial).
Same problems, same seed, one process per run of this script::

    python benchmarks/compare_tpe.py --sizes 1000 10000 30000 --optuna-max 10000

Prints markdown tables (median ms per trial, ratios against fasthpo).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from harness import fasthpo_library, markdown_table, optuna_library, rustuna_library
from problems import mixed, rosenbrock, sphere


def tpe_samplers(seed: int, n_startup: int, multivariate: bool) -> dict:
    import fasthpo

    out = {"fasthpo": (fasthpo_library(), lambda: fasthpo.samplers.TPESampler(
        seed=seed, n_startup_trials=n_startup, multivariate=multivariate))}
    try:
        import optuna

        out["optuna"] = (optuna_library(), lambda: optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=n_startup, multivariate=multivariate))
    except ImportError:
        print("optuna not installed: skipped", file=sys.stderr)
    try:
        import rustuna

        out["rustuna"] = (rustuna_library(), lambda: rustuna.samplers.TPESampler(
            seed=seed, n_startup_trials=n_startup, multivariate=multivariate))
    except ImportError:
        print("rustuna not installed: skipped", file=sys.stderr)
    return out


def time_tpe_trials(library, sampler, objective, history: int, window: int, clock=time.perf_counter) -> float:
    """Median seconds per TPE trial after ``history`` start-up trials."""
    study = library.create_study(sampler)
    for _ in range(history):
        trial = study.ask()
        library.tell(study, trial, objective(trial))
    samples = []
    for _ in range(window):
        start = clock()
        trial = study.ask()
        library.tell(study, trial, objective(trial))
        samples.append(clock() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 30_000])
    parser.add_argument("--optuna-max", type=int, default=10_000, help="largest history Optuna is run at")
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--problems", nargs="+", default=["sphere-10d", "rosenbrock-10d", "sphere-100d",
                                                          "rosenbrock-100d", "mixed-7d"])
    parser.add_argument("--modes", nargs="+", default=["multivariate", "univariate"])
    parser.add_argument("--threads", type=int, default=0, help="fasthpo's thread cap (0: every core)")
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    import fasthpo

    fasthpo.set_num_threads(args.threads or None)
    problems = {p.name: p for p in (sphere(10), rosenbrock(10), sphere(100), rosenbrock(100), mixed())}
    for mode in args.modes:
        for name in args.problems:
            problem = problems[name]
            rows = []
            for size in args.sizes:
                times = {}
                for lib, (library, make) in tpe_samplers(args.seed, size, mode == "multivariate").items():
                    if lib == "optuna" and size > args.optuna_max:
                        continue
                    times[lib] = time_tpe_trials(library, make(), problem.objective, size, args.window, clock)
                    print(f"{mode} {name} n={size} {lib}: {times[lib] * 1e3:.3f} ms", file=sys.stderr, flush=True)
                ours = times["fasthpo"]
                rows.append([f"{size:,}"] + [f"{times[k] * 1e3:.3f}" if k in times else "—"
                                             for k in ("fasthpo", "rustuna", "optuna")]
                            + [f"{times[k] / ours:.1f}×" if k in times else "—" for k in ("rustuna", "optuna")])
            print(f"\n**{name}, {mode}** (median ms per trial over {args.window} TPE trials)\n")
            print(markdown_table(["history", "fasthpo", "rustuna", "optuna", "rustuna / fasthpo",
                                  "optuna / fasthpo"], rows), flush=True)


if __name__ == "__main__":
    main()
