"""The special-function kernel against its NumPy twin and scipy, 100k points each.

    PYTHONPATH=src python -m pytest benchmarks/bench_special.py --benchmark-columns=median,iqr
"""

import numpy as np
import pytest
import scipy.special
import scipy.stats

from fasthpo._kernels import special as kernel
from fasthpo._reference import special as twin

N = 100_000
rng = np.random.default_rng(0)
X = rng.normal(scale=15.0, size=N)
A = rng.normal(scale=5.0, size=N)
B = A + rng.exponential(2.0, size=N)
Q = rng.uniform(size=N)

IMPLEMENTATIONS = {"kernel": kernel, "twin": twin}


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_log_ndtr(benchmark, impl):
    benchmark.group = "log_ndtr"
    benchmark(IMPLEMENTATIONS[impl].log_ndtr, X)


def test_log_ndtr_scipy(benchmark):
    benchmark.group = "log_ndtr"
    benchmark(scipy.special.log_ndtr, X)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_log_ndtr_diff(benchmark, impl):
    benchmark.group = "log_ndtr_diff"
    benchmark(IMPLEMENTATIONS[impl].log_ndtr_diff, A, B)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_truncnorm_ppf(benchmark, impl):
    benchmark.group = "truncnorm_ppf"
    benchmark(IMPLEMENTATIONS[impl].truncnorm_ppf, Q, A, B)


def test_truncnorm_ppf_scipy(benchmark):
    benchmark.group = "truncnorm_ppf"
    benchmark(scipy.stats.truncnorm.ppf, Q, A, B)
