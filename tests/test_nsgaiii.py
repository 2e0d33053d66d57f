"""NSGAIIISampler: reference points, normalization and niching, and whole studies on
DTLZ2 with three objectives (statistically, against random search and by spread)."""

import math

import numpy as np
import pytest
from scipy.stats import wilcoxon

import fasthpo
from fasthpo._kernels.hypervolume import hypervolume
from fasthpo.benchmarks.problems import dtlz2
from fasthpo.core import ArrayHistory, pareto_front_mask
from fasthpo.distributions import FloatDistribution
from fasthpo.samplers import NSGAIIISampler, RandomSampler
from fasthpo.samplers.nsgaiii import GENERATION_KEY, associate, default_reference_points, normalize


def run(sampler, n_trials=1000, d=8, batch=50):
    history = ArrayHistory({f"x{i}": FloatDistribution(0, 1) for i in range(d)}, sampler,
                           directions=["minimize"] * 3)
    for _ in range(n_trials // batch):
        numbers, X = history.ask(batch)
        history.tell(numbers, dtlz2(X))
    return history


def front_hypervolume(history, reference=(1.5, 1.5, 1.5)):
    Y = history.Y[np.isfinite(history.Y).all(axis=1)]
    Y = np.ascontiguousarray(Y[(Y < reference).all(axis=1)])
    return hypervolume(Y, np.array(reference, dtype=float))


@pytest.mark.parametrize("m, p", [(2, 4), (3, 3), (3, 12), (5, 2)])
def test_default_reference_points_are_the_simplex_lattice(m, p):
    points = default_reference_points(m, p)
    assert len(points) == math.comb(m + p - 1, p)
    np.testing.assert_allclose(points.sum(axis=1), 1.0)
    np.testing.assert_allclose(points * p, np.round(points * p), atol=1e-12)
    assert len(np.unique(points, axis=0)) == len(points)


def test_normalize_maps_the_extreme_points_to_the_unit_axes():
    rng = np.random.default_rng(0)
    simplex = rng.dirichlet(np.ones(3), size=40)
    losses = 5.0 + simplex * [2.0, 10.0, 0.5]  # a plane with intercepts 2, 10, 0.5 above ideal 5
    losses = np.vstack([losses, 5.0 + np.diag([2.0, 10.0, 0.5])])
    F = normalize(losses)
    np.testing.assert_allclose(F.sum(axis=1), 1.0, atol=1e-9)  # all on the unit simplex
    np.testing.assert_allclose(F[-3:], np.eye(3), atol=1e-9)


def test_normalize_falls_back_to_ranges_when_degenerate():
    losses = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 3.0]])
    F = normalize(losses)
    np.testing.assert_allclose(F, [[0, 0], [0, 0], [1, 1]])
    assert np.isfinite(normalize(np.array([[0.0, np.inf], [1.0, 0.0], [0.5, 0.5]]))).all()


def test_associate_takes_the_nearest_line():
    references = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    F = np.array([[2.0, 0.1], [1.0, 1.2], [0.0, 3.0]])
    line, distance = associate(F, references)
    assert line.tolist() == [0, 1, 2]
    np.testing.assert_allclose(distance, [0.1, 0.2 / math.sqrt(2), 0.0], atol=1e-12)


def test_niching_spreads_the_cut_front_over_the_lines():
    """A front of 12 on one line and one member on each of two others: three survivors
    take one line each (the nearest member of each, as no survivor sits on them yet)."""
    sampler = NSGAIIISampler(population_size=3, seed=0, reference_points=np.eye(2).tolist() + [[0.5, 0.5]])
    crowded = np.column_stack([np.linspace(0.49, 0.51, 12), 1 - np.linspace(0.49, 0.51, 12)])
    losses = np.vstack([crowded, [[0.0, 1.0], [1.0, 0.0]]])
    history = ArrayHistory({"x": FloatDistribution(0, 1)}, RandomSampler(seed=0), directions=["minimize"] * 2)
    numbers, _ = history.ask(len(losses))
    history.tell(numbers, losses)
    chosen = sampler._nsga3_elite(history, numbers)
    assert len(chosen) == 3
    assert {12, 13} <= set(chosen.tolist())  # the lone members of the axes' lines
    assert len(set(chosen.tolist()) & set(range(12))) == 1


def test_elite_keeps_whole_fronts_first():
    sampler = NSGAIIISampler(population_size=4, seed=0)
    losses = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    history = ArrayHistory({"x": FloatDistribution(0, 1)}, RandomSampler(seed=0), directions=["minimize"] * 2)
    numbers, _ = history.ask(len(losses))
    history.tell(numbers, losses)
    assert sorted(sampler._nsga3_elite(history, numbers).tolist()) == [0, 1, 2, 3]


def test_dtlz2_three_objectives_beats_random():
    ours = [front_hypervolume(run(NSGAIIISampler(seed=s))) for s in range(6)]
    random = [front_hypervolume(run(RandomSampler(seed=s))) for s in range(6)]
    assert wilcoxon(ours, random, alternative="greater").pvalue < 0.05
    assert min(ours) > max(random)


def test_dtlz2_front_converges_to_the_sphere_and_covers_every_line():
    history = run(NSGAIIISampler(seed=0), n_trials=2000)
    front = history.Y[pareto_front_mask(history.Y)]
    assert np.median(np.linalg.norm(front, axis=1)) < 1.05  # the true front is the unit sphere (random: 1.2)
    line, _ = associate(normalize(front), default_reference_points(3, 3))
    assert len(np.unique(line)) == 10  # every reference line has a member of the front


def test_generations_are_recorded_and_seed_reproduces():
    def trials(seed):
        study = fasthpo.create_study(directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=10, seed=seed))
        study.optimize(lambda t: tuple(dtlz2(np.array([t.suggest_float(f"x{i}", 0, 1) for i in range(5)]))),
                       n_trials=40)
        return study.trials

    first = trials(3)
    assert [t.system_attrs[GENERATION_KEY] for t in first] == [0] * 10 + [1] * 10 + [2] * 10 + [3] * 10
    assert [t.params for t in first] == [t.params for t in trials(3)]


def test_reference_points_must_match_the_objectives():
    study = fasthpo.create_study(directions=["minimize"] * 3,
                                 sampler=NSGAIIISampler(reference_points=[[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="reference_points have 2 coordinates; the study has 3"):
        study.ask()


@pytest.mark.parametrize("kwargs", [
    {"dividing_parameter": 0}, {"dividing_parameter": 2.0}, {"reference_points": [1.0, 2.0]},
    {"reference_points": [[1.0, -1.0]]}, {"reference_points": [[0.0, 0.0]]}, {"reference_points": [["a", "b"]]},
    {"population_size": 1},
])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        NSGAIIISampler(**kwargs)
