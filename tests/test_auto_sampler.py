"""AutoSampler: which sampler it chooses, switching without losing the history,
reproducibility, and optimizing (statistically)."""

import numpy as np
import pytest
from scipy.stats import wilcoxon

import fasthpo
from fasthpo.samplers import AutoSampler, RandomSampler
from fasthpo.samplers.auto import SAMPLER_KEY
from fasthpo.samplers.nsgaii import GENERATION_KEY


def quadratic(trial):
    x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
    return (x - 3) ** 2 + (y + 2) ** 2


def mixed(trial):
    x = trial.suggest_float("x", -5, 5)
    bonus = {"a": 1.0, "b": 0.0, "c": 2.0}[trial.suggest_categorical("c", ["a", "b", "c"])]
    return x**2 + bonus


def conditional(trial):
    kind = trial.suggest_categorical("kind", ["left", "right"])
    if kind == "left":
        return (trial.suggest_float("l", -1, 1) - 0.5) ** 2
    return 1 + trial.suggest_int("r", 0, 10)


def choices(study):
    return [t.system_attrs[SAMPLER_KEY] for t in study.trials]


def test_numeric_space_gp_then_cmaes():
    study = fasthpo.create_study(sampler=AutoSampler(seed=0, gp_trials=20))
    study.optimize(quadratic, n_trials=40)
    assert choices(study) == ["gp"] * 20 + ["cmaes"] * 20


def test_categorical_space_gp_then_tpe():
    study = fasthpo.create_study(sampler=AutoSampler(seed=0, gp_trials=15))
    study.optimize(mixed, n_trials=30)
    assert choices(study) == ["gp"] * 15 + ["tpe"] * 15


def test_constraints_gp_then_tpe():
    sampler = AutoSampler(seed=0, gp_trials=15, constraints_func=lambda t: [t.params["x"] - 4])
    study = fasthpo.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=25)
    assert choices(study) == ["gp"] * 15 + ["tpe"] * 10
    assert all(t.system_attrs.get("constraints") is not None for t in study.trials)


def test_conditional_space_tpe_from_the_first_difference():
    study = fasthpo.create_study(sampler=AutoSampler(seed=0))
    study.optimize(conditional, n_trials=30)
    names = choices(study)
    kinds = [t.params["kind"] for t in study.trials]
    first_switch = kinds.index(next(k for k in kinds if k != kinds[0]))  # the first trial of the other branch
    # GP until a COMPLETE trial of the other branch exists, TPE for every trial after it
    assert names[: first_switch + 1] == ["gp"] * (first_switch + 1)
    assert names[first_switch + 1:] == ["tpe"] * (30 - first_switch - 1)


def test_several_objectives_gp_then_nsga2_from_all_trials():
    def two(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        return x, (1 + y) * (1 - x**0.5)

    n = 50  # NSGA-II's population: the GP trials fill its generation 0
    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=AutoSampler(seed=0, gp_trials=n))
    study.optimize(two, n_trials=n + 50)
    assert choices(study) == ["gp"] * n + ["nsga2"] * 50
    # the GP trials are NSGA-II's generation 0, so its first children are generation 1
    assert [t.system_attrs[GENERATION_KEY] for t in study.trials] == [0] * n + [1] * 50
    # ... bred from the elite of all of them: children near the front (y small), not random
    assert np.median([t.params["y"] for t in study.trials[n:]]) < 0.25


def test_four_objectives_tpe_then_nsga3():
    def four(trial):
        x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(3)])
        return tuple(np.concatenate([x, [3 - x.sum()]]).tolist())

    n = 50  # NSGA-III's population
    study = fasthpo.create_study(directions=["minimize"] * 4, sampler=AutoSampler(seed=0, gp_trials=n))
    study.optimize(four, n_trials=n + 10)
    assert choices(study) == ["tpe"] * n + ["nsga3"] * 10
    assert [t.system_attrs["NSGAIIISampler:generation"] for t in study.trials] == [0] * n + [1] * 10


def test_several_objectives_on_a_conditional_space_tpe():
    def two(trial):
        value = conditional(trial)
        return value, -value + trial.suggest_float("z", 0, 1)

    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=AutoSampler(seed=0))
    study.optimize(two, n_trials=30)
    kinds = [t.params["kind"] for t in study.trials]
    first_switch = kinds.index(next(k for k in kinds if k != kinds[0]))
    assert choices(study)[first_switch + 1:] == ["tpe"] * (30 - first_switch - 1)


def test_switch_to_cmaes_warm_starts_from_the_history():
    """The first CMA-ES generation is centred near the best GP trials (WS-CMA-ES), not at
    the centre of the box where a cold CMA-ES starts."""
    study = fasthpo.create_study(sampler=AutoSampler(seed=1, gp_trials=25))
    study.optimize(quadratic, n_trials=31)  # the first CMA-ES generation: popsize 6 in 2-d
    first = [t for t in study.trials if t.system_attrs[SAMPLER_KEY] == "cmaes"]
    assert len(first) == 6
    mean = np.mean([[t.params["x"], t.params["y"]] for t in first], axis=0)
    assert np.linalg.norm(mean - [3, -2]) < 0.5  # the centre (0, 0) is 3.6 away


def test_a_fresh_sampler_resumes_the_same_choice_and_cmaes_run():
    study = fasthpo.create_study(sampler=AutoSampler(seed=2, gp_trials=20))
    study.optimize(quadratic, n_trials=40)
    study.sampler = AutoSampler(seed=3, gp_trials=20)  # as another process would
    study.optimize(quadratic, n_trials=20)
    assert choices(study)[40:] == ["cmaes"] * 20
    restarts = {t.system_attrs["cma:restart"] for t in study.trials[20:]}
    assert restarts == {0}  # the new sampler continued the run, it did not start another
    assert study.best_value < 1e-3


def test_same_seed_same_study_across_a_switch():
    def run(seed):
        study = fasthpo.create_study(sampler=AutoSampler(seed=seed, gp_trials=15))
        study.optimize(quadratic, n_trials=30)
        return [(t.params["x"], t.params["y"]) for t in study.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_optimizes_a_quadratic_better_than_random():
    def best(sampler):
        study = fasthpo.create_study(sampler=sampler)
        study.optimize(quadratic, n_trials=50)
        return study.best_value

    auto = [best(AutoSampler(seed=s, gp_trials=30)) for s in range(8)]
    random = [best(RandomSampler(seed=s)) for s in range(8)]
    assert wilcoxon(auto, random, alternative="less").pvalue < 0.01
    assert np.median(auto) < 1e-3


def test_batches_are_proposed_by_one_sampler():
    study = fasthpo.create_study(sampler=AutoSampler(seed=0, gp_trials=12))
    study.optimize(lambda b: (b.suggest_float("x", -5, 5) - 3) ** 2, n_trials=24, batch_size=6)
    assert choices(study) == ["gp"] * 12 + ["cmaes"] * 12


@pytest.mark.parametrize("kwargs, error", [
    ({"gp_trials": -1}, ValueError), ({"gp_trials": 2.5}, ValueError), ({"gp_trials": True}, ValueError),
    ({"constraints_func": 3}, TypeError), ({"seed": -1}, ValueError), ({"seed": "a"}, TypeError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        AutoSampler(**kwargs)
