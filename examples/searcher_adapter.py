"""A small adapter that puts a fasthpo sampler behind another framework's searcher interface.

Tuning frameworks (Ray Tune's ``Searcher``, Syne Tune's ``TrialScheduler``, benchmark
harnesses) ask a searcher for the next configuration under their own trial ids and
report results later, in any order. ``FasthpoSearcher`` maps that onto
``fasthpo.core.ArrayHistory``: ``suggest(trial_id)`` returns a dict of user values,
``on_trial_complete(trial_id, result)`` tells the value (None: the trial failed).

    python examples/searcher_adapter.py
"""

from __future__ import annotations

import numpy as np

from fasthpo.core import ArrayHistory
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers import BaseSampler, GPSampler


class FasthpoSearcher:
    """The searcher interface of a tuning framework, answered by a fasthpo sampler."""

    def __init__(self, space: dict[str, BaseDistribution], sampler: BaseSampler, metric: str,
                 mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}.")
        self.metric = metric
        self._history = ArrayHistory(space, sampler, directions=["minimize" if mode == "min" else "maximize"])
        self._numbers: dict[str, int] = {}

    def suggest(self, trial_id: str) -> dict:
        """The configuration for the framework's trial ``trial_id``."""
        if trial_id in self._numbers:
            raise ValueError(f"Trial {trial_id!r} was suggested already.")
        numbers, X = self._history.ask(n=1)
        self._numbers[trial_id] = int(numbers[0])
        return {name: column[0].item() if hasattr(column[0], "item") else column[0]
                for name, column in self._history.space.decode(X).items()}

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        """The framework's report: ``result[self.metric]``, or a failed trial."""
        number = self._numbers.pop(trial_id)
        value = np.nan if error or result is None else float(result[self.metric])
        self._history.tell([number], [value])


def train(config: dict) -> dict:
    """A stand-in for a training run: a score that is best near lr=1e-2, 3 layers, relu."""
    loss = (np.log10(config["lr"]) + 2) ** 2 + 0.1 * (config["layers"] - 3) ** 2
    return {"loss": loss + (0.0 if config["activation"] == "relu" else 0.5)}


def main(n_trials: int = 30, seed: int = 0) -> float:
    space = {
        "lr": FloatDistribution(1e-4, 1e-1, log=True),
        "layers": IntDistribution(1, 6),
        "activation": CategoricalDistribution(["relu", "tanh"]),
    }
    searcher = FasthpoSearcher(space, GPSampler(seed=seed, n_startup_trials=8), metric="loss", mode="min")
    best = np.inf
    for i in range(n_trials):  # the framework's loop: ask, run, report
        config = searcher.suggest(f"trial_{i}")
        result = train(config)
        searcher.on_trial_complete(f"trial_{i}", result)
        best = min(best, result["loss"])
    print(f"best loss after {n_trials} trials: {best:.4f}")
    return float(best)


if __name__ == "__main__":
    main()
