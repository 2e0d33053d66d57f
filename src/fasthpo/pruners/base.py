"""The pruner interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["BasePruner", "NopPruner", "check_count", "is_maximize", "last_step"]


class BasePruner:
    """Base class of pruners: :meth:`prune` answers ``trial.should_prune()``.

    A pruner reads a :class:`~fasthpo.core.History` (intermediate values by trial and
    by step, states, values to minimize), never a Study; the one thing it may write
    is a note on the trial it judges (:meth:`fasthpo.core.History.note`).
    """

    def prune(self, history: History, number: int) -> bool:
        """Whether trial ``number`` (RUNNING, with its intermediate values) should stop now."""
        raise NotImplementedError

    def model_rows(self, history: History, number: int) -> np.ndarray | None:
        """Mask of the trials a sampler should model for trial ``number`` (None: all)."""
        return None


class NopPruner(BasePruner):
    """Never prunes.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(pruner=fasthpo.pruners.NopPruner())
    >>> trial = study.ask()
    >>> trial.report(1.0, step=0)
    >>> trial.should_prune()
    False
    """

    def prune(self, history: History, number: int) -> bool:
        return False


def check_count(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return value


def is_maximize(history: History) -> bool:
    return history.directions[0].name == "MAXIMIZE"


def last_step(reported: dict[int, float]) -> int | None:
    """The last step of a trial's intermediate values (None: none reported)."""
    return max(reported) if reported else None
