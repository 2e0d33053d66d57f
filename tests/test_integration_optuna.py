"""fasthpo samplers inside Optuna (fasthpo.integration.optuna), and study conversion."""

import math
import pickle
import warnings

import numpy as np
import optuna
import pytest
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    MultiObjectiveSamplerTestCase,
    RelativeSamplerTestCase,
)

import fasthpo
import fasthpo.integration.optuna as fo
from fasthpo.integration.optuna import _Mirror

optuna.logging.set_verbosity(optuna.logging.WARNING)

# ------------------------------------------------------- Optuna's conformance suites
# Every sampler runs BasicSamplerTestCase; those that sample jointly also run
# RelativeSamplerTestCase; those that support several objectives, MultiObjectiveSamplerTestCase.
# GridSampler is left out: its search space must list every parameter the suites suggest.
BASIC = {
    "random": lambda: fo.RandomSampler(seed=0),
    "qmc": lambda: fo.QMCSampler(seed=0, warn_independent_sampling=False),
    "tpe": lambda: fo.TPESampler(seed=0, n_startup_trials=2),
    "gp": lambda: fo.GPSampler(seed=0, n_startup_trials=8, warn_independent_sampling=False),
    "cmaes": lambda: fo.CmaEsSampler(seed=0, warn_independent_sampling=False),
}
RELATIVE = {
    "qmc": BASIC["qmc"],
    "tpe": lambda: fo.TPESampler(seed=0, n_startup_trials=0),  # joint sampling from the first trial on
    "gp": lambda: fo.GPSampler(seed=0, n_startup_trials=0, warn_independent_sampling=False),
    "cmaes": lambda: fo.CmaEsSampler(seed=0, n_startup_trials=0, warn_independent_sampling=False),
}
MULTI_OBJECTIVE = {
    "random": BASIC["random"],
    "qmc": BASIC["qmc"],
    "tpe": BASIC["tpe"],
}


class TestBasicConformance(BasicSamplerTestCase):
    @pytest.fixture(params=sorted(BASIC))
    def sampler(self, request):
        return BASIC[request.param]


class TestRelativeConformance(RelativeSamplerTestCase):
    @pytest.fixture(params=sorted(RELATIVE))
    def sampler(self, request):
        return RELATIVE[request.param]


class TestMultiObjectiveConformance(MultiObjectiveSamplerTestCase):
    @pytest.fixture(params=sorted(MULTI_OBJECTIVE))
    def sampler(self, request):
        return MULTI_OBJECTIVE[request.param]


# ------------------------------------------------------------------- the mirror


def mirror_of(sampler, study):
    return sampler._mirrors[(id(study._storage), study._study_id)]


def assert_mirror_matches(sampler, study):
    """Every started Optuna trial is in the mirror with the same state, params and values."""
    mirror = mirror_of(sampler, study)
    mirror.sync(study)
    trials = study.get_trials(deepcopy=False)
    started = [t for t in trials if t.state != optuna.trial.TrialState.WAITING]
    assert mirror.store.n_trials == len(started)
    for trial in trials:
        if trial.state == optuna.trial.TrialState.WAITING:
            assert trial.number not in mirror.number_of
            continue
        frozen = mirror.history.frozen_trial(mirror.number_of[trial.number])
        assert frozen.state.name == trial.state.name
        assert frozen.params == trial.params
        assert frozen.values == trial.values
        assert frozen.intermediate_values == trial.intermediate_values


def quadratic(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2


def journal_storage(path):
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def test_mirror_follows_enqueued_pruned_and_failed_trials():
    sampler = fo.TPESampler(seed=0, n_startup_trials=5)
    study = optuna.create_study(sampler=sampler)
    study.enqueue_trial({"x": 0.5})

    def objective(trial):
        value = quadratic(trial)
        trial.report(value, step=0)
        if trial.number % 5 == 1:
            raise optuna.TrialPruned()
        if trial.number % 5 == 2:
            raise ValueError("failed on purpose")
        if trial.number % 5 == 3:
            return float("nan")  # Optuna fails the trial
        return value

    study.optimize(objective, n_trials=40, catch=(ValueError,))
    study.enqueue_trial({"x": -0.5})  # stays WAITING
    states = [t.state for t in study.trials]
    assert {s.name for s in states} == {"COMPLETE", "PRUNED", "FAIL", "WAITING"}
    assert_mirror_matches(sampler, study)
    mirror = mirror_of(sampler, study)
    assert mirror.history.frozen_trial(mirror.number_of[0]).params["x"] == 0.5


def test_two_processes_writing_one_storage_see_each_others_trials(tmp_path):
    path = tmp_path / "journal.log"
    sampler_a, sampler_b = fo.TPESampler(seed=1, n_startup_trials=4), fo.TPESampler(seed=2, n_startup_trials=4)
    study_a = optuna.create_study(study_name="shared", storage=journal_storage(path), sampler=sampler_a)
    study_b = optuna.load_study(study_name="shared", storage=journal_storage(path), sampler=sampler_b)
    for _ in range(12):
        study_a.optimize(quadratic, n_trials=1)
        study_b.optimize(quadratic, n_trials=1)
    assert_mirror_matches(sampler_a, study_a)
    assert_mirror_matches(sampler_b, study_b)
    assert mirror_of(sampler_a, study_a).store.n_finished == 24


def test_mirror_works_on_an_rdb_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    sampler_a, sampler_b = fo.QMCSampler(seed=0), fo.QMCSampler(seed=0)
    study_a = optuna.create_study(study_name="rdb", storage=url, sampler=sampler_a)
    study_b = optuna.load_study(study_name="rdb", storage=url, sampler=sampler_b)
    for _ in range(4):
        study_a.optimize(quadratic, n_trials=1)
        study_b.optimize(quadratic, n_trials=1)
    assert_mirror_matches(sampler_a, study_a)
    assert_mirror_matches(sampler_b, study_b)
    exported = fo.to_optuna(fo.from_optuna(study_a), storage=url, study_name="copy")
    assert [t.params for t in exported.trials] == [t.params for t in study_a.trials]


def test_cma_es_state_travels_between_processes_through_the_storage(tmp_path):
    path = tmp_path / "journal.log"
    sampler_a, sampler_b = fo.CmaEsSampler(seed=1, popsize=4), fo.CmaEsSampler(seed=2, popsize=4)
    study_a = optuna.create_study(study_name="cma", storage=journal_storage(path), sampler=sampler_a)
    study_b = optuna.load_study(study_name="cma", storage=journal_storage(path), sampler=sampler_b)
    for _ in range(10):
        study_a.optimize(quadratic, n_trials=1)
        study_b.optimize(quadratic, n_trials=1)
    assert_mirror_matches(sampler_a, study_a)
    assert_mirror_matches(sampler_b, study_b)
    generations = [t.system_attrs.get(f"{fo.SYSTEM_ATTR_PREFIX}cma:generation") for t in study_a.trials[1:]]
    assert None not in generations and max(generations) >= 2  # generations advance across both processes


def test_cma_es_warm_starts_from_the_trials_of_an_optuna_study():
    def corner(trial):  # optimum at (4, -4), far from the centre where a cold start begins
        return (trial.suggest_float("x", -5, 5) - 4) ** 2 + (trial.suggest_float("y", -5, 5) + 4) ** 2

    source = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    source.optimize(corner, n_trials=40)
    distances = {}
    for name, source_trials in (("warm", source.trials), ("cold", None)):
        study = optuna.create_study(sampler=fo.CmaEsSampler(seed=0, source_trials=source_trials))
        study.optimize(corner, n_trials=12)
        first = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:12]])
        distances[name] = np.median(np.hypot(first[:, 0] - 4, first[:, 1] + 4))
    assert distances["warm"] < 2.5 < distances["cold"]


def test_grid_points_are_shared_between_processes(tmp_path):
    path = tmp_path / "journal.log"
    space = {"x": [0, 1, 2, 3], "c": ["a", "b", "c"]}
    study_a = optuna.create_study(study_name="grid", storage=journal_storage(path),
                                  sampler=fo.GridSampler(space, seed=1))
    study_b = optuna.load_study(study_name="grid", storage=journal_storage(path),
                                sampler=fo.GridSampler(space, seed=2))

    def objective(trial):
        return trial.suggest_int("x", 0, 3) + len(trial.suggest_categorical("c", ["a", "b", "c"]))

    for _ in range(6):
        study_a.optimize(objective, n_trials=1)
        study_b.optimize(objective, n_trials=1)
    points = {(t.params["x"], t.params["c"]) for t in study_a.trials}
    assert len(study_a.trials) == 12 and len(points) == 12
    assert all(f"{fo.SYSTEM_ATTR_PREFIX}grid_id" in t.system_attrs for t in study_a.trials)


def test_a_new_sampler_object_rebuilds_the_history_after_a_restart(tmp_path):
    path = tmp_path / "journal.log"
    first = optuna.create_study(study_name="s", storage=journal_storage(path),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    first.optimize(quadratic, n_trials=60)
    restarted = fo.TPESampler(seed=0, n_startup_trials=10)
    study = optuna.load_study(study_name="s", storage=journal_storage(path), sampler=restarted)
    study.optimize(quadratic, n_trials=20)
    assert_mirror_matches(restarted, study)
    new_x = np.array([t.params["x"] for t in study.trials[60:]])
    old_x = np.array([t.params["x"] for t in study.trials[:60]])
    # TPE starts from the 60 mirrored trials at once: its points sit near x = 1.
    assert np.median(np.abs(new_x - 1)) < 0.5 * np.median(np.abs(old_x - 1))


def test_sync_reads_only_new_or_changed_trials(monkeypatch):
    sampler = fo.RandomSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=50)
    mirror = mirror_of(sampler, study)
    taken = []
    original = _Mirror._take_in
    monkeypatch.setattr(_Mirror, "_take_in", lambda self, trial, start=False: taken.append(trial.number)
                        or original(self, trial, start))
    mirror.sync(study)
    assert taken == [49]  # finished in the mirror by after_trial; Optuna stored its state after
    taken.clear()
    mirror.sync(study)
    assert taken == []  # 50 finished trials: nothing to read
    study.enqueue_trial({"x": 0.0})
    mirror.sync(study)
    assert taken == [50]  # the new WAITING trial is noted, not mirrored
    trial = study.ask()
    mirror.sync(study)
    trial.suggest_float("x", -5, 5)
    mirror.sync(study)
    assert taken == [50, 50, 50]  # started, then its parameter
    mirror.sync(study)
    assert taken == [50, 50, 50]
    study.tell(trial, 1.0)
    mirror.sync(study)
    assert_mirror_matches(sampler, study)


def test_sampler_system_attrs_are_written_to_the_optuna_trial():
    study = optuna.create_study(sampler=fo.QMCSampler(seed=0))
    study.optimize(quadratic, n_trials=5)
    indices = [t.system_attrs.get(f"{fo.SYSTEM_ATTR_PREFIX}qmc_index") for t in study.trials]
    assert indices == [None, 0, 1, 2, 3]  # the first trial is sampled independently


@pytest.mark.parametrize(
    "ours, theirs, directions",
    [
        (lambda: fo.RandomSampler(seed=3), lambda: fasthpo.samplers.RandomSampler(seed=3), ["minimize"]),
        (lambda: fo.TPESampler(seed=3), lambda: fasthpo.samplers.TPESampler(seed=3), ["minimize"]),
        (lambda: fo.TPESampler(seed=3, multivariate=True, group=True),
         lambda: fasthpo.samplers.TPESampler(seed=3, multivariate=True, group=True), ["maximize"]),
        (lambda: fo.TPESampler(seed=3), lambda: fasthpo.samplers.TPESampler(seed=3), ["minimize", "maximize"]),
        (lambda: fo.GPSampler(seed=3, n_startup_trials=4), lambda: fasthpo.samplers.GPSampler(seed=3, n_startup_trials=4),
         ["minimize"]),
        (lambda: fo.CmaEsSampler(seed=3, popsize=6), lambda: fasthpo.samplers.CmaEsSampler(seed=3, popsize=6),
         ["maximize"]),
    ],
    ids=["random", "tpe", "tpe-group", "tpe-two-objectives", "gp", "cmaes"],
)
def test_adapter_suggests_what_the_fasthpo_sampler_suggests(ours, theirs, directions):
    """Same seed, same objective: the Optuna study and the fasthpo study see the same points."""

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        n = trial.suggest_int("n", 1, 64, log=True)
        c = trial.suggest_categorical("c", ["a", "b", None])
        if c == "a":
            x += trial.suggest_float("shift", 0, 1, step=0.25)
        value = (x - 1) ** 2 + abs(math.log2(n) - 3) + (c == "b")
        return value if len(directions) == 1 else (value, x)

    n_trials = 7 if isinstance(ours(), fo.GPSampler) else 40  # a GP fit costs ~0.5 s here
    optuna_study = optuna.create_study(sampler=ours(), directions=directions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # categorical parameters outside CMA-ES
        optuna_study.optimize(objective, n_trials=n_trials)
    fasthpo_study = fasthpo.create_study(sampler=theirs(), directions=directions)
    fasthpo_study.optimize(objective, n_trials=n_trials)
    assert [t.params for t in optuna_study.trials] == [t.params for t in fasthpo_study.trials]


def test_tpe_adapter_concentrates_near_the_optimum_and_a_seed_reproduces():
    def run(seed):
        study = optuna.create_study(sampler=fo.TPESampler(seed=seed))
        study.optimize(quadratic, n_trials=80)
        return study

    study = run(5)
    late = np.array([[t.params["x"], t.params["y"]] for t in study.trials[50:]])
    assert np.median(np.hypot(late[:, 0] - 1, late[:, 1] + 2)) < 2.0  # uniform draws: about 3.9
    assert [t.params for t in run(5).trials] == [t.params for t in study.trials]


def test_tpe_adapter_ranks_infeasible_trials_by_their_constraints():
    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        trial.set_user_attr("violation", 1.0 - x)  # feasible when x >= 1
        return x**2

    sampler = fo.TPESampler(seed=0, n_startup_trials=10,
                            constraints_func=lambda t: [t.user_attrs["violation"]])
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=60)
    assert all(t.constraints == {"0": 1.0 - t.params["x"]} for t in study.trials)
    mirror = mirror_of(sampler, study)
    record = mirror.store.records[mirror.number_of[5]]
    assert record.system_attrs["constraints"] == [1.0 - study.trials[5].params["x"]]
    late = np.array([t.params["x"] for t in study.trials[40:]])
    assert np.median(late) > 0.8  # the unconstrained optimum, x = 0, is infeasible


def test_gp_adapter_uses_constraints():
    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        return x**2

    sampler = fo.GPSampler(seed=0, n_startup_trials=5, constraints_func=lambda t: [1.0 - t.params["x"]])
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=20)
    feasible = [t.value for t in study.trials if t.params["x"] >= 1.0]
    assert feasible and min(feasible) < 1.1  # the constrained optimum is 1 at x = 1
    assert np.mean([t.params["x"] >= 1.0 for t in study.trials[10:]]) >= 0.5


def test_optuna_set_constraint_reaches_the_mirror():
    sampler = fo.TPESampler(seed=0)
    study = optuna.create_study(sampler=sampler)

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        trial.set_constraint("bound", 1.0 - x)
        return x**2

    study.optimize(objective, n_trials=3)
    mirror = mirror_of(sampler, study)
    assert mirror.store.records[2].system_attrs["constraints"] == [1.0 - study.trials[2].params["x"]]


def test_one_adapter_keeps_one_mirror_per_study():
    sampler = fo.TPESampler(seed=0)
    first, second = optuna.create_study(sampler=sampler), optuna.create_study(sampler=sampler)
    first.optimize(quadratic, n_trials=15)
    second.optimize(lambda t: t.suggest_float("z", 0, 1), n_trials=5)
    assert mirror_of(sampler, first).store.n_trials == 15
    assert mirror_of(sampler, second).store.n_trials == 5
    assert list(mirror_of(sampler, second).store.columns) == ["z"]


def test_a_pickled_adapter_samples_on():
    sampler = fo.TPESampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(quadratic, n_trials=12)
    study.sampler = pickle.loads(pickle.dumps(sampler))
    study.optimize(quadratic, n_trials=3)
    assert len(study.trials) == 15
    assert_mirror_matches(study.sampler, study)


def test_qmc_adapter_warns_on_a_parameter_outside_the_joint_space():
    study = optuna.create_study(sampler=fo.QMCSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.warns(UserWarning, match="'extra' of trial 2 is sampled independently"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("extra", 0, 1), n_trials=1)


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda: fo.TPESampler(consider_prior=False), ValueError),
        (lambda: fo.TPESampler(constraints_func=3), TypeError),
        (lambda: fo.TPESampler(n_startup_trials=-1), ValueError),
        (lambda: fo.RandomSampler(seed="0"), TypeError),
        (lambda: fo.QMCSampler(qmc_type="lattice"), ValueError),
        (lambda: fo.QMCSampler(independent_sampler=optuna.samplers.RandomSampler()), TypeError),
        (lambda: fo.GridSampler({}), ValueError),
        (lambda: fo.GPSampler(constraints_func=3), TypeError),
        (lambda: fo.GPSampler(n_startup_trials=-1), ValueError),
        (lambda: fo.CmaEsSampler(sigma0=-1.0), ValueError),
        (lambda: fo.CmaEsSampler(source_trials=[], x0={"x": 0.0}), ValueError),
        (lambda: fo.CmaEsSampler(independent_sampler=optuna.samplers.RandomSampler()), TypeError),
    ],
)
def test_bad_constructor_arguments_are_rejected(make, error):
    with pytest.raises(error):
        make()


def test_an_incompatible_distribution_is_rejected_and_the_mirror_kept():
    sampler = fo.RandomSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    trial = study.ask()
    with pytest.raises(ValueError, match="'x'"):
        sampler.sample_independent(study, study._storage.get_trial(trial._trial_id), "x",
                                   optuna.distributions.IntDistribution(0, 5))
    assert list(mirror_of(sampler, study).store.columns) == ["x"]


# ------------------------------------------------------------ study conversion
def fasthpo_study_with_everything(directions):
    """A fasthpo study holding every state, kind of parameter and attribute."""
    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0), directions=directions)
    study.set_user_attr("dataset", "mnist")
    n_objectives = len(directions)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        width = trial.suggest_int("width", 16, 256, step=16)
        kind = trial.suggest_categorical("kind", [None, True, "a", 1.5])
        if kind == "a":
            trial.suggest_float("drop", 0.0, 0.5, step=0.1)
        trial.set_user_attr("note", f"trial {trial.number}")
        trial.set_system_attr("origin", [trial.number, "x"])
        if n_objectives == 1:
            trial.report(lr * width, step=0)
            trial.report(lr, step=3)
        if trial.number % 4 == 1 and n_objectives == 1:
            raise fasthpo.TrialPruned()
        if trial.number % 4 == 2:
            raise RuntimeError("fails")
        return [lr * width + i for i in range(n_objectives)] if n_objectives > 1 else lr * width

    study.enqueue_trial({"lr": 0.2, "width": 32}, user_attrs={"queued": True})  # lr off the range
    with pytest.warns(UserWarning):
        study.optimize(objective, n_trials=12, catch=(RuntimeError,))
    running = study.ask()
    running.suggest_float("lr", 1e-5, 1e-1, log=True)
    study.enqueue_trial({"width": 64})  # stays WAITING
    return study


def comparable(study):
    trials = study.get_trials(deepcopy=False)
    fixed = [study._store.records[t.number].fixed_params for t in trials]
    return trials, fixed, study.user_attrs, study.directions


@pytest.mark.parametrize("directions", [["minimize"], ["maximize", "minimize"]])
def test_fasthpo_to_optuna_and_back_is_lossless(directions):
    study = fasthpo_study_with_everything(directions)
    optuna_study = fo.to_optuna(study)
    assert {t.state.name for t in optuna_study.trials} >= {"COMPLETE", "FAIL", "RUNNING", "WAITING"}
    back = fo.from_optuna(optuna_study)
    assert comparable(back) == comparable(study)
    assert back.study_name == study.study_name
    assert back.ask().number == study._store.n_trials - 1  # the enqueued trial runs next


def optuna_frozen_fields(trial):
    return (trial.number, trial.state, trial.values, trial.datetime_start, trial.datetime_complete,
            trial.params, trial.distributions, trial.user_attrs, trial.system_attrs,
            trial.intermediate_values)


def test_optuna_to_fasthpo_and_back_is_lossless():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    study.set_user_attr("owner", "me")
    study.enqueue_trial({"x": 0.25, "k": "b"}, user_attrs={"hint": 1})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_int("n", 1, 1000, log=True)
        trial.suggest_categorical("k", ["a", "b"])
        trial.set_user_attr("twice", 2 * x)
        trial.report(x, 1)
        if x > 0.8:
            raise optuna.TrialPruned()
        if x < 0.1:
            raise ValueError
        return x

    study.optimize(objective, n_trials=25, catch=(ValueError,))
    study.ask()
    study.enqueue_trial({"x": 0.5})
    back = fo.to_optuna(fo.from_optuna(study), study_name="copy")
    assert [optuna_frozen_fields(t) for t in back.trials] == [optuna_frozen_fields(t) for t in study.trials]
    assert back.user_attrs == study.user_attrs and back.directions == study.directions
    assert back.study_name == "copy"


def test_an_optuna_history_warm_starts_a_fasthpo_study():
    history = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
    history.optimize(quadratic, n_trials=60)
    study = fo.from_optuna(history, sampler=fasthpo.samplers.TPESampler(seed=0))
    study.optimize(quadratic, n_trials=15)
    new_x = np.array([t.params["x"] for t in study.trials[60:]])
    old_x = np.array([t.params["x"] for t in study.trials[:60]])
    assert np.median(np.abs(new_x - 1)) < 0.5 * np.median(np.abs(old_x - 1))


def test_to_optuna_writes_into_a_given_storage(tmp_path):
    study = fasthpo_study_with_everything(["minimize"])
    storage = journal_storage(tmp_path / "j.log")
    fo.to_optuna(study, storage=storage, study_name="exported")
    loaded = optuna.load_study(study_name="exported", storage=journal_storage(tmp_path / "j.log"))
    assert [t.params for t in loaded.trials] == [t.params for t in study.trials]


def test_conversion_rejects_bad_input_and_leaves_storages_unchanged():
    with pytest.raises(TypeError, match="study"):
        fo.to_optuna("not a study")
    with pytest.raises(TypeError, match="optuna_study"):
        fo.from_optuna(fasthpo.create_study())
    with pytest.raises(TypeError, match="study_name"):
        fo.to_optuna(fasthpo.create_study(), study_name=3)

    storage = fasthpo.storages.InMemoryStorage()
    existing = fasthpo.create_study(storage=storage, study_name="taken")
    history = optuna.create_study(study_name="taken")
    history.optimize(quadratic, n_trials=3)
    with pytest.raises(fasthpo.DuplicatedStudyError):
        fo.from_optuna(history, storage=storage)
    assert storage.get_all_study_names() == ["taken"] and existing.trials == []

    optuna_storage = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=optuna_storage, study_name="taken")
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        fo.to_optuna(fo.from_optuna(history, study_name="other"), storage=optuna_storage, study_name="taken")
    assert [s.study_name for s in optuna.get_all_study_summaries(optuna_storage)] == ["taken"]
    assert optuna.load_study(study_name="taken", storage=optuna_storage).trials == []


def test_a_failed_write_removes_the_half_written_study(tmp_path):
    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    study.optimize(quadratic, n_trials=2)
    study.set_user_attr("unwritable", object())  # JSON storages cannot hold it
    storage = journal_storage(tmp_path / "j.log")
    with pytest.raises(TypeError):
        fo.to_optuna(study, storage=storage, study_name="half")
    assert optuna.get_all_study_names(storage) == []
