"""fasthpo.benchmarks and ``fasthpo bench``: problems with known optima, contestants, the
resumable runner (with a really killed process), reproducibility and bad input."""

from __future__ import annotations

import argparse
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


# ------------------------------------------------------------------ model tuning (scikit-learn)
def _small_svm():
    from fasthpo.benchmarks.model_tuning import Axis, ModelTuning, _svm

    return ModelTuning("svm-test", "wine", _svm, (Axis("C", "float", (0.1, 10.0), log=True),
                                                     Axis("gamma", "float", (1e-3, 1e-2, 1e-1), log=True)), folds=3)


def test_model_tuning_scores_are_cached_per_configuration_and_reruns_are_identical(tmp_path, monkeypatch):
    from fasthpo.benchmarks.model_tuning import ModelTuning

    monkeypatch.setenv("FASTHPO_BENCH_CACHE", str(tmp_path / "a"))
    problem = _small_svm()
    table = problem.errors()
    assert os.path.exists(problem.path()) and table.shape == (2, 3)
    assert table[1, 0] == problem.cross_validated_error({"C": 10.0, "gamma": 1e-3})
    assert 0 <= table.min() < 0.1 < table.max()  # wine is easy for a tuned SVM, not for every one

    def no_fit(self, config):
        raise AssertionError("a cached configuration was fitted again")

    monkeypatch.setattr(ModelTuning, "cross_validated_error", no_fit)
    instance = problem.instance(seed=3)
    values = instance.evaluate({"C": np.array([0.2, 7.0, 10.0]), "gamma": np.array([1e-3, 0.02, 0.09])})
    np.testing.assert_array_equal(values, [table[0, 0], table[1, 1], table[1, 2]])  # snapped on the log scale
    assert instance.optimum == table.min()
    monkeypatch.undo()
    monkeypatch.setenv("FASTHPO_BENCH_CACHE", str(tmp_path / "b"))
    np.testing.assert_array_equal(_small_svm().errors(), table)  # computed afresh: the same scores


def test_model_tuning_problems_run_through_the_suite(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTHPO_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("fasthpo.benchmarks.problems.model_tuning_problems", lambda: {"svm-test": _small_svm()})
    suite = Suite(("svm-test",), ("fasthpo-tpe", "fasthpo-random"), (0, 1), (12,))
    first = run_suite(suite, str(tmp_path / "a.jsonl"), progress=False)
    second = run_suite(suite, str(tmp_path / "b.jsonl"), progress=False)
    assert [r["digest"] for r in first] == [r["digest"] for r in second]
    assert all(r["regret"][-1] >= 0 for r in first) and min(r["regret"][-1] for r in first) == 0.0


def test_model_tuning_names_resolve_without_fitting():
    problem = get_problem("gbm-wine")
    assert problem.n_objectives == 1
    with pytest.raises(ValueError, match="unknown problem 'svm-digits'"):
        get_problem("svm-digits")


# ------------------------------------------------------------------ GP, suites of several parts
def test_gp_contestants_run_and_optuna_gp_without_torch_is_refused_before_running(monkeypatch):
    result = get_contestant("fasthpo-gp").run(get_problem("sphere-2d").instance(0), budget=15, seed=0)
    assert result.values.shape == (15,)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ValueError, match="sampler 'optuna-gp' is not available here"):
        get_contestant("optuna-gp")


def test_a_suite_of_several_parts_runs_seed_by_seed_and_ranks_each_budget_apart(tmp_path):
    from fasthpo.benchmarks import write_report

    suite = Suite(("sphere-2d", "mixed"), ("fasthpo-random", "fasthpo-tpe", "fasthpo-gp"), (0, 1), (10,),
                  also=(Suite(("zdt1-3d",), ("fasthpo-random", "fasthpo-nsga2", "fasthpo-tpe"), (0, 1), (20,)),))
    path = tmp_path / "r.jsonl"
    records = run_suite(suite, str(path), progress=False)
    assert len(records) == 2 * 3 * 2 + 3 * 2
    written = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [r["seed"] for r in written] == [0] * 9 + [1] * 9  # seed by seed
    assert {r["budget"] for r in records if r["problem"] == "zdt1-3d"} == {20}
    with pytest.raises(ValueError, match="another suite definition"):
        run_suite(Suite(suite.problems, suite.samplers, suite.seeds, suite.budgets), str(path), progress=False)
    text = write_report(records, str(tmp_path))
    assert "### Single-objective problems" in text and "### Multi-objective problems" in text
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<table>") == 4 and "http" not in page
    for heading in ("Final regret", "Average ranks", "Multi-objective problems", "Time per ask"):
        assert f"{heading}" in page
    assert page.count("data:image/png;base64,") == 3  # regret curves and two rank figures, inlined
    assert "<td class=\"name\">fasthpo-gp</td>" in page and "<td class=\"name\">zdt1-3d (20 trials)</td>" in page
    mixed = write_report(records + [dict(r, budget=5, regret=r["regret"][:5]) for r in records
                                    if r["problem"] != "zdt1-3d"], str(tmp_path))
    assert "### Single-objective problems, 5 trials" in mixed and "### Single-objective problems, 10 trials" in mixed


def test_seeds_option_applies_to_every_part_and_composing_drops_the_extra_parts():
    from fasthpo.benchmarks.command import add_bench_command, suite_from_args

    parser = argparse.ArgumentParser()
    add_bench_command(parser.add_subparsers(dest="command"))
    standard = suite_from_args(parser.parse_args(["bench", "--suite", "standard", "--seeds", "3"]))
    assert standard.seeds == (0, 1, 2) and all(part.seeds == (0, 1, 2) for part in standard.also)
    assert standard.also and "optuna-gp" in standard.samplers
    own = suite_from_args(parser.parse_args(["bench", "--suite", "standard", "--samplers", "fasthpo-tpe"]))
    assert own.also == () and own.samplers == ("fasthpo-tpe",) and own.budgets == standard.budgets


def test_report_only_writes_the_report_of_the_recorded_runs_and_leaves_the_file_alone(tmp_path, capsys):
    argv = ["bench", "--problems", "sphere-2d", "--samplers", "fasthpo-random,fasthpo-tpe", "--seeds", "3",
            "--budget", "8", "--output", str(tmp_path)]
    assert cli.main([*argv, "--report-only"]) == 2 and "holds no runs" in capsys.readouterr().err
    suite = Suite(("sphere-2d",), ("fasthpo-random", "fasthpo-tpe"), (0, 1, 2), (8,))
    path = tmp_path / "results.jsonl"
    run_suite(suite, str(path), progress=False)
    lines = path.read_text().splitlines()
    unfinished = "\n".join(lines[:4]) + "\n" + lines[4][:40]  # three of the six runs, a fourth being written
    path.write_text(unfinished)
    assert cli.main([*argv, "--report-only"]) == 0
    assert path.read_text() == unfinished  # a run still writing its file is left alone
    assert "3 runs" in (tmp_path / "report.md").read_text()
