"""A fasthpo sampler driven from a plain NumPy loop: no Study, no Trial.

``ArrayHistory`` keeps the trials as arrays; each step asks the sampler for a batch of
encoded rows, evaluates them all at once, and tells the values back.

    python examples/numpy_loop.py
"""

from __future__ import annotations

import numpy as np

from fasthpo.core import ArrayHistory
from fasthpo.distributions import FloatDistribution
from fasthpo.samplers import BaseSampler, TPESampler


def rosenbrock(X: np.ndarray) -> np.ndarray:
    """Vectorized over rows: the 2-D Rosenbrock function, minimum 0 at (1, 1)."""
    x, y = X[:, 0], X[:, 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def main(n_batches: int = 25, batch_size: int = 8, sampler: BaseSampler | None = None) -> float:
    space = {"x": FloatDistribution(-2, 2), "y": FloatDistribution(-1, 3)}
    history = ArrayHistory(space, sampler or TPESampler(seed=0, n_startup_trials=16))
    for _ in range(n_batches):
        numbers, X = history.ask(n=batch_size)  # encoded rows, columns in the order of `space`
        params = history.space.decode(X)  # user values by name (identical here: no log, no ints)
        history.tell(numbers, rosenbrock(np.column_stack([params["x"], params["y"]])))
    best = int(np.nanargmin(history.Y[:, 0]))
    print(f"{history.n_trials} trials, best {history.Y[best, 0]:.4f} at {history.params(best)}")
    return float(history.Y[best, 0])


if __name__ == "__main__":
    main()
