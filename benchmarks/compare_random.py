"""RandomSampler ask+tell cost per trial: fasthpo vs Optuna vs rustuna, same loop, same d.

Run (in an environment with optuna and rustuna installed, e.g. ``pip install ".[bench]"``)::

    python benchmarks/compare_random.py --d 10 --trials 100000

Prints a markdown table of the median µs per trial over the last ``--window`` trials
before each checkpoint, and the ratios against fasthpo.
"""

from __future__ import annotations

import argparse
import platform
import sys

from harness import fasthpo_library, markdown_table, optuna_library, per_trial_times, rustuna_library, sphere_suggest


def samplers(seed: int) -> dict:
    import fasthpo

    out = {"fasthpo": (fasthpo_library(), lambda: fasthpo.samplers.RandomSampler(seed=seed))}
    try:
        import optuna

        out["optuna"] = (optuna_library(), lambda: optuna.samplers.RandomSampler(seed=seed))
    except ImportError:
        print("optuna not installed: skipped", file=sys.stderr)
    try:
        import rustuna

        out["rustuna"] = (rustuna_library(), lambda: rustuna.samplers.RandomSampler(seed=seed))
    except ImportError:
        print("rustuna not installed: skipped", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--optuna-trials", type=int, default=None, help="cap Optuna's run (it is slow)")
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    checkpoints = [c for c in (1_000, 10_000, 30_000, 100_000) if c <= args.trials]
    objective = sphere_suggest(args.d)
    results = {}
    for name, (library, make_sampler) in samplers(args.seed).items():
        n = args.trials if name != "optuna" or args.optuna_trials is None else args.optuna_trials
        results[name] = per_trial_times(library, make_sampler(), objective, n, checkpoints, args.window)
        print(f"{name}: " + ", ".join(f"{c}: {t * 1e6:.1f} us" for c, t in results[name].items()), file=sys.stderr)
    names = list(results)
    header = ["trials"] + [f"{n} µs/trial" for n in names] + [f"{n} / fasthpo" for n in names if n != "fasthpo"]
    rows = []
    for c in checkpoints:
        ours = results["fasthpo"].get(c)
        row = [f"{c:,}"] + [f"{results[n][c] * 1e6:.1f}" if c in results[n] else "—" for n in names]
        row += [f"{results[n][c] / ours:.2f}×" if c in results[n] and ours else "—" for n in names if n != "fasthpo"]
        rows.append(row)
    print(f"RandomSampler, sphere d={args.d}, seed {args.seed}, median of the last {args.window} trials before each checkpoint; "
          f"Python {platform.python_version()}")
    print()
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
