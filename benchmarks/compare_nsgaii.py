"""NSGA-II (or NSGA-III): fasthpo's sampler against Optuna's, whole studies on ZDT1-3 and DTLZ2.

Each study runs ``--trials`` trials with the defaults (population 50, uniform crossover)
and the same seed in both libraries, through ``study.optimize`` one trial at a time
(fasthpo also with ``batch_size=50``, a generation per batch). Quality is the
hypervolume of the final Pareto front (paired over seeds, one-sided Wilcoxon tests in
both directions); speed is the whole study's wall-clock time.

    python benchmarks/compare_nsgaii.py --seeds 10 --trials 5000 --out nsgaii.jsonl
    python benchmarks/compare_nsgaii.py --sampler NSGAIIISampler --problems "DTLZ2 (3 obj.)" --trials 2000

``--sampler NSGAIIISampler`` compares the NSGA-III samplers (default reference points,
dividing_parameter 3) instead.

Each finished study is appended to ``--out`` as a JSON line (a long run can be read
while it goes, or resumed: studies already in the file are skipped); ``--report``
prints the markdown tables from such a file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from fasthpo.benchmarks.problems import dtlz2 as dtlz2_values
from harness import markdown_table, one_sided_p


def zdt(kind: int, d: int = 30):
    def values(x: np.ndarray) -> np.ndarray:
        f1 = x[..., 0]
        g = 1 + 9 * x[..., 1:].mean(axis=-1)
        if kind == 1:
            h = 1 - np.sqrt(f1 / g)
        elif kind == 2:
            h = 1 - (f1 / g) ** 2
        else:
            h = 1 - np.sqrt(f1 / g) - (f1 / g) * np.sin(10 * np.pi * f1)
        return np.stack([f1, g * h], axis=-1)
    return values, d, (1.1, 11.0)


def dtlz2(m: int):
    return (lambda x: dtlz2_values(x, m)), m + 9, (3.5,) * m


PROBLEMS = {"ZDT1": zdt(1), "ZDT2": zdt(2), "ZDT3": zdt(3), "DTLZ2 (2 obj.)": dtlz2(2), "DTLZ2 (3 obj.)": dtlz2(3)}


def run(library: str, problem: str, seed: int, trials: int, sampler: str = "NSGAIISampler") -> dict:
    values, d, reference = PROBLEMS[problem]
    m = len(reference)
    batch = library == "fasthpo batch"

    def objective(trial):
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)])
        return tuple(values(x).tolist())

    def batch_objective(b):
        return values(np.stack([b.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)], axis=1))

    if library == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(directions=["minimize"] * m, sampler=getattr(optuna.samplers, sampler)(seed=seed))
        start = time.perf_counter()
        study.optimize(objective, n_trials=trials)
    else:
        import fasthpo

        study = fasthpo.create_study(directions=["minimize"] * m,
                                     sampler=getattr(fasthpo.samplers, sampler)(seed=seed))
        start = time.perf_counter()
        study.optimize(batch_objective if batch else objective, n_trials=trials, batch_size=50 if batch else None)
    seconds = time.perf_counter() - start
    from fasthpo._kernels.hypervolume import hypervolume

    front = np.array([t.values for t in study.best_trials], dtype=float)
    front = np.ascontiguousarray(front[(front < np.array(reference)).all(axis=1)].reshape(-1, m))
    return {"library": library, "sampler": sampler, "problem": problem, "seed": seed, "trials": trials,
            "seconds": seconds,
            "hypervolume": hypervolume(front, np.array(reference, dtype=float))}


def report(rows: list[dict]) -> str:
    by = {}
    for row in rows:
        by.setdefault((row["problem"], row["library"]), {})[row["seed"]] = row
    header = ["problem", "seeds", "HV fasthpo (median)", "HV Optuna (median)", "p(fasthpo worse)",
              "p(fasthpo better)", "s fasthpo", "s fasthpo batch", "s Optuna", "Optuna / fasthpo",
              "Optuna / fasthpo batch"]
    table = []
    for problem in PROBLEMS:
        ours, batch, theirs = (by.get((problem, lib), {}) for lib in ("fasthpo", "fasthpo batch", "optuna"))
        seeds = sorted(set(ours) & set(theirs))
        if not seeds:
            continue
        hv_ours = [ours[s]["hypervolume"] for s in seeds]
        hv_theirs = [theirs[s]["hypervolume"] for s in seeds]
        t_ours = statistics.median(ours[s]["seconds"] for s in seeds)
        t_theirs = statistics.median(theirs[s]["seconds"] for s in seeds)
        t_batch = statistics.median(r["seconds"] for r in batch.values()) if batch else float("nan")
        table.append([problem, len(seeds), f"{statistics.median(hv_ours):.4f}", f"{statistics.median(hv_theirs):.4f}",
                      f"{one_sided_p(hv_theirs, hv_ours):.3f}", f"{one_sided_p(hv_ours, hv_theirs):.3f}",
                      f"{t_ours:.2f}", f"{t_batch:.2f}", f"{t_theirs:.1f}", f"{t_theirs / t_ours:.1f}×",
                      f"{t_theirs / t_batch:.1f}×"])
    return markdown_table(header, table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--sampler", choices=["NSGAIISampler", "NSGAIIISampler"], default="NSGAIISampler")
    parser.add_argument("--out", type=Path, default=Path("nsgaii.jsonl"))
    parser.add_argument("--report", action="store_true", help="only print the tables of --out")
    args = parser.parse_args()
    done = [json.loads(line) for line in args.out.read_text().splitlines()] if args.out.exists() else []
    done = [r for r in done if r.get("sampler", "NSGAIISampler") == args.sampler]
    if not args.report:
        have = {(r["library"], r["problem"], r["seed"], r["trials"]) for r in done}
        for seed in range(args.seeds):
            for problem in args.problems:
                for library in ("fasthpo", "fasthpo batch", "optuna"):
                    if (library, problem, seed, args.trials) in have:
                        continue
                    row = run(library, problem, seed, args.trials, args.sampler)
                    done.append(row)
                    with args.out.open("a") as f:
                        f.write(json.dumps(row) + "\n")
                    print(json.dumps(row), flush=True)
    print(report([r for r in done if r["trials"] == args.trials]))


if __name__ == "__main__":
    main()
