import multiprocessing
import os
import threading

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from fasthpo._batched_lbfgsb import batched_lbfgsb


def wavy_bowls(rng, n_runs, dim):
    """A different multimodal function per run: sum (z - c)^2 + a sin(w z)."""
    centres, amplitude, frequency = rng.random((n_runs, dim)), rng.uniform(0, 0.3, n_runs), rng.uniform(1, 15, n_runs)

    def fun_and_grad(runs, Z):
        c, a, w = centres[runs], amplitude[runs, None], frequency[runs, None]
        return ((Z - c) ** 2 + a * np.sin(w * Z)).sum(axis=1), 2 * (Z - c) + a * w * np.cos(w * Z)

    return fun_and_grad


@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_each_run_ends_where_its_own_scipy_run_ends(seed, n_runs, dim):
    rng = np.random.default_rng(seed)
    fun_and_grad = wavy_bowls(rng, n_runs, dim)
    starts, bounds = rng.random((n_runs, dim)), [(0.0, 1.0)] * dim
    ends = batched_lbfgsb(fun_and_grad, starts, bounds, maxiter=50)
    for i, start in enumerate(starts):
        def one(z, i=i):
            value, grad = fun_and_grad(np.array([i]), z[None])
            return value[0], grad[0]

        alone = scipy.optimize.minimize(one, start, jac=True, method="L-BFGS-B", bounds=bounds,
                                        options={"maxiter": 50}).x
        np.testing.assert_allclose(ends[i], alone, atol=1e-12)


def bowl(runs, Z):
    return ((Z - 0.3) ** 2).sum(axis=1), 2 * (Z - 0.3)


def finishes_within(seconds, call):
    """Whether ``call()`` returns within ``seconds`` (a stuck worker would make it hang)."""
    done = []
    thread = threading.Thread(target=lambda: done.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    return bool(done)


def test_an_error_in_the_evaluations_reaches_the_caller_and_ends_every_run(monkeypatch):
    batched_lbfgsb(bowl, np.full((4, 2), 0.9), [(-1.0, 1.0)] * 2)  # the workers exist
    calls = []

    def failing(runs, Z):
        calls.append(len(runs))
        if len(calls) == 3:
            raise FloatingPointError("acquisition overflowed")
        return (Z ** 2).sum(axis=1), 2 * Z

    with pytest.raises(FloatingPointError, match="overflowed"):
        batched_lbfgsb(failing, np.full((4, 2), 0.9), [(-1.0, 1.0)] * 2)
    # the cancelled runs freed their workers: the next call gets them and starts no thread
    started = counting_thread_starts(monkeypatch)
    assert finishes_within(10, lambda: batched_lbfgsb(bowl, np.full((4, 2), 0.9), [(-1.0, 1.0)] * 2))
    assert len(started) == 1  # finishes_within's own


def counting_thread_starts(monkeypatch):
    starts = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (starts.append(thread), start(thread))[1])
    return starts


def test_workers_are_kept_between_calls_and_concurrent_calls_do_not_share_them(monkeypatch):
    batched_lbfgsb(bowl, np.zeros((6, 2)), [(0.0, 1.0)] * 2)
    started = counting_thread_starts(monkeypatch)
    for _ in range(3):
        batched_lbfgsb(bowl, np.zeros((6, 2)), [(0.0, 1.0)] * 2)
    assert started == []
    results = []
    callers = [threading.Thread(target=lambda: results.append(batched_lbfgsb(bowl, np.zeros((6, 2)),
                                                                              [(0.0, 1.0)] * 2)))
               for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(10)
    assert len(results) == 3
    np.testing.assert_allclose(np.array(results), 0.3, atol=1e-6)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_workers():
    batched_lbfgsb(bowl, np.zeros((3, 2)), [(0.0, 1.0)] * 2)  # the parent's workers exist

    def child():
        ends = batched_lbfgsb(bowl, np.zeros((3, 2)), [(0.0, 1.0)] * 2)
        os._exit(0 if np.allclose(ends, 0.3, atol=1e-6) else 1)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(30)
    assert process.exitcode == 0


def test_all_runs_are_evaluated_together():
    sizes = []

    def counting(runs, Z):
        sizes.append(len(runs))
        return bowl(runs, Z)

    ends = batched_lbfgsb(counting, np.random.default_rng(0).random((6, 3)), [(0.0, 1.0)] * 3)
    np.testing.assert_allclose(ends, 0.3, atol=1e-6)
    assert sizes[0] == 6 and len(sizes) < 6 * 5  # one call per round, not one per run and step
