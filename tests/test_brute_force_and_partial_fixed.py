"""BruteForceSampler and PartialFixedSampler, next to Optuna's samplers of the same names."""

import warnings

import optuna
import pytest

import fasthpo
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers.brute_force import grid_values

optuna.logging.set_verbosity(optuna.logging.WARNING)


def conditional(trial):
    kind = trial.suggest_categorical("kind", ["float", "int", "none"])
    if kind == "float":
        return trial.suggest_float("x", 1, 3, step=0.5)
    if kind == "int":
        a = trial.suggest_int("a", 1, 3)
        return a + trial.suggest_int("b", a, 3)  # b's range depends on a
    return 0.0


def combinations(study):
    return sorted(tuple(sorted(t.params.items())) for t in study.trials)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_brute_force_tries_every_combination_once_and_stops(seed):
    ours = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=seed))
    ours.optimize(conditional, n_trials=100)
    theirs = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental
        theirs.optimize(conditional, n_trials=100)
    assert len(ours.trials) == 5 + 6 + 1
    assert combinations(ours) == combinations(theirs)
    assert len(set(combinations(ours))) == len(ours.trials)  # nothing twice


def test_brute_force_order_follows_the_seed():
    def order(seed):
        study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=seed))
        study.optimize(conditional)
        return [tuple(sorted(t.params.items())) for t in study.trials]

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_brute_force_in_parallel_threads_covers_the_space():
    study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("i", 0, 19) + t.suggest_categorical("c", [0, 1]), n_trials=60, n_jobs=2)
    assert {(t.params["i"], t.params["c"]) for t in study.trials} == {(i, c) for i in range(20) for c in (0, 1)}


def test_brute_force_rejects_a_continuous_float():
    study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler())
    with pytest.raises(ValueError, match="'x'.*step"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_brute_force_checks_its_arguments():
    with pytest.raises(TypeError, match="avoid_premature_stop"):
        fasthpo.samplers.BruteForceSampler(avoid_premature_stop=1)
    with pytest.raises(ValueError, match="seed"):
        fasthpo.samplers.BruteForceSampler(seed=-1)


@pytest.mark.parametrize(
    ("distribution", "values"),
    [
        (IntDistribution(2, 10, step=4), [2, 6, 10]),
        (IntDistribution(1, 4, log=True), [1, 2, 3, 4]),
        (FloatDistribution(0.1, 0.3, step=0.1), [0.1, 0.2, 0.3]),
        (FloatDistribution(2.5, 2.5), [2.5]),
        (CategoricalDistribution([None, True, 1]), [None, True, 1]),
    ],
)
def test_grid_values_are_the_values_a_study_stores(distribution, values):
    assert grid_values("p", distribution) == values


@pytest.mark.parametrize("base", ["random", "tpe"])
def test_partial_fixed_fixes_its_parameters_and_samples_the_rest(base):
    samplers = {
        "random": (fasthpo.samplers.RandomSampler(seed=0), optuna.samplers.RandomSampler(seed=0)),
        "tpe": (fasthpo.samplers.TPESampler(seed=0, n_startup_trials=5, multivariate=True),
                optuna.samplers.TPESampler(seed=0, n_startup_trials=5, multivariate=True)),
    }[base]

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", -3, 3)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        return (x - 1) ** 2 + y * y + (kind == "b")

    results = []
    for module, sampler in zip((fasthpo, optuna), samplers):
        study = module.create_study(sampler=module.samplers.PartialFixedSampler({"y": 2, "kind": "b"}, sampler))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental in Optuna
            study.optimize(objective, n_trials=25)
        xs = [t.params["x"] for t in study.trials]
        results.append(({(t.params["y"], t.params["kind"]) for t in study.trials}, len(set(xs)) == len(xs)))
    assert results[0] == results[1] == ({(2, "b")}, True)


def test_partial_fixed_rejects_a_value_outside_the_distribution():
    sampler = fasthpo.samplers.PartialFixedSampler({"y": 9}, fasthpo.samplers.RandomSampler(seed=0))
    study = fasthpo.create_study(sampler=sampler)
    with pytest.raises(ValueError, match="fixed value 9 of parameter 'y'"):
        study.optimize(lambda t: t.suggest_int("y", 0, 3), n_trials=1)


@pytest.mark.parametrize(
    ("args", "match"),
    [(({1: 2}, fasthpo.samplers.RandomSampler()), "fixed_params"),
     (({"y": 1}, optuna.samplers.RandomSampler()), "base_sampler")],
)
def test_partial_fixed_checks_its_arguments(args, match):
    with pytest.raises(TypeError, match=match):
        fasthpo.samplers.PartialFixedSampler(*args)


def test_brute_force_batches_take_different_values_and_stop_when_done():
    study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=0))
    study.optimize(lambda b: b.suggest_int("i", 0, 5) + b.suggest_categorical("c", [0, 1]), batch_size=5)
    pairs = [(t.params["i"], t.params["c"]) for t in study.trials]
    assert len(pairs) == 12 and set(pairs) == {(i, c) for i in range(6) for c in (0, 1)}


@pytest.mark.parametrize("avoid_premature_stop", [False, True])
def test_running_trials_count_as_done_unless_avoid_premature_stop(avoid_premature_stop):
    sampler = fasthpo.samplers.BruteForceSampler(seed=0, avoid_premature_stop=avoid_premature_stop)
    study = fasthpo.create_study(sampler=sampler)
    running = study.ask()
    first = running.suggest_int("i", 0, 1)
    other = study.ask()
    assert other.suggest_int("i", 0, 1) == 1 - first  # the running trial's value is taken
    study.tell(other, 0.0)
    history = study._history
    if avoid_premature_stop:
        assert sampler.n_remaining(history) == 1
        assert study.ask().suggest_int("i", 0, 1) == first  # the running branch is not finished
    else:
        assert sampler.n_remaining(history) == 0
    study.tell(running, 0.0)
    if not avoid_premature_stop:
        study.optimize(lambda t: t.suggest_int("i", 0, 1), n_trials=5)
        assert len(study.trials) == 2  # nothing left: optimize starts no trial


def test_a_trial_that_failed_midway_does_not_close_the_branches_others_opened():
    calls = []

    def objective(trial):
        a = trial.suggest_int("a", 0, 1)
        calls.append(a)
        if calls.count(0) == 2:  # a = 0 opened b's branch before
            raise RuntimeError("fails before suggesting b")
        return a + trial.suggest_int("b", 0, 2)

    study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=1))
    study.optimize(objective, n_trials=20, catch=(RuntimeError,))
    complete = {(t.params["a"], t.params["b"]) for t in study.trials if t.state == fasthpo.TrialState.COMPLETE}
    assert complete == {(a, b) for a in (0, 1) for b in range(3)}


def test_partial_fixed_keeps_the_base_samplers_joint_proposal_for_the_rest():
    base = fasthpo.samplers.TPESampler(seed=0, n_startup_trials=3, multivariate=True)
    sampler = fasthpo.samplers.PartialFixedSampler({"y": 1}, base)
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2 + t.suggest_int("y", 0, 3), n_trials=5)
    assert set(sampler.infer_relative_search_space(study._history)) == {"x"}
    assert set(base.infer_relative_search_space(study._history)) == {"x", "y"}


def test_a_running_trial_still_choosing_reserves_one_combination_below_it():
    study = fasthpo.create_study(sampler=fasthpo.samplers.BruteForceSampler(seed=0))
    study.optimize(lambda t: t.suggest_int("a", 0, 1) + t.suggest_int("b", 0, 1), n_trials=1)
    done = study.trials[0].params
    running = study.ask()
    assert running.suggest_int("a", 0, 1) != done["a"]  # the untried value; b not chosen yet
    assert study.sampler.n_remaining(study._history) == 1  # b's other value under done["a"]
    again = study.ask()
    assert again.suggest_int("a", 0, 1) == done["a"]  # the running trial holds the other branch
    assert study.sampler.n_remaining(study._history) == 0  # both trials still choosing b
    study.tell(running, running.suggest_int("b", 0, 1))
    assert study.sampler.n_remaining(study._history) == 1  # b's other value under the new a
    study.tell(again, again.suggest_int("b", 0, 1))
    assert again.params["b"] != done["b"]
