"""fasthpo: hyperparameter optimization with a compiled sampler core.

Examples
--------
>>> import fasthpo
>>> def objective(trial):
...     x = trial.suggest_float("x", -10, 10)
...     return (x - 2) ** 2
>>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
>>> study.optimize(objective, n_trials=50)
>>> abs(study.best_params["x"] - 2) < 1
True
"""

from fasthpo import core, distributions, pruners, samplers, storages
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo._threads import get_num_threads, set_num_threads
from fasthpo.exceptions import DuplicatedStudyError, TrialPruned
from fasthpo.core import StudyDirection
from fasthpo.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    get_all_study_summaries,
    load_study,
)
from fasthpo.trial import FrozenTrial, Trial, create_trial
from fasthpo.trial_state import TrialState

__version__ = "0.1.0"

__all__ = [
    "CategoricalDistribution",
    "DuplicatedStudyError",
    "FloatDistribution",
    "FrozenTrial",
    "IntDistribution",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "copy_study",
    "core",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "get_all_study_names",
    "get_all_study_summaries",
    "get_num_threads",
    "load_study",
    "pruners",
    "samplers",
    "set_num_threads",
    "storages",
]
