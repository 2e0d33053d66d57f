"""PED-ANOVA: how much each parameter's distribution among the best trials differs from its
distribution among all (or a top region of) the trials, as a Pearson divergence of two Parzen
estimates on a grid. The Parzen densities are evaluated by the compiled TPE kernels.

Notation (Watanabe et al., IJCAI 2023; conditional spaces: Kato et al., KDD 2026):
gamma' is ``target_quantile``, gamma ``region_quantile``. A conditional parameter is split
into regimes (absent, or one distribution); regime i holds a fraction alpha_i of the target
trials and beta_i of the region trials, and the importance is
``(gamma'/gamma)**2 * sum_i alpha_i**2 / beta_i * D_i`` with D_i the Pearson divergence of
the regime's target density from its region density.
"""

from __future__ import annotations

import math

import numpy as np

from fasthpo._kernels import parzen as kernels
from fasthpo._target import Target
from fasthpo.core.direction import StudyDirection, minimization_signs
from fasthpo.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from fasthpo.importance._base import BaseImportanceEvaluator, ranked, rated_params, rated_trials
from fasthpo.study import Study

N_STEPS = 50  # a numeric domain is discretized as linspace(low, high, N_STEPS)
PRIOR_WEIGHT = 1.0  # weight of the prior kernel of each Parzen estimate
MIN_TRIALS_IN_REGIME = 2  # regimes with fewer region trials are ignored
PDF_FLOOR = 1e-12  # added to both densities before the divergence


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA importance (the default evaluator of :func:`fasthpo.importance.get_param_importances`).

    Rates how much reaching the top ``target_quantile`` of trials depends on each parameter.
    Deterministic (no random numbers) and linear in the number of trials.

    Parameters
    ----------
    target_quantile : float, default 0.1
        Fraction of best trials whose parameter distribution is examined (gamma').
    region_quantile : float, default 1.0
        Fraction of best trials that make the reference distribution (gamma); 1.0 is all.
    evaluate_on_local : bool, default True
        Compare with the distribution of the region's trials; if False, with a uniform one
        over the search space.

    Notes
    -----
    A ``target`` is minimized (negate it to rate a maximized quantity). In a study of
    several objectives without ``target``, the best trials are chosen by Pareto rank with
    a greedy hypervolume tie-break, as the multi-objective TPE does.

    Examples
    --------
    >>> import fasthpo
    >>> study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + 1e-3 * t.suggest_float("y", -1, 1), n_trials=200)
    >>> importances = PedAnovaImportanceEvaluator().evaluate(study)
    >>> list(importances)
    ['x', 'y']
    """

    def __init__(self, *, target_quantile: float = 0.1, region_quantile: float = 1.0,
                 evaluate_on_local: bool = True) -> None:
        if not 0.0 < target_quantile < region_quantile <= 1.0:
            raise ValueError(
                "0 < target_quantile < region_quantile <= 1 must hold, got "
                f"target_quantile={target_quantile!r}, region_quantile={region_quantile!r}."
            )
        self.target_quantile = float(target_quantile)
        self.region_quantile = float(region_quantile)
        self.evaluate_on_local = bool(evaluate_on_local)

    def evaluate(self, study: Study, params: list[str] | None = None, *, target: Target | None = None) -> dict[str, float]:
        rated = rated_trials(study, target)
        names = rated_params(rated, params, in_all=False)
        losses = rated.values
        if target is None and losses.ndim == 1 and study.direction == StudyDirection.MAXIMIZE:
            losses = -losses
        elif losses.ndim == 2:
            losses = losses * minimization_signs(study.directions)
        top = _top_quantile(losses, self.target_quantile)
        region = _top_quantile(losses, self.region_quantile)
        in_top = np.zeros(len(losses), dtype=bool)
        in_top[top] = True
        region_in_top = in_top[region]
        scale = (len(top) / len(region)) ** 2
        importances = {}
        for name in names:
            x = rated.X[region, rated.columns[name]]
            regimes = _regimes(rated.distributions(name, region), len(region))
            importances[name] = scale * self._importance(x, regimes, region_in_top, len(top))
        return ranked(importances)

    def _importance(self, x: np.ndarray, regimes: dict, in_top: np.ndarray, n_top: int) -> float:
        """The parameter's importance from its encoded values in the region trials and their regimes."""
        total = 0.0
        for distribution, members in regimes.items():
            top_members = members[in_top[members]]
            if distribution is None or distribution.single() or len(top_members) == 0:
                continue
            alpha, beta = len(top_members) / n_top, len(members) / len(in_top)
            cells, size = _grid_cells(x[members], distribution)
            top_pdf = _grid_pdf(np.bincount(cells[in_top[members]], minlength=size), distribution) + PDF_FLOOR
            if self.evaluate_on_local:
                region_pdf = _grid_pdf(np.bincount(cells, minlength=size), distribution) + PDF_FLOOR
            else:
                region_pdf = np.full(size, 1.0 / size)
            total += alpha**2 / beta * float(region_pdf @ ((top_pdf / region_pdf - 1.0) ** 2))
        return total


def _top_quantile(losses: np.ndarray, quantile: float) -> np.ndarray:
    """Positions of the best ``quantile`` of trials: losses at or below the quantile's value
    (ties all kept) for one value; Pareto rank and hypervolume tie-break for several."""
    from fasthpo.samplers.tpe import select_by_pareto_rank

    n = len(losses)
    if quantile == 1.0:
        return np.arange(n)
    take = math.ceil(quantile * n)
    if losses.ndim == 2:
        return np.sort(select_by_pareto_rank(np.ascontiguousarray(losses), take))
    cutoff = np.partition(losses, take - 1)[take - 1]
    return np.flatnonzero(losses <= cutoff)


def _regimes(distributions: BaseDistribution | list[BaseDistribution | None], n: int) -> dict:
    """Positions of the ``n`` trials by the distribution the parameter has in them (None:
    absent; one distribution: all of them), regimes with at least MIN_TRIALS_IN_REGIME trials
    only. Trials share distribution objects, so they are grouped by identity first and only
    the distinct objects are compared."""
    if isinstance(distributions, BaseDistribution):
        regimes = {distributions: np.arange(n)}
    else:
        ids = np.fromiter(map(id, distributions), dtype=np.uint64, count=n)
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        label_of: dict[BaseDistribution | None, int] = {}
        labels = np.array([label_of.setdefault(distributions[i], len(label_of)) for i in first])[inverse]
        regimes = {d: np.flatnonzero(labels == label) for d, label in label_of.items()}
    return {d: members for d, members in regimes.items() if len(members) >= MIN_TRIALS_IN_REGIME}


def _grid_cells(x: np.ndarray, distribution: BaseDistribution) -> tuple[np.ndarray, int]:
    """The grid cell of each encoded value, and the number of cells: one per choice, or up to
    N_STEPS evenly spaced points over [low, high] (log scale for log parameters), nearest wins
    and a midpoint goes to the lower point."""
    if isinstance(distribution, CategoricalDistribution):
        return x.astype(np.int64), len(distribution.choices)
    low, high, step = distribution.low, distribution.high, distribution.step
    size = N_STEPS
    if isinstance(distribution, IntDistribution) and distribution.log:
        size = min(int(np.ceil(np.log(high - low + 1) / np.log(2))) + 1, N_STEPS)
    elif step is not None:
        size = min(round((high - low) / step) + 1, N_STEPS)
    low, high = distribution.internal_low, distribution.internal_high
    return np.clip(np.ceil((x - low) / ((high - low) / (size - 1)) - 0.5).astype(np.int64), 0, size - 1), size


def _grid_pdf(counts: np.ndarray, distribution: BaseDistribution) -> np.ndarray:
    """Density on the cells 0 .. len(counts)-1 of a Parzen estimate with a kernel at each occupied
    cell (weighted by its count) and a prior kernel (weight PRIOR_WEIGHT)."""
    size = len(counts)
    cells = np.flatnonzero(counts).astype(float)
    weights = np.append(counts[counts > 0], PRIOR_WEIGHT).astype(float)
    if isinstance(distribution, CategoricalDistribution):
        kind, cat_eps = kernels.CATEGORICAL, PRIOR_WEIGHT / (len(cells) + 1)
        mus, sigmas = np.append(cells, -1.0), np.ones(len(cells) + 1)  # mu < 0: the uniform prior kernel
        step = float(size)
    else:
        kind, cat_eps, step = kernels.DISCRETE, 0.0, 1.0
        mus = np.append(cells, (size - 1) / 2.0)
        sigmas = np.append(np.full(len(cells), _scott_bandwidth(cells, weights[:-1])), float(size))
    kinds = np.array([kind], dtype=np.int32)
    lows, highs, steps = np.array([-0.5]), np.array([size - 0.5]), np.array([step])
    mus, sigmas = mus[None, :], sigmas[None, :]
    log_peaks = np.log(weights / weights.sum()) + kernels.kernel_log_peaks(mus, sigmas, kinds, lows, highs, steps,
                                                                           cat_eps)[0]
    grid = np.arange(size, dtype=float)[:, None]
    return np.exp(kernels.mixture_log_pdf(grid, mus, sigmas, log_peaks, kinds, steps, cat_eps))


def _scott_bandwidth(cells: np.ndarray, counts: np.ndarray) -> float:
    """Scott's rule on weighted grid cells: 1.059 min(IQR / 1.34, std) n^-1/5, at least 0.5/1.64
    (so that 90% of a kernel's mass lies within one cell either side)."""
    n = counts.sum()
    cumulative = np.cumsum(counts)
    mean = cells @ counts / n
    std = math.sqrt(((cells - mean) ** 2 @ counts) / max(1.0, n - 1))
    q1 = np.searchsorted(cumulative, n // 4, side="left")
    q3 = np.searchsorted(cumulative, n * 3 // 4, side="right")
    iqr = cells[min(len(cells) - 1, q3)] - cells[q1]
    return max(1.059 * min(iqr / 1.34, std) * n**-0.2, 0.5 / 1.64)
