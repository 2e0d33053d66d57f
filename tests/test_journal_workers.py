"""Real worker processes sharing one journal: on a file (both locks), on Redis, with Optuna workers."""

import multiprocessing
import os

import optuna
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler
from fasthpo.storages import JournalFileStorage, JournalRedisStorage


def make_storage(spec):
    kind, where, option = spec
    if kind == "file":
        return JournalFileStorage(where, lock=option)
    return JournalRedisStorage(where, prefix=option)


def fasthpo_worker(spec, seed, n_trials, barrier):
    study = fasthpo.create_study(study_name="shared", storage=make_storage(spec), sampler=RandomSampler(seed=seed),
                                 load_if_exists=True)
    barrier.wait(timeout=120)

    def objective(trial):
        trial.set_user_attr("worker", f"fasthpo-{seed}")
        return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_int("k", 0, 3)

    study.optimize(objective, n_trials=n_trials)


def optuna_worker(spec, seed, n_trials, barrier):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    kind, where, option = spec
    backend = (optuna.storages.journal.JournalFileBackend(where) if kind == "file"
               else optuna.storages.journal.JournalRedisBackend(where, prefix=option))
    study = optuna.create_study(study_name="shared", storage=optuna.storages.JournalStorage(backend),
                                sampler=optuna.samplers.RandomSampler(seed=seed), load_if_exists=True)
    barrier.wait(timeout=120)

    def objective(trial):
        trial.set_user_attr("worker", f"optuna-{seed}")
        return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_int("k", 0, 3)

    study.optimize(objective, n_trials=n_trials)


def run_workers(spec, workers, n_trials):
    """Create the study, run ``workers`` [(function, seed)] at once, return the loaded trials."""
    fasthpo.create_study(study_name="shared", storage=make_storage(spec))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(workers))
    processes = [context.Process(target=f, args=(spec, seed, n_trials, barrier)) for f, seed in workers]
    for p in processes:
        p.start()
    for p in processes:
        p.join(600)
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    assert [p.exitcode for p in processes] == [0] * len(workers)
    return fasthpo.load_study(study_name="shared", storage=make_storage(spec)).trials


def assert_all_told_once(trials, workers, n_trials):
    assert [t.number for t in trials] == list(range(len(workers) * n_trials))
    assert all(t.state == TrialState.COMPLETE and set(t.params) == {"x", "k"} for t in trials)
    assert all(t.value == t.params["x"] ** 2 + t.params["k"] for t in trials)  # the parameters the trial used
    by_worker = [t.user_attrs["worker"] for t in trials]
    assert len(set(by_worker)) == len(workers)
    assert all(by_worker.count(name) == n_trials for name in set(by_worker))


@pytest.mark.parametrize("lock", ["flock", "link"])
def test_four_processes_tell_exactly_one_thousand_trials_on_a_file(tmp_path, lock):
    workers = [(fasthpo_worker, seed) for seed in range(4)]
    trials = run_workers(("file", str(tmp_path / "shared.log"), lock), workers, 250)
    assert_all_told_once(trials, workers, 250)
    assert not os.path.lexists(str(tmp_path / "shared.log.lock"))  # no lock left behind


def test_four_processes_tell_exactly_one_thousand_trials_on_redis(redis_server_url, redis_prefix):
    workers = [(fasthpo_worker, seed) for seed in range(4)]
    trials = run_workers(("redis", redis_server_url, redis_prefix), workers, 250)
    assert_all_told_once(trials, workers, 250)


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.parametrize("backend", ["file", "redis"])
def test_two_fasthpo_and_two_optuna_workers_share_one_live_study(tmp_path, backend, request):
    if backend == "file":  # the link lock is Optuna's JournalFileSymlinkLock protocol
        spec = ("file", str(tmp_path / "mixed.log"), "link")
    else:
        spec = ("redis", request.getfixturevalue("redis_server_url"), request.getfixturevalue("redis_prefix"))
    workers = [(fasthpo_worker, 0), (fasthpo_worker, 1), (optuna_worker, 2), (optuna_worker, 3)]
    trials = run_workers(spec, workers, 60)
    assert_all_told_once(trials, workers, 60)
    assert sorted({t.user_attrs["worker"] for t in trials}) == ["fasthpo-0", "fasthpo-1", "optuna-2", "optuna-3"]
    if backend == "file":
        seen = optuna.load_study(study_name="shared", storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(spec[1])))
    else:
        seen = optuna.load_study(study_name="shared", storage=optuna.storages.JournalStorage(
            optuna.storages.journal.JournalRedisBackend(spec[1], prefix=spec[2])))
    assert [(t.number, t.params, t.values, t.user_attrs) for t in seen.trials] == [
        (t.number, t.params, t.values, t.user_attrs) for t in trials]
