"""Search-space distributions and their internal encoding.

Samplers never see user values. Every distribution maps its values to one float,
the *internal encoding* (DESIGN.md, principle 4):

* ``FloatDistribution``: the value itself, or its natural log when ``log=True``. A
  range with a bound beyond ``±2**996`` (about 6.7e299) is scaled by ``2**-64``, exactly,
  so that samplers can subtract, add and average its bounds without overflow.
* ``IntDistribution``: the value as a float (log when ``log=True``), rounded back
  to the nearest admissible integer on the way out.
* ``CategoricalDistribution``: the index of the choice.

Examples
--------
>>> from fasthpo.distributions import FloatDistribution
>>> d = FloatDistribution(1e-4, 1e-1, log=True)
>>> round(d.to_external(d.to_internal(1e-3)), 12)
0.001
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

__all__ = [
    "BaseDistribution",
    "FloatDistribution",
    "IntDistribution",
    "CategoricalDistribution",
    "check_compatible",
    "distribution_to_dict",
    "distribution_from_dict",
]


def _finite_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return value


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return int(value)
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    return int(value)


def _plain(value: Any) -> Any:
    """A numpy scalar as the equal Python value (np.int64 -> int, np.bool_ -> bool ...)."""
    return value.item() if isinstance(value, np.generic) else value


#: Bounds beyond this magnitude are encoded scaled by _WIDE_SCALE (a power of two: exact).
_WIDE = 2.0**996
_WIDE_SCALE = 2.0**-64


def _exponent(value: float) -> int:
    """The decimal exponent of the last digit the user wrote (0.25 -> -2, 1e-05 -> -5, 300.0 -> -1)."""
    return Decimal(repr(value)).as_tuple().exponent  # type: ignore[return-value]


def _grid_steps(low, high, step, kind: str) -> tuple[int, Any]:
    """The number of steps to the last grid point ``low + k * step`` not above ``high``,
    and that point; warns when it is not ``high``.

    Floats are counted in units of their last written decimal, as integers, so that
    ``step=1e-5`` divides ``[0, 100]`` exactly and no grid point passes ``high``.
    """
    if kind == "int":
        n_steps, remainder = divmod(high - low, step)
        last = low + n_steps * step
    else:
        exponent = min(_exponent(v) for v in (low, high, step))
        units_low, units_high, units_step = (int(Decimal(repr(v)).scaleb(-exponent)) for v in (low, high, step))
        n_steps, remainder = divmod(units_high - units_low, units_step)
        if remainder and float(Decimal(f"{units_low + (n_steps + 1) * units_step}e{exponent}")) == high:
            n_steps += 1  # high is the float of the next grid point (a lowered high, read back)
        last = high if remainder == 0 else float(Decimal(f"{units_low + n_steps * units_step}e{exponent}"))
    if last != high:
        warnings.warn(
            f"The range [{low}, {high}] is not divisible by step={step}; high is adjusted "
            f"down to {last}, the largest value on the step grid.",
            UserWarning,
            stacklevel=5,
        )
    return n_steps, last


class BaseDistribution:
    """A one-dimensional search space with an internal float encoding."""

    __slots__ = ()

    #: The internal encoding's bounds, ``internal_low <= x <= internal_high``.
    internal_low: float
    internal_high: float

    def to_internal(self, value: Any) -> float:
        """Encode a user value (raises ``ValueError`` if it is not in the distribution)."""
        raise NotImplementedError

    def to_external(self, x: float) -> Any:
        """Decode an internal float into the nearest admissible user value."""
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is an admissible user value."""
        try:
            self.to_internal(value)
        except (TypeError, ValueError):
            return False
        return True

    def single(self) -> bool:
        """Whether the distribution has exactly one value."""
        raise NotImplementedError

    def round_internal(self, x: float) -> float:
        """The admissible internal value nearest to ``x`` (on the grid, inside the bounds)."""
        raise NotImplementedError

    def sampling_bounds(self) -> tuple[float, float]:
        """Internal interval whose uniform draws, rounded, are uniform over the values.

        Each grid point (integer, step or choice index) owns a cell of equal width in
        the internal encoding, so the interval reaches half a cell beyond the bounds.
        """
        raise NotImplementedError

    def _key(self) -> tuple:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable.")


class _NumericDistribution(BaseDistribution):
    __slots__ = ("low", "high", "log", "step", "internal_low", "internal_high", "scale", "_n_steps", "_decimals")
    _kind = ""

    def _init(self, low, high, log, step):
        set_ = object.__setattr__
        wide = max(abs(low), abs(high)) > _WIDE
        if wide and step is not None:
            raise ValueError(
                f"A {self._kind} range with a step needs bounds within ±{_WIDE:.3g}, got [{low}, {high}] "
                f"with step={step}."
            )
        scale = _WIDE_SCALE if wide and not log else 1.0
        n_steps, decimals = None, None
        if step is not None:
            n_steps, high = _grid_steps(low, high, step, self._kind)
            decimals = -min(_exponent(float(low)), _exponent(float(step)), 0)
        set_(self, "_n_steps", n_steps)  # the grid is low + k * step, k = 0 ... n_steps
        set_(self, "_decimals", decimals)  # grid values are rounded to the user's decimals
        set_(self, "low", low)
        set_(self, "high", high)
        set_(self, "log", bool(log))
        set_(self, "step", step)
        set_(self, "scale", scale)  # internal = value * scale on a linear scale
        set_(self, "internal_low", self.encode(low))
        set_(self, "internal_high", self.encode(high))

    def _key(self) -> tuple:
        return (self.low, self.high, self.log, self.step)

    def __reduce__(self):
        return (type(self), self._key())

    def single(self) -> bool:
        return self.low == self.high

    def __repr__(self) -> str:
        return f"{type(self).__name__}(low={self.low!r}, high={self.high!r}, log={self.log!r}, step={self.step!r})"

    def _check_value(self, value: Any) -> float:
        value = _finite_number("value", value)
        if not self.low <= value <= self.high:
            raise ValueError(f"value {value!r} is outside [{self.low}, {self.high}] of {self!r}.")
        return value

    def _snap(self, value: float) -> float:
        """The grid point nearest to ``value``, exact to the user's decimals."""
        k = min(max(round((value - self.low) / self.step), 0), self._n_steps)
        return round(self.low + k * self.step, self._decimals)

    def _on_grid(self, value: float) -> bool:
        snapped = self._snap(value)
        return abs(value - snapped) <= 1e-8 * self.step + 2 * math.ulp(snapped)

    def to_internal(self, value: Any) -> float:
        value = self._check_value(value)
        if self.step is not None and not self._on_grid(value):
            raise ValueError(f"value {value!r} is not on the step grid of {self!r}.")
        return self.encode(value)

    def encode(self, value: float) -> float:
        """The internal encoding of a number, unchecked (a fixed value may lie outside).

        Examples
        --------
        >>> FloatDistribution(-1e308, 1e308).encode(2.0**70)
        64.0
        """
        if self.log and value > 0:
            return math.log(value)
        return float(value) * self.scale

    def _round(self, x: float) -> float:
        x = min(max(float(x), self.internal_low), self.internal_high)
        value = math.exp(x) if self.log else x / self.scale
        if self.step is not None:
            value = self._snap(value)
        return min(max(value, self.low), self.high)

    def round_internal(self, x: float) -> float:
        if self.step is None:
            return min(max(float(x), self.internal_low), self.internal_high)
        value = self._round(x)
        return math.log(value) if self.log else value

    def sampling_bounds(self) -> tuple[float, float]:
        if self.step is None:
            return self.internal_low, self.internal_high
        half = 0.5 * self.step
        if self.log:  # integers on a log scale: the cell of k is [k - 1/2, k + 1/2]
            return math.log(self.low - half), math.log(self.high + half)
        return self.low - half, self.high + half


class FloatDistribution(_NumericDistribution):
    """A continuous range ``[low, high]``, optionally on a log scale or a step grid.

    Parameters
    ----------
    low, high : float
        Inclusive bounds, finite, ``low <= high``.
    log : bool
        Sample uniformly in ``log(x)``; needs ``low > 0`` and no ``step``.
    step : float, optional
        Grid spacing from ``low``. If it does not divide ``high - low``, ``high`` is
        lowered to the last grid point and a ``UserWarning`` says so.

    Examples
    --------
    >>> FloatDistribution(0.0, 1.0, step=0.25).to_external(0.3)
    0.25
    """

    __slots__ = ()
    _kind = "float"

    def __init__(self, low: float, high: float, log: bool = False, step: float | None = None) -> None:
        low = _finite_number("low", low)
        high = _finite_number("high", high)
        if low > high:
            raise ValueError(f"low must be <= high, got low={low!r} > high={high!r}.")
        if log and low <= 0.0:
            raise ValueError(f"log=True needs low > 0, got low={low!r}.")
        if step is not None:
            if log:
                raise ValueError(f"step={step!r} cannot be combined with log=True.")
            step = _finite_number("step", step)
            if step <= 0:
                raise ValueError(f"step must be > 0, got step={step!r}.")
        self._init(low, high, log, step)

    def to_external(self, x: float) -> float:
        if self.step is None and not self.log:
            return min(max(float(x) / self.scale, self.low), self.high)
        return float(self._round(x))


class IntDistribution(_NumericDistribution):
    """An integer range ``[low, high]`` with a step, optionally on a log scale.

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low <= high``.
    log : bool
        Sample uniformly in ``log(x)``; needs ``low >= 1`` and ``step == 1``.
    step : int
        Grid spacing from ``low``, ``>= 1``. If it does not divide ``high - low``,
        ``high`` is lowered to the last grid point and a ``UserWarning`` says so.

    Examples
    --------
    >>> IntDistribution(1, 1024, log=True).to_external(2.08)
    8
    """

    __slots__ = ()
    _kind = "int"

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        low = _integer("low", low)
        high = _integer("high", high)
        step = _integer("step", step)
        if low > high:
            raise ValueError(f"low must be <= high, got low={low!r} > high={high!r}.")
        if log and low < 1:
            raise ValueError(f"log=True needs low >= 1, got low={low!r}.")
        if step <= 0:
            raise ValueError(f"step must be >= 1, got step={step!r}.")
        if log and step != 1:
            raise ValueError(f"step={step!r} cannot be combined with log=True (step must be 1).")
        self._init(low, high, log, step)

    def _check_value(self, value: Any) -> int:
        number = _finite_number("value", value)
        if not number.is_integer():
            raise ValueError(f"value {value!r} is not an integer of {self!r}.")
        # Compare as Python integers: beyond 2**53 a float rounds to a neighbour
        # (2**53 + 3 becomes 2**53 + 4) and would fall off the bounds or the grid.
        exact = int(value) if isinstance(value, numbers.Integral) else int(number)
        if not self.low <= exact <= self.high:
            raise ValueError(f"value {value!r} is outside [{self.low}, {self.high}] of {self!r}.")
        return exact

    def _on_grid(self, value: int) -> bool:
        return (value - self.low) % self.step == 0

    def to_external(self, x: float) -> int:
        return int(round(self._round(x)))


class CategoricalDistribution(BaseDistribution):
    """A finite set of choices; encoded as the index of the choice.

    Parameters
    ----------
    choices : sequence of hashable
        Non-empty, distinct, hashable values (``None``, bool, int, float and str
        survive every storage; other hashables work in memory). numpy scalars are
        kept as the equal Python value (``np.float64(0.1)`` as ``0.1``), so that
        choices built with numpy match the same choices read back from a journal.

    Examples
    --------
    >>> d = CategoricalDistribution(["adam", "sgd"])
    >>> d.to_internal("sgd"), d.to_external(0.0)
    (1.0, 'adam')
    >>> import numpy as np
    >>> CategoricalDistribution(list(np.arange(2))) == CategoricalDistribution([0, 1])
    True
    """

    __slots__ = ("choices", "internal_low", "internal_high", "_index")

    def __init__(self, choices: Sequence[Hashable]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise TypeError(f"choices must be a sequence (list or tuple), got {choices!r}.")
        choices = tuple(_plain(c) for c in choices)
        if not choices:
            raise ValueError("choices must not be empty.")
        index: dict = {}
        for i, choice in enumerate(choices):
            try:
                key = self._choice_key(choice)
            except TypeError:
                raise TypeError(f"choices must be hashable, got {choice!r} ({type(choice).__name__}).") from None
            if key in index:
                raise ValueError(f"choices must be distinct, {choice!r} appears twice in {list(choices)!r}.")
            index[key] = i
        set_ = object.__setattr__
        set_(self, "choices", choices)
        set_(self, "internal_low", 0.0)
        set_(self, "internal_high", float(len(choices) - 1))
        set_(self, "_index", index)

    @staticmethod
    def _choice_key(choice: Any) -> tuple:
        # 1, 1.0 and True are equal in Python but distinct choices; NaN never equals itself.
        choice = _plain(choice)
        if isinstance(choice, float) and math.isnan(choice):
            return (float, "nan")
        hash(choice)
        return (type(choice), choice)

    def _key(self) -> tuple:
        return tuple(self._choice_key(c) for c in self.choices)

    def __reduce__(self):
        return (type(self), (self.choices,))

    def single(self) -> bool:
        return len(self.choices) == 1

    def to_internal(self, value: Any) -> float:
        try:
            return float(self._index[self._choice_key(value)])
        except (KeyError, TypeError):
            raise ValueError(f"value {value!r} is not one of the choices {list(self.choices)!r}.") from None

    def to_external(self, x: float) -> Any:
        return self.choices[int(self.round_internal(x))]

    def round_internal(self, x: float) -> float:
        return float(min(max(round(x), 0), len(self.choices) - 1))

    def sampling_bounds(self) -> tuple[float, float]:
        return -0.5, len(self.choices) - 0.5

    def __repr__(self) -> str:
        return f"CategoricalDistribution(choices={self.choices!r})"


def check_compatible(name: str, old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise ``ValueError`` if ``new`` cannot share a column with ``old``.

    One parameter name keeps one kind, one scale and one set of choices for the
    whole study; numeric ranges and steps may change from trial to trial.
    """
    if old is new:
        return
    if type(old) is not type(new):
        raise ValueError(
            f"Parameter {name!r} was defined as {old!r}; it cannot be redefined as {new!r}."
        )
    if isinstance(old, CategoricalDistribution):
        if old != new:
            raise ValueError(
                f"Parameter {name!r} has choices {list(old.choices)!r}; "
                f"it cannot be redefined with choices {list(new.choices)!r}."
            )
    elif old.log != new.log:  # type: ignore[attr-defined]
        raise ValueError(f"Parameter {name!r} was defined as {old!r}; it cannot change log to {new.log!r}.")  # type: ignore[attr-defined]
    elif old.scale != new.scale:  # type: ignore[attr-defined]
        raise ValueError(
            f"Parameter {name!r} was defined as {old!r}; its bounds cannot cross ±{_WIDE:.3g} "
            f"(the encoding of ranges that wide is scaled), got {new!r}."
        )


def distribution_to_dict(distribution: BaseDistribution) -> dict:
    """A JSON-serializable description of ``distribution``."""
    if isinstance(distribution, CategoricalDistribution):
        return {"type": "categorical", "choices": list(distribution.choices)}
    d = distribution
    return {"type": d._kind, "low": d.low, "high": d.high, "log": d.log, "step": d.step}  # type: ignore[attr-defined]


def distribution_from_dict(data: dict) -> BaseDistribution:
    """Inverse of :func:`distribution_to_dict`."""
    kind = data.get("type")
    if kind == "categorical":
        return CategoricalDistribution(data["choices"])
    if kind == "float":
        return FloatDistribution(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "int":
        return IntDistribution(data["low"], data["high"], log=data["log"], step=data["step"])
    raise ValueError(f"Unknown distribution type {kind!r} in {data!r}.")
