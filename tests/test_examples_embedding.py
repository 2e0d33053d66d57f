"""The embedding examples run and do what they say."""

import importlib.util
import pathlib

import numpy as np

from fasthpo.samplers import RandomSampler, TPESampler

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numpy_loop_beats_random_search_with_the_same_budget(capsys):
    module = load("numpy_loop")
    for seed in range(3):
        tpe = module.main(sampler=TPESampler(seed=seed, n_startup_trials=16))
        random = module.main(sampler=RandomSampler(seed=seed))
        assert tpe < random, seed
    assert "200 trials" in capsys.readouterr().out


def test_searcher_adapter_answers_a_framework_loop(capsys):
    module = load("searcher_adapter")
    best = module.main()
    assert best < 0.5 and "best loss" in capsys.readouterr().out
    space = {"x": module.FloatDistribution(0, 1)}
    searcher = module.FasthpoSearcher(space, module.GPSampler(seed=0), metric="acc", mode="max")
    config = searcher.suggest("a")
    assert set(config) == {"x"} and 0 <= config["x"] <= 1
    searcher.on_trial_complete("a", error=True)  # a failed trial
    assert np.isnan(searcher._history.Y[0, 0])
