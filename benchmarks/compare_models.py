"""Tuning real models: FasthpoSearchCV against RandomizedSearchCV and OptunaSearchCV,
and boosting rounds spent with and without the LightGBM/XGBoost pruning callbacks.

    PYTHONPATH=src python benchmarks/compare_models.py search --seeds 10 --trials 20
    PYTHONPATH=src python benchmarks/compare_models.py overhead --trials 200
    PYTHONPATH=src python benchmarks/compare_models.py pruning --seeds 3 --trials 40

``search``: an RBF SVC on the digits data (C and gamma on log scales, 3-fold CV), each
method given the same number of candidates (fits) and the same seed; the best
cross-validated accuracy, paired over seeds (one-sided Wilcoxon: "fasthpo is better",
and two-sided against Optuna). ``overhead``: a model whose fit costs nothing
(DummyClassifier on 60 rows, 2 folds), so the time per trial is the search's own.
``pruning``: the two examples' objectives, with NopPruner and with MedianPruner: at the
same number of trials, and at the same number of boosting rounds (the pruned study goes
on until it has spent what the unpruned one did).
OptunaSearchCV comes from the optuna-integration package (benchmark environment only).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import loguniform, wilcoxon
from threadpoolctl import threadpool_limits

from harness import markdown_table, one_sided_p

import fasthpo
from fasthpo.distributions import FloatDistribution
from fasthpo.integration.sklearn import FasthpoSearchCV

ROOT = Path(__file__).resolve().parents[1]


def svc_problem():
    from sklearn.datasets import load_digits
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    return SVC(), X / 16.0, y, {"C": (1e-2, 1e3), "gamma": (1e-5, 1e1)}


def run_search(method: str, estimator, X, y, ranges, n_trials: int, seed: int, cv: int):
    if method == "fasthpo":
        space = {k: FloatDistribution(lo, hi, log=True) for k, (lo, hi) in ranges.items()}
        return FasthpoSearchCV(estimator, space, cv=cv, n_trials=n_trials, random_state=seed).fit(X, y)
    if method == "random":
        from sklearn.model_selection import RandomizedSearchCV

        space = {k: loguniform(lo, hi) for k, (lo, hi) in ranges.items()}
        return RandomizedSearchCV(estimator, space, n_iter=n_trials, cv=cv, random_state=seed).fit(X, y)
    import optuna
    from optuna_integration import OptunaSearchCV

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {k: optuna.distributions.FloatDistribution(lo, hi, log=True) for k, (lo, hi) in ranges.items()}
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    return OptunaSearchCV(estimator, space, cv=cv, n_trials=n_trials, study=study, random_state=seed).fit(X, y)


def search(args) -> None:
    estimator, X, y, ranges = svc_problem()
    scores = {m: [] for m in ("fasthpo", "random", "optuna")}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for method in scores:
            scores[method].append(run_search(method, estimator, X, y, ranges, args.trials, seed, 3).best_score_)
        print(f"seed {seed}: " + ", ".join(f"{m} {s[-1]:.4f}" for m, s in scores.items()), flush=True)
    rows = [[m, f"{statistics.median(s):.4f}", f"{np.mean(s):.4f}", f"{min(s):.4f}"] for m, s in scores.items()]
    print(markdown_table(["search", "median best CV accuracy", "mean", "worst seed"], rows))
    f, r, o = (np.array(scores[m]) for m in ("fasthpo", "random", "optuna"))
    # differences rounded to 1e-9 so that equal differences tie in the signed ranks
    d_r, d_o = np.round(f - r, 9), np.round(f - o, 9)
    zero = np.zeros_like(d_r)
    print(f"fasthpo > RandomizedSearchCV: wins/ties/losses {np.sum(d_r > 0)}/{np.sum(d_r == 0)}/{np.sum(d_r < 0)}, "
          f"one-sided Wilcoxon p = {one_sided_p(d_r, zero):.3g} (fasthpo worse: p = {one_sided_p(zero, d_r):.3g}), "
          f"mean difference {np.mean(d_r):+.4f}")
    p_two = 1.0 if np.all(d_o == 0) else float(wilcoxon(d_o).pvalue)
    print(f"fasthpo vs OptunaSearchCV(TPE): wins/ties/losses {np.sum(d_o > 0)}/{np.sum(d_o == 0)}/{np.sum(d_o < 0)}, "
          f"two-sided Wilcoxon p = {p_two:.3g}, mean difference {np.mean(d_o):+.4f}")


def overhead(args) -> None:
    from sklearn.dummy import DummyClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    ranges = {"constant": (0.1, 1.0)}  # a dummy float parameter: Dummy ignores it below

    class Dummy(DummyClassifier):
        def __init__(self, strategy="prior", constant=None):
            super().__init__(strategy=strategy, constant=constant)

        def fit(self, X, y, sample_weight=None):
            saved, self.constant = self.constant, None
            super().fit(X, y, sample_weight)
            self.constant = saved
            return self

    rows = []
    for method in ("fasthpo", "optuna", "random"):
        times = []
        for seed in range(args.repeats):
            start = time.perf_counter()
            run_search(method, Dummy(), X, y, ranges, args.trials, seed, 2)
            times.append((time.perf_counter() - start) / args.trials * 1e3)
        rows.append([method, f"{statistics.median(times):.2f}"])
        print(rows[-1], flush=True)
    base = float(rows[0][1])
    rows = [r + [f"{float(r[1]) / base:.2f}x"] for r in rows]
    print(markdown_table(["search", f"ms per trial ({args.trials} trials, median of {args.repeats})", "vs fasthpo"], rows))


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(trials) -> float:
    return min(t.value for t in trials if t.state == fasthpo.TrialState.COMPLETE)


def pruning(args) -> None:
    for name in ("lightgbm_pruning", "xgboost_pruning"):
        example = load_example(name)
        rows, pairs = [], []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            nop = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=seed), pruner=fasthpo.pruners.NopPruner())
            nop.optimize(example.make_objective(args.rounds, seed), n_trials=args.trials)
            budget = sum(len(t.intermediate_values) for t in nop.trials)
            pruned = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=seed),
                                          pruner=fasthpo.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10))

            def stop_at_budget(study, trial):  # equal budget: as many boosting rounds as without pruning
                if trial.number + 1 >= args.trials and sum(len(t.intermediate_values) for t in study.trials) >= budget:
                    study.stop()

            pruned.optimize(example.make_objective(args.rounds, seed), n_trials=20 * args.trials, callbacks=[stop_at_budget])
            first = pruned.trials[:args.trials]
            spent = sum(len(t.intermediate_values) for t in first)
            pairs.append((budget, best_of(nop.trials), spent, best_of(first), len(pruned.trials), best_of(pruned.trials)))
            rows.append([seed, budget, f"{pairs[-1][1]:.4f}", spent, f"{pairs[-1][3]:.4f}", len(pruned.trials),
                         f"{pairs[-1][5]:.4f}"])
            print(rows[-1], flush=True)
        print(f"\n{name} ({args.trials} trials, at most {args.rounds} rounds each, early stopping 20)")
        print(markdown_table(["seed", "rounds, no pruning", "best log loss, no pruning",
                              f"rounds, MedianPruner ({args.trials} trials)", f"best, MedianPruner ({args.trials} trials)",
                              "MedianPruner trials in the same rounds", "best, MedianPruner (same rounds)"], rows))
        p = np.array(pairs)
        print(f"rounds with pruning / without (same trials): {p[:, 2].sum() / p[:, 0].sum():.2f}; best log loss "
              f"with pruning <= without: same trials {np.sum(p[:, 3] <= p[:, 1])}/{args.seeds} seeds, "
              f"same rounds {np.sum(p[:, 5] <= p[:, 1])}/{args.seeds} seeds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("search", "overhead", "pruning"):
        p = sub.add_parser(name)
        p.add_argument("--trials", type=int, default={"search": 20, "overhead": 200, "pruning": 40}[name])
        p.add_argument("--seeds", type=int, default=10 if name == "search" else 3)
        p.add_argument("--first-seed", type=int, default=0)
        p.add_argument("--repeats", type=int, default=3)
        p.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with threadpool_limits(1):
        {"search": search, "overhead": overhead, "pruning": pruning}[args.command](args)


if __name__ == "__main__":
    main()
