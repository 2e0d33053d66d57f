"""GP Bayesian optimization: fasthpo's GPSampler against Optuna 5's (which needs torch).

Speed: each library's GPSampler with ``n_startup_trials=N`` (the history is its random
start-up), then ``--window`` GP suggestions timed one by one::

    python benchmarks/compare_gp.py speed --sizes 100 300 1000 --dims 5 20

Whole study: each library's GPSampler with its defaults (10 random start-up trials, then
its own refit policy) on a sphere, ``N`` trials in ``d`` dimensions, wall and CPU time
of the whole ``optimize`` call, ``--repeats`` runs (median); ``OMP_NUM_THREADS=1`` is
Optuna's advice for its fastest GP (torch's threads otherwise fight BLAS's)::

    OMP_NUM_THREADS=1 python benchmarks/compare_gp.py study --studies 120x5 300x20

Quality: best value after ``--budget`` trials on the functions below, ``--seeds`` seeds,
paired one-sided Wilcoxon tests of "fasthpo's GP is worse than Optuna's GP", "worse
than fasthpo's TPE" and "better than fasthpo's TPE"::

    python benchmarks/compare_gp.py quality --budget 60 --seeds 10 --jobs 2

``--problems griewank-10d --first-seed 10`` reruns a subset on fresh seeds;
``--workers 4`` runs every study as 4 parallel workers (batches of 4 asks, then 4 tells),
where the samplers' handling of running trials decides. ``--libs fasthpo fasthpo-hedge``
compares GP-Hedge with log EI (also ``fasthpo-PI``, ``fasthpo-UCB``): paired tests of
"hedge worse than log EI" and "hedge better than log EI"::

    python benchmarks/compare_gp.py quality --libs fasthpo fasthpo-hedge --seeds 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor


from harness import markdown_table, one_sided_p
from problems import ackley, branin, griewank, levy, mixed, rastrigin, rosenbrock, sphere, styblinski_tang

SUITE = [branin(), sphere(5), rosenbrock(4), styblinski_tang(5), levy(5), ackley(5), rastrigin(3), griewank(10),
         sphere(20), mixed()]


def sampler_for(lib: str, seed: int, n_startup: int | None = None):
    if lib == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        kwargs = {} if n_startup is None else {"n_startup_trials": n_startup}
        return optuna.samplers.GPSampler(seed=seed, **kwargs)
    import fasthpo

    kwargs = {} if n_startup is None else {"n_startup_trials": n_startup}
    if lib == "fasthpo-tpe":
        return fasthpo.samplers.TPESampler(seed=seed, **kwargs)
    acquisition = lib.split("-")[1] if "-" in lib else "logEI"
    return fasthpo.samplers.GPSampler(seed=seed, acquisition=acquisition, **kwargs)


def create(lib: str, sampler):
    if lib == "optuna":
        import optuna

        return optuna.create_study(sampler=sampler)
    import fasthpo

    return fasthpo.create_study(sampler=sampler)


def time_asks(lib: str, d: int, size: int, window: int, seed: int) -> tuple[float, float]:
    objective = sphere(d).objective
    study = create(lib, sampler_for(lib, seed, n_startup=size))
    study.optimize(objective, n_trials=size)
    samples = []
    for _ in range(window):
        start = time.perf_counter()
        trial = study.ask()
        value = objective(trial)
        samples.append(time.perf_counter() - start)
        study.tell(trial, value)
    return statistics.median(samples), statistics.mean(samples)


def best_after(lib: str, index: int, seed: int, budget: int, workers: int = 1) -> float:
    """Best value after ``budget`` trials, run by ``workers`` workers that start together:
    each batch asks ``workers`` trials (each suggestion sees the batch's earlier ones
    running), then tells them all."""
    study = create(lib, sampler_for(lib, seed))
    objective = SUITE[index].objective
    for start in range(0, budget, workers):
        trials = [study.ask() for _ in range(min(workers, budget - start))]
        values = [objective(trial) for trial in trials]
        for trial, value in zip(trials, values):
            study.tell(trial, value)
    return float(study.best_value)


def study_seconds(lib: str, d: int, n_trials: int, seed: int) -> tuple[float, float]:
    """Wall and CPU seconds (this process, every thread) of a whole study."""
    objective = sphere(d).objective
    study = create(lib, sampler_for(lib, seed))
    wall, cpu = time.perf_counter(), time.process_time()
    study.optimize(objective, n_trials=n_trials)
    return time.perf_counter() - wall, time.process_time() - cpu


def whole_study(args) -> None:
    rows = []
    for spec in args.studies:
        n_trials, d = (int(part) for part in spec.split("x"))
        times = {}
        for lib in ("fasthpo", "optuna"):
            runs = [study_seconds(lib, d, n_trials, args.seed + r) for r in range(args.repeats)]
            times[lib] = tuple(statistics.median(run[k] for run in runs) for k in (0, 1))
        print(f"{spec}: {times}", file=sys.stderr, flush=True)
        ours, theirs = times["fasthpo"], times["optuna"]
        rows.append([f"{n_trials:,}", d, f"{ours[0]:.2f} / {ours[1]:.2f}", f"{theirs[0]:.2f} / {theirs[1]:.2f}",
                     f"{theirs[0] / ours[0]:.1f}×", f"{theirs[1] / ours[1]:.1f}×"])
    print(f"\nwhole study, sphere, defaults (10 start-up trials), median of {args.repeats}, seconds\n")
    print(markdown_table(["trials", "d", "fasthpo wall / CPU", "optuna wall / CPU", "ratio (wall)", "ratio (CPU)"],
                         rows))


def speed(args) -> None:
    rows = []
    for d in args.dims:
        for size in args.sizes:
            ours = time_asks("fasthpo", d, size, args.window, args.seed)
            theirs = time_asks("optuna", d, size, max(2, args.window // 2), args.seed)
            print(f"d={d} n={size}: fasthpo {ours} s, optuna {theirs} s", file=sys.stderr, flush=True)
            rows.append([d, f"{size:,}", f"{ours[0] * 1e3:.0f} / {ours[1] * 1e3:.0f}",
                         f"{theirs[0] * 1e3:.0f} / {theirs[1] * 1e3:.0f}", f"{theirs[0] / ours[0]:.1f}×",
                         f"{theirs[1] / ours[1]:.1f}×"])
    print("\nms per GP suggestion (median / mean; the first suggestion after the start-up fits the\n"
          "hyperparameters from scratch), sphere, history = random start-up trials\n")
    print(markdown_table(["d", "trials", "fasthpo ms", "optuna ms", "optuna / fasthpo (median)",
                          "(mean)"], rows))


def quality(args) -> None:
    libs = tuple(args.libs)
    selected = [i for i, problem in enumerate(SUITE) if problem.name in args.problems]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(lib, i, s) for i in selected for s in seeds for lib in libs]
    best = {}
    with ProcessPoolExecutor(args.jobs) as pool:
        results = pool.map(best_after, *zip(*jobs), [args.budget] * len(jobs), [args.workers] * len(jobs))
        for (lib, i, seed), value in zip(jobs, results):  # as they come, for reruns and other tests
            best[(lib, i, seed)] = value
            print(f"{lib} {SUITE[i].name} seed {seed}: {value!r}", file=sys.stderr, flush=True)
    rows = []
    names = {"fasthpo": "fasthpo GP", "optuna": "optuna GP", "fasthpo-tpe": "fasthpo TPE",
             "fasthpo-hedge": "GP hedge", "fasthpo-PI": "GP PI", "fasthpo-UCB": "GP UCB"}
    tests = [(a, b, f"p({names[a]} worse than {names[b]})") for a, b in
             [("fasthpo", "optuna"), ("fasthpo", "fasthpo-tpe"), ("fasthpo-tpe", "fasthpo"),
              ("fasthpo-hedge", "fasthpo"), ("fasthpo", "fasthpo-hedge")] if {a, b} <= set(libs)]
    for i in selected:
        per = {lib: [best[(lib, i, s)] for s in seeds] for lib in libs}
        rows.append([SUITE[i].name] + [f"{statistics.median(per[lib]):.4g}" for lib in libs]
                    + [f"{one_sided_p(per[a], per[b]):.2f}" for a, b, _ in tests])
    workers = f", {args.workers} parallel workers" if args.workers > 1 else ""
    print(f"\n{args.seeds} seeds, {args.budget} trials each{workers}; medians of the best value (lower is better)\n")
    print(markdown_table(["problem"] + [names[lib] for lib in libs] + [title for _, _, title in tests], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["speed", "study", "quality"])
    parser.add_argument("--studies", nargs="+", default=["120x5", "300x20"], help="TRIALSxDIMS")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--dims", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--window", type=int, default=5)
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="parallel workers simulated by batched ask/tell")
    parser.add_argument("--problems", nargs="+", choices=[p.name for p in SUITE], default=[p.name for p in SUITE])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--libs", nargs="+",
                        choices=["fasthpo", "optuna", "fasthpo-tpe", "fasthpo-hedge", "fasthpo-PI", "fasthpo-UCB"],
                        default=["fasthpo", "optuna", "fasthpo-tpe"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    {"speed": speed, "study": whole_study, "quality": quality}[args.mode](args)


if __name__ == "__main__":
    main()
