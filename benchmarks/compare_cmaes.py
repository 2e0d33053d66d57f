"""CMA-ES cost: fasthpo vs Optuna 5's CmaEsSampler, rustuna's CmaEsSampler and the raw
``cmaes`` library, on the same problem and seed.

Each library runs ``--trials`` trials (ask, the objective's suggestions, tell; the raw
library: ask/tell on arrays) of a sphere in ``d`` dimensions, stopping early at
``--max-seconds``; the table gives the mean ms per trial and the projected time for the
full ``--trials`` (measured trials × mean), so slow libraries are measured on fewer
trials and say so::

    python benchmarks/compare_cmaes.py --dims 10 100 1000 --trials 10000 --max-seconds 120
    python benchmarks/compare_cmaes.py --dims 5000 --separable --trials 10000 --max-seconds 120
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from harness import markdown_table


def make_objective(d: int):
    names = [f"x{i}" for i in range(d)]

    def objective(trial) -> float:
        return sum(trial.suggest_float(n, -5, 5) ** 2 for n in names)

    return objective


def run_study(create, tell, sampler, d: int, trials: int, max_seconds: float) -> tuple[int, float]:
    study = create(sampler)
    objective = make_objective(d)
    start = time.perf_counter()
    done = 0
    while done < trials and time.perf_counter() - start < max_seconds:
        trial = study.ask()
        tell(study, trial, objective(trial))
        done += 1
    return done, time.perf_counter() - start


def run_raw(d: int, trials: int, max_seconds: float, seed: int, separable: bool) -> tuple[int, float]:
    import cmaes

    cls = cmaes.SepCMA if separable else cmaes.CMA
    optimizer = cls(mean=np.zeros(d), sigma=10 / 6, bounds=np.tile([-5.0, 5.0], (d, 1)), seed=seed)
    start = time.perf_counter()
    done = 0
    while done < trials and time.perf_counter() - start < max_seconds:
        solutions = []
        for _ in range(optimizer.population_size):
            x = optimizer.ask()
            solutions.append((x, float(x @ x)))
        optimizer.tell(solutions)
        done += optimizer.population_size
    return done, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--separable", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import fasthpo
    import optuna
    import rustuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    libraries = {
        "fasthpo": (lambda s: fasthpo.create_study(sampler=s), lambda st, t, v: st.tell(t, v),
                    lambda: fasthpo.samplers.CmaEsSampler(seed=args.seed, use_separable_cma=args.separable)),
        "optuna": (lambda s: optuna.create_study(sampler=s), lambda st, t, v: st.tell(t, v),
                   lambda: optuna.samplers.CmaEsSampler(seed=args.seed, use_separable_cma=args.separable)),
    }
    if not args.separable:
        libraries["rustuna"] = (lambda s: rustuna.create_study(sampler=s), lambda st, t, v: st.tell(t.number, v),
                                lambda: rustuna.samplers.CmaEsSampler(seed=args.seed))
    rows = []
    for d in args.dims:
        per_trial = {}
        for name, (create, tell, make) in libraries.items():
            done, seconds = run_study(create, tell, make(), d, args.trials, args.max_seconds)
            per_trial[name] = (seconds / done, done)
            print(f"d={d} {name}: {done} trials in {seconds:.1f} s", file=sys.stderr, flush=True)
        done, seconds = run_raw(d, args.trials, args.max_seconds, args.seed, args.separable)
        per_trial["cmaes (raw)"] = (seconds / done, done)
        print(f"d={d} cmaes raw: {done} solutions in {seconds:.1f} s", file=sys.stderr, flush=True)
        ours = per_trial["fasthpo"][0]
        row = [d]
        for name, (cost, done) in per_trial.items():
            note = "" if done >= args.trials else f" ({done} measured)"
            row.append(f"{cost * 1e3:.3f} ms → {cost * args.trials:.1f} s{note}")
        row += [f"{per_trial[n][0] / ours:.1f}×" for n in per_trial if n != "fasthpo"]
        rows.append(row)
    names = list(per_trial)
    kind = "separable" if args.separable else "full covariance"
    print(f"\nsphere, {kind}: ms per trial and projected time for {args.trials:,} trials\n")
    print(markdown_table(["d"] + names + [f"{n} / fasthpo" for n in names if n != "fasthpo"], rows))


if __name__ == "__main__":
    main()
