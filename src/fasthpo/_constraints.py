"""Constraint values of a trial, kept in its system attributes where Optuna keeps them.

``"constraints"`` holds a list (what a sampler's ``constraints_func`` returned, or the
deprecated list form of ``set_constraint``); ``"constraints:<key>"`` holds one named
value set by ``trial.set_constraint(key, value)``. A trial is feasible when every value
is <= 0; a trial without constraints is feasible.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["CONSTRAINTS_KEY", "checked_constraint", "constraint_key", "constraint_values", "constraints_of", "is_constraint_key"]

CONSTRAINTS_KEY = "constraints"
_PREFIX = CONSTRAINTS_KEY + ":"


def constraint_key(key: str) -> str:
    """The system attribute that holds the constraint named ``key``."""
    return _PREFIX + key


def is_constraint_key(key: str) -> bool:
    """Whether the system attribute ``key`` holds constraint values."""
    return key == CONSTRAINTS_KEY or key.startswith(_PREFIX)


def constraints_of(system_attrs: dict[str, Any]) -> dict[str, float]:
    """Every constraint value of a trial by name; list items are named ``"0"``, ``"1"``, …

    Examples
    --------
    >>> constraints_of({"constraints": [0.5, -1.0], "constraints:memory": 2.0, "other": 1})
    {'0': 0.5, '1': -1.0, 'memory': 2.0}
    """
    listed = system_attrs.get(CONSTRAINTS_KEY)
    out = {str(i): float(v) for i, v in enumerate(listed or ())}
    for key, value in system_attrs.items():
        if key.startswith(_PREFIX):
            out[key[len(_PREFIX):]] = float(value)
    return out


def checked_constraint(key: Any, value: Any) -> float:
    """``value`` as a float, after checking the arguments of ``set_constraint(key, value)``."""
    if not isinstance(key, str):
        raise TypeError(f"The constraint key must be a str, got {key!r} ({type(key).__name__}).")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"The value of constraint {key!r} must be a real number, got {value!r} ({type(value).__name__}).")
    if math.isnan(value):
        raise ValueError(f"The value of constraint {key!r} is NaN; it must be a number.")
    return float(value)


def constraint_values(values: Any) -> list[float]:
    """``values`` (a number or a sequence of numbers, none NaN) as a list of floats."""
    items = list(values) if isinstance(values, Sequence) else [values]
    if not items or any(isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(v) for v in items):
        raise ValueError(f"constraint values must be a number or a non-empty sequence of numbers (no NaN), got {values!r}.")
    return [float(v) for v in items]
