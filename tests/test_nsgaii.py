"""NSGA-II: survival kernels against their NumPy twins, and the sampler statistically."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fasthpo
from fasthpo._kernels import hypervolume as hv_kernel
from fasthpo._kernels import nsga as kernel
from fasthpo._reference import nsga as twin
from fasthpo.core import ArrayHistory
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers import NSGAIISampler, RandomSampler
from fasthpo.samplers.nsgaii import (GENERATION_KEY, BLXAlphaCrossover, PolynomialMutation, SBXCrossover,
                                     SPXCrossover, UNDXCrossover, UniformCrossover, VSBXCrossover)

# ------------------------------------------------------------------ kernels vs twins
losses_and_violation = st.integers(0, 12).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.integers(0, 3).map(float), min_size=3, max_size=3), min_size=n, max_size=n),
    st.lists(st.sampled_from([np.nan, 0.0, -1.0, 0.5, 2.0]), min_size=n, max_size=n),
    st.integers(1, 3)))


def _arrays(case):
    rows, violation, k = case
    losses = np.array(rows, dtype=float).reshape(len(rows), 3)[:, :k]
    return np.ascontiguousarray(losses), np.array(violation, dtype=float)


@settings(max_examples=300, deadline=None)
@given(losses_and_violation)
def test_domination_and_ranks_match_twin(case):
    losses, violation = _arrays(case)
    np.testing.assert_array_equal(kernel.domination_matrix(losses, violation), twin.domination_matrix(losses, violation))
    np.testing.assert_array_equal(kernel.constrained_ranks(losses, violation), twin.constrained_ranks(losses, violation))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, 1.0, 2.5, 7.0, np.inf, -np.inf]), min_size=2, max_size=2),
                min_size=0, max_size=12))
def test_crowding_distance_matches_twin(rows):
    losses = np.array(rows, dtype=float).reshape(len(rows), 2)
    np.testing.assert_array_equal(kernel.crowding_distance(losses), twin.crowding_distance(losses))


def test_ranks_known_answer():
    losses = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0], [2.0, 2.0], [0.0, 0.0], [5.0, 5.0]])
    violation = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 0.5])  # the ideal point is infeasible
    assert kernel.constrained_ranks(losses, violation).tolist() == [0, 0, 0, 1, 3, 2]
    assert kernel.crowding_distance(losses[:3]).tolist() == [np.inf, 2.0, np.inf]
    with pytest.raises(ValueError, match="violation has 2 entries for 6 rows"):
        kernel.constrained_ranks(losses, violation[:2])


# ------------------------------------------------------------------------- problems
def zdt1(d, batch=True):
    def scalar(trial):
        x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(d)])
        g = 1 + 9 * x[1:].mean()
        return x[0], g * (1 - np.sqrt(x[0] / g))

    def f(batch):
        x = np.stack([batch.suggest_float(f"x{i}", 0, 1) for i in range(d)], axis=1)
        g = 1 + 9 * x[:, 1:].mean(axis=1)
        return np.stack([x[:, 0], g * (1 - np.sqrt(x[:, 0] / g))], axis=1)
    return f if batch else scalar


def front_hypervolume(study, reference=(1.1, 11.0)):
    Y = np.array([t.values for t in study.best_trials if t.values[1] < reference[1]])
    return hv_kernel.hypervolume(np.ascontiguousarray(Y.reshape(-1, 2)), np.array(reference))


def run(sampler, n_trials, d=10, batch_size=20):
    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1(d, batch_size is not None), n_trials=n_trials, batch_size=batch_size)
    return study


# ------------------------------------------------------------------ the sampler
def test_hypervolume_grows_and_beats_random():
    for seed in range(3):
        study = run(NSGAIISampler(population_size=20, seed=seed), 200)
        early = front_hypervolume(study)
        study.optimize(zdt1(10), n_trials=1300, batch_size=20)
        late = front_hypervolume(study)
        random = front_hypervolume(run(RandomSampler(seed=seed), 1500))
        assert late > early + 0.5 and late > random + 0.5, (seed, early, late, random)


@pytest.mark.parametrize("crossover", [UniformCrossover(), BLXAlphaCrossover(), SBXCrossover(), SPXCrossover(),
                                       UNDXCrossover(), VSBXCrossover()], ids=repr)
def test_every_crossover_beats_random_and_stays_inside(crossover):
    sampler = NSGAIISampler(population_size=20, crossover=crossover, mutation=PolynomialMutation(), seed=1)
    study = run(sampler, 1000)
    X = np.array([[t.params[f"x{i}"] for i in range(10)] for t in study.trials])
    assert ((X >= 0) & (X <= 1)).all()
    margin = 0.0 if isinstance(crossover, SPXCrossover) else 0.5  # SPX's simplex (epsilon = sqrt(12)) mostly
    assert front_hypervolume(study) > front_hypervolume(run(RandomSampler(seed=1), 1000)) + margin  # leaves the cube


def test_generations_are_batches_and_a_fixed_seed_reproduces():
    def params(batch_size):
        study = run(NSGAIISampler(population_size=10, seed=3), 100, d=4, batch_size=batch_size)
        return ([t.params for t in study.trials], [t.system_attrs[GENERATION_KEY] for t in study.trials])
    params_a, generations = params(10)
    assert generations == [i // 10 for i in range(100)]
    assert params(10)[0] == params_a
    assert params(None)[0] == params(None)[0]
    assert params(None)[1] == generations  # one by one, the same generations


def test_children_come_from_the_elite():
    """Without crossover or mutation, every child of generation 2 copies one of the 8
    survivors of generations 0 and 1: fronts in order, the last one cut."""
    space = {f"x{i}": FloatDistribution(0, 1) for i in range(3)}
    history = ArrayHistory(space, NSGAIISampler(population_size=8, crossover_prob=0.0, mutation_prob=0.0, seed=0),
                           directions=["minimize", "minimize"])
    for _ in range(2):
        numbers, X = history.ask(8)
        history.tell(numbers, np.stack([X[:, 0], 1 - X[:, 0] + X[:, 1]], axis=1))
    _, children = history.ask(16)
    X, Y = history.X[:16], np.ascontiguousarray(history.Y[:16])
    ranks = twin.constrained_ranks(Y, np.full(16, np.nan))
    cut = np.sort(ranks)[7]  # the rank of the front the 8th survivor comes from
    sources = [np.flatnonzero((X == child).all(axis=1)) for child in children]
    assert all(len(s) and ranks[s].max() <= cut for s in sources)  # generation 1 copied some rows of 0
    assert len({tuple(child) for child in children}) > 3


def test_constraints_are_respected():
    """Feasible when x0 >= 0.6: the late generations are mostly feasible, the front entirely."""
    def constraints(trial):
        return [0.6 - trial.params["x0"]]

    feasible = []
    for sampler in (NSGAIISampler(population_size=20, seed=0, constraints_func=constraints),
                    RandomSampler(seed=0)):
        study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(zdt1(5), n_trials=1000, batch_size=20)
        late = study.trials[-200:]
        feasible.append(np.mean([t.params["x0"] >= 0.6 for t in late]))
        if isinstance(sampler, NSGAIISampler):
            assert all(t.system_attrs["constraints"][0] <= 0 for t in study.best_trials)
            assert len(study.best_trials) >= 10
    assert feasible[0] > 0.8 > 0.5 > feasible[1]  # mutation redraws x0 in 1 of 5 children


def test_mixed_space_and_a_new_process_continues_the_generation():
    space = {"x": FloatDistribution(1e-3, 1.0, log=True), "n": IntDistribution(1, 9, step=2),
             "c": CategoricalDistribution(["a", "b", "c"])}
    def values(X):
        return np.stack([X[:, 0] + X[:, 2], -X[:, 0] + 0.1 * X[:, 1]], axis=1)

    history = ArrayHistory(space, NSGAIISampler(population_size=10, seed=0), directions=["minimize", "minimize"])
    for _ in range(12):
        numbers, X = history.ask(10)
        history.tell(numbers, values(X))
    assert np.log(1e-3) <= history.X[:, 0].min() and history.X[:, 0].max() <= 0
    assert set(np.unique(history.X[:, 1])) <= {1.0, 3.0, 5.0, 7.0, 9.0}
    assert set(np.unique(history.X[:, 2])) <= {0.0, 1.0, 2.0}
    history.sampler = NSGAIISampler(population_size=10, seed=1)  # as a fresh process would
    numbers, _ = history.ask(1)
    assert history.system_attrs(int(numbers[0]))[GENERATION_KEY] == 12


def test_custom_elite_selection_is_used():
    calls = []

    def keep_first(history, numbers):
        calls.append(len(numbers))
        return numbers[:5]

    run(NSGAIISampler(population_size=5, seed=0, elite_population_selection_strategy=keep_first), 20, d=3,
        batch_size=5)
    assert calls == [5, 10, 10]


@pytest.mark.parametrize("kwargs, message", [
    ({"population_size": 1}, "population_size must be an int >= 2"),
    ({"population_size": 2, "crossover": SPXCrossover()}, "must be >= the 3 parents"),
    ({"crossover_prob": 1.5}, "crossover_prob must be a float in"),
    ({"mutation_prob": -0.1}, "mutation_prob must be a float in"),
    ({"swapping_prob": "0.5"}, "swapping_prob must be a float in"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NSGAIISampler(**kwargs)


def test_bad_operator_types_are_named():
    with pytest.raises(TypeError, match="crossover must be"):
        NSGAIISampler(crossover="sbx")
    with pytest.raises(TypeError, match="mutation must be"):
        NSGAIISampler(mutation=0.1)
    with pytest.raises(ValueError, match="eta must be a finite float >= 0"):
        SBXCrossover(eta=-1)
