"""LearningCurvePruner: the curve fits against their NumPy twin, and pruning decisions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import fasthpo
from fasthpo._kernels import curves as kernel
from fasthpo._reference import curves as twin
from fasthpo.pruners import LearningCurvePruner, MedianPruner

SHAPES = np.geomspace(0.05, 20.0, 32)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.floats(-10.0, 10.0)), min_size=1, max_size=30,
                unique_by=lambda p: p[0]))
def test_fits_match_twin(points):
    """Distinct resources (steps scaled as the pruner scales them); nearly equal ones
    make the basis columns cancel, and then rounding, not the fit, decides."""
    t = np.array([p[0] / 10 for p in points])
    y = np.array([p[1] for p in points])
    ours, theirs = kernel.fit_curves(t, y, SHAPES), twin.fit_curves(t, y, SHAPES)
    np.testing.assert_allclose(ours[:, 3], theirs[:, 3], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(kernel.evaluate(ours, 2.0), twin.evaluate(ours, 2.0), rtol=1e-12)
    # the same shape wins unless two shapes fit equally well to rounding
    same = ours[:, 2] == theirs[:, 2]
    np.testing.assert_allclose(ours[same, :2], theirs[same, :2], rtol=1e-6, atol=1e-6)


def test_exact_curves_are_recovered():
    t = np.arange(1.0, 30.0)
    shapes = np.array([0.1, 0.5, 2.0])
    for family, y in enumerate([1 + 2 * t**-0.5, 1 + 2 * np.exp(-0.5 * t)]):
        fit = kernel.fit_curves(t, y, shapes)[family]
        np.testing.assert_allclose(fit[:2], [1.0, 2.0], atol=1e-9)
        assert fit[3] < 1e-18
    with pytest.raises(ValueError, match="same length"):
        kernel.fit_curves(t, t[:3], shapes)


def study_with_best(curve, n=5, steps=30, direction="minimize", pruner=None):
    study = fasthpo.create_study(direction=direction, pruner=pruner or LearningCurvePruner())
    for i in range(n):
        trial = study.ask()
        for step in range(steps):
            trial.report(curve(step, i), step)
        study.tell(trial, curve(steps - 1, i))
    return study


def ask_with(study, values, steps=None):
    trial = study.ask()
    for step, value in zip(steps if steps is not None else range(len(values)), values):
        trial.report(float(value), step)
    return trial


def reference_curve(step, i):  # the finished trials end near 0.2 + 0.01 i
    return 0.2 + 0.01 * i + 0.8 * (step + 1) ** -0.8


def test_a_curve_heading_above_the_best_is_pruned_and_a_steep_one_kept():
    study = study_with_best(reference_curve)
    t = np.arange(1, 9)
    assert ask_with(study, 0.6 + 0.8 * t**-0.8).should_prune()  # flattening out far above 0.2
    steep = ask_with(study, 0.05 + 2.6 * t**-0.9)  # worse than every trial now, best at the end
    assert not steep.should_prune()
    median = study_with_best(reference_curve, pruner=MedianPruner(n_startup_trials=1))
    assert ask_with(median, 0.05 + 2.6 * t**-0.9).should_prune()  # what comparing at the same step does


def test_a_curve_levelling_off_short_of_the_best_is_pruned():
    """The families level off. A logarithm ``a + b log t`` (a family until issue 20's
    MLP runs) keeps falling: fitted to these four losses it wins on BIC (two
    parameters) and predicts a new best, and with it the chance was 0.44."""
    study = study_with_best(reference_curve)  # best final 0.2 + 0.8 * 30 ** -0.8 = 0.253
    losses = np.array([0.459, 0.381, 0.362, 0.334])
    assert ask_with(study, losses).should_prune()
    t = np.arange(1.0, 5.0)
    assert np.polyval(np.polyfit(np.log(t), losses, 1), np.log(30.0)) < 0.2  # the log curve's forecast


def test_maximize_top_k_and_resources_with_gaps():
    def accuracy(step, i):
        return 1 - reference_curve(step, i)

    study = study_with_best(accuracy, direction="maximize")
    steps = np.array([0, 2, 8, 11, 15])  # resources with gaps, as Hyperband rungs give
    assert ask_with(study, 0.3 - 0.5 * (steps + 1.0) ** -0.8, steps).should_prune()
    assert not ask_with(study, 0.95 - 1.5 * (steps + 1.0) ** -0.8, steps).should_prune()
    # a curve ending near 0.745 beats the 5th best (0.76) with some chance only when k is large
    ending = 0.755 - 0.3 * (steps + 1.0) ** -0.8 + 0.003 * np.sin(steps)
    assert ask_with(study, ending, steps).should_prune()
    loose = study_with_best(accuracy, direction="maximize", pruner=LearningCurvePruner(top_k=5, min_probability=0.01))
    assert not ask_with(loose, ending, steps).should_prune()


def test_no_pruning_before_enough_trials_or_past_the_final_step():
    hopeless = 5 + np.arange(10.0) * 0
    few = study_with_best(reference_curve, n=2)
    assert not ask_with(few, hopeless).should_prune()
    study = study_with_best(reference_curve)
    assert not ask_with(study, 5 + np.zeros(30)).should_prune()  # reached the final step 29
    fixed = study_with_best(reference_curve, pruner=LearningCurvePruner(max_resource=5))
    assert not ask_with(fixed, hopeless[:6]).should_prune()
    assert ask_with(study, [np.nan] * 6).should_prune()
    assert not ask_with(study, [np.nan] * 3).should_prune()  # min_points=4


def test_before_min_points_the_complete_curves_predict():
    """With fewer than ``min_points`` values the trial is judged by the line of the
    COMPLETE trials' final values on their values at the same step."""
    study = study_with_best(reference_curve)
    assert ask_with(study, [5.0]).should_prune()  # far above every curve at step 0
    assert not ask_with(study, [0.9, 0.6]).should_prune()  # as good as the best curve at step 1
    # curves whose order changes (values at step 0 from 0.5, the best, to 0.9): a trial
    # close behind the best one at step 0 is kept, one far behind it is not
    noisy = study_with_best(lambda step, i: 0.2 + 0.05 * ((7 * i) % 5) + (0.3 + 0.1 * (i % 3)) / (step + 1), n=8)
    assert not ask_with(noisy, [0.52]).should_prune()
    assert ask_with(noisy, [0.95]).should_prune()
    # a line falling the other way (better now, worse at the end) is not believed: the
    # exact line would put 0.65 at 0.235 for certain, the flat one gives the spread
    x, final = np.array([1.0, 0.9, 0.8, 0.7, 0.6]), np.array([0.2, 0.21, 0.22, 0.23, 0.24])
    assert LearningCurvePruner.probability_from_others(x, final, 0.65, 0.2) > 0.1


def test_probability_from_others_is_the_t_prediction_interval():
    rng = np.random.default_rng(0)
    x = rng.random(12)
    final = 0.5 * x + 0.1 * rng.standard_normal(12)
    fit = stats.linregress(x, final)
    residual = final - fit.intercept - fit.slope * x
    s = np.sqrt(residual @ residual / 10 * (1 + 1 / 12 + (0.7 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum()))
    expected = stats.t.cdf((0.2 - fit.intercept - fit.slope * 0.7) / s, df=10)
    assert LearningCurvePruner.probability_from_others(x, final, 0.7, 0.2) == pytest.approx(expected, rel=1e-9)
    assert LearningCurvePruner.probability_from_others(x[:2], final[:2], 0.7, 0.2) == 1.0  # too few to judge


@pytest.mark.parametrize("kwargs, error, message", [
    ({"min_probability": 0.0}, ValueError, "min_probability must be a number in"),
    ({"min_probability": True}, ValueError, "min_probability must be a number in"),
    ({"top_k": 0}, ValueError, "top_k must be >= 1"),
    ({"max_resource": "max"}, TypeError, "max_resource must be an int"),
    ({"min_points": 2}, ValueError, "min_points must be >= 3"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        LearningCurvePruner(**kwargs)
