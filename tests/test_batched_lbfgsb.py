"""The batched L-BFGS-B runs, compiled and twin: against scipy, each other and alone."""

import numpy as np
import pytest
import scipy.optimize
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fasthpo._kernels.lbfgsb import batched_lbfgsb
from fasthpo._reference.lbfgsb import batched_lbfgsb as twin

IMPLEMENTATIONS = pytest.mark.parametrize("minimize", [batched_lbfgsb, twin], ids=["compiled", "twin"])


def wavy_bowls(rng, n_runs, dim):
    """A different multimodal function per run: sum (z - c)^2 + a sin(w z)."""
    centres, amplitude, frequency = rng.random((n_runs, dim)), rng.uniform(0, 0.3, n_runs), rng.uniform(1, 15, n_runs)

    def fun_and_grad(runs, Z):
        c, a, w = centres[runs], amplitude[runs, None], frequency[runs, None]
        return ((Z - c) ** 2 + a * np.sin(w * Z)).sum(axis=1), 2 * (Z - c) + a * w * np.cos(w * Z)

    return fun_and_grad


def projected_gradient(fun_and_grad, run, z, low, high):
    grad = fun_and_grad(np.array([run]), z[None])[1][0]
    return np.abs(z - np.clip(z - grad, low, high)).max()


@IMPLEMENTATIONS
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 6))
@settings(max_examples=30, deadline=None)
def test_each_run_ends_where_it_ends_alone_at_a_stationary_point(minimize, seed, n_runs, dim):
    rng = np.random.default_rng(seed)
    fun_and_grad = wavy_bowls(rng, n_runs, dim)
    starts, bounds = rng.random((n_runs, dim)), [(0.0, 1.0)] * dim
    ends = minimize(fun_and_grad, starts, bounds, gtol=1e-6, ftol=0.0)
    for i, start in enumerate(starts):
        alone = minimize(lambda runs, Z, i=i: fun_and_grad(np.full(len(runs), i), Z), start[None], bounds,
                               gtol=1e-6, ftol=0.0)
        np.testing.assert_array_equal(ends[i], alone[0])  # the other runs change nothing
        assert projected_gradient(fun_and_grad, i, ends[i], 0.0, 1.0) < 1e-4


@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 6))
@settings(max_examples=40, deadline=None)
def test_compiled_runs_follow_the_twin(seed, n_runs, dim):
    # the same steps in the same order; sums may round differently (NumPy's pairwise
    # and SIMD sums), which on 1,875 runs moved no end point by more than 2.2e-16
    rng = np.random.default_rng(seed)
    fun_and_grad = wavy_bowls(rng, n_runs, dim)
    starts, bounds = rng.random((n_runs, dim)), [(0.0, 1.0)] * dim
    np.testing.assert_allclose(batched_lbfgsb(fun_and_grad, starts, bounds, gtol=1e-6, ftol=0.0),
                               twin(fun_and_grad, starts, bounds, gtol=1e-6, ftol=0.0), rtol=0, atol=1e-9)


@IMPLEMENTATIONS
@given(st.integers(0, 2**32 - 1), st.integers(1, 8))
@example(seed=4355706, dim=4)
@settings(max_examples=30, deadline=None)
def test_convex_quadratics_in_a_box_reach_scipys_minimum(minimize, seed, dim):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(dim, dim))
    H = A @ A.T + 0.1 * np.eye(dim)
    centres = rng.normal(size=(3, dim))
    low, high = -rng.random(dim), rng.random(dim)

    def fun_and_grad(runs, Z):
        diff = Z - centres[runs]
        return 0.5 * np.einsum("ri,ij,rj->r", diff, H, diff), diff @ H

    ends = minimize(fun_and_grad, rng.uniform(low, high, (3, dim)), list(zip(low, high)), gtol=1e-9, ftol=0.0)
    for i in range(3):
        value = lambda z: fun_and_grad(np.array([i]), z[None])[0][0]
        reference = scipy.optimize.minimize(value, np.zeros(dim), jac=lambda z: fun_and_grad(np.array([i]), z[None])[1][0],
                                            method="L-BFGS-B", bounds=list(zip(low, high)),
                                            options={"gtol": 1e-12, "ftol": 1e-15})
        # Convex: a zero projected gradient is the minimum. scipy's own run may stop
        # short of it (seed=4355706, dim=4: its line search ends at a projected
        # gradient of 0.25), so the end is compared by value, never above scipy's.
        assert projected_gradient(fun_and_grad, i, ends[i], low, high) < 1e-6
        assert value(ends[i]) <= reference.fun + 1e-9 * max(1.0, abs(reference.fun))


@IMPLEMENTATIONS
def test_runs_stop_by_their_own_tests(minimize):
    calls = []

    def two_bowls(runs, Z):  # run 0 starts at its minimum, run 1 far away
        calls.append(runs.tolist())
        return ((Z - 0.3) ** 2).sum(axis=1), 2 * (Z - 0.3)

    ends = minimize(two_bowls, np.array([[0.3, 0.3], [1.0, -1.0]]), [(-2.0, 2.0)] * 2)
    np.testing.assert_allclose(ends, 0.3, atol=1e-6)
    assert calls[0] == [0, 1] and all(runs == [1] for runs in calls[1:])  # run 0 never asked again


@IMPLEMENTATIONS
def test_all_runs_are_evaluated_together(minimize):
    sizes = []

    def counting(runs, Z):
        sizes.append(len(runs))
        return ((Z - 0.3) ** 2).sum(axis=1), 2 * (Z - 0.3)

    ends = minimize(counting, np.random.default_rng(0).random((6, 3)), [(0.0, 1.0)] * 3)
    np.testing.assert_allclose(ends, 0.3, atol=1e-6)
    assert sizes[0] == 6 and len(sizes) < 6 * 5  # one call per round, not one per run and step


@IMPLEMENTATIONS
def test_an_error_in_the_evaluations_reaches_the_caller(minimize):
    def failing(runs, Z):
        raise FloatingPointError("acquisition overflowed")

    with pytest.raises(FloatingPointError, match="overflowed"):
        minimize(failing, np.full((4, 2), 0.9), [(-1.0, 1.0)] * 2)


@IMPLEMENTATIONS
def test_starts_outside_the_box_are_moved_into_it(minimize):
    ends = minimize(lambda runs, Z: (Z.sum(axis=1), np.ones_like(Z)), np.array([[5.0, -5.0]]),
                          [(0.0, 1.0)] * 2)
    np.testing.assert_array_equal(ends, [[0.0, 0.0]])
