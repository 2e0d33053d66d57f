"""The compiled trial path: the study lock, the argument caches of ``suggest_*`` and
the store it writes, also from several threads at once."""

import threading

import numpy as np
import pytest

import fasthpo
from fasthpo._kernels.trialpath import StudyLock
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def random_study(seed=0):
    return fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=seed))


def test_study_lock_is_reentrant_and_owned():
    lock = StudyLock()
    with lock:
        with lock:
            assert lock.locked()
        assert lock.locked()
    assert not lock.locked()
    with pytest.raises(RuntimeError, match="un-acquired"):
        lock.release()
    lock.acquire()
    other = []
    thread = threading.Thread(target=lambda: other.append(pytest.raises(RuntimeError, lock.release)))
    thread.start()
    thread.join()
    assert lock.locked()  # another thread cannot release it
    lock.release()
    assert not lock.locked()


def test_study_lock_excludes_other_threads():
    lock = StudyLock()
    counter = [0]

    def add():
        for _ in range(2000):
            with lock:
                value = counter[0]
                threading.Event().wait(0) if value % 500 == 0 else None  # let other threads run
                counter[0] = value + 1

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter[0] == 8000


def test_a_name_keeps_its_distribution_per_arguments():
    study = random_study()
    first, second = study.ask(), study.ask()
    assert 0 <= first.suggest_float("x", 0, 1) <= 1
    assert 5 <= second.suggest_float("x", 5, 6) <= 6  # another range of the same name
    assert first.distributions["x"] == FloatDistribution(0, 1)
    assert second.distributions["x"] == FloatDistribution(5, 6)
    third = study.ask()
    assert third.suggest_int("y", 1, 3) in (1, 2, 3)
    assert third.distributions["y"] == IntDistribution(1, 3)
    assert third.suggest_float("z", 1, 10, log=True) >= 1
    fourth = study.ask()
    assert fourth.suggest_float("z", 1, 10, log=1) >= 1  # log=1 is log=True
    assert fourth.distributions["z"].log


def test_categorical_choices_are_compared_each_time():
    study = random_study()
    choices = ["a", "b"]
    trial = study.ask()
    assert trial.suggest_categorical("c", choices) in choices
    choices[1] = "z"  # the same list, changed: a new distribution, which the column refuses
    with pytest.raises(ValueError, match="choices"):
        study.ask().suggest_categorical("c", choices)
    assert study.ask().suggest_categorical("c", ("a", "b")) in ("a", "b")
    assert trial.distributions["c"] == CategoricalDistribution(["a", "b"])


def test_threads_suggesting_while_the_store_grows_lose_no_value():
    """Eight threads ask, suggest new parameters (new columns) and tell, while the
    rows grow: every value a trial returned is the one in the store's matrix."""
    study = random_study()

    def work(k):
        for i in range(150):
            trial = study.ask()
            names = [f"p{(k * 7 + i + j) % 40}" for j in range(6)]
            values = [trial.suggest_float(name, -1, 1) for name in names]
            study.tell(trial, float(np.sum(np.square(values))))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store = study._store
    assert store.n_trials == 1200 and store.n_finished == 1200
    for trial in study.trials:
        row = store.X[trial.number]
        assert np.count_nonzero(~np.isnan(row)) == 6
        for name, value in trial.params.items():
            assert row[store.columns[name]] == value
        assert trial.value == pytest.approx(sum(v * v for v in trial.params.values()))


def told_study(direction, as_list):
    """A study told with one float per trial (the compiled tell) or a list of one."""
    study = fasthpo.create_study(direction=direction, sampler=fasthpo.samplers.RandomSampler(seed=3))
    snapshots = []
    for i in range(12):
        trial = study.ask()
        x = trial.suggest_float("x", -1, 1)
        if i % 3:
            trial.suggest_int("n", 0, 4)
        value = float(x * x + (i % 5))
        snapshots.append(study.tell(trial, [value] if as_list else value))
    return study, snapshots


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_the_compiled_tell_of_a_float_is_the_general_tell(direction):
    compiled, compiled_snapshots = told_study(direction, as_list=False)
    general, general_snapshots = told_study(direction, as_list=True)
    for a, b in zip(compiled_snapshots + compiled.trials, general_snapshots + general.trials):
        assert (a.number, a.state, a.values, a.params, a.distributions) == (
            b.number, b.state, b.values, b.params, b.distributions)
        assert a.datetime_start <= a.datetime_complete
    assert compiled.best_trial.number == general.best_trial.number
    assert compiled._store.intersection_search_space() == general._store.intersection_search_space() == {
        "x": FloatDistribution(-1, 1)}
    np.testing.assert_array_equal(compiled._store.Y, general._store.Y)
    np.testing.assert_array_equal(compiled._store.states, general._store.states)


def test_the_compiled_tell_refuses_what_the_general_tell_refuses():
    study = random_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match="already finished"):
        study.tell(trial, 2.0)
    other = random_study().ask()
    with pytest.raises(ValueError, match="another study"):
        study.tell(other, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        study.tell(study.ask(), float("nan"))
    assert [t.state for t in study.trials] == [fasthpo.TrialState.COMPLETE, fasthpo.TrialState.RUNNING]
    assert study.trials[0].value == 1.0


def test_the_snapshot_tell_returns_is_the_finished_trial_and_a_copy():
    """The compiled tell's snapshot is built when first read: it equals the study's own
    snapshot, survives pickling and copying, and changing it changes nothing in the study."""
    import copy
    import datetime
    import pickle

    study = random_study()
    before = datetime.datetime.now()
    trial = study.ask()
    trial.suggest_float("x", -1, 1)
    trial.set_user_attr("note", "kept")
    snapshot = study.tell(trial, 0.25)
    after = datetime.datetime.now()
    assert type(snapshot) is fasthpo.FrozenTrial
    assert snapshot == study.trials[0]
    assert snapshot.value == 0.25 and snapshot.state == fasthpo.TrialState.COMPLETE
    assert before <= snapshot.datetime_start <= snapshot.datetime_complete <= after
    assert pickle.loads(pickle.dumps(snapshot)) == snapshot == copy.deepcopy(snapshot)
    snapshot.params["x"] = 99.0
    snapshot.user_attrs.clear()
    assert study.trials[0].params["x"] != 99.0 and study.trials[0].user_attrs == {"note": "kept"}
    fresh = study.tell(study.ask(), 1.0)
    assert repr(fresh) == repr(study.trials[1]) and fresh.params == {}
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        fresh.nothing


def test_trial_times_are_the_clock_of_datetime_now():
    study = random_study()
    before = datetime_now()
    for _ in range(3):
        study.tell(study.ask(), 1.0)
    after = datetime_now()
    times = [t for trial in study.trials for t in (trial.datetime_start, trial.datetime_complete)]
    assert times == sorted(times) and before <= times[0] and times[-1] <= after
    assert all(t.tzinfo is None for t in times)


def datetime_now():
    import datetime

    return datetime.datetime.now()


class _GeneralRandomSampler(fasthpo.samplers.RandomSampler):
    """A RandomSampler the compiled paths do not recognize: it goes the general way."""


def batched_study(sampler_class, told_as_array):
    """Batches of a study through the compiled batch paths (RandomSampler, values told
    as a float64 array) or the general ones (a subclass, values told as a list)."""
    study = fasthpo.create_study(sampler=sampler_class(seed=5))
    returned = []
    for size in (7, 1, 30, 64):
        batch = study.ask_batch(size)
        x = batch.suggest_float("x", -2, 3)
        lr = batch.suggest_float("lr", 1e-4, 1e-1, log=True)
        n = batch.suggest_int("n", 0, 9)
        again = batch.suggest_float("x", -2, 3)
        values = x ** 2 + np.log(lr) + n
        returned += [x, lr, n, again]
        study.tell_batch(batch, values if told_as_array else values.tolist())
    return study, returned


def test_the_compiled_batch_paths_are_the_general_ones():
    compiled, compiled_values = batched_study(fasthpo.samplers.RandomSampler, told_as_array=True)
    general, general_values = batched_study(_GeneralRandomSampler, told_as_array=False)
    for a, b in zip(compiled_values, general_values):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(compiled._store.X, general._store.X)
    np.testing.assert_array_equal(compiled._store.Y, general._store.Y)
    np.testing.assert_array_equal(compiled._store.states, general._store.states)
    assert [(t.params, t.distributions, t.values, t.state) for t in compiled.trials] == [
        (t.params, t.distributions, t.values, t.state) for t in general.trials]
    assert compiled.best_trial.number == general.best_trial.number
    for include_pruned in (False, True):
        assert compiled._store.intersection_search_space(include_pruned) == general._store.intersection_search_space(
            include_pruned) == {"x": FloatDistribution(-2, 3), "lr": FloatDistribution(1e-4, 1e-1, log=True),
                                "n": IntDistribution(0, 9)}


def test_a_compiled_batch_suggestion_returns_a_copy_and_refuses_what_the_general_one_refuses():
    study = random_study()
    batch = study.ask_batch(5)
    x = batch.suggest_float("x", 0, 1)
    x[:] = -1.0
    np.testing.assert_array_equal(batch.suggest_float("x", 0, 1), study._store.X[:, 0])
    with pytest.raises(ValueError, match="already suggested"):
        batch.suggest_float("x", 0, 2)
    study.tell_batch(batch, np.zeros(5))
    with pytest.raises(ValueError, match="has been told"):
        batch.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="told already"):
        study.tell_batch(batch, np.zeros(5))
    other = study.ask_batch(3)
    study.tell(int(other.numbers[1]), 1.0)
    with pytest.raises(ValueError, match="already COMPLETE"):
        study.tell_batch(other, np.zeros(3))
    assert study._store.n_trials == 8 and study._store.n_finished == 6
