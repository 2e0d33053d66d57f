"""The journal's format: Optuna's records both ways, the first fasthpo format, damaged and read-only journals."""

import datetime
import json
import math
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler, TPESampler
from fasthpo.storages import JournalFileStorage

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

DATA = os.path.join(os.path.dirname(__file__), "data")


def optuna_storage(path):
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))


def rich_objective(trial):
    x = trial.suggest_float("x", -2, 2)
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    k = trial.suggest_int("k", 1, 64, log=True)
    trial.suggest_int("even", 0, 10, step=2)
    trial.suggest_float("s", 0.0, 1.0, step=0.25)
    trial.suggest_categorical("c", ["a", None, 2.5, True, 3])
    for step in range(3):
        trial.report(x * x + step, step)
    trial.set_user_attr("tag", {"k": k, "list": [1, 2.5], "none": None})
    trial.set_user_attr("nan", float("nan"))
    if trial.number % 5 == 3:
        raise (fasthpo.TrialPruned if isinstance(trial, fasthpo.Trial) else optuna.TrialPruned)()
    if trial.number % 5 == 4:
        raise RuntimeError("fails on purpose")
    return x * x + k


def summary(trials):
    """What both libraries must agree on, with NaN made comparable."""
    def clean(value):
        if isinstance(value, float) and math.isnan(value):
            return "nan"
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    return [(t.number, t.state.name, t.values, clean(t.params), clean(t.intermediate_values), clean(t.user_attrs),
             {k: v for k, v in t.system_attrs.items()}, t.datetime_start, t.datetime_complete)
            for t in trials]


def test_records_are_optuna_records(tmp_path):
    path = tmp_path / "j.log"
    study = fasthpo.create_study(study_name="s", storage=str(path), sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["op_code"] for r in records] == [0, 4, 5, 6, 4, 5, 6]
    assert records[0]["study_name"] == "s" and records[0]["directions"] == [1]
    assert records[2]["trial_id"] == 0 and json.loads(records[2]["distribution"])["name"] == "FloatDistribution"
    assert len({r["worker_id"] for r in records}) == 1


@pytest.mark.filterwarnings("ignore:Trial .* failed")
def test_optuna_loads_a_fasthpo_journal_with_everything_equal(tmp_path):
    path = tmp_path / "fasthpo.log"
    study = fasthpo.create_study(study_name="s", storage=str(path), sampler=TPESampler(seed=0, n_startup_trials=5))
    study.set_user_attr("dataset", "iris")
    study.optimize(rich_objective, n_trials=20, catch=(RuntimeError,))
    study.enqueue_trial({"x": 1.0, "c": None}, user_attrs={"queued": True})
    study.optimize(rich_objective, n_trials=1)
    study.enqueue_trial({"x": 0.5})  # stays WAITING

    loaded = optuna.load_study(study_name="s", storage=optuna_storage(path))
    assert summary(loaded.trials) == summary(study.trials)
    assert loaded.user_attrs == {"dataset": "iris"}
    assert loaded.best_trial.number == study.best_trial.number
    assert {t.state for t in loaded.trials} == {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                                                TrialState.WAITING}
    assert loaded.trials[20].system_attrs["fixed_params"] == {"x": 1.0, "c": None}
    # and Optuna continues it: its worker takes the enqueued trial
    loaded.optimize(rich_objective, n_trials=2, catch=(RuntimeError,))
    again = fasthpo.load_study(study_name="s", storage=str(path))
    assert summary(again.trials) == summary(loaded.trials)
    assert again.trials[21].params["x"] == 0.5


@pytest.mark.filterwarnings("ignore:Trial .* failed")
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_fasthpo_loads_an_optuna_journal_with_everything_equal_and_continues_it(tmp_path):
    path = tmp_path / "optuna.log"
    study = optuna.create_study(study_name="s", storage=optuna_storage(path),
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("dataset", "iris")
    study.optimize(rich_objective, n_trials=15, catch=(RuntimeError,))
    study.enqueue_trial({"x": 1.0, "c": "a"}, user_attrs={"queued": True})
    study.optimize(rich_objective, n_trials=1)
    mo = optuna.create_study(study_name="mo", storage=optuna_storage(path), directions=["minimize", "maximize"])
    mo.optimize(lambda t: (t.suggest_float("y", 0, 1), t.suggest_int("z", 0, 3)), n_trials=5)

    loaded = fasthpo.load_study(study_name="s", storage=str(path), sampler=TPESampler(seed=1, n_startup_trials=5))
    assert summary(loaded.trials) == summary(study.trials)
    assert loaded.user_attrs == {"dataset": "iris"}
    loaded_mo = fasthpo.load_study(study_name="mo", storage=str(path))
    assert summary(loaded_mo.trials) == summary(mo.trials)
    assert loaded_mo.directions == [fasthpo.StudyDirection.MINIMIZE, fasthpo.StudyDirection.MAXIMIZE]

    loaded.optimize(rich_objective, n_trials=10, catch=(RuntimeError,))  # fasthpo's TPE goes on
    reread = optuna.load_study(study_name="s", storage=optuna_storage(path))
    assert len(reread.trials) == 26
    assert summary(reread.trials) == summary(loaded.trials)


def test_tuple_none_bool_mixed_and_nan_choices_round_trip(tmp_path):
    path = tmp_path / "choices.log"
    study = fasthpo.create_study(study_name="s", storage=str(path), sampler=RandomSampler(seed=0))
    spaces = {"pair": [(1, 2), (3, 4)], "nested": [((1, "a"), None), (2.5,)], "mixed": [None, True, 1, 1.0, "1"],
              "nan": [float("nan"), 0.0, float("inf")], "numpy": list(np.logspace(-3, -1, 3))}

    def objective(trial):
        for name, choices in spaces.items():
            trial.suggest_categorical(name, choices)
        return 0.0

    study.optimize(objective, n_trials=30)
    study.enqueue_trial({"pair": (3, 4), "mixed": 1.0})
    study.optimize(objective, n_trials=1)
    loaded = fasthpo.load_study(study_name="s", storage=str(path))  # failed before: choices must be hashable
    assert repr(loaded.trials) == repr(study.trials)
    assert loaded.trials[-1].params["pair"] == (3, 4) and type(loaded.trials[-1].params["mixed"]) is float
    seen = {t.params["mixed"] for t in loaded.trials}
    assert {type(v) for v in seen} <= {type(None), bool, int, float, str}
    loaded.optimize(objective, n_trials=3)  # the same distributions: suggesting again works


def test_a_value_json_cannot_hold_is_rejected_when_set_and_nothing_is_written(tmp_path):
    path = tmp_path / "bad.log"
    study = fasthpo.create_study(study_name="s", storage=str(path))
    trial = study.ask()
    before = path.read_bytes()
    with pytest.raises(TypeError, match="JSON"):
        trial.suggest_categorical("c", [frozenset({1}), 2])
    with pytest.raises(TypeError, match="JSON"):
        trial.set_user_attr("f", {1, 2})
    assert path.read_bytes() == before
    study.tell(trial, 1.0)
    assert fasthpo.load_study(study_name="s", storage=str(path)).trials[0].params == {}


# ------------------------------------------------------------ the first format
def test_a_journal_of_the_first_format_loads_and_continues(tmp_path):
    path = tmp_path / "first.log"
    shutil.copy(os.path.join(DATA, "journal_first_format.log"), path)
    with open(os.path.join(DATA, "journal_first_format.json")) as f:
        expected = json.load(f)
    storage = JournalFileStorage(path)
    for name, want in expected.items():
        study = fasthpo.load_study(study_name=name, storage=storage)
        assert study.user_attrs == want["user_attrs"]
        assert [d.name for d in study.directions] == want["directions"]
        got = [{"number": t.number, "state": t.state.name, "values": t.values, "params": t.params,
                "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
                "user_attrs": t.user_attrs,
                "datetime_start": None if t.datetime_start is None else t.datetime_start.isoformat(),
                "datetime_complete": None if t.datetime_complete is None else t.datetime_complete.isoformat()}
               for t in study.trials]
        assert got == want["trials"]
    study = fasthpo.load_study(study_name="old", storage=storage, sampler=RandomSampler(seed=0))
    assert study.trials[9].state == TrialState.WAITING
    study.optimize(lambda t: t.suggest_float("x", -2, 2), n_trials=2)  # takes the queued trial first
    again = fasthpo.load_study(study_name="old", storage=str(path))
    assert repr(again.trials) == repr(study.trials) and again.trials[9].params["x"] == 0.5

    # repair writes the whole journal in Optuna's format, which Optuna reads
    run_cli("journal", "repair", str(path))
    repaired = optuna.load_study(study_name="old", storage=optuna_storage(str(path) + ".repaired"))
    assert summary(repaired.trials) == summary(again.trials)


# ------------------------------------------------- damaged and read-only journals
def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "fasthpo", *args], capture_output=True, text=True, env=env,
                          check=True, timeout=120)


def damaged_journal(tmp_path):
    path = tmp_path / "damaged.log"
    study = fasthpo.create_study(study_name="s", storage=str(path), sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    lines = path.read_bytes().splitlines(keepends=True)
    # trial 2's creation is torn in the middle, its result replaced by a bad record
    lines[7] = lines[7][:25] + b"\n"
    lines[9] = b'{"op_code":6,"worker_id":"w","trial_id":2}\n'
    path.write_bytes(b"".join(lines))
    return path, study


def test_corrupt_lines_are_skipped_with_a_warning_each_when_asked(tmp_path):
    path, study = damaged_journal(tmp_path)
    damaged = path.read_bytes()
    with pytest.raises(ValueError, match=rf"Corrupt journal '{path}', line 8: .*skip_corrupt=True"):
        fasthpo.load_study(study_name="s", storage=str(path))
    with pytest.warns(RuntimeWarning) as caught:
        loaded = fasthpo.load_study(study_name="s", storage=str(path), skip_corrupt=True)
    assert [str(w.message).split(":")[0] for w in caught] == [
        f"Corrupt journal '{path}', line 8", f"Corrupt journal '{path}', line 10"]
    assert "Trial 2 stands in its place" in str(caught[0].message)
    # the stand-in keeps later records on their own trials: trial 2 gets its parameter, trial 3 everything
    assert [t.state for t in loaded.trials] == [TrialState.COMPLETE] * 2 + [TrialState.RUNNING, TrialState.COMPLETE]
    assert loaded.trials[2].params == study.trials[2].params
    assert loaded.trials[2].system_attrs == {"fasthpo:damaged_line": 8}
    assert repr([loaded.trials[i] for i in (0, 1, 3)]) == repr([study.trials[i] for i in (0, 1, 3)])
    assert path.read_bytes() == damaged
    with pytest.raises(ValueError, match="skip_corrupt"):
        fasthpo.load_study(study_name="s", storage=JournalFileStorage(tmp_path / "x.log"), skip_corrupt=True)


def test_journal_repair_writes_a_repaired_copy_and_keeps_the_original(tmp_path):
    path, study = damaged_journal(tmp_path)
    damaged = path.read_bytes()
    result = run_cli("journal", "repair", str(path))
    assert "line 8" in result.stderr and "line 10" in result.stderr and "2 problems skipped" in result.stdout
    assert path.read_bytes() == damaged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repaired = fasthpo.load_study(study_name="s", storage=str(path) + ".repaired")
    with pytest.warns(RuntimeWarning):
        expected = fasthpo.load_study(study_name="s", storage=str(path), skip_corrupt=True)
    assert repr(repaired.trials) == repr(expected.trials)
    with pytest.raises(subprocess.CalledProcessError):  # never overwrites
        run_cli("journal", "repair", str(path))


def _in_read_only_world(check, tmp_root):
    """Run ``check`` where permissions hold: as root, in a child that gave up root."""
    if os.geteuid() != 0:
        check()
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            check()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_read_only_journal_loads_and_writing_names_the_path():
    root = tempfile.mkdtemp()
    try:
        os.chmod(root, 0o755)
        folder = os.path.join(root, "archive")
        os.mkdir(folder)
        path = os.path.join(folder, "study.log")
        study = fasthpo.create_study(study_name="s", storage=path, sampler=RandomSampler(seed=0))
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        expected = repr(study.trials)
        os.chmod(path, 0o444)
        other = os.path.join(root, "other.log")
        shutil.copy(path, other)
        os.chmod(other, 0o644)
        os.chmod(folder, 0o555)  # the file and its folder are read-only
        original = open(path, "rb").read()

        def check():
            for storage in (path, JournalFileStorage(path, lock="link")):
                loaded = fasthpo.load_study(study_name="s", storage=storage)
                assert repr(loaded.trials) == expected
                with pytest.raises(PermissionError, match=f"journal '{path}' is read-only"):
                    loaded.ask()
                with pytest.raises(PermissionError, match="read-only"):
                    loaded.set_user_attr("k", 1)
            assert os.listdir(folder) == ["study.log"]  # no lock file, nothing written
            with pytest.raises(PermissionError, match=f"Cannot create the journal '{folder}/new.log'"):
                JournalFileStorage(os.path.join(folder, "new.log"))

        _in_read_only_world(check, root)
        assert open(path, "rb").read() == original
    finally:
        os.chmod(os.path.join(root, "archive"), 0o755)
        shutil.rmtree(root)


def test_bad_storage_input_names_the_path_and_touches_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"directory '{tmp_path}/missing' does not exist"):
        JournalFileStorage(tmp_path / "missing" / "study.log")
    path = tmp_path / "study.log"
    study = fasthpo.create_study(study_name="s", storage=str(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(KeyError, match=f"No study named 'nope' in '{path}'"):
        fasthpo.load_study(study_name="nope", storage=str(path))
    missing = tmp_path / "missing.log"
    for read in (lambda: fasthpo.load_study(study_name="s", storage=str(missing)),
                 lambda: fasthpo.delete_study(study_name="s", storage=missing),
                 lambda: fasthpo.get_all_study_names(f"journal://{missing}")):
        with pytest.raises(FileNotFoundError, match=f"No journal file at '{missing}'"):
            read()
    assert not missing.exists()  # reading never creates a journal
    with pytest.raises(IsADirectoryError, match=f"Cannot use '{tmp_path}' as a journal: it is a directory"):
        fasthpo.create_study(storage=str(tmp_path))
    newer = tmp_path / "newer.log"
    newer.write_bytes(path.read_bytes() + b'{"op_code":42,"worker_id":"w"}\n')
    content = newer.read_bytes()
    with pytest.raises(ValueError, match=f"'{newer}', line 8: unknown operation code 42 \\(a journal from a newer format"):
        JournalFileStorage(newer)
    assert newer.read_bytes() == content
    with pytest.raises(ValueError, match="lock must be one of"):
        JournalFileStorage(tmp_path / "l.log", lock="nfs")


def test_a_line_damaged_while_workers_run_is_reported_and_does_not_stop_them(tmp_path):
    path = tmp_path / "live.log"
    study = fasthpo.create_study(study_name="s", storage=str(path), sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with open(path, "ab") as f:
        f.write(b'{"op_code":4,"worker_id":"w","study_id":0,"datetime_st\n')  # e.g. an Optuna append after a torn line
    with pytest.warns(RuntimeWarning, match=rf"Corrupt journal '{path}', line 8: .*Trial 2 stands in its place .the storage had loaded"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.RUNNING] + [TrialState.COMPLETE] * 2
    with pytest.raises(ValueError, match="line 8"):  # a fresh load still refuses without skip_corrupt
        JournalFileStorage(path)


@pytest.mark.parametrize("low, step", [(2**53, 3), (-2**60, 1), (2**62 - 7, 7)])
def test_integers_beyond_two_to_the_53_survive_the_journal_exactly(tmp_path, low, step):
    # a float holds integers exactly only up to 2**53: the journal must write the integer
    path = str(tmp_path / "big.log")
    study = fasthpo.create_study(study_name="big", storage=path, sampler=RandomSampler(seed=1))
    for _ in range(8):
        trial = study.ask()
        value = trial.suggest_int("k", low, low + step, step=step)
        assert value in (low, low + step)
        study.tell(trial, 1.0)
    told = [t.params["k"] for t in study.trials]
    assert [t.params["k"] for t in fasthpo.load_study(study_name="big", storage=path).trials] == told
    assert [t.params["k"] for t in optuna.load_study(study_name="big", storage=optuna_storage(path)).trials] == told


@pytest.fixture(params=["UTC", "Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns"])
def local_zone(request):
    """The process's local time zone set to ``request.param`` (a zone with DST shifts of an hour, half an hour)."""
    import time

    if not os.path.exists(f"/usr/share/zoneinfo/{request.param}") or not hasattr(time, "tzset"):
        pytest.skip("no zoneinfo database here")
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@given(moment=st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1)),
       offset_minutes=st.integers(-14 * 60, 14 * 60))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_written_times_read_back_as_the_local_time_of_the_same_instant(local_zone, moment, offset_minutes):
    from fasthpo.storages.journal import _parse_time

    zone = datetime.timezone(datetime.timedelta(minutes=offset_minutes))
    written = moment.replace(tzinfo=zone).isoformat(timespec="microseconds")
    expected = moment.replace(tzinfo=zone).astimezone().replace(tzinfo=None)
    assert _parse_time(written) == expected
    assert _parse_time(written) == expected  # the second time from the kept shift
    assert _parse_time(moment.isoformat()) == moment  # Optuna writes naive local times


@given(name=st.text(), value=st.one_of(st.integers(-2**70, 2**70), st.floats()), text=st.text())
@settings(max_examples=200, deadline=None)
def test_a_held_parameter_line_is_the_encoded_record(tmp_path_factory, name, value, text):
    from fasthpo.storages.journal import JournalOperation, encode

    storage = JournalFileStorage(str(tmp_path_factory.mktemp("j") / "j.log"))
    record = storage._record(JournalOperation.SET_TRIAL_PARAM, trial_id=7, param_name=name,
                             param_value_internal=value, distribution=text)
    for _ in range(2):  # built, then from the kept pieces
        assert storage._param_line(storage.worker_id, 7, name, value, text) == encode(record)
