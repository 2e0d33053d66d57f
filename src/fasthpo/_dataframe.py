"""``Study.trials_dataframe``: the columnar store as a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fasthpo.trial_state import TrialState

ALL_ATTRS = ("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "state")


def trials_dataframe(study, attrs: Sequence[str] | None = None):
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("trials_dataframe needs pandas: pip install pandas (from a fasthpo checkout: pip install '.[pandas]').") from exc
    attrs = ALL_ATTRS if attrs is None else tuple(attrs)
    unknown = set(attrs) - set(ALL_ATTRS)
    if unknown:
        raise ValueError(f"Unknown attrs {sorted(unknown)}; choose from {list(ALL_ATTRS)}.")
    store = study._store
    records = store.records
    columns: dict[str, object] = {}
    if "number" in attrs:
        columns["number"] = np.arange(store.n_trials)
    if "value" in attrs:
        if store.n_objectives == 1:
            columns["value"] = store.Y[:, 0].copy()
        else:
            for k in range(store.n_objectives):
                columns[f"values_{k}"] = store.Y[:, k].copy()
    starts = pd.to_datetime(pd.Series([r.datetime_start for r in records], dtype=object))
    ends = pd.to_datetime(pd.Series([r.datetime_complete for r in records], dtype=object))
    if "datetime_start" in attrs:
        columns["datetime_start"] = starts
    if "datetime_complete" in attrs:
        columns["datetime_complete"] = ends
    if "duration" in attrs:
        columns["duration"] = ends - starts
    if "params" in attrs:
        for name in store.columns:
            columns[f"params_{name}"] = [r.params.get(name) for r in records]
    if "user_attrs" in attrs:
        keys = sorted({k for r in records for k in r.user_attrs})
        for key in keys:
            columns[f"user_attrs_{key}"] = [r.user_attrs.get(key) for r in records]
    if "state" in attrs:
        columns["state"] = [TrialState(s).name for s in store.states]
    return pd.DataFrame(columns)
