"""What every layer shares about objectives: their directions and the Pareto front.

The samplers, pruners and storages need these as much as the Study does, so they live
here, below all of them (``fasthpo.StudyDirection`` is this class).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum, IntEnum

import numpy as np

__all__ = ["StudyDirection", "minimization_signs", "pareto_front_mask"]


class StudyDirection(IntEnum):
    """Whether an objective is minimized or maximized."""

    MINIMIZE = 1
    MAXIMIZE = 2

    __str__ = Enum.__str__  # print() shows StudyDirection.MINIMIZE, as in Optuna


def minimization_signs(directions: Sequence[StudyDirection]) -> np.ndarray:
    """Per objective, the factor that turns its values into values to minimize.

    Examples
    --------
    >>> minimization_signs([StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]).tolist()
    [1.0, -1.0]
    """
    return np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])


def pareto_front_mask(y: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``y`` (to minimize) that no other row dominates.

    Examples
    --------
    >>> pareto_front_mask(np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])).tolist()
    [True, True, False]
    """
    n = len(y)
    order = np.lexsort(y.T[::-1])  # by first objective, ties by the next ones
    mask = np.zeros(n, dtype=bool)
    front: list[int] = []
    for i in order:  # a row can only be dominated by rows sorted before it
        if front:
            f = y[front]
            if np.any(np.all(f <= y[i], axis=1) & np.any(f < y[i], axis=1)):
                continue
        front.append(i)
        mask[i] = True
    return mask
