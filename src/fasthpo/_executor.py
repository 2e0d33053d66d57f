"""Trials on a ``concurrent.futures`` executor or a Dask cluster; the sampler stays in the driver.

``study.optimize(objective, n_trials, n_jobs=8, executor=client)`` runs the objective on
the executor's workers while the driver asks and tells (central ask/tell): the sampler
runs once, in the driver, sees every result, and the driver's storage keeps the study
(no storage contention between workers; a driver restarted on the same journal goes on).

Trials travel in chunks: a task carries several trials, which its worker runs one
after the other, so that the executor's round trip per task (for Dask a few ms on an
idle machine, tens of ms on a busy one) is paid once for about 0.25 s of objective time
(at most 64 trials) rather than once per trial. The chunk starts at one trial and
grows while the objective is short; trials that take longer go one per task. ``n_jobs``
tasks are in flight, so at most ``n_jobs`` objectives run at once; the trials of the
chunks in flight are RUNNING meanwhile. While the tasks run, the driver asks the next
chunk ahead, so that a task that comes back is followed by a new one at once, not
after the sampler's work (that chunk's proposals do not know the results of the
tasks in flight). When the executor runs at most ``n_jobs`` tasks at once (a Dask
cluster of ``n_jobs`` threads, a pool of ``n_jobs`` workers), ``n_jobs`` more chunks
are asked ahead and wait in the executor's queue, so that a worker that finishes a
task starts the next without a round trip through the driver, however long the driver
takes to answer (on a busy machine, a few tenths of a second). Near the end the chunks shrink so that the last tasks end
together. ``timeout`` and ``study.stop()`` start no new trial; the tasks in flight and
the chunk asked ahead finish.

Before it submits a chunk the driver asks its trials together (the sampler proposes
them as one batch, their records are one group) and proposes a value for every
parameter the study has seen; the objective receives a :class:`RemoteTrial` whose
``suggest_*`` return those values. A parameter the study has not seen yet (or whose
distribution changed) is drawn uniformly on the worker. When a chunk comes back, the
parameters its trials used, their intermediate values and user attributes are
written in the driver as one group, and its trials are told as another (then the
callbacks run trial by trial).

With a storage that has ``heartbeat_interval``, the driver beats for every trial in
flight and, before each new trial, fails the running trials whose beat stopped (its
``failed_trial_callback``, e.g. :class:`~fasthpo.storages.RetryFailedTrialCallback`,
re-enqueues them). So a driver restarted on the same storage after a crash turns the
trials the dead driver had in flight into FAIL after the grace period, retries them, and
goes on numbering after the last trial.

Pruning from remote workers: ``trial.report`` works (the values are sent back with the
result and stored, so pruners see them for later trials) and raising
:class:`fasthpo.TrialPruned` ends the trial as PRUNED; ``trial.should_prune()`` always
answers ``False``, because the pruner needs the study, which stays in the driver.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from typing import Any

import numpy as np

from fasthpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from fasthpo.exceptions import TrialPruned
from fasthpo.storages._heartbeat import Heartbeat, fail_stale_trials, starting_beaten_trial
from fasthpo.trial import Trial
from fasthpo.trial_state import TrialState

__all__ = ["RemoteTrial", "as_executor", "executor_capacity", "run_on_executor"]


class RemoteTrial:
    """The trial an objective receives on an executor's worker.

    It offers the define-by-run face of :class:`fasthpo.Trial` (``suggest_*``,
    ``report``, ``should_prune``, ``set_user_attr``, ``number``, ``params``) without
    the study, which stays in the driver.
    """

    def __init__(self, number: int, proposals: dict[str, tuple[BaseDistribution, Any]], fixed: dict[str, Any],
                 seed: int) -> None:
        self.number = number
        self._proposals = proposals
        self._fixed = fixed
        self._seed = seed
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, BaseDistribution] = {}
        self.user_attrs: dict[str, Any] = {}
        self.intermediate_values: dict[int, float] = {}

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        return self._suggest(name, FloatDistribution(low, high, log=log, step=step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return self._suggest(name, IntDistribution(low, high, log=log, step=step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._suggest(name, CategoricalDistribution(choices))

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name in self.params:
            if self.distributions[name] != distribution:
                raise ValueError(f"Parameter {name!r} was already suggested in trial {self.number} as "
                                 f"{self.distributions[name]!r}; it cannot be suggested again as {distribution!r}.")
            return self.params[name]
        if name in self._fixed:
            value = self._fixed[name]
        else:
            proposal = self._proposals.get(name)
            value = proposal[1] if proposal is not None and proposal[0] == distribution else self._draw(distribution)
        self.params[name] = value
        self.distributions[name] = distribution
        return value

    def _draw(self, distribution: BaseDistribution) -> Any:
        rng = np.random.default_rng([self._seed, len(self.params)])
        low, high = distribution.sampling_bounds()
        return distribution.to_external(distribution.round_internal(rng.uniform(low, high)))

    def report(self, value: float, step: int) -> None:
        """Keep an intermediate value; it is stored in the driver with the result."""
        value, step = float(value), int(step)
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step!r}.")
        self.intermediate_values.setdefault(step, value)

    def should_prune(self) -> bool:
        """Always ``False``: the pruner needs the study, which stays in the driver."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"key must be a str, got {key!r}.")
        self.user_attrs[key] = value


def _run_chunk(objective: Any, trials: list[RemoteTrial]) -> tuple[list[tuple[RemoteTrial, str, Any]], float]:
    """On the worker: run the trials one after the other; how each ended with its result or
    error, and the seconds they took together."""
    start = time.perf_counter()
    return [_run_remote(objective, trial) for trial in trials], time.perf_counter() - start


def _run_remote(objective: Any, trial: RemoteTrial) -> tuple[RemoteTrial, str, Any]:
    try:
        return trial, "complete", objective(trial)
    except TrialPruned:
        return trial, "pruned", None
    except Exception as exc:  # sent back to the driver, which fails the trial and decides
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(repr(exc))
        return trial, "error", exc


def as_executor(executor: Any) -> Executor:
    """A ``concurrent.futures.Executor`` for ``executor`` (a Dask ``Client`` gives its own)."""
    if isinstance(executor, Executor):
        return executor
    if hasattr(executor, "get_executor") and hasattr(executor, "nthreads"):  # a dask.distributed Client
        return executor.get_executor(pure=False)
    raise TypeError(f"executor must be a concurrent.futures.Executor or a dask.distributed Client, got {executor!r}.")


def executor_capacity(executor: Any) -> int:
    """How many tasks ``executor`` runs at once (``n_jobs=-1``)."""
    if hasattr(executor, "nthreads") and callable(executor.nthreads):
        return max(1, sum(executor.nthreads().values()))
    workers = getattr(executor, "_max_workers", None)
    if workers is None:
        raise ValueError(f"n_jobs=-1 cannot tell how many tasks {executor!r} runs at once; give n_jobs.")
    return int(workers)


def _proposals(study: Any, proposer: Any, numbers: list[int]) -> list[dict[str, tuple[BaseDistribution, Any]]]:
    """For each of ``numbers`` (asked together, ``proposer``'s trials), the sampler's value of every parameter
    the study has seen, as for a local trial."""
    store = study._store
    proposals: list[dict[str, tuple[BaseDistribution, Any]]] = [{} for _ in numbers]
    for name, distribution in zip(list(store.columns), list(store.column_distributions)):
        internals = (np.full(len(numbers), distribution.internal_low) if distribution.single()
                     else proposer.values(name, distribution))
        for proposal, number, internal in zip(proposals, numbers, internals.tolist()):
            if name not in store.records[number].fixed_params:
                proposal[name] = (distribution, distribution.to_external(distribution.round_internal(internal)))
    return proposals


def _internal(distribution: BaseDistribution, value: Any) -> float:
    try:
        return distribution.to_internal(value)
    except ValueError:  # a fixed (enqueued) value off the grid or outside: kept as given
        if isinstance(distribution, CategoricalDistribution):
            raise
        return distribution.encode(value)  # type: ignore[attr-defined]


def _record_result(study: Any, number: int, remote: RemoteTrial, written: dict[str, BaseDistribution]) -> None:
    """Write what the objective used and reported on the worker into the driver's study.

    ``written``: the distributions of the parameters written earlier in the same group
    (not in the store yet), which the trial's must agree with too.
    """
    store = study._store
    for name, distribution in remote.distributions.items():
        store.check_param(name, distribution)
        if name in written:
            check_compatible(name, written[name], distribution)
    written.update(remote.distributions)
    for name, value in remote.params.items():
        distribution = remote.distributions[name]
        external = value if isinstance(distribution, CategoricalDistribution) else (
            int(value) if isinstance(distribution, IntDistribution) else float(value))
        store.set_param(number, name, distribution, _internal(distribution, value), external=external)
    for step, value in sorted(remote.intermediate_values.items()):
        store.report(number, step, value)
    for key, value in remote.user_attrs.items():
        store.set_user_attr(number, key, value)


#: Seconds of objective time a task carries (0: one trial per task).
TASK_SECONDS = 0.25
#: The most trials a task carries (the sampler waits for at most this many results per task in flight).
MAX_CHUNK = 64


class _ChunkSize:
    """How many trials a task carries: enough for about ``task_seconds`` of objective time.

    An executor's round trip per task (Dask's: ms on an idle machine, tens of ms on a
    busy one) would otherwise cost as much as a short trial; with tasks that long it is a
    small share of each. A trial's seconds, measured on the worker, are followed as a
    moving average; the size starts at 1 and at most doubles from one task to the next
    (up to :data:`MAX_CHUNK`), so trials longer than ``task_seconds`` go one per task.
    """

    def __init__(self, task_seconds: float) -> None:
        self.size = 1
        self._task_seconds = task_seconds
        self._trial: float | None = None

    def observe(self, n_trials: int, seconds: float) -> None:
        """A task of ``n_trials`` trials came back after running ``seconds`` on its worker."""
        trial = seconds / n_trials
        self._trial = trial if self._trial is None else 0.7 * self._trial + 0.3 * trial
        wanted = math.ceil(self._task_seconds / max(self._trial, 1e-9))
        self.size = max(1, min(wanted, 2 * self.size, MAX_CHUNK))


class _Task:
    """A chunk of trials sent to the executor as one task (their heartbeat from their start)."""

    __slots__ = ("trials", "remotes", "beat")

    def __init__(self, study: Any, trials: list[Any], remotes: list[RemoteTrial], interval: float | None) -> None:
        self.trials = trials
        self.remotes = remotes
        self.beat = Heartbeat(study, [t.number for t in trials], interval) if interval is not None else None
        if self.beat is not None:
            self.beat.__enter__()

    def end(self) -> None:
        if self.beat is not None:
            self.beat.__exit__(None, None, None)


def run_on_executor(study: Any, objective: Any, executor: Executor, n_tasks: int, more: Any, finish: Any) -> None:
    """Keep ``n_tasks`` tasks on ``executor`` while ``more(started)``; ``finish`` tells a task's trials.

    A task carries a chunk of trials that the worker runs one after the other; the
    chunk grows (see :class:`_ChunkSize`) while the executor's round trip per task is
    large against the objective's time, and shrinks towards the end so that the last
    tasks end together. The trials of a chunk are asked at once (the sampler proposes
    them together, their records are one group); their results are written as one group, and
    ``finish([(trial, status, payload), ...])`` tells them as another.
    """
    interval = study._storage.heartbeat_interval
    chunk = _ChunkSize(TASK_SECONDS)
    in_flight: dict[Any, _Task] = {}
    ready: list[_Task] = []  # the chunk asked ahead, submitted when a task comes back
    started = 0
    queued = n_tasks if _queues(executor, n_tasks) else 0  # tasks waiting in the executor's queue
    limit = n_tasks + queued  # tasks submitted at once

    def ask_next() -> bool:
        nonlocal started
        size = _next_size(study, more, started, chunk.size, limit)
        if size:
            ready.append(_Task(study, *_ask(study, size, interval is not None), interval))
            started += size
        return size > 0

    def submit() -> None:
        task = ready.pop()
        in_flight[executor.submit(_run_chunk, objective, task.remotes)] = task

    try:
        while True:
            while len(in_flight) < limit and (ready or ask_next()):
                submit()
            if not in_flight:
                return
            if not ready and not queued:  # while the tasks run, so that a slot that frees is filled at once
                ask_next()
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            returned = [(future, in_flight.pop(future)) for future in done]
            if ready:  # before the results are told: the worker waits for nothing but the executor
                submit()
            error = None
            for future, task in returned:
                task.end()
                outcomes, seconds = _outcomes(study, task.trials, future)
                if seconds is not None:
                    chunk.observe(len(task.trials), seconds)
                try:
                    finish([(trial, status, payload) for trial, (status, payload) in zip(task.trials, outcomes)])
                except BaseException as exc:  # the other tasks' results are told first
                    error = error or exc
            if error is not None:
                raise error
    finally:  # an error stops the run: the rest fail, none stays RUNNING
        for future, task in [*in_flight.items(), *((None, task) for task in ready)]:
            if future is not None:
                future.cancel()
            task.end()
            for trial in task.trials:
                study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def _queues(executor: Executor, n_tasks: int) -> bool:
    """Whether ``executor`` runs at most ``n_tasks`` tasks at once, so that one more waits in its queue.

    Then as many chunks are asked ahead and submitted at once: a worker that finishes a task
    starts the next without waiting for the driver (a Dask worker has it already, or the
    scheduler hands it over; a pool's thread takes it from the queue). A Dask cluster that
    grows meanwhile may run them at once.
    """
    client = getattr(executor, "_client", None)  # dask's ClientExecutor
    try:
        return executor_capacity(client if client is not None else executor) <= n_tasks
    except ValueError:  # unknown capacity
        return False


def _next_size(study: Any, more: Any, started: int, size: int, n_tasks: int) -> int:
    """Trials for the next task: up to ``size``, fewer near the end so the tasks share what is left."""
    left = 0
    while left < size * n_tasks and more(started + left):
        left += 1
    remaining = study.sampler.n_remaining(study._history)
    if remaining is not None:
        left = min(left, remaining)
    return min(size, math.ceil(left / n_tasks))


def _ask(study: Any, n: int, beating: bool) -> tuple[list[Any], list[RemoteTrial]]:
    """``n`` new trials of ``study`` (enqueued ones first, then a batch) and the :class:`RemoteTrial` of each."""
    if beating:
        fail_stale_trials(study)
    store = study._store
    trials, remotes = [], []
    with study._lock, (starting_beaten_trial() if beating else contextlib.nullcontext()):
        store.sync()
        while len(trials) < n and (store.states[:store.n_trials] == TrialState.WAITING).any():
            trial = study.ask()
            trials.append(trial)
            remotes.append(_remote(study, trial._proposer, [trial.number])[0])
        if len(trials) < n:
            batch = study.ask_batch(n - len(trials))
            numbers = batch.numbers.tolist()
            trials.extend(Trial(study, number, batch._proposer) for number in numbers)
            remotes.extend(_remote(study, batch._proposer, numbers))
    return trials, remotes


def _remote(study: Any, proposer: Any, numbers: list[int]) -> list[RemoteTrial]:
    seeds = np.random.default_rng().integers(2**63, size=len(numbers)).tolist()
    return [RemoteTrial(number, proposal, dict(study._store.records[number].fixed_params), seed)
            for number, proposal, seed in zip(numbers, _proposals(study, proposer, numbers), seeds)]


def _outcomes(study: Any, trials: list[Any], future: Any) -> tuple[list[tuple[str, Any]], float | None]:
    """``(status, result or error)`` of each trial of a finished task, the data of all
    written as one group; and the seconds the worker spent (``None`` when the task failed)."""
    try:
        results, seconds = future.result()
    except Exception as exc:  # the task itself failed (a worker died, the result did not pickle)
        return [("error", exc)] * len(trials), None
    outcomes, written = [], {}
    with study._lock, study._storage.grouped():
        for trial, (remote, status, payload) in zip(trials, results):
            try:
                _record_result(study, trial.number, remote, written)
            except (ValueError, TypeError) as exc:  # checked before anything of the trial is kept
                status, payload = "error", exc
            outcomes.append((status, payload))
    return outcomes, seconds
