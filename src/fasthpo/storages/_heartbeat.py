"""Workers that die: heartbeats of running trials, stale trials failed, failed trials retried.

A storage with ``heartbeat_interval`` has each running trial of ``optimize`` beat (a
system attribute ``fasthpo:heartbeat``, the writer's ``time.time()``) every interval.
Before a worker starts a trial it fails every running trial whose last beat is older
than ``grace_period``: its worker died. The storage's ``failed_trial_callback`` then
sees each trial this worker failed (for example a :class:`RetryFailedTrialCallback`).
Workers on several hosts compare clocks: keep them in sync (NTP) within the grace period.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from fasthpo.trial_state import TrialState

__all__ = ["HEARTBEAT", "Heartbeat", "RetryFailedTrialCallback", "fail_stale_trials"]

HEARTBEAT = "fasthpo:heartbeat"

_starting = threading.local()


@contextlib.contextmanager
def starting_beaten_trial() -> Iterator[None]:
    """While entered, a trial this thread starts carries its first beat in its starting records.

    So a worker that dies right after it started a trial still leaves a beat, and the
    trial turns FAIL after the grace period like any other.
    """
    _starting.on = True
    try:
        yield
    finally:
        _starting.on = False


def first_beat() -> dict[str, float]:
    """The system attributes a trial started now carries: its first beat, under :class:`starting_beaten_trial`."""
    return {HEARTBEAT: time.time()} if getattr(_starting, "on", False) else {}


def check_heartbeat_arguments(heartbeat_interval: Any, grace_period: Any, failed_trial_callback: Any):
    """Validated ``(heartbeat_interval, grace_period, failed_trial_callback)``."""
    for name, value in (("heartbeat_interval", heartbeat_interval), ("grace_period", grace_period)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise ValueError(f"{name} must be a number > 0 or None, got {value!r}.")
    if heartbeat_interval is None and (grace_period is not None or failed_trial_callback is not None):
        raise ValueError("grace_period and failed_trial_callback need a heartbeat_interval.")
    if failed_trial_callback is not None and not callable(failed_trial_callback):
        raise TypeError(f"failed_trial_callback must be callable, got {failed_trial_callback!r}.")
    if heartbeat_interval is not None and grace_period is None:
        grace_period = 2 * heartbeat_interval
    if grace_period is not None and grace_period <= heartbeat_interval:
        raise ValueError(f"grace_period ({grace_period}) must exceed heartbeat_interval ({heartbeat_interval}).")
    return heartbeat_interval, grace_period, failed_trial_callback


class Heartbeat:
    """While entered, the trials ``numbers`` of ``study`` beat every ``interval`` seconds (one write for all)."""

    def __init__(self, study: Any, numbers: list[int], interval: float) -> None:
        self.study = study
        self.numbers = list(numbers)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fasthpo-heartbeat-{self.numbers[0]}", daemon=True)

    def _beat(self) -> bool:
        """Beat for the trials still running; ``False`` once none is."""
        with self.study._lock:  # replays touch the store the sampler reads
            store = self.study._store
            store.sync()
            running = [n for n in self.numbers if store.state_of(n) == TrialState.RUNNING]
            try:
                with self.study._storage.grouped():
                    for number in running:
                        store.set_system_attr(number, HEARTBEAT, time.time())
            except ValueError:  # one finished meanwhile (failed as stale by another worker)
                pass
        return bool(running)

    def _run(self) -> None:
        while not self._stop.wait(self.interval) and self._beat():
            pass

    def __enter__(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        self._thread.join()


def fail_stale_trials(study: Any) -> list[int]:
    """FAIL the running trials whose heartbeat stopped; return those this worker failed.

    The storage's ``failed_trial_callback`` is called on each of them.
    """
    storage = study._storage
    grace_period = storage.grace_period
    with study._lock:
        store = study._store
        store.sync()
        now = time.time()
        failed = []
        for number in range(store.n_trials):
            if store.state_of(number) != TrialState.RUNNING:
                continue
            beat = store.records[number].system_attrs.get(HEARTBEAT)
            if beat is None or now - beat <= grace_period:
                continue
            try:
                store.finish(number, TrialState.FAIL)
            except ValueError:  # another worker failed (or its worker finished) it first
                continue
            failed.append(number)
    callback = storage.failed_trial_callback
    if callback is not None:
        for number in failed:
            callback(study, study._frozen(number))
    return failed


class RetryFailedTrialCallback:
    """Enqueue a trial that failed (its worker died) again, with the same parameters.

    Give it to a storage as ``failed_trial_callback``. The new trial carries the
    system attributes ``failed_trial`` (the number of the first failed attempt) and
    ``retry_history`` (every failed attempt's number), as in Optuna.

    Parameters
    ----------
    max_retry : int, optional
        Retries of one original trial at most; unlimited when ``None``.
    inherit_intermediate_values : bool
        Copy the failed trial's intermediate values into the retry.

    Examples
    --------
    >>> import os, tempfile
    >>> import fasthpo
    >>> from fasthpo.storages import JournalFileStorage, RetryFailedTrialCallback
    >>> storage = JournalFileStorage(os.path.join(tempfile.mkdtemp(), "s.log"), heartbeat_interval=60,
    ...                              failed_trial_callback=RetryFailedTrialCallback(max_retry=3))
    >>> storage.grace_period
    120
    """

    def __init__(self, max_retry: int | None = None, inherit_intermediate_values: bool = False) -> None:
        if max_retry is not None and (isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0):
            raise ValueError(f"max_retry must be an int >= 0 or None, got {max_retry!r}.")
        self.max_retry = max_retry
        self.inherit_intermediate_values = bool(inherit_intermediate_values)

    def __call__(self, study: Any, trial: Any) -> None:
        history = self.retry_history(trial)
        if self.max_retry is not None and len(history) >= self.max_retry:
            return
        original = self.retried_trial_number(trial)
        system_attrs = {"failed_trial": trial.number if original is None else original,
                        "retry_history": [*history, trial.number]}
        intermediate = trial.intermediate_values if self.inherit_intermediate_values else {}
        with study._lock:
            study._store.enqueue_retry(dict(trial.params), dict(trial.user_attrs), system_attrs, intermediate)

    @staticmethod
    def retried_trial_number(trial: Any) -> int | None:
        """The number of the first failed attempt that ``trial`` retries, or ``None``."""
        return trial.system_attrs.get("failed_trial")

    @staticmethod
    def retry_history(trial: Any) -> list[int]:
        """The numbers of the failed attempts before ``trial``, oldest first."""
        return list(trial.system_attrs.get("retry_history", []))
