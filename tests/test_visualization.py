import matplotlib
import numpy as np
import pytest

import fasthpo
from fasthpo.samplers import RandomSampler
from fasthpo.visualization import plot_intermediate_values, plot_optimization_history, plot_pareto_front, plot_slice

matplotlib.use("Agg")


def study_with(n_trials=30, **kwargs):
    study = fasthpo.create_study(sampler=RandomSampler(seed=0), **kwargs)

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        trial.suggest_categorical("c", ["a", "b"])
        for step in range(3):
            trial.report(x**2 + 1.0 / (step + 1), step)
        if trial.number % 7 == 3:
            raise fasthpo.TrialPruned()
        return x**2 + lr

    study.optimize(objective, n_trials=n_trials)
    return study


@pytest.mark.parametrize("direction, accumulate", [("minimize", np.minimum), ("maximize", np.maximum)])
def test_history_draws_every_complete_value_and_the_best_so_far(direction, accumulate):
    study = study_with(direction=direction)
    ax = plot_optimization_history(study)
    complete = study.get_trials(states=[fasthpo.TrialState.COMPLETE])
    values = [t.value for t in complete]
    points = ax.collections[0].get_offsets()
    assert points[:, 0].tolist() == [t.number for t in complete] and points[:, 1].tolist() == values
    assert ax.lines[0].get_ydata().tolist() == accumulate.accumulate(values).tolist()


def test_slice_has_a_panel_per_parameter_in_user_units():
    study = study_with()
    axes = plot_slice(study)
    assert [ax.get_xlabel() for ax in axes] == ["x", "lr", "c"]
    lr = axes[1].collections[0].get_offsets()[:, 0]
    assert lr.min() >= 1e-4 and lr.max() <= 1 and axes[1].get_xscale() == "log"
    with pytest.raises(ValueError, match="params must name"):
        plot_slice(study, ["nope"])


def test_intermediate_values_draw_one_curve_per_reporting_trial():
    study = study_with(n_trials=14)
    ax = plot_intermediate_values(study)
    assert len(ax.lines) == 14
    assert sum(line.get_linestyle() == "--" for line in ax.lines) == 2  # trials 3 and 10 were pruned


def test_pareto_front_and_objective_count_errors():
    study = fasthpo.create_study(directions=["minimize", "minimize"], sampler=RandomSampler(seed=0))
    for a, b in [(1, 3), (2, 2), (3, 1), (3, 3)]:
        study.tell(study.ask(), [a, b])
    ax = plot_pareto_front(study)
    assert sorted(map(tuple, ax.collections[1].get_offsets().tolist())) == [(1, 3), (2, 2), (3, 1)]
    with pytest.raises(ValueError, match="one objective"):
        plot_optimization_history(study)
    with pytest.raises(ValueError, match="two objectives"):
        plot_pareto_front(study_with(n_trials=2))
