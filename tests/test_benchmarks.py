"""fasthpo.benchmarks and ``fasthpo bench``: problems with known optima, contestants, the
resumable runner (with a really killed process), reproducibility and bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from fasthpo import cli
from fasthpo.benchmarks import Suite, get_contestant, get_problem, load_results, run_suite, score
from fasthpo.benchmarks.report import average_ranks

CLASSIC = ["sphere", "ellipsoid", "rosenbrock", "rastrigin", "ackley", "griewank", "levy", "schwefel", "styblinski-tang"]


def _params(x: np.ndarray) -> dict[str, np.ndarray]:
    return {f"x{i}": x[:, i] for i in range(x.shape[1])}


@pytest.mark.parametrize("kind", CLASSIC)
@pytest.mark.parametrize("d", [2, 7])
def test_classic_instances_have_their_optimum_at_the_shifted_point(kind, d):
    problem = get_problem(f"{kind}-{d}d")
    for seed in (0, 1):
        instance = problem.instance(seed)
        at_optimum = instance.evaluate(_params(instance.minimizer[None, :]))[0]
        assert at_optimum == pytest.approx(instance.optimum, abs=1e-9)
        rng = np.random.default_rng(seed)
        low, high = {"rosenbrock": (-5, 10), "ackley": (-32, 32), "griewank": (-600, 600), "levy": (-10, 10),
                     "schwefel": (-500, 500)}.get(kind, (-5, 5))
        values = instance.evaluate(_params(rng.uniform(low, high, (500, d))))
        assert np.all(values >= instance.optimum - 1e-9)
    assert not np.allclose(problem.instance(0).minimizer, problem.instance(1).minimizer)


def test_michalewicz_instances_permute_and_keep_the_known_minimum():
    problem = get_problem("michalewicz-2d")
    optimum = np.array([[2.20290552, 1.57079633]])
    values = [problem.instance(seed).evaluate(_params(np.hstack([optimum, optimum[:, ::-1]]).reshape(2, 2)))
              for seed in range(6)]
    assert all(min(v) == pytest.approx(-1.8013034, abs=1e-6) for v in values)
    assert len({tuple(np.round(v, 6)) for v in values}) == 2  # both coordinate orders occur
    with pytest.raises(ValueError, match="michalewicz has a known minimum in"):
        get_problem("michalewicz-3d")


def test_hypervolume_regret_of_the_true_front_is_near_zero():
    for name, front in [("zdt1-5d", lambda f1: np.column_stack([f1, np.zeros((len(f1), 4))])),
                        ("zdt2-5d", lambda f1: np.column_stack([f1, np.zeros((len(f1), 4))]))]:
        instance = get_problem(name).instance(0)
        values = instance.evaluate(_params(front(np.linspace(0, 1, 401))))
        regret = score(values, instance.optimum, instance.reference)
        assert 0 <= regret[-1] < 5e-3 and np.all(np.diff(regret) <= 1e-15)
    instance = get_problem("dtlz2-4d").instance(0)
    grid = np.array([[a, b, 0.5, 0.5] for a in np.linspace(0, 1, 15) for b in np.linspace(0, 1, 15)])
    assert 0 <= score(instance.evaluate(_params(grid)), instance.optimum, instance.reference)[-1] < 0.08


def test_single_objective_regret_is_the_best_so_far_minus_the_optimum():
    assert score(np.array([3.0, 5.0, 1.5, 2.0]), 1.0, None).tolist() == [2.0, 2.0, 0.5, 0.5]


@pytest.mark.parametrize("name", ["mixed", "conditional"])
def test_mixed_and_conditional_spaces_run_on_every_library(name):
    instance = get_problem(name).instance(3)
    for sampler in ("fasthpo-tpe", "fasthpo-random@8", "optuna-tpe", "rustuna-tpe"):
        result = get_contestant(sampler).run(instance, 15, seed=1)
        assert result.values.shape == (15,) and np.all(result.values >= 0)
        assert 0 < result.ask_time <= result.wall_time


def test_conditional_parameters_exist_only_in_their_branch():
    import fasthpo

    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    instance = get_problem("conditional").instance(0)
    batch = study.ask_batch(64)
    study.tell_batch(batch, instance.evaluate(instance.suggest(batch)))
    for trial in study.trials:
        model = trial.params["model"]
        expected = {"svm": {"C", "gamma", "kernel"}, "forest": {"n_estimators", "max_depth"},
                    "knn": {"n_neighbors", "weights"}}[model]
        if trial.params.get("kernel") == "poly":
            expected = expected | {"degree"}
        assert set(trial.params) == {"model"} | expected


def test_user_sampler_classes_and_callables_plug_in(tmp_path):
    plugin = tmp_path / "my_sampler.py"
    plugin.write_text("import fasthpo\n\ndef make(seed):\n    return fasthpo.samplers.RandomSampler(seed=seed)\n")
    names = ("fasthpo-random", "fasthpo.samplers:RandomSampler", f"{plugin}:make")
    suite = Suite(problems=("mixed", "sphere-3d"), samplers=names, seeds=(4,), budgets=(30,))
    records = run_suite(suite, str(tmp_path / "r.jsonl"), progress=False)
    for problem in suite.problems:
        runs = [r for r in records if r["problem"] == problem]
        assert len(runs) == 3 and len({r["digest"] for r in runs}) == 1
        assert len({json.dumps(r["regret"]) for r in runs}) == 1


def test_runs_are_reproducible_per_seed_in_and_out_of_worker_processes(tmp_path):
    suite = Suite(problems=("conditional", "zdt1-4d"), samplers=("fasthpo-tpe", "optuna-tpe"),
                  seeds=(0, 1), budgets=(15,))
    first = run_suite(suite, str(tmp_path / "a.jsonl"), progress=False)
    second = run_suite(suite, str(tmp_path / "b.jsonl"), workers=2, progress=False)
    assert len(first) == 8
    strip = [{k: v for k, v in r.items() if k not in ("wall_time", "ask_time")} for r in first]
    assert strip == [{k: v for k, v in r.items() if k not in ("wall_time", "ask_time")} for r in second]
    assert len({r["digest"] for r in first}) == 8  # every seed and problem is another study


def test_bench_command_resumes_after_the_process_is_killed(tmp_path):
    output = tmp_path / "out"
    argv = ["--problems", "sphere-2d", "--samplers", "fasthpo-tpe", "--seeds", "8", "--budget", "30",
            "--workers", "1", "--output", str(output)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, "-m", "fasthpo", "bench", *argv], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = output / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (results.exists() and results.read_text().count("\n") >= 3):
        time.sleep(0.05)
    assert process.poll() is None, "the suite ended before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = results.read_text()
    lines_before = before[: before.rfind("\n") + 1].splitlines()
    assert 3 <= len(lines_before) < 9
    with open(results, "a") as f:
        f.write('{"problem": "sphere-2d", "sampler": "fasthpo-tp')  # a line torn mid-write
    assert cli.main(["bench", *argv]) == 0
    lines = results.read_text().splitlines()
    assert lines[: len(lines_before)] == lines_before  # what was done is kept, not rerun
    records = [json.loads(line) for line in lines[1:]]
    assert sorted(r["seed"] for r in records) == list(range(8))
    fresh = run_suite(Suite(("sphere-2d",), ("fasthpo-tpe",), (0, 7), (30,)), str(tmp_path / "f.jsonl"),
                      progress=False)
    resumed = {(r["problem"], r["seed"]): r["digest"] for r in records}
    assert all(resumed[r["problem"], r["seed"]] == r["digest"] for r in fresh)
    assert "| sphere-2d |" in (output / "report.md").read_text() and (output / "regret_curves.png").stat().st_size


def test_average_ranks_share_ties_and_leave_out_samplers_missing_a_problem():
    finals = {("p", 0): {"a": 1.0, "b": 2.0, "c": 3.0}, ("p", 1): {"a": 2.0, "b": 2.0, "c": 1.0},
              ("q", 0): {"a": 0.5, "b": 0.1, "c": 0.2, "d": 0.0}}
    records = [{"problem": p, "seed": seed, "budget": 5, "sampler": s, "regret": [9.0, v]}
               for (p, seed), by in finals.items() for s, v in by.items()]
    samplers, ranks, n = average_ranks(records)
    assert samplers == ["a", "b", "c"] and n == 3
    np.testing.assert_allclose(ranks, [(1 + 2.5 + 3) / 3, (2 + 2.5 + 1) / 3, (3 + 1 + 2) / 3])


@pytest.mark.parametrize("argv, message", [
    (["--problems", "sphere"], "unknown problem 'sphere'"),
    (["--problems", "sphere-2d,nope-3d"], "unknown problem 'nope-3d'"),
    (["--samplers", "fasthpo-sobol"], "unknown sampler 'fasthpo-sobol'"),
    (["--samplers", "optuna-tpe@4"], "batch size @k"),
    (["--samplers", "no_such_module:Sampler"], "cannot import the sampler"),
    (["--samplers", "fasthpo.samplers:NoSampler"], "no sampler class or callable 'NoSampler'"),
    (["--budget", "0"], "a budget must be a positive number of trials, got 0"),
    (["--budget", "-5"], "a budget must be a positive number of trials, got -5"),
    (["--budget", "ten"], "--budget takes integers"),
    (["--seeds", "0"], "--seeds N needs N >= 1"),
])
def test_bad_input_is_refused_before_any_run(tmp_path, capsys, argv, message):
    output = tmp_path / "out"
    assert cli.main(["bench", "--output", str(output), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_a_results_file_of_another_suite_is_refused_and_left_alone(tmp_path, capsys):
    suite = Suite(("sphere-2d",), ("fasthpo-random",), (0,), (5,))
    path = tmp_path / "results.jsonl"
    run_suite(suite, str(path), progress=False)
    before = path.read_text()
    with pytest.raises(ValueError, match="another suite definition"):
        run_suite(Suite(("sphere-2d",), ("fasthpo-random",), (0, 1), (5,)), str(path), progress=False)
    argv = ["bench", "--problems", "sphere-2d", "--samplers", "fasthpo-tpe", "--seeds", "1", "--budget", "5",
            "--output", str(tmp_path)]
    assert cli.main(argv) == 2 and "another suite definition" in capsys.readouterr().err
    assert path.read_text() == before
    other = tmp_path / "other.jsonl"
    other.write_text('{"some": "json"}\n')
    with pytest.raises(ValueError, match="not a fasthpo bench results file"):
        load_results(str(other))


def test_multi_objective_problems_skip_single_objective_samplers(tmp_path):
    suite = Suite(("zdt1-4d", "sphere-2d"), ("fasthpo-cmaes", "fasthpo-tpe"), (0,), (12,))
    records = run_suite(suite, str(tmp_path / "r.jsonl"), progress=False)
    assert [(r["problem"], r["sampler"]) for r in records] == [
        ("zdt1-4d", "fasthpo-tpe"), ("sphere-2d", "fasthpo-cmaes"), ("sphere-2d", "fasthpo-tpe")]
    assert all(len(r["regret"]) == 12 and r["regret"] == sorted(r["regret"], reverse=True) for r in records)
