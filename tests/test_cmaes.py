"""CMA-ES: kernels vs twin, updates vs the cmaes library, the sampler's behaviour."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fasthpo
from fasthpo._kernels import cmaes as kernel
from fasthpo._reference import cmaes as twin
from fasthpo.samplers import CmaEsSampler, RandomSampler
from fasthpo.samplers._cma import CMA, CMAwM, SepCMA, warm_start

cmaes = pytest.importorskip("cmaes")


def spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + 0.1 * np.eye(n)


@given(st.integers(1, 30), st.integers(1, 12), st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_kernels_match_twin(n, lam, seed):
    rng = np.random.default_rng(seed)
    C = spd(rng, n)
    (Bk, Dk), (_, Dt) = kernel.eigh(C), twin.eigh(C)  # eigenvectors: signs are arbitrary
    np.testing.assert_allclose(Dk, Dt, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose((Bk * Dk) @ Bk.T, C, rtol=1e-10, atol=1e-10)
    D = np.sqrt(Dk)
    mean, z = rng.normal(size=n), rng.normal(size=(lam, n))
    np.testing.assert_allclose(kernel.sample(mean, 0.3, Bk, D, z), twin.sample(mean, 0.3, Bk, D, z), rtol=1e-12,
                               atol=1e-12)
    pc, w, y = rng.normal(size=n), rng.normal(size=lam), rng.normal(size=(lam, n))
    ck, ct = C.copy(), C.copy()
    kernel.covariance_update(ck, 0.9, 0.05, pc, 0.1, w, y)
    twin.covariance_update(ct, 0.9, 0.05, pc, 0.1, w, y)
    np.testing.assert_allclose(ck, ct, rtol=1e-12, atol=1e-12)


def run_both(ours, theirs, n, generations, seed):
    """Tell both the same solutions (the library's own samples) for ``generations``."""
    weights = np.arange(1, n + 1)
    for _ in range(generations):
        x = np.array([theirs.ask() for _ in range(theirs.population_size)])
        values = [float(np.sum(weights * (xi - 0.3) ** 2)) for xi in x]
        theirs.tell(list(zip(x, values)))
        ours.tell(x, np.array(values))
        np.testing.assert_allclose(ours.mean, theirs._mean, rtol=1e-10, atol=1e-12)
        assert ours.sigma == pytest.approx(theirs._sigma, rel=1e-10)
        np.testing.assert_allclose(ours.C, theirs._C, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.p_sigma, theirs._p_sigma, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.pc, theirs._pc, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 20, 60])
def test_full_update_matches_the_cmaes_library_for_50_generations(n):
    run_both(CMA(np.full(n, 0.5), 0.2), cmaes.CMA(mean=np.full(n, 0.5), sigma=0.2, seed=n), n, 50, n)


@pytest.mark.parametrize("n", [2, 5, 20, 60])
def test_separable_update_matches_the_cmaes_library_for_50_generations(n):
    run_both(SepCMA(np.full(n, 0.5), 0.2), cmaes.SepCMA(mean=np.full(n, 0.5), sigma=0.2, seed=n), n, 50, n)


@pytest.mark.parametrize("n", [10, 20])
def test_full_update_matches_the_cmaes_library_while_learning_a_rotated_ill_conditioned_covariance(n):
    """A rotated ellipsoid of condition 1e6 in the unit cube with the library's bounds and
    resampling, as Optuna sets it up: 400 generations, through the phase where C learns
    its condition number, and the states stay equal."""
    rng = np.random.default_rng(n)
    rotation, _ = np.linalg.qr(rng.normal(size=(n, n)))
    scales = 10 ** (6 * np.arange(n) / (n - 1))
    theirs = cmaes.CMA(mean=np.full(n, 0.5), sigma=1 / 6, seed=n, bounds=np.tile([0.0, 1.0], (n, 1)),
                       n_max_resampling=10 * n)
    ours = CMA(np.full(n, 0.5), 1 / 6)
    for _ in range(400):
        x = np.array([theirs.ask() for _ in range(theirs.population_size)])
        values = [float(scales @ (rotation @ (xi - 0.4)) ** 2) for xi in x]
        theirs.tell(list(zip(x, values)))
        ours.tell(x, np.array(values))
    assert np.linalg.cond(theirs._C) > 1e3  # the covariance did learn
    np.testing.assert_allclose(ours.C, theirs._C, rtol=1e-8, atol=1e-8 * np.abs(theirs._C).max())
    np.testing.assert_allclose(ours.mean, theirs._mean, rtol=1e-8, atol=1e-12)
    assert ours.sigma == pytest.approx(theirs._sigma, rel=1e-8)


@given(st.integers(2, 15), st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_covariance_stays_symmetric_positive_definite(n, seed):
    rng = np.random.default_rng(seed)
    optimizer = CMA(rng.uniform(size=n), 0.3)
    scale = rng.uniform(0.1, 100, size=n)
    for _ in range(40):
        x = optimizer.sample(rng.standard_normal((optimizer.popsize, n)))
        optimizer.tell(x, (scale * x**2).sum(axis=1))
        assert np.allclose(optimizer.C, optimizer.C.T)
        assert np.linalg.eigvalsh(optimizer.C).min() > 0


def test_large_dimensions_decompose_lazily():
    assert CMA(np.zeros(10), 1.0).eigen_interval == 1
    assert CMA(np.zeros(1000), 1.0).eigen_interval > 1


def sphere(trial, d=6):
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(d))


@pytest.mark.parametrize("separable", [False, True])
def test_sampler_converges_and_beats_random(separable):
    best = {}
    for name, sampler in (("cma", CmaEsSampler(seed=0, use_separable_cma=separable)), ("random", RandomSampler(0))):
        study = fasthpo.create_study(sampler=sampler)
        study.optimize(sphere, n_trials=400)
        best[name] = study.best_value
    assert best["cma"] < 1e-3 < best["random"]


def test_seed_reproduces():
    def run():
        study = fasthpo.create_study(sampler=CmaEsSampler(seed=3))
        study.optimize(sphere, n_trials=60)
        return [t.params for t in study.trials]

    assert run() == run()


def test_state_is_rebuilt_from_the_trials_after_a_restart_of_the_process():
    study = fasthpo.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(sphere, n_trials=77)
    original = study.sampler._run.optimizer
    reloaded = CmaEsSampler(seed=0)
    space = reloaded.infer_relative_search_space(study._history)
    rebuilt = reloaded._rebuild(study._history, space).optimizer
    assert rebuilt.generation == original.generation
    np.testing.assert_allclose(rebuilt.mean, original.mean, rtol=1e-12)
    np.testing.assert_allclose(rebuilt.C, original.C, rtol=1e-12)


def test_parallel_results_are_all_told():
    sampler = CmaEsSampler(seed=0, popsize=4)
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(sphere, n_trials=1)  # start-up
    trials = [study.ask() for _ in range(6)]  # more than a generation in flight
    for trial in trials:
        study.tell(trial, sphere(trial))
    run = sampler._run
    assert run.optimizer.generation == 1 and len(run.results) == 2  # 4 told, 2 carried to the next


@pytest.mark.parametrize("strategy", ["ipop", "bipop"])
def test_restarts_happen_and_change_the_population(strategy):
    def rastrigin(trial):
        x = np.array([trial.suggest_float(f"x{i}", -5.12, 5.12) for i in range(3)])
        return float(10 * 3 + np.sum(x * x - 10 * np.cos(2 * np.pi * x)))

    sampler = CmaEsSampler(seed=1, restart_strategy=strategy)
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(rastrigin, n_trials=2500)
    restarts = {t.system_attrs.get("cma:restart") for t in study.trials} - {None}
    assert len(restarts) >= 2
    assert sampler._run.optimizer.popsize != 4 + int(3 * np.log(3)) or strategy == "bipop"


def test_categorical_parameters_go_to_the_independent_sampler():
    def objective(trial):
        return sphere(trial, 3) + (trial.suggest_categorical("c", ["a", "b"]) == "b")

    sampler = CmaEsSampler(seed=0)
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=50)
    assert sampler._run.names == ["x0", "x1", "x2"]


def test_maximize():
    study = fasthpo.create_study(direction="maximize", sampler=CmaEsSampler(seed=0))
    study.optimize(lambda t: -sphere(t, 3), n_trials=200)
    assert study.best_value > -1e-3


@pytest.mark.parametrize("kwargs, error", [
    (dict(sigma0=0.0), ValueError), (dict(popsize=1), ValueError), (dict(restart_strategy="x"), ValueError),
    (dict(x0=[1.0]), TypeError), (dict(n_startup_trials=-1), ValueError),
    (dict(with_margin=True, lr_adapt=True), ValueError), (dict(use_separable_cma=True, with_margin=True), ValueError),
    (dict(source_trials=[], sigma0=0.1), ValueError), (dict(independent_sampler=3), TypeError),
    (dict(use_separable_cma=True, restart_strategy="bipop"), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        CmaEsSampler(**kwargs)


def test_several_objectives_are_rejected():
    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=CmaEsSampler(seed=0))
    with pytest.raises(ValueError, match="one objective"), pytest.warns(UserWarning, match="failed"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=3)


@pytest.mark.parametrize("n", [2, 6, 15])
def test_learning_rate_adaptation_matches_the_cmaes_library(n):
    ours, theirs = CMA(np.full(n, 0.5), 0.2, lr_adapt=True), cmaes.CMA(mean=np.full(n, 0.5), sigma=0.2, seed=n,
                                                                         lr_adapt=True)
    run_both(ours, theirs, n, 50, n)
    assert ours.eta_mean == pytest.approx(theirs._eta_mean, rel=1e-10)


def test_margin_matches_the_cmaes_library():
    n = 5
    bounds = np.array([[0, 1], [0, 1], [0.05, 0.95], [0.1, 0.9], [0, 1.0]])
    steps = np.array([0, 0, 0.1, 0.2, 0])
    sizes = np.array([0, 0, 10, 5, 0])
    theirs = cmaes.CMAwM(mean=np.full(n, 0.5), sigma=0.2, bounds=bounds, steps=steps, seed=3)
    ours = CMAwM(np.full(n, 0.5), 0.2, bounds[:, 0], steps, sizes)
    for _ in range(50):
        pairs = [theirs.ask() for _ in range(theirs.population_size)]
        encoded, raw = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        np.testing.assert_allclose(ours.encode(raw), encoded)
        values = [float(np.sum((e - 0.37) ** 2)) for e in encoded]
        theirs.tell(list(zip(raw, values)))
        ours.tell(raw, np.array(values))
        np.testing.assert_allclose(ours.mean, theirs._cma._mean, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.A, theirs._A, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.C, theirs._cma._C, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(with_margin=True), dict(lr_adapt=True)])
def test_margin_and_learning_rate_adaptation_in_the_sampler(kwargs):
    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        k = trial.suggest_int("k", -10, 10)
        s = trial.suggest_float("s", 0, 1, step=0.25)
        return (x - 1) ** 2 + (k - 3) ** 2 + (s - 0.5) ** 2

    study = fasthpo.create_study(sampler=CmaEsSampler(seed=0, **kwargs))
    study.optimize(objective, n_trials=300)
    assert study.best_value < 0.05
    if "with_margin" in kwargs:
        assert "cma:raw" in study.trials[-1].system_attrs
        rebuilt = CmaEsSampler(seed=0, **kwargs)._rebuild(study._history, study.sampler._run.search_space).optimizer
        np.testing.assert_allclose(rebuilt.mean, study.sampler._run.optimizer.mean, rtol=1e-12)


def test_warm_start_matches_the_cmaes_library_and_helps():
    rng = np.random.default_rng(0)
    x = rng.random((200, 3))
    values = ((x - 0.4) ** 2).sum(axis=1)
    mean, sigma, cov = cmaes.get_warm_start_mgd(list(zip(x, values)), gamma=0.1, alpha=0.1)
    ours = warm_start(x, values)
    np.testing.assert_allclose(ours[0], mean, rtol=1e-12)
    assert ours[1] == pytest.approx(sigma, rel=1e-12)
    np.testing.assert_allclose(ours[2], cov, rtol=1e-10)

    source = fasthpo.create_study(sampler=RandomSampler(seed=0))
    source.optimize(lambda t: sphere(t, 3), n_trials=200)
    runs = {}
    for name, sampler in (("warm", CmaEsSampler(seed=1, source_trials=source.trials)), ("cold", CmaEsSampler(seed=1))):
        study = fasthpo.create_study(sampler=sampler)
        study.optimize(lambda t: sphere(t, 3), n_trials=40)
        runs[name] = study.best_value
    assert runs["warm"] < runs["cold"]
