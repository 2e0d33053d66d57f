"""The scalar trial path, compiled: the bookkeeping of one ``Trial.suggest_*`` call.

Unlike the other modules of ``fasthpo._kernels`` this is no numerical kernel: it is the
body of :meth:`fasthpo.Trial.suggest_float` and friends (the distribution looked up once
per set of arguments, the state and repeated-name checks, the column check, the store
write and the decoding), the study's lock, and the snapshot a ``tell`` returns, compiled
so that a suggestion costs little above the sampler. It has no Python twin; the tests of
:class:`fasthpo.Trial` and :class:`fasthpo.Study` (threads included) hold its behaviour.
"""

cimport cython
cimport numpy as cnp
from cpython.pythread cimport (PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock,
                               PyThread_get_thread_ident, PyThread_release_lock, PyThread_type_lock,
                               NOWAIT_LOCK, PyLockStatus, PY_LOCK_ACQUIRED)
from cpython.dict cimport PyDict_Next
from cpython.exc cimport PyErr_CheckSignals
from cpython.ref cimport PyObject
from cpython.time cimport time_ns
from libc.math cimport exp, isfinite
from libc.string cimport memset
from libc.stdint cimport int64_t
from datetime import datetime

from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution, check_compatible
from fasthpo.trial_state import TrialState

cnp.import_array()

cdef extern from "pythread.h":
    PyLockStatus PyThread_acquire_lock_timed(PyThread_type_lock, long long microseconds, int intr_flag) nogil

cdef int RUNNING = int(TrialState.RUNNING)
cdef int COMPLETE = int(TrialState.COMPLETE)
fromtimestamp = datetime.fromtimestamp
cdef tuple STATES = tuple(TrialState(code) for code in range(len(TrialState)))
cdef dict _DISTRIBUTIONS = {}
cdef dict _RANGES = {}  # parameter name -> the _Range of its last numeric suggestion
cdef dict _CHOICES = {}  # parameter name -> the _Choices of its last categorical suggestion
cdef Py_ssize_t MAX_CACHED_DISTRIBUTIONS = 4096


cdef class StudyLock:
    """A reentrant lock, as :class:`threading.RLock`, that compiled code takes with two
    C calls (a ``with`` block on an ``RLock`` costs more than a random suggestion).

    Examples
    --------
    >>> lock = StudyLock()
    >>> with lock:
    ...     with lock:  # reentrant
    ...         lock.locked()
    True
    >>> lock.locked()
    False
    """

    cdef PyThread_type_lock _lock
    cdef unsigned long _owner
    cdef Py_ssize_t _count

    def __cinit__(self):
        self._lock = PyThread_allocate_lock()
        if self._lock is NULL:
            raise MemoryError("cannot allocate a lock")

    def __dealloc__(self):
        if self._lock is not NULL:
            PyThread_free_lock(self._lock)

    cdef int take(self) except -1:
        cdef unsigned long me = <unsigned long>PyThread_get_thread_ident()
        cdef PyLockStatus status
        if self._count and self._owner == me:
            self._count += 1
            return 0
        if not PyThread_acquire_lock(self._lock, NOWAIT_LOCK):
            while True:  # wait without the GIL, a little at a time so that Ctrl-C gets through
                with nogil:
                    status = PyThread_acquire_lock_timed(self._lock, 50000, 0)
                if status == PY_LOCK_ACQUIRED:
                    break
                PyErr_CheckSignals()
        self._owner = me
        self._count = 1
        return 0

    cdef int give(self) except -1:
        if not self._count or self._owner != <unsigned long>PyThread_get_thread_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = 0
            PyThread_release_lock(self._lock)
        return 0

    def acquire(self):
        """Take the lock (again, if this thread holds it); wait while another thread holds it."""
        self.take()
        return True

    def release(self):
        """Give the lock back once; ``RuntimeError`` if this thread does not hold it."""
        self.give()

    def locked(self):
        """Whether some thread holds the lock."""
        return self._count > 0

    def __enter__(self):
        self.take()
        return True

    def __exit__(self, *exc):
        self.give()
        return False

    def __reduce__(self):
        return (StudyLock, ())


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


cdef object local_time(int64_t ns):
    """The naive local datetime of ``ns`` nanoseconds since the epoch, floored to the
    microsecond: what ``datetime.now()`` gives at that instant."""
    return fromtimestamp(ns // 1000000000).replace(microsecond=(ns // 1000) % 1000000)


@cython.no_gc
cdef class TrialRecord:
    """Per-trial data that is not a number in a column (user values, attrs, times).

    The garbage collector does not track records (a study keeps hundreds of thousands,
    and each full collection would visit every one): a record is freed with its store,
    unless a user attribute refers back to it in a cycle. The attribute dicts are made
    when first read and the trial path keeps its times as clock readings, turned into
    datetimes when first read: a trial that has neither costs two dicts.

    Examples
    --------
    >>> record = TrialRecord(3, params={"x": 0.5})
    >>> record.params, record.user_attrs, record.datetime_start
    ({'x': 0.5}, {}, None)
    """

    cdef public object number
    cdef public dict params, distributions
    cdef dict _user_attrs, _system_attrs, _intermediate_values, _fixed_params  # None: empty, not made yet
    cdef object _start, _complete  # datetimes, or None
    cdef int64_t _start_ns, _complete_ns  # a clock reading not turned into a datetime yet (0: none)

    def __init__(self, number, params=None, distributions=None, user_attrs=None, system_attrs=None,
                 intermediate_values=None, fixed_params=None, datetime_start=None, datetime_complete=None):
        self.number = number
        self.params = {} if params is None else params
        self.distributions = {} if distributions is None else distributions
        self._user_attrs = user_attrs
        self._system_attrs = system_attrs
        self._intermediate_values = intermediate_values
        self._fixed_params = fixed_params
        self._start = datetime_start
        self._complete = datetime_complete

    @property
    def user_attrs(self):
        if self._user_attrs is None:
            self._user_attrs = {}
        return self._user_attrs

    @user_attrs.setter
    def user_attrs(self, dict value):
        self._user_attrs = value

    @property
    def system_attrs(self):
        if self._system_attrs is None:
            self._system_attrs = {}
        return self._system_attrs

    @system_attrs.setter
    def system_attrs(self, dict value):
        self._system_attrs = value

    @property
    def intermediate_values(self):
        if self._intermediate_values is None:
            self._intermediate_values = {}
        return self._intermediate_values

    @intermediate_values.setter
    def intermediate_values(self, dict value):
        self._intermediate_values = value

    @property
    def fixed_params(self):
        if self._fixed_params is None:
            self._fixed_params = {}
        return self._fixed_params

    @fixed_params.setter
    def fixed_params(self, dict value):
        self._fixed_params = value

    @property
    def datetime_start(self):
        if self._start_ns:
            self._start, self._start_ns = local_time(self._start_ns), 0
        return self._start

    @datetime_start.setter
    def datetime_start(self, value):
        self._start, self._start_ns = value, 0

    @property
    def datetime_complete(self):
        if self._complete_ns:
            self._complete, self._complete_ns = local_time(self._complete_ns), 0
        return self._complete

    @datetime_complete.setter
    def datetime_complete(self, value):
        self._complete, self._complete_ns = value, 0

    def __repr__(self):
        return (f"TrialRecord(number={self.number!r}, params={self.params!r}, distributions={self.distributions!r}, "
                f"user_attrs={self.user_attrs!r}, system_attrs={self.system_attrs!r}, "
                f"intermediate_values={self.intermediate_values!r}, fixed_params={self.fixed_params!r}, "
                f"datetime_start={self.datetime_start!r}, datetime_complete={self.datetime_complete!r})")


cdef TrialRecord new_record(number, int64_t start_ns):
    """``TrialRecord(number)`` started at the clock reading ``start_ns``, without the keyword parsing."""
    cdef TrialRecord record = TrialRecord.__new__(TrialRecord)
    record.number = number
    record.params, record.distributions = {}, {}
    record._start_ns = start_ns
    return record


cdef dict copied(dict d):
    """A copy of ``d`` (an empty dict for None: a record's dict not made yet)."""
    return {} if d is None else d.copy()


cdef class StoreCore:
    """The fields of :class:`fasthpo.store.TrialStore` that the compiled trial path reads
    and writes, as C fields (a Python attribute is a lookup by name). ``TrialStore``
    sets them; their meaning is documented there."""

    cdef public Py_ssize_t _n, n_finished
    cdef public object _X, _Y, _states, _violation, records, _waiting
    cdef public list column_distributions, _record_list
    cdef public dict columns, _intersection
    cdef public bint _in_memory  # a TrialStore itself (no storage writes its records)

    def state_of(self, Py_ssize_t number):
        """The state code of trial ``number`` (compare with :class:`TrialState`)."""
        return state_code(self, number)


cdef int state_code(StoreCore store, Py_ssize_t number) except -1:
    """The state code of trial ``number`` of ``store`` (negative: from the end)."""
    cdef cnp.ndarray states = store._states
    if number < 0:
        number += store._n
    if not 0 <= number < store._n:
        raise IndexError(f"trial {number} is not in the study")
    if cnp.PyArray_TYPE(states) != cnp.NPY_INT8 or cnp.PyArray_NDIM(states) != 1:
        return states[number]  # never the case for a TrialStore
    return (<signed char*>(<char*>cnp.PyArray_DATA(states) + number * cnp.PyArray_STRIDE(states, 0)))[0]


cdef TrialRecord record_of(StoreCore store, Py_ssize_t number):
    """The record of trial ``number`` (built first for a batch member not read yet)."""
    cdef list records = store._record_list
    if number < len(records):
        record = records[number]
        if record is not None:
            return <TrialRecord>record
    return store.records[number]


cdef class _Range:
    """The arguments of a numeric suggestion, their distribution and what the compiled
    path needs of it as C numbers."""

    cdef object cls, low, high, log, step, distribution
    cdef bint single, linear, log_float  # one value; a continuous float on a linear scale; on a log scale
    cdef double internal_low, internal_high, sample_low, sample_high, scale, low_value, high_value

    def __cinit__(self, cls, low, high, log, step, distribution):
        self.cls, self.low, self.high, self.log, self.step = cls, low, high, log, step
        self.distribution = distribution
        self.single = distribution.internal_low == distribution.internal_high
        self.linear = cls is FloatDistribution and step is None and not distribution.log
        self.log_float = cls is FloatDistribution and step is None and distribution.log
        self.internal_low = distribution.internal_low
        self.internal_high = distribution.internal_high
        self.sample_low, self.sample_high = distribution.sampling_bounds()
        self.scale = distribution.scale
        self.low_value = distribution.low
        self.high_value = distribution.high


cdef inline bint same_bound(a, b) except -1:
    """``a`` and ``b`` are the same bound: equal and of one type (``True`` is no ``1``)."""
    return a is b or (type(a) is type(b) and a == b)


cdef _Range numeric_range(cls, name, low, high, log, step):
    """The :class:`_Range` of these arguments: the one of the previous suggestion of
    ``name`` when every argument is the same (the usual case: one range per name), else
    the distribution from :func:`numeric_distribution` (which validates the arguments)."""
    cdef _Range entry = _RANGES.get(name) if type(name) is str else None
    if (entry is not None and entry.cls is cls and same_bound(entry.low, low) and same_bound(entry.high, high)
            and same_bound(entry.log, log) and same_bound(entry.step, step)):
        return entry
    entry = _Range(cls, low, high, log, step, numeric_distribution(cls, low, high, log, step))
    if type(name) is str:
        if len(_RANGES) >= MAX_CACHED_DISTRIBUTIONS:
            _RANGES.clear()
        _RANGES[name] = entry
    return entry


cdef class _Choices:
    """The choices of a categorical suggestion (as given) and their distribution."""

    cdef object choices, distribution

    def __cinit__(self, choices, distribution):
        self.choices = choices
        self.distribution = distribution


cdef object categorical(name, choices):
    """The distribution of ``choices``: the one of the previous suggestion of ``name``
    when the choices are the very same objects in the same order, else a new one."""
    cdef _Choices entry = _CHOICES.get(name) if type(name) is str else None
    cdef Py_ssize_t i
    if entry is not None and type(choices) is type(entry.choices) and (type(choices) is list or type(choices) is tuple):
        if len(<object>choices) == len(<object>entry.choices):
            for i in range(len(<object>choices)):
                if choices[i] is not entry.choices[i]:
                    break
            else:
                return entry.distribution
    distribution = CategoricalDistribution(choices)
    if type(name) is str and (type(choices) is list or type(choices) is tuple):
        if len(_CHOICES) >= MAX_CACHED_DISTRIBUTIONS:
            _CHOICES.clear()
        _CHOICES[name] = _Choices(tuple(choices), distribution) if type(choices) is tuple else _Choices(
            list(choices), distribution)
    return distribution


@cython.embedsignature(False)
cdef class TrialCore:
    """TrialCore(study, number, proposer)
--

    The compiled part of :class:`fasthpo.Trial`: its fields and the ``suggest_*`` methods.

    ``study`` is the study, ``_number`` the trial's number and ``_proposer`` the
    :class:`~fasthpo.core.propose.Proposer` of its group of trials (made when first
    needed for a trial :meth:`fasthpo.Study.ask` started: for a sampler without a
    ``before_trials`` hook it only holds what the trial holds).
    """

    cdef public object study
    cdef public Py_ssize_t _number
    cdef object _given_proposer, _sampler, _history, _lock
    cdef StoreCore _store
    cdef TrialRecord _record  # found on the first suggestion
    cdef list _draws  # a RandomSampler's uniform draws (its UniformSource's buffer, one list for its life)
    cdef object _uniforms  # that UniformSource

    def __init__(self, study, Py_ssize_t number, proposer):
        bind(self, study, number)
        self._given_proposer = proposer
        self._sampler = proposer.sampler

    @property
    def _proposer(self):
        if self._given_proposer is None:
            store = self._store
            self._given_proposer = new_proposer(self._sampler, self._history, self._number, store.set_system_attr)
        return self._given_proposer

    def suggest_float(self, name, low, high, *, step=None, log=False):
        """Suggest a float in ``[low, high]`` (log scale with ``log=True``, grid with ``step``)."""
        cdef _Range entry = numeric_range(FloatDistribution, name, low, high, log, step)
        return suggest_locked(self, name, entry.distribution, entry)

    def suggest_int(self, name, low, high, *, step=1, log=False):
        """Suggest an integer in ``[low, high]`` on the grid ``low + k * step``."""
        cdef _Range entry = numeric_range(IntDistribution, name, low, high, log, step)
        return suggest_locked(self, name, entry.distribution, entry)

    def suggest_categorical(self, name, choices):
        """Suggest one of ``choices``."""
        return suggest_locked(self, name, categorical(name, choices), None)

    def _suggest(self, name, distribution):
        return suggest_locked(self, name, distribution, None)


cdef int bind(TrialCore trial, study, Py_ssize_t number) except -1:
    trial.study = study
    trial._number = number
    trial._store = <StoreCore?>study._store
    trial._lock = study._lock
    trial._history = study._history
    return 0


cdef object suggest_locked(TrialCore trial, name, distribution, _Range entry):
    """:func:`suggest` under the study's lock (a store write may race a growing ``X``)."""
    if type(name) is not str:
        raise TypeError(f"Parameter name must be a str, got {name!r} ({type(name).__name__}).")
    lock = trial._lock
    if type(lock) is not StudyLock:
        with lock:
            return suggest(trial, name, distribution, entry)
    (<StudyLock>lock).take()
    try:
        return suggest(trial, name, distribution, entry)
    finally:
        (<StudyLock>lock).give()


cdef object suggest(TrialCore trial, str name, distribution, _Range entry):
    """Suggest parameter ``name`` of running ``trial`` from ``distribution`` (and its
    ``entry``, None for a categorical or a given distribution): the value asked before,
    a fixed value, or the sampler's proposal, recorded in the store."""
    cdef double proposed, internal
    cdef TrialRecord record = trial._record
    cdef dict distributions
    cdef Py_ssize_t number = trial._number
    cdef StoreCore store = trial._store
    cdef int state = state_code(store, number) if number >= 0 else -1
    if state == -1:
        raise IndexError(f"trial {number} is not in the study")
    if state != RUNNING:
        raise ValueError(f"Trial {number} is {TrialState(state).name}; only a RUNNING trial can be changed.")
    if record is None:
        record = trial._record = record_of(store, number)  # a trial's record stays the same object
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
        before = store.column_distributions[<Py_ssize_t>column]
        if before is not distribution:
            check_compatible(name, before, distribution)
    fixed = record._fixed_params
    if fixed and name in fixed:
        return (<object>trial)._set_fixed(name, distribution, fixed[name])
    if entry is None:
        if distribution.internal_low == distribution.internal_high:  # a single value
            proposed = distribution.internal_low
        else:
            proposed = propose(trial, name, distribution, None)
    elif entry.single:
        proposed = entry.internal_low
    else:
        proposed = propose(trial, name, distribution, entry)
    if not store._in_memory:  # a journal writes its records itself
        store.set_param(number, name, distribution, proposed)
        return record.params[name]
    if column is None:
        column = store._column_of(name, distribution)
    if entry is not None and entry.linear:
        internal = min_(max_(proposed, entry.internal_low), entry.internal_high)
        external = min_(max_(internal / entry.scale, entry.low_value), entry.high_value)
    else:
        internal = distribution.round_internal(proposed)
        external = distribution.to_external(internal)
    write(store._X, number, column, internal)
    record.params[name] = external
    distributions[name] = distribution
    return external


cdef double propose(TrialCore trial, name, distribution, _Range entry) except? -1:
    """The sampler's encoded value of ``name`` for ``trial``: a RandomSampler's draw
    here (its ``propose_independent`` for one trial, inlined), else its proposer's."""
    cdef double low, high
    cdef list draws = trial._draws
    if draws is None:
        return propose_one(trial._proposer, name, distribution, entry)
    if entry is not None:
        low, high = entry.sample_low, entry.sample_high
    else:
        low, high = distribution.sampling_bounds()
    return low + (high - low) * (<double>(draws.pop() if draws else trial._uniforms.next()))


cdef int write(X, Py_ssize_t row, Py_ssize_t column, double value) except -1:
    """``X[row, column] = value`` for the store's float64 matrix, in place."""
    cdef cnp.ndarray array = X
    if (cnp.PyArray_TYPE(array) != cnp.NPY_DOUBLE or cnp.PyArray_NDIM(array) != 2
            or not 0 <= row < cnp.PyArray_DIM(array, 0) or not 0 <= column < cnp.PyArray_DIM(array, 1)):
        X[row, column] = value  # never the case for a TrialStore; numpy says what is wrong
        return 0
    (<double*>(<char*>cnp.PyArray_DATA(array) + row * cnp.PyArray_STRIDE(array, 0)
               + column * cnp.PyArray_STRIDE(array, 1)))[0] = value
    return 0


cdef double read(X, Py_ssize_t row, Py_ssize_t column) except? -1:
    """``X[row, column]`` of the store's float64 matrix ``X`` (``_X`` or ``_Y``)."""
    cdef cnp.ndarray array = X
    if (cnp.PyArray_TYPE(array) != cnp.NPY_DOUBLE or cnp.PyArray_NDIM(array) != 2
            or not 0 <= row < cnp.PyArray_DIM(array, 0) or not 0 <= column < cnp.PyArray_DIM(array, 1)):
        return X[row, column]  # never the case for a TrialStore; numpy says what is wrong
    return (<double*>(<char*>cnp.PyArray_DATA(array) + row * cnp.PyArray_STRIDE(array, 0)
                      + column * cnp.PyArray_STRIDE(array, 1)))[0]


cdef int set_state(states, Py_ssize_t number, int code) except -1:
    """``states[number] = code`` for the store's ``int8`` states, in place."""
    cdef cnp.ndarray array = states
    if (cnp.PyArray_TYPE(array) != cnp.NPY_INT8 or cnp.PyArray_NDIM(array) != 1
            or not 0 <= number < cnp.PyArray_DIM(array, 0)):
        states[number] = code  # never the case for a TrialStore; numpy says what is wrong
        return 0
    (<char*>cnp.PyArray_DATA(array) + number * cnp.PyArray_STRIDE(array, 0))[0] = <char>code
    return 0


cdef double propose_one(proposer, name, distribution, _Range entry) except? -1:
    """``proposer.value(name, distribution)``, without the joint proposal's lookup when
    the sampler proposed nothing jointly; a :class:`~fasthpo.samplers.RandomSampler`
    draws here (its ``propose_independent`` for one trial, inlined)."""
    cdef double low, high
    sampler = proposer.sampler
    columns = proposer._columns
    is_random = type(sampler) is _RandomSampler
    if columns is None and is_random:
        proposer._columns = columns = {}  # what RandomSampler's (empty) joint proposal leaves
    if columns is None or columns:
        return proposer.value(name, distribution)
    if not is_random:
        return float(sampler.propose_independent(proposer.history, name, distribution, proposer.numbers)[0])
    if entry is not None:
        low, high = entry.sample_low, entry.sample_high
    else:
        low, high = distribution.sampling_bounds()
    uniforms = sampler._uniforms
    cdef list buffer = uniforms._buffer
    return low + (high - low) * (<double>(buffer.pop() if buffer else uniforms.next()))


cdef bint _imported = False
cdef object _RandomSampler, _Proposer, _Trial, _FrozenTrial, _base_after_trial, _base_before_trials, MINIMIZE


cdef int import_late() except -1:
    """The classes this module's users define (imported on first use: they import it)."""
    global _imported, _RandomSampler, _Proposer, _Trial, _FrozenTrial, _base_after_trial, _base_before_trials, MINIMIZE
    from fasthpo.core.direction import StudyDirection
    from fasthpo.core.propose import Proposer
    from fasthpo.samplers.base import BaseSampler
    from fasthpo.samplers.random import RandomSampler
    from fasthpo.trial import FrozenTrial, Trial
    _RandomSampler, _Proposer, _Trial, _FrozenTrial = RandomSampler, Proposer, Trial, FrozenTrial
    _base_after_trial = BaseSampler.after_trial
    _base_before_trials = BaseSampler.before_trials
    MINIMIZE = StudyDirection.MINIMIZE
    _imported = True
    return 0


def ask_one(study, trial_class, bint enqueued=True):
    """The body of :meth:`fasthpo.Study.ask` (without fixed distributions): the oldest
    enqueued trial (unless not ``enqueued``) or a new RUNNING one, and its
    :class:`~fasthpo.Trial`."""
    cdef StudyLock lock = study._lock
    cdef StoreCore store
    cdef TrialCore trial
    if not _imported:
        import_late()
    lock.take()
    try:
        store = <StoreCore?>study._store
        if store._in_memory and not (enqueued and store._waiting):  # in memory, none to run
            number = new_running(store)
        else:
            store.sync()
            number = store.pop_waiting() if enqueued else None
            if number is None:
                number = store.create_trial()
        trial = TrialCore.__new__(trial_class)  # bound here: Trial.__init__ is Python
        trial.study = study
        trial._number = number
        trial._store = store
        trial._lock = lock
        trial._history = history = study._history
        trial._sampler = sampler = study.sampler
        if type(sampler).before_trials is not _base_before_trials:  # the hook runs now
            trial._given_proposer = new_proposer(sampler, history, number, store.set_system_attr)
        elif type(sampler) is _RandomSampler:
            trial._uniforms = uniforms = sampler._uniforms
            trial._draws = uniforms._buffer
        return trial
    finally:
        lock.give()


cdef object new_proposer(sampler, history, number, write_attr):
    """``Proposer(sampler, history, [number], write_attr)``; made here when the
    sampler has no ``before_trials`` hook (the Python ``__init__`` costs more than a trial)."""
    if type(sampler).before_trials is not _base_before_trials:
        return _Proposer(sampler, history, [number], write_attr)
    proposer = _Proposer.__new__(_Proposer)
    proposer.sampler = sampler
    proposer.history = history
    proposer.numbers = [number]
    proposer._write = write_attr
    proposer._X = None
    proposer._columns = None
    return proposer


cdef Py_ssize_t new_running(StoreCore store) except -1:
    """``store.create_trial()`` of a :class:`~fasthpo.store.TrialStore`: a RUNNING trial
    started now, with no fixed parameter or attribute; its number."""
    cdef Py_ssize_t number = store._n
    if number == len(store._states):
        store._grow_rows()
    set_state(store._states, number, RUNNING)
    store._n = number + 1
    cdef list records = store._record_list
    if len(records) < number:  # batches before, whose members' records are not made
        records.extend([None] * (number - len(records)))
    records.append(new_record(number, time_ns()))
    return number


def tell_value(study, trial, value):
    """:meth:`fasthpo.Study.tell` of a running ``trial`` (a Trial of ``study``) with one
    finite float ``value``, in a single-objective study in memory whose sampler has no
    ``after_trial`` hook: the finished trial's snapshot (built when first read), or None
    when the call is not this case (the caller then takes the general path, which also
    raises its errors)."""
    cdef double y
    cdef Py_ssize_t number
    cdef StudyLock lock
    cdef StoreCore store
    if not _imported:
        import_late()
    if type(value) is not float or type(trial) is not _Trial or (<TrialCore>trial).study is not study:
        return None
    y = value
    if not isfinite(y):
        return None
    store = (<TrialCore>trial)._store
    if not store._in_memory or type(study.sampler).after_trial is not _base_after_trial:
        return None
    directions = study._directions
    if len(directions) != 1:
        return None
    number = (<TrialCore>trial)._number
    lock = study._lock
    lock.take()
    try:
        if state_code(store, number) != RUNNING:
            return None
        finish_complete(store, number, y)
        note_best(study, store, number, y, directions[0] is MINIMIZE)
    finally:
        lock.give()
    snapshot = _FrozenTrial.__new__(_FrozenTrial)
    snapshot._told = (store, number)
    return snapshot


cdef extern from "Python.h":
    int PyObject_GC_IsTracked(object)
    void PyObject_GC_UnTrack(void *)


cdef int finish_complete(StoreCore store, Py_ssize_t number, double y) except -1:
    """``store.finish(number, TrialState.COMPLETE, [y])`` of a :class:`~fasthpo.store.TrialStore`."""
    write(store._Y, number, 0, y)
    set_state(store._states, number, COMPLETE)
    cdef TrialRecord record = record_of(store, number)
    cdef int64_t complete = time_ns()
    record._complete, record._complete_ns = None, complete
    if record._start is None and not record._start_ns:
        record._start_ns = complete
    store.n_finished += 1
    distributions = record.distributions
    intersection = store._intersection
    for include_pruned in (False, True):
        space = intersection[include_pruned]
        if space is None:
            intersection[include_pruned] = dict(distributions)
        else:
            intersect(space, distributions)
    if PyObject_GC_IsTracked(distributions):
        # Its distributions are the study's (no cycle runs through it) and it lives as long as the
        # untracked record: tracked, every collection of the old generations would visit it.
        PyObject_GC_UnTrack(<void *>distributions)
    return 0


cdef int note_best(study, StoreCore store, Py_ssize_t number, double y, bint minimize) except -1:
    """``study._note_finished(number, TrialState.COMPLETE)`` of a single-objective study."""
    cdef double best_y
    in_sync = study._best_seen == store.n_finished - 1
    best = study._best_number
    if best is None:
        study._best_number = number
    else:
        best_y = read(store._Y, best, 0)
        if (y < best_y) if minimize else (y > best_y):
            study._best_number = number
    if in_sync:
        study._best_seen = store.n_finished
    return 0


def frozen_fields(StoreCore store, Py_ssize_t number):
    """The fields of the :class:`~fasthpo.trial.FrozenTrial` snapshot of trial ``number``
    of ``store``, as its ``__dict__``: copies of the record's dicts, the values or None."""
    cdef TrialRecord record = record_of(store, number)
    cdef cnp.ndarray Y = store._Y
    cdef Py_ssize_t k, n_objectives = cnp.PyArray_DIM(Y, 1)
    cdef double y
    cdef list values = []
    for k in range(n_objectives):
        y = read(Y, number, k)
        if y != y:  # NaN: no values
            values = None
            break
        values.append(y)
    return {
        "number": number, "state": STATES[state_code(store, number)], "values": values,
        "datetime_start": record.datetime_start, "datetime_complete": record.datetime_complete,
        "params": record.params.copy(), "distributions": record.distributions.copy(),
        "user_attrs": copied(record._user_attrs), "system_attrs": copied(record._system_attrs),
        "intermediate_values": copied(record._intermediate_values), "trial_id": number}


def frozen(store, Py_ssize_t number, frozen_trial):
    """The :class:`~fasthpo.trial.FrozenTrial` snapshot of trial ``number`` of ``store``
    (``frozen_trial`` is the class)."""
    snapshot = frozen_trial.__new__(frozen_trial)
    snapshot.__dict__ = frozen_fields(store, number)
    return snapshot


def suggest_column(batch, name, cls, low, high, log, step):
    """``batch.suggest_float(name, low, high, step=step, log=log)`` (``cls`` is
    ``FloatDistribution``) of a new continuous parameter for every member of a whole
    batch of a :class:`~fasthpo.samplers.RandomSampler` in memory, fused: the draws,
    their encoding written into the store's ``X`` and their decoding into the returned
    array in one pass (the same values and bookkeeping as the general path). None when
    the call is not this case: the caller then takes the general path, which also
    raises its errors.
    """
    cdef _Range entry
    cdef StoreCore store
    cdef Py_ssize_t i, n, first, column
    cdef double draw_low, draw_span, internal, value
    cdef double* drawn
    cdef double* kept
    cdef char* out
    cdef Py_ssize_t row_stride
    if not _imported:
        import_late()
    if type(name) is not str or batch._trial is not None or not batch._whole:
        return None
    group = batch._group  # the store's entry of the batch (None: not in memory)
    if group is None or name in batch._asked or group.built:
        return None
    entry = numeric_range(cls, name, low, high, log, step)
    if entry.single or not (entry.linear or entry.log_float):
        return None
    study = batch.study
    sampler = batch._sampler
    lock = study._lock
    if type(sampler) is not _RandomSampler or type(lock) is not StudyLock:
        return None
    store = <StoreCore?>study._store
    distribution = entry.distribution
    (<StudyLock>lock).take()
    try:
        if batch._told or store.n_finished != batch._finished_seen:
            batch._check_running()  # raises, or notes every member running
        known = store.columns.get(name)
        if known is not None and store.column_distributions[<Py_ssize_t>known] is not distribution:
            check_compatible(name, store.column_distributions[<Py_ssize_t>known], distribution)
        column = store._column_of(name, distribution)
        first, n = group.first, group.n
        X = store._X
        if (cnp.PyArray_TYPE(X) != cnp.NPY_DOUBLE or cnp.PyArray_NDIM(X) != 2
                or cnp.PyArray_DIM(X, 0) < first + n or cnp.PyArray_DIM(X, 1) <= column):
            raise RuntimeError("the store's X does not hold the batch")  # never the case
        values = uniforms(sampler._uniforms, n)
        stored = cnp.PyArray_EMPTY(1, [n], cnp.NPY_DOUBLE, 0)
        members = cnp.PyArray_EMPTY(1, [n], cnp.NPY_BOOL, 0)
        memset(cnp.PyArray_DATA(members), 1, n)
        drawn = <double*>cnp.PyArray_DATA(values)
        kept = <double*>cnp.PyArray_DATA(stored)
        out = <char*>cnp.PyArray_DATA(X) + first * cnp.PyArray_STRIDE(X, 0) + column * cnp.PyArray_STRIDE(X, 1)
        row_stride = cnp.PyArray_STRIDE(X, 0)
        draw_low, draw_span = entry.sample_low, entry.sample_high - entry.sample_low
        for i in range(n):
            internal = min_(max_(draw_low + draw_span * drawn[i], entry.internal_low), entry.internal_high)
            if entry.linear:
                value = min_(max_(internal / entry.scale, entry.low_value), entry.high_value)
            else:
                value = min_(max_(exp(internal), entry.low_value), entry.high_value)
            (<double*>(out + i * row_stride))[0] = internal
            drawn[i] = value
            kept[i] = value
        group.entries.append((name, distribution, None))
        batch._asked[name] = [(distribution, members, stored)]
        return values
    finally:
        (<StudyLock>lock).give()


def tell_column(study, batch, values):
    """``study.tell_batch(batch, values)`` of a whole batch in memory with one finite
    float64 value per member, in a single-objective study whose sampler has no
    ``after_trial`` hook, compiled: the values written into ``Y``, the states set, the
    search-space intersection kept up to date. True when done; False when the call is
    not this case (the caller then takes the general path, which also raises its errors).
    """
    cdef StoreCore store
    cdef StudyLock lock
    cdef Py_ssize_t i, n, first
    cdef cnp.ndarray array, Y, states
    cdef char* out
    if not _imported:
        import_late()
    group = batch._group
    if group is None or group.built or batch._told or type(values) is not cnp.ndarray:
        return False
    array = values
    n = group.n
    if cnp.PyArray_TYPE(array) != cnp.NPY_DOUBLE or cnp.PyArray_NDIM(array) != 1 or cnp.PyArray_DIM(array, 0) != n:
        return False
    for i in range(n):
        if not isfinite((<double*>(<char*>cnp.PyArray_DATA(array) + i * cnp.PyArray_STRIDE(array, 0)))[0]):
            return False  # that member fails: the general path
    if len(study._directions) != 1 or type(study.sampler).after_trial is not _base_after_trial:
        return False
    store = <StoreCore?>study._store
    lock = study._lock
    first = group.first
    lock.take()
    try:
        Y, states = store._Y, store._states
        if (cnp.PyArray_TYPE(Y) != cnp.NPY_DOUBLE or cnp.PyArray_NDIM(Y) != 2 or cnp.PyArray_DIM(Y, 0) < first + n
                or cnp.PyArray_TYPE(states) != cnp.NPY_INT8 or cnp.PyArray_NDIM(states) != 1
                or cnp.PyArray_DIM(states, 0) < first + n):
            return False  # never the case for a TrialStore
        if batch._finished_seen != store.n_finished:  # a trial finished since all were seen running
            for i in range(first, first + n):
                if state_code(store, i) != RUNNING:
                    return False
        out = <char*>cnp.PyArray_DATA(Y) + first * cnp.PyArray_STRIDE(Y, 0)
        for i in range(n):
            (<double*>(out + i * cnp.PyArray_STRIDE(Y, 0)))[0] = (
                <double*>(<char*>cnp.PyArray_DATA(array) + i * cnp.PyArray_STRIDE(array, 0)))[0]
        out = <char*>cnp.PyArray_DATA(states) + first * cnp.PyArray_STRIDE(states, 0)
        for i in range(n):
            (out + i * cnp.PyArray_STRIDE(states, 0))[0] = <char>COMPLETE
        group.finish(None, datetime.now())
        store.n_finished += n
        if all_members_have_all(group.entries):
            distributions = group.distributions(0)
            intersection = store._intersection
            for include_pruned in (False, True):
                space = intersection[include_pruned]
                if space is None:
                    intersection[include_pruned] = dict(distributions)
                else:
                    intersect(space, distributions)
        else:
            rows = cnp.PyArray_Arange(0, n, 1, cnp.NPY_INT64)
            store._intersect_batch(False, group, rows)
            store._intersect_batch(True, group, rows)
        batch._told = True
        study._best_seen = -1  # several trials finished at once: the best is looked up again
        return True
    finally:
        lock.give()


cdef bint all_members_have_all(list entries) except -1:
    """Every entry ``(name, distribution, mask)`` of a batch is every member's (mask None)."""
    for entry in entries:
        if (<tuple>entry)[2] is not None:
            return False
    return True


def suggest_of_one(batch, cls, name, low, high, log, step):
    """``batch.suggest_float`` (``cls`` is ``FloatDistribution``) or ``suggest_int``
    (``IntDistribution``) of a batch of one: its scalar trial's suggestion, as an array of
    one value (float64 or int64), after the batch's own checks (told, member running)."""
    cdef TrialCore trial = batch._trial
    cdef int state
    if batch._told:
        raise ValueError(f"{batch!r} has been told; its members cannot change.")
    state = state_code(trial._store, trial._number)
    if state != RUNNING:
        raise ValueError(f"Trial {trial._number} of the batch is {TrialState(state).name}; "
                         "only running members can be changed.")
    cdef _Range entry = numeric_range(cls, name, low, high, log, step)
    value = suggest_locked(trial, name, entry.distribution, entry)
    out = cnp.PyArray_EMPTY(1, [1], cnp.NPY_DOUBLE if cls is FloatDistribution else cnp.NPY_INT64, 0)
    out[0] = value
    return out


cdef object uniforms(source, Py_ssize_t n):
    """``source.take(n)`` of a :class:`~fasthpo.samplers.base.UniformSource`, as a new
    float64 array: its buffered draws first, then fresh ones from its generator."""
    values = cnp.PyArray_EMPTY(1, [n], cnp.NPY_DOUBLE, 0)
    cdef double* data = <double*>cnp.PyArray_DATA(values)
    cdef list buffer = source._buffer
    cdef Py_ssize_t i, k = min(n, len(buffer))
    for i in range(k):
        data[i] = buffer.pop()
    if k < n:
        source.rng.random(out=values[k:])
    return values


@cython.boundscheck(False)
@cython.wraparound(False)
def decode_linear(const double[::1] internals, double internal_low, double internal_high, double scale,
                  double low, double high):
    """``round_internal`` and ``to_external`` of a continuous float on a linear scale for
    each of ``internals``, in one pass: the clipped internal values and the user values
    (the same bits as the Python methods; NaN stays NaN).

    Examples
    --------
    >>> import numpy as np
    >>> rounded, values = decode_linear(np.array([-1.0, 0.25, 2.0]), 0.0, 1.0, 1.0, 0.0, 1.0)
    >>> rounded.tolist(), values.tolist()
    ([0.0, 0.25, 1.0], [0.0, 0.25, 1.0])
    """
    cdef Py_ssize_t i, n = internals.shape[0]
    rounded = cnp.PyArray_EMPTY(1, [n], cnp.NPY_DOUBLE, 0)
    values = cnp.PyArray_EMPTY(1, [n], cnp.NPY_DOUBLE, 0)
    cdef double[::1] r = rounded, v = values
    cdef double x
    for i in range(n):
        x = min_(max_(internals[i], internal_low), internal_high)
        r[i] = x
        v[i] = min_(max_(x / scale, low), high)
    return rounded, values


def intersect(dict space, dict distributions):
    """Remove from ``space`` every name whose distribution in ``distributions`` is not
    the same (absent, or different): the search space shared by one more trial.

    Examples
    --------
    >>> from fasthpo.distributions import FloatDistribution
    >>> space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
    >>> intersect(space, {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 2)})
    >>> list(space)
    ['x']
    """
    cdef list gone = None
    if same_entries(space, distributions):
        return  # the usual case: every trial suggests the same parameters in the same order
    for name, distribution in space.items():
        other = distributions.get(name)
        if other is not distribution and (other is None or other != distribution):
            if gone is None:
                gone = []
            gone.append(name)
    if gone is not None:
        for name in gone:
            del space[name]


cdef bint same_entries(dict a, dict b):
    """``a`` and ``b`` hold the very same keys and values in the same order (no hashing)."""
    cdef Py_ssize_t i = 0, j = 0
    cdef PyObject *key_a
    cdef PyObject *value_a
    cdef PyObject *key_b
    cdef PyObject *value_b
    if len(a) != len(b):
        return False
    while PyDict_Next(a, &i, &key_a, &value_a):
        if not PyDict_Next(b, &j, &key_b, &value_b) or key_a != key_b or value_a != value_b:
            return False
    return True


cdef inline double max_(double a, double b):
    """Python's ``max(a, b)`` on floats: ``a`` unless ``b > a`` (so NaN ``a`` stays)."""
    return b if b > a else a


cdef inline double min_(double a, double b):
    """Python's ``min(a, b)`` on floats: ``a`` unless ``b < a``."""
    return b if b < a else a
