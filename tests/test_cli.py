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


# ------------------------------------------------------------------ study commands
import io  # noqa: E402
import json  # noqa: E402

import fasthpo  # noqa: E402


@pytest.fixture
def journal(tmp_path):
    """A journal file with a single-objective study 'one' (a failed trial too) and a two-objective 'two'."""
    path = str(tmp_path / "studies.log")
    one = fasthpo.create_study(study_name="one", storage=path, sampler=fasthpo.samplers.RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        trial.suggest_categorical("kind", ["a", "b"])
        if trial.number == 4:
            raise ValueError("failing on purpose")
        return x**2

    with pytest.warns(UserWarning):
        one.optimize(objective, n_trials=8, catch=(ValueError,))
    two = fasthpo.create_study(study_name="two", storage=path, directions=["minimize", "minimize"],
                               sampler=fasthpo.samplers.RandomSampler(seed=0))
    two.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1) * t.params["x"]), n_trials=10)
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_studies_lists_every_study(journal, capsys):
    code, out, _ = run(capsys, "studies", journal, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [(r["name"], r["direction"], r["n_trials"]) for r in rows] == [
        ("one", "MINIMIZE", 8), ("two", "MINIMIZE, MINIMIZE", 10)]
    code, out, _ = run(capsys, "studies", journal)
    assert code == 0 and "one" in out and "two" in out


def test_trials_csv_is_the_trials_dataframe(journal, capsys):
    pd = pytest.importorskip("pandas")
    code, out, _ = run(capsys, "trials", journal, "--study", "one", "--format", "csv")
    study = fasthpo.load_study(study_name="one", storage=journal)
    expected = study.trials_dataframe()
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and table.columns.tolist() == expected.columns.tolist()
    assert table["state"].tolist() == expected["state"].tolist()
    assert table["value"].tolist()[:4] == expected["value"].tolist()[:4]
    code, out, _ = run(capsys, "trials", journal, "--study", "one", "--format", "json")
    assert [r["number"] for r in json.loads(out)] == list(range(8))
    code, out, _ = run(capsys, "trials", journal, "--study", "one")
    assert "params_kind" in out.splitlines()[0] and len(out.splitlines()) == 9


def test_best_trial_and_best_trials(journal, capsys):
    one = fasthpo.load_study(study_name="one", storage=journal)
    code, out, _ = run(capsys, "best-trial", journal, "--study", "one", "--format", "json")
    assert code == 0 and [r["number"] for r in json.loads(out)] == [one.best_trial.number]
    two = fasthpo.load_study(study_name="two", storage=journal)
    code, out, _ = run(capsys, "best-trials", journal, "--study", "two", "--format", "json")
    assert sorted(r["number"] for r in json.loads(out)) == sorted(t.number for t in two.best_trials)
    code, _, err = run(capsys, "best-trial", journal, "--study", "two")
    assert code == 1 and "use `best_trials`" in err


def test_delete_study_and_clear_errors(journal, tmp_path, capsys):
    code, _, err = run(capsys, "trials", journal)
    assert code == 1 and "holds 2 studies ['one', 'two']; choose one with --study" in err
    code, _, err = run(capsys, "trials", journal, "--study", "three")
    assert code == 1 and "no study 'three'" in err
    missing = str(tmp_path / "missing.log")
    code, _, err = run(capsys, "studies", missing)
    assert code == 1 and "no journal file" in err and not (tmp_path / "missing.log").exists()
    code, out, _ = run(capsys, "delete-study", journal, "--study", "two")
    assert code == 0 and fasthpo.get_all_study_names(journal) == ["one"]


def test_report_writes_one_self_contained_page(journal, tmp_path, capsys):
    output = tmp_path / "page.html"
    code, out, _ = run(capsys, "report", journal, "--study", "one", "-o", str(output))
    page = output.read_text()
    assert code == 0 and "wrote" in out
    assert page.count("data:image/png;base64,") >= 5 and "http://" not in page and "https://" not in page
    assert "Study one" in page and "7 complete" in page and "1 fail" in page
