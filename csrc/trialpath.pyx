"""The scalar trial path, compiled: the bookkeeping of one ``Trial.suggest_*`` call.

Unlike the other modules of ``fasthpo._kernels`` this is no numerical kernel: it is the
body of :meth:`fasthpo.Trial.suggest_float` and friends (the distribution looked up once
per set of arguments, the state and repeated-name checks, the column check, the store
write and the decoding), compiled so that a suggestion costs little above the sampler.
It has no Python twin; the tests of :class:`fasthpo.Trial` hold its behaviour.
"""

from fasthpo.distributions import FloatDistribution, check_compatible
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

cdef int RUNNING = int(TrialState.RUNNING)
cdef tuple STATES = tuple(TrialState(code) for code in range(len(TrialState)))
cdef dict _DISTRIBUTIONS = {}
cdef Py_ssize_t MAX_CACHED_DISTRIBUTIONS = 4096


def numeric_distribution(cls, low, high, log, step):
    """The distribution of these arguments, validated once and then reused.

    Objectives suggest the same ranges trial after trial; building and validating the
    distribution each time would dominate a random suggestion. The argument types are
    part of the key, so ``True`` never passes for a bound ``1`` (NaN bounds never hit
    the cache).

    Examples
    --------
    >>> from fasthpo.distributions import FloatDistribution
    >>> numeric_distribution(FloatDistribution, 0.0, 1.0, False, None) is numeric_distribution(
    ...     FloatDistribution, 0.0, 1.0, False, None)
    True
    """
    key = (cls, low, high, log, step, type(low), type(high))
    distribution = _DISTRIBUTIONS.get(key)
    if distribution is None:
        distribution = cls(low, high, log=log, step=step)
        if len(_DISTRIBUTIONS) >= MAX_CACHED_DISTRIBUTIONS:
            _DISTRIBUTIONS.clear()
        _DISTRIBUTIONS[key] = distribution
    return distribution


def suggest(trial, name, distribution):
    """Suggest parameter ``name`` of running ``trial`` from ``distribution``: the value
    asked before, a fixed value, or the sampler's proposal, recorded in the store."""
    if type(name) is not str:
        raise TypeError(f"Parameter name must be a str, got {name!r} ({type(name).__name__}).")
    study = trial.study
    with study._lock:
        store = study._store
        number = trial._number
        state = store._state_list[number]
        if state != RUNNING:
            raise ValueError(f"Trial {number} is {TrialState(state).name}; only a RUNNING trial can be changed.")
        record = store.records._list[number]
        if record is None:  # a batch member, its record not built yet
            record = store.records[number]
        distributions = record.distributions
        previous = distributions.get(name)
        if previous is not None:
            if previous is not distribution and previous != distribution:
                raise ValueError(
                    f"Parameter {name!r} was already suggested in trial {number} as "
                    f"{previous!r}; it cannot be suggested again as {distribution!r}."
                )
            return record.params[name]
        column = store.columns.get(name)
        if column is not None:
            before = store.column_distributions[column]
            if before is not distribution:
                check_compatible(name, before, distribution)
        fixed = record.fixed_params
        if fixed and name in fixed:
            return trial._set_fixed(name, distribution, fixed[name])
        if distribution.internal_low == distribution.internal_high:  # a single value
            internal = distribution.internal_low
        else:
            internal = propose_one(trial._proposer, name, distribution)
        if type(store) is not TrialStore:  # a journal writes its records itself
            store.set_param(number, name, distribution, internal)
            return record.params[name]
        if column is None:
            column = store._column_of(name, distribution)
        internal, external = round_and_decode_one(distribution, internal)
        store._X[number, column] = internal
        record.params[name] = external
        distributions[name] = distribution
        return external


cdef object propose_one(proposer, name, distribution):
    """``proposer.value(name, distribution)``, without the joint proposal's lookup when
    the sampler proposed nothing jointly; a :class:`~fasthpo.samplers.RandomSampler`
    draws here (its ``propose_independent`` for one trial, inlined)."""
    cdef double low, high
    if proposer._columns is None or proposer._columns:
        return proposer.value(name, distribution)
    sampler = proposer.sampler
    if type(sampler) is not random_sampler():
        return float(sampler.propose_independent(proposer.history, name, distribution, proposer.numbers)[0])
    if type(distribution) is FloatDistribution and distribution.step is None:
        low, high = distribution.internal_low, distribution.internal_high
    else:
        low, high = distribution.sampling_bounds()
    uniforms = sampler._uniforms
    buffer = uniforms._buffer
    return low + (high - low) * (<double>(buffer.pop() if buffer else uniforms.next()))


cdef object _RandomSampler = None


cdef object random_sampler():
    """:class:`fasthpo.samplers.RandomSampler` (imported on first use: the samplers
    import this module's users)."""
    global _RandomSampler
    if _RandomSampler is None:
        from fasthpo.samplers.random import RandomSampler
        _RandomSampler = RandomSampler
    return _RandomSampler


def frozen(store, int number, frozen_trial):
    """The :class:`~fasthpo.trial.FrozenTrial` snapshot of trial ``number`` of ``store``
    (``frozen_trial`` is the class): copies of the record's dicts, the values or None."""
    record = store.records._list[number]
    if record is None:  # a batch member, its record not built yet
        record = store.records[number]
    values = store._Y[number].tolist()
    for value in values:
        if value != value:  # NaN: no values
            values = None
            break
    snapshot = frozen_trial.__new__(frozen_trial)
    snapshot.__dict__.update(
        number=number, state=STATES[store._state_list[number]], values=values,
        datetime_start=record.datetime_start, datetime_complete=record.datetime_complete,
        params=dict(record.params), distributions=dict(record.distributions),
        user_attrs=dict(record.user_attrs), system_attrs=dict(record.system_attrs),
        intermediate_values=dict(record.intermediate_values), trial_id=number)
    return snapshot


cdef tuple round_and_decode_one(distribution, internal):
    """``distribution.round_internal(internal)`` and its ``to_external``, a continuous
    linear float in C (the same bits as the Python methods)."""
    cdef double x, low, high
    if type(distribution) is FloatDistribution and distribution.step is None and not distribution.log:
        x = internal
        low = distribution.internal_low
        high = distribution.internal_high
        x = min_(max_(x, low), high)
        return x, min_(max_(x / <double>distribution.scale, <double>distribution.low), <double>distribution.high)
    internal = distribution.round_internal(internal)
    return internal, distribution.to_external(internal)


cdef inline double max_(double a, double b):
    """Python's ``max(a, b)`` on floats: ``a`` unless ``b > a`` (so NaN ``a`` stays)."""
    return b if b > a else a


cdef inline double min_(double a, double b):
    """Python's ``min(a, b)`` on floats: ``a`` unless ``b < a``."""
    return b if b < a else a
