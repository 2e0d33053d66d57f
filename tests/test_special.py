"""The special-function kernel against its NumPy twin, scipy and mpmath (50 digits)."""

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from fasthpo._kernels import special as kernel
from fasthpo._reference import special as twin

mpmath.mp.dps = 50
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
tail_point = st.floats(min_value=-300.0, max_value=300.0)
log_width = st.floats(min_value=-35.0, max_value=3.0)


def exact_log_mass(a: float, b: float) -> float:
    """log(Phi(b) - Phi(a)) in 50 digits, subtracting in the tail the cancellation is small in."""
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    if a > 0:
        a, b = -b, -a
    return float(mpmath.log(mpmath.ncdf(b) - mpmath.ncdf(a)))


@given(st.lists(finite, min_size=1, max_size=50))
def test_log_ndtr_matches_twin(xs):
    x = np.array(xs)
    np.testing.assert_allclose(kernel.log_ndtr(x), twin.log_ndtr(x), rtol=1e-12, atol=1e-300)


@given(st.floats(min_value=-1e4, max_value=38.0))
def test_log_ndtr_matches_scipy(x):
    np.testing.assert_allclose(kernel.log_ndtr(x), scipy.special.log_ndtr(x), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("x", [-30.0, -30.000001, -40.0, -123.456, -1e3, -1e5, -1e150])
def test_log_ndtr_deep_lower_tail_is_exact(x):
    assert float(kernel.log_ndtr(x)) == pytest.approx(float(mpmath.log(mpmath.ncdf(x))), rel=1e-14)


def test_log_ndtr_special_values():
    out = kernel.log_ndtr([-np.inf, np.inf, np.nan, 0.0])
    assert out[0] == -np.inf and out[1] == 0.0 and np.isnan(out[2])
    assert out[3] == pytest.approx(np.log(0.5), rel=1e-15)


@given(tail_point, log_width)
@settings(max_examples=300)
def test_log_ndtr_diff_matches_mpmath(a, log_w):
    b = a + np.exp(log_w)
    if not a < b:
        return
    assert float(kernel.log_ndtr_diff(a, b)) == pytest.approx(exact_log_mass(a, b), rel=1e-11, abs=1e-15)


@given(st.lists(st.tuples(finite, st.floats(min_value=-40.0, max_value=5.0)), min_size=1, max_size=50))
def test_log_ndtr_diff_matches_twin(pairs):
    a = np.array([p[0] for p in pairs])
    b = a + np.exp([p[1] for p in pairs])
    np.testing.assert_allclose(kernel.log_ndtr_diff(a, b), twin.log_ndtr_diff(a, b), rtol=1e-12, atol=1e-15)


@given(st.floats(min_value=-8.0, max_value=8.0), st.floats(min_value=-8.0, max_value=8.0))
def test_log_ndtr_diff_matches_scipy_in_the_body(a, b):
    a, b = min(a, b), max(a, b)
    mass = scipy.special.ndtr(b) - scipy.special.ndtr(a)
    if mass < 1e-3:  # scipy's plain difference cancels; mpmath covers this region
        return
    np.testing.assert_allclose(kernel.log_ndtr_diff(a, b), np.log(mass), rtol=1e-11, atol=1e-14)


def test_log_ndtr_diff_edges():
    out = kernel.log_ndtr_diff([1.0, 2.0, -np.inf, -np.inf, 3.0, np.nan], [1.0, 1.0, np.inf, 0.0, np.inf, 0.0])
    assert out[0] == -np.inf and np.isnan(out[1]) and out[2] == 0.0
    assert out[3] == pytest.approx(np.log(0.5)) and out[4] == pytest.approx(float(mpmath.log(mpmath.ncdf(-3))))
    assert np.isnan(out[5])
    # Mirror symmetry holds in both tails, also for intervals of width 1e-12.
    for a, b in [(-40.0 - 1e-12, -40.0), (-41.0, -40.0), (-1e4, -1e4 + 1e-3)]:
        assert kernel.log_ndtr_diff(a, b) == pytest.approx(kernel.log_ndtr_diff(-b, -a), rel=1e-14)


def ppf_error_in_tolerances(x: float, q: float, a: float, b: float) -> float:
    """|F(x) - q| in units of what a float64 x can reach: 1e-9 of min(q, 1 - q) plus
    the CDF's rise over four ulp of x (F in 50 digits)."""
    a_, b_, x_ = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
    mirrored = a_ > 0
    if mirrored:  # into the lower tail, where mpmath's difference is exact enough
        a_, b_, x_ = -b_, -a_, -x_
    mass = mpmath.ncdf(b_) - mpmath.ncdf(a_)
    below = (mpmath.ncdf(x_) - mpmath.ncdf(a_)) / mass
    cdf = 1 - below if mirrored else below
    density = mpmath.npdf(x_) / mass
    tolerance = 1e-9 * min(q, 1 - q) + float(density) * 4 * np.spacing(abs(x))
    return float(abs(cdf - q)) / tolerance


@given(st.floats(min_value=1e-9, max_value=1 - 1e-9), tail_point, st.floats(min_value=-25.0, max_value=3.0))
@settings(max_examples=300)
def test_truncnorm_ppf_inverts_the_cdf(q, a, log_w):
    b = a + np.exp(log_w)
    if not a < b:
        return
    x = float(kernel.truncnorm_ppf(q, a, b))
    assert a <= x <= b
    assert ppf_error_in_tolerances(x, q, a, b) < 1.0


@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=-6.0, max_value=6.0),
       st.floats(min_value=0.05, max_value=8.0))
def test_truncnorm_ppf_matches_scipy(q, a, width):
    b = a + width
    np.testing.assert_allclose(kernel.truncnorm_ppf(q, a, b), scipy.stats.truncnorm.ppf(q, a, b),
                               rtol=1e-9, atol=1e-10)


@given(st.lists(st.tuples(st.floats(min_value=0.0, max_value=1.0), tail_point, log_width), min_size=1,
                max_size=30))
def test_truncnorm_ppf_matches_twin(rows):
    q, a, log_w = (np.array(c) for c in zip(*rows))
    b = a + np.exp(log_w)
    k, t = kernel.truncnorm_ppf(q, a, b), twin.truncnorm_ppf(q, a, b)
    np.testing.assert_allclose(k, t, rtol=1e-12, atol=1e-9 * np.max(b - a))


def test_truncnorm_ppf_edges_and_monotone():
    q = np.linspace(0.0, 1.0, 1001)
    for a, b in [(-np.inf, np.inf), (-40.0, -39.0), (39.0, np.inf), (-np.inf, -50.0), (-1e-9, 1e-9), (5.0, 5.0 + 1e-12)]:
        x = kernel.truncnorm_ppf(q, a, b)
        assert x[0] == a and x[-1] == b
        assert np.all(np.diff(x) >= 0.0)
        assert np.all((x >= a) & (x <= b))
    bad = kernel.truncnorm_ppf([-0.1, 1.1, np.nan, 0.5], [0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0])
    assert np.isnan(bad).all()


def test_broadcasting_shapes():
    assert kernel.log_ndtr_diff(np.zeros((2, 1)), np.ones(3)).shape == (2, 3)
    assert kernel.truncnorm_ppf(0.5, np.zeros(4), 1.0).shape == (4,)
    assert kernel.log_ndtr(3.0).shape == ()
