"""Where a multivariate (or univariate) TPE ask spends its time: cProfile over 10 asks
after a random history, on a given number of threads, on the process's CPU clock (a
loaded machine inflates it less than wall time)::

    python benchmarks/profile_tpe.py --dims 10 --history 10000 --threads 1
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

import fasthpo
from harness import sphere_suggest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=10)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1, help="0: every core")
    parser.add_argument("--univariate", action="store_true")
    args = parser.parse_args()
    fasthpo.set_num_threads(args.threads or None)
    objective = sphere_suggest(args.dims)
    sampler = fasthpo.samplers.TPESampler(seed=0, n_startup_trials=args.history, multivariate=not args.univariate)
    study = fasthpo.create_study(sampler=sampler)
    for _ in range(args.history):
        trial = study.ask()
        study.tell(trial, objective(trial))
    laps, profile = [], cProfile.Profile(time.process_time)
    for i in range(20):
        if i == 10:
            profile.enable()
        start = time.process_time()
        trial = study.ask()
        study.tell(trial, objective(trial))
        laps.append(time.process_time() - start)
    profile.disable()
    print(f"d={args.dims} history={args.history} threads={fasthpo.get_num_threads()}: "
          f"median {statistics.median(laps) * 1e3:.3f} ms per trial")
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
