"""Prune XGBoost training: report a validation metric each boosting round.

Needs the ``xgboost`` extra (from a checkout: ``pip install ".[xgboost]"``).

Examples
--------
>>> import xgboost as xgb
>>> import fasthpo
>>> from sklearn.datasets import load_breast_cancer
>>> from fasthpo.integration.xgboost import XGBoostPruningCallback
>>> X, y = load_breast_cancer(return_X_y=True)
>>> train, valid = xgb.DMatrix(X[::2], label=y[::2]), xgb.DMatrix(X[1::2], label=y[1::2])
>>> def objective(trial):
...     params = {"objective": "binary:logistic", "eval_metric": "logloss", "nthread": 1,
...               "eta": trial.suggest_float("eta", 0.01, 0.3, log=True)}
...     booster = xgb.train(params, train, num_boost_round=20, evals=[(valid, "validation")],
...                         callbacks=[XGBoostPruningCallback(trial, "validation-logloss")], verbose_eval=False)
...     return float(booster.eval(valid).split(":")[1])
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(objective, n_trials=3)
>>> sorted(study.trials[0].intermediate_values)[:3]
[0, 1, 2]
"""

from __future__ import annotations

from typing import Any

try:
    import xgboost
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "fasthpo.integration.xgboost needs XGBoost; from a checkout install it with: pip install '.[xgboost]'",
        name="xgboost",
    ) from error

from fasthpo.exceptions import TrialPruned
from fasthpo.trial import Trial

__all__ = ["XGBoostPruningCallback"]


class XGBoostPruningCallback(xgboost.callback.TrainingCallback):
    """An XGBoost callback that reports one evaluation metric and prunes.

    Pass it in ``callbacks`` of ``xgboost.train`` (or ``xgboost.cv``), or of an
    ``XGBModel`` such as ``XGBClassifier(callbacks=[...])``. After every boosting round
    it reports the metric's latest value to the trial (step = the round's index) and
    raises :class:`fasthpo.TrialPruned` when the study's pruner says so, which ends the
    training. It works beside ``early_stopping_rounds``.

    Parameters
    ----------
    trial : Trial
        The trial being trained.
    observation_key : str
        ``"<evaluation set>-<metric>"`` as XGBoost prints it: ``"validation-logloss"``
        for ``evals=[(dvalid, "validation")]``, ``"validation_0-logloss"`` for the first
        ``eval_set`` of ``XGBClassifier.fit``, ``"test-logloss"`` under ``xgboost.cv``.

    Raises
    ------
    ValueError
        At the first round, when XGBoost does not report that metric on that set.
    """

    def __init__(self, trial: Trial, observation_key: str) -> None:
        if not isinstance(trial, Trial):
            raise TypeError(f"trial must be a fasthpo Trial, got {trial!r}.")
        if not isinstance(observation_key, str) or "-" not in observation_key:
            raise ValueError(f"observation_key must be '<evaluation set>-<metric>', got {observation_key!r}.")
        super().__init__()
        self.trial = trial
        self.observation_key = observation_key

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        value = self._find(evals_log)
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            raise TrialPruned(f"Trial {self.trial.number} was pruned at boosting round {epoch}.")
        return False  # go on training

    def _find(self, evals_log: dict) -> float:
        for data, metrics in evals_log.items():
            for metric, values in metrics.items():
                if f"{data}-{metric}" == self.observation_key:
                    last = values[-1]
                    return float(last[0] if isinstance(last, tuple) else last)  # (mean, std) under cv
        reported = ", ".join(f"{d}-{m}" for d, ms in evals_log.items() for m in ms) or "none (no evals/eval_set?)"
        raise ValueError(
            f"XGBoost reports no {self.observation_key!r}; it reports {reported}. "
            "Name an evaluation set and its metric (eval_metric=...) as '<set>-<metric>'."
        )
