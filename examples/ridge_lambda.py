"""Choose Ridge's regularization strength λ, and plot validation error against λ.

Degree-3 polynomial features of the diabetes data (which ships with scikit-learn) give
286 features for 331 training rows: with a small λ the model overfits, with a large λ it
underfits. The study searches λ on a log scale; the plot shows every trial's
validation error, the best λ marked, and the curve of a fine grid for reference.

    pip install ".[examples]"        # from a fasthpo checkout
    python examples/ridge_lambda.py --trials 40 --plot ridge_lambda.png
"""

from __future__ import annotations

import argparse

import numpy as np

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler
except ImportError as exc:  # pragma: no cover - the example's own extra
    raise SystemExit("This example needs scikit-learn and matplotlib: from a fasthpo checkout, "
                     "pip install '.[examples]'") from exc

import fasthpo


def make_validation_error(seed: int):
    X, y = load_diabetes(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.25, random_state=seed)

    def validation_error(lam: float) -> float:
        model = make_pipeline(PolynomialFeatures(3), StandardScaler(), Ridge(alpha=lam)).fit(X_train, y_train)
        return mean_squared_error(y_valid, model.predict(X_valid))

    return validation_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default="ridge_lambda.png", help="where to save the plot")
    args = parser.parse_args()
    validation_error = make_validation_error(args.seed)
    study = fasthpo.create_study(sampler=fasthpo.samplers.TPESampler(seed=args.seed))
    study.optimize(lambda trial: validation_error(trial.suggest_float("lambda", 1e-4, 1e5, log=True)),
                   n_trials=args.trials, show_progress_bar=True)
    best = study.best_params["lambda"]
    print(f"best λ = {best:.4g}, validation MSE {study.best_value:.1f}")

    grid = np.logspace(-4, 5, 60)
    lams = [t.params["lambda"] for t in study.trials]
    errors = [t.value for t in study.trials]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(grid, [validation_error(lam) for lam in grid], color="0.7", label="grid of 60 λ")
    ax.scatter(lams, errors, s=14, c=np.arange(len(lams)), cmap="viridis", label="trials (color: order)", zorder=3)
    ax.axvline(best, color="crimson", linestyle="--", label=f"best λ = {best:.3g}")
    ax.set(xscale="log", yscale="log", xlabel="λ (Ridge alpha)", ylabel="validation MSE",
           title="Ridge on degree-3 diabetes features")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
