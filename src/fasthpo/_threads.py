"""Single-threaded BLAS for the samplers' small dense linear algebra.

Multi-threaded BLAS on matrices of a few hundred rows spends more time waking and
synchronizing threads than computing, and on a busy machine it can be several times
slower than one thread. With the optional ``threadpoolctl`` installed, the samplers run
their linear algebra under a one-thread limit; without it, nothing changes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # optional
    ThreadpoolController = None

__all__ = ["single_threaded_blas"]

_controller = None


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
