"""Tune a scikit-learn Pipeline (scaling, PCA, an SVM) with FasthpoSearchCV.

The digits data ships with scikit-learn. FasthpoSearchCV is used like
RandomizedSearchCV, with fasthpo distributions and a TPE sampler; the best pipeline is
refitted and scored on a held-out test set.

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/sklearn_pipeline.py --trials 40
"""

from __future__ import annotations

import argparse

try:
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs scikit-learn: from a fasthpo checkout, pip install '.[examples]'") from exc

from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.integration.sklearn import FasthpoSearchCV


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=args.seed, stratify=y)
    pipeline = Pipeline([("scale", StandardScaler()), ("pca", PCA()), ("svm", SVC())])
    space = {
        "pca__n_components": IntDistribution(5, 60),
        "svm__C": FloatDistribution(1e-2, 1e3, log=True),
        "svm__gamma": FloatDistribution(1e-5, 1e0, log=True),
        "svm__kernel": CategoricalDistribution(["rbf", "linear"]),
    }
    search = FasthpoSearchCV(pipeline, space, cv=3, n_trials=args.trials, random_state=args.seed,
                             show_progress_bar=True)
    print(f"Searching {len(space)} hyperparameters of {[name for name, _ in pipeline.steps]} with {args.trials} trials")
    search.fit(X_train, y_train)
    print(f"best cross-validated accuracy: {search.best_score_:.4f}")
    print(f"best parameters: {search.best_params_}")
    print(f"test accuracy of the refitted pipeline: {search.score(X_test, y_test):.4f}")


if __name__ == "__main__":
    main()
