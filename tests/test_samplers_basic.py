"""RandomSampler, GridSampler and QMCSampler."""

import math

import numpy as np
import pytest
from scipy import stats

import fasthpo
from fasthpo.samplers import GridSampler, QMCSampler, RandomSampler
from fasthpo.samplers.base import UniformSource


def run(sampler, objective, n_trials):
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return study


def test_random_sampler_is_uniform_on_every_scale():
    def objective(trial):
        trial.suggest_float("x", -1, 3)
        trial.suggest_float("lr", 1e-4, 1, log=True)
        trial.suggest_int("n", 0, 4)
        trial.suggest_int("k", 1, 8, log=True)
        trial.suggest_categorical("c", ["a", "b", "c"])
        return 0.0

    study = run(RandomSampler(seed=3), objective, 3000)
    params = {name: [t.params[name] for t in study.trials] for name in ("x", "lr", "n", "k", "c")}
    assert stats.kstest(params["x"], stats.uniform(-1, 4).cdf).pvalue > 1e-3
    assert stats.kstest(np.log(params["lr"]), stats.uniform(math.log(1e-4), -math.log(1e-4)).cdf).pvalue > 1e-3
    counts = np.bincount(params["n"], minlength=5)
    assert stats.chisquare(counts).pvalue > 1e-3
    _, c_counts = np.unique(params["c"], return_counts=True)
    assert len(c_counts) == 3 and stats.chisquare(c_counts).pvalue > 1e-3
    # log-int: value k owns [log(k - 1/2), log(k + 1/2)], so 1 is rarer than 8 but all occur.
    k_counts = np.bincount(params["k"], minlength=9)[1:]
    cells = np.diff(np.log(np.arange(0.5, 9.0, 1.0)))
    assert stats.chisquare(k_counts, cells / cells.sum() * len(params["k"])).pvalue > 1e-3


def test_random_sampler_seed_reproduces_and_differs_between_seeds():
    def objective(trial):
        return trial.suggest_float("x", 0, 1)

    a = [t.params["x"] for t in run(RandomSampler(seed=1), objective, 20).trials]
    b = [t.params["x"] for t in run(RandomSampler(seed=1), objective, 20).trials]
    c = [t.params["x"] for t in run(RandomSampler(seed=2), objective, 20).trials]
    assert a == b and a != c


def test_uniform_source_serves_the_generator_sequence():
    source = UniformSource(seed=5, block=4)
    draws = [source.next() for _ in range(10)]
    rng = np.random.default_rng(5)
    assert draws == np.concatenate([rng.random(4) for _ in range(3)])[:10].tolist()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_is_validated(bad):
    with pytest.raises((TypeError, ValueError), match="seed"):
        RandomSampler(seed=bad)


def test_grid_sampler_visits_every_point_once_and_stops():
    space = {"x": [0.0, 0.5, 1.0], "n": [1, 2], "c": ["a", "b"]}

    def objective(trial):
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 1, 2) + (trial.suggest_categorical("c", ["a", "b"]) == "b")

    study = run(GridSampler(space, seed=0), objective, 100)
    seen = sorted((t.params["x"], t.params["n"], t.params["c"]) for t in study.trials)
    assert len(seen) == 12 and len(set(seen)) == 12
    order_a = [t.params for t in run(GridSampler(space, seed=0), objective, 12).trials]
    order_b = [t.params for t in run(GridSampler(space, seed=1), objective, 12).trials]
    assert order_a == [t.params for t in study.trials] and order_a != order_b


def test_grid_sampler_rejects_bad_spaces_and_unknown_parameters():
    with pytest.raises(ValueError, match="non-empty dict"):
        GridSampler({})
    with pytest.raises(ValueError, match="non-empty list"):
        GridSampler({"x": []})
    with pytest.raises(TypeError, match="values must be"):
        GridSampler({"x": [[1]]})
    with pytest.raises(ValueError, match="finite"):
        GridSampler({"x": [float("nan")]})
    study = fasthpo.create_study(sampler=GridSampler({"x": [5.0]}))
    trial = study.ask()
    with pytest.raises(ValueError, match="not in the grid"):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="is not in"):
        trial.suggest_float("x", 0, 1)


def test_qmc_sampler_covers_the_space_more_evenly_than_random():
    def objective(trial):
        return trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)

    def discrepancy(study):
        points = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:]])
        return stats.qmc.discrepancy(points)

    qmc_d = discrepancy(run(QMCSampler(seed=0), objective, 129))
    random_d = np.median([discrepancy(run(RandomSampler(seed=s), objective, 129)) for s in range(5)])
    assert qmc_d < random_d / 5


@pytest.mark.parametrize("qmc_type", ["sobol", "halton"])
def test_qmc_sampler_scrambled_is_seeded_and_in_bounds(qmc_type):
    def objective(trial):
        return trial.suggest_int("n", 0, 7) + trial.suggest_float("lr", 1e-3, 1, log=True)

    a = run(QMCSampler(qmc_type, scramble=True, seed=4), objective, 40)
    b = run(QMCSampler(qmc_type, scramble=True, seed=4), objective, 40)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert all(0 <= t.params["n"] <= 7 and 1e-3 <= t.params["lr"] <= 1 for t in a.trials)
    assert len({t.params["n"] for t in a.trials}) == 8


def test_qmc_sampler_rejects_unknown_type():
    with pytest.raises(ValueError, match="qmc_type"):
        QMCSampler("lattice")


MAX = np.finfo(float).max


@pytest.mark.parametrize("sampler", ["RandomSampler", "TPESampler", "CmaEsSampler", "GPSampler", "QMCSampler"])
@pytest.mark.parametrize("low, high", [(-1e308, 1e308), (-MAX, MAX), (1e308, MAX), (-MAX, -8.98e307)])
def test_ranges_wider_than_the_largest_float_are_sampled_in_bounds_and_spread(sampler, low, high):
    centre = low / 2 + high / 2

    def objective(trial):
        x, y = trial.suggest_float("x", low, high), trial.suggest_float("y", low, high)
        return (x / high - centre / high + 0.1) ** 2 + (y / high - centre / high) ** 2

    n_trials = 15 if sampler == "GPSampler" else 30
    study = run(getattr(fasthpo.samplers, sampler)(seed=1), objective, n_trials)
    xs = np.array([[t.params["x"], t.params["y"]] for t in study.trials])
    assert np.isfinite(xs).all() and (xs >= low).all() and (xs <= high).all()
    assert len(np.unique(xs[:, 0])) > n_trials // 2 and len(np.unique(xs[:, 1])) > n_trials // 2


def test_random_sampler_is_uniform_on_a_range_wider_than_the_largest_float():
    study = run(RandomSampler(seed=5), lambda t: t.suggest_float("x", -MAX, MAX) / MAX, 2000)
    xs = np.array([t.params["x"] for t in study.trials]) / MAX
    assert stats.kstest(xs, stats.uniform(-1, 2).cdf).pvalue > 1e-3
