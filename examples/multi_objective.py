"""Trade accuracy against model size: the Pareto front of a random forest.

Two objectives on the digits data that ships with scikit-learn: maximize the
validation accuracy, minimize the number of tree nodes (the model's size, which sets
its memory and prediction latency). The study keeps every trial; ``best_trials`` is
the Pareto front, printed from the smallest model to the largest.

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/multi_objective.py --trials 60
"""

from __future__ import annotations

import argparse

try:
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs scikit-learn: from a fasthpo checkout, pip install '.[examples]'") from exc

import fasthpo


def make_objective(seed: int):
    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)

    def objective(trial: fasthpo.Trial) -> tuple[float, int]:
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("n_estimators", 1, 60, log=True),
            max_depth=trial.suggest_int("max_depth", 2, 16),
            max_features=trial.suggest_float("max_features", 0.05, 1.0),
            random_state=seed,
            n_jobs=1,
        ).fit(X_train, y_train)
        nodes = sum(tree.tree_.node_count for tree in model.estimators_)
        return model.score(X_valid, y_valid), nodes

    return objective


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    study = fasthpo.create_study(directions=["maximize", "minimize"], sampler=fasthpo.samplers.TPESampler(seed=args.seed))
    study.optimize(make_objective(args.seed), n_trials=args.trials, show_progress_bar=True)
    front = sorted(study.best_trials, key=lambda t: t.values[1])
    print(f"Pareto front: {len(front)} of {len(study.trials)} trials")
    print("| validation accuracy | tree nodes | n_estimators | max_depth | max_features |")
    print("|---|---|---|---|---|")
    for t in front:
        p = t.params
        print(f"| {t.values[0]:.4f} | {t.values[1]:.0f} | {p['n_estimators']} | {p['max_depth']} | {p['max_features']:.2f} |")


if __name__ == "__main__":
    main()
