"""AutoSampler's rule for several objectives, on three-objective problems: ParEGO (GPSampler with several objectives: a random Chebyshev scalarization per
trial), which AutoSampler uses for two objectives, against TPE, which it uses for three
or more.

``--problem dtlz7`` (Deb et al. 2002), three objectives in ``--dims`` dimensions: a
front of four disconnected patches at g = 1 (x_3.. = 0), f3 between 2.6 and 6;
hypervolume regret against the reference point (1.1, 1.1, 6.6), the true front's
hypervolume by a prefix minimum of f3 over two grids of the front, extrapolated (error
~1e-4). ``--problem dtlz2``: the benchmark suite's DTLZ2 with three objectives
(reference 1.1 in each, front hypervolume 1.1^3 - pi/6)::

    python benchmarks/compare_auto_objectives.py --problem dtlz7 --seeds 10 --trials 200 --dims 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from harness import markdown_table

REFERENCE = np.array([1.1, 1.1, 6.6])  # DTLZ7's


def dtlz7(x: np.ndarray) -> np.ndarray:
    """DTLZ7's three objectives at points ``x`` of shape (n, d), d >= 3."""
    f12 = x[:, :2]
    g = 1.0 + 9.0 * x[:, 2:].mean(axis=1)
    h = 3.0 - np.sum(f12 / (1.0 + g[:, None]) * (1.0 + np.sin(3.0 * np.pi * f12)), axis=1)
    return np.column_stack([f12, (1.0 + g) * h])


def front_hypervolume() -> float:
    """The hypervolume dominated by DTLZ7's front (g = 1) against REFERENCE: the grid's
    error falls as 1 / grid, so two grids extrapolate it away (Richardson)."""
    return 2.0 * _grid_hypervolume(2000) - _grid_hypervolume(1000)


def _grid_hypervolume(grid: int) -> float:
    u = np.linspace(0.0, 1.0, grid)
    f1, f2 = np.meshgrid(u, u, indexing="ij")
    f3 = 2.0 * (3.0 - (f1 / 2 * (1 + np.sin(3 * np.pi * f1)) + f2 / 2 * (1 + np.sin(3 * np.pi * f2))))
    best = np.minimum.accumulate(np.minimum.accumulate(f3, axis=0), axis=1)  # lowest f3 of the points below (f1, f2)
    cell = (u[1] - u[0]) ** 2
    inside = np.clip(REFERENCE[2] - best, 0.0, None)
    # (f1, f2) in [0, 1]^2 from the grid; the strips up to 1.1 see the front's edge minima
    edge1, edge2 = inside[-1, :], inside[:, -1]
    return float(inside.sum() * cell + 0.1 * (edge1.sum() + edge2.sum()) * (u[1] - u[0]) + 0.01 * inside[-1, -1])


def problem(name: str) -> tuple:
    """(objectives of points, reference point, the front's hypervolume)."""
    if name == "dtlz7":
        return dtlz7, REFERENCE, front_hypervolume()
    from fasthpo.benchmarks.problems import dtlz2

    return dtlz2, np.full(3, 1.1), 1.1**3 - math.pi / 6


def run(sampler_name: str, seed: int, trials: int, dims: int, objectives, reference) -> tuple[list[float], float]:
    import fasthpo
    from fasthpo._kernels.hypervolume import hypervolume

    samplers = {"ParEGO (GP)": fasthpo.samplers.GPSampler, "TPE": fasthpo.samplers.TPESampler,
                "AutoSampler": fasthpo.samplers.AutoSampler, "random": fasthpo.samplers.RandomSampler}
    study = fasthpo.create_study(directions=["minimize"] * 3, sampler=samplers[sampler_name](seed=seed))
    values, volumes = [], []
    start = time.process_time()
    for _ in range(trials):
        trial = study.ask()
        x = np.array([[trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(dims)]])
        f = objectives(x)[0]
        study.tell(trial, f.tolist())
        values.append(f)
        inside = np.array([v for v in values if np.all(v < reference)])
        volumes.append(hypervolume(np.ascontiguousarray(inside), reference) if len(inside) else 0.0)
    return volumes, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=["dtlz7", "dtlz2"], default="dtlz7")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--dims", type=int, default=5)
    parser.add_argument("--samplers", nargs="*", default=["ParEGO (GP)", "TPE", "random"])
    args = parser.parse_args()
    objectives, reference, optimum = problem(args.problem)
    checkpoints = [c for c in (50, 100, 150, 200, 300) if c <= args.trials]
    rows = []
    for name in args.samplers:
        regrets, cpu = {c: [] for c in checkpoints}, []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            volumes, seconds = run(name, seed, args.trials, args.dims, objectives, reference)
            for c in checkpoints:
                regrets[c].append(optimum - volumes[c - 1])
            cpu.append(seconds)
            print(name, seed, [round(optimum - volumes[c - 1], 3) for c in checkpoints], f"{seconds:.0f} s", flush=True)
        rows.append([name, *(f"{statistics.median(regrets[c]):.3f}" for c in checkpoints), f"{statistics.median(cpu):.0f}"])
    print(f"\n{args.problem.upper()}, 3 objectives, {args.dims} dimensions; front hypervolume {optimum:.4f}; seeds "
          f"{args.first_seed}-{args.first_seed + args.seeds - 1}\n")
    print(markdown_table(["sampler", *(f"regret at {c} (median)" for c in checkpoints), "CPU s per study"], rows))


if __name__ == "__main__":
    main()
