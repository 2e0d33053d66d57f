"""study.optimize on an executor: threads, processes and a real Dask LocalCluster; the sampler in the driver."""

import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler, TPESampler


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    kind = trial.suggest_categorical("kind", ["quad", "abs"])
    if kind == "quad":
        trial.suggest_int("unused_elsewhere", 0, 3)
    for step in range(3):
        trial.report(x * x + 3 - step, step)
    trial.set_user_attr("kind", kind)
    return x * x if kind == "quad" else abs(x)


def test_the_drivers_sampler_proposes_every_known_parameter(tmp_path):
    plain = fasthpo.create_study(sampler=RandomSampler(seed=3))
    plain.optimize(lambda t: t.suggest_float("x", -3, 3), n_trials=10)
    with ThreadPoolExecutor(2) as pool:
        remote = fasthpo.create_study(sampler=RandomSampler(seed=3))
        remote.optimize(lambda t: t.suggest_float("x", -3, 3), n_trials=12, executor=pool)
    # the first trial met "x" on the worker, and the one asked ahead while it ran did not know it yet;
    # from then on the driver's sampler proposed it, in the same order
    assert [t.params["x"] for t in remote.trials[2:]] == [t.params["x"] for t in plain.trials]


def test_threads_keep_at_most_n_jobs_in_flight_and_record_everything(tmp_path):
    lock, running, peak = threading.Lock(), [0], [0]

    def counted(trial):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return objective(trial)

    seen = []
    study = fasthpo.create_study(storage=str(tmp_path / "s.log"), study_name="s",
                                 sampler=TPESampler(seed=0, n_startup_trials=5))
    with ThreadPoolExecutor(8) as pool:
        study.optimize(counted, n_trials=30, n_jobs=3, executor=pool, callbacks=[lambda s, t: seen.append(t.number)],
                       show_progress_bar=True)
    assert peak[0] <= 3
    trials = fasthpo.load_study(study_name="s", storage=str(tmp_path / "s.log")).trials
    assert len(trials) == 30 and all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(seen) == list(range(30))
    for t in trials:
        assert set(t.params) == ({"x", "kind", "unused_elsewhere"} if t.user_attrs["kind"] == "quad" else {"x", "kind"})
        assert t.intermediate_values == {s: t.params["x"] * t.params["x"] + 3 - s for s in range(3)}
        assert t.value == pytest.approx(t.params["x"] ** 2 if t.params["kind"] == "quad" else abs(t.params["x"]))


def failing(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number % 3 == 1:
        raise ValueError("fails on purpose")
    if trial.number % 3 == 2:
        raise fasthpo.TrialPruned()
    return x


@pytest.mark.filterwarnings("ignore:Trial .* failed")
def test_processes_catch_prune_raise_and_timeout():
    with ProcessPoolExecutor(2) as pool:
        study = fasthpo.create_study(sampler=RandomSampler(seed=0))
        study.optimize(failing, n_trials=9, n_jobs=2, executor=pool, catch=(ValueError,))
        assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED] * 3

        raising = fasthpo.create_study(sampler=RandomSampler(seed=0))
        with pytest.raises(ValueError, match="fails on purpose"):
            raising.optimize(failing, n_trials=9, n_jobs=2, executor=pool)
        assert TrialState.RUNNING not in {t.state for t in raising.trials}

        timed = fasthpo.create_study(sampler=RandomSampler(seed=0))
        start = time.monotonic()
        timed.optimize(lambda t: time.sleep(0.05) or 1.0, timeout=0.5, n_jobs=2, executor=ThreadPoolExecutor(2))
        assert time.monotonic() - start < 5 and 2 <= len(timed.trials) < 40
        assert all(t.state == TrialState.COMPLETE for t in timed.trials)


def test_bad_executor_arguments():
    study = fasthpo.create_study()
    with pytest.raises(TypeError, match="executor must be a concurrent.futures.Executor"):
        study.optimize(objective, n_trials=1, executor="tcp://127.0.0.1:8786")
    assert study.trials == []


# ------------------------------------------------------ a real Dask cluster
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        yield client
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def worker_pid(trial):
    import os

    trial.set_user_attr("pid", os.getpid())
    return objective(trial)


def test_a_dask_local_cluster_runs_the_trials_and_a_restarted_driver_goes_on(tmp_path, dask_client):
    path = str(tmp_path / "dask.log")
    study = fasthpo.create_study(study_name="d", storage=path, sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(worker_pid, n_trials=16, n_jobs=-1, executor=dask_client)
    trials = study.trials
    assert len(trials) == 16 and all(t.state == TrialState.COMPLETE for t in trials)
    pids = {t.user_attrs["pid"] for t in trials}
    assert len(pids) == 2 and all(pid != __import__("os").getpid() for pid in pids)  # both worker processes

    restarted = fasthpo.load_study(study_name="d", storage=path, sampler=TPESampler(seed=1, n_startup_trials=5))
    restarted.optimize(worker_pid, n_trials=8, n_jobs=2, executor=dask_client)
    assert [t.number for t in fasthpo.load_study(study_name="d", storage=path).trials] == list(range(24))


DRIVER = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
import fasthpo
from fasthpo.storages import JournalFileStorage, RetryFailedTrialCallback

storage = JournalFileStorage(sys.argv[1], heartbeat_interval=0.5, grace_period=3.0,
                             failed_trial_callback=RetryFailedTrialCallback())
study = fasthpo.create_study(study_name="r", storage=storage, sampler=fasthpo.samplers.RandomSampler(seed=0))
with ThreadPoolExecutor(4) as pool:
    study.optimize(lambda t: time.sleep(0.05) or t.suggest_float("x", 0, 1), n_trials=100000, n_jobs=4, executor=pool)
"""


def sleepy(trial):
    time.sleep(0.02)
    return trial.suggest_float("x", 0, 1)


def test_a_driver_killed_mid_run_and_restarted_goes_on_where_it_stopped(tmp_path):
    import os
    import signal
    import subprocess

    from fasthpo.storages import JournalFileStorage, RetryFailedTrialCallback

    path = str(tmp_path / "restart.log")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, path], env=env)
    try:
        deadline, watched = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                watched = watched or fasthpo.load_study(study_name="r", storage=path)  # then replays what is new
            except (FileNotFoundError, KeyError):  # the driver has not created the study yet
                continue
            if sum(t.state == TrialState.COMPLETE for t in watched.get_trials(deepcopy=False)) >= 8:
                break
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.wait()
    before = fasthpo.load_study(study_name="r", storage=JournalFileStorage(path)).trials
    dead = [t for t in before if t.state == TrialState.RUNNING]
    assert sum(t.state == TrialState.COMPLETE for t in before) >= 8 and len(dead) >= 1  # the chunks in flight

    time.sleep(3.2)  # the dead driver's trials are now past the grace period
    storage = JournalFileStorage(path, heartbeat_interval=0.5, grace_period=3.0,
                                 failed_trial_callback=RetryFailedTrialCallback())
    restarted = fasthpo.load_study(study_name="r", storage=storage, sampler=RandomSampler(seed=1))
    with ThreadPoolExecutor(4) as pool:
        restarted.optimize(sleepy, n_trials=len(dead) + 12, n_jobs=4, executor=pool)  # the retries, then 12 more

    after = fasthpo.load_study(study_name="r", storage=JournalFileStorage(path)).trials
    assert [t.number for t in after] == list(range(len(before) + len(dead) + 12))  # numbering goes on after the last
    for old, new in zip(before, after):
        if old.state == TrialState.RUNNING:
            assert new.state == TrialState.FAIL
        else:  # everything the dead driver told is kept as it was
            assert (new.state, new.params, new.values) == (old.state, old.params, old.values)
    retries = {t.system_attrs["failed_trial"]: t for t in after[len(before):] if "failed_trial" in t.system_attrs}
    assert sorted(retries) == [t.number for t in dead]  # each dead trial retried once, with its parameters
    assert all(retries[t.number].params.keys() >= t.params.keys() for t in dead)
    assert all(t.state == TrialState.COMPLETE for t in after[len(before):])


class CountingPool(ThreadPoolExecutor):
    """A real thread pool that counts the tasks submitted to it."""

    def __init__(self, workers):
        super().__init__(workers)
        self.tasks = 0

    def submit(self, *args, **kwargs):
        self.tasks += 1
        return super().submit(*args, **kwargs)


def test_short_trials_travel_in_chunks_long_ones_one_per_task():
    with CountingPool(2) as pool:
        study = fasthpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=10))
        study.optimize(objective, n_trials=300, n_jobs=2, executor=pool)
    assert 300 / 64 <= pool.tasks < 300 / 4  # chunks of many trials each, at most MAX_CHUNK
    trials = study.trials
    assert [t.number for t in trials] == list(range(300)) and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        assert t.value == pytest.approx(t.params["x"] ** 2 if t.params["kind"] == "quad" else abs(t.params["x"]))
        assert t.intermediate_values == {s: t.params["x"] * t.params["x"] + 3 - s for s in range(3)}

    with CountingPool(3) as pool:
        slow = fasthpo.create_study(sampler=RandomSampler(seed=0))
        slow.optimize(lambda t: time.sleep(0.3) or t.suggest_float("x", 0, 1), n_trials=6, n_jobs=3, executor=pool)
    assert pool.tasks == 6 and len(slow.trials) == 6


def test_a_chunk_whose_trials_define_a_new_parameter_differently_fails_the_later_one():
    def clashing(trial):
        if trial.number < 20:
            return trial.suggest_float("x", 0, 1)
        return trial.suggest_float("y", 0, 1) if trial.number % 2 else float(trial.suggest_int("y", 0, 5))

    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    with ThreadPoolExecutor(1) as pool, pytest.warns(UserWarning, match="cannot be redefined"):
        study.optimize(clashing, n_trials=60, n_jobs=1, executor=pool, catch=(ValueError,))
    later = study.trials[20:]
    kinds = {type(t.distributions["y"]).__name__ for t in later if t.state == TrialState.COMPLETE}
    assert len(kinds) == 1  # one definition of "y" won; trials using the other failed
    assert any(t.state == TrialState.FAIL for t in later)


def test_a_chunks_trials_are_told_as_one_record_group_then_each_callback_runs(tmp_path):
    storage = fasthpo.storages.JournalFileStorage(str(tmp_path / "j.log"))
    study = fasthpo.create_study(storage=storage, sampler=TPESampler(seed=0, n_startup_trials=10))
    appended, backend_append = [], storage._backend.append
    storage._backend.append = lambda data: appended.append(data) or backend_append(data)
    seen = []

    def callback(study, trial):
        seen.append((trial.number, trial.state, study._store.state_of(trial.number)))

    with CountingPool(2) as pool:
        study.optimize(objective, n_trials=200, n_jobs=2, executor=pool, callbacks=[callback])
    finishing = [data for data in appended if b'"op_code":6' in data and b'"state":1' in data]
    assert len(finishing) == pool.tasks < 200 / 4  # one group of finish records a task
    assert sum(data.count(b"\n") for data in finishing) == 200
    assert sorted(number for number, _, _ in seen) == list(range(200))
    assert all(state == TrialState.COMPLETE and code == TrialState.COMPLETE for _, state, code in seen)
    again = fasthpo.load_study(study_name=study.study_name, storage=str(tmp_path / "j.log"))
    assert [(t.number, t.state, t.value, t.params) for t in again.trials] == [
        (t.number, t.state, t.value, t.params) for t in study.trials]


def test_the_next_chunk_is_asked_while_the_tasks_run_and_finishes_after_a_stop():
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))
    ahead = []

    def slow(trial):  # one trial a task: longer than a chunk's time
        time.sleep(0.3)
        ahead.append(study._store.n_trials - 1 - trial.number)  # trials started after this one
        return trial.suggest_float("x", 0, 1)

    def stop_after_three(study, trial):
        if trial.number == 2:
            study.stop()

    with CountingPool(1) as pool:
        study.optimize(slow, n_trials=10, n_jobs=1, executor=pool, callbacks=[stop_after_three])
    assert ahead == [1, 1, 1, 0]  # the trial asked ahead runs, then nothing new starts
    assert pool.tasks == 4 and [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


def test_chunks_asked_ahead_wait_in_a_full_executors_queue():
    lock, running, peak, submitted = threading.Lock(), [0], [0], []

    class Pool(CountingPool):
        def submit(self, *args, **kwargs):
            with lock:
                submitted.append(running[0])  # tasks running when this one is submitted
            return super().submit(*args, **kwargs)

    def counted(trial):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.3)  # one trial a task
        with lock:
            running[0] -= 1
        return trial.suggest_float("x", 0, 1)

    with Pool(2) as pool:  # as many workers as n_jobs: two more tasks wait in the queue
        study = fasthpo.create_study(sampler=RandomSampler(seed=0))
        study.optimize(counted, n_trials=8, n_jobs=2, executor=pool)
    assert peak[0] == 2 and pool.tasks == 8 and len(study.trials) == 8
    assert max(submitted) == 2  # submitted while both workers ran: queued, not waiting in the driver

    submitted.clear()
    peak[0] = 0
    with Pool(3) as pool:  # a spare worker would run a third task at once: none is queued
        study = fasthpo.create_study(sampler=RandomSampler(seed=0))
        study.optimize(counted, n_trials=6, n_jobs=2, executor=pool)
    assert peak[0] == 2 and pool.tasks == 6 and max(submitted) <= 1
