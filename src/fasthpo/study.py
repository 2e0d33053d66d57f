"""Studies: create, ask, tell, optimize, and read the results."""

from __future__ import annotations

import contextlib
import copy
import datetime
import gc
import math
import numbers
import os
import time
import uuid
import warnings
from collections.abc import Callable, Container, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from fasthpo._executor import as_executor, executor_capacity, run_on_executor
from fasthpo._progress import ProgressBar
from fasthpo.batch import BatchTrial, batch_results, check_batch_arguments, one_value
from fasthpo.core.direction import StudyDirection, minimization_signs, pareto_front_mask
from fasthpo.core.history import History, parse_directions
from fasthpo.core.propose import Proposer
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, IntDistribution, check_compatible
from fasthpo.exceptions import DuplicatedStudyError, TrialPruned
from fasthpo.pruners import BasePruner, MedianPruner
from fasthpo.samplers.base import BaseSampler
from fasthpo.storages import BaseStorage, get_storage
from fasthpo.storages._heartbeat import Heartbeat, fail_stale_trials, starting_beaten_trial
from fasthpo._kernels.trialpath import StudyLock, ask_one, frozen, tell_column, tell_value
from fasthpo.trial import FrozenTrial, Trial
from fasthpo.trial_state import TrialState

_RUNNING = int(TrialState.RUNNING)

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]

ObjectiveValue = float | Sequence[float]


def _check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None, type]:
    """Convert an objective's return value; on failure return the reason and its error type."""
    if type(values) is float and n_objectives == 1 and math.isfinite(values):  # the common case, fast
        return [values], None, ValueError
    if isinstance(values, (numbers.Real, np.ndarray)) and np.ndim(values) == 0:
        values = [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        return None, f"the objective value must be a number or a sequence of numbers, got {values!r}", TypeError
    if len(values) != n_objectives:
        return None, f"the study has {n_objectives} objective(s) but {len(values)} value(s) were given: {values!r}", ValueError
    converted = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.number)):
            return None, f"the objective value {v!r} is not a number", TypeError
        v = float(v)
        if not math.isfinite(v):
            return None, f"the objective value {v!r} is not finite", ValueError
        converted.append(v)
    return converted, None, ValueError


class Study:
    """A set of trials optimizing one or several objectives.

    Make one with :func:`create_study` or :func:`load_study`. Drive it with
    :meth:`optimize`, or by hand with :meth:`ask` and :meth:`tell`.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> for _ in range(10):
    ...     trial = study.ask()
    ...     x = trial.suggest_float("x", -5, 5)
    ...     _ = study.tell(trial, (x - 2) ** 2)
    >>> len(study.trials), study.best_params["x"] == study.best_trial.params["x"]
    (10, True)
    """

    def __init__(
        self,
        study_name: str,
        storage: BaseStorage,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self.study_name = study_name
        self._storage = storage
        self._directions, self._store = storage.load_study(study_name)
        self.sampler = sampler if sampler is not None else _default_sampler()
        self.pruner = pruner if pruner is not None else MedianPruner()
        if not isinstance(self.sampler, BaseSampler):
            raise TypeError(f"sampler must be a fasthpo sampler, got {self.sampler!r}.")
        if not isinstance(self.pruner, BasePruner):
            raise TypeError(f"pruner must be a fasthpo pruner, got {self.pruner!r}.")
        self._lock = StudyLock()
        self._history = History(self._store, self._directions, study_name, self._frozen, self._model_rows)
        self._best_number: int | None = None
        self._best_seen = 0
        self._stop_requested = False

    def _model_rows(self, history: History, number: int) -> np.ndarray | None:
        return self.pruner.model_rows(history, number)

    # ------------------------------------------------------------ directions
    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def direction(self) -> StudyDirection:
        if len(self._directions) > 1:
            raise RuntimeError("This study has several objectives; use `directions`.")
        return self._directions[0]

    # ---------------------------------------------------------------- ask/tell
    def ask(self, fixed_distributions: dict[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial; an enqueued trial goes first.

        Parameters
        ----------
        fixed_distributions : dict of str to distribution, optional
            Parameters to suggest right away, so that ``trial.params`` has them.
        """
        if fixed_distributions is not None:
            if not isinstance(fixed_distributions, dict):
                raise TypeError(f"fixed_distributions must be a dict, got {fixed_distributions!r}.")
            for name, distribution in fixed_distributions.items():
                if not isinstance(distribution, BaseDistribution):
                    raise TypeError(f"fixed_distributions[{name!r}] must be a distribution, got {distribution!r}.")
                self._store.check_param(name, distribution)
        trial = ask_one(self, Trial)
        if fixed_distributions:
            for name, distribution in fixed_distributions.items():
                trial._suggest(name, distribution)
        return trial

    def ask_batch(self, n: int) -> BatchTrial:
        """Start ``n`` trials at once; their suggestions are arrays (see :class:`fasthpo.batch.BatchTrial`).

        The sampler proposes the members together (TPE and GP spread them as running
        trials, a CMA-ES generation is a batch). Enqueued trials are run by :meth:`ask`.

        Examples
        --------
        >>> import fasthpo
        >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
        >>> batch = study.ask_batch(8)
        >>> x = batch.suggest_float("x", -5, 5)
        >>> study.tell_batch(batch, (x - 2) ** 2)
        >>> len(study.trials), bool(study.best_value == ((x - 2) ** 2).min())
        (8, True)
        """
        n = check_batch_arguments(n)
        if n == 1:  # a scalar trial with the faces of a batch: none of a batch's NumPy bookkeeping
            return BatchTrial.of_one(ask_one(self, Trial, False))
        with self._lock:
            self._store.sync()
            store = self._store
            numbers = store.create_trials([{}] * n)
            proposer = None  # made when first needed, unless the sampler has a hook to run now
            if type(self.sampler).before_trials is not BaseSampler.before_trials:
                proposer = Proposer(self.sampler, self._history, numbers, store.set_system_attr)
            batch = BatchTrial(self, numbers, proposer)
            if store._in_memory:
                batch._group = store._batches[-1]
            return batch

    def tell_batch(self, batch: BatchTrial, values: Any, states: Sequence[TrialState] | None = None) -> None:
        """Finish every member of ``batch``: ``values`` of shape ``(n,)`` (or ``(n, k)``).

        A member whose values hold NaN (or inf) fails alone; ``states`` sets COMPLETE,
        PRUNED or FAIL per member. A rejected call (wrong shape, a batch or member told
        before, a batch of another study) raises ``ValueError``/``TypeError`` and
        changes nothing. ``study.trials[-len(batch):]`` are the finished trials (when no
        other worker added trials meanwhile).
        """
        if not isinstance(batch, BatchTrial):
            raise TypeError(f"batch must be a BatchTrial from ask_batch, got {batch!r}.")
        if batch.study is not self:
            raise ValueError("The batch belongs to another study.")
        if batch._root is not batch:
            raise ValueError("Tell the whole batch, not a subset of it.")
        if batch._trial is not None and states is None and len(self._directions) == 1:
            value = one_value(values)
            if value is not None:
                self._tell_one(batch, value)
                return
        if states is None and tell_column(self, batch, values):  # the common case in memory, compiled
            return
        numbers, codes, Y = batch_results(batch, values, states, len(self._directions))
        with self._lock:
            self._store.sync()
            if batch._told:
                raise ValueError(f"{batch!r} has been told already; it cannot be told again.")
            if batch._finished_seen != self._store.n_finished:  # a trial finished since all were seen running
                span = batch._span
                states = self._store.states
                running = (states[span.start: span.stop] if span else states[batch._all]) == _RUNNING
                if not running.all():
                    raise _member_not_running(self, int(batch._all[np.argmin(running)]))
            self._store.finish_batch(numbers, codes, Y)
            batch._told = True
            self._best_seen = -1  # several trials finished at once: the best is looked up again
        if type(self.sampler).after_trial is BaseSampler.after_trial:
            return  # nothing to call for each member
        for number, state, y in zip(batch._all.tolist(), codes.tolist(), Y.tolist()):
            told = None if y[0] != y[0] else y  # a NaN row: no values
            attrs = self.sampler.after_trial(self._history, number, TrialState(state), told)
            if attrs:
                with self._lock:
                    for key, value in attrs.items():
                        self._store.set_system_attr(number, key, value)

    def _tell_one(self, batch: BatchTrial, value: float) -> None:
        """:meth:`tell_batch` of a batch of one with one number (NaN or inf: FAIL)."""
        with self._lock:
            self._store.sync()
            if batch._told:
                raise ValueError(f"{batch!r} has been told already; it cannot be told again.")
            number = batch._trial.number
            if self._store.state_of(number) != _RUNNING:
                raise _member_not_running(self, number)
            if math.isfinite(value):
                self.tell(batch._trial, value)
            else:
                self.tell(batch._trial, state=TrialState.FAIL)
            batch._told = True

    def tell(
        self,
        trial: Trial | int,
        values: ObjectiveValue | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial with its objective value(s), or as PRUNED or FAIL.

        Parameters
        ----------
        trial : Trial or int
            The trial, or its number.
        values : float or sequence of float, optional
            The objective value(s); required for COMPLETE, ignored for FAIL. For PRUNED
            without values, the last reported intermediate value is kept.
        state : TrialState, optional
            COMPLETE (the default when values are given), PRUNED or FAIL.
        skip_if_finished : bool
            Return quietly instead of raising when the trial is already finished.

        Raises
        ------
        ValueError
            Unknown or finished trial, wrong number of values, NaN or inf, bad state.
        TypeError
            A value that is not a number.
        """
        if state is None:  # the common case (one float, in memory, no hook) compiled
            snapshot = tell_value(self, trial, values)
            if snapshot is not None:
                return snapshot
        with self._lock:
            self._store.sync()
            number = self._trial_number(trial)
            current = self._store.state_of(number)
            if current != TrialState.RUNNING:
                if current == TrialState.WAITING:
                    raise ValueError(f"Trial {number} is WAITING (enqueued, not asked yet); it cannot be told.")
                if skip_if_finished:
                    return self._frozen(number)
                raise ValueError(
                    f"Trial {number} is already finished ({TrialState(current).name}); it cannot be told again."
                )
            state, converted = self._tell_arguments(number, values, state)
            self._store.finish(number, state, converted)
            self._note_finished(number, state)
            if type(self.sampler).after_trial is BaseSampler.after_trial:
                return self._frozen(number)  # no hook to call: one pass under the lock
        return self._after_trials([(number, state, converted)])[0]

    def _tell_all(self, told: list[tuple[Trial, list[float] | None, TrialState]]
                  ) -> list[FrozenTrial | ValueError]:
        """Finish each ``(trial, checked values, state)`` of ``optimize``, as one record group.

        Returns each trial frozen, or the ``ValueError`` of a trial that was no longer
        running (finished by another process); the others are told all the same.
        """
        results: list[tuple[int, TrialState, list[float] | None] | ValueError] = []
        with self._lock:
            self._store.sync()
            for trial, values, state in told:
                number = trial.number
                current = self._store.state_of(number)
                if current != TrialState.RUNNING:
                    results.append(ValueError(f"Trial {number} is already finished ({TrialState(current).name}); "
                                              "it cannot be told again."))
                    continue
                results.append((number, *self._tell_arguments(number, values, state)))
            finished = [r for r in results if not isinstance(r, ValueError)]
            if finished:
                self._store.finish_trials(finished)
                for number, state, _ in finished:
                    self._note_finished(number, state)
        frozen = iter(self._after_trials(finished))
        return [r if isinstance(r, ValueError) else next(frozen) for r in results]

    def _after_trials(self, finished: list[tuple[int, TrialState, list[float] | None]]) -> list[FrozenTrial]:
        """The sampler's ``after_trial`` of each finished ``(number, state, values)`` (its
        system attributes written as one group); each trial frozen."""
        if type(self.sampler).after_trial is not BaseSampler.after_trial:
            attrs = [self.sampler.after_trial(self._history, number, state, values)
                     for number, state, values in finished]
            with self._lock, self._storage.grouped():
                for (number, _, _), trial_attrs in zip(finished, attrs):
                    for key, value in (trial_attrs or {}).items():
                        self._store.set_system_attr(number, key, value)
        with self._lock:
            return [self._frozen(number) for number, _, _ in finished]

    def _trial_number(self, trial: Trial | int) -> int:
        if type(trial) is Trial or isinstance(trial, Trial):
            if trial.study is not self:
                raise ValueError(f"Trial {trial.number} belongs to another study.")
            return trial.number
        if isinstance(trial, bool) or not isinstance(trial, numbers.Integral):
            raise TypeError(f"trial must be a Trial or a trial number, got {trial!r}.")
        if not 0 <= trial < self._store.n_trials:
            raise ValueError(f"Unknown trial number {trial!r}: the study has {self._store.n_trials} trials.")
        return int(trial)

    def _tell_arguments(self, number: int, values: Any, state: Any) -> tuple[TrialState, list[float] | None]:
        if state is None:
            if values is None:
                raise ValueError("Give the objective value(s), or a state of PRUNED or FAIL.")
            state = TrialState.COMPLETE
        if not isinstance(state, TrialState) or not state.is_finished():
            raise ValueError(f"state must be TrialState.COMPLETE, PRUNED or FAIL, got {state!r}.")
        if state == TrialState.FAIL:
            return state, None
        if state == TrialState.PRUNED and values is None:
            return state, self._last_intermediate(number)
        if values is None:
            raise ValueError("A COMPLETE trial needs its objective value(s).")
        converted, problem, error = _check_values(values, len(self._directions))
        if problem is not None:
            raise error(f"Cannot tell trial {number}: {problem}.")
        return state, converted

    def _last_intermediate(self, number: int) -> list[float] | None:
        intermediate = self._store.records[number].intermediate_values
        if len(self._directions) > 1 or not intermediate:
            return None
        value = intermediate[max(intermediate)]
        return [value] if math.isfinite(value) else None

    # ------------------------------------------------------------- optimize
    def optimize(
        self,
        func: Callable[[Trial], ObjectiveValue],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
        executor: Any = None,
        batch_size: int | None = None,
    ) -> None:
        """Run the objective ``func`` on new trials until ``n_trials`` or ``timeout`` is reached.

        Parameters
        ----------
        func : callable
            The objective: ``func(trial)`` returns the value (or a sequence, one per objective).
            Raising :class:`fasthpo.TrialPruned` ends the trial as PRUNED.
        n_trials : int, optional
            Number of trials to run (with ``timeout``, whichever comes first).
        timeout : float, optional
            Seconds after which no new trial starts.
        n_jobs : int
            Threads running trials in parallel; ``-1`` means one per CPU. With an
            ``executor``: tasks in flight at once, each a chunk of trials run one after
            the other (``-1``: the executor's workers).
        catch : exception type or tuple of them
            Exceptions that fail the trial but let the study go on; any other
            exception fails the trial and is raised again.
        callbacks : list of callable, optional
            ``callback(study, frozen_trial)`` after each finished trial.
        gc_after_trial : bool
            Run the garbage collector after each trial.
        show_progress_bar : bool
            Draw a progress bar with the best value on standard error.
        executor : concurrent.futures.Executor or dask.distributed.Client, optional
            Run the objective on this executor's workers, the sampler staying here
            (see :mod:`fasthpo._executor`: the objective gets a trial whose suggestions
            the sampler proposed here; ``should_prune()`` is always ``False`` there).
        batch_size : int, optional
            Run a vectorized objective: ``func(batch)`` receives a
            :class:`~fasthpo.batch.BatchTrial` of up to ``batch_size`` trials and returns
            an array of their values (NaN fails a member). Raising
            :class:`fasthpo.TrialPruned` prunes the whole batch. Needs ``n_jobs=1``.

        Examples
        --------
        >>> import fasthpo
        >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda batch: batch.suggest_float("x", -1, 1) ** 2, n_trials=1000, batch_size=100)
        >>> len(study.trials), study.best_value < 1e-3
        (1000, True)
        """
        pool = None
        if executor is not None:
            pool = as_executor(executor)
            if n_jobs == -1:
                n_jobs = executor_capacity(executor)
        n_trials, timeout, n_jobs, catch = _check_optimize_arguments(func, n_trials, timeout, n_jobs, catch)
        if batch_size is not None:
            batch_size = check_batch_arguments(batch_size)
            if n_jobs != 1 or pool is not None:
                raise ValueError("batch_size runs one vectorized objective at a time, here: n_jobs must be 1 and "
                                 f"executor None, got n_jobs={n_jobs}, executor={executor!r}.")
        callbacks = list(callbacks or [])
        progress = ProgressBar(n_trials, timeout) if show_progress_bar else None
        deadline = None if timeout is None else time.monotonic() + timeout
        run = _TrialRunner(self, func, catch, callbacks, gc_after_trial, progress)

        def more(started: int) -> bool:
            return (
                not self._stop_requested
                and (n_trials is None or started < n_trials)
                and (deadline is None or time.monotonic() < deadline)
                and self.sampler.n_remaining(self._history) != 0
            )

        self._stop_requested = False
        try:
            if pool is not None:
                run_on_executor(self, func, pool, n_jobs, more, run.finish_all)
            elif batch_size is not None:
                started = 0
                while more(started):
                    size = batch_size if n_trials is None else min(batch_size, n_trials - started)
                    remaining = self.sampler.n_remaining(self._history)
                    run.batch(size if remaining is None else min(size, remaining))
                    started += size
            elif n_jobs == 1:
                started = 0
                while more(started):
                    run()
                    started += 1
            else:
                _run_in_threads(run, more, n_jobs, self.sampler)
        finally:
            self._stop_requested = False
            if progress is not None:
                progress.close()

    def stop(self) -> None:
        """Ask a running :meth:`optimize` to start no new trial (running ones finish)."""
        self._stop_requested = True

    # ------------------------------------------------------------- enqueue
    def enqueue_trial(
        self, params: dict[str, Any], user_attrs: dict[str, Any] | None = None, skip_if_exists: bool = False
    ) -> None:
        """Queue a trial whose listed parameters take the given values.

        The next :meth:`ask` returns it; its suggestions of those names return the
        queued values, other names are sampled as usual.
        """
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise TypeError(f"params must be a dict with str keys, got {params!r}.")
        if user_attrs is not None and not isinstance(user_attrs, dict):
            raise TypeError(f"user_attrs must be a dict, got {user_attrs!r}.")
        with self._lock:
            self._store.sync()
            if skip_if_exists and any(r.fixed_params == params or r.params == params for r in self._store.records):
                return
            self._store.create_trial(TrialState.WAITING, fixed_params=params, user_attrs=user_attrs)

    # ----------------------------------------------------------- add trials
    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a trial made elsewhere (:func:`fasthpo.create_trial`, another study).

        It gets the next trial number. A finished trial counts for the samplers and the
        bests; a WAITING trial is enqueued with its parameters, like :meth:`enqueue_trial`
        (they show in ``params`` once it runs); a RUNNING one waits for :meth:`tell`.
        Missing datetimes are taken as now.

        Raises
        ------
        TypeError, ValueError
            A trial that is not a :class:`fasthpo.FrozenTrial`, whose fields are
            inconsistent, whose number of values differs from the study's objectives, or
            whose parameter distributions clash with the study's; the study is unchanged.

        Examples
        --------
        >>> import fasthpo
        >>> study = fasthpo.create_study()
        >>> study.add_trial(fasthpo.create_trial(params={"x": 1}, value=3.0,
        ...                                      distributions={"x": fasthpo.IntDistribution(0, 9)}))
        >>> study.best_params
        {'x': 1}
        """
        self.add_trials([trial])

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several trials with :meth:`add_trial`; if any is rejected, none is added.

        Examples
        --------
        >>> import fasthpo
        >>> source = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
        >>> source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> study = fasthpo.create_study()
        >>> study.add_trials(source.trials)
        >>> [t.params for t in study.trials] == [t.params for t in source.trials]
        True
        """
        if isinstance(trials, FrozenTrial) or not isinstance(trials, Iterable):
            raise TypeError(f"trials must be an iterable of FrozenTrial, got {trials!r}.")
        trials = list(trials)
        with self._lock:
            self._store.sync()
            added: dict[str, BaseDistribution] = {}
            for trial in trials:
                self._check_added(trial, added)
            for trial in trials:
                self._write_added(trial)

    def _check_added(self, trial: Any, added: dict[str, BaseDistribution]) -> None:
        if not isinstance(trial, FrozenTrial):
            raise TypeError(f"add_trial takes a fasthpo.FrozenTrial (see fasthpo.create_trial), got {trial!r}.")
        trial._check()
        if trial.values is not None and len(trial.values) != len(self._directions):
            raise ValueError(
                f"The trial has {len(trial.values)} value(s) but the study has {len(self._directions)} objective(s)."
            )
        for name, distribution in trial.distributions.items():
            self._store.check_param(name, distribution)
            if name in added:
                check_compatible(name, added[name], distribution)
            added.setdefault(name, distribution)
        self._storage.check_storable(trial.user_attrs, trial.system_attrs, list(trial.distributions.values()))

    def _write_added(self, trial: FrozenTrial, fixed_params: dict[str, Any] | None = None) -> None:
        """Append a checked trial; ``fixed_params`` are its enqueued values (in a copy)."""
        store = self._store
        if trial.state == TrialState.WAITING:
            number = store.create_trial(TrialState.WAITING, fixed_params={**trial.params, **(fixed_params or {})},
                                        user_attrs=trial.user_attrs)
        else:
            number = store.create_trial(TrialState.RUNNING, fixed_params=fixed_params, user_attrs=trial.user_attrs,
                                        datetime_start=trial.datetime_start)
            for name, value in trial.params.items():
                distribution = trial.distributions[name]
                internal = distribution.to_internal(value)
                store.set_param(number, name, distribution, internal, external=_external(distribution, value))
            for step, value in trial.intermediate_values.items():
                store.report(number, int(step), float(value))
        for key, value in trial.system_attrs.items():
            store.set_system_attr(number, key, value)
        if trial.state.is_finished():
            store.finish(number, trial.state, trial.values, trial.datetime_complete)
            self._note_finished(number, trial.state)

    # ------------------------------------------------------------- results
    def _note_finished(self, number: int, state: TrialState) -> None:
        """Keep the best trial up to date in O(1) when this process told the trial."""
        in_sync = self._best_seen == self._store.n_finished - 1
        if state == TrialState.COMPLETE and len(self._directions) == 1:
            if self._best_number is None or self._better(number, self._best_number):
                self._best_number = number
        if in_sync:
            self._best_seen = self._store.n_finished

    def _better(self, a: int, b: int) -> bool:
        ya, yb = self._store.Y[a, 0], self._store.Y[b, 0]
        return ya < yb if self._directions[0] == StudyDirection.MINIMIZE else ya > yb

    def _best_trial_number(self) -> int:
        if len(self._directions) > 1:
            raise RuntimeError("A multi-objective study has no single best trial; use `best_trials`.")
        with self._lock:
            self._store.sync()
            store = self._store
            if store.n_finished != self._best_seen:  # trials finished elsewhere (another process)
                complete = np.flatnonzero(store.states == TrialState.COMPLETE)
                if complete.size:
                    y = store.Y[complete, 0]
                    pick = np.argmin(y) if self._directions[0] == StudyDirection.MINIMIZE else np.argmax(y)
                    self._best_number = int(complete[pick])
                self._best_seen = store.n_finished
            if self._best_number is None:
                raise ValueError("No trial is complete yet, so there is no best trial.")
            if store.violation[self._best_number] > 0:
                return self._best_feasible_number()
            return self._best_number

    def _best_feasible_number(self) -> int:
        store = self._store
        feasible = np.flatnonzero((store.states == TrialState.COMPLETE) & ~(store.violation > 0))
        if not feasible.size:
            raise ValueError("No feasible trial is complete yet, so there is no best trial.")
        y = store.Y[feasible, 0]
        return int(feasible[np.argmin(y) if self._directions[0] == StudyDirection.MINIMIZE else np.argmax(y)])

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value (single objective).

        In a constrained study (see :meth:`fasthpo.Trial.set_constraint`) the best among
        the feasible trials: those whose constraint values are all <= 0, or that have none.
        ``ValueError`` when no trial (no feasible trial) is complete.
        """
        return self._frozen(self._best_trial_number())

    @property
    def best_value(self) -> float:
        return float(self._store.Y[self._best_trial_number(), 0])

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self._store.records[self._best_trial_number()].params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front: complete trials that no other complete trial dominates.

        When any trial has constraints, only feasible trials (constraint values all <= 0,
        or none) count, as in :attr:`best_trial`; the front may then be empty.
        """
        with self._lock:
            self._store.sync()
            store = self._store
            complete = np.flatnonzero((store.states == TrialState.COMPLETE) & ~(store.violation > 0))  # NaN: none
            front = complete[pareto_front_mask(self._store.Y[complete] * minimization_signs(self._directions))]
            return [self._frozen(int(n)) for n in front]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, in order of number (copies)."""
        return self.get_trials()

    def get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials in order of number, optionally only those in ``states``."""
        with self._lock:
            self._store.sync()
            numbers = range(self._store.n_trials)
            if states is not None:
                wanted = np.array([int(s) for s in TrialState if s in states], dtype=np.int8)
                numbers = np.flatnonzero(np.isin(self._store.states, wanted)).tolist()
            trials = [self._frozen(n) for n in numbers]
        return copy.deepcopy(trials) if deepcopy else trials

    def _frozen(self, number: int) -> FrozenTrial:
        return frozen(self._store, number, FrozenTrial)

    def trials_dataframe(
        self,
        attrs: tuple[str, ...] = (
            "number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs",
            "system_attrs", "state",
        ),
        multi_index: bool = False,
    ):
        """The trials as a ``pandas.DataFrame`` with Optuna's columns (needs the ``pandas`` extra).

        Parameters
        ----------
        attrs : tuple of str
            Trial attributes to include. A plain attribute is one column (``state`` by its
            name); a dict attribute (``params``, ``user_attrs``, ``system_attrs``,
            ``intermediate_values``, ``distributions``) gives a column per key, keys sorted;
            ``value`` becomes ``values_0``, ``values_1``, ... in a study of several objectives.
        multi_index : bool
            Columns as ``(attribute, key)`` pairs instead of ``attribute_key`` names.

        Examples
        --------
        >>> import fasthpo
        >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("y", 0, 1) + t.suggest_float("x", 0, 1), n_trials=3)
        >>> study.trials_dataframe(attrs=("number", "value", "params", "state")).columns.tolist()
        ['number', 'value', 'params_x', 'params_y', 'state']
        >>> study.trials_dataframe(attrs=("number", "params"), multi_index=True).columns.tolist()
        [('number', ''), ('params', 'x'), ('params', 'y')]
        """
        from fasthpo._dataframe import trials_dataframe

        return trials_dataframe(self, attrs, multi_index)

    # ---------------------------------------------------------- user attrs
    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(self.study_name)

    def set_user_attr(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"key must be a str, got {key!r}.")
        self._storage.set_study_user_attr(self.study_name, key, value)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (and deep-copy) without the lock, which is per process."""
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = StudyLock()

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={[d.name for d in self._directions]}, n_trials={self._store.n_trials})"


class _TrialRunner:
    """Runs one trial (or batch) of ``optimize``: ask, call the objective, tell, callbacks."""

    def __init__(self, study, objective, catch, callbacks, gc_after_trial, progress) -> None:
        self.study = study
        self.objective = objective
        self.catch = catch
        self.callbacks = callbacks
        self.gc_after_trial = gc_after_trial
        self.progress = progress

    def batch(self, n: int) -> None:
        study = self.study
        batch = study.ask_batch(n)
        states, error = None, None
        try:
            values = self.objective(batch)
        except TrialPruned:
            values, states = _no_values(study, n), [TrialState.PRUNED] * n
        except BaseException as exc:
            values, states, error = _no_values(study, n), [TrialState.FAIL] * n, exc
            warnings.warn(f"Trials {batch.numbers.tolist()} failed: {exc!r}", UserWarning, stacklevel=3)
        try:
            study.tell_batch(batch, values, states)
        except (TypeError, ValueError) as exc:  # the objective returned no array of n values
            warnings.warn(f"Trials {batch.numbers.tolist()} failed: {exc}", UserWarning, stacklevel=3)
            study.tell_batch(batch, _no_values(study, n), [TrialState.FAIL] * n)
        if self.gc_after_trial:
            gc.collect()
        if error is not None and not isinstance(error, self.catch):
            raise error
        if self.callbacks or self.progress is not None:
            for number in batch.numbers.tolist():
                trial = study._frozen(number)
                for callback in self.callbacks:
                    callback(study, trial)
                if self.progress is not None:
                    self.progress.update(study, trial)

    def __call__(self) -> None:
        study = self.study
        interval = study._storage.heartbeat_interval
        if interval is None:
            trial = study.ask()
            study._store.hold_params(trial.number)  # told below, whatever happens
        else:
            fail_stale_trials(study)
            with starting_beaten_trial():
                trial = study.ask()
        try:
            with Heartbeat(study, [trial.number], interval) if interval is not None else contextlib.nullcontext():
                result = self.objective(trial)
        except TrialPruned:
            self.finish(trial, "pruned", None)
        except BaseException as exc:  # the trial fails whatever happened, then we decide
            self.finish(trial, "error", exc)
        else:
            self.finish(trial, "complete", result)

    def finish(self, trial: Trial, status: str, payload: Any) -> None:
        """Tell ``trial`` how its objective ended (``payload``: its result or error), then callbacks."""
        self.finish_all([(trial, status, payload)])

    def finish_all(self, outcomes: list[tuple[Trial, str, Any]]) -> None:
        """Tell each ``(trial, status, payload)`` how its objective ended (``payload``: its result
        or error), all as one record group; then, trial by trial, the callbacks.

        An error the objective raised that is not in ``catch`` (or one a callback raised)
        is raised once every trial is told and the other trials' callbacks ran.
        """
        study = self.study
        told, errors = [], []
        for trial, status, payload in outcomes:
            values, state, error = None, TrialState.COMPLETE, None
            if status == "pruned":
                state = TrialState.PRUNED
            elif status == "error":
                state, error = TrialState.FAIL, payload
                warnings.warn(f"Trial {trial.number} failed: {payload!r}", UserWarning, stacklevel=4)
            else:
                values, problem, _ = _check_values(payload, len(study._directions))
                if problem is not None:
                    state = TrialState.FAIL
                    warnings.warn(f"Trial {trial.number} failed: {problem}.", UserWarning, stacklevel=4)
            told.append((trial, values, state))
            errors.append(error)
        first_error = None
        for frozen, error in zip(study._tell_all(told), errors):
            if self.gc_after_trial:
                gc.collect()
            try:
                if isinstance(frozen, BaseException):
                    raise frozen
                if error is not None and not isinstance(error, self.catch):
                    raise error
                for callback in self.callbacks:
                    callback(study, frozen)
                if self.progress is not None:
                    self.progress.update(study, frozen)
            except BaseException as exc:  # the other trials' callbacks run first
                first_error = first_error or exc
        if first_error is not None:
            raise first_error


def _member_not_running(study: Study, number: int) -> ValueError:
    """The error of telling a batch whose member ``number`` has finished."""
    return ValueError(f"Trial {number} of the batch is already {TrialState(study._store.state_of(number)).name}; "
                      "the batch cannot be told.")


def _no_values(study: Study, n: int) -> np.ndarray:
    """What a failed or pruned batch of ``n`` trials is told."""
    return np.full((n, len(study.directions)), np.nan)


def _run_in_threads(run: _TrialRunner, more: Callable[[int], bool], n_jobs: int, sampler: BaseSampler) -> None:
    sampler.reseed_rng()
    started = 0
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        running = set()
        while True:
            while len(running) < n_jobs and more(started):
                running.add(pool.submit(run))
                started += 1
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # re-raise an error not in `catch`


def _check_optimize_arguments(objective, n_trials, timeout, n_jobs, catch):
    if not callable(objective):
        raise TypeError(f"objective must be callable, got {objective!r}.")
    if n_trials is not None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral):
            raise TypeError(f"n_trials must be an int or None, got {n_trials!r}.")
        if n_trials < 0:
            raise ValueError(f"n_trials must be >= 0, got {n_trials!r}.")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout >= 0:
            raise ValueError(f"timeout must be a number >= 0 or None, got {timeout!r}.")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1, got {n_jobs!r}.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if isinstance(catch, type):
        catch = (catch,)
    catch = tuple(catch)
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise TypeError(f"catch must be exception types, got {catch!r}.")
    return n_trials, timeout, int(n_jobs), catch


def _external(distribution: BaseDistribution, value: Any) -> Any:
    """The user value a study stores for ``value`` (contained in ``distribution``)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.to_external(distribution.to_internal(value))
    return int(value) if isinstance(distribution, IntDistribution) else float(value)


def _default_sampler() -> BaseSampler:
    from fasthpo.samplers import TPESampler

    return TPESampler()


def create_study(
    storage: BaseStorage | str | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
) -> Study:
    """Create a new study.

    Parameters
    ----------
    storage : storage or str, optional
        Where trials live; in memory by default. A str is the path of a journal file
        shared by processes (see :mod:`fasthpo.storages`).
    sampler : BaseSampler, optional
        Defaults to :class:`fasthpo.samplers.TPESampler`.
    pruner : BasePruner, optional
        Defaults to :class:`fasthpo.pruners.MedianPruner`.
    study_name : str, optional
        A name, unique in the storage; generated when omitted.
    direction : {"minimize", "maximize"}, optional
        For one objective (default "minimize").
    load_if_exists : bool
        Load the study of that name if the storage has it, instead of failing.
    directions : list of {"minimize", "maximize"}, optional
        One per objective, for several objectives.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(directions=["minimize", "maximize"])
    >>> [d.name for d in study.directions]
    ['MINIMIZE', 'MAXIMIZE']
    """
    parsed = parse_directions(direction, directions)
    storage = get_storage(storage)
    if study_name is None:
        study_name = f"no-name-{uuid.uuid4()}"
    elif not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str, got {study_name!r}.")
    if load_if_exists and study_name in storage.get_all_study_names():
        return _load_existing(study_name, storage, sampler, pruner, parsed)
    try:
        storage.create_study(study_name, parsed)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        # another process created it between our look and our create
        return _load_existing(study_name, storage, sampler, pruner, parsed)
    return Study(study_name, storage, sampler, pruner)


def _load_existing(study_name, storage, sampler, pruner, directions) -> Study:
    study = Study(study_name, storage, sampler, pruner)
    if study.directions != directions:
        raise ValueError(
            f"Study {study_name!r} exists with directions {[d.name for d in study.directions]}, "
            f"not {[d.name for d in directions]}."
        )
    return study


def load_study(
    study_name: str,
    storage: BaseStorage | str,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    *,
    skip_corrupt: bool = False,
) -> Study:
    """Load the study ``study_name`` from ``storage``.

    Parameters
    ----------
    study_name : str
        The study's name in the storage.
    storage : storage or str
        A storage object, or the path of a journal file (``"study.log"`` or
        ``"journal:///abs/path/study.log"``) that other processes may be writing.
    sampler, pruner : optional
        As in :func:`create_study`; samplers and pruners are not stored.
    skip_corrupt : bool
        For a journal given by its path or URL: load around lines that cannot be read,
        with a warning naming each, instead of failing (the file is not changed;
        ``fasthpo journal repair`` writes a repaired copy).
    """
    if storage is None:
        raise ValueError("load_study needs a storage (an in-memory study lives only in its object).")
    if skip_corrupt is not False:
        if not isinstance(storage, (str, os.PathLike)):
            raise ValueError("skip_corrupt applies to a journal given by its path or URL; for a storage object "
                             "pass skip_corrupt to its constructor, e.g. JournalFileStorage(path, skip_corrupt=True).")
        storage = get_storage(storage, skip_corrupt=skip_corrupt, create=False)
    return Study(study_name, get_storage(storage, create=False), sampler, pruner)


def copy_study(
    *,
    from_study_name: str,
    from_storage: BaseStorage | str,
    to_storage: BaseStorage | str,
    to_study_name: str | None = None,
) -> None:
    """Copy a study, with every trial and its user attributes, to another storage.

    Parameters
    ----------
    from_study_name : str
        The study to copy.
    from_storage, to_storage : storage or str
        Where it is and where the copy goes (a storage object or a journal file path).
    to_study_name : str, optional
        The copy's name; ``from_study_name`` by default.

    Raises
    ------
    fasthpo.DuplicatedStudyError
        When ``to_storage`` already has a study of that name.

    Examples
    --------
    >>> import fasthpo
    >>> storage = fasthpo.storages.InMemoryStorage()
    >>> study = fasthpo.create_study(study_name="a", storage=storage)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> fasthpo.copy_study(from_study_name="a", from_storage=storage, to_storage=storage, to_study_name="b")
    >>> fasthpo.load_study(study_name="b", storage=storage).trials == study.trials
    True
    """
    source = load_study(study_name=from_study_name, storage=from_storage)
    if to_study_name is not None and not isinstance(to_study_name, str):
        raise TypeError(f"to_study_name must be a str or None, got {to_study_name!r}.")
    to_storage = _named_storage(to_storage, create=True)
    with source._lock:
        source._store.sync()
        trials = source.get_trials(deepcopy=False)
        for trial in trials:
            to_storage.check_storable(trial.user_attrs, trial.system_attrs, list(trial.distributions.values()))
        target = create_study(
            storage=to_storage,
            study_name=from_study_name if to_study_name is None else to_study_name,
            directions=source.directions,
        )
        try:
            for key, value in source.user_attrs.items():
                target.set_user_attr(key, value)
            with target._lock:
                for trial, record in zip(trials, source._store.records):
                    target._write_added(trial, record.fixed_params)
        except BaseException:
            to_storage.delete_study(target.study_name)
            raise


def delete_study(*, study_name: str, storage: BaseStorage | str) -> None:
    """Delete the study ``study_name`` and its trials from ``storage``.

    Raises ``KeyError`` when the storage has no such study.

    Examples
    --------
    >>> import fasthpo
    >>> storage = fasthpo.storages.InMemoryStorage()
    >>> _ = fasthpo.create_study(study_name="a", storage=storage)
    >>> fasthpo.delete_study(study_name="a", storage=storage)
    >>> fasthpo.get_all_study_names(storage)
    []
    """
    if not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str, got {study_name!r}.")
    _named_storage(storage).delete_study(study_name)


def get_all_study_names(storage: BaseStorage | str) -> list[str]:
    """The names of every study in ``storage``.

    Examples
    --------
    >>> import fasthpo
    >>> storage = fasthpo.storages.InMemoryStorage()
    >>> _ = fasthpo.create_study(study_name="a", storage=storage)
    >>> fasthpo.get_all_study_names(storage)
    ['a']
    """
    return list(_named_storage(storage).get_all_study_names())


@dataclass
class StudySummary:
    """What :func:`get_all_study_summaries` tells about one study.

    ``best_trial`` is the study's :attr:`Study.best_trial` (the best feasible trial),
    ``None`` for several objectives, without a complete (feasible) trial, or when not
    asked for; ``datetime_start`` is the earliest trial start.
    """

    study_name: str
    directions: list[StudyDirection]
    best_trial: FrozenTrial | None
    user_attrs: dict[str, Any]
    n_trials: int
    datetime_start: datetime.datetime | None

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) > 1:
            raise RuntimeError("This study has several objectives; use `directions`.")
        return self.directions[0]


def get_all_study_summaries(storage: BaseStorage | str, include_best_trial: bool = True) -> list[StudySummary]:
    """A :class:`StudySummary` of every study in ``storage``.

    Examples
    --------
    >>> import fasthpo
    >>> storage = fasthpo.storages.InMemoryStorage()
    >>> study = fasthpo.create_study(study_name="a", storage=storage)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> [(s.study_name, s.n_trials, s.best_trial.value == study.best_value)
    ...  for s in fasthpo.get_all_study_summaries(storage)]
    [('a', 3, True)]
    """
    if not isinstance(include_best_trial, bool):
        raise TypeError(f"include_best_trial must be a bool, got {include_best_trial!r}.")
    storage = _named_storage(storage)
    summaries = []
    for name in storage.get_all_study_names():
        study = Study(name, storage)
        best = None
        if include_best_trial and len(study.directions) == 1:
            try:
                best = study.best_trial
            except ValueError:  # no complete (feasible) trial
                pass
        starts = [r.datetime_start for r in study._store.records if r.datetime_start is not None]
        summaries.append(StudySummary(name, study.directions, best, study.user_attrs, study._store.n_trials,
                                      min(starts, default=None)))
    return summaries


def _named_storage(storage: Any, create: bool = False) -> BaseStorage:
    if storage is None:
        raise ValueError("storage must be given (a storage object or a journal file path), got None.")
    return get_storage(storage, create=create)


class MaxTrialsCallback:
    """Stop :meth:`Study.optimize` once the study has ``n_trials`` trials in ``states``.

    Counts every trial of the study, also those run by other processes or earlier
    calls, so several workers together stop at a total.

    Parameters
    ----------
    n_trials : int
        How many trials in ``states`` make the study stop.
    states : container of TrialState, optional
        The states counted (COMPLETE by default); ``None`` counts every trial.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100,
    ...                callbacks=[fasthpo.study.MaxTrialsCallback(5)])
    >>> len(study.trials)
    5
    """

    def __init__(self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 0:
            raise ValueError(f"n_trials must be an int >= 0, got {n_trials!r}.")
        if states is not None:
            if not isinstance(states, Container) or isinstance(states, (str, bytes)):
                raise TypeError(f"states must be a container of TrialState or None, got {states!r}.")
            codes = [int(s) for s in TrialState if s in states]
            if not codes:
                raise ValueError(f"states must contain at least one TrialState, got {states!r}.")
        self._n_trials = int(n_trials)
        self._states = states
        self._codes = None if states is None else np.array(codes, dtype=np.int8)

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        states = study._store.states
        counted = len(states) if self._codes is None else int(np.count_nonzero(np.isin(states, self._codes)))
        if counted >= self._n_trials:
            study.stop()
