"""Threads: how many the compiled kernels may use, and single-threaded BLAS.

Kernels with parallel loops (the TPE mixture densities) take a thread count from the
caller; the samplers pass :func:`get_num_threads`, which :func:`set_num_threads` caps.
Their results do not depend on the count, so the count may change from call to call.

By default that count is the number of cores the machine leaves idle right now: the
available cores less the other runnable threads (the running count of /proc/loadavg,
read at each call; the 1-minute load average where there is no /proc), at least 1. A
parallel region waits at its end for every one of its threads, and on a machine with
more runnable threads than cores a thread may wait a whole scheduler slice (several
ms) for a core, which cost a 5,000-trial TPE study 12x its single-thread time at load
5-11 on 2 cores (benchmarks/RESULTS.md). The 1-minute average lags: on a shared 2-core
machine it said "idle" while other processes ran, and a GP study on 2 threads took
2-5x its single-thread time. :func:`threads_for` adds the size of the work: a loop
whose work would not keep a second thread busy for long runs on one.

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

__all__ = ["get_num_threads", "set_num_threads", "single_threaded_blas", "threads_for"]

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
        that other runnable work leaves idle at each call (at least one).

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


def threads_for(work: float, grain: float) -> int:
    """Threads for a parallel loop of ``work`` units when a thread pays for itself from
    ``grain`` units: ``work // grain``, at most :func:`get_num_threads`, at least 1 (the
    idle cores are read only when the work could use more than one thread)."""
    most = int(work // grain)
    return 1 if most < 2 else min(most, get_num_threads())


def _idle_cores() -> int:
    """Available cores less the other runnable threads right now (this one counts as
    one of the runnable), at least 1."""
    cores = _available_cores()
    running = _runnable_threads()
    if running is None:
        return cores
    return max(1, min(cores, int(cores - running + 1.0)))


def _runnable_threads() -> float | None:
    """The machine's runnable threads now (the running count in /proc/loadavg, this
    thread included), else the 1-minute load average, else None."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return float(f.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        pass
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # not available on this platform
        return None


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
