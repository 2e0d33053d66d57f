"""fasthpo's samplers inside Optuna against Optuna's own: time per trial, same problem and seeds.

Run (in an environment with optuna installed, e.g. ``pip install ".[bench]"``)::

    python benchmarks/compare_optuna_integration.py --d 10 --trials 10000

Every study is an Optuna study (in-memory storage) driven by the same ask / suggest / tell
loop on the sphere in ``--d`` dimensions (the objective is trivially cheap), so what is
timed is Optuna's bookkeeping plus the sampler. Reported:

1. **Whole studies of ``--trials`` trials** with Optuna's RandomSampler (Optuna's own
   bookkeeping, the floor), our RandomSampler and our TPESampler adapters: median
   µs per trial over the ``--window`` trials before 1k and 10k, and the total study time.
   Our TPE's time is split into Optuna's bookkeeping, the adapter (mirror sync,
   conversions) and the fasthpo sampler itself, by timing the adapter's and the fasthpo
   sampler's methods.
2. **Optuna's TPESampler** cannot run 10k trials here in reasonable time, so both TPEs
   are also *probed*: on a study that already holds ``n`` trials (drawn by Optuna's
   RandomSampler, same seed), the median time of the next ``--probe`` trials.
3. **CMA-ES and GP**, when fasthpo has them: whole studies of ``--cma-trials`` and
   ``--gp-trials`` trials, Optuna's sampler against our adapter.

``--profile`` adds a cProfile of our TPE adapter at the last probe size.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import platform
import pstats
import sys
import time
from collections import defaultdict

from harness import markdown_table, sphere_suggest

import optuna

import fasthpo
import fasthpo.integration.optuna as fo

optuna.logging.set_verbosity(optuna.logging.WARNING)
CHECKPOINTS = (1_000, 10_000)


class Timers:
    """Seconds spent inside wrapped methods, summed per label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, obj, names, label: str) -> None:
        for name in names:
            method = getattr(obj, name)

            @functools.wraps(method)
            def timed(*args, _method=method, **kwargs):
                start = time.perf_counter()
                try:
                    return _method(*args, **kwargs)
                finally:
                    self.seconds[label] += time.perf_counter() - start

            setattr(obj, name, timed)


SAMPLER_METHODS = ("infer_relative_search_space", "sample_relative", "sample_independent", "before_trial", "after_trial")


def instrument(adapter) -> Timers:
    """Time the adapter's methods and those of the fasthpo sampler it holds."""
    timers = Timers()
    timers.wrap(adapter, SAMPLER_METHODS, "adapter")
    timers.wrap(adapter._sampler, SAMPLER_METHODS, "fasthpo sampler")
    return timers


def run_study(sampler, objective, n_trials: int, window: int, study=None):
    """Per-trial medians at the checkpoints, total seconds, and the study."""
    study = study if study is not None else optuna.create_study(sampler=sampler)
    study.sampler = sampler
    samples: list[float] = []
    medians = {}
    clock = time.perf_counter
    begin = clock()
    for i in range(1, n_trials + 1):
        start = clock()
        trial = study.ask()
        study.tell(trial, objective(trial))
        samples.append(clock() - start)
        if i in CHECKPOINTS or i == n_trials:
            medians[i] = sorted(samples[-window:])[len(samples[-window:]) // 2]
    return medians, clock() - begin, study


def history(n: int, objective, seed: int):
    """An Optuna study holding ``n`` trials drawn by Optuna's RandomSampler."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n)
    return study


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def whole_studies(args, objective) -> None:
    runs = {
        "Optuna RandomSampler": optuna.samplers.RandomSampler(seed=args.seed),
        "fasthpo RandomSampler adapter": fo.RandomSampler(seed=args.seed),
        "fasthpo TPESampler adapter": fo.TPESampler(seed=args.seed),
    }
    timers = instrument(runs["fasthpo TPESampler adapter"])
    results = {}
    for name, sampler in runs.items():
        medians, total, _ = run_study(sampler, objective, args.trials, args.window)
        results[name] = (medians, total)
        print(f"{name}: {total:.1f} s", file=sys.stderr)
    checkpoints = [c for c in CHECKPOINTS if c <= args.trials]
    header = ["sampler"] + [f"µs/trial at {c:,}" for c in checkpoints] + [f"study of {args.trials:,} trials", "÷ Optuna Random"]
    floor = results["Optuna RandomSampler"][1]
    rows = [[name] + [us(m[c]) for c in checkpoints] + [f"{total:.1f} s", f"{total / floor:.2f}×"]
            for name, (m, total) in results.items()]
    print(f"\n### Whole Optuna studies, sphere d={args.d}, seed {args.seed}, median of the last {args.window} trials\n")
    print(markdown_table(header, rows))
    total = results["fasthpo TPESampler adapter"][1]
    adapter, inner = timers.seconds["adapter"], timers.seconds["fasthpo sampler"]
    print(f"\nWhere the TPE adapter study's {total:.1f} s go (per trial, averaged over {args.trials:,} trials):\n")
    print(markdown_table(
        ["part", "µs/trial", "share"],
        [["Optuna bookkeeping (ask, suggest, tell, storage)", us((total - adapter) / args.trials), f"{(total - adapter) / total:.0%}"],
         ["adapter: mirror sync, conversions", us((adapter - inner) / args.trials), f"{(adapter - inner) / total:.0%}"],
         ["fasthpo TPESampler", us(inner / args.trials), f"{inner / total:.0%}"]],
    ))


def probes(args, objective) -> None:
    sizes = [c for c in CHECKPOINTS if c <= args.trials]
    makers = {
        "Optuna RandomSampler": lambda: optuna.samplers.RandomSampler(seed=args.seed),
        "Optuna TPESampler": lambda: optuna.samplers.TPESampler(seed=args.seed),
        "fasthpo TPESampler adapter": lambda: fo.TPESampler(seed=args.seed),
    }
    table = defaultdict(dict)
    for n in sizes:
        for name, make in makers.items():
            study = history(n, objective, args.seed)
            sampler = make()
            run_study(sampler, objective, 1, 1, study)  # first call: the adapter mirrors the n trials
            medians, _, _ = run_study(sampler, objective, args.probe, args.probe, study)
            table[name][n] = medians[args.probe]
            print(f"probe {name} at {n}: {us(table[name][n])} us", file=sys.stderr)
    header = ["sampler"] + [f"µs/trial after {n:,} trials" for n in sizes]
    rows = [[name] + [us(table[name][n]) for n in sizes] for name in makers]
    rows.append(["Optuna TPE ÷ fasthpo TPE adapter"] + [
        f"{table['Optuna TPESampler'][n] / table['fasthpo TPESampler adapter'][n]:.1f}×" for n in sizes])
    rows.append(["fasthpo TPE adapter ÷ Optuna Random"] + [
        f"{table['fasthpo TPESampler adapter'][n] / table['Optuna RandomSampler'][n]:.2f}×" for n in sizes])
    print(f"\n### Probes: median of {args.probe} trials on a study already holding n random trials (d={args.d})\n")
    print(markdown_table(header, rows))
    if args.profile:
        study = history(sizes[-1], objective, args.seed)
        sampler = fo.TPESampler(seed=args.seed)
        run_study(sampler, objective, 1, 1, study)
        profile = cProfile.Profile()
        profile.runcall(run_study, sampler, objective, args.probe, args.probe, study)
        print(f"\ncProfile of {args.probe} TPE-adapter trials after {sizes[-1]:,} (top 15 by own time):\n")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def other_samplers(args) -> None:
    pairs = []
    if hasattr(fo, "CmaEsSampler"):
        pairs.append(("CMA-ES", args.cma_trials, args.d,
                      lambda: optuna.samplers.CmaEsSampler(seed=args.seed), lambda: fo.CmaEsSampler(seed=args.seed)))
    else:
        print("fasthpo has no CmaEsSampler yet: CMA-ES skipped", file=sys.stderr)
    if hasattr(fo, "GPSampler"):
        pairs.append(("GP", args.gp_trials, args.gp_d,
                      lambda: optuna.samplers.GPSampler(seed=args.seed), lambda: fo.GPSampler(seed=args.seed)))
    else:
        print("fasthpo has no GPSampler yet: GP skipped", file=sys.stderr)
    rows = []
    for label, n, d, make_optuna, make_ours in pairs:
        objective = sphere_suggest(d)
        window = min(args.window, n // 3)  # the last trials: past the cheap startup ones
        m_optuna, t_optuna, s_optuna = run_study(make_optuna(), objective, n, window)
        m_ours, t_ours, s_ours = run_study(make_ours(), objective, n, window)
        rows.append([label, f"{n:,}", d, us(m_optuna[n]), us(m_ours[n]), f"{m_optuna[n] / m_ours[n]:.1f}×",
                     f"{t_optuna:.1f} s", f"{t_ours:.1f} s", f"{s_optuna.best_value:.3g}", f"{s_ours.best_value:.3g}"])
        print(f"{label}: optuna {t_optuna:.1f} s, ours {t_ours:.1f} s", file=sys.stderr)
    if rows:
        print(f"\n### CMA-ES and GP inside Optuna (sphere, seed {args.seed}, median of the last third of the trials, "
              f"at most {args.window})\n")
        print(markdown_table(["sampler", "trials", "d", "Optuna µs/trial", "adapter µs/trial", "Optuna ÷ adapter",
                              "Optuna study", "adapter study", "Optuna best", "adapter best"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--probe", type=int, default=20)
    parser.add_argument("--cma-trials", type=int, default=1_000)
    parser.add_argument("--gp-trials", type=int, default=150)
    parser.add_argument("--gp-d", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=["whole", "probes", "others"], default=None)
    args = parser.parse_args()
    objective = sphere_suggest(args.d)
    print(f"optuna {optuna.__version__}, fasthpo {fasthpo.__version__}, Python {platform.python_version()}")
    if args.only in (None, "whole"):
        whole_studies(args, objective)
    if args.only in (None, "probes"):
        probes(args, objective)
    if args.only in (None, "others"):
        other_samplers(args)


if __name__ == "__main__":
    main()
