"""Every script in examples/ runs, on small settings, and prints what it promises."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fasthpo

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name, *args, cwd=None, background=False):
    package_dir = str(Path(fasthpo.__file__).resolve().parents[1])  # the fasthpo these tests import (built)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [package_dir, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, str(EXAMPLES / name), *map(str, args)]
    if background:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_every_example_has_a_test():
    tested = {"sgd_pruning.py", "sklearn_pipeline.py", "lightgbm_pruning.py", "xgboost_pruning.py",
              "multi_objective.py", "parallel_workers.py", "ridge_lambda.py",
              "numpy_loop.py", "searcher_adapter.py"}  # the last two: test_examples_embedding.py
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested


def test_sgd_pruning_shows_progress():
    done = run_example("sgd_pruning.py", "--seconds", 1, "--epochs", 3)
    assert "NopPruner for 1 s:" in done.stdout and "trials/s" in done.stderr  # the progress bar
    assert done.stdout.count("| MedianPruner |") == 1


def test_sklearn_pipeline():
    done = run_example("sklearn_pipeline.py", "--trials", 3)
    assert "best cross-validated accuracy" in done.stdout and "3/3" in done.stderr
    accuracy = float(done.stdout.split("test accuracy of the refitted pipeline:")[1])
    assert accuracy > 0.8


@pytest.mark.parametrize("name", ["lightgbm_pruning.py", "xgboost_pruning.py"])
def test_boosting_pruning_tables(name):
    pytest.importorskip(name.split("_")[0])
    done = run_example(name, "--trials", 8, "--rounds", 30)
    rows = {line.split("|")[1].strip(): line.split("|")[2:5] for line in done.stdout.splitlines()
            if line.startswith(("| NopPruner", "| MedianPruner"))}
    assert set(rows) == {"NopPruner", "MedianPruner"}
    assert int(rows["NopPruner"][0]) == 0 and 0 < int(rows["NopPruner"][1]) <= 8 * 30
    assert 0 < float(rows["MedianPruner"][2]) < 1  # a log loss


def test_multi_objective_prints_a_pareto_front():
    done = run_example("multi_objective.py", "--trials", 6)
    front = [line.split("|")[1:3] for line in done.stdout.splitlines() if line.startswith("| 0.")]
    assert front and "Pareto front" in done.stdout
    accuracies, nodes = [float(a) for a, _ in front], [float(n) for _, n in front]
    assert nodes == sorted(nodes) and accuracies == sorted(accuracies)  # a front: bigger only if better


def test_parallel_workers_share_a_journal(tmp_path):
    workers = [run_example("parallel_workers.py", "--storage", "tune.log", "--trials", 4, cwd=tmp_path, background=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    numbers = sorted(int(line.split("trial ")[1].split()[0]) for out, _ in outputs for line in out.splitlines())
    assert numbers == list(range(8))  # unique trial numbers across the two processes
    done = run_example("parallel_workers.py", "--storage", "tune.log", "--summary", cwd=tmp_path)
    assert done.stdout.startswith("8 complete trials")


def test_ridge_lambda_saves_a_plot(tmp_path):
    plot = tmp_path / "ridge.png"
    done = run_example("ridge_lambda.py", "--trials", 12, "--plot", plot)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = float(done.stdout.split("best λ = ")[1].split(",")[0])
    assert 1 < best < 1e4  # neither end of the range: small λ overfits, large λ underfits
