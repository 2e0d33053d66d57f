"""Command line (also ``python -m fasthpo``): ``demo``, ``journal repair``, and Optuna's study
commands on a storage URL: ``studies``, ``trials``, ``best-trial``, ``best-trials``,
``delete-study``, plus ``report`` (a self-contained HTML page), and ``bench`` (compare
samplers, see :mod:`fasthpo.benchmarks`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

import fasthpo
from fasthpo.benchmarks.command import add_bench_command, run_bench
from fasthpo.storages.journal import JournalOperation, encode

SAMPLERS = {
    "tpe": lambda seed: fasthpo.samplers.TPESampler(seed=seed),
    "random": lambda seed: fasthpo.samplers.RandomSampler(seed=seed),
    "qmc": lambda seed: fasthpo.samplers.QMCSampler(scramble=True, seed=seed),
}


class RidgeTuning:
    """A real tuning job: polynomial ridge regression on noisy data, scored on held-out data.

    The search space mixes a log-scale float (``alpha``), an int (``degree``), a
    categorical (``basis``) and a stepped float (``train_fraction``).
    """

    def __init__(self, seed: int = 0, n_samples: int = 400) -> None:
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.0, 1.0, n_samples)
        y = np.sin(3.0 * x) + 0.5 * x**2 + rng.normal(0.0, 0.15, n_samples)
        cut = n_samples // 2
        self.x_train, self.y_train = x[:cut], y[:cut]
        self.x_valid, self.y_valid = x[cut:], y[cut:]

    @staticmethod
    def features(x: np.ndarray, degree: int, basis: str) -> np.ndarray:
        if basis == "chebyshev":
            return np.polynomial.chebyshev.chebvander(x, degree)
        if basis == "legendre":
            return np.polynomial.legendre.legvander(x, degree)
        return np.vander(x, degree + 1, increasing=True)

    def __call__(self, trial: fasthpo.Trial) -> float:
        alpha = trial.suggest_float("alpha", 1e-8, 1e2, log=True)
        degree = trial.suggest_int("degree", 1, 15)
        basis = trial.suggest_categorical("basis", ["monomial", "chebyshev", "legendre"])
        fraction = trial.suggest_float("train_fraction", 0.2, 1.0, step=0.1)
        n = max(int(len(self.x_train) * fraction), degree + 1)
        a = self.features(self.x_train[:n], degree, basis)
        coef = np.linalg.solve(a.T @ a + alpha * np.eye(degree + 1), a.T @ self.y_train[:n])
        residual = self.features(self.x_valid, degree, basis) @ coef - self.y_valid
        return float(np.mean(residual**2))


def demo(n_trials: int, sampler_name: str, seed: int) -> fasthpo.Study:
    """Tune :class:`RidgeTuning` with a progress bar and print the result."""
    study = fasthpo.create_study(sampler=SAMPLERS[sampler_name](seed))
    print(f"fasthpo {fasthpo.__version__} demo: ridge regression, {n_trials} trials, sampler {type(study.sampler).__name__}")
    start = time.perf_counter()
    study.optimize(RidgeTuning(seed), n_trials=n_trials, show_progress_bar=True)
    elapsed = time.perf_counter() - start
    best = study.best_trial
    print(f"best validation MSE: {best.value:.6f} (trial {best.number} of {len(study.trials)})")
    for name, value in best.params.items():
        print(f"  {name:>15} = {value}")
    print(f"{n_trials} trials in {elapsed:.2f} s ({n_trials / elapsed:.0f} trials/s)")
    return study


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fasthpo", description="Hyperparameter optimization with a compiled core.")
    parser.add_argument("--version", action="version", version=f"fasthpo {fasthpo.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="tune a ridge regression model and print the best result")
    run.add_argument("--n-trials", type=int, default=300, help="number of trials (default 300)")
    run.add_argument("--sampler", choices=sorted(SAMPLERS), default="tpe", help="sampler (default: tpe)")
    run.add_argument("--seed", type=int, default=0, help="seed of the data and the sampler (default 0)")
    journal = commands.add_parser("journal", help="journal files").add_subparsers(dest="action", required=True)
    repair = journal.add_parser("repair", help="write a repaired copy of a journal beside it (the original is kept)")
    repair.add_argument("path", help="the journal file")
    repair.add_argument("--output", help="the copy (default: <path>.repaired); must not exist")
    add_study_commands(commands)
    add_bench_command(commands)
    args = parser.parse_args(argv)
    if args.command == "bench":
        return run_bench(args)
    if args.command == "journal":
        return repair_journal(args.path, args.output or args.path + ".repaired")
    if args.command in STUDY_COMMANDS:
        return run_study_command(args)
    if args.n_trials < 1:
        parser.error(f"--n-trials must be >= 1, got {args.n_trials}")
    demo(args.n_trials, args.sampler, args.seed)
    return 0


def repair_journal(path: str, output: str) -> int:
    """Write the readable part of the journal ``path`` to ``output`` in Optuna's format.

    Unreadable lines are skipped and listed; a torn last line is left out; lines of
    fasthpo's first format are translated. ``path`` itself is only read.
    """
    if not os.path.isfile(path):
        print(f"fasthpo journal repair: no journal file {path!r}", file=sys.stderr)
        return 2
    if os.path.exists(output):
        print(f"fasthpo journal repair: {output!r} exists; it is not overwritten", file=sys.stderr)
        return 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        storage = fasthpo.storages.JournalFileStorage(path, skip_corrupt=True)
        records = storage.snapshot_records()
    for warning in caught:
        print(f"skipped: {warning.message}", file=sys.stderr)
    with open(output, "xb") as f:
        f.write(b"".join(encode(record) for record in records))
    n_trials = sum(r["op_code"] == JournalOperation.CREATE_TRIAL for r in records)
    print(f"wrote {output!r}: {len(storage.get_all_study_names())} studies, {n_trials} trials, "
          f"{len(caught)} problems skipped")
    return 0


# ------------------------------------------------------------------ studies in a storage
FORMATS = ("table", "csv", "json")
STUDY_COMMANDS = ("studies", "trials", "best-trial", "best-trials", "delete-study", "report")


def add_study_commands(commands) -> None:
    """Optuna's everyday commands on a storage URL (a journal file path, journal:///path or redis://)."""
    helps = {
        "studies": "list the studies in a storage",
        "trials": "the trials of a study (the trials_dataframe table)",
        "best-trial": "the best trial of a single-objective study",
        "best-trials": "the Pareto set of a study",
        "delete-study": "delete a study from a storage",
        "report": "write a self-contained HTML report of a study",
    }
    for name in STUDY_COMMANDS:
        command = commands.add_parser(name, help=helps[name])
        command.add_argument("storage", help="journal file path, journal:///abs/path or redis://host:port/db")
        if name != "studies":
            command.add_argument("--study", dest="study_name",
                                 help="study name (may be left out when the storage holds one study)")
        if name in ("studies", "trials", "best-trial", "best-trials"):
            command.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format (default table)")
        if name == "report":
            command.add_argument("-o", "--output", default="report.html", help="the HTML file (default report.html)")


def run_study_command(args) -> int:
    """Run one study command; a problem with the storage or the study is one line on stderr, exit 1."""
    try:
        storage = _existing_storage(args.storage)
        if args.command == "studies":
            print(_studies_table(storage, args.format))
            return 0
        name = _study_name(storage, args.study_name)
        if args.command == "delete-study":
            fasthpo.delete_study(study_name=name, storage=storage)
            print(f"deleted study {name!r}")
            return 0
        study = fasthpo.load_study(study_name=name, storage=storage)
        if args.command == "report":
            from fasthpo.report import write_report

            write_report(study, args.output)
            print(f"wrote {args.output}")
            return 0
        print(_trials_table(study, args.command, args.format))
        return 0
    except (ValueError, RuntimeError, KeyError, ImportError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"fasthpo {args.command}: {message}", file=sys.stderr)
        return 1


def _existing_storage(url: str):
    """The storage at ``url``; a journal file must exist (reading never creates one)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        path = url[len("journal://"):] if url.startswith("journal://") else url
        if not os.path.isfile(path):
            raise ValueError(f"no journal file at {path!r}")
    return fasthpo.storages.get_storage(url)


def _study_name(storage, name: str | None) -> str:
    names = fasthpo.get_all_study_names(storage)
    if name is None:
        if len(names) != 1:
            raise ValueError(f"the storage holds {len(names)} studies {names}; choose one with --study")
        return names[0]
    if name not in names:
        raise ValueError(f"no study {name!r} in the storage; it holds {names}")
    return name


def _studies_table(storage, output_format: str) -> str:
    import pandas as pd

    rows = [{"name": s.study_name, "direction": ", ".join(d.name for d in s.directions), "n_trials": s.n_trials,
             "datetime_start": s.datetime_start} for s in fasthpo.get_all_study_summaries(storage, include_best_trial=False)]
    return _formatted(pd.DataFrame(rows, columns=["name", "direction", "n_trials", "datetime_start"]), output_format)


def _trials_table(study, command: str, output_format: str) -> str:
    frame = study.trials_dataframe()
    if command == "best-trial":
        frame = frame[frame["number"] == study.best_trial.number]
    elif command == "best-trials":
        frame = frame[frame["number"].isin([t.number for t in study.best_trials])]
    return _formatted(frame, output_format)


def _formatted(frame, output_format: str) -> str:
    if output_format == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if output_format == "json":
        return frame.to_json(orient="records", date_format="iso", indent=1)
    return frame.to_string(index=False) if len(frame) else "(none)"
