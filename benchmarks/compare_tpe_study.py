"""Whole multivariate TPE studies: fasthpo on one thread and on every core against rustuna.

Each library's own ``TPESampler(seed=0, multivariate=True)`` with its default start-up,
driven through ask / suggest / tell on a sphere for ``--trials`` trials; the whole study
is timed (the headline), and the last ``--window`` trials one by one (median)::

    python benchmarks/compare_tpe_study.py --trials 5000 --dims 10

Prints a markdown table (seconds per study, ms per trial at the end, ratios). With
``--cpu`` the times are the process's CPU time (``time.process_time``), which a loaded
machine inflates far less than wall time (the libraries run one after another, single
threaded, in this process).
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness import fasthpo_library, markdown_table, rustuna_library, sphere_suggest


def time_study(library, sampler, objective, n_trials: int, window: int,
               clock=time.perf_counter) -> tuple[float, float]:
    """(seconds for the whole study, median seconds of the last ``window`` trials)."""
    study = library.create_study(sampler)
    laps = []
    start = clock()
    for _ in range(n_trials):
        lap = clock()
        trial = study.ask()
        library.tell(study, trial, objective(trial))
        laps.append(clock() - lap)
    return clock() - start, statistics.median(laps[-window:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--dims", type=int, nargs="+", default=[10])
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 0], help="fasthpo thread caps (0: all cores)")
    parser.add_argument("--cpu", action="store_true", help="CPU time of this process instead of wall time")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    import fasthpo
    import rustuna

    for d in args.dims:
        objective = sphere_suggest(d)
        times = {}
        for threads in args.threads:
            fasthpo.set_num_threads(threads or None)
            count = fasthpo.get_num_threads()  # the default follows the load: it may equal another cap
            label = f"fasthpo ({'default, ' if not threads else ''}{count} thread{'s' if count > 1 else ''})"
            times[label] = time_study(fasthpo_library(), fasthpo.samplers.TPESampler(seed=0, multivariate=True),
                                      objective, args.trials, args.window, clock)
        fasthpo.set_num_threads(None)
        times["rustuna"] = time_study(rustuna_library(), rustuna.samplers.TPESampler(seed=0, multivariate=True),
                                      objective, args.trials, args.window, clock)
        theirs = times["rustuna"]
        rows = [[lib, f"{total:.2f}", f"{last * 1e3:.3f}", f"{theirs[0] / total:.1f}×", f"{theirs[1] / last:.1f}×"]
                for lib, (total, last) in times.items()]
        print(f"\n**sphere-{d}d, multivariate, {args.trials} trials** (whole study; median of the last "
              f"{args.window} trials)\n")
        print(markdown_table(["library", "study s", "ms per trial at the end", "rustuna / this (study)",
                              "rustuna / this (per trial)"], rows), flush=True)


if __name__ == "__main__":
    main()
