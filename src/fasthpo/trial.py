"""Trials: the define-by-run handle an objective receives, and finished snapshots."""

from __future__ import annotations

import datetime
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fasthpo._constraints import (
    CONSTRAINTS_KEY,
    checked_constraint,
    constraint_key,
    constraint_values,
    constraints_of,
)
from fasthpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from fasthpo._kernels.trialpath import TrialCore, frozen_fields  # the compiled scalar path
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.core.propose import Proposer
    from fasthpo.study import Study

__all__ = ["FrozenTrial", "Trial", "create_trial"]


class FrozenTrial:
    """A snapshot of one trial: what it tried, what it got, and when.

    ``value`` is the single objective value (``None`` unless COMPLETE, or PRUNED with a
    reported intermediate value); ``values`` holds every objective. The constructor takes
    Optuna's arguments; :func:`create_trial` is the short way to make one for
    :meth:`fasthpo.Study.add_trial`. ``trial_id`` is accepted for Optuna code and kept,
    but fasthpo identifies trials by ``number``.

    Examples
    --------
    >>> import datetime
    >>> from fasthpo import FloatDistribution, FrozenTrial, TrialState
    >>> now = datetime.datetime.now()
    >>> trial = FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.5, datetime_start=now,
    ...                     datetime_complete=now, params={"x": 0.5},
    ...                     distributions={"x": FloatDistribution(0, 1)}, user_attrs={},
    ...                     system_attrs={}, intermediate_values={}, trial_id=0)
    >>> trial.values, trial.duration
    ([0.5], datetime.timedelta(0))
    """

    __slots__ = ("__dict__", "_told")  # _told: (store, number) of a snapshot Study.tell returned, not built yet

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise ValueError(f"Give value or values, not both (got value={value!r}, values={values!r}).")
        self.number = number
        self.state = state
        self.values = [value] if value is not None else None if values is None else list(values)
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = params
        self.distributions = distributions
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self.trial_id = trial_id

    def __getattr__(self, name: str) -> Any:
        """A field of a snapshot :meth:`fasthpo.Study.tell` returned, built on first read
        (from the finished trial, which the study no longer changes)."""
        if name != "_told" and not name.startswith("__") and getattr(self, "_told", None) is not None:
            fields = self._fields()
            if name in fields:
                return fields[name]
        raise AttributeError(f"'FrozenTrial' object has no attribute {name!r}")

    def _fields(self) -> dict[str, Any]:
        """The snapshot's fields (its ``__dict__``), built first if they are not yet."""
        told = getattr(self, "_told", None)
        if told is not None:
            self._told = None
            vars(self).update(frozen_fields(*told))
        return vars(self)

    def __getstate__(self) -> dict[str, Any]:
        return self._fields()

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)

    def __eq__(self, other: object) -> bool:
        return type(other) is FrozenTrial and self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._fields().items())
        return f"FrozenTrial({fields})"

    @property
    def value(self) -> float | None:
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError("This trial has several objective values; use `values`.")
        return self.values[0]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def constraints(self) -> dict[str, float]:
        """Constraint values by name (feasible when all are <= 0), empty if the trial has none."""
        return constraints_of(self.system_attrs)

    def set_constraint(self, key: str, value: float) -> None:
        """Set the constraint ``key`` to ``value`` (before :meth:`fasthpo.Study.add_trial`);
        setting a key again keeps the first value, with a warning."""
        value = checked_constraint(key, value)
        if constraint_key(key) in self.system_attrs:
            warnings.warn(f"Constraint {key!r} of trial {self.number} is already set; {value!r} is ignored.",
                          UserWarning, stacklevel=2)
            return
        self.system_attrs[constraint_key(key)] = value

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    def _check(self) -> None:
        """Raise ``TypeError``/``ValueError`` naming the first field a study cannot take."""
        if not isinstance(self.state, TrialState):
            raise TypeError(f"state must be a TrialState, got {self.state!r}.")
        self._check_values()
        for name in ("params", "distributions", "user_attrs", "system_attrs", "intermediate_values"):
            if not isinstance(getattr(self, name), dict):
                raise TypeError(f"{name} must be a dict, got {getattr(self, name)!r}.")
        for name in ("user_attrs", "system_attrs"):
            for key in getattr(self, name):
                if not isinstance(key, str):
                    raise TypeError(f"{name} keys must be str, got {key!r}.")
        self._check_params()
        for step, value in self.intermediate_values.items():
            if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
                raise ValueError(f"intermediate_values steps must be ints >= 0, got {step!r}.")
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"intermediate value {value!r} at step {step} is not a real number.")
        for name in ("datetime_start", "datetime_complete"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), datetime.datetime):
                raise TypeError(f"{name} must be a datetime or None, got {getattr(self, name)!r}.")

    def _check_values(self) -> None:
        values = self.values
        if values is not None and any(
            isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) for v in values
        ):
            raise ValueError(f"values must be finite numbers, got {values!r}.")
        if self.state == TrialState.COMPLETE and not values:
            raise ValueError("A COMPLETE trial needs its value (or values).")
        if self.state not in (TrialState.COMPLETE, TrialState.PRUNED) and values is not None:
            raise ValueError(f"A {self.state.name} trial has no values, got {values!r}.")

    def _check_params(self) -> None:
        if set(self.params) != set(self.distributions):
            raise ValueError(
                f"params and distributions must have the same names, got {sorted(map(str, self.params))} "
                f"and {sorted(map(str, self.distributions))}."
            )
        for name, value in self.params.items():
            _check_name(name)
            distribution = self.distributions[name]
            if not isinstance(distribution, BaseDistribution):
                raise TypeError(f"distributions[{name!r}] must be a fasthpo distribution, got {distribution!r}.")
            if not distribution.contains(value):
                raise ValueError(f"The value {value!r} of parameter {name!r} is not in {distribution!r}.")


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: dict[str, float] | None = None,
) -> FrozenTrial:
    """A finished (or WAITING) trial made by hand, for :meth:`fasthpo.Study.add_trial`.

    Parameters
    ----------
    state : TrialState
        COMPLETE by default; PRUNED, FAIL, WAITING (added as enqueued) or RUNNING.
    value, values : float or sequence of float, optional
        The objective value(s), required for COMPLETE; give one of the two.
    params, distributions : dict, optional
        Parameter values and their distributions, with the same names.
    user_attrs, system_attrs, intermediate_values : dict, optional
        As a trial run by a study would have them.
    constraints : dict of str to float, optional
        Constraint values by name, as :meth:`fasthpo.Trial.set_constraint` sets them.

    Raises
    ------
    ValueError, TypeError
        A field the trial cannot have (a value outside its distribution, NaN values,
        values for a FAIL trial, ...), named in the message.

    Examples
    --------
    >>> import fasthpo
    >>> trial = fasthpo.create_trial(params={"x": 2.0}, distributions={"x": fasthpo.FloatDistribution(0, 5)},
    ...                              value=4.0, constraints={"x <= 1": 1.0})
    >>> study = fasthpo.create_study()
    >>> study.add_trial(trial)
    >>> study.trials[0].params, study.trials[0].constraints
    ({'x': 2.0}, {'x <= 1': 1.0})
    """
    if not isinstance(state, TrialState):
        raise TypeError(f"state must be a TrialState, got {state!r}.")
    start = None if state == TrialState.WAITING else datetime.datetime.now()
    trial = FrozenTrial(
        number=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=start,
        datetime_complete=start if state.is_finished() else None,
        params=dict(params or {}),
        distributions=dict(distributions or {}),
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values=dict(intermediate_values or {}),
        trial_id=-1,
    )
    if constraints is not None:
        if not isinstance(constraints, dict):
            raise TypeError(f"constraints must be a dict of str to float, got {constraints!r}.")
        for key, constraint in constraints.items():
            trial.set_constraint(key, constraint)
    trial._check()
    return trial


def _check_name(name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"Parameter name must be a str, got {name!r} ({type(name).__name__}).")


class Trial(TrialCore):
    """The handle an objective uses to suggest parameters and report progress.

    Created by :meth:`fasthpo.Study.ask` (or by :meth:`~fasthpo.Study.optimize`), never
    directly. Suggestions are define-by-run: any Python control flow may decide which
    parameters exist. Asking for the same name again returns the same value.

    ``suggest_float``, ``suggest_int`` and ``suggest_categorical`` are compiled
    (:class:`fasthpo._kernels.trialpath.TrialCore`).

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> trial = study.ask()
    >>> lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    >>> lr == trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    True
    >>> optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    >>> if optimizer == "sgd":
    ...     momentum = trial.suggest_float("momentum", 0.0, 0.99)
    >>> _ = study.tell(trial, lr)
    """

    __slots__ = ()  # no instance dict: a method is found on the type alone

    def __init__(self, study: Study, number: int, proposer: Proposer) -> None:  # for its signature; ask binds in C
        super().__init__(study, number, proposer)

    def _set_fixed(self, name: str, distribution: BaseDistribution, value: Any) -> Any:
        if isinstance(distribution, CategoricalDistribution):
            internal = distribution.to_internal(value)
            self.study._store.set_param(self._number, name, distribution, internal)
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"Fixed value {value!r} of parameter {name!r} is not a finite number.")
        if not distribution.contains(value):
            warnings.warn(
                f"Fixed value {value!r} of parameter {name!r} is outside {distribution!r}; it is used as given.",
                UserWarning,
                stacklevel=4,
            )
        internal = distribution.encode(value)  # type: ignore[attr-defined]
        value = int(value) if isinstance(distribution, IntDistribution) else float(value)
        self.study._store.set_param(self._number, name, distribution, internal, external=value)
        return value

    # ------------------------------------------------------- report, prune
    def report(self, value: float, step: int) -> None:
        """Report an intermediate objective value at ``step`` (for pruning).

        Reporting a step again is ignored with a warning; the first value stays.
        """
        if len(self.study.directions) > 1:
            raise NotImplementedError("report() is for single-objective studies.")
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"step must be an int, got {step!r} ({type(step).__name__}).")
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step!r}.")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number, got {value!r} ({type(value).__name__}).")
        with self.study._lock:
            record = self._running_record()
            if int(step) in record.intermediate_values:
                warnings.warn(
                    f"Trial {self._number} already reported step {step}; the new value {value!r} is ignored.",
                    UserWarning,
                    stacklevel=2,
                )
                return
            self.study._store.report(self._number, int(step), float(value))

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now."""
        if len(self.study.directions) > 1:
            raise NotImplementedError("should_prune() is for single-objective studies.")
        with self.study._lock:
            self._running_record()
            return bool(self.study.pruner.prune(self.study._history, self._number))

    # ----------------------------------------------------------- attributes
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach ``value`` under ``key`` to this trial."""
        if not isinstance(key, str):
            raise TypeError(f"key must be a str, got {key!r}.")
        with self.study._lock:
            self._running_record()
            self.study._store.set_user_attr(self._number, key, value)

    def set_constraint(self, key: str, value: float | None = None) -> None:
        """Set the constraint ``key`` of this trial to ``value``: feasible when every
        constraint is <= 0.

        Constraint-aware samplers (TPE, GP) rank infeasible trials after feasible ones, and
        :attr:`fasthpo.Study.best_trial` and :attr:`~fasthpo.Study.best_trials` consider
        feasible trials only. Setting a key again keeps the first value, with a warning.
        The old form ``set_constraint(values)`` with a list is deprecated.

        Examples
        --------
        >>> import fasthpo
        >>> study = fasthpo.create_study()
        >>> trial = study.ask()
        >>> trial.set_constraint("memory", 0.5)
        >>> trial.constraints
        {'memory': 0.5}
        """
        if value is None and not isinstance(key, str):
            warnings.warn(
                "set_constraint(values) with a list is deprecated; call set_constraint(key, value) per constraint.",
                DeprecationWarning,
                stacklevel=2,
            )
            with self.study._lock:
                self._running_record()
                self.study._store.set_system_attr(self._number, CONSTRAINTS_KEY, constraint_values(key))
            return
        value = checked_constraint(key, value)
        with self.study._lock:
            if constraint_key(key) in self._running_record().system_attrs:
                warnings.warn(f"Constraint {key!r} of trial {self._number} is already set; {value!r} is ignored.",
                              UserWarning, stacklevel=2)
                return
            self.study._store.set_system_attr(self._number, constraint_key(key), float(value))

    @property
    def constraints(self) -> dict[str, float]:
        """Constraint values set so far, by name."""
        return constraints_of(self._record.system_attrs)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach internal bookkeeping (samplers, pruners) under ``key``."""
        with self.study._lock:
            self.study._store.set_system_attr(self._number, key, value)

    @property
    def number(self) -> int:
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._record.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._record.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._record.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._record.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._record.datetime_start

    @property
    def _record(self):
        return self.study._store.records[self._number]

    def _running_record(self):
        store = self.study._store
        state = store.state_of(self._number)
        if state != TrialState.RUNNING:
            raise ValueError(f"Trial {self._number} is {TrialState(state).name}; only a RUNNING trial can be changed.")
        return store.records[self._number]

    def __repr__(self) -> str:
        return f"Trial(number={self._number}, params={self._record.params!r})"
