"""Threads: how many the compiled kernels may use, and single-threaded BLAS.

Kernels with parallel loops (the TPE mixture densities) take a thread count from the
caller; the samplers pass :func:`get_num_threads`, which :func:`set_num_threads` caps.
Their results do not depend on the count, so the count may change from call to call.

By default that count is the number of cores the machine leaves idle (the available
cores less the 1-minute load average of the other runnable work, at least 1): a
parallel region waits at its end for every one of its threads, and on a machine with
more runnable threads than cores a thread may wait a whole scheduler slice (several
ms) for a core, which cost a 5,000-trial TPE study 12x its single-thread time at load
5-11 on 2 cores (benchmarks/RESULTS.md).

Single-threaded BLAS for the samplers' small dense linear algebra:

Multi-threaded BLAS on matrices of a few hundred rows spends more time waking and
synchronizing threads than computing, and on a busy machine it can be several times
slower than one thread. With the optional ``threadpoolctl`` installed, the samplers run
their linear algebra under a one-thread limit; without it, nothing changes.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional
    ThreadpoolController = None

__all__ = ["get_num_threads", "set_num_threads", "single_threaded_blas"]

_controller = None
_num_threads = None  # None: the cores left idle by other work


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_num_threads(n: int | None) -> None:
    """Cap the threads fasthpo's parallel kernels use (``None``: the idle cores).

    Results are the same for every count; only the speed changes.

    Parameters
    ----------
    n : int or None
        The largest number of threads, at least 1; ``None`` for the available cores
        that the 1-minute load average leaves idle (at least one).

    Examples
    --------
    >>> import fasthpo
    >>> fasthpo.set_num_threads(1)
    >>> fasthpo.get_num_threads()
    1
    >>> fasthpo.set_num_threads(None)
    """
    global _num_threads
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_num_threads: n must be a positive int or None, got {n!r}")
    _num_threads = n


def get_num_threads() -> int:
    """The number of threads the parallel kernels use (see :func:`set_num_threads`)."""
    return _num_threads if _num_threads is not None else _idle_cores()


def _idle_cores() -> int:
    """Available cores less the load of other work (this process counts as one)."""
    cores = _available_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return cores
    return max(1, min(cores, int(cores - load + 1.0)))


def single_threaded_blas(size: int) -> AbstractContextManager:
    """A context limiting BLAS to one thread for matrices of ``size`` rows (a no-op
    without threadpoolctl, and below 64 rows, where BLAS stays on one thread anyway
    and the limit would cost more than it saves)."""
    global _controller
    if ThreadpoolController is None or size < 64:
        return nullcontext()
    if _controller is None:  # created on first use, once numpy and scipy have loaded their BLAS
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
