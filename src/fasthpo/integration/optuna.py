"""fasthpo's samplers inside Optuna, and studies converted between the two.

Needs the ``optuna`` extra (from a fasthpo checkout: ``pip install ".[optuna]"``).

**Drop-in samplers.** :class:`TPESampler`, :class:`GPSampler`, :class:`CmaEsSampler`,
:class:`RandomSampler`, :class:`QMCSampler` and :class:`GridSampler` are ``optuna.samplers.BaseSampler`` subclasses that take the
constructor arguments of the Optuna sampler of the same name and sample with fasthpo::

    study = optuna.create_study(sampler=fasthpo.integration.optuna.TPESampler(seed=0))

Each one keeps, per Optuna study, a *mirror*: a columnar
:class:`~fasthpo.store.TrialStore` holding the Optuna study's trials, which the fasthpo
sampler reads as a :class:`~fasthpo.core.History` (the adapter is a client of the
sampler core, like the Study). Before every
sampler call the mirror reads the storage and takes in only what is new: trials it has
not seen and the unfinished trials whose state, parameters, intermediate values or
system attributes changed. So it stays right when other processes write to the same
storage, with enqueued, pruned and failed trials, and after a restart (a new sampler
object mirrors the whole storage on its first call). System attributes a fasthpo
sampler sets on a trial are written to the Optuna trial too, under the prefix
``"fasthpo:"``, so that every process sees them.

**Studies both ways.** :func:`to_optuna` writes a fasthpo study into an Optuna storage
(for Optuna's visualization or optuna-dashboard); :func:`from_optuna` makes a fasthpo
study from an Optuna one (to warm-start from an Optuna history). Parameters,
distributions, values, states, intermediate values, user and system attributes,
enqueued parameters and datetimes survive a round trip.

Examples
--------
>>> import optuna
>>> import fasthpo.integration.optuna as fo
>>> optuna.logging.set_verbosity(optuna.logging.WARNING)
>>> study = optuna.create_study(sampler=fo.TPESampler(seed=0))
>>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=60)
>>> abs(study.best_params["x"] - 1) < 0.3
True
>>> back = fo.from_optuna(study)
>>> back.best_params == study.best_params, len(back.trials)
(True, 60)
"""

from __future__ import annotations

import copy
import itertools
import math
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    import optuna
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "fasthpo.integration.optuna needs Optuna; install it with: pip install 'optuna>=5,<6' (from a fasthpo checkout: pip install '.[optuna]')",
        name="optuna",
    ) from error

from fasthpo import samplers as _fasthpo_samplers
from fasthpo.core import History, SearchSpace, StudyDirection
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers.base import BaseSampler as _FasthpoBaseSampler
from fasthpo.storages.base import BaseStorage
from fasthpo.store import TrialStore
from fasthpo.study import Study, create_study
from fasthpo.trial_state import TrialState

__all__ = [
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "from_optuna",
    "to_optuna",
]

#: Prefix of the Optuna system attributes that carry a fasthpo sampler's bookkeeping.
SYSTEM_ATTR_PREFIX = "fasthpo:"
_CONSTRAINTS_KEY = "constraints"
_FIXED_PARAMS_KEY = "fixed_params"
_OptunaTrialState = optuna.trial.TrialState


# ------------------------------------------------------------------ distributions
_FROM_OPTUNA: dict[tuple, BaseDistribution] = {}
_TO_OPTUNA: dict[BaseDistribution, optuna.distributions.BaseDistribution] = {}
_MAX_CACHED = 4096


def _optuna_key(distribution: optuna.distributions.BaseDistribution) -> tuple:
    if isinstance(distribution, optuna.distributions.CategoricalDistribution):
        # 1, 1.0 and True are equal in Python but distinct choices.
        return (CategoricalDistribution, tuple((type(c), c) for c in distribution.choices))
    return (type(distribution), distribution.low, distribution.high, distribution.log, distribution.step)


def _from_optuna_distribution(distribution: optuna.distributions.BaseDistribution) -> BaseDistribution:
    """The fasthpo distribution of an Optuna distribution (cached: suggestions repeat)."""
    try:
        key = _optuna_key(distribution)
    except AttributeError:
        raise TypeError(f"Unsupported Optuna distribution {distribution!r}.") from None
    converted = _FROM_OPTUNA.get(key)
    if converted is None:
        if isinstance(distribution, optuna.distributions.CategoricalDistribution):
            converted = CategoricalDistribution(distribution.choices)
        elif isinstance(distribution, (optuna.distributions.FloatDistribution, optuna.distributions.IntDistribution)):
            kind = FloatDistribution if isinstance(distribution, optuna.distributions.FloatDistribution) else IntDistribution
            with warnings.catch_warnings():  # Optuna has already put `high` on the step grid
                warnings.simplefilter("ignore", UserWarning)
                converted = kind(distribution.low, distribution.high, log=distribution.log,
                                 step=distribution.step)
        else:
            raise TypeError(f"Unsupported Optuna distribution {distribution!r}.")
        if len(_FROM_OPTUNA) >= _MAX_CACHED:
            _FROM_OPTUNA.clear()
            _TO_OPTUNA.clear()
        _FROM_OPTUNA[key] = converted
        _TO_OPTUNA.setdefault(converted, distribution)
    return converted


def _to_optuna_distribution(distribution: BaseDistribution) -> optuna.distributions.BaseDistribution:
    """The Optuna distribution of a fasthpo distribution."""
    converted = _TO_OPTUNA.get(distribution)
    if converted is not None:
        return converted
    if isinstance(distribution, CategoricalDistribution):
        return optuna.distributions.CategoricalDistribution(distribution.choices)
    kind = (optuna.distributions.FloatDistribution if isinstance(distribution, FloatDistribution)
            else optuna.distributions.IntDistribution)
    return kind(distribution.low, distribution.high, log=distribution.log, step=distribution.step)


def _internal_value(distribution: BaseDistribution, value: Any) -> float:
    """fasthpo's internal value of a user value, also for a fixed value off the distribution."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.to_internal(value)
    return distribution.encode(value)


def _fasthpo_directions(optuna_study: optuna.Study) -> list[StudyDirection]:
    return [StudyDirection[d.name] for d in optuna_study.directions]


# ------------------------------------------------------------------------ mirror
class _MirrorStore(TrialStore):
    """A TrialStore whose system attributes, set by a sampler, go to the Optuna trial too."""

    def __init__(self, n_objectives: int, forward: Callable[[int, str, Any], None]) -> None:
        super().__init__(n_objectives)
        self.forward = forward
        self.forwarding = True

    def set_system_attr(self, number: int, key: str, value: Any) -> None:
        super().set_system_attr(number, key, value)
        if self.forwarding:
            self.forward(number, key, value)

    def __getstate__(self) -> dict[str, Any]:
        # A pickled sampler may refer to the store; the copy is cut off from Optuna.
        return {**self.__dict__, "forward": None, "forwarding": False}


def _new_keys(source: dict, mirrored: dict) -> list:
    """Keys of ``source`` missing from ``mirrored``, which holds an earlier state of it.

    Storages keep insertion order, so the new keys are usually the last ones; the full
    scan is the fallback when they are not.
    """
    tail = [k for k in itertools.islice(source, len(mirrored), None) if k not in mirrored]
    if len(mirrored) + len(tail) == len(source):
        return tail
    return [k for k in source if k not in mirrored]


def _all_trials(storage: optuna.storages.BaseStorage, study_id: int) -> list[optuna.trial.FrozenTrial]:
    """The trials of a study in order of number, without copying the list when possible.

    ``InMemoryStorage.get_all_trials`` copies its list of trials, which makes every sampler
    call O(n); its own list is read instead (it replaces a trial object when the trial
    changes, and only appends, so indexing and slicing it is safe).
    """
    if type(storage) is optuna.storages.InMemoryStorage:
        return storage._studies[study_id].trials
    return storage.get_all_trials(study_id, deepcopy=False)


def _signature(trial: optuna.trial.FrozenTrial) -> tuple:
    """What can change in an unfinished trial (each only grows, or the state moves on)."""
    return (trial.state, len(trial.params), len(trial.intermediate_values), len(trial.system_attrs))


class _Mirror:
    """The trials of one Optuna study as a fasthpo history, brought up to date by :meth:`sync`.

    Mirror trial numbers follow the order in which Optuna trials start; a WAITING
    (enqueued) trial is taken in when it starts.
    """

    def __init__(self, optuna_study: optuna.Study, sampler: _FasthpoBaseSampler) -> None:
        self.optuna_study = optuna_study
        self.storage = optuna_study._storage
        self.study_id = optuna_study._study_id
        directions = _fasthpo_directions(optuna_study)
        self.store = _MirrorStore(len(directions), self._forward_system_attr)
        self.history = History(self.store, directions, optuna_study.study_name)
        self.sampler = sampler
        self.number_of: dict[int, int] = {}  # Optuna trial number -> mirror trial number
        self.trial_ids: list[int] = []  # mirror trial number -> Optuna trial id
        self.n_seen = 0  # Optuna trials [0, n_seen) have been looked at
        self.unfinished: dict[int, tuple] = {}  # Optuna number -> signature when last mirrored
        self.relative_names: dict[int, frozenset] = {}  # Optuna number -> names sampled jointly

    def sync(self, optuna_study: optuna.Study) -> None:
        """Take in the Optuna trials that are new or changed since the last call."""
        self.optuna_study = optuna_study
        trials = _all_trials(self.storage, self.study_id)
        self.store.forwarding = False
        try:
            for number, signature in list(self.unfinished.items()):
                trial = trials[number]
                if _signature(trial) != signature:
                    self._take_in(trial)
            new = trials[self.n_seen :]
            for trial in new:
                self._take_in(trial)
            self.n_seen += len(new)
        finally:
            self.store.forwarding = True

    def number(self, optuna_trial: optuna.trial.FrozenTrial) -> int:
        """The mirror trial number of ``optuna_trial`` (a WAITING trial being sampled is taken in now)."""
        number = self.number_of.get(optuna_trial.number)
        if number is None:
            self.store.forwarding = False
            try:
                number = self._take_in(optuna_trial, start=True)
            finally:
                self.store.forwarding = True
        return number

    def store_attrs(self, number: int, attrs: dict[str, Any] | None) -> None:
        """Store (and forward to the Optuna trial) the attributes the sampler returned."""
        for key, value in (attrs or {}).items():
            self.store.set_system_attr(number, key, value)

    def finish(self, optuna_trial: optuna.trial.FrozenTrial, state: Any, values: Sequence[float] | None) -> int:
        """Finish the mirror trial as Optuna is about to (``after_trial`` comes first)."""
        number = self.number(optuna_trial)
        if self.store.state_of(number) == TrialState.RUNNING:
            self.store.finish(number, TrialState(int(state)), None if values is None else list(values))
        self.relative_names.pop(optuna_trial.number, None)
        return number

    def _take_in(self, trial: optuna.trial.FrozenTrial, start: bool = False) -> int | None:
        store = self.store
        number = self.number_of.get(trial.number)
        if number is None:
            if trial.state == _OptunaTrialState.WAITING and not start:
                self.unfinished[trial.number] = _signature(trial)
                return None
            number = store.create_trial(datetime_start=trial.datetime_start)
            self.number_of[trial.number] = number
            self.trial_ids.append(trial._trial_id)
        record = store.records[number]
        if len(trial.params) != len(record.params):
            for name in _new_keys(trial.params, record.params):
                distribution = _from_optuna_distribution(trial.distributions[name])
                store.check_param(name, distribution)
                value = trial.params[name]
                store.set_param(number, name, distribution, _internal_value(distribution, value), external=value)
        if len(trial.intermediate_values) != len(record.intermediate_values):
            for step in _new_keys(trial.intermediate_values, record.intermediate_values):
                store.report(number, step, trial.intermediate_values[step])
        if trial.system_attrs:
            self._take_in_system_attrs(trial, record.system_attrs, number)
        if trial.state.is_finished():
            if store.state_of(number) == TrialState.RUNNING:
                store.finish(number, TrialState(int(trial.state)), trial.values, trial.datetime_complete)
            self.unfinished.pop(trial.number, None)
        else:
            self.unfinished[trial.number] = _signature(trial)
        return number

    def _take_in_system_attrs(self, trial: optuna.trial.FrozenTrial, mirrored: dict, number: int) -> None:
        for key, value in trial.system_attrs.items():
            if key.startswith(SYSTEM_ATTR_PREFIX):
                key = key[len(SYSTEM_ATTR_PREFIX) :]
                if key not in mirrored or mirrored[key] != value:
                    self.store.set_system_attr(number, key, value)
        constraints = trial.constraints
        if constraints:
            self.store.set_system_attr(number, _CONSTRAINTS_KEY, [float(c) for c in constraints.values()])

    def _forward_system_attr(self, number: int, key: str, value: Any) -> None:
        self.storage.set_trial_system_attr(self.trial_ids[number], SYSTEM_ATTR_PREFIX + key, value)


# ----------------------------------------------------------------------- adapter
class _FasthpoSamplerAdapter(optuna.samplers.BaseSampler):
    """An Optuna sampler that asks a fasthpo sampler, through a mirror of each study.

    Parameters
    ----------
    sampler : fasthpo.samplers.BaseSampler
        Samples the first study this adapter sees; every further study gets a fresh
        copy of it as it was when the adapter was made.
    warn_independent_sampling : bool
        Warn when a parameter is sampled on its own in a trial whose other
        parameters were sampled jointly (a conditional or dynamic search space).
    """

    def __init__(self, sampler: _FasthpoBaseSampler, warn_independent_sampling: bool = False,
                 constraints_func: Callable[[optuna.trial.FrozenTrial], Sequence[float]] | None = None) -> None:
        if not isinstance(warn_independent_sampling, bool):
            raise TypeError(f"warn_independent_sampling must be a bool, got {warn_independent_sampling!r}.")
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(f"constraints_func must be callable or None, got {constraints_func!r}.")
        self._constraints_func = constraints_func
        self._sampler = sampler
        self._pristine = copy.deepcopy(sampler)
        self._warn_independent_sampling = warn_independent_sampling
        self._mirrors: dict[tuple[int, int], _Mirror] = {}
        self._lock = threading.RLock()

    def _synced_mirror(self, study: optuna.Study) -> _Mirror:
        key = (id(study._storage), study._study_id)
        mirror = self._mirrors.get(key)
        if mirror is None or mirror.storage is not study._storage:
            sampler = copy.deepcopy(self._pristine) if self._mirrors else self._sampler
            mirror = self._mirrors[key] = _Mirror(study, sampler)
        mirror.sync(study)
        return mirror

    def infer_relative_search_space(
        self, study: optuna.Study, trial: optuna.trial.FrozenTrial
    ) -> dict[str, optuna.distributions.BaseDistribution]:
        with self._lock:
            mirror = self._synced_mirror(study)
            mirror.number(trial)
            space = mirror.sampler.infer_relative_search_space(mirror.history)
            return {name: _to_optuna_distribution(d) for name, d in space.items()}

    def sample_relative(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        search_space: dict[str, optuna.distributions.BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            mirror = self._synced_mirror(study)
            space = SearchSpace({name: _from_optuna_distribution(d) for name, d in search_space.items()})
            number = mirror.number(trial)
            proposal = mirror.sampler.propose(mirror.history, space, [number])
            mirror.store_attrs(number, proposal.attrs[0])
            internal = {name: x for name, x in zip(space.names, proposal.X[0].tolist()) if not math.isnan(x)}
            if internal and self._warn_independent_sampling:
                mirror.relative_names[trial.number] = frozenset(internal)
            return {name: space[name].to_external(x) for name, x in internal.items()}

    def sample_independent(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        param_name: str,
        param_distribution: optuna.distributions.BaseDistribution,
    ) -> Any:
        distribution = _from_optuna_distribution(param_distribution)
        if distribution.single():
            return distribution.to_external(distribution.internal_low)
        with self._lock:
            mirror = self._synced_mirror(study)
            mirror.store.check_param(param_name, distribution)
            if trial.number in mirror.relative_names:
                warnings.warn(
                    f"Parameter {param_name!r} of trial {trial.number} is sampled independently by "
                    f"{type(self).__name__}, not jointly with {sorted(mirror.relative_names[trial.number])}: "
                    "the search space is conditional or changed. Pass warn_independent_sampling=False "
                    "if this is intended.",
                    UserWarning,
                    stacklevel=2,
                )
            x = mirror.sampler.propose_independent(mirror.history, param_name, distribution, [mirror.number(trial)])
            return distribution.to_external(float(x[0]))

    def before_trial(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        with self._lock:
            mirror = self._synced_mirror(study)
            number = mirror.number(trial)
            attrs = mirror.sampler.before_trials(mirror.history, [number])
            mirror.store_attrs(number, attrs[0] if attrs else None)

    def after_trial(
        self,
        study: optuna.Study,
        trial: optuna.trial.FrozenTrial,
        state: optuna.trial.TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._constraints_func is not None:  # stored where Optuna keeps constraints, then mirrored
            optuna.samplers._base._process_constraints_after_trial(self._constraints_func, study, trial, state)
        with self._lock:
            mirror = self._synced_mirror(study)
            number = mirror.finish(trial, state, values)
            state = TrialState(mirror.store.state_of(number))
            mirror.store_attrs(number, mirror.sampler.after_trial(mirror.history, number, state, values))
            if mirror.sampler.n_remaining(mirror.history) == 0:  # a grid is done
                try:
                    study.stop()
                except RuntimeError:  # Optuna stops only from inside `optimize`
                    pass

    def reseed_rng(self) -> None:
        with self._lock:
            self._sampler.reseed_rng()
            for mirror in self._mirrors.values():
                mirror.sampler.reseed_rng()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_mirrors"] = {}  # storages need not pickle; a mirror is rebuilt from the storage
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()


def _fasthpo_sampler_of(sampler: Any, argument: str) -> _FasthpoBaseSampler | None:
    """A fasthpo sampler given directly or wrapped in one of this module's adapters."""
    if sampler is None or isinstance(sampler, _FasthpoBaseSampler):
        return sampler
    if isinstance(sampler, _FasthpoSamplerAdapter):
        return copy.deepcopy(sampler._pristine)
    raise TypeError(
        f"{argument} must be a sampler of fasthpo.integration.optuna or fasthpo.samplers "
        f"(an Optuna sampler cannot read fasthpo's mirror), got {sampler!r}."
    )


class RandomSampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.RandomSampler` as an Optuna sampler (Optuna's arguments).

    Parameters
    ----------
    seed : int, optional
        The same seed gives the same suggestions.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import RandomSampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=20)
    >>> study.best_value < 0.1
    True
    """

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(_fasthpo_samplers.RandomSampler(seed=seed))


class QMCSampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.QMCSampler` as an Optuna sampler (Optuna's arguments).

    Parameters
    ----------
    qmc_type : {"sobol", "halton"}
        The low-discrepancy sequence.
    scramble : bool
        Randomize the sequence, seeded by ``seed``.
    seed : int, optional
        Seed of the scrambling and of the independent sampler.
    independent_sampler : sampler, optional
        For parameters outside the joint space: a sampler of this module or of
        :mod:`fasthpo.samplers` (default ``RandomSampler(seed)``).
    warn_asynchronous_seeding : bool
        Warn when ``scramble`` is on without a seed (parallel workers would then
        follow different sequences).
    warn_independent_sampling : bool
        Warn when a parameter falls outside the joint search space.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import QMCSampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=QMCSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=9)
    >>> sorted(round(t.params["x"], 3) for t in study.trials[1:5])
    [0.0, 0.25, 0.5, 0.75]
    """

    def __init__(
        self,
        *,
        qmc_type: str = "sobol",
        scramble: bool = False,
        seed: int | None = None,
        independent_sampler: Any = None,
        warn_asynchronous_seeding: bool = True,
        warn_independent_sampling: bool = True,
    ) -> None:
        independent = _fasthpo_sampler_of(independent_sampler, "independent_sampler")
        super().__init__(
            _fasthpo_samplers.QMCSampler(qmc_type=qmc_type, scramble=scramble, seed=seed, independent_sampler=independent),
            warn_independent_sampling=warn_independent_sampling,
        )
        if seed is None and scramble and warn_asynchronous_seeding:
            warnings.warn(
                "QMCSampler got scramble=True without a seed: processes sampling one study in "
                "parallel follow different sequences. Give every process the same seed.",
                UserWarning,
                stacklevel=2,
            )


class GridSampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.GridSampler` as an Optuna sampler (Optuna's arguments).

    When every grid point has been tried, ``study.optimize`` stops by itself.

    Parameters
    ----------
    search_space : dict of str to sequence
        The values of each parameter.
    seed : int, optional
        Seed of the order in which grid points are tried.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import GridSampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=GridSampler({"x": [-1, 0, 1]}, seed=0))
    >>> study.optimize(lambda t: t.suggest_int("x", -1, 1) ** 2)
    >>> sorted(t.params["x"] for t in study.trials)
    [-1, 0, 1]
    """

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None) -> None:
        space = dict(search_space) if isinstance(search_space, Mapping) else search_space
        super().__init__(_fasthpo_samplers.GridSampler(space, seed=seed))


class TPESampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.TPESampler` as an Optuna sampler (Optuna's arguments).

    Arguments Optuna 5 deprecates (``prior_weight``, ``consider_magic_clip``,
    ``consider_endpoints``, ``gamma``, ``weights``, ``warn_independent_sampling``) work
    here without a deprecation warning; ``None`` means Optuna's default. Constraints come
    from ``constraints_func`` or from Optuna's ``trial.set_constraint``.

    Parameters
    ----------
    consider_prior : bool, optional
        Must be ``True`` or ``None``: fasthpo's TPE always keeps the prior component.
    prior_weight : float, optional
        Weight of the prior component (default 1.0).
    consider_magic_clip, consider_endpoints : bool, optional
        Bandwidth rules (defaults True and False).
    n_startup_trials, n_ei_candidates : int
        Random trials before TPE starts; candidates per suggestion.
    gamma, weights : callable, optional
        Size of the "below" set; weights of the observations (oldest first).
    seed : int, optional
        The same seed gives the same suggestions.
    multivariate, group : bool
        Joint sampling of the shared parameters; of groups of parameters that appear
        together.
    warn_independent_sampling : bool, optional
        Warn when a parameter is sampled on its own under joint sampling (default False).
    constant_liar : bool
        Count running trials as bad, so parallel workers spread out.
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` gives constraint values (feasible when all
        <= 0); they are stored on the Optuna trial as Optuna's own samplers do.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import TPESampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=TPESampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=60)
    >>> abs(study.best_params["x"] - 1) < 0.3
    True
    """

    def __init__(
        self,
        *,
        consider_prior: bool | None = None,
        prior_weight: float | None = None,
        consider_magic_clip: bool | None = None,
        consider_endpoints: bool | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], Any] | None = None,
        seed: int | None = None,
        multivariate: bool | None = None,
        group: bool = False,
        warn_independent_sampling: bool | None = None,
        constant_liar: bool = True,
        constraints_func: Callable[[optuna.trial.FrozenTrial], Sequence[float]] | None = None,
    ) -> None:
        if consider_prior is not None and consider_prior is not True:
            raise ValueError(f"consider_prior must be True or None (fasthpo's TPE keeps the prior), got {consider_prior!r}.")
        sampler = _fasthpo_samplers.TPESampler(
            n_startup_trials=n_startup_trials,
            n_ei_candidates=n_ei_candidates,
            gamma=gamma,
            weights=weights,
            prior_weight=1.0 if prior_weight is None else prior_weight,
            consider_magic_clip=True if consider_magic_clip is None else consider_magic_clip,
            consider_endpoints=False if consider_endpoints is None else consider_endpoints,
            multivariate=multivariate,
            group=group,
            constant_liar=constant_liar,
            seed=seed,
        )
        super().__init__(sampler, warn_independent_sampling=bool(warn_independent_sampling),
                         constraints_func=constraints_func)


class GPSampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.GPSampler` as an Optuna sampler (Optuna's arguments).

    With several objectives each trial minimizes its own random ParEGO scalarization
    of them (see :class:`fasthpo.samplers.GPSampler`).

    Parameters
    ----------
    seed : int, optional
        The same seed gives the same suggestions.
    independent_sampler : sampler, optional
        For parameters outside the joint space: a sampler of this module or of
        :mod:`fasthpo.samplers` (default ``RandomSampler(seed)``).
    n_startup_trials : int
        Independent suggestions before the GP starts.
    deterministic_objective : bool
        Fix the noise variance at its floor (for noise-free objectives).
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` gives constraint values (feasible when all
        are <= 0), stored where Optuna keeps them; ``trial.set_constraint`` works too.
    warn_independent_sampling : bool
        Warn when a parameter falls outside the joint search space.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import GPSampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=GPSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=20)
    >>> study.best_value < 0.01
    True
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        independent_sampler: Any = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
        constraints_func: Callable[[optuna.trial.FrozenTrial], Sequence[float]] | None = None,
        warn_independent_sampling: bool = True,
    ) -> None:
        sampler = _fasthpo_samplers.GPSampler(
            seed=seed,
            independent_sampler=_fasthpo_sampler_of(independent_sampler, "independent_sampler"),
            n_startup_trials=n_startup_trials,
            deterministic_objective=deterministic_objective,
        )
        super().__init__(sampler, warn_independent_sampling=warn_independent_sampling,
                         constraints_func=constraints_func)


class CmaEsSampler(_FasthpoSamplerAdapter):
    """:class:`fasthpo.samplers.CmaEsSampler` as an Optuna sampler (Optuna's arguments).

    Categorical parameters go to ``independent_sampler``. The optimizer's restart and
    generation are stored on each Optuna trial (``"fasthpo:"`` system attributes), so a
    new process picks the current restart up from the storage.

    Parameters
    ----------
    x0 : dict, optional
        Initial mean by parameter name (user values); the centre by default.
    sigma0 : float, optional
        Initial step size in the unit cube; 1/6 by default.
    n_startup_trials : int
        Independent suggestions before CMA-ES starts.
    independent_sampler : sampler, optional
        A sampler of this module or of :mod:`fasthpo.samplers` (default ``RandomSampler(seed)``).
    warn_independent_sampling : bool
        Warn when a parameter (a categorical one, say) is sampled outside CMA-ES.
    seed : int, optional
        The same seed gives the same suggestions.
    consider_pruned_trials : bool
        Tell pruned trials with their last intermediate value.
    restart_strategy : {None, "ipop", "bipop"}
        Restarts with growing (IPOP) or alternating (BIPOP) populations.
    popsize : int, optional
        Population size; 4 + floor(3 ln n) by default.
    inc_popsize : int
        Population growth of the restarts; Optuna's ``-1`` means 2.
    use_separable_cma : bool
        Diagonal covariance (for hundreds to thousands of parameters).
    with_margin : bool
        Margin for integer and stepped parameters (Hamano et al. 2022).
    lr_adapt : bool
        Learning-rate adaptation (Nomura et al. 2023).
    source_trials : list of optuna.trial.FrozenTrial, optional
        COMPLETE trials of a related study to warm-start from (WS-CMA-ES).

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import CmaEsSampler
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=CmaEsSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 + t.suggest_float("y", -5, 5) ** 2,
    ...                n_trials=150)
    >>> study.best_value < 0.01
    True
    """

    def __init__(
        self,
        *,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: Any = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = -1,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: list | None = None,
    ) -> None:
        sampler = _fasthpo_samplers.CmaEsSampler(
            x0=x0,
            sigma0=sigma0,
            n_startup_trials=n_startup_trials,
            independent_sampler=_fasthpo_sampler_of(independent_sampler, "independent_sampler"),
            seed=seed,
            consider_pruned_trials=consider_pruned_trials,
            restart_strategy=restart_strategy,
            popsize=popsize,
            inc_popsize=2 if inc_popsize == -1 else inc_popsize,
            use_separable_cma=use_separable_cma,
            with_margin=with_margin,
            lr_adapt=lr_adapt,
            source_trials=source_trials,
        )
        super().__init__(sampler, warn_independent_sampling=warn_independent_sampling)


# -------------------------------------------------------------- study conversion
def to_optuna(
    study: Study, storage: Any = None, study_name: str | None = None, load_if_exists: bool = False
) -> optuna.Study:
    """Copy a fasthpo study into a new Optuna study (or add its trials to an existing one).

    Parameters
    ----------
    study : fasthpo.Study
        The study to copy (every trial, in order, with its number).
    storage : optuna storage or str, optional
        Where the Optuna study goes (as for ``optuna.create_study``); in memory by default.
    study_name : str, optional
        Name of the Optuna study; the fasthpo study's name by default.
    load_if_exists : bool
        When ``storage`` already has a study of that name, add the trials (and user
        attributes) to it instead of raising ``optuna.exceptions.DuplicatedStudyError``;
        its directions must be the fasthpo study's.

    Returns
    -------
    optuna.Study
        With the same directions, study user attributes and trials (parameters,
        distributions, values, states, intermediate values, user and system attributes,
        enqueued parameters as Optuna's ``"fixed_params"`` system attribute, datetimes).

    Examples
    --------
    >>> import fasthpo
    >>> from fasthpo.integration.optuna import to_optuna
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_int("n", 1, 9), n_trials=5)
    >>> optuna_study = to_optuna(study)
    >>> [t.params for t in optuna_study.trials] == [t.params for t in study.trials]
    True
    """
    if not isinstance(study, Study):
        raise TypeError(f"study must be a fasthpo.Study, got {study!r}.")
    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str or None, got {study_name!r}.")
    if not isinstance(load_if_exists, bool):
        raise TypeError(f"load_if_exists must be a bool, got {load_if_exists!r}.")
    trials = [_optuna_trial(study, frozen) for frozen in study.get_trials(deepcopy=False)]
    directions = [d.name.lower() for d in study.directions]
    storage = optuna.storages.get_storage(storage)
    name = study.study_name if study_name is None else study_name
    existed = load_if_exists and name in optuna.get_all_study_names(storage)
    optuna_study = optuna.create_study(storage=storage, study_name=name, directions=directions,
                                       load_if_exists=load_if_exists)
    if existed and [d.name.lower() for d in optuna_study.directions] != directions:
        raise ValueError(f"The Optuna study {name!r} has directions {[d.name for d in optuna_study.directions]}, "
                         f"not {[d.name for d in study.directions]}; its trials cannot be added to it.")
    try:
        for key, value in study.user_attrs.items():
            optuna_study.set_user_attr(key, value)
        for trial in trials:
            optuna_study._storage.create_new_trial(optuna_study._study_id, template_trial=trial)
    except BaseException:
        if not existed:
            optuna.delete_study(study_name=optuna_study.study_name, storage=optuna_study._storage)
        raise
    return optuna_study


def _optuna_trial(study: Study, frozen) -> optuna.trial.FrozenTrial:
    system_attrs = dict(frozen.system_attrs)
    fixed_params = study._store.records[frozen.number].fixed_params
    if fixed_params:
        system_attrs[_FIXED_PARAMS_KEY] = dict(fixed_params)
    return optuna.trial.FrozenTrial(
        number=frozen.number,
        state=_OptunaTrialState(int(frozen.state)),
        value=None,
        values=frozen.values,
        datetime_start=frozen.datetime_start,
        datetime_complete=frozen.datetime_complete,
        params=dict(frozen.params),
        distributions={name: _to_optuna_distribution(d) for name, d in frozen.distributions.items()},
        user_attrs=dict(frozen.user_attrs),
        system_attrs=system_attrs,
        intermediate_values=dict(frozen.intermediate_values),
        trial_id=-1,
    )


def from_optuna(
    optuna_study: optuna.Study,
    storage: BaseStorage | None = None,
    study_name: str | None = None,
    sampler: _FasthpoBaseSampler | None = None,
    pruner: Any = None,
) -> Study:
    """Copy an Optuna study into a new fasthpo study (to warm-start from its history).

    Parameters
    ----------
    optuna_study : optuna.Study
        The study to copy (every trial, in order, with its number).
    storage : fasthpo storage, optional
        Where the fasthpo study goes; in memory by default.
    study_name : str, optional
        Name of the fasthpo study; the Optuna study's name by default.
    sampler, pruner : optional
        Of the new study, as for :func:`fasthpo.create_study`.

    Returns
    -------
    fasthpo.Study
        With the same directions, study user attributes and trials. Enqueued (WAITING)
        trials stay enqueued: the next ``ask`` runs them.

    Examples
    --------
    >>> import optuna
    >>> from fasthpo.integration.optuna import from_optuna
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> optuna_study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> optuna_study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    >>> study = from_optuna(optuna_study)
    >>> study.best_value == optuna_study.best_value
    True
    """
    if not isinstance(optuna_study, optuna.Study):
        raise TypeError(f"optuna_study must be an optuna.Study, got {optuna_study!r}.")
    trials = optuna_study.get_trials(deepcopy=False)
    distributions = [{name: _from_optuna_distribution(d) for name, d in t.distributions.items()} for t in trials]
    study = create_study(
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        study_name=optuna_study.study_name if study_name is None else study_name,
        directions=[d.name.lower() for d in _fasthpo_directions(optuna_study)],
    )
    try:
        for key, value in optuna_study.user_attrs.items():
            study.set_user_attr(key, value)
        for trial, trial_distributions in zip(trials, distributions):
            _write_trial(study._store, trial, trial_distributions)
    except BaseException:
        study._storage.delete_study(study.study_name)
        raise
    return study


def _write_trial(store: TrialStore, trial: optuna.trial.FrozenTrial, distributions: dict) -> None:
    state = TrialState(int(trial.state))
    system_attrs = dict(trial.system_attrs)
    fixed_params = system_attrs.pop(_FIXED_PARAMS_KEY, None)
    number = store.create_trial(
        TrialState.WAITING if state == TrialState.WAITING else TrialState.RUNNING,
        fixed_params=fixed_params,
        user_attrs=trial.user_attrs,
        datetime_start=trial.datetime_start,
    )
    for name, value in trial.params.items():
        distribution = distributions[name]
        store.check_param(name, distribution)
        store.set_param(number, name, distribution, _internal_value(distribution, value), external=value)
    for step, value in trial.intermediate_values.items():
        store.report(number, step, value)
    for key, value in system_attrs.items():
        store.set_system_attr(number, key, value)
    if state.is_finished():
        store.finish(number, state, trial.values, trial.datetime_complete)
