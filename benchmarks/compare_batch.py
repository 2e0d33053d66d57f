"""Batch ask/tell against scalar loops: fasthpo vs rustuna, Optuna and the cmaes library.

Whole-study wall times (CPU times with ``--cpu``), one run, on whatever machine runs it
(the ratios are what count)::

    python benchmarks/compare_batch.py --random-trials 20000 --batched-trials 1000000 \
        --cma-trials 3000 --tpe-history 5000

Sections: scalar random search (d=10) and up to 5,000 of its trials as batches of one;
batched random search (d=10, batches of 1000, a vectorized objective, history kept); CMA-ES d=100 scalar and one generation per batch
(vs rustuna's scalar loop and the ``cmaes`` library's own ask/tell on arrays); TPE at a
``--tpe-history`` trial history, a batch of 8 against one ask.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
from harness import markdown_table, sphere_suggest

D_RANDOM, D_CMA = 10, 100


CLOCK = time.perf_counter  # --cpu: time.process_time, less disturbed by a loaded machine


def timed(run) -> float:
    start = CLOCK()
    run()
    return CLOCK() - start


def scalar_loop(create_study, sampler, n: int, d: int, tell_number: bool = False) -> float:
    objective = sphere_suggest(d)

    def run():
        study = create_study(sampler=sampler)
        for _ in range(n):
            trial = study.ask()
            study.tell(trial.number if tell_number else trial, objective(trial))

    return timed(run)


def fasthpo_batched(sampler, n: int, d: int, batch: int) -> float:
    import fasthpo

    names = [f"x{i}" for i in range(d)]

    def objective(b):
        return sum(b.suggest_float(name, -5, 5) ** 2 for name in names)

    return timed(lambda: fasthpo.create_study(sampler=sampler).optimize(objective, n_trials=n, batch_size=batch))


def batch_of_one_loop(sampler, n: int, d: int) -> float:
    """``n`` trials each asked as a batch of one (the fixed cost of a batch)."""
    import fasthpo

    names = [f"x{i}" for i in range(d)]

    def run():
        study = fasthpo.create_study(sampler=sampler)
        for _ in range(n):
            batch = study.ask_batch(1)
            study.tell_batch(batch, sum(batch.suggest_float(name, -5, 5) ** 2 for name in names))

    return timed(run)


def cmaes_library(n: int, d: int, seed: int) -> float:
    import cmaes

    def run():
        optimizer = cmaes.CMA(mean=np.zeros(d), sigma=5 / 3, bounds=np.tile([-5.0, 5.0], (d, 1)), seed=seed)
        done = 0
        while done < n:
            X = np.array([optimizer.ask() for _ in range(optimizer.population_size)])
            optimizer.tell(list(zip(X, (X ** 2).sum(axis=1))))
            done += len(X)

    return timed(run)


def tpe_batch_cost(history: int, d: int, seed: int) -> tuple[float, float]:
    """Seconds for one ask (all d suggestions) and for a batch of 8, after ``history`` trials."""
    import fasthpo

    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=seed))
    names = [f"x{i}" for i in range(d)]
    study.optimize(lambda b: sum(b.suggest_float(n, -5, 5) ** 2 for n in names), n_trials=history, batch_size=500)
    study.sampler = fasthpo.samplers.TPESampler(seed=seed, constant_liar=False)  # the history is random search's
    def one_ask():
        trial = study.ask()
        return [trial.suggest_float(n, -5, 5) for n in names]

    def batch_of_eight():  # one batch, all d parameters of its 8 members
        batch = study.ask_batch(8)
        return [batch.suggest_float(n, -5, 5) for n in names]

    one_ask()  # the first proposal builds the sampler's caches of the history
    one = min(timed(one_ask) for _ in range(3))
    eight = min(timed(batch_of_eight) for _ in range(3))
    return one, eight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-trials", type=int, default=20_000)
    parser.add_argument("--optuna-trials", type=int, default=2_000, help="Optuna's scalar run, scaled up")
    parser.add_argument("--batched-trials", type=int, default=1_000_000)
    parser.add_argument("--rustuna-batched-trials", type=int, default=100_000, help="rustuna's run, scaled up")
    parser.add_argument("--cma-trials", type=int, default=3_000)
    parser.add_argument("--tpe-history", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only-tpe", action="store_true", help="only the TPE batch against one ask")
    parser.add_argument("--cpu", action="store_true", help="CPU seconds of this process instead of wall seconds")
    parser.add_argument("--no-cma", action="store_true", help="skip the CMA-ES rows")
    parser.add_argument("--no-tpe", action="store_true", help="skip the TPE batch against one ask")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    rows = []

    def row(what, ours, others):
        rows.append([what, f"{ours:.3f}"] + [f"{t:.3f} ({t / ours:.1f}×)" if t is not None else "—" for t in others])
        print(rows[-1], file=sys.stderr)

    if not args.only_tpe:
        whole_studies(args, row)
    if not args.no_tpe:
        one, eight = tpe_batch_cost(args.tpe_history, D_RANDOM, args.seed)
        print(f"TPE d=10 at {args.tpe_history:,} trials: one ask {one * 1e3:.1f} ms, a batch of 8 {eight * 1e3:.1f} ms "
              f"({eight / one:.2f}× one ask)")
    if rows:
        clock = "CPU" if args.cpu else "wall"
        print(f"Python {platform.python_version()}; {clock} seconds per whole study, ratios against fasthpo")
        print()
        print(markdown_table(["case", "fasthpo s", "rustuna s", "Optuna s", "cmaes s"], rows))


def whole_studies(args: argparse.Namespace, row) -> None:
    """Random search and CMA-ES, scalar and batched, against rustuna, Optuna and cmaes."""
    import fasthpo
    import optuna
    import rustuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = args.seed
    n = args.random_trials
    ours = scalar_loop(fasthpo.create_study, fasthpo.samplers.RandomSampler(seed=seed), n, D_RANDOM)
    rust = scalar_loop(rustuna.create_study, rustuna.samplers.RandomSampler(seed=seed), n, D_RANDOM, tell_number=True)
    opt = scalar_loop(optuna.create_study, optuna.samplers.RandomSampler(seed=seed), args.optuna_trials, D_RANDOM)
    row(f"random d=10, {n:,} trials, scalar loop", ours, [rust, opt * n / args.optuna_trials, None])

    m = min(n, 5_000)
    one = batch_of_one_loop(fasthpo.samplers.RandomSampler(seed=seed), m, D_RANDOM)
    print(f"random d=10, {m:,} trials: ask_batch(1) loop {one:.3f} s, {one / (ours * m / n):.2f}× the scalar loop "
          "per trial")

    n = args.batched_trials
    ours = fasthpo_batched(fasthpo.samplers.RandomSampler(seed=seed), n, D_RANDOM, 1000)
    m = min(n, args.rustuna_batched_trials)
    rust = scalar_loop(rustuna.create_study, rustuna.samplers.RandomSampler(seed=seed), m, D_RANDOM, tell_number=True)
    row(f"random d=10, {n:,} trials, batches of 1000 (rustuna: scalar loop)", ours, [rust * n / m, None, None])

    if args.no_cma:
        return
    n = args.cma_trials
    ours = scalar_loop(fasthpo.create_study, fasthpo.samplers.CmaEsSampler(seed=seed), n, D_CMA)
    rust = scalar_loop(rustuna.create_study, rustuna.samplers.CmaEsSampler(seed=seed), n, D_CMA, tell_number=True)
    lib = cmaes_library(n, D_CMA, seed)
    row(f"CMA-ES d=100, {n:,} trials, scalar loop", ours, [rust, None, lib])
    popsize = 4 + int(3 * np.log(D_CMA))
    ours = fasthpo_batched(fasthpo.samplers.CmaEsSampler(seed=seed, popsize=popsize), n, D_CMA, popsize)
    row(f"CMA-ES d=100, {n:,} trials, one generation ({popsize}) per batch", ours, [rust, None, lib])


if __name__ == "__main__":
    main()
