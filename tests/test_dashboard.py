"""optuna-dashboard shows a fasthpo study, while it runs, read back through the dashboard's HTTP API."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import fasthpo
from fasthpo.samplers import RandomSampler

pytest.importorskip("optuna_dashboard")


def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.report(x * 2, 0)
    trial.set_user_attr("kind", kind)
    return x * x


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def dashboard_trials(base):
    return {t["number"]: t for t in get(f"{base}/api/studies/0?after=0")["trials"]}


@pytest.fixture
def dashboard(tmp_path):
    path = str(tmp_path / "study.log")
    study = fasthpo.create_study(study_name="shown", storage=path, sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=6)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = os.path.join(os.path.dirname(sys.executable), "optuna-dashboard")
    server = subprocess.Popen([command, "--host", "127.0.0.1", "--port", str(port), path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                get(f"{base}/api/studies")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield study, base
    finally:
        server.terminate()
        server.wait(30)


def test_the_dashboard_reads_a_running_fasthpo_study(dashboard):
    study, base = dashboard
    summaries = get(f"{base}/api/studies")["study_summaries"]
    assert [(s["study_name"], s["directions"]) for s in summaries] == [("shown", ["minimize"])]
    shown = dashboard_trials(base)
    assert sorted(shown) == list(range(6))
    for trial in study.trials:
        seen = shown[trial.number]
        assert seen["state"] == "Complete" and seen["values"] == [trial.value]
        assert {p["name"]: p["param_external_value"] for p in seen["params"]} == {
            name: str(value) for name, value in trial.params.items()}
        assert seen["intermediate_values"] == [{"step": 0, "value": trial.intermediate_values[0]}]
        assert seen["user_attrs"] == [{"key": "kind", "value": trial.user_attrs["kind"]}]

    study.optimize(objective, n_trials=3)  # the study goes on: the dashboard follows
    deadline = time.monotonic() + 60
    while len(shown) < 9 and time.monotonic() < deadline:
        time.sleep(0.5)
        shown = dashboard_trials(base)
    assert sorted(shown) == list(range(9)) and shown[8]["values"] == [study.trials[8].value]
