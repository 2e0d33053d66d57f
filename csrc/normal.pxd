# Numerically stable standard-normal functions as inline nogil C functions, a header
# that kernels cimport (``from normal cimport log_ndtr``); it has no module of its own.
# Their Python face over arrays is special.pyx; the pure-NumPy twin is
# fasthpo._reference.special.
from libc.math cimport (INFINITY, NAN, erfc, exp, expm1, fabs, isnan, log,
                        log1p, sqrt)

cdef extern from *:
    """
    #define FASTHPO_LOG_SQRT_2PI 0.91893853320467274178  /* log(sqrt(2 pi)) */
    #define FASTHPO_SQRT1_2 0.70710678118654752440       /* 1 / sqrt(2) */
    /* Below this x, log Phi(x) comes from its asymptotic series: erfc(-x / sqrt 2)
       would fall into the subnormal range near x = -37.5. */
    #define FASTHPO_ASYMPTOTIC_BELOW (-30.0)
    """
    const double LOG_SQRT_2PI "FASTHPO_LOG_SQRT_2PI"
    const double SQRT1_2 "FASTHPO_SQRT1_2"
    const double ASYMPTOTIC_BELOW "FASTHPO_ASYMPTOTIC_BELOW"


cdef inline double log_ndtr_asymptotic_tail(double x) noexcept nogil:
    """log S(x) with Phi(x) = phi(x) / (-x) * S(x) for x <= -30 (Abramowitz & Stegun
    26.2.12): S = 1 - 1/x^2 + 3/x^4 - 15/x^6 + ...; eight terms are exact to 1e-18."""
    cdef double r = 1.0 / (x * x)
    cdef double term = 1.0
    cdef double total = 1.0
    cdef int k
    for k in range(1, 9):
        term *= -(2 * k - 1) * r
        total += term
    return log(total)


cdef inline double log_ndtr(double x) noexcept nogil:
    """log Phi(x), accurate to a few ulp for every finite x."""
    if isnan(x):
        return NAN
    if x > 0.0:
        return log1p(-0.5 * erfc(x * SQRT1_2))
    if x > ASYMPTOTIC_BELOW:
        return log(0.5 * erfc(-x * SQRT1_2))
    if x == -INFINITY:
        return -INFINITY
    return -0.5 * x * x - log(-x) - LOG_SQRT_2PI + log_ndtr_asymptotic_tail(x)


cdef inline double log1mexp(double d) noexcept nogil:
    """log(1 - exp(d)) for d <= 0 (Maechler 2012, "Accurately computing log(1 - exp(-|a|))")."""
    if d > -0.6931471805599453:
        return log(-expm1(d))
    return log1p(-exp(d))


cdef inline double log_ndtr_gap(double a, double b) noexcept nogil:
    """log Phi(a) - log Phi(b) for a < b <= 0, without cancellation in the deep tail."""
    if a > ASYMPTOTIC_BELOW or a == -INFINITY:
        return log_ndtr(a) - log_ndtr(b)
    if b > ASYMPTOTIC_BELOW:
        return log_ndtr(a) - log_ndtr(b)
    # Both in the asymptotic range: subtract the series term by term.
    return (-0.5 * (a - b) * (a + b) - log1p((a - b) / b)
            + log_ndtr_asymptotic_tail(a) - log_ndtr_asymptotic_tail(b))


cdef inline double log_ndtr_diff(double a, double b) noexcept nogil:
    """log(Phi(b) - Phi(a)) for a <= b: -inf when a == b, NaN when a > b."""
    cdef double half_width, mid, h2, m2, tmp
    if isnan(a) or isnan(b) or a > b:
        return NAN
    if a == b:
        return -INFINITY
    half_width = 0.5 * (b - a)
    mid = 0.5 * a + 0.5 * b
    if half_width * (1.0 + fabs(mid)) < 1e-2:
        # Narrow interval: integrate phi around the midpoint by its Taylor series,
        # int_{m-h}^{m+h} phi = 2 h phi(m) [1 + h^2 (m^2 - 1)/6 + h^4 (m^4 - 6 m^2 + 3)/120].
        h2 = half_width * half_width
        m2 = mid * mid
        return (-0.5 * m2 - LOG_SQRT_2PI + log(b - a)
                + log1p(h2 * (m2 - 1.0) / 6.0 + h2 * h2 * (m2 * m2 - 6.0 * m2 + 3.0) / 120.0))
    if a > 0.0:  # upper tail: Phi(b) - Phi(a) = Phi(-a) - Phi(-b)
        tmp = a
        a = -b
        b = -tmp
    if b <= 0.0:
        return log_ndtr(b) + log1mexp(log_ndtr_gap(a, b))
    # a <= 0 < b: the mass is 1 minus both tails.
    return log1p(-0.5 * erfc(-a * SQRT1_2) - 0.5 * erfc(b * SQRT1_2))


cdef inline double logaddexp(double u, double v) noexcept nogil:
    if u == -INFINITY:
        return v
    if v == -INFINITY:
        return u
    if u > v:
        return u + log1p(exp(v - u))
    return v + log1p(exp(u - v))


cdef inline double ndtri_exp_guess(double log_p) noexcept nogil:
    """Phi^{-1}(exp(log_p)) to ~1e-9 relative: P. J. Acklam's rational approximation
    (2003), whose tail branch needs only sqrt(-2 log p), so any log_p works."""
    cdef double q, r, p
    if log_p < -3.7195:  # p < 0.02425
        q = sqrt(-2.0 * log_p)
        return ((((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q
                    - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q
                  + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q
                     + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1.0))
    if log_p > -0.024548:  # p > 0.97575
        q = sqrt(-2.0 * log(-expm1(log_p)))
        return -((((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q
                     - 2.400758277161838e+00) * q - 2.549732539343734e+00) * q
                   + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                 / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q
                      + 2.445134137142996e+00) * q + 3.754408661907416e+00) * q + 1.0))
    p = exp(log_p)
    q = p - 0.5
    r = q * q
    return ((((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r
                - 2.759285104469687e+02) * r + 1.383577518672690e+02) * r
              - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
            / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r
                  - 1.556989798598866e+02) * r + 6.680131252260844e+01) * r
                - 1.328068155288572e+01) * r + 1.0))


cdef inline double truncnorm_ppf_guess(double q, double a, double b, double log_mass) noexcept nogil:
    """Acklam's inverse applied to the CDF target in whichever tail keeps it in range; on
    a narrow interval (where that target can round to a bound) the nearly uniform
    density's linear interpolation instead."""
    if (b - a) * (1.0 + fabs(a) + fabs(b)) < 1e-2:
        return a + q * (b - a)
    if a > 0.0:  # upper tail: mirror, x(q; a, b) = -x(1 - q; -b, -a)
        return -truncnorm_ppf_guess(1.0 - q, -b, -a, log_mass)
    if b <= 0.0 or q <= 0.5:  # log Phi(x) = log(Phi(a) + q (Phi(b) - Phi(a)))
        return ndtri_exp_guess(logaddexp(log_ndtr(a), log(q) + log_mass))
    return -ndtri_exp_guess(logaddexp(log_ndtr(-b), log1p(-q) + log_mass))


cdef inline double truncnorm_ppf(double q, double a, double b) noexcept nogil:
    """Inverse CDF of the standard normal truncated to [a, b], at q in [0, 1].

    Newton's method on the log of the lower (q <= 1/2) or upper (q > 1/2) tail mass,
    both concave in x (the normal density is log-concave), from Acklam's guess; every
    mass is a log_ndtr_diff, so narrow intervals deep in a tail stay exact.
    """
    cdef double log_mass, target, x, mass, step
    cdef int i
    if isnan(q) or isnan(a) or isnan(b) or q < 0.0 or q > 1.0 or a > b:
        return NAN
    if q == 0.0 or a == b:
        return a
    if q == 1.0:
        return b
    log_mass = log_ndtr_diff(a, b)
    target = (log(q) if q <= 0.5 else log1p(-q)) + log_mass
    x = truncnorm_ppf_guess(q, a, b, log_mass)
    if not (a < x < b):  # the guess rounded onto or past a bound: restart inside
        if a == -INFINITY:
            x = b - 1.0
        elif b == INFINITY:
            x = a + 1.0
        else:
            x = 0.5 * a + 0.5 * b
    for i in range(100):
        # step = (log mass(x) - target) / (d log mass / dx), d mass / dx = +-phi(x).
        if q <= 0.5:
            mass = log_ndtr_diff(a, x)
            step = (mass - target) * exp(mass + 0.5 * x * x + LOG_SQRT_2PI)
        else:
            mass = log_ndtr_diff(x, b)
            step = -(mass - target) * exp(mass + 0.5 * x * x + LOG_SQRT_2PI)
        if step == 0.0 or isnan(step):
            break
        if x - step <= a:  # overshoot (or an overflowing step): halve the way to the bound
            step = 0.5 * (x - a)
        elif x - step >= b:
            step = -0.5 * (b - x)
        x -= step
        # Newton converges quadratically: a step of 1e-11 of the distance to the bound
        # the mass is measured from leaves an error of ~1e-22; or x has no more digits.
        if fabs(step) <= 1e-11 * (x - a if q <= 0.5 else b - x) or fabs(step) <= 4.5e-16 * fabs(x):
            break
    return x
