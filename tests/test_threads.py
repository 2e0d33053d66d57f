"""The thread cap of the parallel kernels: validation, and the same study on any count."""

import numpy as np
import pytest

import fasthpo
from fasthpo.samplers import GPSampler, TPESampler


@pytest.fixture(autouse=True)
def restore_threads():
    yield
    fasthpo.set_num_threads(None)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_counts_are_rejected_and_leave_the_cap(bad):
    fasthpo.set_num_threads(3)
    with pytest.raises(ValueError, match="set_num_threads"):
        fasthpo.set_num_threads(bad)
    assert fasthpo.get_num_threads() == 3


@pytest.mark.parametrize("running, expected", [(1, 4), (2, 3), (3, 2), (3.5, 1), (40, 1)])
def test_default_is_the_cores_the_other_runnable_threads_leave_idle(monkeypatch, running, expected):
    """This thread counts as one of the runnable; other work takes cores away, never below one."""
    monkeypatch.setattr(fasthpo._threads, "_available_cores", lambda: 4)
    monkeypatch.setattr(fasthpo._threads, "_runnable_threads", lambda: running)
    fasthpo.set_num_threads(None)
    assert fasthpo.get_num_threads() == expected
    fasthpo.set_num_threads(3)  # an explicit cap is obeyed whatever the load
    assert fasthpo.get_num_threads() == 3


def test_runnable_threads_are_read_now_and_count_this_one():
    running = fasthpo._threads._runnable_threads()
    assert running is not None and running >= 1


def test_without_proc_the_load_average_counts(monkeypatch):
    def no_proc(*args, **kwargs):
        raise OSError("no /proc")

    monkeypatch.setattr("builtins.open", no_proc)
    monkeypatch.setattr(fasthpo._threads.os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    assert fasthpo._threads._runnable_threads() == 2.5


def test_default_without_any_load_measure_is_every_available_core(monkeypatch):
    monkeypatch.setattr(fasthpo._threads, "_runnable_threads", lambda: None)
    fasthpo.set_num_threads(None)
    assert fasthpo.get_num_threads() == fasthpo._threads._available_cores()


@pytest.mark.parametrize("work, cap, expected", [(0, 8, 1), (1.9, 8, 1), (2, 8, 2), (7.5, 8, 7), (100, 3, 3), (2, 1, 1)])
def test_small_work_runs_on_one_thread(work, cap, expected):
    fasthpo.set_num_threads(cap)
    assert fasthpo._threads.threads_for(work * 1000, 1000) == expected


def test_the_idle_cores_are_not_read_for_work_of_one_thread(monkeypatch):
    def unexpected():
        raise AssertionError("read the load for work of one thread")

    monkeypatch.setattr(fasthpo._threads, "_runnable_threads", unexpected)
    fasthpo.set_num_threads(None)
    assert fasthpo._threads.threads_for(10, 1000) == 1


def tpe_suggestions(n_threads: int) -> np.ndarray:
    """A multivariate TPE study past one block of components (512), on n_threads (the
    kernels use one thread for so little work; test_parzen tests several on larger)."""
    fasthpo.set_num_threads(n_threads)
    study = fasthpo.create_study(sampler=TPESampler(seed=1, multivariate=True, n_startup_trials=1200))
    rng = np.random.default_rng(0)
    for _ in range(1200):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", -5, 5) for i in range(3)]
        study.tell(trial, float(np.sum(np.square(x)) + rng.random()))
    rows = []
    for _ in range(5):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", -5, 5) for i in range(3)]
        study.tell(trial, float(np.sum(np.square(x))))
        rows.append(x)
    return np.array(rows)


def test_a_tpe_study_suggests_the_same_on_one_and_on_four_threads():
    np.testing.assert_array_equal(tpe_suggestions(1), tpe_suggestions(4))


def gp_suggestions(n_threads: int) -> np.ndarray:
    """GP suggestions after 100 random trials: the sweep's 2,048 rows x 100 trials are
    work for 3 threads (THREAD_GRAIN), so a cap of 4 runs it on 3."""
    fasthpo.set_num_threads(n_threads)
    study = fasthpo.create_study(sampler=GPSampler(seed=2, n_startup_trials=100))
    rng = np.random.default_rng(0)
    rows = []
    for number in range(104):
        trial = study.ask()
        x = [trial.suggest_float(f"x{i}", -5, 5) for i in range(3)]
        study.tell(trial, float(np.sum(np.square(x)) + rng.random()))
        rows.append(x)
    return np.array(rows[100:])


def test_a_gp_study_suggests_the_same_on_one_and_on_four_threads():
    np.testing.assert_array_equal(gp_suggestions(1), gp_suggestions(4))
