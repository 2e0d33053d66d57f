"""The HTML report: what the page says about real studies, and the page in headless Chromium."""

import base64
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.report import render_report, write_report
from fasthpo.samplers import RandomSampler

pytest.importorskip("matplotlib")
pytest.importorskip("pandas")


def single_study():
    study = fasthpo.create_study(study_name="single <one>", sampler=RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        trial.suggest_categorical("kind", ["a", "b"])
        trial.report(x**2 + 1, 0)
        if trial.number == 5:
            raise fasthpo.TrialPruned()
        return x**2

    study.optimize(objective, n_trials=25)
    return study


def images(page):
    return re.findall(r'data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


def test_a_single_objective_report_has_summary_importance_plots_and_best_trials():
    study = single_study()
    page = render_report(study)
    assert "Study single &lt;one&gt;" in page  # names are escaped
    assert "24 complete, 1 pruned" in page
    assert f"#{study.best_trial.number}: value {study.best_value:.6g}" in page
    for name in fasthpo.importance.get_param_importances(study):
        assert f'<td class="name">{name}</td>' in page
    pngs = images(page)
    assert len(pngs) == 7  # history, importances, slice, parallel, contour, intermediate values, timeline
    assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)
    best = sorted(t.value for t in study.get_trials(states=[TrialState.COMPLETE]))[:10]
    table = page.split("<h2>Best trials</h2>")[1]
    assert [float(v) for v in re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", table)] == pytest.approx(best, rel=1e-5)
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_a_two_objective_report_shows_the_pareto_set():
    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1) * t.params["x"]),
                   n_trials=20)
    page = render_report(study)
    assert f"{len(study.best_trials)} trial(s)" in page and "Pareto front" in page
    table = page.split("<h2>Best trials</h2>")[1]
    assert table.count("<tr><td>") == len(study.best_trials)


@pytest.mark.parametrize("state", [None, TrialState.FAIL])
def test_empty_and_failed_only_studies_give_a_page_that_says_so(state):
    study = fasthpo.create_study()
    if state is not None:
        for _ in range(2):
            trial = study.ask()
            trial.suggest_float("x", 0, 1)
            study.tell(trial, state=state)
    page = render_report(study)
    assert "Needs at least 2 complete trials" in page and "No complete feasible trial" in page
    assert "none (no complete trial)" in page


def test_the_page_renders_in_headless_chromium(tmp_path):
    """The page as a browser draws it: the screenshot tool's check on a real study."""
    if not any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip("no chromium (CI installs it: apt-get install -y chromium)")
    storage = str(tmp_path / "study.log")
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("n", 0, 3), n_trials=30)
    png = tmp_path / "page.png"
    tool = pathlib.Path(__file__).resolve().parents[1] / "tools" / "report_screenshot.py"
    run = subprocess.run([sys.executable, str(tool), "--storage", storage, "-o", str(png)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert png.read_bytes().startswith(b"\x89PNG") and "distinct colours" in run.stdout
    write_report(study, str(tmp_path / "page.html"))
    assert (tmp_path / "page.html").read_text().startswith("<!DOCTYPE html>")
