"""Typical Optuna programs, run under Optuna 5 and under fasthpo with only the import changed.

Each program below is plain Optuna code. The test runs it as written, then with its
first line ``import optuna`` replaced by ``import fasthpo as optuna``, and compares what
each run left in ``result``: states, which parameters exist, what the API returned or
raised, what the pruner decided. Sampled numbers differ between the libraries, so the
programs record facts that do not depend on them.
"""

import textwrap
import warnings

import pytest

PROGRAMS = {}

PROGRAMS["define-by-run with a conditional space"] = """
import optuna

def objective(trial):
    classifier = trial.suggest_categorical("classifier", ["svc", "forest"])
    if classifier == "svc":
        c = trial.suggest_float("svc_c", 1e-4, 1e2, log=True)
        return (c - 1.0) ** 2
    depth = trial.suggest_int("depth", 2, 32, log=True)
    estimators = trial.suggest_int("n_estimators", 10, 100, step=10)
    return abs(depth - 8) + estimators / 100

study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=1))
study.optimize(objective, n_trials=40)
names = {"svc": {"classifier", "svc_c"}, "forest": {"classifier", "depth", "n_estimators"}}
result = {
    "n_trials": len(study.trials),
    "params follow the branch": all(set(t.params) == names[t.params["classifier"]] for t in study.trials),
    "steps respected": all(t.params.get("n_estimators", 10) % 10 == 0 for t in study.trials),
    "best is the minimum": study.best_value == min(t.value for t in study.trials),
    "best_params": set(study.best_params) == names[study.best_params["classifier"]],
    "distributions": sorted({type(d).__name__ for t in study.trials for d in t.distributions.values()}),
    "states": {t.state.name for t in study.trials},
}
"""

PROGRAMS["ask and tell"] = """
import optuna
from optuna.trial import TrialState

study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
outcomes = []
for i in range(12):
    trial = study.ask()
    x = trial.suggest_float("x", -1.0, 1.0)
    if i % 4 == 1:
        study.tell(trial, state=TrialState.PRUNED)
    elif i % 4 == 2:
        study.tell(trial, state=TrialState.FAIL)
    else:
        frozen = study.tell(trial, 1.0 - x * x)
        outcomes.append((frozen.number, frozen.state.name, frozen.value == 1.0 - x * x))
fixed = study.ask(fixed_distributions={"x": optuna.distributions.FloatDistribution(0.5, 0.5)})
study.tell(fixed.number, 0.75)
try:
    study.tell(fixed, 0.1)
    told_twice = "accepted"
except Exception as error:
    told_twice = type(error).__name__
skipped = study.tell(fixed, 0.1, skip_if_finished=True)
result = {
    "outcomes": outcomes,
    "states": [t.state.name for t in study.trials],
    "fixed param": study.trials[-1].params,
    "told twice": told_twice,
    "skip_if_finished keeps the value": skipped.value,
    "best is the maximum": study.best_value == max(t.value for t in study.get_trials(states=[TrialState.COMPLETE])),
    "n complete": len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))),
}
"""

PROGRAMS["multi-objective with constraints"] = """
import optuna

def objective(trial):
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    trial.set_constraint("circle", (x - 5) ** 2 + y ** 2 - 25)
    trial.set_constraint("outside", -((x - 8) ** 2) - (y + 3) ** 2 + 7.7)
    return 4 * x ** 2 + 4 * y ** 2, (x - 5) ** 2 + (y - 5) ** 2

study = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=2))
study.optimize(objective, n_trials=40)

def feasible(t):
    return all(c <= 0 for c in t.constraints.values())

def dominates(a, b):
    return all(u <= v for u, v in zip(a.values, b.values)) and a.values != b.values

front = study.best_trials
complete = [t for t in study.trials if t.state.name == "COMPLETE"]
result = {
    "constraint names": sorted(study.trials[0].constraints),
    "front is feasible": all(feasible(t) for t in front),
    "front is the feasible non-dominated set": sorted(t.number for t in front) == sorted(
        t.number for t in complete if feasible(t) and not any(dominates(o, t) for o in complete if feasible(o))
    ),
    "n values": {len(t.values) for t in complete},
    "directions": [d.name for d in study.directions],
}
try:
    study.best_trial
    result["best_trial"] = "returned"
except Exception as error:
    result["best_trial"] = type(error).__name__
"""

PROGRAMS["pruning with report and should_prune"] = """
import optuna

def objective(trial):
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    quality = (trial.number * 7) % 11          # a learning curve that does not depend on the sample
    for step in range(10):
        trial.report(quality + 10.0 / (step + 1), step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return quality

pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
study = optuna.create_study(pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=3))
study.optimize(objective, n_trials=30)
result = {
    "states": [t.state.name for t in study.trials],
    "pruned at step": [t.last_step for t in study.trials if t.state.name == "PRUNED"],
    "pruned value is the last report": all(
        t.value == t.intermediate_values[t.last_step] for t in study.trials if t.state.name == "PRUNED"),
    "best_value": study.best_value,
}
"""

PROGRAMS["enqueue_trial and add_trial"] = """
import optuna
from optuna.distributions import FloatDistribution, IntDistribution

def objective(trial):
    x = trial.suggest_float("x", -10, 10)
    n = trial.suggest_int("n", 1, 5)
    return (x - 2) ** 2 + n

study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=4))
study.add_trial(optuna.trial.create_trial(
    params={"x": 2.0, "n": 1},
    distributions={"x": FloatDistribution(-10, 10), "n": IntDistribution(1, 5)},
    value=1.0,
))
study.add_trials([optuna.trial.create_trial(params={"x": 0.0}, distributions={"x": FloatDistribution(-10, 10)},
                                            value=9.0, user_attrs={"source": "notebook"})])
study.enqueue_trial({"x": 3.0})
study.enqueue_trial({"x": 3.0}, skip_if_exists=True)
study.enqueue_trial({"x": -1.0, "n": 5}, user_attrs={"why": "edge"})
study.optimize(objective, n_trials=4)
try:
    study.add_trial(optuna.trial.create_trial(params={"x": 20.0}, distributions={"x": FloatDistribution(-10, 10)},
                                              value=1.0))
    out_of_range = "accepted"
except Exception as error:
    out_of_range = type(error).__name__
result = {
    "x of the added and enqueued": [t.params["x"] for t in study.trials[:4]],
    "n of the added and enqueued": [t.params.get("n") for t in study.trials[:4] if t.number != 2],
    "names": [sorted(t.params) for t in study.trials],
    "user_attrs": [t.user_attrs for t in study.trials],
    "best_params": study.best_params,
    "n_trials": len(study.trials),
    "out of range": out_of_range,
    "states": [t.state.name for t in study.trials],
}
"""

PROGRAMS["callbacks"] = """
import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

seen = []

def record(study, trial):
    seen.append((trial.number, trial.state.name, len(study.trials)))

def stop_after_three_failures(study, trial):
    if len(study.get_trials(states=(TrialState.FAIL,))) >= 3:
        study.stop()

def objective(trial):
    x = trial.suggest_int("x", 0, 100)
    if trial.number % 3 == 2:
        raise ValueError("fails on purpose")
    return x

study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5))
study.optimize(objective, n_trials=100, catch=(ValueError,), callbacks=[record, stop_after_three_failures])
first = len(study.trials)
study.optimize(objective, n_trials=100, catch=ValueError,
               callbacks=[record, MaxTrialsCallback(10, states=(TrialState.COMPLETE,))])
result = {"seen": seen, "first run": first, "total": len(study.trials)}
"""


def run(program: str, module: str) -> dict:
    source = textwrap.dedent(program).strip()
    assert source.startswith("import optuna\n")
    if module == "fasthpo":
        source = source.replace("import optuna\n", "import fasthpo as optuna\n", 1)
        source = source.replace("from optuna.", "from fasthpo.")  # `from optuna.x import y` is an import line too
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failing trials warn in both libraries
        exec(compile(source, f"<{module} program>", "exec"), namespace)
    return namespace["result"]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_an_optuna_program_behaves_the_same_under_fasthpo(name):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    expected = run(PROGRAMS[name], "optuna")
    assert run(PROGRAMS[name], "fasthpo") == expected
