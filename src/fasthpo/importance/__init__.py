"""Parameter importance: which parameters decided how good the trials were.

:func:`get_param_importances` with PED-ANOVA (the default; Parzen estimates on the compiled
TPE kernels) or fANOVA (a random forest, the ``importance`` extra: scikit-learn).

Examples
--------
>>> import fasthpo
>>> from fasthpo.importance import get_param_importances
>>> def objective(trial):
...     x = trial.suggest_float("x", -1, 1)
...     y = trial.suggest_float("y", -1, 1)
...     return x**2 + 0.001 * y
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(objective, n_trials=200)
>>> importances = get_param_importances(study)
>>> list(importances), round(sum(importances.values()), 6)
(['x', 'y'], 1.0)
"""

from __future__ import annotations

from fasthpo._target import Target
from fasthpo.importance._base import BaseImportanceEvaluator, normalized
from fasthpo.importance._fanova import FanovaImportanceEvaluator
from fasthpo.importance._ped_anova import PedAnovaImportanceEvaluator
from fasthpo.study import Study

__all__ = ["BaseImportanceEvaluator", "FanovaImportanceEvaluator", "PedAnovaImportanceEvaluator",
           "get_param_importances"]


def get_param_importances(
    study: Study,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: list[str] | None = None,
    target: Target | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, from the most to the least important.

    Parameters
    ----------
    study : Study
        A study with at least two complete trials.
    evaluator : BaseImportanceEvaluator, optional
        None means a new :class:`PedAnovaImportanceEvaluator`; :class:`FanovaImportanceEvaluator`
        (give it a ``seed`` for repeatable results) is the alternative.
    params : list of str, optional
        The parameters to rate; None means every parameter of the complete trials (fANOVA:
        those present in all of them).
    target : callable, optional
        The value to explain, ``target(frozen_trial) -> float``; None means the objective.
        Trials whose target is NaN or infinite are left out.
    normalize : bool, default True
        Scale the importances to sum to 1 (equal shares when all are 0).

    Returns
    -------
    dict of str to float

    Raises
    ------
    ValueError
        Fewer than two complete trials with a finite value, an unknown parameter name, or a
        ``target`` that raises (the trial is named).
    TypeError
        A study that is not a fasthpo Study, ``params`` that is not a list of names, or an
        evaluator of another type.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=1))
    >>> study.optimize(lambda t: t.suggest_int("n", 0, 9) + 1e-3 * t.suggest_float("x", 0, 1), n_trials=100)
    >>> max(get_param_importances(study).items(), key=lambda item: item[1])[0]
    'n'
    """
    if not isinstance(study, Study):
        raise TypeError(f"study must be a fasthpo Study, got {study!r}.")
    evaluator = PedAnovaImportanceEvaluator() if evaluator is None else evaluator
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise TypeError(f"evaluator must be a fasthpo importance evaluator, got {evaluator!r}.")
    importances = evaluator.evaluate(study, params=params, target=target)
    return normalized(importances) if normalize else importances
