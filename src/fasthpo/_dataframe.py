"""``Study.trials_dataframe``: one row per trial, Optuna's columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fasthpo.trial import FrozenTrial
from fasthpo.trial_state import TrialState

DEFAULT_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs",
                 "system_attrs", "state")
TRIAL_ATTRS = frozenset({"number", "value", "values", "datetime_start", "datetime_complete", "duration", "params",
                         "distributions", "user_attrs", "system_attrs", "intermediate_values", "state", "trial_id",
                         "last_step", "constraints"})


def trials_dataframe(study, attrs: Sequence[str] = DEFAULT_ATTRS, multi_index: bool = False):
    """The trials as a DataFrame: a column per plain attribute, ``(attr, key)`` columns for a
    dict or list attribute (keys sorted), flattened to ``attr_key`` unless ``multi_index``."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("trials_dataframe needs pandas: pip install pandas (from a fasthpo checkout: pip install '.[pandas]').") from exc
    if isinstance(attrs, str) or not all(isinstance(a, str) for a in attrs):
        raise TypeError(f"attrs must be a sequence of attribute names, got {attrs!r}.")
    unknown = [a for a in attrs if a.lstrip("_") not in TRIAL_ATTRS]
    if unknown:
        raise ValueError(f"Unknown attrs {unknown}; choose from {sorted(TRIAL_ATTRS)}.")
    trials = study.get_trials(deepcopy=False)
    if not trials:
        return pd.DataFrame()
    if len(study.directions) > 1:
        attrs = tuple("values" if a == "value" else a for a in attrs)
    columns_of: dict[str, set] = {a: set() for a in attrs}
    rows = []
    for trial in trials:
        row: dict[tuple[str, Any], Any] = {}
        for attr in attrs:
            for key, value in _cells(trial, attr, len(study.directions)):
                row[key] = value
                columns_of[attr].add(key)
        rows.append(row)
    columns = [key for attr in attrs for key in sorted(columns_of[attr], key=_sort_key)]
    frame = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(columns))
    if not multi_index:
        frame.columns = ["_".join(str(part) for part in key if part != "") for key in columns]
    return frame


def _cells(trial: FrozenTrial, attr: str, n_objectives: int):
    """``((column, key), value)`` pairs of one attribute of one trial; key "" for a plain attribute."""
    name = attr.lstrip("_")
    value = getattr(trial, name)
    if isinstance(value, TrialState):
        return [((name, ""), value.name)]
    if isinstance(value, dict):
        return [((name, key), v) for key, v in value.items()]
    if name == "values":
        return [((name, i), v) for i, v in enumerate([None] * n_objectives if value is None else value)]
    return [((name, ""), value)]


def _sort_key(key: tuple[str, Any]) -> tuple:
    """Keys of one attribute in order (names and step numbers never mixed within an attribute)."""
    return (type(key[1]).__name__, key[1])
