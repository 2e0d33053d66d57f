import math
import subprocess
import sys
import threading

import numpy as np
import pytest

import fasthpo
from fasthpo import StudyDirection, TrialPruned, TrialState
from fasthpo.samplers import RandomSampler


def new_study(**kwargs):
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    return fasthpo.create_study(**kwargs)


def snapshot(study):
    store = study._store
    return (
        store.n_trials,
        store.X.copy(),
        store.Y.copy(),
        store.states.copy(),
        [(dict(r.params), dict(r.user_attrs), dict(r.intermediate_values)) for r in store.records],
    )


def assert_same(a, b):
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    np.testing.assert_array_equal(a[3], b[3])
    assert a[4] == b[4]


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"direction": "up"}, ValueError, "'minimize' or 'maximize'"),
        ({"directions": ["minimize", "sideways"]}, ValueError, "'minimize' or 'maximize'"),
        ({"directions": []}, ValueError, "non-empty list"),
        ({"direction": "minimize", "directions": ["minimize"]}, ValueError, "not both"),
        ({"sampler": "tpe"}, TypeError, "sampler must be"),
        ({"pruner": object()}, TypeError, "pruner must be"),
        ({"study_name": 3}, TypeError, "study_name must be a str"),
        ({"storage": "sqlite:///x.db"}, ValueError, "storage URL .* is not supported"),
        ({"storage": 3.5}, TypeError, "storage must be"),
    ],
)
def test_create_study_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        fasthpo.create_study(**kwargs)


def test_directions():
    assert new_study().direction == StudyDirection.MINIMIZE
    assert new_study(direction="MAXIMIZE").direction == StudyDirection.MAXIMIZE
    study = new_study(directions=["minimize", "maximize"])
    assert study.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError, match="several objectives"):
        study.direction


def test_best_trial_tracks_minimum_and_maximum():
    for direction, pick in (("minimize", min), ("maximize", max)):
        study = new_study(direction=direction)
        study.optimize(quadratic, n_trials=60)
        values = [t.value for t in study.trials]
        assert study.best_value == pick(values)
        assert study.best_trial.number == values.index(pick(values))
        assert study.best_params == study.trials[study.best_trial.number].params


def test_best_trial_without_complete_trials_is_an_error():
    study = new_study()
    with pytest.raises(ValueError, match="No trial is complete"):
        study.best_trial
    study.tell(study.ask(), state=TrialState.FAIL)
    with pytest.raises(ValueError, match="No trial is complete"):
        study.best_value


def test_tell_rejects_bad_calls_and_leaves_the_study_unchanged():
    study = new_study(directions=["minimize", "minimize"])
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.set_user_attr("a", 1)
    done = study.ask()
    study.tell(done, [1.0, 2.0])
    before = snapshot(study)
    bad_calls = [
        ((trial, [1.0]), {}, ValueError, "2 objective"),
        ((trial, 1.0), {}, ValueError, "2 objective"),
        ((trial, [1.0, float("nan")]), {}, ValueError, "not finite"),
        ((trial, [1.0, float("inf")]), {}, ValueError, "not finite"),
        ((trial, [1.0, "2"]), {}, TypeError, "not a number"),
        ((trial, "12"), {}, TypeError, "number or a sequence"),
        ((trial, None), {}, ValueError, "Give the objective"),
        ((trial, [1.0, 2.0]), {"state": TrialState.RUNNING}, ValueError, "state must be"),
        ((trial, [1.0, 2.0]), {"state": "COMPLETE"}, ValueError, "state must be"),
        ((done, [1.0, 2.0]), {}, ValueError, "already finished"),
        ((99, [1.0, 2.0]), {}, ValueError, "Unknown trial number 99"),
        ((-1, [1.0, 2.0]), {}, ValueError, "Unknown trial number -1"),
        (("0", [1.0, 2.0]), {}, TypeError, "trial must be"),
        ((new_study().ask(), 1.0), {}, ValueError, "another study"),
    ]
    for args, kwargs, error, match in bad_calls:
        with pytest.raises(error, match=match):
            study.tell(*args, **kwargs)
        assert_same(before, snapshot(study))
    assert study.tell(done, [5.0, 5.0], skip_if_finished=True).values == [1.0, 2.0]
    assert study.tell(trial.number, np.array([0.5, 0.25])).values == [0.5, 0.25]


def test_tell_pruned_keeps_the_last_intermediate_value():
    study = new_study()
    trial = study.ask()
    trial.report(3.0, 0)
    trial.report(2.0, 5)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED and frozen.value == 2.0
    assert study.tell(study.ask(), state=TrialState.PRUNED).values is None
    assert study.tell(study.ask(), 7.0, state=TrialState.FAIL).values is None


def test_waiting_trials_cannot_be_told():
    study = new_study()
    study.enqueue_trial({"x": 1.0})
    with pytest.raises(ValueError, match="WAITING"):
        study.tell(0, 1.0)
    assert study.trials[0].state == TrialState.WAITING


def test_optimize_marks_failures_and_goes_on():
    study = new_study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        kind = trial.number % 5
        if kind == 1:
            return float("nan")
        if kind == 2:
            return [x, x]
        if kind == 3:
            raise ValueError("boom")
        if kind == 4:
            raise TrialPruned()
        return x

    with pytest.warns(UserWarning, match="failed"):
        study.optimize(objective, n_trials=20, catch=(ValueError,))
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL, TrialState.FAIL, TrialState.PRUNED] * 4


def test_an_uncaught_exception_fails_the_trial_and_is_raised():
    study = new_study()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        raise KeyError("not caught")

    with pytest.warns(UserWarning), pytest.raises(KeyError, match="not caught"):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_trials": -1}, ValueError, "n_trials must be >= 0"),
        ({"n_trials": 1.5}, TypeError, "n_trials must be an int"),
        ({"timeout": -1}, ValueError, "timeout must be"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be"),
        ({"catch": [42]}, TypeError, "catch must be"),
    ],
)
def test_optimize_rejects_bad_arguments(kwargs, error, match):
    study = new_study()
    with pytest.raises(error, match=match):
        study.optimize(quadratic, **kwargs)
    assert study._store.n_trials == 0
    with pytest.raises(TypeError, match="objective must be callable"):
        study.optimize(None, n_trials=1)


def test_optimize_callbacks_timeout_and_stop():
    study = new_study()
    seen = []

    def callback(study, frozen):
        seen.append(frozen.number)
        if len(seen) == 7:
            study.stop()

    study.optimize(quadratic, n_trials=100, callbacks=[callback])
    assert seen == list(range(7))
    study.optimize(quadratic, timeout=0.2)
    assert len(study.trials) > 7


def test_optimize_with_threads_runs_every_trial_once():
    study = new_study()
    lock = threading.Lock()
    called = []

    def objective(trial):
        with lock:
            called.append(trial.number)
        return quadratic(trial)

    study.optimize(objective, n_trials=64, n_jobs=4)
    assert sorted(called) == list(range(64))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_progress_bar_shows_the_best_value(capsys):
    new_study().optimize(quadratic, n_trials=30, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "30/30" in err and "best:" in err


def test_best_trials_is_the_pareto_front():
    study = new_study(directions=["minimize", "maximize"])
    points = [(1, 1), (2, 3), (3, 3), (0, 0), (2, 2), (5, 4)]
    for a, b in points:
        study.tell(study.ask(), [a, b])
    front = sorted(tuple(t.values) for t in study.best_trials)
    assert front == [(0, 0), (1, 1), (2, 3), (5, 4)]
    with pytest.raises(RuntimeError, match="no single best trial"):
        study.best_trial


def test_pareto_front_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, size=(200, 3)).astype(float)
    mask = fasthpo.study.pareto_front_mask(y)
    dominated = [np.any(np.all(y <= y[i], axis=1) & np.any(y < y[i], axis=1)) for i in range(len(y))]
    assert mask.tolist() == [not d for d in dominated]


def test_get_trials_filters_by_state_and_copies():
    study = new_study()
    study.optimize(quadratic, n_trials=5)
    study.tell(study.ask(), state=TrialState.FAIL)
    study.ask()
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 5
    assert [t.number for t in study.get_trials(states=[TrialState.FAIL, TrialState.RUNNING])] == [5, 6]
    study.trials[0].params["x"] = 1234.0
    assert study.trials[0].params["x"] != 1234.0


def test_enqueue_trial_validates_and_skips_duplicates():
    study = new_study()
    with pytest.raises(TypeError, match="params must be a dict"):
        study.enqueue_trial([("x", 1)])
    with pytest.raises(TypeError, match="user_attrs must be a dict"):
        study.enqueue_trial({"x": 1.0}, user_attrs=3)
    assert study._store.n_trials == 0
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": 1.0}, skip_if_exists=True)
    study.optimize(quadratic, n_trials=2)
    assert study.trials[0].params["x"] == 1.0 and len(study.trials) == 2


def test_load_study_and_load_if_exists():
    storage = fasthpo.storages.InMemoryStorage()
    study = fasthpo.create_study(storage=storage, study_name="s", sampler=RandomSampler(seed=1))
    study.optimize(quadratic, n_trials=3)
    assert len(fasthpo.load_study(study_name="s", storage=storage).trials) == 3
    with pytest.raises(fasthpo.DuplicatedStudyError):
        fasthpo.create_study(storage=storage, study_name="s")
    again = fasthpo.create_study(storage=storage, study_name="s", load_if_exists=True)
    assert len(again.trials) == 3
    with pytest.raises(ValueError, match="exists with directions"):
        fasthpo.create_study(storage=storage, study_name="s", direction="maximize", load_if_exists=True)
    with pytest.raises(KeyError, match="No study named"):
        fasthpo.load_study(study_name="missing", storage=storage)


def test_study_user_attrs():
    study = new_study()
    study.set_user_attr("dataset", "iris")
    assert study.user_attrs == {"dataset": "iris"}


def test_trials_dataframe():
    pd = pytest.importorskip("pandas")
    study = new_study()

    def objective(trial):
        trial.set_user_attr("tag", trial.number)
        return quadratic(trial)

    study.optimize(objective, n_trials=4)
    study.ask()
    df = study.trials_dataframe()
    assert list(df["number"]) == [0, 1, 2, 3, 4]
    assert list(df["state"]) == ["COMPLETE"] * 4 + ["RUNNING"]
    assert df["value"].iloc[:4].tolist() == [t.value for t in study.trials[:4]]
    assert math.isnan(df["value"].iloc[4])
    assert df["params_y"].iloc[:4].tolist() == [t.params["y"] for t in study.trials[:4]]
    assert df["user_attrs_tag"].iloc[:4].tolist() == [0, 1, 2, 3]
    assert isinstance(df["duration"].iloc[0], pd.Timedelta)
    multi = new_study(directions=["minimize", "maximize"])
    multi.tell(multi.ask(), [1.0, 2.0])
    assert multi.trials_dataframe(attrs=["number", "value"]).columns.tolist() == ["number", "values_0", "values_1"]
    with pytest.raises(ValueError, match="Unknown attrs"):
        study.trials_dataframe(attrs=["bogus"])


REPRO_SCRIPT = """
import fasthpo
study = fasthpo.create_study(sampler=fasthpo.samplers.{sampler}(seed=123))
def objective(trial):
    return trial.suggest_float("x", -1, 1) + trial.suggest_int("n", 0, 9) + len(trial.suggest_categorical("c", ["a", "bb"]))
study.optimize(objective, n_trials=30)
print([sorted(t.params.items()) for t in study.trials])
"""


@pytest.mark.parametrize("sampler", ["RandomSampler", "QMCSampler"])
def test_a_seed_reproduces_the_suggestions_in_another_process(sampler):
    script = REPRO_SCRIPT.format(sampler=sampler)
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].count("x") == 30
