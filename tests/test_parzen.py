"""Parzen kernels against their NumPy twin, and the properties a density must have."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fasthpo._kernels import parzen as kernel
from fasthpo._reference import parzen as twin
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.samplers._parzen import Dimensions, ParzenEstimator, SpaceHistory

SPACES = {
    "float": FloatDistribution(-5.0, 5.0),
    "log": FloatDistribution(1e-5, 1e2, log=True),
    "step": FloatDistribution(0.0, 1.0, step=0.125),
    "int": IntDistribution(-3, 12),
    "int_log": IntDistribution(1, 1000, log=True),
    "cat": CategoricalDistribution(["a", "b", "c", "d"]),
    "huge_log": FloatDistribution(1e-300, 1e300, log=True),
}


def random_observations(rng, distributions, m: int, identical: bool = False) -> np.ndarray:
    """m admissible internal rows (all the same one with ``identical``)."""
    rows = 1 if identical else m
    out = np.empty((rows, len(distributions)))
    for j, distribution in enumerate(distributions):
        low, high = distribution.sampling_bounds()
        out[:, j] = [distribution.round_internal(v) for v in low + rng.random(rows) * (high - low)]
    return np.repeat(out, m, axis=0) if identical else out


space_names = st.lists(st.sampled_from(sorted(SPACES)), min_size=1, max_size=5)


def estimators(names, m, seed, identical=False, prior_weight=1.0):
    rng = np.random.default_rng(seed)
    distributions = [SPACES[n] for n in names]
    dims = Dimensions.of(distributions)
    obs = random_observations(rng, distributions, m, identical) if m else np.empty((0, len(names)))
    weights = rng.uniform(0.1, 1.0, size=m)
    est = ParzenEstimator(obs, dims, weights, prior_weight, True, False)
    return rng, dims, est


@given(space_names, st.sampled_from([0, 1, 2, 3, 17, 200]), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=60, deadline=None)
def test_kernels_match_twin(names, m, seed, identical):
    rng, dims, est = estimators(names, m, seed, identical=identical and m > 0)
    args = (est.mus, est.sigmas, dims.kinds, dims.lows, dims.highs, dims.steps, est.cat_eps)
    np.testing.assert_allclose(kernel.kernel_log_peaks(*args), twin.kernel_log_peaks(*args), rtol=1e-12, atol=1e-12)
    u_comp, u_dims = rng.random(30), rng.random((30, len(names)))
    sample_args = (u_comp, u_dims, est.cumulative_weights, est.mus, est.sigmas, dims.kinds, dims.lows, dims.highs,
                   dims.steps, dims.grid_lows, dims.grid_highs, est.cat_eps)
    x = kernel.mixture_sample(*sample_args)
    np.testing.assert_allclose(x, twin.mixture_sample(*sample_args), rtol=1e-12, atol=1e-12)
    pdf_args = (x, est.mus, est.sigmas, est.log_peaks, dims.kinds, dims.steps, est.cat_eps)
    want = twin.mixture_log_pdf(*pdf_args)
    K = est.mus.shape[1]
    for lead in sorted({-1, 0, K - 1, int(rng.integers(K))}):  # the prior (K - 1), a component, none
        np.testing.assert_allclose(kernel.mixture_log_pdf(*pdf_args, 1, lead), want, rtol=1e-9)
    np.testing.assert_allclose(est.log_pdf(x), want, rtol=1e-9)
    with pytest.raises(ValueError, match="lead"):
        kernel.mixture_log_pdf(*pdf_args, 1, K)


@given(st.lists(st.floats(-5, 5), min_size=1, max_size=60), st.booleans(), st.booleans())
def test_bandwidths_match_twin(values, endpoints, magic_clip):
    columns = np.array([values])
    order = np.argsort(columns, axis=1, kind="stable")
    lows, highs = np.array([-5.0]), np.array([5.0])
    k = kernel.neighbour_bandwidths(columns, order, lows, highs, endpoints, magic_clip)
    t = twin.neighbour_bandwidths(columns, order, lows, highs, endpoints, magic_clip)
    np.testing.assert_allclose(k, t, rtol=0, atol=0)
    floor = 10.0 / min(100.0, len(values) + 2) if magic_clip else 1e-12
    assert np.all((k >= floor) & (k <= 10.0))


def test_bandwidth_rule_by_hand():
    # observations 1, 2, 6 in [0, 10]: gaps 1 | 1 | 4 | 4; extremes use their inner gap
    columns = np.array([[6.0, 1.0, 2.0]])
    order = np.argsort(columns, axis=1)
    sig = kernel.neighbour_bandwidths(columns, order, np.array([0.0]), np.array([10.0]), False, False)[0]
    assert sig.tolist() == [4.0, 1.0, 4.0]
    sig = kernel.neighbour_bandwidths(columns, order, np.array([0.0]), np.array([10.0]), True, False)[0]
    assert sig.tolist() == [4.0, 1.0, 4.0]  # 1: max(1 - 0, 1); 6: max(4, 10 - 6)
    sig = kernel.neighbour_bandwidths(columns, order, np.array([0.0]), np.array([10.0]), False, True)[0]
    assert sig.tolist() == [4.0, 2.0, 4.0]  # clipped below at 10 / min(100, 3 + 2)


@pytest.mark.parametrize("name", ["float", "log", "huge_log"])
@pytest.mark.parametrize("m", [0, 1, 2, 40])
def test_continuous_density_integrates_to_one(name, m):
    _, dims, est = estimators([name], m, seed=m)
    grid = np.linspace(dims.lows[0], dims.highs[0], 200_001)
    density = np.exp(est.log_pdf(grid[:, None]))
    assert np.trapezoid(density, grid) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("name", ["step", "int", "int_log", "cat"])
@pytest.mark.parametrize("m", [0, 1, 2, 40])
def test_discrete_masses_sum_to_one(name, m):
    _, dims, est = estimators([name], m, seed=m)
    distribution = SPACES[name]
    if name == "cat":
        values = np.arange(4.0)
    else:
        external = np.arange(distribution.low, distribution.high + distribution.step / 2, distribution.step)
        values = np.array([distribution.to_internal(float(v)) for v in external])
    assert np.exp(est.log_pdf(values[:, None])).sum() == pytest.approx(1.0, rel=1e-9)


def test_product_density_integrates_to_one_in_two_dimensions():
    _, dims, est = estimators(["float", "cat"], 25, seed=3)
    grid = np.linspace(-5, 5, 4001)
    total = sum(np.trapezoid(np.exp(est.log_pdf(np.column_stack([grid, np.full_like(grid, c)]))), grid)
                for c in range(4))
    assert total == pytest.approx(1.0, rel=1e-6)


@given(space_names, st.sampled_from([0, 1, 5, 300]), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_samples_stay_inside_and_on_the_grid(names, m, seed):
    rng, dims, est = estimators(names, m, seed)
    x = est.sample(rng, 200)
    for j, distribution in enumerate(SPACES[n] for n in names):
        assert np.all(x[:, j] >= distribution.internal_low - 1e-12)
        assert np.all(x[:, j] <= distribution.internal_high + 1e-12)
        rounded = [distribution.round_internal(v) for v in x[:, j]]
        np.testing.assert_allclose(x[:, j], rounded, rtol=1e-12, atol=1e-12)


def test_candidates_exactly_on_the_bounds_have_finite_density():
    _, dims, est = estimators(["float", "log", "int", "cat"], 10, seed=1)
    corners = np.array([dims.lows, dims.highs])
    corners[:, 2] = [-3.0, 12.0]
    corners[:, 3] = [0.0, 3.0]
    assert np.all(np.isfinite(est.log_pdf(corners)))


def test_sigma_at_its_clip_and_identical_observations():
    _, dims, est = estimators(["float"], 50, seed=0, identical=True)
    assert np.allclose(est.sigmas[0, :-1], 10.0 / 52)  # every gap is 0: the clip floor
    grid = np.linspace(-5, 5, 100_001)
    assert np.trapezoid(np.exp(est.log_pdf(grid[:, None])), grid) == pytest.approx(1.0, rel=1e-6)


def test_hundred_thousand_components_match_twin():
    rng = np.random.default_rng(7)
    dims = Dimensions.of([SPACES["float"]])
    obs = rng.uniform(-5, 5, size=(100_000, 1))
    est = ParzenEstimator(obs, dims, np.ones(100_000), 1.0, True, False)
    x = est.sample(rng, 8)
    args = (x, est.mus, est.sigmas, est.log_peaks, dims.kinds, dims.steps, est.cat_eps)
    np.testing.assert_allclose(kernel.mixture_log_pdf(*args), twin.mixture_log_pdf(*args), rtol=1e-9)


@given(st.integers(1, 300), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
@settings(max_examples=40, deadline=None)
def test_space_history_builds_the_estimator_a_fresh_one_builds(n, seed, endpoints, with_categorical):
    """Components read from the sorted history (trials finishing out of order, subsets
    changing between suggestions) equal the ones built from scratch. Continuous values
    are distinct, so both orders agree; categorical ties do not move bandwidths."""
    rng = np.random.default_rng(seed)
    names = ["float", "log", "cat"] if with_categorical else ["float", "log"]
    distributions = [SPACES[k] for k in names]
    dims = Dimensions.of(distributions)
    X = random_observations(rng, distributions, n)
    history = SpaceHistory(list(range(len(names))))
    finished = np.zeros(n, dtype=bool)
    for chunk in np.array_split(rng.permutation(n), 3):
        finished[chunk] = True
        history.add_finished(X, finished)
        rows = np.flatnonzero(finished & (rng.random(n) < 0.8))
        if len(rows) == 0:
            continue
        weights = rng.uniform(0.1, 1.0, size=len(rows))
        fresh = ParzenEstimator(X[rows], dims, weights, 1.0, True, endpoints)
        reused = ParzenEstimator(None, dims, weights, 1.0, True, endpoints, history, rows)
        np.testing.assert_array_equal(reused.mus, fresh.mus)
        np.testing.assert_array_equal(reused.sigmas, fresh.sigmas)
        np.testing.assert_allclose(reused.log_peaks, fresh.log_peaks, rtol=1e-13, atol=1e-13)


@given(st.integers(1, 400), st.integers(0, 2**32 - 1), st.integers(1, 4))
@settings(max_examples=30, deadline=None)
def test_space_history_sorts_many_new_rows_as_one_by_one_insertion(n, seed, levels):
    """A large set of new rows (a long random start-up) is sorted in at once; the sorted
    rows and values, ties included, are those of inserting the rows one at a time."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.uniform(0, levels, size=(n, 3)))  # few distinct values: many ties
    X[rng.random(n) < 0.1, 1] = np.nan  # rows missing a parameter are left out
    bulk, single = SpaceHistory([0, 1, 2]), SpaceHistory([0, 1, 2])
    finished = np.zeros(n, dtype=bool)
    for chunk in np.array_split(rng.permutation(n), rng.integers(1, 4)):
        finished[chunk] = True
        bulk.add_finished(X, finished)
        for row in np.sort(chunk):
            one = np.zeros(n, dtype=bool)
            one[row] = True
            single.add_finished(X, one)
    assert bulk.n_sorted == single.n_sorted == int((finished & ~np.isnan(X).any(axis=1)).sum())
    np.testing.assert_array_equal(bulk.sorted_rows[:, :bulk.n_sorted], single.sorted_rows[:, :single.n_sorted])
    np.testing.assert_array_equal(bulk.sorted_values[:, :bulk.n_sorted], single.sorted_values[:, :single.n_sorted])


@given(space_names, st.sampled_from([511, 512, 1300, 3000]), st.integers(0, 2**32 - 1), st.integers(2, 5))
@settings(max_examples=12, deadline=None)
def test_density_is_bit_identical_on_any_number_of_threads(names, m, seed, n_threads):
    """Several blocks of components, summed on one thread and on many: the same bits,
    and the twin's numbers."""
    rng, dims, est = estimators(names, m, seed)
    D, K = est.mus.shape
    x = est.sample(rng, 3 * 2**20 // (K * D) if m > 512 else 24)  # several blocks: work for several threads
    args = (x, est.mus, est.sigmas, est.log_peaks, dims.kinds, dims.steps, est.cat_eps)
    if m > 512:
        assert kernel.parallel_threads(n_threads, len(x), K, D) > 1
    for lead in (-1, K - 1):  # without a lead, and with the prior leading (as ParzenEstimator does)
        single = kernel.mixture_log_pdf(*args, 1, lead)
        np.testing.assert_array_equal(kernel.mixture_log_pdf(*args, n_threads, lead), single)
        np.testing.assert_allclose(single, twin.mixture_log_pdf(*args), rtol=1e-9)


def test_a_far_candidate_keeps_its_prior_density():
    """Where every observation is hundreds of log units away, the prior leads and the
    density is the prior's share (the pruning drops the rest, the twin sums it)."""
    dims = Dimensions.of([FloatDistribution(-5.0, 5.0)] * 20)
    rng = np.random.default_rng(0)
    est = ParzenEstimator(rng.uniform(-5, 5, (3000, 20)), dims, np.ones(3000), 1.0, True, False)
    x = rng.uniform(-5, 5, (7, 20))
    args = (x, est.mus, est.sigmas, est.log_peaks, dims.kinds, dims.steps, est.cat_eps)
    np.testing.assert_allclose(est.log_pdf(x), twin.mixture_log_pdf(*args), rtol=1e-12)
    prior_only = est.log_peaks[-1] - 0.5 * (x ** 2 / 100.0).sum(axis=1)  # prior: centre 0, sigma 10
    np.testing.assert_allclose(est.log_pdf(x), prior_only, rtol=1e-9)


def test_no_candidates_or_no_components():
    _, dims, est = estimators(["float"], 5, seed=0)
    empty = np.empty((0, 1))
    assert kernel.mixture_log_pdf(empty, est.mus, est.sigmas, est.log_peaks, dims.kinds, dims.steps,
                                  est.cat_eps, 2).shape == (0,)


@pytest.mark.parametrize("n_threads", [2, 5])
def test_history_components_are_bit_identical_on_any_number_of_threads(n_threads):
    rng = np.random.default_rng(4)
    names = ["float", "log", "cat", "int", "step"]
    distributions = [SPACES[k] for k in names]
    dims = Dimensions.of(distributions)
    X = random_observations(rng, distributions, 20000)
    history = SpaceHistory(list(range(len(names))))
    history.add_finished(X, np.ones(20000, dtype=bool))
    assert kernel.parallel_threads(n_threads, 0, 0, len(names), history.n_sorted) > 1
    rows = np.flatnonzero(rng.random(20000) < 0.7)
    member_pos = np.full(len(history.indexed), -1, dtype=np.int64)
    member_pos[rows] = np.arange(len(rows))
    built = []
    for threads in (1, n_threads):
        args = (history.sorted_rows, history.sorted_values, history.n_sorted, member_pos, len(rows), dims.kinds,
                dims.lows, dims.highs, dims.steps, 0.01, True, False, threads)
        built.append(kernel.history_components(*args))
    for one, many in zip(*built):
        np.testing.assert_array_equal(one[..., :len(rows)], many[..., :len(rows)])


# ------------------------------------------------------ lies of a batch (constant liar)
@given(st.lists(st.floats(-5, 5), min_size=0, max_size=40), st.lists(st.floats(-5, 5), min_size=1, max_size=3),
       st.integers(0, 40))
def test_neighbour_gaps_match_twin(values, x, m):
    centres = np.resize(np.array(values or [0.0]), (len(x), max(len(values), 1)))
    centres = centres + np.arange(len(x))[:, None] * 0.25  # each dimension different
    m = min(m, len(values))
    x = np.array(x)
    for got, want in zip(kernel.neighbour_gaps(centres, m, x), twin.neighbour_gaps(centres, m, x)):
        np.testing.assert_array_equal(got, want)


@given(st.integers(0, 300), st.integers(0, 2**32 - 1), st.integers(1, 6), st.floats(0.0, 1.0))
@settings(max_examples=40, deadline=None)
def test_sorted_neighbour_gaps_match_twin_and_the_unsorted_pass(n, seed, levels, share):
    """Gaps among the member rows of a sorted history (ties, no members, a lie on a
    centre) equal the twin's and those of the pass over the members' unsorted values."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.uniform(0, levels, size=(n, 3)), 1)
    history = SpaceHistory([0, 1, 2])
    history.add_finished(X, np.ones(n, dtype=bool))
    member = (rng.random(len(history.indexed)) < share).astype(np.uint8)
    member[n:] = 0
    x = X[rng.integers(n)] if n and rng.random() < 0.5 else rng.uniform(-1, levels + 1, 3)
    args = (history.sorted_rows, history.sorted_values, history.n_sorted, member, x)
    got = kernel.sorted_neighbour_gaps(*args)
    rows = np.flatnonzero(member[:n])
    unsorted = kernel.neighbour_gaps(np.ascontiguousarray(X[rows].T), len(rows), x)
    for a, b, c in zip(got, twin.sorted_neighbour_gaps(*args), unsorted):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@given(st.lists(st.floats(-5, 5), min_size=0, max_size=40), st.floats(-5, 5), st.booleans(), st.booleans())
def test_a_lie_gets_the_bandwidth_a_refit_gives_it(values, x, endpoints, magic_clip):
    """The lie's own bandwidth is the one neighbour_bandwidths gives the newest row."""
    from fasthpo.samplers._parzen import lie_bandwidths
    dims = Dimensions.of([FloatDistribution(-5.0, 5.0)])
    columns = np.array([values + [x]])
    order = np.argsort(columns, axis=1, kind="stable")
    refit = kernel.neighbour_bandwidths(columns, order, dims.lows, dims.highs, endpoints, magic_clip)[0, -1]
    left, right = kernel.neighbour_gaps(columns, len(values), np.array([x]))
    lie = lie_bandwidths(np.array([x]), left, right, len(values) + 1, dims, magic_clip, endpoints)
    assert lie[0] == refit


@given(space_names, st.sampled_from([0, 1, 3, 40]), st.integers(0, 2**32 - 1), st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_lied_mixture_is_g_with_the_lies_as_components(names, m, seed, n_lies):
    """log density equals the twin's over g's components (weights kept) plus one
    component per lie of the given weight, normalized over the whole."""
    from fasthpo.samplers._parzen import LiedMixture
    rng, dims, g = estimators(names, m, seed)
    weight = 0.7
    lies = LiedMixture(g, weight, True, False)
    x = g.sample(rng, 25)
    np.testing.assert_array_equal(lies.log_pdf(x, g.log_pdf(x)), g.log_pdf(x))  # no lie yet: g itself
    for row in g.sample(rng, n_lies):
        lies.add(row)
    assert lies.mus.shape == (len(names), n_lies)
    mus = np.hstack([g.mus, lies.mus])
    sigmas = np.hstack([g.sigmas, lies.sigmas])
    total = g.total_weight + weight * n_lies
    peaks = twin.kernel_log_peaks(mus, sigmas, dims.kinds, dims.lows, dims.highs, dims.steps, g.cat_eps).sum(axis=0)
    log_w = np.concatenate([g.log_peaks - peaks[:g.mus.shape[1]] + np.log(g.total_weight),  # g's weights
                            np.full(n_lies, np.log(weight))]) - np.log(total)
    want = twin.mixture_log_pdf(x, mus, sigmas, log_w + peaks, dims.kinds, dims.steps, g.cat_eps)
    np.testing.assert_allclose(lies.log_pdf(x, g.log_pdf(x)), want, rtol=1e-9, atol=1e-9)
    assert np.all(lies.sigmas > 0)
