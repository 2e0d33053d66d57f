import math

import numpy as np
import pytest

import fasthpo
from fasthpo import CategoricalDistribution, FloatDistribution, IntDistribution, TrialState
from fasthpo.samplers import RandomSampler


def new_study(**kwargs):
    return fasthpo.create_study(sampler=RandomSampler(seed=0), **kwargs)


def test_suggestions_lie_in_their_distributions_and_have_the_right_types():
    study = new_study()
    for _ in range(200):
        trial = study.ask()
        x = trial.suggest_float("x", -2.0, 3.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        s = trial.suggest_float("s", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", -3, 3)
        k = trial.suggest_int("k", 1, 1024, log=True)
        m = trial.suggest_int("m", 0, 10, step=5)
        c = trial.suggest_categorical("c", ["a", None, 2.5])
        assert isinstance(x, float) and -2.0 <= x <= 3.0
        assert isinstance(lr, float) and 1e-5 <= lr <= 1e-1
        assert s in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert isinstance(n, int) and -3 <= n <= 3
        assert isinstance(k, int) and 1 <= k <= 1024
        assert m in (0, 5, 10)
        assert c in ("a", None, 2.5)
        study.tell(trial, x)


def test_stored_internal_values_match_the_returned_values():
    study = new_study()
    trial = study.ask()
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    k = trial.suggest_int("k", 1, 1024, log=True)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    store = study._store
    assert store.column("lr")[0] == pytest.approx(math.log(lr))
    assert store.column("k")[0] == pytest.approx(math.log(k))
    assert store.column("c")[0] == ["a", "b", "c"].index(c)


def test_asking_the_same_name_again_returns_the_same_value():
    trial = new_study().ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)
    assert trial.suggest_categorical("c", [1, 2, 3]) == trial.suggest_categorical("c", [1, 2, 3])


def test_the_same_name_with_another_distribution_is_an_error_and_changes_nothing():
    study = new_study()
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="already suggested"):
        trial.suggest_float("x", 0, 2)
    with pytest.raises(ValueError, match="already suggested"):
        trial.suggest_int("x", 0, 1)
    assert trial.params == {"x": x}
    assert trial.distributions == {"x": FloatDistribution(0, 1)}


def test_a_name_cannot_change_kind_across_trials_but_its_range_can():
    study = new_study()
    t0 = study.ask()
    t0.suggest_float("x", 0, 1)
    study.tell(t0, 1.0)
    t1 = study.ask()
    assert 0 <= t1.suggest_float("x", 0, 5) <= 5  # a dynamic range is fine
    t2 = study.ask()
    with pytest.raises(ValueError, match="cannot be redefined"):
        t2.suggest_int("x", 0, 1)
    with pytest.raises(ValueError, match="cannot change log"):
        t2.suggest_float("x", 0.1, 1, log=True)
    assert t2.params == {}
    assert study._store.n_trials == 3


def test_bad_suggest_arguments_raise_and_leave_the_trial_unchanged():
    study = new_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="low must be <= high"):
        trial.suggest_float("x", 1, 0)
    with pytest.raises(ValueError, match="log=True needs low > 0"):
        trial.suggest_float("x", 0, 1, log=True)
    with pytest.raises(ValueError, match="must not be empty"):
        trial.suggest_categorical("c", [])
    with pytest.raises(TypeError, match="name must be a str"):
        trial.suggest_float(3, 0, 1)
    assert trial.params == {} and len(study._store.columns) == 0


def test_conditional_parameters_are_absent_as_nan():
    study = new_study()
    for _ in range(40):
        trial = study.ask()
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        if kind == "tree":
            trial.suggest_int("depth", 1, 10)
        else:
            trial.suggest_float("alpha", 1e-3, 1, log=True)
        study.tell(trial, 0.0)
    store = study._store
    kinds = store.column("kind")
    assert np.all(np.isnan(store.column("depth")) == (kinds == 0))
    assert np.all(np.isnan(store.column("alpha")) == (kinds == 1))
    assert set(store.intersection_search_space()) == {"kind"}


def test_single_value_distributions_need_no_sampler():
    trial = new_study().ask()
    assert trial.suggest_float("x", 2.5, 2.5) == 2.5
    assert trial.suggest_int("n", 7, 7) == 7
    assert trial.suggest_categorical("c", ["only"]) == "only"


def test_report_validates_and_ignores_a_repeated_step():
    study = new_study()
    trial = study.ask()
    trial.report(0.5, 0)
    with pytest.warns(UserWarning, match="already reported step 0"):
        trial.report(0.1, 0)
    with pytest.raises(ValueError, match="step must be >= 0"):
        trial.report(0.1, -1)
    with pytest.raises(TypeError, match="step must be an int"):
        trial.report(0.1, 1.5)
    with pytest.raises(TypeError, match="value must be a real number"):
        trial.report("bad", 1)
    trial.report(float("nan"), 1)
    values = study._store.records[trial.number].intermediate_values
    assert values[0] == 0.5 and math.isnan(values[1]) and set(values) == {0, 1}
    numbers, step_values = study._store.step_values(0)
    assert numbers.tolist() == [trial.number] and step_values.tolist() == [0.5]


def test_finished_trials_cannot_be_changed():
    study = new_study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="only a RUNNING trial"):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="only a RUNNING trial"):
        trial.report(1.0, 0)
    with pytest.raises(ValueError, match="only a RUNNING trial"):
        trial.set_user_attr("k", 1)
    assert study.trials[0].params.keys() == {"x"}


def test_user_attrs_and_frozen_trial_fields():
    study = new_study()
    trial = study.ask()
    trial.set_user_attr("note", "hello")
    trial.suggest_int("n", 0, 3)
    trial.report(2.0, 4)
    frozen = study.tell(trial, 3.0)
    assert frozen.user_attrs == {"note": "hello"}
    assert frozen.state == TrialState.COMPLETE and frozen.value == 3.0 and frozen.values == [3.0]
    assert frozen.intermediate_values == {4: 2.0} and frozen.last_step == 4
    assert frozen.distributions == {"n": IntDistribution(0, 3)}
    assert frozen.datetime_start <= frozen.datetime_complete and frozen.duration.total_seconds() >= 0


def test_ask_with_fixed_distributions_suggests_them_right_away():
    study = new_study()
    trial = study.ask({"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])})
    assert set(trial.params) == {"x", "c"}
    with pytest.raises(TypeError, match="must be a distribution"):
        study.ask({"y": (0, 1)})
    assert study._store.n_trials == 1


def test_enqueued_values_are_used_and_validated():
    study = new_study()
    study.enqueue_trial({"x": 0.25, "c": "b"}, user_attrs={"source": "manual"})
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == 0.25
    assert trial.suggest_categorical("c", ["a", "b"]) == "b"
    assert 0 <= trial.suggest_float("free", 0, 1) <= 1
    assert trial.user_attrs == {"source": "manual"}
    study.enqueue_trial({"x": 5.0})
    trial = study.ask()
    with pytest.warns(UserWarning, match="outside"):
        assert trial.suggest_float("x", 0, 1) == 5.0
    study.enqueue_trial({"c": "zzz"})
    trial = study.ask()
    with pytest.raises(ValueError, match="not one of the choices"):
        trial.suggest_categorical("c", ["a", "b"])
    assert "c" not in trial.params
