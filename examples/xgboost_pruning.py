"""Tune XGBoost with and without pruning, and count the boosting rounds spent.

Each trial trains a booster on the breast-cancer data that ships with scikit-learn and
reports the validation log loss every round (XGBoostPruningCallback); early stopping
ends a trial that stops improving. Both runs use the same sampler seed and number of
trials; the pruned one stops unpromising trials after a few rounds (MedianPruner).

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/xgboost_pruning.py --trials 60
"""

from __future__ import annotations

import argparse
import time

try:
    import xgboost as xgb
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs xgboost and scikit-learn: from a fasthpo checkout, "
                     "pip install '.[examples]'") from exc

import fasthpo
from fasthpo.integration.xgboost import XGBoostPruningCallback


def make_objective(rounds: int, seed: int):
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)

    def objective(trial: fasthpo.Trial) -> float:
        model = xgb.XGBClassifier(
            n_estimators=rounds,
            learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
            max_depth=trial.suggest_int("max_depth", 1, 8),
            min_child_weight=trial.suggest_float("min_child_weight", 1e-2, 10.0, log=True),
            subsample=trial.suggest_float("subsample", 0.5, 1.0),
            reg_lambda=trial.suggest_float("reg_lambda", 1e-8, 10.0, log=True),
            eval_metric="logloss",
            early_stopping_rounds=20,
            n_jobs=1,
            callbacks=[XGBoostPruningCallback(trial, "validation_0-logloss")],
        )
        model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], verbose=False)
        return min(model.evals_result()["validation_0"]["logloss"])

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
