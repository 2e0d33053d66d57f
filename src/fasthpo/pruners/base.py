"""The pruner interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fasthpo.study import Study
    from fasthpo.trial import FrozenTrial

__all__ = ["BasePruner", "NopPruner", "check_count", "is_maximize"]


class BasePruner:
    """Base class of pruners: :meth:`prune` answers ``trial.should_prune()``."""

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` (RUNNING, with its intermediate values) should stop now."""
        raise NotImplementedError


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

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False


def check_count(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``, or a TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return value


def is_maximize(study: Study) -> bool:
    return study.directions[0].name == "MAXIMIZE"
