"""Tune scikit-learn's SGDClassifier epoch by epoch, with and without pruning.

Each trial trains with ``partial_fit`` for up to ``--epochs`` epochs on the digits data
that ships with scikit-learn, reporting the validation accuracy after every epoch. Both
runs get the same wall-clock budget; the pruned one stops hopeless trials early
(MedianPruner) and so tries more configurations.

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/sgd_pruning.py --seconds 30
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import fasthpo

try:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs scikit-learn: from a fasthpo checkout, pip install '.[examples]'") from exc


def make_objective(epochs: int):
    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_valid = scaler.transform(X_train), scaler.transform(X_valid)
    classes = np.unique(y)

    def objective(trial: fasthpo.Trial) -> float:
        model = SGDClassifier(
            loss=trial.suggest_categorical("loss", ["hinge", "log_loss", "modified_huber"]),
            alpha=trial.suggest_float("alpha", 1e-7, 1e0, log=True),
            learning_rate=trial.suggest_categorical("learning_rate", ["optimal", "constant", "invscaling"]),
            eta0=trial.suggest_float("eta0", 1e-5, 1e0, log=True),
            random_state=trial.number,
        )
        rng = np.random.default_rng(trial.number)
        accuracy = 0.0
        for epoch in range(epochs):
            order = rng.permutation(len(X_train))
            model.partial_fit(X_train[order], y_train[order], classes=classes)
            accuracy = model.score(X_valid, y_valid)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise fasthpo.TrialPruned()
        return accuracy

    return objective


def run(pruner: fasthpo.pruners.BasePruner, seconds: float, epochs: int, seed: int) -> dict:
    print(f"{type(pruner).__name__} for {seconds:g} s:")
    study = fasthpo.create_study(direction="maximize", sampler=fasthpo.samplers.TPESampler(seed=seed), pruner=pruner)
    start = time.perf_counter()
    study.optimize(make_objective(epochs), timeout=seconds, show_progress_bar=True)
    states = [t.state for t in study.trials]
    return {
        "pruner": type(pruner).__name__,
        "trials": len(states),
        "complete": states.count(fasthpo.TrialState.COMPLETE),
        "pruned": states.count(fasthpo.TrialState.PRUNED),
        "best accuracy": study.best_value,
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = [run(fasthpo.pruners.NopPruner(), args.seconds, args.epochs, args.seed),
            run(fasthpo.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3), args.seconds, args.epochs,
                args.seed)]
    print("| pruner | trials | complete | pruned | best validation accuracy | wall clock (s) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pruner']} | {r['trials']} | {r['complete']} | {r['pruned']} | {r['best accuracy']:.4f} | "
              f"{r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
