"""The interface every sampler implements: proposals on arrays, no Study.

A sampler reads a :class:`~fasthpo.core.History` (encoded rows ``X``, values to
minimize ``Y``, states, constraints, intermediate values) and answers with encoded
rows in the internal encoding (DESIGN.md, principle 4). It never sees a Study or a
Trial; the define-by-run Study, the Optuna adapter and :class:`~fasthpo.core.ArrayHistory`
are its clients, and all three drive it the same way (:func:`fasthpo.core.propose.propose_rows`)
for a group of new trials ``numbers`` (one trial for a scalar ``ask``):

1. ``before_trials(history, numbers)`` when the trials exist (RUNNING, no parameter
   yet); it may return one dict of system attributes per trial to store.
2. **Relative (joint) proposal.** ``infer_relative_search_space(history)`` names the
   parameters to propose jointly (usually those every finished trial shares) and
   ``propose(history, space, numbers)`` returns a :class:`~fasthpo.core.Proposal`: one
   encoded row per trial (NaN where it proposes nothing) and the attributes to store.
   In a batch, earlier rows count as running trials for the later ones (TPE's constant
   liar, GP's lie at the mean), so the rows do not collapse; a CMA-ES generation is a batch.
3. **Independent proposal.** Any parameter outside that space (or with another
   distribution, or left NaN) is proposed alone:
   ``propose_independent(history, name, distribution, numbers)`` returns one encoded
   value per trial.
4. ``after_trial(history, number, state, values)`` once a trial is finished in the
   history; it may return system attributes to store (constraint values).
5. ``n_remaining(history)``: how many more trials the sampler can propose (a grid
   runs out), None for no limit. ``optimize`` stops at 0.

Samplers return what they want stored instead of writing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution
from fasthpo.trial_state import TrialState

__all__ = ["BaseSampler", "JointSampler", "UniformSource"]


class BaseSampler:
    """Base class of samplers. Subclasses override the steps they use."""

    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        """The parameters to propose jointly for the next trials (empty: none)."""
        return {}

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        """Encoded rows ``[len(numbers), len(space)]`` for trials ``numbers`` (NaN: not proposed)."""
        return Proposal.empty(len(numbers), len(space))

    def propose_independent(
        self, history: History, name: str, distribution: BaseDistribution, numbers: Sequence[int]
    ) -> np.ndarray:
        """One encoded value of parameter ``name`` per trial of ``numbers`` (an array, or
        any sequence of floats)."""
        raise NotImplementedError

    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]] | None:
        """Called when trials ``numbers`` exist, before any proposal; per trial the
        system attributes to store (None: nothing)."""
        return None

    def after_trial(
        self, history: History, number: int, state: TrialState, values: Sequence[float] | None
    ) -> dict[str, Any] | None:
        """Called when trial ``number`` is finished in ``history``; the system
        attributes to store with it (None: nothing)."""
        return None

    def n_remaining(self, history: History) -> int | None:
        """How many more trials this sampler can propose (None: no limit)."""
        return None

    def reseed_rng(self) -> None:
        """Draw a fresh seed (each worker of ``optimize(n_jobs>1)`` keeps its own sequence)."""


class JointSampler(BaseSampler):
    """A sampler that proposes its joint search space itself and hands every parameter
    outside it to ``self._independent`` (set by the subclass), hooks and seed included."""

    _independent: BaseSampler

    def propose_independent(
        self, history: History, name: str, distribution: BaseDistribution, numbers: Sequence[int]
    ) -> np.ndarray:
        return self._independent.propose_independent(history, name, distribution, numbers)

    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]] | None:
        return self._independent.before_trials(history, numbers)

    def after_trial(
        self, history: History, number: int, state: TrialState, values: Sequence[float] | None
    ) -> dict[str, Any] | None:
        return self._independent.after_trial(history, number, state, values)

    def n_remaining(self, history: History) -> int | None:
        return self._independent.n_remaining(history)

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()


class UniformSource:
    """Uniform draws from a seeded ``numpy.random.Generator``, served from a block.

    One ``Generator.random()`` call per suggestion costs more than the rest of a
    random suggestion; drawing a block of ``block`` at a time and handing them out one
    by one keeps the sequence identical for a given seed.

    Examples
    --------
    >>> a, b = UniformSource(seed=1), UniformSource(seed=1)
    >>> [a.next() for _ in range(3)] == [b.next() for _ in range(3)]
    True
    """

    def __init__(self, seed: int | None = None, block: int = 256) -> None:
        self.rng = np.random.default_rng(seed)
        self._block = block
        self._buffer: list[float] = []  # the next draws, last first; one list for the source's life (the trial path keeps it)

    def next(self) -> float:
        """One uniform draw in ``[0, 1)``."""
        buffer = self._buffer
        if not buffer:
            buffer.extend(self.rng.random(self._block).tolist())
            buffer.reverse()
        return buffer.pop()

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` draws (the same numbers ``n`` calls of :meth:`next` give:
        ``Generator.random(a)`` then ``random(b)`` is ``random(a + b)``)."""
        buffer = self._buffer
        if n <= len(buffer):
            if n <= 0:
                return np.empty(0)
            head = buffer[-n:]
            del buffer[-n:]
            head.reverse()
            return np.array(head)
        head = buffer[::-1]
        buffer.clear()
        fresh = self.rng.random(n - len(head))
        return np.concatenate((head, fresh)) if head else fresh

    def reseed(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self._buffer.clear()


def check_seed(seed: Any) -> int | None:
    """Validate a sampler's ``seed`` argument."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {seed!r} ({type(seed).__name__}).")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed!r}.")
    return int(seed)
