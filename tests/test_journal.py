"""The journal file storage: round trips, processes sharing a study, damaged journals."""

import math
import multiprocessing
import os
import warnings

import numpy as np
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler
from fasthpo.storages import InMemoryStorage, JournalFileStorage, get_storage


def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 1000, log=True)
    kind = trial.suggest_categorical("kind", ["a", None, 1.5, True])
    if kind == "a":
        trial.suggest_float("step", 0.0, 1.0, step=0.25)
    trial.report(x * x + 1.0, 0)
    trial.report(float("nan"), 1)
    trial.set_user_attr("tag", {"n": n, "list": [1, 2.5]})
    trial.set_constraint("x <= 4", x - 4.0)
    if n > 500:
        raise fasthpo.TrialPruned()
    if x > 4.0:
        raise RuntimeError("fails on purpose")
    return x * x + math.log(n)


def journal_study(path, name="s", seed=0, **kwargs):
    return fasthpo.create_study(study_name=name, storage=str(path), sampler=RandomSampler(seed=seed), **kwargs)


def assert_same_studies(a, b):
    # repr compares exactly (floats print round-trip) and treats the reported NaN as equal
    assert repr(a.trials) == repr(b.trials)
    assert a.directions == b.directions
    assert a.user_attrs == b.user_attrs
    sa, sb = a._store, b._store
    np.testing.assert_array_equal(sa.X[:, [sa.columns[k] for k in sb.columns]], sb.X)
    np.testing.assert_array_equal(sa.Y, sb.Y)
    np.testing.assert_array_equal(sa.states, sb.states)
    for step in (0, 1):
        for x, y in zip(sa.step_values(step), sb.step_values(step)):
            np.testing.assert_array_equal(x, y)
    assert sa.intersection_search_space() == sb.intersection_search_space()


@pytest.mark.filterwarnings("ignore:Trial .* failed")
def test_round_trip_in_one_process(tmp_path):
    path = tmp_path / "study.log"
    study = journal_study(path)
    study.set_user_attr("dataset", "iris")
    study.optimize(objective, n_trials=40, catch=(RuntimeError,))
    study.enqueue_trial({"x": 1.0, "kind": "a"}, user_attrs={"queued": True})
    study.optimize(objective, n_trials=1, catch=(RuntimeError,))
    study.enqueue_trial({"x": 2.0})
    study.ask()  # starts the enqueued trial
    study.ask()  # a new trial
    study.enqueue_trial({"x": 3.0})  # stays WAITING
    states = {t.state for t in study.trials}
    assert states == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING}

    loaded = fasthpo.load_study(study_name="s", storage=JournalFileStorage(path))
    assert_same_studies(study, loaded)
    assert math.isnan(loaded.trials[0].intermediate_values[1])
    assert loaded.trials[40].params["x"] == 1.0 and loaded.trials[40].user_attrs["queued"] is True
    assert repr(loaded.best_trial) == repr(study.best_trial)
    assert all((t.datetime_start is None) == (t.state == TrialState.WAITING) for t in loaded.trials)
    assert isinstance(loaded.trials[0].distributions["n"], fasthpo.IntDistribution)


def test_multi_objective_round_trip_and_study_management(tmp_path):
    path = tmp_path / "study.log"
    study = fasthpo.create_study(study_name="mo", storage=f"journal://{path}", directions=["minimize", "maximize"],
                                 sampler=RandomSampler(seed=1))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=20)
    other = journal_study(path, name="other")
    other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)

    storage = JournalFileStorage(path)
    assert sorted(storage.get_all_study_names()) == ["mo", "other"]
    loaded = fasthpo.load_study(study_name="mo", storage=storage)
    assert_same_studies(study, loaded)
    assert [t.number for t in loaded.best_trials] == [t.number for t in study.best_trials]

    with pytest.raises(fasthpo.DuplicatedStudyError):
        fasthpo.create_study(study_name="mo", storage=str(path))
    with pytest.raises(ValueError, match="directions"):
        fasthpo.create_study(study_name="mo", storage=str(path), load_if_exists=True)
    again = fasthpo.create_study(study_name="mo", storage=str(path), directions=["minimize", "maximize"],
                                 load_if_exists=True)
    assert len(again.trials) == 20

    storage.delete_study("other")
    assert JournalFileStorage(path).get_all_study_names() == ["mo"]
    with pytest.raises(ValueError, match="deleted"):
        other.ask()
    with pytest.raises(KeyError, match="other"):
        fasthpo.load_study(study_name="other", storage=str(path))


def test_two_storages_allocate_unique_numbers_and_see_each_other(tmp_path):
    path = tmp_path / "study.log"
    a = journal_study(path, seed=0)
    b = fasthpo.load_study(study_name="s", storage=str(path), sampler=fasthpo.samplers.TPESampler(seed=0))
    ta, tb, ta2 = a.ask(), b.ask(), a.ask()
    assert (ta.number, tb.number, ta2.number) == (0, 1, 2)
    for t in (ta, tb, ta2):
        t.suggest_float("x", 0, 1)
    a.tell(ta, 1.0)
    a.tell(ta2, 0.5)
    b.tell(tb, 2.0)
    assert b.best_trial.number == 2  # told in the other storage
    assert b._store.n_finished == 3 and b._store.X.shape == (3, 1)


def test_threads_share_one_journal_study(tmp_path):
    study = journal_study(tmp_path / "threads.log")
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=60, n_jobs=2)
    trials = fasthpo.load_study(study_name="s", storage=str(tmp_path / "threads.log")).trials
    assert [t.number for t in trials] == list(range(60))
    assert repr(trials) == repr(study.trials)


def test_telling_a_trial_another_process_finished_is_rejected_and_writes_nothing(tmp_path):
    path = tmp_path / "study.log"
    a = journal_study(path)
    b = fasthpo.load_study(study_name="s", storage=str(path))
    trial = a.ask()
    b.tell(trial.number, 1.0)
    size = os.path.getsize(path)
    with pytest.raises(ValueError, match="already finished"):
        a.tell(trial, 2.0)
    assert os.path.getsize(path) == size
    assert a.trials[0].value == 1.0


def test_rejected_calls_write_nothing(tmp_path):
    path = tmp_path / "study.log"
    study = journal_study(path)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 1.0)
    running = study.ask()
    before = path.read_bytes()
    trials_before = study.trials
    with pytest.raises(ValueError, match="already finished"):
        study.tell(trial, 2.0)
    with pytest.raises(ValueError, match="Unknown trial"):
        study.tell(7, 2.0)
    with pytest.raises(ValueError, match="not finite"):
        study.tell(running, float("nan"))
    with pytest.raises(ValueError, match="cannot be redefined"):
        running.suggest_int("x", 0, 1)
    with pytest.raises(TypeError, match="JSON"):
        running.set_user_attr("model", object())
    with pytest.raises(TypeError, match="JSON"):
        study.set_user_attr("model", object())
    with pytest.raises(TypeError, match="JSON"):
        study.enqueue_trial({"x": object()})
    assert path.read_bytes() == before
    assert study.trials == trials_before and study.user_attrs == {}
    assert fasthpo.load_study(study_name="s", storage=str(path)).trials == trials_before


def test_corrupt_line_names_file_and_line_and_keeps_earlier_lines(tmp_path):
    path = tmp_path / "study.log"
    study = journal_study(path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    lines = path.read_bytes().splitlines(keepends=True)
    for bad, why in ((b"{not json\n", ""), (b'{"op":"explode","study":0,"trial":0}\n', ""),
                     (b'{"op":"report","study":0}\n', ""), (b'{"op_code":6,"trial_id":0,"state":7}\n', ": 7 is not a valid")):
        path.write_bytes(b"".join(lines[:4]) + bad + b"".join(lines[4:]))
        with pytest.raises(ValueError, match=rf"Corrupt journal '{path}', line 5{why}"):
            JournalFileStorage(path)
    assert path.read_bytes() == b"".join(lines[:4]) + bad + b"".join(lines[4:])  # left as it was


def test_truncated_last_line_is_ignored_with_warning_then_cut_by_next_writer(tmp_path):
    path = tmp_path / "study.log"
    study = journal_study(path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    complete = path.read_bytes()
    with open(path, "ab") as f:
        f.write(b'{"op":"create_trial","study":0,"tri')  # a writer died here
    unfinished = f"unfinished line {len(complete.splitlines()) + 1}"
    with pytest.warns(RuntimeWarning, match=unfinished):
        loaded = fasthpo.load_study(study_name="s", storage=str(path), sampler=RandomSampler(seed=5))
    with pytest.warns(RuntimeWarning, match=unfinished):  # the first storage sees it too
        assert loaded.trials == study.trials
    loaded.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert path.read_bytes().startswith(complete) and path.read_bytes().endswith(b"\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = fasthpo.load_study(study_name="s", storage=str(path))
    assert [t.number for t in again.trials] == [0, 1, 2, 3, 4]
    assert again.trials[:3] == study.trials[:3]


def test_get_storage_arguments(tmp_path):
    assert isinstance(get_storage(None), InMemoryStorage)
    assert isinstance(get_storage(tmp_path / "a.log"), JournalFileStorage)
    assert get_storage(f"journal://{tmp_path}/b.log").path == f"{tmp_path}/b.log"
    with pytest.raises(ValueError, match="sqlite"):
        get_storage("sqlite:///x.db")
    with pytest.raises(ValueError, match="empty"):
        get_storage("journal://")
    with pytest.raises(TypeError, match="storage"):
        get_storage(3)
    with pytest.raises(TypeError, match="path"):
        JournalFileStorage(3)


# ------------------------------------------------------------ real processes
def _worker(path, seed, n_trials, barrier):
    study = fasthpo.create_study(study_name="shared", storage=path, sampler=RandomSampler(seed=seed),
                                 load_if_exists=True)
    calls = []

    def objective(trial):
        calls.append(trial.number)
        if len(calls) == n_trials // 2:  # both workers are halfway before either goes on
            barrier.wait(timeout=60)
        trial.set_user_attr("worker", seed)
        trial.set_user_attr("finished_seen", trial.study._store.n_finished)
        return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_int("k", 0, 3)

    study.optimize(objective, n_trials=n_trials)


def _run_all(processes):
    """Start the processes, wait for them (a minute at most), kill any left, return exit codes."""
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    return [p.exitcode for p in processes]


def _reader(path, queue):
    study = fasthpo.load_study(study_name="shared", storage=path)
    queue.put([(t.number, t.state, t.values, t.params, t.user_attrs) for t in study.trials])


def test_two_processes_optimize_one_study_and_a_third_sees_everything(tmp_path):
    path = str(tmp_path / "shared.log")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    workers = [context.Process(target=_worker, args=(path, seed, 60, barrier)) for seed in (1, 2)]
    assert _run_all(workers) == [0, 0]

    study = fasthpo.load_study(study_name="shared", storage=path)
    trials = study.trials
    assert [t.number for t in trials] == list(range(120))
    assert all(t.state == TrialState.COMPLETE and set(t.params) == {"x", "k"} for t in trials)
    by_worker = [t.user_attrs["worker"] for t in trials]
    assert by_worker.count(1) == by_worker.count(2) == 60
    assert by_worker[:60].count(1) == 30  # each worker's first 30 asks came before the barrier
    # after the barrier each worker's sampler saw the other's 29 finished trials
    after_barrier = [t.user_attrs["finished_seen"] for t in trials[60:]]
    assert min(after_barrier) >= 58

    queue = context.Queue()
    reader = context.Process(target=_reader, args=(path, queue))
    reader.start()
    try:
        seen = queue.get(timeout=60)  # before join: a child exits only once its queue is drained
    finally:
        reader.join(10)
        if reader.is_alive():
            reader.kill()
    assert seen == [(t.number, t.state, t.values, t.params, t.user_attrs) for t in trials]


def test_forked_children_of_one_study_object_take_turns(tmp_path):
    # a forked child shares its parent's open files; its storage must lock on its own
    study = journal_study(tmp_path / "forked.log")
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)

    def work():
        barrier.wait(timeout=60)
        study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=100)

    assert _run_all([context.Process(target=work) for _ in range(2)]) == [0, 0]
    trials = fasthpo.load_study(study_name="s", storage=str(tmp_path / "forked.log")).trials
    assert [t.number for t in trials] == list(range(200))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_fsync_storage_round_trips_and_checks_its_argument(tmp_path):
    storage = JournalFileStorage(tmp_path / "durable.log", fsync=True)
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert repr(fasthpo.load_study(study_name="s", storage=tmp_path / "durable.log").trials) == repr(study.trials)
    with pytest.raises(TypeError, match="fsync"):
        JournalFileStorage(tmp_path / "other.log", fsync="yes")


def _appends(storage):
    """The groups ``storage`` appends from now on (its backend's ``append`` wrapped)."""
    appended, append = [], storage._backend.append
    storage._backend.append = lambda data: appended.append(data) or append(data)
    return appended


@pytest.mark.parametrize("heartbeat", [None, 60.0])
def test_optimize_writes_a_trials_parameters_with_its_next_record(tmp_path, heartbeat):
    path = str(tmp_path / "j.log")
    storage = JournalFileStorage(path, heartbeat_interval=heartbeat)
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    appended = _appends(storage)
    seen = []

    def elsewhere(number):  # what another process sees of the trial now
        return fasthpo.load_study(study_name="s", storage=JournalFileStorage(path)).trials[number].params

    def objective(trial):
        params = {"x": trial.suggest_float("x", -1, 1), "k": trial.suggest_int("k", 0, 3)}
        assert trial.params == params and study.trials[trial.number].params == params
        before = elsewhere(trial.number)
        trial.report(params["x"], 0)
        seen.append((before, elsewhere(trial.number), params))
        if trial.number == 3:
            raise RuntimeError("the objective failed")
        return params["x"] ** 2 + params["k"]

    with pytest.warns(UserWarning, match="Trial 3 failed"):
        study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    (first_before, _, first), *rest = seen
    assert first_before == first  # parameters new to the study are written at once
    # held until the trial's next record (the report), unless heartbeats may fail it meanwhile
    assert all(before == ({} if heartbeat is None else params) and after == params for before, after, params in rest)
    again = fasthpo.load_study(study_name="s", storage=JournalFileStorage(path)).trials
    assert [(t.params, t.intermediate_values, t.state) for t in again] == [
        (p, {0: p["x"]}, TrialState.FAIL if n == 3 else TrialState.COMPLETE) for n, (_, _, p) in enumerate(seen)]
    assert [t.value for t in again if t.state == TrialState.COMPLETE] == [
        p["x"] ** 2 + p["k"] for n, (_, _, p) in enumerate(seen) if n != 3]
    if heartbeat is None:
        appended.clear()
        study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("k", 0, 3), n_trials=10)
        assert len(appended) == 2 * 10  # a trial's start, then its parameters with its result


def test_threads_hold_each_trials_parameters_until_its_result(tmp_path):
    path = str(tmp_path / "j.log")
    study = fasthpo.create_study(study_name="s", storage=JournalFileStorage(path), sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) + t.suggest_int("k", 0, 3), n_trials=200, n_jobs=4)
    again = fasthpo.load_study(study_name="s", storage=JournalFileStorage(path)).trials
    assert len(again) == 200 and all(t.state == TrialState.COMPLETE for t in again)
    assert all(t.value == t.params["x"] + t.params["k"] for t in again)
    assert [(t.params, t.value) for t in again] == [(t.params, t.value) for t in study.trials]


def test_a_long_replay_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    from fasthpo.storages.journal import _MANY_LINES

    path = str(tmp_path / "j.log")
    study = journal_study(path)
    study.optimize(lambda batch: batch.suggest_float("x", 0, 1), n_trials=_MANY_LINES, batch_size=_MANY_LINES)
    assert gc.isenabled()
    assert len(fasthpo.load_study(study_name="s", storage=path).trials) == _MANY_LINES
    assert gc.isenabled()
    gc.disable()
    try:
        assert len(fasthpo.load_study(study_name="s", storage=path).trials) == _MANY_LINES
        assert not gc.isenabled()
    finally:
        gc.enable()
