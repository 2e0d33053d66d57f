"""TPESampler: statistical behaviour, Optuna's split rules, reproducibility, bad input."""

import numpy as np
import pytest

import fasthpo
from fasthpo.core import SearchSpace
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler, TPESampler
from fasthpo.samplers.tpe import default_gamma, default_weights, greedy_hypervolume_subset, select_by_pareto_rank
from fasthpo._kernels import hypervolume as hv_kernel
from fasthpo._reference import hypervolume as hv_twin
from hypothesis import given, settings
from hypothesis import strategies as st


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -10, 10)
    return (x - 3) ** 2 + (y + 2) ** 2


def mixed(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    layers = trial.suggest_int("layers", 1, 8)
    width = trial.suggest_int("width", 16, 1024, log=True)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    return (np.log10(lr) + 3) ** 2 + (layers - 3) ** 2 + (np.log2(width) - 7) ** 2 + (act != "gelu")


def test_defaults_match_optuna():
    assert [default_gamma(n) for n in (0, 1, 10, 11, 100, 1000)] == [0, 1, 1, 2, 10, 25]
    w = default_weights(30)
    assert len(w) == 30 and w[-25:].tolist() == [1.0] * 25 and w[0] == pytest.approx(1 / 30)
    assert default_weights(3).tolist() == [1.0, 1.0, 1.0]
    assert isinstance(fasthpo.create_study().sampler, TPESampler)


@pytest.mark.parametrize("multivariate", [True, False])
def test_concentrates_near_the_optimum_better_than_random(multivariate):
    gaps = {}
    for name, sampler in (("tpe", TPESampler(seed=1, multivariate=multivariate)), ("random", RandomSampler(seed=1))):
        study = fasthpo.create_study(sampler=sampler)
        study.optimize(quadratic, n_trials=150)
        late = [t.params for t in study.trials[100:]]
        gaps[name] = np.median([np.hypot(p["x"] - 3, p["y"] + 2) for p in late])
    assert gaps["tpe"] < 0.3 * gaps["random"]
    assert gaps["tpe"] < 2.0


def test_mixed_space_finds_the_categorical_and_integers():
    study = fasthpo.create_study(sampler=TPESampler(seed=0))
    study.optimize(mixed, n_trials=200)
    assert study.best_value < 1.5
    late = [t.params for t in study.trials[150:]]
    assert np.mean([p["act"] == "gelu" for p in late]) > 0.6
    assert all(isinstance(p["layers"], int) and 1 <= p["layers"] <= 8 for p in late)


def test_maximize():
    study = fasthpo.create_study(direction="maximize", sampler=TPESampler(seed=2))
    study.optimize(lambda t: -quadratic(t), n_trials=100)
    assert study.best_value > -1.0


def test_same_seed_same_suggestions_and_reseed_differs():
    def run(seed):
        study = fasthpo.create_study(sampler=TPESampler(seed=seed))
        study.optimize(mixed, n_trials=40)
        return [t.params for t in study.trials]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_startup_trials_are_random_then_tpe():
    sampler = TPESampler(seed=0, n_startup_trials=5)
    study = fasthpo.create_study(sampler=sampler)
    for _ in range(4):
        study.optimize(quadratic, n_trials=1)
    assert sampler._n_done(study._history) == 4
    history = study._history
    space = SearchSpace(sampler.infer_relative_search_space(history))
    assert list(space) == ["x", "y"]
    proposal = sampler.propose(history, space, [study.ask().number])
    assert np.isnan(proposal.X).all()  # still startup: nothing proposed jointly


def test_constant_liar_spreads_parallel_asks():
    def spread(liar):
        study = fasthpo.create_study(sampler=TPESampler(seed=3, constant_liar=liar))
        study.optimize(quadratic, n_trials=30)
        asked = [study.ask() for _ in range(8)]
        points = np.array([[t.suggest_float("x", -10, 10), t.suggest_float("y", -10, 10)] for t in asked])
        return np.mean([np.linalg.norm(a - b) for i, a in enumerate(points) for b in points[i + 1:]])

    assert spread(True) > spread(False)


def test_pruned_trials_rank_by_last_step_then_value():
    sampler = TPESampler(seed=0, n_startup_trials=0, gamma=lambda n: 2)
    study = fasthpo.create_study(sampler=sampler)
    reports = {0: [(0, 5.0)], 1: [(0, 1.0), (3, 9.0)], 2: [(0, 0.5)], 3: [(0, 7.0), (3, 2.0)], 4: []}
    for number, steps in reports.items():
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        for step, value in steps:
            trial.report(value, step)
        study.tell(trial, state=TrialState.PRUNED)
    below, above = sampler._split(study._history, number=5)
    assert below.tolist() == [1, 3]  # step 3 beats step 0; at step 3, 2.0 < 9.0
    assert above.tolist() == [0, 2, 4]


def test_complete_trials_go_below_before_pruned_and_ties_keep_the_earlier():
    sampler = TPESampler(seed=0, n_startup_trials=0, gamma=lambda n: 3)
    study = fasthpo.create_study(sampler=sampler)
    for value in (4.0, 1.0, 1.0, 1.0):
        study.tell(study.ask(), value)
    pruned = study.ask()
    pruned.report(0.0, 0)
    study.tell(pruned, state=TrialState.PRUNED)
    below, above = sampler._split(study._history, number=99)
    assert below.tolist() == [1, 2, 3] and above.tolist() == [0, 4]


def test_infeasible_trials_rank_after_feasible_by_violation():
    sampler = TPESampler(seed=0, n_startup_trials=0, gamma=lambda n: 3,
                         constraints_func=lambda t: [t.params["x"] - 0.5])
    study = fasthpo.create_study(sampler=sampler)
    for x, value in ((0.9, 0.0), (0.6, 1.0), (0.1, 5.0), (0.7, -1.0)):
        study.enqueue_trial({"x": x})
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, value)
    assert study.trials[0].constraints == {"0": pytest.approx(0.4)}
    below, _ = sampler._split(study._history, number=99)
    assert below.tolist() == [1, 2, 3]  # feasible 2, then the least violations 0.1 (1), 0.2 (3)


def test_constraints_steer_towards_the_feasible_region():
    def run(constrained):
        def objective(trial):
            x = trial.suggest_float("x", -10, 10)
            if constrained:
                trial.set_constraint("x >= 2", 2.0 - x)  # feasible when x >= 2
            return x * x

        study = fasthpo.create_study(sampler=TPESampler(seed=4))
        study.optimize(objective, n_trials=120)
        return np.array([t.params["x"] for t in study.trials])

    constrained, free = run(True), run(False)
    assert np.mean(constrained[80:] >= 2.0) > np.mean(free[80:] >= 2.0) + 0.3
    assert 2.0 <= constrained[constrained >= 2.0].min() < 2.2  # the feasible optimum is found


def test_conditional_space_with_and_without_group():
    def objective(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return (trial.suggest_float("xa", -3, 3) - 1) ** 2 + trial.suggest_float("ya", -3, 3) ** 2
        return 1.0 + trial.suggest_float("xb", -3, 3) ** 2

    for group in (False, True):
        study = fasthpo.create_study(sampler=TPESampler(seed=0, group=group))
        study.optimize(objective, n_trials=100)
        assert study.best_value < 0.3
    groups = study.sampler._groups.groups
    assert sorted(sorted(g) for g in groups) == [["kind"], ["xa", "ya"], ["xb"]]


def test_multi_objective_front_beats_random():
    def zdt1(trial):
        x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(3)])
        g = 1 + 9 * x[1:].mean()
        return x[0], g * (1 - np.sqrt(x[0] / g))

    volumes = {}
    for name, sampler in (("tpe", TPESampler(seed=0)), ("random", RandomSampler(seed=0))):
        study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(zdt1, n_trials=150)
        front = np.ascontiguousarray([t.values for t in study.best_trials])
        volumes[name] = hv_kernel.hypervolume(front, np.array([1.1, 11.0]))
    assert volumes["tpe"] > volumes["random"]


@pytest.mark.parametrize("bad, error", [
    (dict(n_startup_trials=-1), ValueError), (dict(n_startup_trials=1.5), TypeError),
    (dict(n_ei_candidates=0), ValueError), (dict(prior_weight=0.0), ValueError),
    (dict(prior_weight=float("nan")), ValueError), (dict(gamma=3), TypeError),
    (dict(multivariate="yes"), TypeError), (dict(group=True, multivariate=False), ValueError),
    (dict(seed=-1), ValueError), (dict(constant_liar=1), TypeError),
])
def test_bad_arguments(bad, error):
    with pytest.raises(error):
        TPESampler(**bad)


def test_bad_weights_function_is_reported_and_study_unchanged():
    study = fasthpo.create_study(sampler=TPESampler(seed=0, n_startup_trials=2, weights=lambda n: -np.ones(n)))
    study.optimize(quadratic, n_trials=2)
    with pytest.raises(ValueError, match="weights"), pytest.warns(UserWarning, match="failed"):
        study.optimize(quadratic, n_trials=1)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


# ---------------------------------------------------------------- hypervolume kernels
points = st.integers(1, 4).flatmap(lambda k: st.lists(
    st.lists(st.floats(0, 1), min_size=k, max_size=k), min_size=0, max_size=7))


@given(points)
@settings(max_examples=150)
def test_hypervolume_matches_inclusion_exclusion(rows):
    if not rows:
        return
    p = np.array(rows, dtype=float)
    ref = np.full(p.shape[1], 1.1)
    assert hv_kernel.hypervolume(p, ref) == pytest.approx(hv_twin.hypervolume(p, ref), rel=1e-12, abs=1e-15)


@given(st.integers(1, 60), st.integers(1, 4), st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_nondomination_ranks_match_twin(n, k, seed, needed):
    losses = np.random.default_rng(seed).integers(0, 5, size=(n, k)).astype(float)  # many ties
    np.testing.assert_array_equal(hv_kernel.nondomination_ranks(losses, needed),
                                  hv_twin.nondomination_ranks(losses, needed))


def test_pareto_selection_takes_whole_fronts_then_hypervolume():
    losses = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.6, 0.6], [0.2, 0.9], [2.0, 2.0]])
    chosen = select_by_pareto_rank(losses, 3)
    # The front {0, 1, 2, 4} does not fit; reference (1.1, 1.1). Greedy by contribution:
    # (0.5, 0.5) alone 0.36; then (0.2, 0.9) adds 0.06 > 0.05; then (1, 0) adds 0.05 > 0.02.
    assert sorted(chosen.tolist()) == [1, 2, 4]
    assert greedy_hypervolume_subset(np.array([[1.0, 1.0], [1.0, 1.0], [0.0, 2.0]]), 3).tolist() == [2, 0, 1]


@pytest.mark.parametrize("n_observations", [0, 1, 2, 7, 24])
def test_estimator_matches_optunas_parzen_estimator(n_observations):
    """Same observations, same candidates: our log-densities are Optuna 5's to 1e-9.

    The observations have no ties in a numeric parameter: of two observations with the
    same value, one gets the gap on the left as its bandwidth and the other the gap on
    the right, and Optuna's (unstable) argsort leaves unspecified which is which.
    """
    optuna = pytest.importorskip("optuna")
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
    from optuna.samplers._tpe.sampler import default_weights as optuna_weights
    from fasthpo.samplers._parzen import Dimensions, ParzenEstimator

    choices = ["relu", "tanh", "gelu"]
    ours = {"a": fasthpo.FloatDistribution(-5, 10), "b": fasthpo.FloatDistribution(1e-4, 1, log=True),
            "c": fasthpo.IntDistribution(0, 10**4), "d": fasthpo.IntDistribution(10**3, 10**7, log=True),
            "e": fasthpo.FloatDistribution(0, 100, step=0.125), "f": fasthpo.CategoricalDistribution(choices)}
    od = optuna.distributions
    theirs = {"a": od.FloatDistribution(-5, 10), "b": od.FloatDistribution(1e-4, 1, log=True),
              "c": od.IntDistribution(0, 10**4), "d": od.IntDistribution(10**3, 10**7, log=True),
              "e": od.FloatDistribution(0, 100, step=0.125), "f": od.CategoricalDistribution(choices)}
    random = fasthpo.samplers.RandomSampler(seed=n_observations)
    study = fasthpo.create_study(sampler=random)

    def draw(n):
        """n random points: internal [n, 6] for us, Optuna's representation by name."""
        values = [{name: d.to_external(float(random.propose_independent(study._history, name, d, [0])[0])) for name, d in ours.items()}
                  for _ in range(n)]
        internal = np.array([[d.to_internal(v[name]) for name, d in ours.items()] for v in values]).reshape(n, 6)
        external = {name: np.array([v[name] for v in values], dtype=float) for name in ours if name != "f"}
        external["f"] = internal[:, 5]  # Optuna's categorical representation: the index
        return internal, external

    observed, observed_external = draw(n_observations)
    assert all(len(np.unique(observed[:, j])) == n_observations for j in range(5))
    candidates, candidates_external = draw(200)
    parameters = _ParzenEstimatorParameters(1.0, True, False, optuna_weights, True)
    expected = _ParzenEstimator(observed_external, theirs, parameters).log_pdf(candidates_external)
    estimator = ParzenEstimator(observed, Dimensions.of(list(ours.values())), default_weights(n_observations),
                                1.0, True, False)
    np.testing.assert_allclose(estimator.log_pdf(candidates), expected, rtol=1e-9, atol=1e-9)


@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.sampled_from([1, 3, 10]), st.booleans())
@settings(max_examples=30, deadline=None)
def test_batch_choices_with_lies_equal_scoring_every_candidate(seed, n, d, clustered):
    """A batch's members evaluate g at few candidates (the prior bound); each member
    still gets the candidate that scoring all of them, lies included, picks."""
    from fasthpo.samplers._parzen import Dimensions, LiedMixture, ParzenEstimator
    from fasthpo.samplers.tpe import _choose_with_lies
    from fasthpo.distributions import FloatDistribution

    rng = np.random.default_rng(seed)
    dims = Dimensions.of([FloatDistribution(-5.0, 5.0)] * d)
    spread = 0.3 if clustered else 5.0  # near candidates (g far from its prior) or far ones
    above = np.clip(rng.normal(0.0, spread, (300, d)), -5, 5)
    below = np.clip(rng.normal(0.5, 0.3, (10, d)), -5, 5)
    l = ParzenEstimator(below, dims, np.ones(10), 1.0, True, False)
    g = ParzenEstimator(above, dims, default_weights(300), 1.0, True, False)
    candidates = l.sample(rng, 24, n).reshape(n, 24, d)
    log_l = l.log_pdf(candidates.reshape(-1, d)).reshape(n, 24)
    got, share = _choose_with_lies(candidates, log_l, g, LiedMixture(g, 1.0, True, False))
    assert 0 < share <= 1
    lies, want = LiedMixture(g, 1.0, True, False), np.empty((n, d))
    for i in range(n):
        want[i] = candidates[i, np.argmax(log_l[i] - lies.log_pdf(candidates[i], g.log_pdf(candidates[i])))]
        lies.add(want[i])
    np.testing.assert_array_equal(got, want)
