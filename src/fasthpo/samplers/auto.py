"""AutoSampler: the sampler for the problem, chosen rule by rule from the study's history.

The rules (:meth:`AutoSampler.choose`), applied before every trial (or batch):

=========================================  ==============================================
the history                                 sampler
=========================================  ==============================================
a conditional space (the COMPLETE trials    TPE, from then on (multivariate and grouped
do not all have the same parameters)        for one objective, its defaults for several)
< ``gp_trials`` COMPLETE trials, one or     GP (log EI; categorical parameters by
two objectives                              equality); with two objectives each trial
                                            minimizes its own random Chebyshev
                                            scalarization of them (ParEGO)
< ``gp_trials`` COMPLETE trials, three or   TPE (its defaults: independent per parameter)
more objectives
several objectives, >= ``gp_trials``        NSGA-II (2-3 objectives) or NSGA-III (4 or
COMPLETE                                    more); its first parents are the elite of
                                            every trial so far
one objective, numeric parameters,          CMA-ES, warm-started from every COMPLETE trial
>= ``gp_trials`` COMPLETE                   (WS-CMA-ES: mean and covariance of the best
                                            10%)
one objective, >= ``gp_trials`` COMPLETE,   TPE (multivariate, grouped)
a categorical parameter or
``constraints_func`` (CMA-ES takes neither)
=========================================  ==============================================

So TPE serves conditional spaces at any size and the very large histories of
categorical or constrained ones and small budgets with three or more objectives; GP,
whose cost grows as n^3, the first ``gp_trials`` with one objective or two.

Every sampler reads the same history, so a switch loses nothing: the new sampler
proposes from all the trials so far. The choice depends on the history alone, so a
resumed study (another process, the same storage) makes the same choices.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fasthpo.core import History, Proposal, SearchSpace
from fasthpo.distributions import BaseDistribution, CategoricalDistribution
from fasthpo.samplers.base import BaseSampler, check_seed
from fasthpo.trial_state import TrialState

__all__ = ["AutoSampler"]

SAMPLER_KEY = "auto:sampler"  # the sampler that proposed a trial
PAREGO_OBJECTIVES = 2  # GP's random scalarizations (ParEGO) up to this many objectives, TPE above
_NAMES = ("tpe", "gp", "cmaes", "nsga2", "nsga3")


class AutoSampler(BaseSampler):
    """Chooses GP, CMA-ES, TPE or NSGA-II for each new trial by the rules of
    :mod:`fasthpo.samplers.auto`: GP for small budgets (with one objective or two),
    CMA-ES once the history is large, TPE for conditional spaces and large categorical
    ones, NSGA-II or NSGA-III for large histories with several objectives. The trial's system attribute ``"auto:sampler"`` records the choice.

    Parameters
    ----------
    seed : int, optional
        Seeds every sampler it may choose (the same seed gives the same study).
    constraints_func : callable, optional
        ``constraints_func(frozen_trial)`` returns constraint values, feasible when all
        are <= 0; handed to GP, TPE and NSGA-II (with constraints, TPE follows GP
        instead of CMA-ES).
    gp_trials : int
        GP before this many COMPLETE trials; then CMA-ES (one objective, numeric space),
        TPE (one objective, categorical parameters or constraints) or NSGA-II/III
        (several objectives).

    Examples
    --------
    >>> import fasthpo
    >>> sampler = fasthpo.samplers.AutoSampler(seed=0, gp_trials=30)
    >>> study = fasthpo.create_study(sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 + t.suggest_float("y", -5, 5) ** 2,
    ...                n_trials=60)
    >>> sorted({t.system_attrs["auto:sampler"] for t in study.trials})
    ['cmaes', 'gp']
    >>> study.best_value < 1e-3
    True
    """

    def __init__(self, *, seed: int | None = None,
                 constraints_func: Callable[[Any], Sequence[float]] | None = None, gp_trials: int = 250) -> None:
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(f"constraints_func must be callable or None, got {constraints_func!r}.")
        if isinstance(gp_trials, bool) or not isinstance(gp_trials, int) or gp_trials < 0:
            raise ValueError(f"gp_trials must be an int >= 0, got {gp_trials!r}.")
        self._constraints_func = constraints_func
        self._gp_trials = gp_trials
        self._seed = check_seed(seed)
        self._reseed(self._seed)
        self._current = threading.local()  # the sampler chosen for this thread's trials
        self._space = _SpaceFacts()

    # ------------------------------------------------------------------ rules
    def choose(self, history: History) -> str:
        """The name of the sampler for the next trials: ``"gp"``, ``"cmaes"``, ``"tpe"``, ``"nsga2"``
        or ``"nsga3"``.

        Examples
        --------
        >>> from fasthpo.core import ArrayHistory
        >>> from fasthpo.distributions import CategoricalDistribution, FloatDistribution
        >>> numeric = ArrayHistory({"x": FloatDistribution(0, 1)}, AutoSampler(gp_trials=5))
        >>> numeric.sampler.choose(numeric)
        'gp'
        >>> for _ in range(5):
        ...     numbers, X = numeric.ask()
        ...     numeric.tell(numbers, X[:, 0])
        >>> numeric.sampler.choose(numeric)
        'cmaes'
        >>> mixed = ArrayHistory({"x": FloatDistribution(0, 1), "c": CategoricalDistribution(["a", "b"])},
        ...                      AutoSampler(gp_trials=5))
        >>> for _ in range(5):
        ...     numbers, X = mixed.ask()
        ...     mixed.tell(numbers, X[:, 0])
        >>> mixed.sampler.choose(mixed)
        'tpe'
        """
        n_complete = len(history.rows_in(TrialState.COMPLETE))
        conditional, categorical = self._space.update(history)
        if conditional:
            return "tpe"
        if n_complete < self._gp_trials:
            return "gp" if history.n_objectives <= PAREGO_OBJECTIVES else "tpe"
        if history.n_objectives > 1:
            return "nsga2" if history.n_objectives < 4 else "nsga3"
        return "tpe" if categorical or self._constraints_func is not None else "cmaes"

    # -------------------------------------------------------------- interface
    def before_trials(self, history: History, numbers: Sequence[int]) -> list[dict[str, Any]]:
        name = self.choose(history)
        sampler = self._sampler(name, history)
        self._current.name = name
        attrs = sampler.before_trials(history, numbers) or [{} for _ in numbers]
        extra: dict[str, Any] = {SAMPLER_KEY: name}
        if history.n_objectives > 1 and not name.startswith("nsga"):  # NSGA's first generation: every trial before it
            from fasthpo.samplers import nsgaii, nsgaiii

            extra[(nsgaii if history.n_objectives < 4 else nsgaiii).GENERATION_KEY] = 0
        return [{**row, **extra} for row in attrs]

    def infer_relative_search_space(self, history: History) -> dict[str, BaseDistribution]:
        return self._chosen(history).infer_relative_search_space(history)

    def propose(self, history: History, space: SearchSpace, numbers: Sequence[int]) -> Proposal:
        return self._chosen(history).propose(history, space, numbers)

    def propose_independent(self, history: History, name: str, distribution: BaseDistribution,
                            numbers: Sequence[int]) -> np.ndarray:
        return self._chosen(history).propose_independent(history, name, distribution, numbers)

    def after_trial(self, history: History, number: int, state: TrialState,
                    values: Sequence[float] | None) -> dict[str, Any] | None:
        name = history.system_attrs(number).get(SAMPLER_KEY)
        if name not in _NAMES:  # a trial this sampler did not propose
            return None
        return self._sampler(name, history).after_trial(history, number, state, values)

    def reseed_rng(self) -> None:
        self._reseed(None)

    # ---------------------------------------------------------------- helpers
    def _reseed(self, seed: int | None) -> None:
        seeds = np.random.default_rng(seed).integers(2**31, size=len(_NAMES)).tolist()
        self._seeds = dict(zip(_NAMES, seeds))
        self._samplers: dict[tuple[str, bool], BaseSampler] = {}  # by name and "several objectives"

    def _chosen(self, history: History) -> BaseSampler:
        name = getattr(self._current, "name", None) or self.choose(history)
        return self._sampler(name, history)

    def _sampler(self, name: str, history: History) -> BaseSampler:
        """The sampler called ``name``, made on first use (CMA-ES from the history then)."""
        key = (name, history.n_objectives > 1)
        sampler = self._samplers.get(key)
        if sampler is None:
            sampler = self._samplers[key] = self._make(name, history)
        return sampler

    def _make(self, name: str, history: History) -> BaseSampler:
        from fasthpo import samplers

        seed, constraints = self._seeds[name], self._constraints_func
        if name == "gp":
            return samplers.GPSampler(seed=seed, constraints_func=constraints)
        if name == "nsga2":
            return samplers.NSGAIISampler(seed=seed, constraints_func=constraints)
        if name == "nsga3":
            return samplers.NSGAIIISampler(seed=seed, constraints_func=constraints)
        if name == "tpe" and history.n_objectives > 1:  # TPE's defaults: independent for several objectives
            return samplers.TPESampler(seed=seed, constraints_func=constraints)
        if name == "tpe":
            return samplers.TPESampler(seed=seed, multivariate=True, group=True, constraints_func=constraints)
        complete = history.rows_in(TrialState.COMPLETE)
        source = [history.frozen_trial(int(n)) for n in complete] or None
        return samplers.CmaEsSampler(seed=seed, source_trials=source)


class _SpaceFacts:
    """Whether the COMPLETE trials so far have a conditional space (not all the same
    parameters) or a categorical parameter; read incrementally, trial by trial."""

    def __init__(self) -> None:
        self.key: int | None = None

    def update(self, history: History) -> tuple[bool, bool]:
        if self.key != history.key:
            self.key, self.seen, self.pattern = history.key, np.zeros(0, dtype=bool), None
            self.conditional = self.categorical = False
        n = history.n_trials
        self.seen = np.concatenate([self.seen, np.zeros(n - len(self.seen), dtype=bool)])
        new = np.flatnonzero((history.states[:n] == TrialState.COMPLETE) & ~self.seen)
        if len(new) and not self.conditional:
            present = ~np.isnan(history.X[new])
            if self.pattern is None:
                self.pattern = present[0]
            pattern = np.concatenate([self.pattern, np.zeros(present.shape[1] - len(self.pattern), dtype=bool)])
            self.conditional = bool((present != pattern).any())
            self.pattern = pattern
        if len(new) and not self.categorical:
            self.categorical = any(isinstance(d, CategoricalDistribution) and not d.single()
                                   for d in history.distributions(int(new[0])).values())
        self.seen[new] = True
        return self.conditional, self.categorical
