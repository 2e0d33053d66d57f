"""Trials on a ``concurrent.futures`` executor or a Dask cluster; the sampler stays in the driver.

``study.optimize(objective, n_trials, n_jobs=8, executor=client)`` runs the objective on
the executor's workers while the driver asks and tells (central ask/tell): the sampler
runs once, in the driver, sees every result, and the driver's storage keeps the study
(no storage contention between workers; a driver restarted on the same journal goes on).

Before it submits a trial the driver proposes a value for every parameter the study
has seen, with its sampler; the objective receives a :class:`RemoteTrial` whose
``suggest_*`` return those values. A parameter the study has not seen yet (or whose
distribution changed) is drawn uniformly on the worker. When the objective returns,
the parameters it used, its intermediate values and user attributes are written in the
driver, and the trial is told.

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
import pickle
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from typing import Any

import numpy as np

from fasthpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.exceptions import TrialPruned
from fasthpo.storages._heartbeat import Heartbeat, fail_stale_trials, starting_beaten_trial
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


def _run_remote(objective: Any, trial: RemoteTrial) -> tuple[RemoteTrial, str, Any]:
    """On the worker: call the objective; return the trial, how it ended, and its result or error."""
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


def _proposals(study: Any, trial: Any) -> dict[str, tuple[BaseDistribution, Any]]:
    """The sampler's value for every parameter the study has seen, as for a local trial."""
    store = study._store
    fixed = store.records[trial.number].fixed_params
    proposals = {}
    for name, distribution in zip(list(store.columns), list(store.column_distributions)):
        if name in fixed:
            continue
        internal = (distribution.internal_low if distribution.single()
                    else float(trial._proposer.values(name, distribution)[0]))
        proposals[name] = (distribution, distribution.to_external(distribution.round_internal(internal)))
    return proposals


def _internal(distribution: BaseDistribution, value: Any) -> float:
    try:
        return distribution.to_internal(value)
    except ValueError:  # a fixed (enqueued) value off the grid or outside: kept as given
        if isinstance(distribution, CategoricalDistribution):
            raise
        return distribution.encode(value)  # type: ignore[attr-defined]


def _record_result(study: Any, number: int, remote: RemoteTrial) -> None:
    """Write what the objective used and reported on the worker into the driver's study."""
    store = study._store
    for name, value in remote.params.items():
        distribution = remote.distributions[name]
        store.check_param(name, distribution)
        external = value if isinstance(distribution, CategoricalDistribution) else (
            int(value) if isinstance(distribution, IntDistribution) else float(value))
        store.set_param(number, name, distribution, _internal(distribution, value), external=external)
    for step, value in sorted(remote.intermediate_values.items()):
        store.report(number, step, value)
    for key, value in remote.user_attrs.items():
        store.set_user_attr(number, key, value)


def run_on_executor(study: Any, objective: Any, executor: Executor, n_in_flight: int, more: Any, finish: Any) -> None:
    """Keep up to ``n_in_flight`` trials on ``executor`` while ``more(started)``; ``finish`` tells each."""
    interval = study._storage.heartbeat_interval
    in_flight: dict[Any, tuple[Any, Any]] = {}
    started = 0
    try:
        while True:
            while len(in_flight) < n_in_flight and more(started):
                trial, remote = _ask(study, interval is not None)
                beat = Heartbeat(study, trial.number, interval) if interval is not None else contextlib.nullcontext()
                beat.__enter__()
                in_flight[executor.submit(_run_remote, objective, remote)] = trial, beat
                started += 1
            if not in_flight:
                return
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in done:
                trial, beat = in_flight.pop(future)
                beat.__exit__(None, None, None)
                finish(trial, *_outcome(study, trial, future))
    finally:
        for future, (trial, beat) in in_flight.items():  # an error stops the run: the rest fail, none stays RUNNING
            future.cancel()
            beat.__exit__(None, None, None)
            study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)


def _ask(study: Any, beating: bool) -> tuple[Any, RemoteTrial]:
    """A new trial of ``study`` and the :class:`RemoteTrial` that carries its proposals to a worker."""
    if beating:
        fail_stale_trials(study)
    with study._lock, (starting_beaten_trial() if beating else contextlib.nullcontext()):
        trial = study.ask()
        remote = RemoteTrial(trial.number, _proposals(study, trial), dict(study._store.records[trial.number].fixed_params),
                             int(np.random.default_rng().integers(2**63)))
    return trial, remote


def _outcome(study: Any, trial: Any, future: Any) -> tuple[str, Any]:
    """``(status, result or error)`` of a finished future, its trial's data written."""
    try:
        remote, status, payload = future.result()
    except Exception as exc:  # the task itself failed (a worker died, the result did not pickle)
        return "error", exc
    try:
        with study._lock:
            _record_result(study, trial.number, remote)
    except (ValueError, TypeError) as exc:
        return "error", exc
    return status, payload
