"""Every plot rendered to PNG from real studies; what is drawn is checked against the study."""

import itertools

import matplotlib
import numpy as np
import pytest

import fasthpo
from fasthpo import TrialState
from fasthpo.samplers import RandomSampler
from fasthpo.visualization import (
    plot_contour,
    plot_edf,
    plot_hypervolume_history,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_rank,
    plot_slice,
    plot_timeline,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def render(ax, tmp_path):
    """Save the figure of ``ax`` (or of the first of an array) to PNG: drawing must not raise."""
    first = np.ravel(ax)[0] if isinstance(ax, np.ndarray) else ax
    path = tmp_path / "plot.png"
    first.figure.savefig(path)
    assert path.stat().st_size > 1000


def conditional_study(n_trials=40, direction="minimize", seed=0):
    """x (float), lr (log float), c (categorical); momentum only when c == 'sgd'; every 7th trial pruned."""
    study = fasthpo.create_study(direction=direction, sampler=RandomSampler(seed=seed), study_name=f"s{seed}")

    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        lr = trial.suggest_float("lr", 1e-4, 1, log=True)
        c = trial.suggest_categorical("c", ["adam", "sgd"])
        if c == "sgd":
            trial.suggest_float("momentum", 0.0, 0.9)
        for step in range(3):
            trial.report(x**2 + 1.0 / (step + 1), step)
        if trial.number % 7 == 3:
            raise fasthpo.TrialPruned()
        return x**2 + lr

    study.optimize(objective, n_trials=n_trials)
    return study


def two_objective_study(n_trials=30):
    study = fasthpo.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=1))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_float("y", 0, 1)
        trial.set_constraint("x<=0.8", x - 0.8)
        return x**2 + y, y - x

    study.optimize(objective, n_trials=n_trials)
    return study


def complete(study):
    return study.get_trials(states=[TrialState.COMPLETE])


# ---------------------------------------------------------------- optimization history
@pytest.mark.parametrize("direction, accumulate", [("minimize", np.minimum), ("maximize", np.maximum)])
def test_history_draws_every_complete_value_and_the_best_so_far(direction, accumulate, tmp_path):
    study = conditional_study(direction=direction)
    ax = plot_optimization_history(study)
    render(ax, tmp_path)
    trials = complete(study)
    values = [t.value for t in trials]
    points = ax.collections[0].get_offsets()
    assert points[:, 0].tolist() == [t.number for t in trials] and points[:, 1].tolist() == values
    assert ax.lines[0].get_ydata().tolist() == accumulate.accumulate(values).tolist()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Trial", "Objective Value")


def test_history_of_several_studies_and_the_error_band(tmp_path):
    studies = [conditional_study(seed=s) for s in range(3)]
    ax = plot_optimization_history(studies)
    render(ax, tmp_path)
    assert len(ax.collections) == 3 and len(ax.lines) == 3
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"Best Value of s0", "Best Value of s2"}
    band = plot_optimization_history(studies, error_bar=True)
    render(band, tmp_path)
    best = np.array([np.minimum.accumulate([t.value for t in complete(s)]) for s in studies])
    # every study has the same complete numbers, so the band's mean is the plain mean there
    numbers = [t.number for t in complete(studies[0])]
    x, mean = band.lines[1].get_data()
    assert x.tolist() == list(range(40)) and np.allclose(mean[numbers], best.mean(axis=0))


def test_history_with_a_target_on_two_objectives(tmp_path):
    study = two_objective_study()
    ax = plot_optimization_history(study, target=lambda t: t.values[1], target_name="y - x")
    render(ax, tmp_path)
    assert ax.collections[0].get_offsets()[:, 1].tolist() == [t.values[1] for t in complete(study)]
    assert ax.get_ylabel() == "y - x" and not ax.lines  # no best line: a target has no direction
    with pytest.raises(ValueError, match="2 objectives: pass target"):
        plot_optimization_history(study)


# ---------------------------------------------------------------- parameters
def test_slice_has_a_panel_per_parameter_in_user_units_and_skips_absent_ones(tmp_path):
    study = conditional_study()
    axes = plot_slice(study)
    render(axes, tmp_path)
    trials = complete(study)
    assert [ax.get_xlabel() for ax in axes] == ["c", "lr", "momentum", "x"]
    assert axes[0].get_ylabel() == "Objective Value"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["adam", "sgd"]
    lr = axes[1].collections[0].get_offsets()
    assert lr[:, 0].tolist() == [t.params["lr"] for t in trials] and axes[1].get_xscale() == "log"
    momentum = axes[2].collections[0].get_offsets()
    assert len(momentum) == sum("momentum" in t.params for t in trials) < len(trials)
    one = plot_slice(study, ["x"])
    assert one.get_xlabel() == "x" and len(one.collections[0].get_offsets()) == len(trials)


def test_contour_of_a_pair_and_a_grid(tmp_path):
    study = conditional_study()
    trials = complete(study)
    ax = plot_contour(study, ["x", "lr"])
    render(ax, tmp_path)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) == ("x", "lr", "log")
    surface, points = ax.collections[0], ax.collections[-1]
    assert isinstance(surface, matplotlib.contour.ContourSet)
    assert np.allclose(points.get_offsets(), [[t.params["x"], t.params["lr"]] for t in trials])
    grid = plot_contour(study, ["x", "lr", "momentum"])
    render(grid, tmp_path)
    assert grid.shape == (3, 3)
    # the x/momentum panel only has the trials that drew momentum
    assert len(grid[2, 0].collections[-1].get_offsets()) == sum("momentum" in t.params for t in trials)
    with pytest.raises(ValueError, match="at least 2"):
        plot_contour(study, ["x"])


def test_parallel_coordinate_draws_one_line_per_trial_with_all_parameters(tmp_path):
    study = conditional_study()
    trials = complete(study)
    ax = plot_parallel_coordinate(study, ["x", "lr", "c"])
    render(ax, tmp_path)
    lines = ax.collections[0]
    assert len(lines.get_segments()) == len(trials)
    assert np.allclose(lines.get_array(), [t.value for t in trials])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Objective Value", "x", "lr", "c"]
    # a segment's x-axis point is the trial's x scaled to the range of x
    xs = np.array([t.params["x"] for t in trials])
    assert np.allclose([s[1, 1] for s in lines.get_segments()], (xs - xs.min()) / (xs.max() - xs.min()))
    with_momentum = plot_parallel_coordinate(study)
    assert len(with_momentum.collections[0].get_segments()) == sum("momentum" in t.params for t in trials)


def test_rank_colors_trials_by_the_rank_of_their_value(tmp_path):
    study = conditional_study()
    trials = complete(study)
    ax = plot_rank(study, ["x", "lr"])
    render(ax, tmp_path)
    ranks = ax.collections[0].get_array()
    order = np.argsort([t.value for t in trials])
    assert ranks[order[0]] == 0 and ranks[order[-1]] == 1
    assert np.all(np.diff(ranks[order]) > 0)
    grid = plot_rank(study)
    render(grid, tmp_path)
    assert grid.shape == (4, 4)
    single = plot_rank(study, ["x"])
    assert single.get_ylabel() == "Objective Value"


def test_param_importances_draw_one_bar_per_parameter_most_important_on_top(tmp_path):
    from fasthpo.importance import get_param_importances

    study = conditional_study()
    ax = plot_param_importances(study)
    render(ax, tmp_path)
    importances = get_param_importances(study)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(importances)[::-1]
    assert [p.get_width() for p in ax.patches] == list(importances.values())[::-1]
    assert ax.get_xlabel() == "Importance for Objective Value"
    two = plot_param_importances(two_objective_study(), target=lambda t: t.values[0], target_name="cost",
                                 params=["x", "y"])
    assert len(two.patches) == 2 and two.get_xlabel() == "Importance for cost"


# ---------------------------------------------------------------- distributions and time
def test_edf_is_the_empirical_distribution_of_values(tmp_path):
    studies = [conditional_study(seed=s) for s in range(2)]
    ax = plot_edf(studies)
    render(ax, tmp_path)
    assert len(ax.lines) == 2
    values = sorted(t.value for t in complete(studies[0]))
    assert ax.lines[0].get_xdata().tolist() == values
    assert ax.lines[0].get_ydata().tolist() == [(i + 1) / len(values) for i in range(len(values))]


def test_intermediate_values_draw_one_curve_per_reporting_trial_pruned_marked(tmp_path):
    study = conditional_study(n_trials=14)
    ax = plot_intermediate_values(study)
    render(ax, tmp_path)
    curves = [line for line in ax.lines if line.get_marker() == "."]
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(curves) == 14 and len(crosses) == 2  # trials 3 and 10 were pruned
    assert sum(line.get_linestyle() == "--" for line in curves) == 2
    assert curves[0].get_ydata().tolist() == [study.trials[0].intermediate_values[s] for s in range(3)]


def test_timeline_has_a_bar_per_trial_and_one_lane_per_concurrent_worker(tmp_path):
    study = fasthpo.create_study(sampler=RandomSampler(seed=0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise ValueError("failing on purpose")
        return x

    study.optimize(objective, n_trials=6, catch=(ValueError,))
    study.ask()  # still running
    ax = plot_timeline(study)
    render(ax, tmp_path)
    assert len(ax.patches) == 7
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"COMPLETE", "FAIL", "RUNNING"}
    # sequential trials never overlap: one lane
    assert {p.get_y() + p.get_height() / 2 for p in ax.patches} == {0.0}
    assert len(plot_timeline(study, n_recent_trials=3).patches) == 3


def test_timeline_lanes_separate_overlapping_trials():
    import datetime

    study = fasthpo.create_study()
    t0 = datetime.datetime(2026, 1, 1)
    for start, end in [(0, 10), (1, 3), (4, 12), (11, 13)]:
        trial = fasthpo.create_trial(value=0.0)
        trial.datetime_start = t0 + datetime.timedelta(seconds=start)
        trial.datetime_complete = t0 + datetime.timedelta(seconds=end)
        study.add_trial(trial)
    ax = plot_timeline(study)
    assert [p.get_y() + p.get_height() / 2 for p in ax.patches] == [0, 1, 1, 0]


# ---------------------------------------------------------------- several objectives
def test_pareto_front_of_two_objectives_with_constraints(tmp_path):
    study = two_objective_study()
    ax = plot_pareto_front(study, target_names=["cost", "gain"])
    render(ax, tmp_path)
    front, dominated, infeasible = (c.get_offsets().tolist() for c in ax.collections)
    trials = complete(study)
    feasible = [t for t in trials if t.constraints["x<=0.8"] <= 0]
    assert sorted(map(tuple, infeasible)) == sorted(tuple(t.values) for t in trials if t not in feasible)
    assert sorted(map(tuple, front)) == sorted(tuple(t.values) for t in study.best_trials)
    assert len(front) + len(dominated) == len(feasible)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("cost", "gain")
    only_front = plot_pareto_front(study, include_dominated_trials=False)
    assert [c.get_label() for c in only_front.collections] == ["Best Trial", "Infeasible Trial"]


def test_pareto_front_of_three_objectives(tmp_path):
    study = fasthpo.create_study(directions=["minimize"] * 3)
    points = [(1, 2, 3), (3, 2, 1), (2, 2, 2), (3, 3, 3)]
    for values in points:
        study.tell(study.ask(), values)
    ax = plot_pareto_front(study)
    render(ax, tmp_path)
    assert ax.name == "3d" and ax.get_zlabel() == "Objective 2"
    front = np.array(ax.collections[0]._offsets3d).T
    assert sorted(map(tuple, front.tolist())) == sorted(points[:3])


def test_hypervolume_history_against_inclusion_exclusion(tmp_path):
    from fasthpo._reference.hypervolume import hypervolume

    study = two_objective_study(n_trials=12)
    ax = plot_hypervolume_history(study, [2.0, -1.0])
    render(ax, tmp_path)
    trials = complete(study)
    expected = []
    for i in range(len(trials)):
        seen = [t for t in trials[: i + 1] if t.constraints["x<=0.8"] <= 0]
        points = np.array([[t.values[0], -t.values[1]] for t in seen]).reshape(-1, 2)
        expected.append(hypervolume(points, np.array([2.0, 1.0])))
    assert np.allclose(ax.lines[0].get_ydata(), expected) and expected[-1] > 0
    with pytest.raises(ValueError, match="reference_point must be 2"):
        plot_hypervolume_history(study, [1.0])
    with pytest.raises(ValueError, match="several objectives"):
        plot_hypervolume_history(conditional_study(n_trials=3), [1.0])


# ---------------------------------------------------------------- bad input
PER_TRIAL = [plot_optimization_history, plot_edf, plot_slice, plot_contour, plot_parallel_coordinate, plot_rank,
             plot_param_importances]


@pytest.mark.parametrize("plot", [plot_slice, plot_contour, plot_parallel_coordinate, plot_rank, plot_param_importances])
def test_unknown_parameter_names_are_named(plot):
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['nope'\]"):
        plot(conditional_study(n_trials=5), params=["x", "nope"])


@pytest.mark.parametrize("plot", PER_TRIAL)
def test_a_target_that_raises_is_reported_with_the_trial(plot):
    def target(trial):
        raise KeyError("loss")

    with pytest.raises(ValueError, match="target raised KeyError: 'loss' on trial 0"):
        plot(conditional_study(n_trials=5), target=target)
    with pytest.raises(ValueError, match="target must return a real number, got 'a'"):
        plot(conditional_study(n_trials=5), target=lambda t: "a")


def failed_only_study():
    study = fasthpo.create_study()
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_float("y", 0, 1)
        study.tell(trial, state=TrialState.FAIL)
    return study


NOTHING_TO_DRAW = [
    *itertools.product([*PER_TRIAL, plot_intermediate_values], [fasthpo.create_study, failed_only_study]),
    (plot_timeline, fasthpo.create_study),  # failed trials have a timeline
]


@pytest.mark.parametrize("plot, make", NOTHING_TO_DRAW, ids=lambda f: f.__name__)
def test_nothing_to_draw_gives_a_figure_that_says_so(plot, make, tmp_path):
    study = make()
    ax = plot(study)
    render(ax, tmp_path)
    assert ax.texts and ax.texts[0].get_text().startswith("No ")
    assert not ax.collections and not ax.lines


def failed_only_two_objective_study():
    study = fasthpo.create_study(directions=["minimize"] * 2)
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        study.tell(trial, state=TrialState.FAIL)
    return study


@pytest.mark.parametrize("make", [lambda: fasthpo.create_study(directions=["minimize"] * 2),
                                  failed_only_two_objective_study], ids=["empty", "failed-only"])
def test_nothing_to_draw_on_several_objectives(make, tmp_path):
    for ax in (plot_pareto_front(make()), plot_hypervolume_history(make(), [1, 1])):
        render(ax, tmp_path)
        assert ax.texts[0].get_text() == "No complete trials"
        assert not ax.collections and not ax.lines


def test_bad_arguments_are_named():
    study = conditional_study(n_trials=3)
    with pytest.raises(TypeError, match="target must be a callable"):
        plot_edf(study, target=3)
    with pytest.raises(TypeError, match="params must be a list"):
        plot_slice(study, "x")
    with pytest.raises(TypeError, match="study must be a Study"):
        plot_optimization_history([])
    with pytest.raises(ValueError, match="n_recent_trials"):
        plot_timeline(study, n_recent_trials=0)
    with pytest.raises(ValueError, match="2 or 3 objectives; this study has 1"):
        plot_pareto_front(study)
    with pytest.raises(ValueError, match="target_names must have 2"):
        plot_pareto_front(two_objective_study(3), target_names=["a"])
    with pytest.raises(ValueError, match="targets raised"):
        plot_pareto_front(two_objective_study(3), targets=lambda t: t.values[5])


def test_every_pairing_of_plot_and_study_kind_renders(tmp_path):
    """Single-objective, two-objective (with a target), pruned and conditional studies, every plot."""
    single, pruned, two = conditional_study(12), conditional_study(15, seed=3), two_objective_study(12)
    for study, plot in itertools.product([single, pruned, two], PER_TRIAL):
        target = (lambda t: t.values[0]) if study is two else None
        render(plot(study, target=target), tmp_path)
    for study in (single, pruned, two):
        render(plot_intermediate_values(study), tmp_path)
        render(plot_timeline(study), tmp_path)
