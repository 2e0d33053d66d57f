"""Memory of TPE's estimators next to the history itself, at 30k trials × 100 parameters.

    python benchmarks/memory_tpe.py --trials 30000 --dims 100

The history is the trial store's parameter matrix (n × d float64). Reported: the peak
of memory allocated during one TPE suggestion (tracemalloc: the estimators and their
temporaries) and the memory the sampler keeps between suggestions (its per-space sorted
history and cached kernel constants), both as multiples of the history.
"""

from __future__ import annotations

import argparse
import tracemalloc

import fasthpo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30_000)
    parser.add_argument("--dims", type=int, default=100)
    args = parser.parse_args()
    names = [f"x{i}" for i in range(args.dims)]

    def objective(trial):
        return sum(trial.suggest_float(n, -5, 5) ** 2 for n in names)

    sampler = fasthpo.samplers.TPESampler(seed=0, n_startup_trials=args.trials)
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=args.trials)
    sampler._n_startup_trials = 0
    study.optimize(objective, n_trials=1)  # builds the sampler's per-space history
    history_bytes = study._store.X.nbytes
    kept = sum(a.nbytes for h in sampler._histories.values()
               for a in (h.sorted_rows, h.sorted_values, h.indexed, h.in_sorted))
    tracemalloc.start()
    study.optimize(objective, n_trials=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mb = 1 / 2**20
    print(f"history X: {history_bytes * mb:.1f} MiB ({args.trials} × {args.dims} float64)")
    print(f"kept by the sampler between suggestions: {kept * mb:.1f} MiB ({kept / history_bytes:.1f}× the history)")
    print(f"peak allocated during one suggestion: {peak * mb:.1f} MiB ({peak / history_bytes:.1f}× the history)")


if __name__ == "__main__":
    main()
