"""Independent L-BFGS-B runs advanced in lockstep, so that one vectorized call evaluates
the points all of them ask for.

scipy's L-BFGS-B keeps the loop to itself and asks for one point at a time. Each run
therefore lives in a thread that hands its point to the caller's thread and waits for
the value (Optuna does the same with greenlets). Each run keeps its own step lengths,
curvature pairs and stopping tests, so the results are those of the runs made one
after another; only the evaluations are batched. (One L-BFGS-B over the stacked runs'
coordinates would be cheaper but is not the same: the runs with large gradients set the
first step and the relative-reduction test for all, and a run near a flat start stops
where it began.) The threads are kept for the next call: starting one waits for a
scheduler slot, milliseconds on a busy machine.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence

import numpy as np
import scipy.optimize

__all__ = ["batched_lbfgsb"]


class _Cancelled(Exception):
    """Ends a run whose evaluations failed in the caller's thread."""


class _Worker:
    """A daemon thread that runs the jobs put on its own queue, one after another."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            self.jobs.get()()


_idle_workers: list[_Worker] = []
_idle_lock = threading.Lock()


def _take_workers(n: int) -> list[_Worker]:
    """``n`` workers for one call alone (idle ones first), so concurrent calls never wait on each other."""
    with _idle_lock:
        taken = [_idle_workers.pop() for _ in range(min(n, len(_idle_workers)))]
    return taken + [_Worker() for _ in range(n - len(taken))]


def _return_workers(workers: list[_Worker]) -> None:
    with _idle_lock:
        _idle_workers.extend(workers)


def _forget_workers_after_fork() -> None:
    global _idle_lock
    _idle_workers.clear()  # a forked child has none of its parent's threads
    _idle_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_workers_after_fork)


def batched_lbfgsb(fun_and_grad: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                   starts: np.ndarray, bounds: Sequence[tuple[float, float]], **options) -> np.ndarray:
    """Minimize from each row of ``starts`` by its own L-BFGS-B run; the end points.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(runs, Z)`` gives the values (shape ``[k]``) and gradients
        (``[k, dim]``) at the rows of ``Z``, the points asked for by the runs numbered
        ``runs`` (so the function may depend on the run).
    starts : ndarray of shape (n_runs, dim)
    bounds : sequence of (low, high), one per coordinate, shared by the runs.
    **options
        L-BFGS-B options of ``scipy.optimize.minimize`` (``maxiter``, ``gtol``, ...).

    Examples
    --------
    >>> centres = np.array([[0.2], [0.7]])
    >>> def fun_and_grad(runs, Z):
    ...     return ((Z - centres[runs]) ** 2).sum(axis=1), 2 * (Z - centres[runs])
    >>> batched_lbfgsb(fun_and_grad, np.array([[1.0], [0.0]]), [(0.0, 1.0)]).round(6).tolist()
    [[0.2], [0.7]]
    """
    starts = np.asarray(starts, dtype=float)
    requests: queue.SimpleQueue = queue.SimpleQueue()  # (run, point), point None when the run ends
    replies = [queue.SimpleQueue() for _ in starts]
    ends, failures = starts.copy(), []

    def run(i: int) -> None:
        def ask(z: np.ndarray) -> tuple[float, np.ndarray]:
            requests.put((i, z))
            reply = replies[i].get()
            if reply is None:
                raise _Cancelled
            return reply

        try:
            ends[i] = scipy.optimize.minimize(ask, starts[i], jac=True, method="L-BFGS-B", bounds=bounds,
                                              options=options).x
        except _Cancelled:
            pass
        except BaseException as error:  # handed to the caller's thread
            failures.append(error)
        finally:
            requests.put((i, None))

    workers = _take_workers(len(starts))
    for i, worker in enumerate(workers):
        worker.jobs.put(lambda i=i: run(i))
    unfinished = len(starts)
    try:
        while unfinished:
            # in run order, whatever order the threads asked in: the same batch, the same rounding
            asked = sorted((i, z) for i, z in (requests.get() for _ in range(unfinished)) if z is not None)
            unfinished = len(asked)
            if asked:
                runs = np.array([i for i, _ in asked])
                values, grads = fun_and_grad(runs, np.array([z for _, z in asked]))
                for k, i in enumerate(runs):
                    replies[i].put((float(values[k]), np.array(grads[k], dtype=float)))
    except BaseException:
        for reply in replies:  # runs waiting for a value end; the others end at their next ask
            reply.put(None)
        raise
    finally:
        _return_workers(workers)  # each run has sent its last message; a new job waits behind its end
    if failures:
        raise failures[0]
    return ends

