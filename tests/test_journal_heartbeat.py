"""Workers that die: heartbeats, stale trials failed after the grace period, retries, a SIGKILL loop."""

import json
import multiprocessing
import os
import random
import signal
import time
import warnings

import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler
from fasthpo.storages import JournalFileStorage, RetryFailedTrialCallback
from fasthpo.storages._heartbeat import HEARTBEAT


def storage_with_heartbeat(path, **kwargs):
    return JournalFileStorage(path, heartbeat_interval=0.1, grace_period=0.5, **kwargs)


def test_a_trial_whose_worker_stopped_beating_fails_and_is_retried_with_its_parameters(tmp_path):
    path = tmp_path / "h.log"
    dead = fasthpo.create_study(study_name="s", storage=storage_with_heartbeat(path))
    trial = dead.ask()
    x = trial.suggest_float("x", 0, 1)
    trial.report(0.5, 3)
    dead._store.set_system_attr(trial.number, HEARTBEAT, time.time())  # one beat, then the worker "dies"
    by_hand = dead.ask()  # ask/tell without optimize: no heartbeat, never failed as stale

    retry = RetryFailedTrialCallback(max_retry=1, inherit_intermediate_values=True)
    alive = fasthpo.load_study(study_name="s", storage=storage_with_heartbeat(path, failed_trial_callback=retry),
                               sampler=RandomSampler(seed=0))
    alive.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert alive.trials[trial.number].state == TrialState.RUNNING  # within the grace period
    time.sleep(0.6)
    alive.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # fails it, then runs its retry

    trials = fasthpo.load_study(study_name="s", storage=str(path)).trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.RUNNING, TrialState.COMPLETE,
                                         TrialState.COMPLETE]
    retried = trials[3]
    assert retried.params == {"x": x} and retried.value == x
    assert retried.intermediate_values == {3: 0.5}
    assert RetryFailedTrialCallback.retried_trial_number(retried) == 0
    assert RetryFailedTrialCallback.retry_history(retried) == [0]
    assert trials[by_hand.number].state == TrialState.RUNNING


def test_optimize_beats_while_the_objective_runs(tmp_path):
    path = tmp_path / "beats.log"
    study = fasthpo.create_study(study_name="s", storage=storage_with_heartbeat(path))
    study.optimize(lambda t: time.sleep(0.45) or 1.0, n_trials=1)
    beats = [r for r in map(json.loads, path.read_text().splitlines())
             if r["op_code"] == 9 and HEARTBEAT in r["system_attr"]]
    assert 4 <= len(beats) <= 7  # one at the start, then one every 0.1 s until the trial ends
    assert study.trials[0].state == TrialState.COMPLETE


def test_heartbeat_arguments_are_checked(tmp_path):
    path = tmp_path / "a.log"
    with pytest.raises(ValueError, match="heartbeat_interval must be a number > 0"):
        JournalFileStorage(path, heartbeat_interval=0)
    with pytest.raises(ValueError, match="need a heartbeat_interval"):
        JournalFileStorage(path, grace_period=3)
    with pytest.raises(ValueError, match="must exceed heartbeat_interval"):
        JournalFileStorage(path, heartbeat_interval=2, grace_period=1)
    with pytest.raises(TypeError, match="failed_trial_callback must be callable"):
        JournalFileStorage(path, heartbeat_interval=1, failed_trial_callback=3)
    with pytest.raises(ValueError, match="max_retry"):
        RetryFailedTrialCallback(max_retry=-1)
    assert JournalFileStorage(path, heartbeat_interval=1.5).grace_period == 3.0


# ----------------------------------------------------------- a SIGKILL loop
def killable_worker(path, seed, told_path):
    storage = JournalFileStorage(path, heartbeat_interval=0.2, grace_period=1.0)
    study = fasthpo.load_study(study_name="s", storage=storage, sampler=RandomSampler(seed=seed))
    with open(told_path, "a") as told:
        def objective(trial):
            time.sleep(random.uniform(0.0, 0.03))
            return trial.suggest_float("x", -1, 1)

        def note(study, frozen):  # after the tell returned: this trial is in the journal
            told.write(f"{frozen.number} {frozen.value!r}\n")
            told.flush()

        study.optimize(objective, n_trials=10_000, callbacks=[note])


def test_sigkill_loop_keeps_every_told_trial_and_fails_the_dead_workers_trials(tmp_path):
    path = str(tmp_path / "killed.log")
    fasthpo.create_study(study_name="s", storage=path)
    context = multiprocessing.get_context("fork")  # a fast start: kills hit working workers
    rng = random.Random(0)
    workers, told_files, n_kills = [], [], 0

    def start(i):
        told = str(tmp_path / f"told-{i}.txt")
        told_files.append(told)
        process = context.Process(target=killable_worker, args=(path, i, told))
        process.start()
        return process

    workers = [start(i) for i in range(3)]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5, 2.0))
        victim = rng.randrange(len(workers))
        os.kill(workers[victim].pid, signal.SIGKILL)
        workers[victim].join()
        n_kills += 1
        workers[victim] = start(len(told_files))
    for process in workers:  # the last ones die too: their trials must also turn FAIL
        os.kill(process.pid, signal.SIGKILL)
        process.join()

    told = {}
    for name in filter(os.path.exists, told_files):  # a worker killed while starting wrote nothing
        with open(name) as f:
            for line in f.read().splitlines()[:-1]:  # the last line may be torn by the kill
                number, value = line.split()
                told[int(number)] = float(value)
    assert n_kills >= 6 and len(told) >= 10, (n_kills, len(told))

    time.sleep(1.1)  # the grace period: no worker beats any more
    with warnings.catch_warnings(record=True) as caught:  # a torn last line, if a kill hit a write, is reported
        warnings.simplefilter("always")
        survivor = fasthpo.load_study(study_name="s", storage=JournalFileStorage(path, heartbeat_interval=0.2,
                                                                                  grace_period=1.0))
    journal_warnings = [str(w.message) for w in caught if str(w.message).startswith("The journal")]
    assert all("unfinished line" in message for message in journal_warnings)
    trials = survivor.trials
    assert [t.number for t in trials] == list(range(len(trials)))
    for number, value in told.items():
        assert trials[number].state == TrialState.COMPLETE and trials[number].value == value
    survivor.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=1)  # fails the stale trials first
    trials = survivor.trials
    running_before = [t for t in trials[:-1] if t.state == TrialState.RUNNING]
    assert running_before == []
    assert sum(t.state == TrialState.FAIL for t in trials) >= 1
