"""Trial states, as users know them from Optuna."""

from enum import Enum, IntEnum

__all__ = ["TrialState"]


class TrialState(IntEnum):
    """Life cycle of a trial: WAITING (enqueued) → RUNNING → COMPLETE, PRUNED or FAIL."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        """Whether the trial has ended (COMPLETE, PRUNED or FAIL)."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    __str__ = Enum.__str__  # print(trial.state) shows TrialState.COMPLETE, as in Optuna
