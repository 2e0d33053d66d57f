"""LightGBMPruningCallback with the real LightGBM: lightgbm.train, LGBMClassifier.fit, cv."""

import numpy as np
import pytest

lgb = pytest.importorskip("lightgbm")
pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer  # noqa: E402

import fasthpo  # noqa: E402
from fasthpo.integration.lightgbm import LightGBMPruningCallback  # noqa: E402

PARAMS = {"objective": "binary", "metric": ["binary_logloss", "auc"], "verbosity": -1, "num_threads": 1,
          "num_leaves": 7, "learning_rate": 0.1}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return lgb.Dataset(X[::2], y[::2], free_raw_data=False), lgb.Dataset(X[1::2], y[1::2], free_raw_data=False), X, y


def study_with(pruner, direction="minimize"):
    return fasthpo.create_study(direction=direction, sampler=fasthpo.samplers.RandomSampler(seed=0), pruner=pruner)


def test_reports_every_round_the_values_lightgbm_records(data):
    train, valid, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    recorded = {}
    lgb.train(PARAMS, train, num_boost_round=12, valid_sets=[valid],
              callbacks=[LightGBMPruningCallback(trial, "binary_logloss"), lgb.record_evaluation(recorded)])
    reported = trial.study._frozen(trial.number).intermediate_values
    assert sorted(reported) == list(range(12))
    np.testing.assert_allclose([reported[i] for i in range(12)], recorded["valid_0"]["binary_logloss"])


def test_a_pruned_trial_stops_training(data):
    train, valid, _, _ = data
    study = study_with(fasthpo.pruners.ThresholdPruner(upper=0.0))  # any logloss > 0: prune at once
    rounds = []

    def objective(trial):
        lgb.train(PARAMS, train, num_boost_round=50, valid_sets=[valid],
                  callbacks=[LightGBMPruningCallback(trial, "binary_logloss"), lambda env: rounds.append(env.iteration)])
        return 0.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [fasthpo.TrialState.PRUNED] * 2
    assert all(list(t.intermediate_values) == [0] for t in study.trials)
    assert len(rounds) <= 2 * 1  # lightgbm ran no round past the pruned one


def test_median_pruning_saves_rounds(data):
    train, valid, _, _ = data
    study = study_with(fasthpo.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=5))

    def objective(trial):
        params = {**PARAMS, "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.5, log=True)}
        booster = lgb.train(params, train, num_boost_round=40, valid_sets=[valid],
                            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")])
        return booster.best_score["valid_0"]["binary_logloss"]

    study.optimize(objective, n_trials=12)
    pruned = study.get_trials(states=[fasthpo.TrialState.PRUNED])
    assert pruned and all(t.last_step < 39 for t in pruned)


@pytest.mark.filterwarnings("ignore:The argument 'eval_set' is deprecated")  # lightgbm 4.7; older ones lack eval_X
def test_lgbm_classifier_fit_with_early_stopping(data):
    _, _, X, y = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    model = lgb.LGBMClassifier(n_estimators=200, learning_rate=0.3, num_leaves=7, n_jobs=1, verbosity=-1)
    model.fit(X[::2], y[::2], eval_set=[(X[1::2], y[1::2])], eval_metric="binary_logloss",
              callbacks=[LightGBMPruningCallback(trial, "binary_logloss"), lgb.early_stopping(5, verbose=False)])
    steps = sorted(trial.study._frozen(trial.number).intermediate_values)
    assert model.best_iteration_ < 200 - 5  # early stopping ended the training
    assert steps == list(range(model.best_iteration_ + 5))
    np.testing.assert_allclose(trial.study._frozen(trial.number).intermediate_values[steps[-1]],
                               model.evals_result_["valid_0"]["binary_logloss"][-1])


def test_report_interval_and_cv(data):
    train, _, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner(), "maximize").ask()
    lgb.cv(PARAMS, train, num_boost_round=10, nfold=3, stratified=True,
           callbacks=[LightGBMPruningCallback(trial, "auc", valid_name="valid", report_interval=3)])
    assert sorted(trial.study._frozen(trial.number).intermediate_values) == [0, 3, 6, 9]


def test_metric_the_booster_does_not_report(data):
    train, valid, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    with pytest.raises(ValueError, match=r"no metric 'rmse' on 'valid_0'; it reports 'valid_0': 'binary_logloss'"):
        lgb.train(PARAMS, train, num_boost_round=3, valid_sets=[valid], callbacks=[LightGBMPruningCallback(trial, "rmse")])
    with pytest.raises(ValueError, match="no metric 'auc' on 'valid_1'"):
        lgb.train(PARAMS, train, num_boost_round=3, valid_sets=[valid],
                  callbacks=[LightGBMPruningCallback(trial, "auc", valid_name="valid_1")])
    assert trial.study._frozen(trial.number).intermediate_values == {}


def test_direction_must_match_the_metric(data):
    train, valid, _, _ = data
    trial = study_with(fasthpo.pruners.NopPruner(), "minimize").ask()
    with pytest.raises(ValueError, match="'auc' is higher-is-better but the study minimizes"):
        lgb.train(PARAMS, train, num_boost_round=3, valid_sets=[valid], callbacks=[LightGBMPruningCallback(trial, "auc")])


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"trial": "t"}, TypeError), ({"metric": 3}, TypeError), ({"report_interval": 0}, ValueError),
])
def test_bad_arguments(kwargs, error):
    trial = study_with(fasthpo.pruners.NopPruner()).ask()
    with pytest.raises(error):
        LightGBMPruningCallback(**{"trial": trial, "metric": "auc", **kwargs})
