"""The reproductions of issue 22's defects, run on fasthpo and on Optuna side by side.

    PYTHONPATH=src python benchmarks/reliability_probes.py

Prints one line per probe and library: what a user gets. Import time and memory are
measured separately (benchmarks/RESULTS.md, "Reliability").
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np
import optuna

import fasthpo

optuna.logging.set_verbosity(optuna.logging.ERROR)
LIBRARIES = {"fasthpo": fasthpo, "optuna": optuna}


def journal(library, path):
    if library is fasthpo:
        return path
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))


def numpy_choices_across_workers(library) -> str:
    """Two workers on one journal suggest numpy-built choices (defect 1)."""
    path = os.path.join(tempfile.mkdtemp(), "journal.log")

    def objective(trial):
        lr = trial.suggest_categorical("lr", list(np.logspace(-4, -1, 4)))
        return float(lr) * trial.suggest_categorical("units", list(np.arange(16, 80, 16)))

    errors = []
    for _ in range(4):
        study = library.create_study(storage=journal(library, path), study_name="s", load_if_exists=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                study.optimize(objective, n_trials=3)
        except Exception as exc:  # noqa: BLE001 - the probe counts failures of any kind
            errors.append(f"{type(exc).__name__}: {str(exc)[:60]}")
    return f"{len(errors)} of 4 workers failed" + (f" (first: {errors[0]})" if errors else "")


def wide_range(library, sampler_name) -> str:
    """suggest_float("x", -1e308, 1e308) for 30 trials (defect 2)."""
    sampler = getattr(library.samplers, sampler_name)(seed=0)
    study = library.create_study(sampler=sampler)
    values = []

    def objective(trial):
        x, y = trial.suggest_float("x", -1e308, 1e308), trial.suggest_float("y", -1e308, 1e308)
        values.append(x)
        return (x / 1e308 - 0.3) ** 2 + (y / 1e308) ** 2

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.optimize(objective, n_trials=30)
    except Exception as exc:  # noqa: BLE001
        return f"error {type(exc).__name__}"
    values = np.array(values)
    return f"NaN {int(np.isnan(values).sum())}/30, distinct {len(np.unique(values[~np.isnan(values)]))}"


def step_grid(library, low, high, step) -> str:
    """FloatDistribution(low, high, step): the high it keeps and whether it warns (defect 3)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = library.distributions.FloatDistribution(low, high, step=step)
    return f"high={d.high!r}, warnings={len(caught)}"


def flat_gp(library) -> str:
    """60 GP trials of a constant objective: repeated points (defect 4)."""
    try:
        study = library.create_study(sampler=library.samplers.GPSampler(seed=0))
    except ImportError as exc:
        return f"not run ({exc.name} missing)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(lambda t: 0 * t.suggest_float("x", 0, 1) * t.suggest_float("y", -5, 5) + 1.0, n_trials=60)
    rows = [tuple(sorted(t.params.items())) for t in study.trials]
    return f"{len(rows) - len(set(rows))} of 60 duplicates"


def main() -> None:
    probes = [("numpy choices, 4 workers on one journal", numpy_choices_across_workers)]
    for sampler in ("RandomSampler", "TPESampler", "CmaEsSampler", "GPSampler"):
        probes.append((f"[-1e308, 1e308], {sampler}", lambda lib, s=sampler: wide_range(lib, s)))
    probes.append(("step=1e-9 on [0, 1]", lambda lib: step_grid(lib, 0.0, 1.0, 1e-9)))
    probes.append(("step=1e-5 on [0, 100]", lambda lib: step_grid(lib, 0.0, 100.0, 1e-5)))
    probes.append(("flat objective, GPSampler", flat_gp))
    for title, probe in probes:
        for name, library in LIBRARIES.items():
            try:
                outcome = probe(library)
            except ImportError as exc:
                outcome = f"not run ({exc.name} missing)"
            print(f"{title:45s} {name:8s} {outcome}")


if __name__ == "__main__":
    main()
