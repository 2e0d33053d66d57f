"""Command line: ``fasthpo demo`` (also ``python -m fasthpo demo``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence

import numpy as np

import fasthpo
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
    args = parser.parse_args(argv)
    if args.command == "journal":
        return repair_journal(args.path, args.output or args.path + ".repaired")
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
