"""Time per ``should_prune`` decision with a large history: fasthpo vs Optuna.

Builds, in each library, a study of ``--trials`` COMPLETE trials that each reported
``--steps`` intermediate values (the successive-halving studies also call
``should_prune`` at every rung step, so the rungs are populated), then times the
decisions of fresh trials at step ``--at``::

    python benchmarks/compare_pruners.py --trials 10000 --steps 100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from harness import markdown_table

RUNG_STEPS = (1, 4, 16, 64)  # min_resource=1, reduction_factor=4


def build(lib: str, pruner_name: str, n_trials: int, n_steps: int, seed: int):
    rng = np.random.default_rng(seed)
    if lib == "fasthpo":
        import fasthpo

        pruners = {"median": fasthpo.pruners.MedianPruner(),
                   "successive-halving": fasthpo.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)}
        study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=seed), pruner=pruners[pruner_name])
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruners = {"median": optuna.pruners.MedianPruner(),
                   "successive-halving": optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)}
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed), pruner=pruners[pruner_name])
    curves = np.cumsum(rng.random((n_trials, n_steps)), axis=1)[:, ::-1] / n_steps
    for curve in curves:
        trial = study.ask()
        for step, value in enumerate(curve):
            trial.report(float(value), step)
            if pruner_name == "successive-halving" and step in RUNG_STEPS:
                trial.should_prune()
        study.tell(trial, float(curve[-1]))
    return study


def time_decisions(study, at: int, n_decisions: int, seed: int) -> float:
    rng = np.random.default_rng(seed + 1)
    samples = []
    for _ in range(n_decisions):
        trial = study.ask()
        for step in range(at + 1):
            trial.report(float(rng.random()), step)
        start = time.perf_counter()
        trial.should_prune()
        samples.append(time.perf_counter() - start)
        study.tell(trial, 1.0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--at", type=int, default=64)
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for pruner in ("median", "successive-halving"):
        times = {}
        for lib in ("fasthpo", "optuna"):
            study = build(lib, pruner, args.trials, args.steps, args.seed)
            times[lib] = time_decisions(study, args.at, args.decisions, args.seed)
            print(f"{pruner} {lib}: {times[lib] * 1e6:.1f} us", file=sys.stderr, flush=True)
        rows.append([pruner, f"{times['fasthpo'] * 1e6:.1f}", f"{times['optuna'] * 1e6:.1f}",
                     f"{times['optuna'] / times['fasthpo']:.0f}×"])
    print(f"{args.trials:,} COMPLETE trials × {args.steps} steps; decision at step {args.at}; "
          f"median of {args.decisions}\n")
    print(markdown_table(["pruner", "fasthpo µs", "optuna µs", "optuna / fasthpo"], rows))


if __name__ == "__main__":
    main()
