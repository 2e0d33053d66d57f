import subprocess
import sys

import pytest

from fasthpo.cli import RidgeTuning, main


def test_demo_runs_a_real_optimization_and_prints_the_best_result():
    out = subprocess.run(
        [sys.executable, "-m", "fasthpo", "demo", "--n-trials", "40", "--sampler", "random"],
        capture_output=True, text=True, check=True,
    )
    assert "best validation MSE" in out.stdout and "alpha" in out.stdout
    assert "40/40" in out.stderr  # the progress bar


def test_demo_finds_a_model_near_the_noise_floor():
    import fasthpo

    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    study.optimize(RidgeTuning(0), n_trials=60)
    values = [t.value for t in study.trials]
    assert max(values) > 0.1  # a poor configuration is far from the optimum ...
    assert study.best_value < 1.1 * 0.15**2  # ... the best is within 10% of the noise variance


def test_cli_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--n-trials", "0"])
    assert "--n-trials must be >= 1" in capsys.readouterr().err
