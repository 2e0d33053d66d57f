"""XGBoostPruningCallback with the real XGBoost: xgboost.train, XGBClassifier.fit, cv."""

import numpy as np
import pytest

xgb = pytest.importorskip("xgboost")
pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer  # noqa: E402

import fasthpo  # noqa: E402
from fasthpo.integration.xgboost import XGBoostPruningCallback  # noqa: E402

PARAMS = {"objective": "binary:logistic", "eval_metric": ["logloss", "auc"], "nthread": 1, "max_depth": 3, "eta": 0.1}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return xgb.DMatrix(X[::2], label=y[::2]), xgb.DMatrix(X[1::2], label=y[1::2]), X, y


def study_with(pruner, direction="minimize"):
    return fasthpo.create_study(direction=direction, sampler=fasthpo.samplers.RandomSampler(seed=0), pruner=pruner)


def test_reports_every_round_the_values_xgboost_records(data):
    train, valid, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    recorded = {}
    xgb.train(PARAMS, train, num_boost_round=12, evals=[(valid, "validation")], evals_result=recorded,
              callbacks=[XGBoostPruningCallback(trial, "validation-logloss")], verbose_eval=False)
    reported = trial.study._frozen(trial.number).intermediate_values
    assert sorted(reported) == list(range(12))
    np.testing.assert_allclose([reported[i] for i in range(12)], recorded["validation"]["logloss"])


def test_a_pruned_trial_stops_training(data):
    train, valid, _, _ = data
    study = study_with(fasthpo.pruners.ThresholdPruner(upper=0.0))
    boosters = []

    def objective(trial):
        boosters.append(None)
        xgb.train(PARAMS, train, num_boost_round=50, evals=[(valid, "validation")], verbose_eval=False,
                  callbacks=[XGBoostPruningCallback(trial, "validation-logloss")])
        boosters[-1] = "finished"
        return 0.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [fasthpo.TrialState.PRUNED] * 2
    assert all(list(t.intermediate_values) == [0] for t in study.trials)
    assert boosters == [None, None]  # training never returned


def test_median_pruning_saves_rounds(data):
    train, valid, _, _ = data
    study = study_with(fasthpo.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=5))

    def objective(trial):
        params = {**PARAMS, "eta": trial.suggest_float("eta", 1e-3, 0.5, log=True)}
        result = {}
        xgb.train(params, train, num_boost_round=40, evals=[(valid, "validation")], evals_result=result,
                  verbose_eval=False, callbacks=[XGBoostPruningCallback(trial, "validation-logloss")])
        return min(result["validation"]["logloss"])

    study.optimize(objective, n_trials=12)
    pruned = study.get_trials(states=[fasthpo.TrialState.PRUNED])
    assert pruned and all(t.last_step < 39 for t in pruned)


def test_xgb_classifier_fit_with_early_stopping(data):
    _, _, X, y = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    model = xgb.XGBClassifier(n_estimators=200, learning_rate=0.5, max_depth=3, n_jobs=1, eval_metric="logloss",
                              early_stopping_rounds=5, callbacks=[XGBoostPruningCallback(trial, "validation_0-logloss")])
    model.fit(X[::2], y[::2], eval_set=[(X[1::2], y[1::2])], verbose=False)
    reported = trial.study._frozen(trial.number).intermediate_values
    assert model.best_iteration < 200 - 5
    assert sorted(reported) == list(range(model.best_iteration + 6))
    np.testing.assert_allclose([reported[i] for i in sorted(reported)], model.evals_result()["validation_0"]["logloss"])


def test_cv(data):
    train, _, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner(), "maximize").ask()
    result = xgb.cv(PARAMS, train, num_boost_round=6, nfold=3, callbacks=[XGBoostPruningCallback(trial, "test-auc")])
    reported = trial.study._frozen(trial.number).intermediate_values
    np.testing.assert_allclose([reported[i] for i in range(6)], result["test-auc-mean"])


def test_metric_xgboost_does_not_report(data):
    train, valid, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    with pytest.raises(ValueError, match="no 'validation-rmse'; it reports validation-logloss, validation-auc"):
        xgb.train(PARAMS, train, num_boost_round=3, evals=[(valid, "validation")], verbose_eval=False,
                  callbacks=[XGBoostPruningCallback(trial, "validation-rmse")])
    with pytest.raises(ValueError, match="no 'valid-logloss'"):
        xgb.train(PARAMS, train, num_boost_round=3, evals=[(valid, "validation")], verbose_eval=False,
                  callbacks=[XGBoostPruningCallback(trial, "valid-logloss")])
    assert trial.study._frozen(trial.number).intermediate_values == {}


def test_bad_arguments():
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    with pytest.raises(TypeError, match="fasthpo Trial"):
        XGBoostPruningCallback("trial", "validation-logloss")
    with pytest.raises(ValueError, match="<evaluation set>-<metric>"):
        XGBoostPruningCallback(trial, "logloss")
