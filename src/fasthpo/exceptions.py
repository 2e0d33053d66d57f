"""Exceptions users raise or catch."""

__all__ = ["TrialPruned", "DuplicatedStudyError"]


class TrialPruned(Exception):
    """Raise inside an objective to end the trial as PRUNED.

    Examples
    --------
    >>> import fasthpo
    >>> def objective(trial):
    ...     for step in range(3):
    ...         trial.report(1.0 / (step + 1), step)
    ...         if trial.should_prune():
    ...             raise fasthpo.TrialPruned()
    ...     return 0.0
    """


class DuplicatedStudyError(ValueError):
    """A study of that name already exists in the storage."""
