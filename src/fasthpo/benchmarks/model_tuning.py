"""Real model tuning on scikit-learn's bundled data sets, as tabular benchmark problems.

Each problem is a model on a data set (``svm-breast_cancer``, ``mlp-wine``,
``gbm-wine``) with a grid of configurations. The sampler suggests in the grid's
continuous (or integer) box; a suggestion is snapped to the nearest grid point (on the
log scale for log parameters). The value is the cross-validated error ``1 - accuracy``
(5-fold stratified, shuffled with a fixed seed; the models are seeded too).

Every grid point's score is computed once and kept in a cache file named by the
problem and a key of its definition (grid, folds, scikit-learn version), under
``$FASTHPO_BENCH_CACHE`` (default ``~/.cache/fasthpo/bench``). Reruns and other
processes read the file; evaluating a configuration is a lookup, so runs are cheap and
deterministic, and the optimum (the best grid point) is known exactly.

It needs the ``sklearn`` extra (scikit-learn).

Examples
--------
>>> problem = model_tuning_problems()["svm-breast_cancer"]
>>> [axis.name for axis in problem.axes]
['C', 'gamma']
>>> problem.n_configurations
169
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Axis", "ModelTuning", "cache_directory", "model_tuning_problems"]


@dataclass(frozen=True)
class Axis:
    """A parameter's grid: ``kind`` is ``"float"``, ``"int"`` or ``"categorical"``; numeric
    grids are sorted and snapped to on the log scale if ``log``."""

    name: str
    kind: str
    values: tuple
    log: bool = False

    def suggest(self, batch: Any) -> np.ndarray:
        if self.kind == "categorical":
            return batch.suggest_categorical(self.name, list(self.values))
        low, high = self.values[0], self.values[-1]
        if self.kind == "int":
            return batch.suggest_int(self.name, low, high, log=self.log)
        return batch.suggest_float(self.name, low, high, log=self.log)

    def index(self, values: np.ndarray) -> np.ndarray:
        """The index of the nearest grid point of each value."""
        if self.kind == "categorical":
            position = {v: i for i, v in enumerate(self.values)}
            return np.array([position[v] for v in values], dtype=np.intp)
        scale = np.log if self.log else np.asarray
        grid = scale(np.array(self.values, dtype=float))
        return np.abs(scale(np.asarray(values, dtype=float))[:, None] - grid[None, :]).argmin(axis=1)


def cache_directory() -> str:
    """Where the score tables live: ``$FASTHPO_BENCH_CACHE`` or ``~/.cache/fasthpo/bench``."""
    return os.environ.get("FASTHPO_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "fasthpo", "bench")


@dataclass(frozen=True)
class ModelTuning:
    """A model (``make(config) -> estimator``) on a scikit-learn data set (``load_<dataset>``)
    over the grid of ``axes``; ``errors()`` is the table of cross-validated errors."""

    name: str
    dataset: str
    make: Callable[[dict[str, Any]], Any]
    axes: tuple[Axis, ...]
    folds: int = 5

    @property
    def n_configurations(self) -> int:
        return int(np.prod([len(axis.values) for axis in self.axes]))

    def key(self) -> str:
        """The cache key: the problem's definition and the scikit-learn version."""
        import sklearn

        text = repr((self.name, self.dataset, self.axes, self.folds, sklearn.__version__))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def path(self) -> str:
        return os.path.join(cache_directory(), f"{self.name}-{self.key()}.npy")

    def cross_validated_error(self, config: dict[str, Any]) -> float:
        """``1 - `` the mean accuracy over the folds of the model with ``config``."""
        from sklearn import datasets
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import StratifiedKFold, cross_val_score

        x, y = getattr(datasets, f"load_{self.dataset}")(return_X_y=True)
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return 1.0 - float(cross_val_score(self.make(config), x, y, cv=folds).mean())

    def errors(self) -> np.ndarray:
        """The error of every grid point (axis order), read from the cache file or computed
        once and written there (atomically, so concurrent processes agree)."""
        path = self.path()
        if os.path.exists(path):
            return np.load(path)
        grid = itertools.product(*(axis.values for axis in self.axes))
        table = np.array([self.cross_validated_error(dict(zip(self._names(), point))) for point in grid])
        table = table.reshape([len(axis.values) for axis in self.axes])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".npy")
        with os.fdopen(handle, "wb") as f:
            np.save(f, table)
        os.replace(temporary, path)
        return table

    def _names(self) -> list[str]:
        return [axis.name for axis in self.axes]

    def instance(self, seed: int):
        """The problem's instance: the same table for every seed (the seed moves the sampler)."""
        from fasthpo.benchmarks.problems import Instance

        table = self.errors()

        def suggest(batch: Any) -> dict[str, np.ndarray]:
            return {axis.name: axis.suggest(batch) for axis in self.axes}

        def evaluate(params: dict[str, np.ndarray]) -> np.ndarray:
            return table[tuple(axis.index(params[axis.name]) for axis in self.axes)]

        return Instance(suggest, evaluate, float(table.min()))


def _svm(config: dict[str, Any]) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(C=config["C"], gamma=config["gamma"]))


def _mlp(config: dict[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    mlp = MLPClassifier((config["units"],), activation=config["activation"], alpha=config["alpha"],
                        learning_rate_init=config["learning_rate_init"], max_iter=100, random_state=0)
    return make_pipeline(StandardScaler(), mlp)


def _gbm(config: dict[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(learning_rate=config["learning_rate"], n_estimators=config["n_estimators"],
                                      max_depth=config["max_depth"], subsample=config["subsample"], random_state=0)


def _decades(low: int, high: int, per_decade: int) -> tuple[float, ...]:
    return tuple(float(10.0**e) for e in np.linspace(low, high, (high - low) * per_decade + 1))


def model_tuning_problems() -> dict[str, ModelTuning]:
    """The model tuning problems by name."""
    return {
        "svm-breast_cancer": ModelTuning("svm-breast_cancer", "breast_cancer", _svm, (
            Axis("C", "float", _decades(-2, 4, 2), log=True),
            Axis("gamma", "float", _decades(-5, 1, 2), log=True))),
        "mlp-wine": ModelTuning("mlp-wine", "wine", _mlp, (
            Axis("units", "int", (4, 16, 64), log=True),
            Axis("activation", "categorical", ("relu", "tanh")),
            Axis("alpha", "float", (1e-4, 1e-2, 1.0), log=True),
            Axis("learning_rate_init", "float", (1e-3, 1e-2, 1e-1), log=True))),
        "gbm-wine": ModelTuning("gbm-wine", "wine", _gbm, (
            Axis("learning_rate", "float", _decades(-2, 0, 2), log=True),
            Axis("n_estimators", "int", (5, 10, 20, 40), log=True),
            Axis("max_depth", "int", (1, 2, 3)),
            Axis("subsample", "float", (0.5, 1.0)))),
    }
