"""fANOVA (Hutter et al., ICML 2014): the share of the variance of a random forest's prediction
that each parameter explains alone.

Each tree cuts the search space into boxes (its leaves) with a constant prediction. Under a
uniform distribution over the space, the marginal prediction along parameter j is constant
between consecutive cut points of j; its variance, divided by the variance of the tree's
prediction, is the tree's importance of j. The forest's importance is the mean over trees.
"""

from __future__ import annotations

import numpy as np

from fasthpo._target import Target, check_target
from fasthpo.distributions import CategoricalDistribution
from fasthpo.importance._base import BaseImportanceEvaluator, ranked, rated_params, rated_trials
from fasthpo.study import Study


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA importance on a scikit-learn random forest (the ``importance`` extra).

    Parameters
    ----------
    n_trees : int, default 64
        Trees in the forest.
    max_depth : int, default 64
        Largest depth of a tree.
    seed : int, optional
        Seed of the forest; the same seed gives the same importances.

    Notes
    -----
    Rates the parameters present in every complete trial. Log parameters are modelled on
    their log scale and choices by their index, each choice taking an equal share of the
    space. Studies of several objectives need a ``target``.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + 1e-3 * t.suggest_float("y", -1, 1), n_trials=100)
    >>> list(FanovaImportanceEvaluator(n_trees=16, seed=0).evaluate(study))
    ['x', 'y']
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        for name, value in (("n_trees", n_trees), ("max_depth", max_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def evaluate(self, study: Study, params: list[str] | None = None, *, target: Target | None = None) -> dict[str, float]:
        try:
            from sklearn.ensemble import RandomForestRegressor
        except ImportError as exc:
            raise ImportError("FanovaImportanceEvaluator needs scikit-learn: pip install 'fasthpo[importance]'.") from exc
        check_target(study, target, "FanovaImportanceEvaluator")
        rated = rated_trials(study, target)
        names = rated_params(rated, params, in_all=True)
        distributions = {name: rated.last_distribution(name) for name in names}
        varying = [name for name in names if not distributions[name].single()]
        importances = dict.fromkeys(names, 0.0)
        if varying:
            X = rated.X[:, [rated.columns[name] for name in varying]]
            bounds = np.array([_bounds(distributions[name]) for name in varying])
            forest = RandomForestRegressor(n_estimators=self.n_trees, max_depth=self.max_depth, random_state=self.seed)
            forest.fit(X, rated.values)
            shares = np.array([_tree_shares(tree.tree_, bounds) for tree in forest.estimators_])
            explained = ~np.isnan(shares).any(axis=1)  # trees that predict a constant explain nothing
            if explained.any():
                importances.update(zip(varying, shares[explained].mean(axis=0).tolist()))
        return ranked(importances)


def _bounds(distribution) -> tuple[float, float]:
    """The encoded range of a parameter (log scale for log parameters, index for choices)."""
    if isinstance(distribution, CategoricalDistribution):
        return -0.5, len(distribution.choices) - 0.5
    return distribution.internal_low, distribution.internal_high


def _leaves(tree, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower corners [L, d], upper corners [L, d] and predictions [L] of a fitted sklearn tree's leaves."""
    lows, highs, values = [], [], []
    stack = [(0, bounds[:, 0].copy(), bounds[:, 1].copy())]
    while stack:
        node, low, high = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:  # a leaf
            lows.append(low)
            highs.append(high)
            values.append(tree.value[node, 0, 0])
            continue
        feature, threshold = tree.feature[node], tree.threshold[node]
        left_high, right_low = high.copy(), low.copy()
        left_high[feature] = min(threshold, high[feature])
        right_low[feature] = max(threshold, low[feature])
        stack.append((left, low, left_high))
        stack.append((right, right_low, high))
    return np.array(lows), np.array(highs), np.array(values)


def _tree_shares(tree, bounds: np.ndarray) -> np.ndarray:
    """Variance of the marginal prediction along each feature over the variance of the prediction
    (NaN when the tree predicts a constant)."""
    lows, highs, values = _leaves(tree, bounds)
    span = bounds[:, 1] - bounds[:, 0]
    widths = (highs - lows) / span  # each leaf's share of each axis
    volume = widths.prod(axis=1)
    mean = volume @ values
    total = volume @ (values - mean) ** 2
    shares = np.full(len(bounds), np.nan)
    if total <= 0:
        return shares
    for j in range(len(bounds)):
        cuts = np.unique(np.concatenate([lows[:, j], highs[:, j]]))
        rest = np.divide(volume, widths[:, j], out=np.zeros_like(volume), where=widths[:, j] > 0)
        change = np.zeros(len(cuts))
        np.add.at(change, np.searchsorted(cuts, lows[:, j]), values * rest)
        np.add.at(change, np.searchsorted(cuts, highs[:, j]), -values * rest)
        marginal = np.cumsum(change)[:-1]  # on [cuts[k], cuts[k + 1]]
        share = np.diff(cuts) / span[j]
        shares[j] = share @ (marginal - mean) ** 2 / total
    return shares
