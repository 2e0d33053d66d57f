"""Numerically stable normal-distribution functions over arrays: the Python face of
the inline C functions in normal.pxd, which other kernels cimport.

Arguments broadcast against each other like numpy ufuncs; the result is a float64
array of the broadcast shape. Twin: :mod:`fasthpo._reference.special`.
"""
import numpy as np

from normal cimport log_ndtr as c_log_ndtr, log_ndtr_diff as c_log_ndtr_diff, truncnorm_ppf as c_truncnorm_ppf


def _flat_args(*args):
    arrays = np.broadcast_arrays(*[np.asarray(a, dtype=np.float64) for a in args])
    shape = arrays[0].shape
    return shape, [np.ascontiguousarray(a).ravel() for a in arrays]


def log_ndtr(x):
    """log Phi(x), the log of the standard normal CDF, accurate far into both tails.

    Examples
    --------
    >>> from fasthpo._kernels.special import log_ndtr
    >>> float(log_ndtr(-40.0))
    -804.6084420137538
    """
    shape, (flat,) = _flat_args(x)
    cdef const double[::1] xs = flat
    out = np.empty(flat.shape[0])
    cdef double[::1] res = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(xs.shape[0]):
            res[i] = c_log_ndtr(xs[i])
    return out.reshape(shape)


def log_ndtr_diff(a, b):
    """log(Phi(b) - Phi(a)) for a <= b (NaN where a > b), exact also for narrow
    intervals deep in a tail.

    Examples
    --------
    >>> from fasthpo._kernels.special import log_ndtr_diff
    >>> float(log_ndtr_diff(-41.0, -40.0))
    -804.6084420137538
    """
    shape, (fa, fb) = _flat_args(a, b)
    cdef const double[::1] av = fa
    cdef const double[::1] bv = fb
    out = np.empty(fa.shape[0])
    cdef double[::1] res = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(av.shape[0]):
            res[i] = c_log_ndtr_diff(av[i], bv[i])
    return out.reshape(shape)


def truncnorm_ppf(q, a, b):
    """Inverse CDF at q of the standard normal truncated to [a, b] (NaN for q outside
    [0, 1] or a > b).

    Examples
    --------
    >>> from fasthpo._kernels.special import truncnorm_ppf
    >>> round(float(truncnorm_ppf(0.975, -float("inf"), float("inf"))), 6)
    1.959964
    """
    shape, (fq, fa, fb) = _flat_args(q, a, b)
    cdef const double[::1] qv = fq
    cdef const double[::1] av = fa
    cdef const double[::1] bv = fb
    out = np.empty(fq.shape[0])
    cdef double[::1] res = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(qv.shape[0]):
            res[i] = c_truncnorm_ppf(qv[i], av[i], bv[i])
    return out.reshape(shape)
