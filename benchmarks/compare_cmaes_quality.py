"""CMA-ES quality: fasthpo's CmaEsSampler against Optuna's (no restarts) and against the
raw ``cmaes`` library with the same IPOP restarts (multimodal functions); with
``--rotated``, against Optuna on rotated ill-conditioned problems (1500 trials in 10-D,
3000 in 20-D), where the covariance has the most to learn.

    python benchmarks/compare_cmaes_quality.py --seeds 10 --budget 1000 --restart-budget 20000
    python benchmarks/compare_cmaes_quality.py --rotated --seeds 20
"""

from __future__ import annotations

import argparse
import math
import statistics
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy.stats import wilcoxon

from harness import markdown_table, one_sided_p
from problems import ROTATED_BOX, rotated_function

LOW, HIGH = -5.12, 5.12


def sphere(x):
    return float(np.sum(x * x))


def ellipsoid(x):
    return float(np.sum(10 ** (6 * np.arange(len(x)) / max(len(x) - 1, 1)) * x * x))


def rosenbrock(x):
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def rastrigin(x):
    return float(10 * len(x) + np.sum(x * x - 10 * np.cos(2 * np.pi * x)))


def schwefel_like(x):
    """Schwefel 2.26 rescaled to [-5.12, 5.12] (x * 500 / 5.12), minimum 0 near the corner."""
    z = x * 500 / 5.12
    return float(418.9829 * len(x) - np.sum(z * np.sin(np.sqrt(np.abs(z)))))


FUNCTIONS = {"sphere": sphere, "ellipsoid": ellipsoid, "rosenbrock": rosenbrock, "rastrigin": rastrigin,
             "schwefel": schwefel_like}


ROTATED = ("ellipsoid", "rosenbrock", "rastrigin")


def run_sampler(lib: str, name: str, d: int, seed: int, budget: int, restart: str | None) -> float:
    """Best value of one study; ``rotated-<kind>`` names a :func:`problems.rotated_function`."""
    if name.startswith("rotated-"):
        f, (low, high) = rotated_function(name.removeprefix("rotated-"), d), ROTATED_BOX
    else:
        f, low, high = FUNCTIONS[name], LOW, HIGH

    def objective(trial):
        return f(np.array([trial.suggest_float(f"x{i}", low, high) for i in range(d)]))

    if lib == "fasthpo":
        import fasthpo

        study = fasthpo.create_study(sampler=fasthpo.samplers.CmaEsSampler(seed=seed, restart_strategy=restart))
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=seed, restart_strategy=restart))
    study.optimize(objective, n_trials=budget)
    return float(study.best_value)


def run_raw_as_optuna(name: str, d: int, seed: int, budget: int) -> float:
    """The ``cmaes`` library set up as Optuna's CmaEsSampler sets it up (unit cube, mean at
    the centre, sigma 1/6, 10 d resamplings before clipping, one random start-up trial):
    Optuna's optimizer without its per-trial overhead, for runs too long to repeat
    through Optuna itself."""
    import cmaes

    f, (low, high) = rotated_function(name.removeprefix("rotated-"), d), ROTATED_BOX
    rng = np.random.default_rng(seed)
    best = f(low + rng.random(d) * (high - low))
    optimizer = cmaes.CMA(mean=np.full(d, 0.5), sigma=1 / 6, bounds=np.tile([0.0, 1.0], (d, 1)), seed=seed + 1,
                          n_max_resampling=10 * d)
    evaluations = 1
    while evaluations < budget:
        solutions = []
        for _ in range(optimizer.population_size):
            x = optimizer.ask()
            value = f(low + x * (high - low))
            best = min(best, value) if evaluations < budget else best
            evaluations += 1
            solutions.append((x, value))
        optimizer.tell(solutions)
    return best


def run_raw_ipop(name: str, d: int, seed: int, budget: int) -> float:
    """The cmaes library with IPOP restarts (popsize doubled, a uniform random mean)."""
    import cmaes

    f = FUNCTIONS[name]
    rng = np.random.default_rng(seed)
    bounds = np.tile([LOW, HIGH], (d, 1))
    popsize, evaluations, best = None, 0, math.inf
    while evaluations < budget:
        optimizer = cmaes.CMA(mean=rng.uniform(LOW, HIGH, d), sigma=(HIGH - LOW) / 6, bounds=bounds,
                              seed=int(rng.integers(2**31)), population_size=popsize)
        popsize = optimizer.population_size
        while evaluations < budget and not optimizer.should_stop():
            solutions = []
            for _ in range(optimizer.population_size):
                x = optimizer.ask()
                value = f(x)
                best = min(best, value)
                solutions.append((x, value))
            evaluations += optimizer.population_size
            optimizer.tell(solutions)
        popsize *= 2
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--restart-budget", type=int, default=20000)
    parser.add_argument("--dims", type=int, default=10)
    parser.add_argument("--restart-dims", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--restarts-only", action="store_true", help="skip the comparison without restarts")
    parser.add_argument("--rotated", action="store_true", help="only the rotated problems against Optuna")
    parser.add_argument("--rotated-runs", nargs="+", default=["10:1500", "20:3000"], help="dims:trials")
    parser.add_argument("--against", choices=["optuna", "cmaes"], default="optuna",
                        help="with --rotated: Optuna's sampler, or the cmaes library set up as Optuna does")
    parser.add_argument("--first-seed", type=int, default=0, help="with --rotated: seeds first-seed, first-seed + 1 ...")
    parser.add_argument("--kinds", nargs="+", default=list(ROTATED), help="with --rotated: which rotated functions")
    args = parser.parse_args()
    if args.rotated:
        compare_rotated(args)
        return
    plain = [] if args.restarts_only else [
        (lib, name, args.dims, s, args.budget, None) for name in ("sphere", "ellipsoid", "rosenbrock", "rastrigin")
        for s in range(args.seeds) for lib in ("fasthpo", "optuna")]
    restarts = [("fasthpo", name, args.restart_dims, s, args.restart_budget, "ipop")
                for name in ("rastrigin", "schwefel") for s in range(args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        plain_results = dict(zip(plain, pool.map(run_sampler, *zip(*plain)))) if plain else {}
        ours_restart = dict(zip(restarts, pool.map(run_sampler, *zip(*restarts))))
        raw = [(name, args.restart_dims, s, args.restart_budget) for name in ("rastrigin", "schwefel")
               for s in range(args.seeds)]
        raw_results = dict(zip(raw, pool.map(run_raw_ipop, *zip(*raw))))
    rows = []
    for name in () if args.restarts_only else ("sphere", "ellipsoid", "rosenbrock", "rastrigin"):
        ours = [plain_results[("fasthpo", name, args.dims, s, args.budget, None)] for s in range(args.seeds)]
        theirs = [plain_results[("optuna", name, args.dims, s, args.budget, None)] for s in range(args.seeds)]
        diff = np.array(ours) - np.array(theirs)
        p_value = 1.0 if np.all(diff == 0) else float(wilcoxon(diff).pvalue)
        rows.append([f"{name}-{args.dims}d", f"{statistics.median(ours):.3g}", f"{statistics.median(theirs):.3g}",
                     f"{p_value:.2f}"])
    if rows:
        print(f"No restarts, {args.budget} trials, {args.seeds} seeds (two-sided Wilcoxon: large p = no difference)\n")
        print(markdown_table(["problem", "fasthpo median best", "optuna median best", "p"], rows))
    rows = []
    for name in ("rastrigin", "schwefel"):
        ours = [ours_restart[("fasthpo", name, args.restart_dims, s, args.restart_budget, "ipop")]
                for s in range(args.seeds)]
        theirs = [raw_results[(name, args.restart_dims, s, args.restart_budget)] for s in range(args.seeds)]
        rows.append([f"{name}-{args.restart_dims}d", f"{sum(v < 1e-2 for v in ours)} / {args.seeds}",
                     f"{sum(v < 1e-2 for v in theirs)} / {args.seeds}", f"{statistics.median(ours):.3g}",
                     f"{statistics.median(theirs):.3g}"])
    print(f"\nIPOP restarts, {args.restart_budget} evaluations: runs reaching the global optimum (best < 0.01)\n")
    print(markdown_table(["problem", "fasthpo", "cmaes library", "fasthpo median best", "cmaes median best"], rows))


def run_rotated(lib: str, name: str, d: int, seed: int, budget: int, restart: None) -> float:
    if lib == "cmaes":
        return run_raw_as_optuna(name, d, seed, budget)
    return run_sampler(lib, name, d, seed, budget, restart)


def compare_rotated(args) -> None:
    """fasthpo against Optuna (or its optimizer) on the rotated problems, paired by seed."""
    runs = [tuple(int(v) for v in r.split(":")) for r in args.rotated_runs]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(lib, f"rotated-{kind}", d, s, budget, None) for d, budget in runs for kind in args.kinds
            for s in seeds for lib in ("fasthpo", args.against)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = dict(zip(jobs, pool.map(run_rotated, *zip(*jobs))))
    rows = []
    for d, budget in runs:
        for kind in args.kinds:
            ours, theirs = ([results[(lib, f"rotated-{kind}", d, s, budget, None)] for s in seeds]
                            for lib in ("fasthpo", args.against))
            rows.append([f"rotated-{kind}-{d}d", budget, f"{statistics.median(ours):.3g}",
                         f"{statistics.median(theirs):.3g}", f"{one_sided_p(ours, theirs):.3f}",
                         f"{one_sided_p(theirs, ours):.3f}"])
    print(f"Rotated problems, seeds {seeds.start}..{seeds.stop - 1}, no restarts (one-sided paired Wilcoxon)\n")
    print(markdown_table(["problem", "trials", "fasthpo median best", f"{args.against} median best",
                          "p (fasthpo worse)", "p (fasthpo better)"], rows))


if __name__ == "__main__":
    main()
