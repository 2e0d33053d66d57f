"""Tune LightGBM with and without pruning, and count the boosting rounds spent.

Each trial trains a booster on the breast-cancer data that ships with scikit-learn and
reports the validation log loss every round (LightGBMPruningCallback); early stopping
ends a trial that stops improving. Both runs use the same sampler seed and number of
trials; the pruned one stops unpromising trials after a few rounds (MedianPruner).

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/lightgbm_pruning.py --trials 60
"""

from __future__ import annotations

import argparse
import time

try:
    import lightgbm as lgb
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs lightgbm and scikit-learn: from a fasthpo checkout, "
                     "pip install '.[examples]'") from exc

import fasthpo
from fasthpo.integration.lightgbm import LightGBMPruningCallback


def make_objective(rounds: int, seed: int):
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    # Built once for every trial: feature_pre_filter=False lets each trial set its own min_child_samples.
    train = lgb.Dataset(X_train, y_train, params={"feature_pre_filter": False})
    valid = lgb.Dataset(X_valid, y_valid, reference=train)

    def objective(trial: fasthpo.Trial) -> float:
        params = {
            "objective": "binary",
            "metric": "binary_logloss",
            "verbosity": -1,
            "num_threads": 1,
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 2, 64, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 5, 100, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
        }
        booster = lgb.train(
            params, train, num_boost_round=rounds, valid_sets=[valid],
            callbacks=[LightGBMPruningCallback(trial, "binary_logloss"), lgb.early_stopping(20, verbose=False)],
        )
        return booster.best_score["valid_0"]["binary_logloss"]

    return objective


def run(pruner: fasthpo.pruners.BasePruner, trials: int, rounds: int, seed: int) -> dict:
    print(f"{type(pruner).__name__}:")
    study = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=seed), pruner=pruner)
    start = time.perf_counter()
    study.optimize(make_objective(rounds, seed), n_trials=trials, show_progress_bar=True)
    return {
        "pruner": type(pruner).__name__,
        "pruned": len(study.get_trials(states=[fasthpo.TrialState.PRUNED])),
        "rounds": sum(len(t.intermediate_values) for t in study.trials),
        "best": study.best_value,
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=300, help="most boosting rounds per trial")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [
        run(fasthpo.pruners.NopPruner(), args.trials, args.rounds, args.seed),
        run(fasthpo.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10), args.trials, args.rounds, args.seed),
    ]
    print("| pruner | trials pruned | boosting rounds spent | best validation log loss | wall clock (s) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pruner']} | {r['pruned']} | {r['rounds']} | {r['best']:.4f} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
