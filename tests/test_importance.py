"""Parameter importance: known answers, Optuna's PED-ANOVA to 1e-9, fANOVA against a grid, bad input."""

import math
import warnings

import numpy as np
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances
from fasthpo.samplers import RandomSampler


def study_of(f, n_params=10, n_trials=300, seed=0, direction="minimize"):
    """A random-search study of f over x0 .. x{n-1} in [-1, 1], with Gaussian noise of sd 0.05."""
    noise = np.random.default_rng(seed + 1000)
    study = fasthpo.create_study(direction=direction, sampler=RandomSampler(seed=seed))

    def objective(trial):
        x = np.array([trial.suggest_float(f"x{i}", -1, 1) for i in range(n_params)])
        return float(f(x) + noise.normal(0, 0.05))

    study.optimize(objective, n_trials=n_trials)
    return study


def top_two(importances):
    return set(list(importances)[:2])


def test_two_of_ten_parameters_matter_and_are_ranked_first_in_19_of_20_seeds():
    hits = sum(top_two(get_param_importances(study_of(lambda x: x[3] ** 2 + 0.5 * abs(x[7]), seed=s)))
               == {"x3", "x7"} for s in range(20))
    assert hits >= 19


def test_an_interaction_only_pair_is_found():
    # x1 * x5 has no main effect: alone, neither parameter changes the mean of the value
    hits = sum(top_two(get_param_importances(study_of(lambda x: x[1] * x[5], n_trials=600, seed=s))) == {"x1", "x5"}
               for s in range(20))
    assert hits >= 19


def test_fanova_ranks_the_two_parameters_that_matter_first():
    hits = sum(top_two(get_param_importances(study_of(lambda x: x[3] ** 2 + 0.5 * abs(x[7]), n_trials=150, seed=s),
                                             evaluator=FanovaImportanceEvaluator(n_trees=16, seed=s))) == {"x3", "x7"}
               for s in range(5))
    assert hits == 5


def test_normalized_importances_sum_to_one_and_are_sorted():
    study = study_of(lambda x: x[0] + 0.1 * x[1], n_params=3)
    importances = get_param_importances(study)
    assert math.isclose(sum(importances.values()), 1.0)
    assert list(importances.values()) == sorted(importances.values(), reverse=True)
    raw = get_param_importances(study, normalize=False)
    assert np.allclose([raw[k] / sum(raw.values()) for k in importances], list(importances.values()))
    assert list(get_param_importances(study, params=["x2", "x1"], normalize=False)) == ["x1", "x2"]


def test_fanova_is_deterministic_with_a_seed():
    study = study_of(lambda x: x[0] + x[1] ** 2, n_params=3, n_trials=60)
    runs = [get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=8, seed=3)) for _ in range(2)]
    assert runs[0] == runs[1]
    other = get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=8, seed=4))
    assert other != runs[0]  # the seed is what fixes the forest
    assert get_param_importances(study) == get_param_importances(study)  # PED-ANOVA draws no random numbers


# ---------------------------------------------------------------- PED-ANOVA = Optuna's
def mixed_objective(trial):
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1, log=True)
    n = trial.suggest_int("n", 1, 100, log=True)
    k = trial.suggest_int("k", 0, 10, step=2)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    s = trial.suggest_float("s", 0, 1, step=0.1)
    value = x**2 + math.log(lr) ** 2 / 10 + (c == "b") + n / 50 + 0.1 * k * s
    if c == "a":  # a conditional parameter
        value += trial.suggest_float("m", 0, 1)
    return value


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("options", [{}, {"target_quantile": 0.2, "region_quantile": 0.5},
                                     {"evaluate_on_local": False}, {"target_quantile": 0.05}])
def test_ped_anova_equals_optunas(direction, options):
    optuna = pytest.importorskip("optuna")
    from fasthpo.integration.optuna import to_optuna

    study = fasthpo.create_study(direction=direction, sampler=RandomSampler(seed=0))
    study.optimize(mixed_objective, n_trials=300)
    ours = PedAnovaImportanceEvaluator(**options).evaluate(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = optuna.importance.PedAnovaImportanceEvaluator(**options).evaluate(to_optuna(study))
    assert set(ours) == set(theirs) == {"x", "lr", "n", "k", "c", "s", "m"}
    assert all(abs(ours[k] - theirs[k]) <= 1e-9 * max(1.0, abs(theirs[k])) for k in theirs)
    assert max(ours.values()) > 1e-5  # not trivially all zero


@pytest.mark.parametrize("kind", ["target", "two-objective"])
def test_ped_anova_equals_optunas_with_a_target_and_on_two_objectives(kind):
    optuna = pytest.importorskip("optuna")
    from fasthpo.integration.optuna import to_optuna

    if kind == "target":
        study = fasthpo.create_study(sampler=RandomSampler(seed=1))
        study.optimize(mixed_objective, n_trials=200)
        target = lambda t: (t.params["x"] - 1) ** 2  # noqa: E731
    else:
        study = fasthpo.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=1))
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1) - t.suggest_float("z", 0, 1)),
                       n_trials=200)
        target = None
    ours = PedAnovaImportanceEvaluator().evaluate(study, target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = optuna.importance.PedAnovaImportanceEvaluator().evaluate(to_optuna(study), target=target)
    assert all(abs(ours[k] - theirs[k]) <= 1e-9 * max(1.0, abs(theirs[k])) for k in theirs)


# ---------------------------------------------------------------- fANOVA's variance decomposition
def test_fanova_tree_shares_equal_the_marginal_variances_on_a_grid():
    """A tree's main-effect share of x_j equals Var(E[f | x_j]) / Var(f) under the uniform
    distribution, computed here by evaluating the tree on a fine grid."""
    from sklearn.tree import DecisionTreeRegressor

    from fasthpo.importance._fanova import _tree_shares

    rng = np.random.default_rng(0)
    X = rng.uniform([0, -1], [1, 3], size=(60, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2 + X[:, 0] * X[:, 1]
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    bounds = np.array([[0.0, 1.0], [-1.0, 3.0]])
    g0, g1 = np.meshgrid(np.linspace(0, 1, 801)[:-1] + 1 / 1600, np.linspace(-1, 3, 801)[:-1] + 4 / 1600,
                         indexing="ij")
    f = tree.predict(np.column_stack([g0.ravel(), g1.ravel()])).reshape(g0.shape)
    expected = [f.mean(axis=1).var() / f.var(), f.mean(axis=0).var() / f.var()]
    assert np.allclose(_tree_shares(tree.tree_, bounds), expected, atol=2e-3)


# ---------------------------------------------------------------- bad input
EVALUATORS = [PedAnovaImportanceEvaluator(), FanovaImportanceEvaluator(n_trees=4, seed=0)]


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=["ped-anova", "fanova"])
def test_bad_input_is_named(evaluator):
    study = study_of(lambda x: x[0], n_params=2, n_trials=20)
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['nope'\]"):
        get_param_importances(study, evaluator=evaluator, params=["x0", "nope"])
    with pytest.raises(TypeError, match="params must be a list"):
        get_param_importances(study, evaluator=evaluator, params="x0")

    def target(trial):
        raise KeyError("loss")

    with pytest.raises(ValueError, match="target raised KeyError: 'loss' on trial 0"):
        get_param_importances(study, evaluator=evaluator, target=target)
    with pytest.raises(ValueError, match="target must return a real number, got 'a'"):
        get_param_importances(study, evaluator=evaluator, target=lambda t: "a")


@pytest.mark.parametrize("evaluator", EVALUATORS, ids=["ped-anova", "fanova"])
def test_empty_and_failed_only_studies_are_refused_clearly(evaluator):
    empty = fasthpo.create_study()
    with pytest.raises(ValueError, match="at least 2 complete trials .* the study has 0 complete"):
        get_param_importances(empty, evaluator=evaluator)
    failed = fasthpo.create_study()
    for _ in range(3):
        trial = failed.ask()
        trial.suggest_float("x", 0, 1)
        failed.tell(trial, state=TrialState.FAIL)
    with pytest.raises(ValueError, match="the study has 0 complete"):
        get_param_importances(failed, evaluator=evaluator)
    nan = study_of(lambda x: x[0], n_params=1, n_trials=5)
    with pytest.raises(ValueError, match="5 complete trial\\(s\\), 0 of them finite"):
        get_param_importances(nan, evaluator=evaluator, target=lambda t: float("nan"))


def test_bad_evaluator_arguments():
    with pytest.raises(ValueError, match="0 < target_quantile < region_quantile <= 1"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.5)
    with pytest.raises(ValueError, match="n_trees must be a positive int"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(TypeError, match="study must be a fasthpo Study"):
        get_param_importances("my-study")
    with pytest.raises(TypeError, match="evaluator must be"):
        get_param_importances(study_of(lambda x: x[0], n_params=1, n_trials=5), evaluator=object())
    two = fasthpo.create_study(directions=["minimize", "minimize"])
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), 0.0), n_trials=5)
    with pytest.raises(ValueError, match="2 objectives: pass target"):
        get_param_importances(two, evaluator=FanovaImportanceEvaluator())


def test_fanova_rates_only_parameters_present_in_every_trial():
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if x > 0.5:
            trial.suggest_float("y", 0, 1)
        return x

    study.optimize(objective, n_trials=30)
    assert list(get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=4, seed=0))) == ["x"]
    assert set(get_param_importances(study)) == {"x", "y"}  # PED-ANOVA rates conditional parameters
    with pytest.raises(ValueError, match="every complete trial have \\['x'\\]"):
        get_param_importances(study, evaluator=FanovaImportanceEvaluator(), params=["y"])
