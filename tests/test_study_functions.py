"""add_trial(s), create_trial, FrozenTrial's Optuna constructor, copy_study, delete_study,
get_all_study_names, get_all_study_summaries, MaxTrialsCallback, to_optuna(load_if_exists).

Where Optuna 5 has the same function, the same calls go to both and the outcomes are
compared.
"""

import datetime
import math

import numpy as np
import optuna
import pytest

import fasthpo
from fasthpo import CategoricalDistribution, FloatDistribution, IntDistribution, TrialState
from fasthpo.samplers import RandomSampler, TPESampler
from fasthpo.study import MaxTrialsCallback

optuna.logging.set_verbosity(optuna.logging.WARNING)



def dists(module):
    """The same three distributions, built by ``module`` (fasthpo or optuna)."""
    return {
        "x": module.distributions.FloatDistribution(-5.0, 5.0),
        "n": module.distributions.IntDistribution(1, 64, log=True),
        "kind": module.distributions.CategoricalDistribution(["a", "b"]),
    }


def made_trials(module):
    d = dists(module)
    state = module.trial.TrialState
    return [
        module.create_trial(params={"x": 1.5, "n": 4, "kind": "b"}, distributions=d, value=2.0,
                            user_attrs={"u": 1}, intermediate_values={0: 3.0, 2: 2.5}),
        module.create_trial(params={"x": -1.0}, distributions={"x": d["x"]}, value=0.5, constraints={"c": 1.0}),
        module.create_trial(state=state.PRUNED, params={"x": 0.0}, distributions={"x": d["x"]},
                            intermediate_values={0: 9.0}),
        module.create_trial(state=state.FAIL, params={"n": 2}, distributions={"n": d["n"]}),
        module.create_trial(state=state.WAITING, params={"x": 2.0}, distributions={"x": d["x"]}),
    ]


def summary(trial):
    return (trial.number, trial.state.name, trial.values, trial.params, trial.user_attrs, trial.constraints,
            trial.intermediate_values)


def test_added_trials_read_back_as_in_optuna():
    ours = fasthpo.create_study(sampler=RandomSampler(seed=0))
    theirs = optuna.create_study()
    ours.add_trials(made_trials(fasthpo))
    theirs.add_trials(made_trials(optuna))
    assert [summary(t) for t in ours.trials[:4]] == [summary(t) for t in theirs.trials[:4]]
    assert ours.best_trial.number == theirs.best_trial.number == 0  # trial 1 is infeasible
    # the added WAITING trial is enqueued: the next ask runs it with its parameters
    # (fasthpo shows them in params once it runs, as for enqueue_trial)
    for study in (ours, theirs):
        trial = study.ask()
        assert trial.number == 4 and trial.suggest_float("x", -5, 5) == 2.0
        assert study.trials[4].state.name == "RUNNING" and study.trials[4].params == {"x": 2.0}


def test_added_trials_count_for_the_sampler():
    study = fasthpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=10))
    rng = np.random.default_rng(0)
    distribution = FloatDistribution(-10, 10)
    study.add_trials(fasthpo.create_trial(params={"x": x}, distributions={"x": distribution}, value=(x - 3) ** 2)
                     for x in rng.uniform(-10, 10, 30))
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 3) ** 2, n_trials=20)
    late = [t.params["x"] for t in study.trials[30:]]
    assert np.median(np.abs(np.array(late) - 3)) < 2.5  # uniform draws: about 5


def test_trials_of_one_study_added_to_another_are_equal():
    source = fasthpo.create_study(sampler=RandomSampler(seed=1))
    source.optimize(lambda t: t.suggest_float("x", 0, 1, log=False) + t.suggest_int("k", 1, 9, log=True), n_trials=5)
    study = fasthpo.create_study()
    study.add_trials(source.trials)
    assert study.trials == source.trials
    np.testing.assert_array_equal(study._store.X, source._store.X)


def bad_trials():
    d = {"x": FloatDistribution(0, 1)}
    good = dict(params={"x": 0.5}, distributions=d)

    def frozen(**changes):
        trial = fasthpo.create_trial(value=1.0, **good)
        for key, value in changes.items():
            setattr(trial, key, value)
        return trial

    return [
        ("not a trial", TypeError, "FrozenTrial"),
        (optuna.trial.create_trial(value=1.0), TypeError, "FrozenTrial"),
        (frozen(values=[1.0, 2.0]), ValueError, "objective"),
        (frozen(values=[math.nan]), ValueError, "finite"),
        (frozen(values=None), ValueError, "COMPLETE"),
        (frozen(state=TrialState.FAIL), ValueError, "FAIL trial has no values"),
        (frozen(params={"x": 2.0}), ValueError, "not in"),
        (frozen(params={"y": 0.5}), ValueError, "same names"),
        (frozen(distributions={"x": (0, 1)}), TypeError, "distribution"),
        (frozen(distributions={"x": IntDistribution(0, 1)}, params={"x": 0}), ValueError, "x"),  # x is a float
        (frozen(intermediate_values={-1: 0.5}), ValueError, "steps"),
        (frozen(intermediate_values={1: "a"}), TypeError, "intermediate"),
        (frozen(user_attrs={1: 2}), TypeError, "keys"),
        (frozen(state="COMPLETE"), TypeError, "TrialState"),
        (frozen(datetime_start="now"), TypeError, "datetime"),
    ]


@pytest.mark.parametrize(("trial", "error", "match"), bad_trials())
def test_a_rejected_trial_leaves_the_study_unchanged(trial, error, match):
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    before = (study.trials, study._store.X.copy())
    good = fasthpo.create_trial(params={"x": 0.25}, distributions={"x": FloatDistribution(0, 1)}, value=0.0)
    with pytest.raises(error, match=match):
        study.add_trials([good, trial])  # the good one goes in only with the bad one
    assert study.trials == before[0]
    np.testing.assert_array_equal(study._store.X, before[1])


def test_two_added_trials_must_agree_on_a_new_parameter():
    study = fasthpo.create_study()
    a = fasthpo.create_trial(params={"z": 1}, distributions={"z": IntDistribution(0, 9)}, value=0.0)
    b = fasthpo.create_trial(params={"z": "u"}, distributions={"z": CategoricalDistribution(["u"])}, value=0.0)
    with pytest.raises(ValueError, match="'z'"):
        study.add_trials([a, b])
    assert study.trials == []


def test_a_trial_the_journal_cannot_store_is_rejected_before_writing(tmp_path):
    study = fasthpo.create_study(study_name="s", storage=str(tmp_path / "j.log"))
    trial = fasthpo.create_trial(value=1.0, system_attrs={"obj": object()})
    with pytest.raises(TypeError, match="JSON"):
        study.add_trial(trial)
    assert fasthpo.load_study(study_name="s", storage=str(tmp_path / "j.log")).trials == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"value": 1.0, "values": [1.0]}, ValueError, "value or values"),
        ({"state": 1}, TypeError, "TrialState"),
        ({"value": 1.0, "constraints": [1.0]}, TypeError, "constraints"),
        ({"value": 1.0, "constraints": {"c": math.nan}}, ValueError, "NaN"),
        ({}, ValueError, "needs its value"),
    ],
)
def test_create_trial_rejects_what_optuna_rejects(kwargs, error, match):
    with pytest.raises(error, match=match):
        fasthpo.create_trial(**kwargs)


def test_frozen_trial_takes_optunas_constructor_arguments():
    now = datetime.datetime.now()
    kwargs = dict(number=3, state=TrialState.COMPLETE, value=1.0, datetime_start=now, datetime_complete=now,
                  params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, user_attrs={}, system_attrs={},
                  intermediate_values={}, trial_id=3)
    ours = fasthpo.FrozenTrial(**kwargs)
    theirs = optuna.trial.FrozenTrial(**{**kwargs, "state": optuna.trial.TrialState.COMPLETE,
                                         "distributions": {"x": optuna.distributions.FloatDistribution(0, 1)}})
    assert (ours.values, ours.value, ours.duration, ours.last_step) == (theirs.values, theirs.value,
                                                                       theirs.duration, theirs.last_step)
    multi = fasthpo.FrozenTrial(**{**kwargs, "value": None}, values=[1.0, 2.0])
    assert multi.values == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="several"):
        multi.value


def test_frozen_trial_set_constraint_matches_optuna():
    ours = fasthpo.create_trial(value=1.0)
    theirs = optuna.trial.create_trial(value=1.0)
    for trial in (ours, theirs):
        trial.set_constraint("a", 0.5)
        with pytest.warns(UserWarning):
            trial.set_constraint("a", -1.0)
    assert ours.constraints == theirs.constraints == {"a": 0.5}


# ------------------------------------------------------------ storage functions
@pytest.fixture(params=["memory", "journal"])
def storage(request, tmp_path):
    return fasthpo.storages.InMemoryStorage() if request.param == "memory" else str(tmp_path / "j.log")


def test_copy_study_copies_everything(storage):
    source = fasthpo.create_study(study_name="a", storage=storage, sampler=RandomSampler(seed=0))
    source.set_user_attr("owner", "me")
    source.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 5), n_trials=4)
    source.enqueue_trial({"x": 0.75})
    trial = source.ask()
    trial.set_constraint("c", 0.5)
    source.tell(trial, 1.0)
    source.enqueue_trial({"x": 0.125}, user_attrs={"queued": True})
    fasthpo.copy_study(from_study_name="a", from_storage=storage, to_storage=storage, to_study_name="b")
    copy = fasthpo.load_study(study_name="b", storage=storage)
    assert copy.trials == source.trials and copy.user_attrs == {"owner": "me"}
    assert copy.best_trial == source.best_trial
    assert copy.ask().suggest_float("x", 0, 1) == 0.125  # still enqueued
    with pytest.raises(fasthpo.DuplicatedStudyError):
        fasthpo.copy_study(from_study_name="a", from_storage=storage, to_storage=storage, to_study_name="b")


def test_copy_study_to_another_kind_of_storage(tmp_path):
    memory = fasthpo.storages.InMemoryStorage()
    source = fasthpo.create_study(study_name="a", storage=memory, directions=["minimize", "maximize"])
    source.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
    fasthpo.copy_study(from_study_name="a", from_storage=memory, to_storage=str(tmp_path / "j.log"))
    copy = fasthpo.load_study(study_name="a", storage=str(tmp_path / "j.log"))
    assert copy.trials == source.trials and copy.directions == source.directions


def test_names_summaries_and_delete(storage):
    a = fasthpo.create_study(study_name="a", storage=storage, sampler=RandomSampler(seed=0))
    a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    fasthpo.create_study(study_name="b", storage=storage, directions=["minimize", "minimize"])
    assert sorted(fasthpo.get_all_study_names(storage)) == ["a", "b"]
    summaries = {s.study_name: s for s in fasthpo.get_all_study_summaries(storage)}
    assert summaries["a"].best_trial == a.best_trial and summaries["a"].n_trials == 3
    assert summaries["a"].direction == fasthpo.StudyDirection.MINIMIZE
    assert summaries["a"].datetime_start == a.trials[0].datetime_start
    assert summaries["b"].best_trial is None and summaries["b"].n_trials == 0
    with pytest.raises(RuntimeError, match="several"):
        summaries["b"].direction
    assert fasthpo.get_all_study_summaries(storage, include_best_trial=False)[0].best_trial is None
    fasthpo.delete_study(study_name="a", storage=storage)
    assert fasthpo.get_all_study_names(storage) == ["b"]
    with pytest.raises(KeyError, match="a"):
        fasthpo.delete_study(study_name="a", storage=storage)


def test_storage_functions_need_a_storage():
    with pytest.raises(ValueError, match="storage"):
        fasthpo.get_all_study_names(None)
    with pytest.raises(ValueError, match="storage"):
        fasthpo.delete_study(study_name="a", storage=None)


# ---------------------------------------------------------------- MaxTrialsCallback
@pytest.mark.parametrize("module", [fasthpo, optuna])
def test_max_trials_callback_counts_the_states_it_is_given(module):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2:
            raise module.TrialPruned()
        return x

    study = module.create_study()
    study.optimize(objective, n_trials=50, callbacks=[module.study.MaxTrialsCallback(3)])
    assert len(study.trials) == 5  # 3 complete, 2 pruned
    study.optimize(objective, n_trials=50,
                   callbacks=[module.study.MaxTrialsCallback(8, states=(module.trial.TrialState.PRUNED,))])
    assert len(study.trials) == 16
    study.optimize(objective, n_trials=50, callbacks=[module.study.MaxTrialsCallback(17, states=None)])
    assert len(study.trials) == 17


@pytest.mark.parametrize(("args", "error"), [((-1,), ValueError), ((2.5,), ValueError), ((3, "COMPLETE"), TypeError),
                                             ((3, ()), ValueError)])
def test_max_trials_callback_checks_its_arguments(args, error):
    with pytest.raises(error):
        MaxTrialsCallback(*args)


# ------------------------------------------------------- to_optuna(load_if_exists)
def test_to_optuna_load_if_exists_adds_to_the_existing_study():
    from fasthpo.integration.optuna import to_optuna

    storage = optuna.storages.InMemoryStorage()
    study = fasthpo.create_study(study_name="s", sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    to_optuna(study, storage=storage)
    with pytest.raises(optuna.exceptions.DuplicatedStudyError, match="load_if_exists"):
        to_optuna(study, storage=storage)
    both = to_optuna(study, storage=storage, load_if_exists=True)
    assert [t.params for t in both.trials] == 2 * [t.params for t in study.trials]
    other = fasthpo.create_study(study_name="s", direction="maximize")
    with pytest.raises(ValueError, match="directions"):
        to_optuna(other, storage=storage, load_if_exists=True)
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 6
