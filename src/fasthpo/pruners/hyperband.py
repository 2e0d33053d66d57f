"""Hyperband (Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
Optimization") on top of asynchronous successive halving, as Optuna runs it."""

from __future__ import annotations

import binascii
import math
from typing import TYPE_CHECKING

import numpy as np

from fasthpo.pruners.base import BasePruner, check_count
from fasthpo.pruners.successive_halving import SuccessiveHalvingPruner
from fasthpo.trial_state import TrialState

if TYPE_CHECKING:
    from fasthpo.core import History

__all__ = ["HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Several successive-halving brackets, from aggressive to patient; each trial is
    assigned to one bracket, in proportion to the bracket's budget, by a hash of the
    study name and the trial number (the same in every process).

    Samplers that support it (TPE) build their model from the trials of the new trial's
    own bracket only (:meth:`model_rows`), as in Optuna.

    Parameters
    ----------
    min_resource : int
        Steps before the first rung of the most aggressive bracket.
    max_resource : int or "auto"
        The longest a trial runs; "auto" takes the longest COMPLETE trial's last step
        plus one, and prunes nothing before a trial completes.
    reduction_factor : int
        At least 2.
    bootstrap_count : int
        As in :class:`SuccessiveHalvingPruner`.

    Examples
    --------
    >>> import fasthpo
    >>> pruner = fasthpo.pruners.HyperbandPruner(min_resource=1, max_resource=27)
    >>> pruner.n_brackets
    4
    """

    def __init__(self, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3,
                 bootstrap_count: int = 0) -> None:
        self._min_resource = check_count("min_resource", min_resource, minimum=1)
        if max_resource != "auto":
            check_count("max_resource", max_resource, minimum=min_resource)
        self._max_resource = None if max_resource == "auto" else max_resource
        self._reduction_factor = check_count("reduction_factor", reduction_factor, minimum=2)
        self._bootstrap_count = check_count("bootstrap_count", bootstrap_count, minimum=0)
        self._brackets: list[SuccessiveHalvingPruner] = []
        self._budgets: np.ndarray = np.empty(0)
        self._bracket_cache: tuple = (None, [])
        if self._max_resource is not None:
            self._make_brackets()

    @property
    def n_brackets(self) -> int | None:
        """The number of brackets (None until max_resource is known)."""
        return len(self._brackets) or None

    def _make_brackets(self) -> None:
        ratio = self._max_resource / self._min_resource
        n = math.floor(math.log(ratio, self._reduction_factor) + 1e-12) + 1
        self._brackets = [SuccessiveHalvingPruner(self._min_resource, self._reduction_factor, i, self._bootstrap_count)
                          for i in range(n)]
        for i, bracket in enumerate(self._brackets):  # rung values kept apart per bracket
            bracket._rungs.prefix = f"hyperband_bracket_{i}:completed_rung_"
        # bracket i starts n * eta^s / (s + 1) trials, s = n - 1 - i (Li et al. 2018, Algorithm 1)
        self._budgets = np.cumsum([math.ceil(n * self._reduction_factor ** (n - 1 - i) / (n - i)) for i in range(n)])

    def bracket_of(self, history: History, number: int) -> int:
        """The bracket of trial ``number``: a CRC-32 of the study name and the number, over
        the brackets' cumulative budgets."""
        ticket = binascii.crc32(f"{history.study_name}_{number}".encode()) % int(self._budgets[-1])
        return int(np.searchsorted(self._budgets, ticket, side="right"))

    def _ready(self, history: History) -> bool:
        if not self._brackets:
            last = [max(history.intermediate_values(i)) for i in history.rows_in(TrialState.COMPLETE)
                    if history.intermediate_values(i)]
            if not last:
                return False
            self._max_resource = max(max(last) + 1, self._min_resource)
            self._make_brackets()
        return True

    def prune(self, history: History, number: int) -> bool:
        if not self._ready(history):
            return False
        return self._brackets[self.bracket_of(history, number)].prune(history, number)

    def model_rows(self, history: History, number: int) -> np.ndarray | None:
        """Mask of the trials in the bracket of trial ``number`` (None: every trial)."""
        if not self._ready(history):
            return None
        n = history.n_trials
        if self._bracket_cache[0] != history.key:
            self._bracket_cache = (history.key, [])
        brackets = self._bracket_cache[1]  # the bracket of every trial so far, computed once
        brackets.extend(self.bracket_of(history, i) for i in range(len(brackets), n))
        return np.asarray(brackets[:n]) == self.bracket_of(history, number)
