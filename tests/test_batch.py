"""Batch ask/tell: suggestions as arrays, vectorized objectives, one journal write per batch."""

import numpy as np
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import GridSampler, QMCSampler, RandomSampler
from fasthpo.storages import JournalFileStorage


def test_suggestions_are_arrays_one_value_per_member():
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    batch = study.ask_batch(5)
    x = batch.suggest_float("x", -1, 1)
    n = batch.suggest_int("n", 1, 9, step=2)
    kind = batch.suggest_categorical("kind", ["a", "b", None])
    assert x.shape == n.shape == kind.shape == (5,)
    assert x.dtype == float and n.dtype == np.int64 and kind.dtype == object
    assert np.all((x >= -1) & (x <= 1)) and set(n.tolist()) <= {1, 3, 5, 7, 9}
    np.testing.assert_array_equal(batch.suggest_float("x", -1, 1), x)  # asked again: the same values
    assert [p["x"] for p in batch.params] == x.tolist()
    assert len(batch) == 5 and batch.numbers.tolist() == [0, 1, 2, 3, 4]


def test_a_subset_gives_a_conditional_parameter_to_its_members_only():
    study = fasthpo.create_study(sampler=RandomSampler(seed=1))
    batch = study.ask_batch(40)
    kind = batch.suggest_categorical("kind", ["linear", "tree"])
    trees = batch.subset(kind == "tree")
    depth = trees.suggest_int("depth", 1, 8)
    assert len(depth) == int((kind == "tree").sum()) > 0
    study.tell_batch(batch, np.where(kind == "tree", 1.0, 2.0))
    for trial in study.trials:
        assert ("depth" in trial.params) == (trial.params["kind"] == "tree")
    with pytest.raises(ValueError, match="boolean array of shape"):
        batch.subset([True, False])


def scalar_then_batch(make_sampler, suggest, n, warmup=0):
    """The parameters of n trials asked one by one, and of n asked as one batch."""
    results = []
    for batched in (False, True):
        study = fasthpo.create_study(sampler=make_sampler())
        study.optimize(lambda t: sum(suggest(t)), n_trials=warmup)
        if batched:
            batch = study.ask_batch(n)
            rows = np.column_stack(suggest(batch))
            study.tell_batch(batch, rows.sum(axis=1))
        else:
            rows = []
            for _ in range(n):
                trial = study.ask()
                rows.append(suggest(trial))
                study.tell(trial, sum(rows[-1]))
            rows = np.array(rows)
        results.append(np.asarray(rows, dtype=float))
    return results


@pytest.mark.parametrize("make, suggest, warmup", [
    (lambda: RandomSampler(seed=3), lambda t: [t.suggest_float("x", -2, 2)], 0),
    (lambda: QMCSampler(seed=3, scramble=True),
     lambda t: [t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)], 1),
    (lambda: GridSampler({"x": [0, 1, 2], "y": [5, 6]}, seed=3),
     lambda t: [t.suggest_int("x", 0, 2), t.suggest_int("y", 5, 6)], 0),
])
def test_scalar_and_batch_give_the_same_sequence_for_the_same_seed(make, suggest, warmup):
    scalar, batched = scalar_then_batch(make, suggest, n=6, warmup=warmup)
    np.testing.assert_array_equal(scalar, batched)


def snapshot(study):
    return [(t.number, t.state, t.params, t.values) for t in study.trials]


def test_bad_batch_input_is_rejected_and_leaves_the_study_unchanged():
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    batch = study.ask_batch(3)
    x = batch.suggest_float("x", 0, 1)
    batch.suggest_categorical("c", ["a", "b"])
    lone = study.ask_batch(2)
    lone.suggest_float("x", 0, 1)
    study.tell(int(lone.numbers[0]), 1.0)  # a member told alone
    other = fasthpo.create_study().ask_batch(1)
    before = snapshot(study)
    cases = [
        (lambda: study.tell_batch(batch, [1.0, 2.0]), ValueError, "shape (3,)"),
        (lambda: study.tell_batch(batch, np.ones((3, 2))), ValueError, "shape (3,)"),
        (lambda: study.tell_batch(batch, ["a", "b", "c"]), TypeError, "array of numbers"),
        (lambda: study.tell_batch(batch, x, states=[TrialState.RUNNING] * 3), ValueError, "COMPLETE, PRUNED or FAIL"),
        (lambda: study.tell_batch(batch, x, states=[TrialState.FAIL]), ValueError, "sequence of 3"),
        (lambda: study.tell_batch(lone, [1.0, 2.0]), ValueError, "already COMPLETE"),
        (lambda: lone.suggest_float("y", 0, 1), ValueError, "only running members"),
        (lambda: study.tell_batch(batch.subset(np.array([True, False, True])), [1.0, 2.0]), ValueError, "whole batch"),
        (lambda: study.tell_batch(other, [1.0]), ValueError, "another study"),
        (lambda: study.tell_batch(study.ask, [1.0]), TypeError, "BatchTrial"),
        (lambda: study.ask_batch(0), ValueError, ">= 1"),
        (lambda: study.ask_batch(-2), ValueError, ">= 1"),
        (lambda: study.ask_batch(2.5), TypeError, "int"),
        (lambda: batch.suggest_categorical("c", ["a", "z"]), ValueError, "'c'"),
        (lambda: batch.suggest_float("c", 0, 1), ValueError, "'c'"),
        (lambda: batch.suggest_float(3, 0, 1), TypeError, "str"),
    ]
    for call, error, words in cases:
        with pytest.raises(error) as info:
            call()
        assert words in str(info.value), (words, str(info.value))
        assert snapshot(study) == before
    study.tell_batch(batch, x)
    with pytest.raises(ValueError, match="told already"):
        study.tell_batch(batch, x)
    with pytest.raises(ValueError, match="has been told"):
        batch.suggest_float("late", 0, 1)


def test_nan_fails_that_member_only_and_states_are_per_member():
    study = fasthpo.create_study()
    batch = study.ask_batch(4)
    batch.suggest_float("x", 0, 1)
    study.tell_batch(batch, [1.0, np.nan, 3.0, 4.0],
                     states=[TrialState.COMPLETE, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
    frozen = study.trials
    assert [t.state for t in frozen] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED, TrialState.FAIL]
    assert [t.values for t in frozen] == [[1.0], None, [3.0], None]
    assert study.best_value == 1.0
    batch = study.ask_batch(2)
    batch.suggest_float("x", 0, 1)
    study.tell_batch(batch, [np.inf, 0.5])
    assert [t.state for t in study.trials[4:]] == [TrialState.FAIL, TrialState.COMPLETE]
    assert study.best_value == 0.5 and study.best_trial.number == 5


def test_optimize_runs_a_vectorized_objective_in_batches(capsys):
    seen = []
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda b: b.suggest_float("x", -1, 1) ** 2, n_trials=250, batch_size=100,
                   callbacks=[lambda s, t: seen.append(t.number)], show_progress_bar=True)
    assert len(study.trials) == 250 and seen == list(range(250))
    assert "250/250" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="failed"):
        study.optimize(lambda b: [1.0], n_trials=3, batch_size=3)  # not one value per member
    assert [t.state for t in study.trials[-3:]] == [TrialState.FAIL] * 3
    with pytest.raises(ValueError, match="n_jobs must be 1"):
        study.optimize(lambda b: b.suggest_float("x", 0, 1), n_trials=4, batch_size=2, n_jobs=2)
    grid = fasthpo.create_study(sampler=GridSampler({"x": [0, 1, 2, 3, 4]}))
    grid.optimize(lambda b: b.suggest_int("x", 0, 4) * 1.0, batch_size=2)  # stops when the grid is done
    assert sorted(t.params["x"] for t in grid.trials) == [0, 1, 2, 3, 4]


def test_through_the_journal_each_batch_step_is_one_write(tmp_path, monkeypatch):
    storage = JournalFileStorage(str(tmp_path / "journal.log"))
    study = fasthpo.create_study(storage=storage, sampler=RandomSampler(seed=0))
    commits = []
    original = storage._commit_data
    monkeypatch.setattr(storage, "_commit_data", lambda data: commits.append(data.count(b"\n")) or original(data))
    batch = study.ask_batch(50)
    x = batch.suggest_float("x", 0, 1)
    study.tell_batch(batch, x)
    assert commits == [50, 50, 50]  # create, the parameter, the results: three writes of 50 records
    again = fasthpo.load_study(study_name=study.study_name, storage=str(tmp_path / "journal.log"))
    assert [t.params["x"] for t in again.trials] == x.tolist()
    assert [t.values for t in again.trials] == [[v] for v in x.tolist()]


def test_a_failing_batch_objective_fails_its_members_with_several_objectives():
    study = fasthpo.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=0))

    def raises(batch):
        batch.suggest_float("x", 0, 1)
        raise RuntimeError("boom")

    with pytest.warns(UserWarning, match="boom"):
        study.optimize(raises, n_trials=4, batch_size=2, catch=(RuntimeError,))
    with pytest.warns(UserWarning, match="shape"):
        study.optimize(lambda batch: [1.0], n_trials=2, batch_size=2)  # not (2, 2) values
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 6


def record_view(store):
    return [(list(r.params.items()), list(r.distributions.items()), store.state_of(r.number))
            for r in store.records]


@pytest.mark.parametrize("read_midway", [False, True])
def test_batch_records_built_from_the_columns_equal_records_written_one_by_one(read_midway):
    """A batch member's record is built when read; it must equal the record the scalar
    store writes for the same parameters and states, and so must the search space."""
    from fasthpo.store import TrialStore

    study = fasthpo.create_study(sampler=RandomSampler(seed=4))
    batch = study.ask_batch(30)
    kind = batch.suggest_categorical("kind", ["a", "b", "c"])
    if read_midway:  # built now, then kept up to date by the later batch writes
        assert [p["kind"] for p in batch.params] == kind.tolist()
    subset = batch.subset(kind != "a")
    depth = subset.suggest_int("depth", 1, 9, step=2)
    x = batch.suggest_float("x", 1e-3, 1.0, log=True)
    lr = batch.subset(kind == "c").suggest_float("lr", 0.0, 1.0)
    values = x.copy()
    values[::7] = np.nan  # these fail
    states = [TrialState.PRUNED if i % 5 == 1 else TrialState.COMPLETE for i in range(30)]
    study.tell_batch(batch, values, states)

    eager = TrialStore(n_objectives=1)
    store = study._store
    for trial in study.trials:
        number = eager.create_trial()
        for name, distribution in trial.distributions.items():
            eager.set_param(number, name, distribution, store.X[number, store.columns[name]])
        eager.finish(number, trial.state, trial.values)
    assert record_view(store) == record_view(eager)
    for pruned in (False, True):
        assert store.intersection_search_space(pruned) == eager.intersection_search_space(pruned)
    assert [t.params.get("depth") for t in study.trials][:5] == [
        int(depth[np.flatnonzero(kind != "a").tolist().index(i)]) if kind[i] != "a" else None for i in range(5)]
    assert sorted(t.params["lr"] for t in study.trials if "lr" in t.params) == sorted(lr.tolist())
    assert all(t.datetime_start <= t.datetime_complete for t in study.trials)
    nan_fails = [TrialState.FAIL if i % 7 == 0 and s == TrialState.COMPLETE else s for i, s in enumerate(states)]
    assert [t.state for t in study.trials] == nan_fails  # a pruned member keeps its state, without values
    assert all(t.values is None for t in study.trials[::7])


def test_a_batch_created_with_parameters_names_them_in_records_and_search_space():
    from fasthpo.distributions import FloatDistribution, IntDistribution
    from fasthpo.store import TrialStore

    store = TrialStore(n_objectives=1)
    x, k = FloatDistribution(0, 1), IntDistribution(1, 5)
    numbers = store.create_trials([{"x": (x, 0.25), "k": (k, 2.4)}, {"x": (x, 0.5)}])
    store.set_params(range(numbers[0], numbers[-1] + 1), "y", x, np.array([0.1, 0.2]))
    store.finish_batch(range(numbers[0], numbers[-1] + 1), np.array([1, 1], dtype=np.int8), np.array([[1.0], [2.0]]))
    assert [dict(r.params) for r in store.records] == [{"x": 0.25, "k": 2, "y": 0.1}, {"x": 0.5, "y": 0.2}]
    assert store.intersection_search_space() == {"x": x, "y": x}


def test_a_batch_of_one_is_a_batch():
    """ask_batch(1) runs the scalar trial path; it keeps every face and error of a batch."""
    study = fasthpo.create_study(sampler=RandomSampler(seed=4))
    batch = study.ask_batch(1)
    x = batch.suggest_float("x", -1, 1)
    n = batch.suggest_int("n", 1, 9, step=2)
    kind = batch.suggest_categorical("kind", ["a", "b", None])
    assert x.shape == n.shape == kind.shape == (1,)
    assert x.dtype == float and n.dtype == np.int64 and kind.dtype == object
    np.testing.assert_array_equal(batch.suggest_float("x", -1, 1), x)
    assert batch.subset(np.array([False])).suggest_float("absent", 0, 1).shape == (0,)
    assert batch.subset(np.array([True])).suggest_float("y", 0, 1).shape == (1,)
    assert batch.params == [{"x": x[0], "n": n[0], "kind": kind[0], "y": batch.params[0]["y"]}]
    with pytest.raises(ValueError, match="'x'"):
        batch.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):
        study.tell_batch(batch, [1.0, 2.0])
    with pytest.raises(TypeError, match="array of numbers"):
        study.tell_batch(batch, ["a"])
    assert study.trials[0].state == TrialState.RUNNING
    study.tell_batch(batch, x ** 2)
    assert study.trials[0].values == [float(x[0] ** 2)] and study.best_value == float(x[0] ** 2)
    with pytest.raises(ValueError, match="told already"):
        study.tell_batch(batch, x)
    with pytest.raises(ValueError, match="has been told"):
        batch.suggest_float("late", 0, 1)
    lone = study.ask_batch(1)
    study.tell(int(lone.numbers[0]), 1.0)  # the member told alone
    with pytest.raises(ValueError, match="already COMPLETE"):
        study.tell_batch(lone, [1.0])
    with pytest.raises(ValueError, match="only running members"):
        lone.suggest_float("x", -1, 1)
    failed = study.ask_batch(1)
    study.tell_batch(failed, np.array([np.nan]))
    pruned = study.ask_batch(1)
    study.tell_batch(pruned, [0.5], states=[TrialState.PRUNED])
    assert [t.state for t in study.trials[2:]] == [TrialState.FAIL, TrialState.PRUNED]
    study.enqueue_trial({"x": 0.5})
    assert study.ask_batch(1).numbers.tolist() == [5]  # the enqueued trial waits for ask
    assert study.ask().params == {} and study.trials[4].state == TrialState.RUNNING


@pytest.mark.parametrize("make, suggest, warmup", [
    (lambda: RandomSampler(seed=3), lambda t: [t.suggest_float("x", -2, 2), t.suggest_int("n", 0, 9)], 0),
    (lambda: QMCSampler(seed=3, scramble=True),
     lambda t: [t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)], 1),
    (lambda: GridSampler({"x": [0, 1, 2], "y": [5, 6]}, seed=3),
     lambda t: [t.suggest_int("x", 0, 2), t.suggest_int("y", 5, 6)], 0),
])
def test_batches_of_one_give_the_scalar_sequence(make, suggest, warmup):
    results = []
    for one in (False, True):
        study = fasthpo.create_study(sampler=make())
        study.optimize(lambda t: sum(suggest(t)), n_trials=warmup)
        rows = []
        for _ in range(5):
            trial = study.ask_batch(1) if one else study.ask()
            rows.append([float(np.asarray(v).reshape(-1)[0]) for v in suggest(trial)])
            study.tell_batch(trial, [sum(rows[-1])]) if one else study.tell(trial, sum(rows[-1]))
        results.append(rows)
    assert results[0] == results[1]
