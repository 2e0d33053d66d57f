"""Everything a user can store survives the journal, on a file and on Redis (a hypothesis property)."""

import math
import os
import tempfile
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fasthpo
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.storages import JournalFileStorage, JournalRedisStorage

pytestmark = pytest.mark.filterwarnings("ignore:The range .* is not divisible:UserWarning")

finite = st.floats(-1e9, 1e9, allow_nan=False)
choice = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**60), 2**60), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4), st.tuples(st.integers(-5, 5), st.text(max_size=2)),
    st.tuples(st.none(), st.tuples(st.booleans(), st.floats(allow_nan=False))),
)
choices = st.lists(choice, min_size=1, max_size=5, unique_by=CategoricalDistribution._choice_key)


@st.composite
def distributions(draw):
    kind = draw(st.sampled_from(["float", "log", "step", "int", "intlog", "categorical"]))
    if kind == "categorical":
        return CategoricalDistribution(draw(choices))
    if kind in ("int", "intlog"):
        low = draw(st.integers(1 if kind == "intlog" else -1000, 1000))
        return IntDistribution(low, low + draw(st.integers(0, 10**6)), log=kind == "intlog",
                               step=1 if kind == "intlog" else draw(st.integers(1, 7)))
    low = draw(st.floats(1e-9, 1e6) if kind == "log" else finite)
    high = low + draw(st.floats(0, 1e6))
    step = draw(st.sampled_from([0.5, 0.25, 1.0])) if kind == "step" else None
    return FloatDistribution(low, max(high, low + (step or 0)), log=kind == "log", step=step)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**60), 2**60), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8,
)
trials = st.lists(st.tuples(
    st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), distributions(), max_size=4),
    st.dictionaries(st.text(max_size=4), json_values, max_size=3),
    st.dictionaries(st.integers(0, 50), st.floats(), max_size=4),
), min_size=1, max_size=4)


def comparable(value):
    """NaN made equal to itself, containers walked."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, (list, tuple)):
        return type(value)(comparable(v) for v in value)
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    return value


def store_everything(storage, spec):
    study = fasthpo.create_study(study_name="s", storage=storage, sampler=fasthpo.samplers.RandomSampler(seed=0))
    for params, user_attrs, intermediate in spec:
        trial = study.ask()
        for name, distribution in params.items():
            try:
                trial._suggest(name, distribution)
            except ValueError as exc:  # a name reused with another kind or choices: rejected, as in memory
                assert "redefined" in str(exc) or "cannot" in str(exc)
        for key, value in user_attrs.items():
            trial.set_user_attr(key, value)
        for step, value in intermediate.items():
            trial.report(value, step)
        study.tell(trial, 1.0)
    return study


def assert_round_trip(storage, reopen, spec):
    study = store_everything(storage, spec)
    loaded = fasthpo.load_study(study_name="s", storage=reopen())
    for before, after in zip(study.trials, loaded.trials, strict=True):
        assert comparable(after.params) == comparable(before.params)
        assert {k: type(v) for k, v in after.params.items()} == {k: type(v) for k, v in before.params.items()}
        assert after.distributions == before.distributions
        assert comparable(after.user_attrs) == comparable(before.user_attrs)
        assert comparable(after.intermediate_values) == comparable(before.intermediate_values)
    assert repr(loaded.trials) == repr(study.trials)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(spec=trials)
def test_everything_stored_in_a_journal_file_comes_back_equal(spec):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "j.log")
        assert_round_trip(JournalFileStorage(path), lambda: JournalFileStorage(path), spec)


def test_everything_stored_in_redis_comes_back_equal(redis_server_url):
    @settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=trials)
    def check(spec):
        prefix = uuid.uuid4().hex
        assert_round_trip(JournalRedisStorage(redis_server_url, prefix=prefix),
                          lambda: JournalRedisStorage(redis_server_url, prefix=prefix), spec)

    check()
