"""Parameter importance: fasthpo's PED-ANOVA against Optuna 5's on the same history.

A random-search history of ``n`` trials over 20 float parameters in [-1, 1] is built once
(fasthpo ``add_trials``) and converted with ``to_optuna``. The objective is
``sum_i w_i * x_i**2`` with weights 2**-i, so the true ranking is x0, x1, x2, ... Timed:
``get_param_importances(study)`` end to end (reading the study's trials included), median of
``--repeats`` runs after a warm-up on a small study; Optuna 5's default evaluator is its
PedAnovaImportanceEvaluator, so one column times both. fANOVA (ours and Optuna's) is timed
once on a smaller study.

    python benchmarks/compare_importance.py --trials 10000 100000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

import fasthpo
from fasthpo.importance import FanovaImportanceEvaluator, get_param_importances
from fasthpo.integration.optuna import to_optuna

N_PARAMS = 20


def history(n_trials: int, seed: int = 0) -> fasthpo.Study:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n_trials, N_PARAMS))
    values = (X**2) @ (2.0 ** -np.arange(N_PARAMS))
    names = [f"x{i:02d}" for i in range(N_PARAMS)]
    distribution = fasthpo.FloatDistribution(-1, 1)
    study = fasthpo.create_study()
    study.add_trials(
        fasthpo.create_trial(params=dict(zip(names, row.tolist())), distributions=dict.fromkeys(names, distribution),
                             value=float(v))
        for row, v in zip(X, values)
    )
    return study


def timed(function, repeats: int) -> tuple[float, dict]:
    """Median seconds of ``repeats`` calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fanova-trials", type=int, default=2_000)
    args = parser.parse_args()
    warm = history(100)  # first uses import modules: not part of the timing
    get_param_importances(warm)
    optuna.importance.get_param_importances(to_optuna(warm))
    print("| trials | fasthpo PED-ANOVA (s) | Optuna PED-ANOVA = default (s) | ratio | top-3 fasthpo | top-3 Optuna | max abs diff |")
    print("|---:|---:|---:|---:|---|---|---:|")
    for n in args.trials:
        ours_study = history(n)
        theirs_study = to_optuna(ours_study)
        ours_time, ours = timed(lambda: get_param_importances(ours_study), args.repeats)
        theirs_time, theirs = timed(lambda: optuna.importance.get_param_importances(theirs_study), args.repeats)
        diff = max(abs(ours[k] - theirs[k]) for k in theirs)
        print(f"| {n} | {ours_time:.3f} | {theirs_time:.2f} | {theirs_time / ours_time:.0f}x | "
              f"{', '.join(list(ours)[:3])} | {', '.join(list(theirs)[:3])} | {diff:.1e} |")
    n = args.fanova_trials
    ours_study = history(n)
    theirs_study = to_optuna(ours_study)
    ours_time, ours = timed(lambda: get_param_importances(ours_study, evaluator=FanovaImportanceEvaluator(seed=0)), 1)
    theirs_time, theirs = timed(
        lambda: optuna.importance.get_param_importances(
            theirs_study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)), 1)
    print(f"\nfANOVA (64 trees), {n} trials: fasthpo {ours_time:.2f} s (top-3 {', '.join(list(ours)[:3])}), "
          f"Optuna {theirs_time:.2f} s (top-3 {', '.join(list(theirs)[:3])})")


if __name__ == "__main__":
    main()
