"""A hypothesis state machine over the public API with hostile but legal input.

Create a study on a journal with one of the samplers, then in any order: ask, suggest
every kind of parameter (numpy scalars as bounds and choices, bounds from 5e-324 to the
largest float, odd steps, equal bounds), report, tell (values up to the float limits,
COMPLETE, PRUNED or FAIL), enqueue, and reload the study from the journal. It must
never crash, suggest NaN or a value outside its distribution, or reload differently.

The CI run uses FASTHPO_STATEFUL_EXAMPLES examples (30 by default); the long run's
count is in benchmarks/RESULTS.md.
"""

import math
import os
import shutil
import tempfile
import warnings

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import fasthpo
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

MAX = float(np.finfo(float).max)
NAMES = ["a", "b", "c", "d", "e", "f"]
SAMPLERS = {
    "random": lambda seed: fasthpo.samplers.RandomSampler(seed=seed),
    "tpe": lambda seed: fasthpo.samplers.TPESampler(seed=seed, n_startup_trials=2),
    "tpe-multivariate": lambda seed: fasthpo.samplers.TPESampler(seed=seed, n_startup_trials=2, multivariate=True,
                                                                 group=True),
    "cmaes": lambda seed: fasthpo.samplers.CmaEsSampler(seed=seed, n_startup_trials=2),
    "gp": lambda seed: fasthpo.samplers.GPSampler(seed=seed, n_startup_trials=2),
    "qmc": lambda seed: fasthpo.samplers.QMCSampler(seed=seed, scramble=True),
}


def numpy_or_python(value):
    """The value, or the same value as a numpy scalar."""
    kind = np.int64 if isinstance(value, int) and not isinstance(value, bool) else np.float64
    return st.sampled_from([value, kind(value)])


def ordered(a, b):
    return (a, b) if a <= b else (b, a)


hostile_floats = st.one_of(
    st.floats(-MAX, MAX, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-300, 1e308, -1e308, MAX, -MAX, 8.98e307, 0.1, 1.0, 100.0]),
)
linear = st.tuples(hostile_floats, hostile_floats).map(lambda b: ("float", *ordered(*b), None, False))
log_float = st.tuples(st.floats(5e-324, MAX), st.floats(5e-324, MAX)).map(lambda b: ("float", *ordered(*b), None, True))
stepped = st.tuples(
    st.floats(-1e6, 1e6), st.floats(0, 1e6), st.sampled_from([1e-9, 3e-5, 0.1, 0.3, 0.7, 2.5, 1e3, 1 / 3])
).map(lambda t: ("float", t[0], t[0] + t[1], t[2], False))
integers = st.tuples(st.integers(-2**53, 2**53), st.integers(0, 2**53), st.integers(1, 10**6)).map(
    lambda t: ("int", t[0], t[0] + t[1], t[2], False))
log_integers = st.tuples(st.integers(1, 10**6), st.integers(0, 10**9)).map(
    lambda t: ("int", t[0], t[0] + t[1], 1, True))
choice = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8"), max_size=3),
)
categorical = st.lists(choice, min_size=1, max_size=5, unique_by=lambda v: (type(v), v)).map(
    lambda c: ("categorical", tuple(c)))
specs = st.one_of(linear, log_float, stepped, integers, log_integers, categorical)


def numpy_choices(choices, draw):
    return [draw(numpy_or_python(c)) if isinstance(c, (int, float)) and not isinstance(c, bool) else c
            for c in choices]


class StudyMachine(RuleBasedStateMachine):
    @initialize(sampler=st.sampled_from(sorted(SAMPLERS)), seed=st.integers(0, 2**16))
    def create(self, sampler, seed):
        self.directory = tempfile.mkdtemp()
        self.path = os.path.join(self.directory, "journal.log")
        self.study = fasthpo.create_study(storage=self.path, sampler=SAMPLERS[sampler](seed))
        self.specs = {}  # name -> distribution spec, fixed at the name's first suggestion
        self.running = []  # (trial, last reported step)
        self.fixed = {}  # trial number -> enqueued params
        self.queue = []

    def teardown(self):
        shutil.rmtree(self.directory, ignore_errors=True)

    @rule()
    def ask(self):
        trial = self.study.ask()
        if self.queue:
            self.fixed[trial.number] = self.queue.pop(0)
        self.running.append([trial, -1])

    @rule(data=st.data(), names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True),
          value=hostile_floats)
    def run_trial(self, data, names, value):
        """A whole trial: ask, suggest, tell (most of the history comes from here)."""
        self.ask()
        trial = self.running.pop()[0]
        for name in names:
            self._suggest(data, trial, name)
        self.study.tell(trial, data.draw(numpy_or_python(value)))

    @precondition(lambda self: self.running)
    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def suggest(self, data, name):
        self._suggest(data, data.draw(st.sampled_from(self.running))[0], name)

    def _suggest(self, data, trial, name):
        spec = self.specs.setdefault(name, data.draw(specs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # high lowered onto a step grid
            if spec[0] == "categorical":
                value = trial.suggest_categorical(name, numpy_choices(spec[1], data.draw))
            else:
                kind, low, high, step, log = spec
                low, high = data.draw(numpy_or_python(low)), data.draw(numpy_or_python(high))
                if kind == "float":
                    value = trial.suggest_float(name, low, high, step=step, log=log)
                else:
                    value = trial.suggest_int(name, low, high, step=step, log=log)
        distribution = trial.distributions[name]
        assert not (isinstance(value, float) and math.isnan(value))
        assert distribution.contains(value), (name, value, distribution)
        if not isinstance(distribution, CategoricalDistribution):
            assert distribution.low <= value <= distribution.high
            assert type(value) is (int if isinstance(distribution, IntDistribution) else float)
        fixed = self.fixed.get(trial.number, {})
        if name in fixed and distribution.contains(fixed[name]):
            assert value == fixed[name] and type(value) is type(fixed[name])

    @precondition(lambda self: self.running)
    @rule(data=st.data(), value=hostile_floats)
    def report(self, data, value):
        entry = data.draw(st.sampled_from(self.running))
        step = entry[1] + data.draw(st.integers(1, 3))
        entry[0].report(data.draw(numpy_or_python(value)), step)
        entry[1] = step

    @precondition(lambda self: self.running)
    @rule(data=st.data(), value=hostile_floats,
          state=st.sampled_from([fasthpo.TrialState.COMPLETE, fasthpo.TrialState.PRUNED, fasthpo.TrialState.FAIL]))
    def tell(self, data, value, state):
        entry = data.draw(st.sampled_from(self.running))
        self.running.remove(entry)
        values = data.draw(numpy_or_python(value)) if state != fasthpo.TrialState.FAIL else None
        frozen = self.study.tell(entry[0], values, state=state)
        assert frozen.state == state

    @precondition(lambda self: self.specs)
    @rule(data=st.data())
    def enqueue(self, data):
        names = data.draw(st.lists(st.sampled_from(sorted(self.specs)), min_size=1, unique=True))
        params = {}
        for name in names:
            distribution = self._distribution(name)
            if distribution is not None:
                low, high = distribution.sampling_bounds()
                # hypothesis orders -0.0 below 0.0, so a range [0.0, -0.0] has no floats for it
                internal = low if low == high else data.draw(st.floats(low, high))
                params[name] = distribution.to_external(internal)
        self.study.enqueue_trial(params)
        self.queue.append(params)

    def _distribution(self, name):
        for trial in reversed(self.study.trials):
            if name in trial.distributions:
                return trial.distributions[name]
        return None

    @rule()
    def reload(self):
        reloaded = fasthpo.load_study(study_name=self.study.study_name, storage=self.path)
        assert_same_trials(self.study.trials, reloaded.trials)

    @invariant()
    def finished_trials_hold_admissible_values(self):
        if not hasattr(self, "study"):
            return
        for trial in self.study.trials:
            for name, value in trial.params.items():
                assert trial.distributions[name].contains(value), (name, value, trial.distributions[name])


def assert_same_trials(expected, actual):
    assert len(expected) == len(actual)
    for a, b in zip(expected, actual):
        assert (a.number, a.state, a.values, a.intermediate_values) == (b.number, b.state, b.values,
                                                                        b.intermediate_values)
        assert a.distributions == b.distributions
        assert a.params == b.params
        assert {k: type(v) for k, v in a.params.items()} == {k: type(v) for k, v in b.params.items()}


StudyMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("FASTHPO_STATEFUL_EXAMPLES", "30")),
    stateful_step_count=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestStudyMachine = StudyMachine.TestCase
