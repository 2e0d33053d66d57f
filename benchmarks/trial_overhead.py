"""Per-trial cost of the scalar and batch-of-one trial paths, against rustuna's scalar loop.

CPU seconds (``time.process_time``), the best of ``--repeat`` runs of ``--trials`` trials
each, so that a loaded machine disturbs the figures less than whole-study wall times::

    python benchmarks/trial_overhead.py --trials 5000 --repeat 5

Rows: random search d=10 (ask, ten ``suggest_float``, tell) in fasthpo and rustuna; the
same trial as ``ask_batch(1)``/``tell_batch``; ask and tell alone (no parameter).
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
    args = parser.parse_args()
    import fasthpo
    import rustuna

    n = args.trials

    def best(run, *extra) -> float:
        return min(run(*extra, n, seed) for seed in range(args.repeat)) / n * 1e6

    rust = best(lambda module, n, seed: scalar(module, n, seed, tell_number=True), rustuna)
    rows = [("fasthpo scalar trial", best(scalar, fasthpo)), ("rustuna scalar trial", rust),
            ("fasthpo ask_batch(1) trial", best(batch_of_one, fasthpo)),
            ("fasthpo ask + tell, no parameter", best(ask_tell, fasthpo))]
    print("| path (random search, d=10) | µs CPU per trial | vs rustuna |")
    print("|---|---|---|")
    for name, micros in rows:
        print(f"| {name} | {micros:.1f} | {micros / rust:.2f}× |")


if __name__ == "__main__":
    main()
