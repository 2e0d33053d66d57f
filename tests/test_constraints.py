"""Constraints: ``trial.set_constraint(key, value)`` and feasibility-aware bests.

The same trials are told to an Optuna 5 study and a fasthpo study; ``best_trial``,
``best_value``, ``best_params`` and ``best_trials`` must agree.
"""

import math
import warnings

import numpy as np
import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fasthpo
from fasthpo._constraints import constraints_of
from fasthpo.samplers import RandomSampler, TPESampler

optuna.logging.set_verbosity(optuna.logging.WARNING)

# One told trial: (x, state, constraints by name or None, objective values).
TOLD = st.tuples(
    st.floats(-5, 5, allow_nan=False),
    st.sampled_from(["complete"] * 6 + ["pruned", "fail"]),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(["a", "b"]), st.floats(-2, 2, allow_nan=False), min_size=1)),
    st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=2),
)


def tell_both(trials, directions):
    """Tell ``trials`` to an Optuna study and a fasthpo study; return both."""
    ours = fasthpo.create_study(directions=directions, sampler=RandomSampler(seed=0))
    theirs = optuna.create_study(directions=directions, sampler=optuna.samplers.RandomSampler(seed=0))
    for study, module in ((ours, fasthpo), (theirs, optuna)):
        for x, state, constraints, values in trials:
            study.enqueue_trial({"x": x})
            trial = study.ask()
            trial.suggest_float("x", -5, 5)
            for key, value in (constraints or {}).items():
                trial.set_constraint(key, value)
            if state == "complete":
                study.tell(trial, values[: len(directions)])
            else:
                study.tell(trial, state=getattr(module.trial.TrialState, state.upper()))
    return ours, theirs


def best_or_error(study):
    try:
        best = study.best_trial
    except ValueError:
        return "ValueError"
    return best.number, best.value, best.params, study.best_value, study.best_params


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@given(trials=st.lists(TOLD, max_size=12))
def test_single_objective_bests_agree_with_optuna(direction, trials):
    ours, theirs = tell_both(trials, [direction])
    assert best_or_error(ours) == best_or_error(theirs)


@given(trials=st.lists(TOLD, max_size=12), directions=st.sampled_from([["minimize", "maximize"],
                                                                       ["minimize", "minimize"]]))
def test_multi_objective_best_trials_agree_with_optuna(trials, directions):
    ours, theirs = tell_both(trials, directions)
    assert sorted(t.number for t in ours.best_trials) == sorted(t.number for t in theirs.best_trials)


def test_the_issue_example_best_is_the_best_feasible_trial():
    # infeasible when x < 1: the unconstrained optimum x = 0 must not be the answer
    xs = [0.033, 1.028, 3.0, -2.0, 1.5]
    trials = [(x, "complete", {"x >= 1": 1.0 - x}, [(x - 0.0) ** 2 + 1e-3, 0.0]) for x in xs]
    ours, theirs = tell_both(trials, ["minimize"])
    assert ours.best_params == theirs.best_params == {"x": 1.028}
    assert ours.best_value == pytest.approx(1.028**2 + 1e-3)


def test_no_feasible_trial_means_no_best_and_an_empty_front():
    trials = [(x, "complete", {"c": 1.0}, [x, -x]) for x in (1.0, 2.0)]
    ours, _ = tell_both(trials, ["minimize"])
    with pytest.raises(ValueError, match="feasible"):
        ours.best_trial
    ours, _ = tell_both(trials, ["minimize", "minimize"])
    assert ours.best_trials == []


def test_constraints_func_set_after_tell_counts_for_best():
    sampler = TPESampler(seed=0, constraints_func=lambda t: [1.0 - t.params["x"]])  # feasible when x >= 1
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=30)
    feasible = [t for t in study.trials if t.params["x"] >= 1.0]
    assert study.best_trial.number == min(feasible, key=lambda t: t.value).number


def test_set_constraint_stores_named_values_as_optuna_does():
    study = fasthpo.create_study()
    trial = study.ask()
    trial.set_constraint("memory", 0.5)
    trial.set_constraint("latency", np.float32(-1.0))
    assert trial.constraints == {"memory": 0.5, "latency": -1.0}
    frozen = study.tell(trial, 1.0)
    assert frozen.constraints == {"memory": 0.5, "latency": -1.0}
    assert frozen.system_attrs == {"constraints:memory": 0.5, "constraints:latency": -1.0}


def test_a_constraint_set_twice_keeps_its_first_value_with_a_warning():
    study = fasthpo.create_study()
    trial = study.ask()
    trial.set_constraint("c", 1.0)
    with pytest.warns(UserWarning, match="already set"):
        trial.set_constraint("c", -1.0)
    assert trial.constraints == {"c": 1.0}


def test_the_list_form_still_works_and_is_deprecated():
    study = fasthpo.create_study()
    trial = study.ask()
    with pytest.warns(DeprecationWarning, match="set_constraint"):
        trial.set_constraint([0.5, -1.0])
    trial.set_constraint("named", 2.0)
    assert study.tell(trial, 1.0).constraints == {"0": 0.5, "1": -1.0, "named": 2.0}
    assert study.trials[0].constraints == optuna.trial.FrozenTrial(
        number=0, state=optuna.trial.TrialState.COMPLETE, value=1.0, datetime_start=None, datetime_complete=None,
        params={}, distributions={}, user_attrs={}, system_attrs=study.trials[0].system_attrs,
        intermediate_values={}, trial_id=0,
    ).constraints


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (("c", float("nan")), ValueError, "NaN"),
        (("c", "0.5"), TypeError, "real number"),
        (("c", True), TypeError, "real number"),
        ((3, 1.0), TypeError, "key must be a str"),
        (("c",), TypeError, "real number"),
    ],
)
def test_bad_constraints_are_rejected_and_change_nothing(args, error, match):
    study = fasthpo.create_study()
    trial = study.ask()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=match):
            trial.set_constraint(*args)
    assert trial.constraints == {} and trial.system_attrs == {}
    assert math.isnan(study._store.violation[0])


def test_a_finished_trial_takes_no_constraint():
    study = fasthpo.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="RUNNING"):
        trial.set_constraint("c", 1.0)
    assert study.trials[0].constraints == {}


def test_constraints_survive_a_journal_round_trip(tmp_path):
    path = str(tmp_path / "s.log")
    study = fasthpo.create_study(study_name="s", storage=path, sampler=RandomSampler(seed=0))
    for x in (0.0, 2.0, 1.5):
        trial = study.ask()
        trial.suggest_float("x", x, x)
        trial.set_constraint("x >= 1", 1.0 - x)
        study.tell(trial, x)
    loaded = fasthpo.load_study(study_name="s", storage=path)
    assert [t.constraints for t in loaded.trials] == [t.constraints for t in study.trials]
    assert loaded.best_trial.number == study.best_trial.number == 2


def test_constraints_of_reads_both_formats():
    assert constraints_of({}) == {}
    assert constraints_of({"constraints": None}) == {}
    assert constraints_of({"constraints": (1, 2)}) == {"0": 1.0, "1": 2.0}


def test_constraints_and_bests_survive_conversion_to_and_from_optuna():
    from fasthpo.integration.optuna import from_optuna, to_optuna

    trials = [(x, "complete", {"x >= 1": 1.0 - x}, [x * x, 0.0]) for x in (0.1, 2.0, 1.2, -3.0)]
    ours, theirs = tell_both(trials, ["minimize"])
    assert to_optuna(ours).best_trial.number == theirs.best_trial.number == 2
    back = from_optuna(theirs)
    assert back.best_trial.number == 2
    assert [t.constraints for t in back.trials] == [t.constraints for t in ours.trials]
