"""FasthpoSearchCV: a scikit-learn search estimator driven by a fasthpo study."""

import copy
import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import fasthpo  # noqa: E402
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from fasthpo.integration.sklearn import FasthpoSearchCV  # noqa: E402

C = {"C": FloatDistribution(1e-3, 1e1, log=True)}


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Tiny fits: BLAS threads only spin against the other processes of a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_search_finds_good_parameters_and_refits(iris):
    X, y = iris
    search = FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=6, random_state=0).fit(X, y)
    assert search.n_trials_ == 6 and search.n_splits_ == 3
    assert search.best_score_ > 0.9
    assert search.best_estimator_.C == search.best_params_["C"]
    np.testing.assert_array_equal(search.predict(X), search.best_estimator_.predict(X))
    np.testing.assert_allclose(search.predict_proba(X), search.best_estimator_.predict_proba(X))
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.score(X, y) == search.best_estimator_.score(X, y)
    assert search.n_features_in_ == 4
    assert search.best_score_ == search.study_.best_value
    assert search.best_trial_.number == search.study_.best_trial.number


def test_cv_results_have_scikit_learn_layout(iris):
    X, y = iris
    search = FasthpoSearchCV(
        LogisticRegression(max_iter=300), C, cv=3, n_trials=5, random_state=1, return_train_score=True
    ).fit(X, y)
    r = search.cv_results_
    assert len(r["params"]) == 5
    splits = np.column_stack([r[f"split{k}_test_score"] for k in range(3)])
    np.testing.assert_allclose(r["mean_test_score"], splits.mean(axis=1))
    np.testing.assert_allclose(r["std_test_score"], splits.std(axis=1))
    assert r["rank_test_score"][search.best_index_] == 1
    assert r["mean_test_score"][search.best_index_] == search.best_score_
    assert list(r["param_C"]) == [p["C"] for p in r["params"]]
    assert r["mean_train_score"].shape == (5,) and np.all(r["mean_fit_time"] > 0)
    greater = (r["mean_test_score"][None, :] > r["mean_test_score"][:, None]).sum(axis=1)
    np.testing.assert_array_equal(r["rank_test_score"], 1 + greater)  # ties share the better rank


def test_same_random_state_same_search(iris):
    X, y = iris
    params = [
        FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=12, random_state=3).fit(X, y)
        .cv_results_["params"]
        for _ in range(2)
    ]
    assert params[0] == params[1]


def test_searches_a_pipeline_and_sits_in_one(iris):
    X, y = iris
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])
    space = {"clf__C": FloatDistribution(1e-3, 1e2, log=True), "clf__fit_intercept": CategoricalDistribution([True, False])}
    search = FasthpoSearchCV(pipeline, space, cv=3, n_trials=5, random_state=0).fit(X, y)
    assert isinstance(search.best_estimator_, Pipeline)
    assert search.best_estimator_.named_steps["clf"].C == search.best_params_["clf__C"]

    outer = Pipeline([("scale", StandardScaler()), ("search", FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=4))])
    outer.fit(X, y)
    assert outer.score(X, y) > 0.9
    assert outer.named_steps["search"].n_trials_ == 4


def test_clone_get_params_set_params():
    search = FasthpoSearchCV(LogisticRegression(C=2.0), C, n_trials=7, study=fasthpo.create_study(direction="maximize"))
    params = search.get_params()
    assert params["n_trials"] == 7 and params["estimator__C"] == 2.0 and params["param_distributions"] is C
    search.set_params(n_trials=3, estimator__C=5.0)
    assert search.n_trials == 3 and search.estimator.C == 5.0
    cloned = clone(search)
    assert cloned.n_trials == 3 and cloned.estimator.C == 5.0 and cloned.estimator is not search.estimator
    assert cloned.param_distributions == C
    assert isinstance(cloned.study, fasthpo.Study) and cloned.study is not search.study


def test_given_study_receives_the_trials(iris):
    X, y = iris
    study = fasthpo.create_study(direction="maximize", sampler=fasthpo.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"C": 1.0})
    search = FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=3, study=study).fit(X, y)
    assert search.study_ is study and len(study.trials) == 3
    assert study.trials[0].params == {"C": 1.0}
    assert "cv" in study.trials[0].user_attrs  # the fold results are on the trial


def test_study_pickles_and_deep_copies():
    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    for other in (copy.deepcopy(study), pickle.loads(pickle.dumps(study))):
        assert [t.params for t in other.trials] == [t.params for t in study.trials]
        other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # a working lock of its own
        assert len(other.trials) == 6 and len(study.trials) == 4


def test_parallel_trials(iris):
    X, y = iris
    search = FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=6, n_jobs=2, random_state=0).fit(X, y)
    assert search.n_trials_ == 6 and len(search.cv_results_["params"]) == 6


def test_timeout_alone_stops_the_search(iris):
    X, y = iris
    search = FasthpoSearchCV(LogisticRegression(max_iter=300), C, cv=3, n_trials=None, timeout=0.5).fit(X, y)
    assert search.n_trials_ >= 1


def test_pruning_with_partial_fit(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    study = fasthpo.create_study(
        direction="maximize",
        sampler=fasthpo.samplers.RandomSampler(seed=0),
        pruner=fasthpo.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    )
    space = {"alpha": FloatDistribution(1e-6, 1e1, log=True), "eta0": FloatDistribution(1e-6, 1e-1, log=True)}
    estimator = SGDClassifier(learning_rate="constant", random_state=0)
    search = FasthpoSearchCV(estimator, space, cv=3, n_trials=15, enable_pruning=True, max_iter=8, study=study)
    search.fit(X, y)
    states = [t.state for t in study.trials]
    assert fasthpo.TrialState.PRUNED in states
    complete = study.get_trials(states=[fasthpo.TrialState.COMPLETE])
    assert all(sorted(t.intermediate_values) == list(range(8)) for t in complete)
    assert all(t.last_step < 7 for t in study.get_trials(states=[fasthpo.TrialState.PRUNED]))
    assert len(search.cv_results_["params"]) == len(complete)
    best = complete[search.best_index_]
    assert search.best_score_ == best.intermediate_values[7]  # the score after the last pass


def test_pruning_of_a_regressor():
    X, y = load_diabetes(return_X_y=True)
    from sklearn.linear_model import SGDRegressor

    space = {"alpha": FloatDistribution(1e-5, 1e0, log=True)}
    search = FasthpoSearchCV(SGDRegressor(random_state=0), space, cv=2, n_trials=4, enable_pruning=True, max_iter=3)
    assert search.fit(StandardScaler().fit_transform(X), y).best_score_ > 0.3  # R^2


def test_error_score_number_keeps_failed_trials(iris):
    X, y = iris
    space = {"C": CategoricalDistribution([-1.0, 1.0])}  # C=-1 fails inside fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = FasthpoSearchCV(LogisticRegression(max_iter=300), space, cv=3, n_trials=6, error_score=0.0,
                                 random_state=0).fit(X, y)
    scores = dict(zip([p["C"] for p in search.cv_results_["params"]], search.cv_results_["mean_test_score"]))
    assert scores[-1.0] == 0.0 and search.best_params_ == {"C": 1.0}


def test_error_score_nan_fails_the_trial_and_raise_raises(iris):
    X, y = iris
    space = {"C": CategoricalDistribution([-1.0, 1.0])}
    with pytest.warns(UserWarning, match="not finite"):
        search = FasthpoSearchCV(LogisticRegression(max_iter=300), space, cv=3, n_trials=6, random_state=0).fit(X, y)
    assert all(p["C"] == 1.0 for p in search.cv_results_["params"])
    assert fasthpo.TrialState.FAIL in [t.state for t in search.study_.trials]
    bad = {"C": CategoricalDistribution([-1.0])}
    with pytest.raises(ValueError, match="C"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FasthpoSearchCV(LogisticRegression(), bad, cv=3, n_trials=2, error_score="raise").fit(X, y)


def test_every_trial_failing_raises_the_first_error(iris):
    X, y = iris
    X = X.astype(object)
    X[0, 0] = "not a number"
    with pytest.raises(ValueError, match="not a number"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FasthpoSearchCV(LogisticRegression(), C, cv=3, n_trials=2).fit(X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"param_distributions": {"C": [0.1, 1.0]}}, TypeError, r"param_distributions\['C'\] is a plain list.*CategoricalDistribution"),
        ({"param_distributions": {"C": (0.1, 1.0)}}, TypeError, "plain tuple"),
        ({"param_distributions": {"C": 0.5}}, TypeError, r"param_distributions\['C'\] must be a fasthpo distribution"),
        ({"param_distributions": [("C", FloatDistribution(0.1, 1))]}, TypeError, "must be a dict"),
        ({"enable_pruning": True}, ValueError, "partial_fit, which LogisticRegression does not have"),
        ({"n_trials": 0}, ValueError, "n_trials must be a positive int"),
        ({"n_trials": None}, ValueError, "Give n_trials or timeout"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"error_score": "ignore"}, ValueError, "error_score"),
        ({"scoring": ["accuracy", "f1_macro"]}, ValueError, "one scorer"),
        ({"study": fasthpo.create_study()}, ValueError, "direction='maximize'"),
        ({"study": "my-study"}, TypeError, "fasthpo Study"),
    ],
)
def test_bad_arguments_fail_before_any_trial(iris, kwargs, error, match):
    X, y = iris
    arguments = {"estimator": LogisticRegression(), "param_distributions": C, "n_trials": 2, **kwargs}
    study = arguments.get("study")
    with pytest.raises(error, match=match):
        FasthpoSearchCV(**arguments).fit(X, y)
    if isinstance(study, fasthpo.Study):
        assert len(study.trials) == 0


def test_int_and_categorical_parameters():
    X, y = load_diabetes(return_X_y=True)
    from sklearn.neighbors import KNeighborsRegressor

    space = {"n_neighbors": IntDistribution(1, 30), "weights": CategoricalDistribution(["uniform", "distance"])}
    search = FasthpoSearchCV(KNeighborsRegressor(), space, cv=3, n_trials=8, random_state=0).fit(X, y)
    assert isinstance(search.best_params_["n_neighbors"], int)
    assert search.best_params_["weights"] in ("uniform", "distance")


NOT_APPLICABLE = {
    "check_non_transformer_estimators_n_iter": "max_iter bounds partial_fit passes when pruning; a search has no n_iter_",
}


@pytest.mark.parametrize("estimator", [RidgeClassifier(), Ridge()], ids=lambda e: type(e).__name__)
def test_scikit_learn_estimator_checks(estimator):
    name = "alpha"
    search = FasthpoSearchCV(estimator, {name: FloatDistribution(1e-2, 1e2, log=True)}, n_trials=2, cv=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(search, on_fail=None, expected_failed_checks=NOT_APPLICABLE)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) > 40
