"""Prune LightGBM training: report a validation metric each boosting round.

Needs the ``lightgbm`` extra (from a checkout: ``pip install ".[lightgbm]"``).

Examples
--------
>>> import lightgbm as lgb
>>> import fasthpo
>>> from sklearn.datasets import load_breast_cancer
>>> from fasthpo.integration.lightgbm import LightGBMPruningCallback
>>> X, y = load_breast_cancer(return_X_y=True)
>>> def objective(trial):
...     params = {"objective": "binary", "metric": "binary_logloss", "verbosity": -1, "num_threads": 1,
...               "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True)}
...     train, valid = lgb.Dataset(X[::2], y[::2]), lgb.Dataset(X[1::2], y[1::2])
...     booster = lgb.train(params, train, num_boost_round=20, valid_sets=[valid],
...                         callbacks=[LightGBMPruningCallback(trial, "binary_logloss")])
...     return booster.best_score["valid_0"]["binary_logloss"]
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(objective, n_trials=3)
>>> sorted(study.trials[0].intermediate_values)[:3]
[0, 1, 2]
"""

from __future__ import annotations

import numbers
from typing import Any

try:
    import lightgbm  # noqa: F401  (the callback works on what lightgbm passes it)
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "fasthpo.integration.lightgbm needs LightGBM; from a checkout install it with: pip install '.[lightgbm]'",
        name="lightgbm",
    ) from error

from fasthpo.exceptions import TrialPruned
from fasthpo.study import StudyDirection
from fasthpo.trial import Trial

__all__ = ["LightGBMPruningCallback"]


class LightGBMPruningCallback:
    """A LightGBM callback that reports ``metric`` on ``valid_name`` and prunes.

    Pass it in ``callbacks`` of ``lightgbm.train`` or of ``LGBMModel.fit``. After every
    ``report_interval`` boosting rounds it reports the metric's latest value to the
    trial (step = the round's index) and raises :class:`fasthpo.TrialPruned` when the
    study's pruner says so, which ends the training. It works beside
    ``lightgbm.early_stopping``.

    Parameters
    ----------
    trial : Trial
        The trial being trained.
    metric : str
        A metric the booster evaluates, as LightGBM names it (``"binary_logloss"``,
        ``"auc"``, ``"l2"``, ...).
    valid_name : str
        The validation set's name: ``"valid_0"`` for the first of ``valid_sets`` or
        ``eval_set`` unless named, ``"valid"`` under ``lightgbm.cv``.
    report_interval : int
        Report every this many rounds.

    Raises
    ------
    ValueError
        At the first round, when the booster does not report ``metric`` on
        ``valid_name``, or when the metric's direction is not the study's.
    """

    order = 40  # after lightgbm's own callbacks (early stopping is 30)

    def __init__(self, trial: Trial, metric: str, valid_name: str = "valid_0", report_interval: int = 1) -> None:
        if not isinstance(trial, Trial):
            raise TypeError(f"trial must be a fasthpo Trial, got {trial!r}.")
        if not isinstance(metric, str) or not isinstance(valid_name, str):
            raise TypeError(f"metric and valid_name must be str, got {metric!r} and {valid_name!r}.")
        if isinstance(report_interval, bool) or not isinstance(report_interval, numbers.Integral) or report_interval < 1:
            raise ValueError(f"report_interval must be a positive int, got {report_interval!r}.")
        self.trial = trial
        self.metric = metric
        self.valid_name = valid_name
        self.report_interval = int(report_interval)
        self._checked = False

    def __call__(self, env: Any) -> None:
        if (env.iteration - env.begin_iteration) % self.report_interval:
            return
        value, higher_is_better = self._find(env.evaluation_result_list or [])
        if not self._checked:
            self._check_direction(higher_is_better)
            self._checked = True
        self.trial.report(value, env.iteration)
        if self.trial.should_prune():
            raise TrialPruned(f"Trial {self.trial.number} was pruned at boosting round {env.iteration}.")

    def _find(self, results: list) -> tuple[float, bool]:
        for entry in results:  # (data, metric, value, higher_is_better[, std under cv])
            if entry[0] == self.valid_name and entry[1] == self.metric:
                return float(entry[2]), bool(entry[3])
        reported = ", ".join(f"{e[0]!r}: {e[1]!r}" for e in results) or "none (no valid_sets/eval_set?)"
        raise ValueError(
            f"The booster reports no metric {self.metric!r} on {self.valid_name!r}; it reports {reported}. "
            "Set the metric in the parameters (metric=...) and pass a validation set."
        )

    def _check_direction(self, higher_is_better: bool) -> None:
        maximize = self.trial.study.directions[0] == StudyDirection.MAXIMIZE
        if higher_is_better != maximize:
            raise ValueError(
                f"LightGBM's {self.metric!r} is {'higher' if higher_is_better else 'lower'}-is-better but the study "
                f"{'maximizes' if maximize else 'minimizes'}; create the study with direction="
                f"{'maximize' if higher_is_better else 'minimize'!r}."
            )
