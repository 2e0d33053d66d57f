"""Parallel workers sharing one study through a journal file.

Start the same script several times; every process joins the study named ``--study``
in the journal file ``--storage`` (creating it if it is the first) and runs its own
trials. Each process reads what the others wrote before it samples, so the TPE sampler
of every worker sees every trial::

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/parallel_workers.py --storage tune.log --trials 30 &
    python examples/parallel_workers.py --storage tune.log --trials 30 &
    wait
    python examples/parallel_workers.py --storage tune.log --summary

The objective tunes a gradient-boosting regressor on the diabetes data that ships with
scikit-learn (cross-validated R^2, maximized).
"""

from __future__ import annotations

import argparse
import os

try:
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import cross_val_score
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs scikit-learn: from a fasthpo checkout, pip install '.[examples]'") from exc

import fasthpo


def objective(trial: fasthpo.Trial) -> float:
    X, y = load_diabetes(return_X_y=True)
    model = HistGradientBoostingRegressor(
        learning_rate=trial.suggest_float("learning_rate", 1e-3, 0.5, log=True),
        max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 2, 64, log=True),
        min_samples_leaf=trial.suggest_int("min_samples_leaf", 2, 100, log=True),
        l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
        max_iter=50,
        random_state=0,
    )
    return float(cross_val_score(model, X, y, cv=3, scoring="r2").mean())


def report_progress(study: fasthpo.Study, trial: fasthpo.FrozenTrial) -> None:
    print(f"worker {os.getpid()}: trial {trial.number} R^2={trial.value:.4f} (best so far {study.best_value:.4f})",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="tune.log", help="the journal file the workers share")
    parser.add_argument("--study", default="parallel-workers")
    parser.add_argument("--trials", type=int, default=30, help="trials this worker runs")
    parser.add_argument("--summary", action="store_true", help="print the shared study's result and exit")
    args = parser.parse_args()
    if args.summary:
        study = fasthpo.load_study(study_name=args.study, storage=args.storage)
        complete = study.get_trials(states=[fasthpo.TrialState.COMPLETE])
        print(f"{len(complete)} complete trials, best R^2 {study.best_value:.4f} with {study.best_params}")
        return
    study = fasthpo.create_study(study_name=args.study, storage=args.storage, direction="maximize", load_if_exists=True)
    study.optimize(objective, n_trials=args.trials, callbacks=[report_progress])


if __name__ == "__main__":
    main()
