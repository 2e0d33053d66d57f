"""The thread cap of the parallel kernels: validation, and the same study on any count."""

import numpy as np
import pytest

import fasthpo
from fasthpo.samplers import TPESampler


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


@pytest.mark.parametrize("load, expected", [(0.0, 4), (1.0, 4), (2.5, 2), (4.0, 1), (40.0, 1)])
def test_default_is_the_cores_the_load_leaves_idle(monkeypatch, load, expected):
    """This process counts as one unit of load; other work takes cores away, never below one."""
    monkeypatch.setattr(fasthpo._threads, "_available_cores", lambda: 4)
    monkeypatch.setattr(fasthpo._threads.os, "getloadavg", lambda: (load, load, load))
    fasthpo.set_num_threads(None)
    assert fasthpo.get_num_threads() == expected
    fasthpo.set_num_threads(3)  # an explicit cap is obeyed whatever the load
    assert fasthpo.get_num_threads() == 3


def test_default_without_a_load_average_is_every_available_core(monkeypatch):
    def unavailable():
        raise OSError("no load average")

    monkeypatch.setattr(fasthpo._threads.os, "getloadavg", unavailable)
    fasthpo.set_num_threads(None)
    assert fasthpo.get_num_threads() == fasthpo._threads._available_cores()


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
