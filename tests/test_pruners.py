"""Pruners against hand-computed decisions: ties, missing steps, NaN, both directions."""

import math

import numpy as np
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.pruners import (HyperbandPruner, MedianPruner, NopPruner, PatientPruner, PercentilePruner,
                             SuccessiveHalvingPruner, ThresholdPruner, WilcoxonPruner)
from fasthpo.samplers import RandomSampler, TPESampler


def study_with(pruner, direction="minimize", curves=(), sampler=None):
    """A study whose COMPLETE trials reported ``curves`` ({step: value} each)."""
    study = fasthpo.create_study(direction=direction, pruner=pruner, sampler=sampler or RandomSampler(seed=0))
    for curve in curves:
        trial = study.ask()
        for step, value in curve.items():
            trial.report(value, step)
        study.tell(trial, 0.0)
    return study


def running(study, curve):
    trial = study.ask()
    for step, value in curve.items():
        trial.report(value, step)
    return trial


FOUR = [{0: 9.0, 2: v} for v in (1.0, 2.0, 3.0, 4.0)]  # median at step 2: 2.5


@pytest.mark.parametrize("direction, best, expected", [
    ("minimize", 2.4, False), ("minimize", 2.6, True), ("minimize", 2.5, False),  # a tie is kept
    ("maximize", 2.6, False), ("maximize", 2.4, True), ("maximize", 2.5, False),
])
def test_median_against_hand_computed_median(direction, best, expected):
    study = study_with(MedianPruner(n_startup_trials=4), direction, FOUR)
    worst = 100.0 if direction == "minimize" else -100.0
    assert running(study, {0: worst, 2: best}).should_prune() is expected


def test_median_uses_the_best_value_so_far_not_the_last():
    study = study_with(MedianPruner(n_startup_trials=1), "minimize", FOUR)
    assert running(study, {0: 1.0, 2: 7.0}).should_prune() is False  # best so far 1.0 < 2.5


def test_percentile_mirrors_for_maximize():
    # nanpercentile([1, 2, 3, 4], 25) = 1.75; for maximize the 75th: 3.25
    study = study_with(PercentilePruner(25.0, n_startup_trials=1), "minimize", FOUR)
    assert running(study, {2: 1.8}).should_prune() and not running(study, {2: 1.7}).should_prune()
    study = study_with(PercentilePruner(25.0, n_startup_trials=1), "maximize", FOUR)
    assert running(study, {2: 3.2}).should_prune() and not running(study, {2: 3.3}).should_prune()


def test_startup_warmup_interval_and_missing_steps():
    study = study_with(MedianPruner(n_startup_trials=5), "minimize", FOUR)
    assert not running(study, {2: 99.0}).should_prune()  # 4 complete < 5
    study = study_with(MedianPruner(n_startup_trials=1, n_warmup_steps=3), "minimize", FOUR)
    assert not running(study, {2: 99.0}).should_prune()  # step 2 < warm-up 3
    study = study_with(MedianPruner(n_startup_trials=1), "minimize", FOUR)
    assert not running(study, {5: 99.0}).should_prune()  # nobody completed reported step 5
    study = study_with(MedianPruner(n_startup_trials=1, n_min_trials=5), "minimize", FOUR)
    assert not running(study, {2: 99.0}).should_prune()  # only 4 reported step 2
    study = study_with(MedianPruner(n_startup_trials=1, interval_steps=2), "minimize",
                       [{s: 1.0 for s in range(4)}])
    trial = running(study, {0: 5.0})
    assert trial.should_prune()  # step 0 opens the window [0, 2)
    trial.report(5.0, 1)
    assert not trial.should_prune()  # step 1: same window, already decided


def test_only_complete_trials_count_and_nan_rules():
    study = study_with(MedianPruner(n_startup_trials=1), "minimize", [{0: 1.0}])
    pruned = running(study, {0: 100.0})
    study.tell(pruned, state=TrialState.PRUNED)
    running(study, {0: 100.0})  # a running trial does not count either
    assert not running(study, {0: 0.9}).should_prune()  # the median is still 1.0
    assert running(study, {0: math.nan}).should_prune()  # all its values NaN: pruned
    study = study_with(MedianPruner(n_startup_trials=1), "minimize", [{0: math.nan}, {0: 1.0}, {0: 3.0}])
    assert not running(study, {0: 1.9}).should_prune()  # NaN ignored: median of 1, 3 is 2


def test_successive_halving_by_hand():
    study = study_with(SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    assert not running(study, {0: 5.0}).should_prune()  # before the first rung (step 1)
    first = running(study, {1: 1.0})
    assert not first.should_prune() and first.system_attrs["completed_rung_0"] == 1.0
    assert running(study, {1: 3.0}).should_prune()  # rung 0 holds [1, 3]: top 1 of 2 is 1
    third = running(study, {1: 0.5})
    assert not third.should_prune()  # [1, 3, 0.5]: top 1 is 0.5
    third.report(0.4, 2)
    assert not third.should_prune() and "completed_rung_1" in third.system_attrs
    assert running(study, {1: math.nan}).should_prune()


def test_successive_halving_maximize_rate_and_auto():
    study = study_with(SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), "maximize")
    assert not running(study, {1: 3.0}).should_prune()
    assert running(study, {1: 1.0}).should_prune()
    study = study_with(SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1))
    running(study, {1: 1.0, 5: 1.0})
    assert running(study, {5: 9.0}).should_prune() is False  # first rung at 2 * 3 = 6
    auto = SuccessiveHalvingPruner()
    study = study_with(auto)
    running(study, {0: 1.0})
    assert not running(study, {0: 9.0}).should_prune()  # no complete trial: nothing to size from
    study = study_with(SuccessiveHalvingPruner(), curves=[{399: 1.0}])
    assert not running(study, {3: 1.0}).should_prune()
    assert running(study, {3: 2.0}).should_prune()  # min_resource = 399 // 100 = 3


def test_hyperband_brackets_and_budgets():
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert pruner.n_brackets == 4
    assert pruner._budgets.tolist() == [27, 39, 45, 49]  # ceil(4 * 3^s / (s + 1)), s = 3 .. 0
    assert [b._min_early_stopping_rate for b in pruner._brackets] == [0, 1, 2, 3]
    study = fasthpo.create_study(pruner=pruner, study_name="hb")
    counts = np.bincount([pruner.bracket_of(study._history, n) for n in range(49_000)], minlength=4)
    np.testing.assert_allclose(counts / 49_000, np.array([27, 12, 6, 4]) / 49, atol=0.01)
    again = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    history = study._history
    assert [again.bracket_of(history, n) for n in range(50)] == [pruner.bracket_of(history, n) for n in range(50)]


def test_hyperband_prunes_within_the_bracket_and_tpe_models_the_bracket():
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    sampler = TPESampler(seed=0, n_startup_trials=0)
    study = fasthpo.create_study(pruner=pruner, sampler=sampler, study_name="hb2")
    for _ in range(30):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        for step in range(9):
            trial.report(x + step, step)
            if trial.should_prune():
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, x)
    states = [t.state for t in study.trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    number = study._store.n_trials
    mask = pruner.model_rows(study._history, number)
    below, above = sampler._split(study._history, number)
    assert mask[below].all() and mask[above].all()


def test_threshold():
    study = study_with(ThresholdPruner(lower=0.0, upper=1.0))
    assert running(study, {0: 1.5}).should_prune() and running(study, {0: -0.5}).should_prune()
    assert not running(study, {0: 1.0}).should_prune()  # on the bound: kept
    assert running(study, {0: math.nan}).should_prune()
    study = study_with(ThresholdPruner(upper=1.0, n_warmup_steps=2))
    assert not running(study, {1: 5.0}).should_prune()


@pytest.mark.parametrize("direction, curve, min_delta, expected", [
    ("minimize", [1.0, 0.9, 0.95, 0.96], 0.0, False),  # improved within the patience window
    ("minimize", [0.9, 1.0, 0.95, 0.96], 0.0, True),
    ("minimize", [0.9, 1.05, 1.02, 1.01], 0.1, True),  # recent best 1.01 > 0.9 + 0.1
    ("minimize", [0.9, 1.05, 0.99, 1.01], 0.1, False),  # recent best 0.99 within the tolerance
    ("maximize", [0.9, 1.0, 0.95, 0.96], 0.0, False),
    ("maximize", [1.0, 0.9, 0.95, 0.96], 0.0, True),
])
def test_patient(direction, curve, min_delta, expected):
    study = study_with(PatientPruner(None, patience=2, min_delta=min_delta), direction)
    assert running(study, dict(enumerate(curve))).should_prune() is expected


def test_patient_defers_to_the_wrapped_pruner():
    study = study_with(PatientPruner(NopPruner(), patience=1))
    assert not running(study, dict(enumerate([0.9, 1.0, 1.1]))).should_prune()
    assert not running(study, {0: 1.0, 1: 2.0}).should_prune()  # too short to judge


def test_wilcoxon():
    best = {i: float(i % 5) for i in range(20)}
    study = study_with(WilcoxonPruner(p_threshold=0.1), curves=[best])
    assert running(study, {i: v + 0.5 for i, v in best.items()}).should_prune()
    assert not running(study, {i: v - 0.5 for i, v in best.items()}).should_prune()
    assert not running(fasthpo.create_study(pruner=WilcoxonPruner()), {0: 1.0}).should_prune()  # no best trial
    with pytest.warns(UserWarning, match="NaN"):
        assert not running(study, {0: math.nan, 1: 1.0}).should_prune()
    study = study_with(WilcoxonPruner(p_threshold=0.1, n_startup_steps=5), curves=[best])
    assert not running(study, {0: 9.0, 1: 9.0, 2: 9.0}).should_prune()  # 3 steps < 5


def test_median_is_the_default():
    assert isinstance(fasthpo.create_study().pruner, MedianPruner)


@pytest.mark.parametrize("make, error", [
    (lambda: PercentilePruner(101.0), ValueError), (lambda: PercentilePruner(50, n_startup_trials=-1), ValueError),
    (lambda: MedianPruner(interval_steps=0), ValueError), (lambda: MedianPruner(n_warmup_steps=1.5), TypeError),
    (lambda: MedianPruner(n_min_trials=0), ValueError),
    (lambda: SuccessiveHalvingPruner(reduction_factor=1), ValueError),
    (lambda: SuccessiveHalvingPruner(min_resource=0), ValueError),
    (lambda: SuccessiveHalvingPruner(bootstrap_count=2), ValueError),
    (lambda: HyperbandPruner(min_resource=5, max_resource=2), ValueError),
    (lambda: HyperbandPruner(reduction_factor=1), ValueError),
    (lambda: ThresholdPruner(), TypeError), (lambda: ThresholdPruner(lower=2.0, upper=1.0), ValueError),
    (lambda: ThresholdPruner(lower=math.nan), TypeError),
    (lambda: PatientPruner(None, patience=-1), ValueError), (lambda: PatientPruner("x", patience=1), TypeError),
    (lambda: PatientPruner(None, patience=1, min_delta=-0.1), ValueError),
    (lambda: WilcoxonPruner(p_threshold=1.5), ValueError),
])
def test_bad_arguments(make, error):
    with pytest.raises(error):
        make()


def test_report_rules_leave_the_trial_unchanged():
    study = study_with(MedianPruner())
    trial = running(study, {0: 1.0})
    with pytest.raises(ValueError, match="step"):
        trial.report(1.0, -1)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(2.0, 0)
    assert study._frozen(trial.number).intermediate_values == {0: 1.0}
