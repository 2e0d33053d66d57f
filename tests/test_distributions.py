import math
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fasthpo
from fasthpo.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
    distribution_from_dict,
    distribution_to_dict,
)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((1.0, 0.0), {}, ValueError, "low must be <= high"),
        ((0.0, 1.0), {"log": True}, ValueError, "log=True needs low > 0"),
        ((-1.0, 1.0), {"log": True}, ValueError, "log=True needs low > 0"),
        ((0.0, 1.0), {"step": 0.0}, ValueError, "step must be > 0"),
        ((0.0, 1.0), {"step": -0.1}, ValueError, "step must be > 0"),
        ((1e-3, 1.0), {"step": 0.1, "log": True}, ValueError, "cannot be combined with log"),
        ((float("nan"), 1.0), {}, ValueError, "low must be finite"),
        ((0.0, float("inf")), {}, ValueError, "high must be finite"),
        (("0", 1.0), {}, TypeError, "low must be a real number"),
        ((0.0, None), {}, TypeError, "high must be a real number"),
    ],
)
def test_float_distribution_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        FloatDistribution(*args, **kwargs)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((5, 1), {}, ValueError, "low must be <= high"),
        ((0, 10), {"log": True}, ValueError, "log=True needs low >= 1"),
        ((1, 10), {"step": 0}, ValueError, "step must be >= 1"),
        ((1, 10), {"step": 2, "log": True}, ValueError, "cannot be combined with log"),
        ((1.5, 10), {}, TypeError, "low must be an integer"),
        ((1, "10"), {}, TypeError, "high must be an integer"),
    ],
)
def test_int_distribution_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        IntDistribution(*args, **kwargs)


def test_step_not_dividing_range_lowers_high_with_a_warning():
    with pytest.warns(UserWarning, match="high is adjusted down to 0.9"):
        d = FloatDistribution(0.0, 1.0, step=0.3)
    assert d.high == pytest.approx(0.9)
    with pytest.warns(UserWarning, match="high is adjusted down to 9"):
        d = IntDistribution(1, 10, step=2)
    assert d.high == 9


@pytest.mark.parametrize("low, high, step, n_values", [
    (0.0, 1.0, 1e-9, 10**9 + 1),
    (0.0, 100.0, 1e-5, 10**7 + 1),
    (0.0, 1.0, 0.1, 11),
    (-0.3, 0.3, 0.1, 7),
    (1.1, 2.2, 0.11, 11),
    (0.0, 3e-300, 1e-300, 4),
    (1e15, 1e15 + 10, 0.5, 21),
])
def test_a_step_that_divides_the_range_keeps_high_without_a_warning(low, high, step, n_values):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = FloatDistribution(low, high, step=step)
    assert d.high == high
    assert d.to_external(d.internal_high + step) == high
    assert d.contains(high) and d.contains(low)
    assert d._n_steps + 1 == n_values


@pytest.mark.parametrize("low, high, step, last", [
    (0.0, 1.0, 0.3, 0.9),
    (0.0, 100.00001, 3e-5, 99.99999),
    (0.1, 0.35, 0.1, 0.3),
    (0.0, 1.0, 0.7, 0.7),
])
def test_a_step_that_does_not_divide_lowers_high_to_the_user_s_decimals(low, high, step, last):
    with pytest.warns(UserWarning, match="high is adjusted down"):
        d = FloatDistribution(low, high, step=step)
    assert d.high == pytest.approx(last, rel=1e-15, abs=0) and d.high <= high
    assert d.high == float(f"{last:.12g}")


def test_a_lowered_high_is_on_the_grid_so_copies_and_reloads_do_not_warn_again():
    for low, high, step in [(2.995358013086755e-181, 148851.9, 1 / 3), (0.0, 795969.077295807, 1 / 3)]:
        with pytest.warns(UserWarning, match="adjusted down"):
            d = FloatDistribution(low, high, step=step)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert pickle.loads(pickle.dumps(d)) == d
            assert distribution_from_dict(distribution_to_dict(d)) == d
            assert FloatDistribution(low, d.high, step=step) == d


@given(st.integers(0, 10**6), st.integers(1, 10**6), st.integers(0, 12), st.floats(-1e3, 1e3))
def test_grid_values_never_leave_the_bounds_and_keep_the_user_s_decimals(low_units, n_units, decimals, x):
    scale = 10.0 ** -decimals
    low, step = round(low_units * scale, decimals), round(3 * scale, decimals)
    high = round(low + n_units * scale, decimals)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = FloatDistribution(low, high, step=step)
    assert low <= d.high <= high
    for internal in (x, d.internal_high, d.internal_low, d.internal_high + step / 2):
        value = d.to_external(internal)
        assert low <= value <= d.high and value == round(value, decimals) and d.contains(value)


@given(st.integers(-2**62, 2**62), st.integers(0, 50), st.integers(1, 7), st.integers(-3, 60))
def test_int_membership_is_exact_beyond_2_to_53(low, n_steps, step, offset):
    # A float holds integers exactly only up to 2**53: membership must compare integers.
    distribution = IntDistribution(low, low + n_steps * step, step=step)
    value = low + offset
    expected = 0 <= offset <= n_steps * step and offset % step == 0
    assert distribution.contains(value) == expected


def test_ranges_beyond_2_to_996_are_encoded_scaled_exactly():
    wide = FloatDistribution(-1e308, 1e308)
    assert wide.internal_low == -1e308 * 2.0**-64 and math.isfinite(wide.internal_high - wide.internal_low)
    for value in (-1e308, -3.5, 0.0, 1e-200, 7e307, 1e308):
        assert wide.to_external(wide.to_internal(value)) == value
    assert wide.to_external(1e300) == 1e308 and wide.to_external(-1e300) == -1e308
    assert FloatDistribution(0.0, 1e299).scale == 1.0 and FloatDistribution(1e-300, 1e308, log=True).scale == 1.0
    assert distribution_from_dict(distribution_to_dict(wide)) == wide


def test_wide_ranges_reject_steps_and_a_redefinition_across_the_scale():
    with pytest.raises(ValueError, match="with a step needs bounds within"):
        FloatDistribution(-1e308, 1e308, step=1e300)
    with pytest.raises(ValueError, match="with a step needs bounds within"):
        IntDistribution(0, 10**400)
    check_compatible("x", FloatDistribution(-1e308, 1e308), FloatDistribution(-1e307, 1e300))
    with pytest.raises(ValueError, match="cannot cross"):
        check_compatible("x", FloatDistribution(0.0, 1.0), FloatDistribution(-1e308, 1e308))


def test_categorical_rejects_empty_unhashable_and_duplicate_choices():
    with pytest.raises(ValueError, match="must not be empty"):
        CategoricalDistribution([])
    with pytest.raises(TypeError, match="hashable"):
        CategoricalDistribution([[1], [2]])
    with pytest.raises(ValueError, match="distinct"):
        CategoricalDistribution(["a", "a"])
    with pytest.raises(TypeError, match="sequence"):
        CategoricalDistribution("abc")


def test_categorical_keeps_equal_but_distinct_python_values_apart():
    d = CategoricalDistribution([1, 1.0, True, None, float("nan")])
    assert d.to_internal(True) == 2.0
    assert d.to_internal(1.0) == 1.0
    assert d.to_internal(None) == 3.0
    assert d.to_internal(float("nan")) == 4.0
    with pytest.raises(ValueError, match="not one of the choices"):
        d.to_internal("x")


NUMPY_CHOICES = [
    list(np.logspace(-4, -1, 4)),
    list(np.arange(3)),
    list(np.array([1, 2], dtype=np.int32)),
    [np.float32(0.5), np.float32(0.25)],
    [np.bool_(True), np.bool_(False)],
    list(np.array(["adam", "sgd"])),
]


@pytest.mark.parametrize("choices", NUMPY_CHOICES)
def test_numpy_choices_are_the_distribution_of_the_equal_python_values(choices):
    plain = [c.item() for c in choices]
    numpy_d, plain_d = CategoricalDistribution(choices), CategoricalDistribution(plain)
    assert numpy_d == plain_d and hash(numpy_d) == hash(plain_d)
    check_compatible("p", plain_d, numpy_d)
    assert distribution_from_dict(distribution_to_dict(numpy_d)) == numpy_d
    assert numpy_d.to_internal(choices[-1]) == numpy_d.to_internal(plain[-1]) == len(choices) - 1
    assert [type(c) for c in numpy_d.choices] == [type(c) for c in plain]


def test_numpy_and_python_bools_ints_and_floats_stay_distinct_choices():
    d = CategoricalDistribution([np.int64(1), np.float64(1.0), np.bool_(True)])
    assert [d.to_internal(v) for v in (1, 1.0, True)] == [0.0, 1.0, 2.0]


def test_numpy_choices_survive_a_journal_shared_by_workers(tmp_path):
    path = str(tmp_path / "journal.log")

    def objective(trial):
        lr = trial.suggest_categorical("lr", list(np.logspace(-4, -1, 4)))
        units = trial.suggest_categorical("units", list(np.arange(16, 80, 16)))
        return lr * units

    first = fasthpo.create_study(storage=path, study_name="s")
    first.optimize(objective, n_trials=3)
    second = fasthpo.load_study("s", path)  # a worker that reads the journal afresh
    second.optimize(objective, n_trials=3)
    first.optimize(objective, n_trials=3)
    reloaded = fasthpo.load_study("s", path)
    assert [t.state for t in reloaded.trials] == [fasthpo.TrialState.COMPLETE] * 9
    assert {t.params["lr"] for t in reloaded.trials} <= {1e-4, 1e-3, 1e-2, 1e-1}
    assert [t.params for t in reloaded.trials] == [t.params for t in second.trials]


def test_internal_encoding_follows_the_design():
    assert FloatDistribution(1e-5, 1.0, log=True).to_internal(1e-2) == pytest.approx(math.log(1e-2))
    assert IntDistribution(1, 100, log=True).to_internal(10) == pytest.approx(math.log(10))
    assert IntDistribution(0, 10).to_internal(3) == 3.0
    assert CategoricalDistribution(["a", "b", "c"]).to_internal("c") == 2.0
    assert FloatDistribution(-1.0, 1.0).internal_low == -1.0


@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_decoding_any_internal_value_gives_an_admissible_value(x):
    for d in (
        FloatDistribution(-3.0, 7.0),
        FloatDistribution(1e-4, 10.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.1),
        IntDistribution(-5, 5),
        IntDistribution(1, 1000, log=True),
        IntDistribution(0, 30, step=3),
        CategoricalDistribution(["a", None, 3]),
    ):
        value = d.to_external(x)
        assert d.contains(value), (d, x, value)
        assert d.to_external(d.round_internal(x)) == value


@given(st.integers(0, 10))
def test_step_grid_values_are_exact(k):
    d = FloatDistribution(0.0, 1.0, step=0.1)
    assert d.to_external(k * 0.1) == float(f"{k * 0.1:.15g}")


def test_sampling_bounds_give_each_grid_value_an_equal_cell():
    assert IntDistribution(0, 10).sampling_bounds() == (-0.5, 10.5)
    assert FloatDistribution(0.0, 1.0, step=0.25).sampling_bounds() == (-0.125, 1.125)
    low, high = IntDistribution(1, 8, log=True).sampling_bounds()
    assert (low, high) == pytest.approx((math.log(0.5), math.log(8.5)))
    assert CategoricalDistribution(["a", "b"]).sampling_bounds() == (-0.5, 1.5)


def test_equality_hash_pickle_and_dict_round_trip():
    ds = [
        FloatDistribution(0.0, 1.0),
        FloatDistribution(1e-3, 1.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.5),
        IntDistribution(1, 9, step=2),
        CategoricalDistribution(["x", 1, None]),
    ]
    for d in ds:
        assert pickle.loads(pickle.dumps(d)) == d
        assert distribution_from_dict(distribution_to_dict(d)) == d
        assert hash(d) == hash(distribution_from_dict(distribution_to_dict(d)))
    assert FloatDistribution(0, 1) != IntDistribution(0, 1)
    assert FloatDistribution(0, 1) != FloatDistribution(0, 2)
    with pytest.raises(AttributeError):
        ds[0].low = 5


def test_compatibility_allows_new_ranges_but_not_new_kinds():
    check_compatible("x", FloatDistribution(0, 1), FloatDistribution(-5, 5))
    check_compatible("n", IntDistribution(0, 1), IntDistribution(0, 10, step=2))
    with pytest.raises(ValueError, match="cannot be redefined"):
        check_compatible("x", FloatDistribution(0, 1), IntDistribution(0, 1))
    with pytest.raises(ValueError, match="cannot change log"):
        check_compatible("x", FloatDistribution(0.1, 1), FloatDistribution(0.1, 1, log=True))
    with pytest.raises(ValueError, match="choices"):
        check_compatible("c", CategoricalDistribution(["a"]), CategoricalDistribution(["a", "b"]))


def test_contains_checks_range_grid_and_type():
    assert not FloatDistribution(0, 1).contains(2.0)
    assert not FloatDistribution(0, 1, step=0.5).contains(0.25)
    assert not IntDistribution(0, 10).contains(2.5)
    assert not IntDistribution(0, 10).contains("3")
    assert IntDistribution(0, 10).contains(3)


@given(st.floats(-1e6, 1e6), st.floats(0, 1e6), st.sampled_from([1 / 3, 0.1, 0.7, 3e-5, 1e-9, 2.5, 1 / 7]))
def test_lowering_high_onto_the_grid_is_idempotent(low, span, step):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = FloatDistribution(low, low + span, step=step)
    assert d.high <= low + span
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert FloatDistribution(low, d.high, step=step) == d
