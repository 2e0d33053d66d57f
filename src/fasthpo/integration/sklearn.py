"""A scikit-learn search estimator that picks hyperparameters with a fasthpo study.

Needs the ``sklearn`` extra (from a checkout: ``pip install ".[sklearn]"``).

:class:`FasthpoSearchCV` is used like ``RandomizedSearchCV``: give an estimator and, for
each hyperparameter, a fasthpo distribution; ``fit`` cross-validates the candidates a
sampler (TPE by default) proposes and refits the best one on all the data. With
``enable_pruning=True`` an estimator that has ``partial_fit`` is trained one pass at a
time on every fold, the mean validation score is reported after each pass, and the
study's pruner stops hopeless candidates early.

Examples
--------
>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> from fasthpo.distributions import FloatDistribution
>>> from fasthpo.integration.sklearn import FasthpoSearchCV
>>> X, y = load_iris(return_X_y=True)
>>> search = FasthpoSearchCV(
...     LogisticRegression(max_iter=500),
...     {"C": FloatDistribution(1e-3, 1e3, log=True)},
...     n_trials=8,
...     random_state=0,
... )
>>> search = search.fit(X, y)
>>> sorted(search.best_params_), len(search.cv_results_["params"])
(['C'], 8)
>>> bool(search.best_score_ > 0.9), search.predict(X[:2]).shape
(True, (2,))
"""

from __future__ import annotations

import copy
import numbers
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.stats import rankdata

try:
    from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
    from sklearn.metrics import check_scoring
    from sklearn.model_selection import check_cv, cross_validate
    from sklearn.utils import _safe_indexing, indexable
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.validation import check_is_fitted
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "fasthpo.integration.sklearn needs scikit-learn; from a checkout install it with: pip install '.[sklearn]'",
        name="sklearn",
    ) from error

from fasthpo.distributions import BaseDistribution
from fasthpo.exceptions import TrialPruned
from fasthpo.samplers import TPESampler
from fasthpo.study import Study, StudyDirection, create_study
from fasthpo.trial import FrozenTrial, Trial
from fasthpo.trial_state import TrialState

__all__ = ["FasthpoSearchCV"]

#: The user attribute under which a trial keeps its cross-validation results.
CV_ATTR = "cv"


def _check_param_distributions(param_distributions: Any) -> dict[str, BaseDistribution]:
    if not isinstance(param_distributions, Mapping):
        raise TypeError(f"param_distributions must be a dict of name -> fasthpo distribution, got {param_distributions!r}.")
    for name, distribution in param_distributions.items():
        if not isinstance(name, str):
            raise TypeError(f"param_distributions keys must be parameter names (str), got {name!r}.")
        if isinstance(distribution, (list, tuple)):
            raise TypeError(
                f"param_distributions[{name!r}] is a plain {type(distribution).__name__} ({distribution!r}); "
                f"give a fasthpo distribution, e.g. fasthpo.distributions.CategoricalDistribution({list(distribution)!r})."
            )
        if not isinstance(distribution, BaseDistribution):
            raise TypeError(
                f"param_distributions[{name!r}] must be a fasthpo distribution (FloatDistribution, "
                f"IntDistribution or CategoricalDistribution), got {distribution!r}."
            )
    return dict(param_distributions)


def _check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}.")


def _estimator_has(attr: str):
    """For ``available_if``: the refitted estimator (or, before fit, the estimator) has ``attr``."""

    def check(self) -> bool:
        estimator = getattr(self, "best_estimator_", self.estimator)
        getattr(estimator, attr)
        return True

    return check


class FasthpoSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Hyperparameter search with cross-validation, driven by a fasthpo study.

    Parameters
    ----------
    estimator : estimator
        The estimator to tune; it is cloned, never changed.
    param_distributions : dict of str to distribution
        Each hyperparameter's :class:`~fasthpo.distributions.FloatDistribution`,
        :class:`~fasthpo.distributions.IntDistribution` or
        :class:`~fasthpo.distributions.CategoricalDistribution`. Names follow
        ``set_params`` (``"model__C"`` inside a ``Pipeline``).
    cv : int, cross-validation generator or iterable, optional
        As in scikit-learn (when omitted, 5-fold, stratified for classifiers). The
        same splits serve every trial.
    enable_pruning : bool
        Train with ``partial_fit`` one pass at a time (up to ``max_iter`` passes),
        report the mean validation score after each pass and let the study's pruner
        stop the trial. The estimator must have ``partial_fit``.
    error_score : 'raise' or float
        The score of every fold of a trial whose fit fails; ``'raise'`` raises the
        error instead. A trial whose score is NaN ends as FAIL; when every trial
        fails, the first trial's error is raised.
    max_iter : int
        Passes of ``partial_fit`` with ``enable_pruning``.
    n_jobs : int, optional
        Trials run in parallel threads (``-1``: one per CPU); ``None`` means 1.
    n_trials : int, optional
        Number of trials (with ``timeout``, whichever comes first; ``None`` with a
        timeout runs until the timeout).
    random_state : int, optional
        Seed of the default TPE sampler, for a reproducible search with ``n_jobs=1``.
    refit : bool
        Refit the best parameters on the whole data, so that the search predicts.
    return_train_score : bool
        Also record the training scores in ``cv_results_``.
    scoring : str or callable, optional
        A scikit-learn scorer (greater is better); when omitted, the estimator's ``score``.
    show_progress_bar : bool
        Draw the study's progress bar (trials, best score) on standard error.
    study : Study, optional
        The study to run trials in (single objective, ``direction="maximize"``); when
        omitted, a new in-memory study with ``TPESampler(seed=random_state)``.
    timeout : float, optional
        Seconds after which no new trial starts.

    Attributes
    ----------
    best_estimator_ : estimator
        The estimator with ``best_params_`` fitted on all the data (``refit=True``).
    best_index_ : int
        The row of ``cv_results_`` of the best trial.
    best_params_ : dict
        The parameters of the best trial.
    best_score_ : float
        The best trial's mean cross-validated score.
    best_trial_ : FrozenTrial
        The best trial.
    cv_results_ : dict of str to array
        One row per complete trial, in the keys of scikit-learn's searches:
        ``params``, ``param_<name>``, ``split<k>_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score``, ``mean_fit_time``, … (pruned and
        failed trials are in ``study_`` only).
    n_splits_ : int
        The number of cross-validation splits.
    n_trials_ : int
        The number of trials this fit ran.
    refit_time_ : float
        Seconds spent refitting the best estimator.
    scorer_ : callable
        The scorer used.
    study_ : Study
        The study that holds every trial.
    """

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        cv=None,
        enable_pruning=False,
        error_score=np.nan,
        max_iter=1000,
        n_jobs=None,
        n_trials=10,
        random_state=None,
        refit=True,
        return_train_score=False,
        scoring=None,
        show_progress_bar=False,
        study=None,
        timeout=None,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.show_progress_bar = show_progress_bar
        self.study = study
        self.timeout = timeout

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, groups=None, **fit_params):
        """Search the hyperparameters on ``X, y``, then refit the best (``refit=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), optional
        groups : array-like of shape (n_samples,), optional
            Group labels for a group-aware ``cv``.
        **fit_params
            Passed to the estimator's ``fit`` (or ``partial_fit``).

        Returns
        -------
        self
        """
        distributions = self._check_arguments()
        if y is None and self.estimator.__sklearn_tags__().target_tags.required:
            raise ValueError(f"{type(self.estimator).__name__} requires y to be passed, but the target y is None.")
        X, y, groups = indexable(X, y, groups)
        splits = list(check_cv(self.cv, y, classifier=is_classifier(self.estimator)).split(X, y, groups))
        self.n_splits_ = len(splits)
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        self.study_ = self._make_study()
        first = len(self.study_.trials)
        objective = _Objective(self, distributions, X, y, splits, fit_params)
        self.study_.optimize(
            objective, n_trials=self.n_trials, timeout=self.timeout, n_jobs=self.n_jobs or 1,
            show_progress_bar=self.show_progress_bar,
        )
        trials = self.study_.trials[first:]
        self.n_trials_ = len(trials)
        self._set_results(trials, objective)
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "n_features_in_"):
                self.n_features_in_ = self.best_estimator_.n_features_in_
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _check_arguments(self) -> dict[str, BaseDistribution]:
        distributions = _check_param_distributions(self.param_distributions)
        _check_positive_int("n_trials", self.n_trials, allow_none=True)
        _check_positive_int("max_iter", self.max_iter)
        if self.n_trials is None and self.timeout is None:
            raise ValueError("Give n_trials or timeout (or both): with neither the search would never end.")
        if not (self.error_score == "raise" or isinstance(self.error_score, numbers.Real)):
            raise ValueError(f"error_score must be 'raise' or a number, got {self.error_score!r}.")
        if isinstance(self.scoring, (list, tuple, set, dict)):
            raise ValueError(f"scoring must be one scorer (str or callable); several are not supported, got {self.scoring!r}.")
        if self.enable_pruning and not hasattr(self.estimator, "partial_fit"):
            raise ValueError(
                f"enable_pruning=True trains with partial_fit, which {type(self.estimator).__name__} does not "
                "have; use an estimator with partial_fit (SGDClassifier, MLPClassifier, ...) or enable_pruning=False."
            )
        if self.study is not None:
            if not isinstance(self.study, Study):
                raise TypeError(f"study must be a fasthpo Study, got {self.study!r}.")
            if self.study.directions != [StudyDirection.MAXIMIZE]:
                raise ValueError("study must have one objective with direction='maximize' (scores: greater is better).")
        return distributions

    def _make_study(self) -> Study:
        if self.study is not None:
            return self.study
        return create_study(direction="maximize", sampler=TPESampler(seed=self.random_state))

    def _set_results(self, trials: list[FrozenTrial], objective: _Objective) -> None:
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete and objective.first_error is not None:
            raise objective.first_error  # every fit failed: most likely the data, say why
        if not complete:
            raise ValueError(f"None of the {len(trials)} trials completed, so there are no best parameters.")
        self.cv_results_ = _cv_results(complete, list(self.param_distributions), self.n_splits_, self.return_train_score)
        self.best_index_ = int(np.argmax(self.cv_results_["mean_test_score"]))
        self.best_trial_ = complete[self.best_index_]
        self.best_params_ = dict(self.best_trial_.params)
        self.best_score_ = float(self.best_trial_.value)

    # ------------------------------------------------ the refitted estimator
    @property
    def classes_(self):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.classes_

    def score(self, X, y=None):
        """The scorer's value of the refitted estimator on ``X, y``."""
        check_is_fitted(self, "best_estimator_")
        return self.scorer_(self.best_estimator_, X, y)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """``best_estimator_.predict``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``best_estimator_.predict_proba``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``best_estimator_.predict_log_proba``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """``best_estimator_.decision_function``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("score_samples"))
    def score_samples(self, X):
        """``best_estimator_.score_samples``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score_samples(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)

    @available_if(_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """``best_estimator_.inverse_transform``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.inverse_transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.target_tags = copy.deepcopy(inner.target_tags)
        return tags


class _Objective:
    """One trial: suggest the parameters, cross-validate, keep the fold scores on the trial."""

    def __init__(self, search: FasthpoSearchCV, distributions, X, y, splits, fit_params) -> None:
        self.search = search
        self.distributions = distributions
        self.X, self.y, self.splits, self.fit_params = X, y, splits, fit_params
        self.first_error: Exception | None = None

    def __call__(self, trial: Trial) -> float:
        params = {name: trial._suggest(name, d) for name, d in self.distributions.items()}
        estimator = clone(self.search.estimator).set_params(**params)
        if self.search.enable_pruning:
            result = self._fit_partially(trial, estimator)
        else:
            result = self._cross_validate(estimator)
        trial.set_user_attr(CV_ATTR, result)
        return float(np.mean(result["test_score"]))

    def _cross_validate(self, estimator) -> dict[str, list[float]]:
        search = self.search
        try:
            out = cross_validate(
                estimator, self.X, self.y, cv=self.splits, scoring=search.scorer_, error_score="raise",
                return_train_score=search.return_train_score, params=self.fit_params or None,
            )
        except Exception as error:
            if search.error_score == "raise":
                raise
            if self.first_error is None:
                self.first_error = error
            failed = [float(search.error_score)] * len(self.splits)
            out = {"fit_time": np.zeros(len(self.splits)), "score_time": np.zeros(len(self.splits)),
                   "test_score": np.array(failed), "train_score": np.array(failed)}
        keys = ("fit_time", "score_time", "test_score") + (("train_score",) if search.return_train_score else ())
        return {key: out[key].tolist() for key in keys}

    def _fit_partially(self, trial: Trial, estimator) -> dict[str, list[float]]:
        search = self.search
        folds = [_Fold(clone(estimator), self.X, self.y, train, test) for train, test in self.splits]
        classes = np.unique(self.y) if is_classifier(estimator) else None
        for step in range(search.max_iter):
            for fold in folds:
                fold.partial_fit(classes, self.fit_params, search.scorer_, search.return_train_score)
            trial.report(float(np.mean([fold.test_score for fold in folds])), step)
            if trial.should_prune():
                raise TrialPruned()
        return _Fold.results(folds, search.return_train_score)


class _Fold:
    """One fold's estimator trained by ``partial_fit``, with its latest scores and times."""

    def __init__(self, estimator, X, y, train, test) -> None:
        self.estimator = estimator
        self.X_train, self.y_train = _safe_indexing(X, train), _safe_indexing(y, train)
        self.X_test, self.y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        self.fit_time = self.score_time = 0.0
        self.test_score = self.train_score = np.nan

    def partial_fit(self, classes, fit_params, scorer, train_score: bool) -> None:
        start = time.perf_counter()
        if classes is None:
            self.estimator.partial_fit(self.X_train, self.y_train, **fit_params)
        else:
            self.estimator.partial_fit(self.X_train, self.y_train, classes=classes, **fit_params)
        self.fit_time += time.perf_counter() - start
        start = time.perf_counter()
        self.test_score = float(scorer(self.estimator, self.X_test, self.y_test))
        self.score_time += time.perf_counter() - start
        if train_score:
            self.train_score = float(scorer(self.estimator, self.X_train, self.y_train))

    @staticmethod
    def results(folds: list[_Fold], train_score: bool) -> dict[str, list[float]]:
        result = {
            "fit_time": [f.fit_time for f in folds],
            "score_time": [f.score_time for f in folds],
            "test_score": [f.test_score for f in folds],
        }
        if train_score:
            result["train_score"] = [f.train_score for f in folds]
        return result


def _cv_results(trials: list[FrozenTrial], names: list[str], n_splits: int, train_score: bool) -> dict[str, Any]:
    """scikit-learn's ``cv_results_`` layout, one row per trial."""
    cv = [t.user_attrs[CV_ATTR] for t in trials]
    results: dict[str, Any] = {"number": np.array([t.number for t in trials])}
    for key in ("fit_time", "score_time"):
        times = np.array([r[key] for r in cv])
        results[f"mean_{key}"], results[f"std_{key}"] = times.mean(axis=1), times.std(axis=1)
    for name in names:
        column = np.ma.MaskedArray(np.empty(len(trials), dtype=object), mask=True)
        for i, t in enumerate(trials):
            if name in t.params:
                column[i] = t.params[name]
        results[f"param_{name}"] = column
    results["params"] = [dict(t.params) for t in trials]
    for kind in ("test", "train") if train_score else ("test",):
        scores = np.array([r[f"{kind}_score"] for r in cv])
        for k in range(n_splits):
            results[f"split{k}_{kind}_score"] = scores[:, k]
        results[f"mean_{kind}_score"], results[f"std_{kind}_score"] = scores.mean(axis=1), scores.std(axis=1)
    results["rank_test_score"] = rankdata(-results["mean_test_score"], method="min").astype(np.int32)
    return results
