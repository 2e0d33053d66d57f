"""Per-trial cost of the scalar and batch-of-one trial paths, against rustuna's scalar loop.

CPU seconds (``time.process_time``), the best of ``--repeat`` runs of ``--trials`` trials
each, so that a loaded machine disturbs the figures less than whole-study wall times::

    python benchmarks/trial_overhead.py --trials 5000 --repeat 5

Rows: random search d=10 (ask, ten ``suggest_float``, tell) in fasthpo, rustuna and
Optuna (``--optuna-trials`` of them: Optuna is slow); the same trial as
``ask_batch(1)``/``tell_batch``; the NumPy work of that trial's objective alone (ten
one-element arrays squared and summed, which a scalar objective does on floats); ask
and tell alone (no parameter).
"""

from __future__ import annotations

import argparse
import time

NAMES = [f"x{i}" for i in range(10)]


def scalar(module, n: int, seed: int, tell_number: bool = False) -> float:
    study = module.create_study(sampler=module.samplers.RandomSampler(seed=seed))
    start = time.process_time()
    for _ in range(n):
        trial = study.ask()
        value = sum(trial.suggest_float(name, -5, 5) ** 2 for name in NAMES)
        study.tell(trial.number if tell_number else trial, value)
    return time.process_time() - start


def batch_of_one(module, n: int, seed: int) -> float:
    study = module.create_study(sampler=module.samplers.RandomSampler(seed=seed))
    start = time.process_time()
    for _ in range(n):
        batch = study.ask_batch(1)
        study.tell_batch(batch, sum(batch.suggest_float(name, -5, 5) ** 2 for name in NAMES))
    return time.process_time() - start


def numpy_objective(n: int) -> float:
    """The objective of :func:`batch_of_one` without the study: its own NumPy cost."""
    import numpy as np

    value = np.array([0.5])
    start = time.process_time()
    for _ in range(n):
        sum(value ** 2 for name in NAMES)
    return time.process_time() - start


def ask_tell(module, n: int, seed: int) -> float:
    study = module.create_study(sampler=module.samplers.RandomSampler(seed=seed))
    start = time.process_time()
    for _ in range(n):
        study.tell(study.ask(), 1.0)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--optuna-trials", type=int, default=500)
    args = parser.parse_args()
    import fasthpo
    import rustuna

    n = args.trials

    def best(run, *extra) -> float:
        return min(run(*extra, n, seed) for seed in range(args.repeat)) / n * 1e6

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rust = best(lambda module, n, seed: scalar(module, n, seed, tell_number=True), rustuna)
    ours = best(scalar, fasthpo)
    theirs = min(scalar(optuna, args.optuna_trials, seed) for seed in range(2)) / args.optuna_trials * 1e6
    rows = [("fasthpo scalar trial", ours), ("rustuna scalar trial", rust), ("Optuna scalar trial", theirs),
            ("fasthpo ask_batch(1) trial", best(batch_of_one, fasthpo)),
            ("its objective's NumPy work alone", min(numpy_objective(n) for _ in range(args.repeat)) / n * 1e6),
            ("fasthpo ask + tell, no parameter", best(ask_tell, fasthpo))]
    print("| path (random search, d=10) | µs CPU per trial | vs rustuna | vs fasthpo scalar |")
    print("|---|---|---|---|")
    for name, micros in rows:
        print(f"| {name} | {micros:.1f} | {micros / rust:.2f}× | {micros / ours:.2f}× |")


if __name__ == "__main__":
    main()
