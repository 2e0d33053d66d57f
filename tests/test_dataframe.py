"""trials_dataframe gives Optuna's table: the same columns in the same order, the same cells."""

import math

import pytest

import fasthpo
from fasthpo.samplers import RandomSampler

pd = pytest.importorskip("pandas")
optuna = pytest.importorskip("optuna")

ATTRS = [
    ("number", "value", "datetime_start", "datetime_complete", "duration", "params", "user_attrs", "system_attrs",
     "state"),
    ("number", "params", "state"),
    ("value", "intermediate_values", "_trial_id", "system_attrs"),
    ("state", "params", "number"),
]


def rich_study(directions):
    """Conditional params suggested out of name order, user and system attrs, a constraint,
    learning curves (one objective), pruned, failed and running trials."""
    study = fasthpo.create_study(directions=directions, sampler=RandomSampler(seed=0))

    def objective(trial):
        z = trial.suggest_float("z", 0, 1)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "b":
            trial.suggest_int("b_depth", 1, 4)
        trial.set_user_attr("tag", f"t{trial.number}")
        trial.set_constraint("c0", z - 0.5)
        if len(directions) == 1:  # learning curves are for one objective
            trial.report(z, 0)
            trial.report(z / 2, 1)
        if trial.number == 3:
            raise fasthpo.TrialPruned()
        if trial.number == 5:
            raise ValueError("failing on purpose")
        return z if len(directions) == 1 else (z, 1 - z)

    with pytest.warns(UserWarning, match="failing on purpose"):
        study.optimize(objective, n_trials=8, catch=(ValueError,))
    study.ask()  # a running trial
    return study


def same_cell(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is pd.NaT or b is pd.NaT:
        return a is b
    return a == b


@pytest.mark.parametrize("directions", [["minimize"], ["minimize", "maximize"]])
@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("multi_index", [False, True])
def test_the_table_equals_optunas(directions, attrs, multi_index):
    from fasthpo.integration.optuna import to_optuna

    study = rich_study(directions)
    ours = study.trials_dataframe(attrs=attrs, multi_index=multi_index)
    theirs = to_optuna(study).trials_dataframe(attrs=attrs, multi_index=multi_index)
    assert ours.columns.tolist() == theirs.columns.tolist()
    assert len(ours) == len(theirs) == 9
    for column in ours.columns:
        if "datetime" in str(column) or "duration" in str(column):
            assert str(ours[column].dtype) == str(theirs[column].dtype)
            assert ours[column].isna().tolist() == theirs[column].isna().tolist()
        else:
            assert all(same_cell(a, b) for a, b in zip(ours[column].tolist(), theirs[column].tolist())), column


def test_parameter_columns_are_sorted_and_system_attrs_included():
    study = rich_study(["minimize"])
    frame = study.trials_dataframe()
    assert [c for c in frame.columns if c.startswith("params_")] == ["params_b_depth", "params_kind", "params_z"]
    assert frame["system_attrs_constraints:c0"].iloc[0] == pytest.approx(study.trials[0].params["z"] - 0.5)


def test_an_empty_study_gives_an_empty_frame_and_bad_attrs_are_named():
    assert fasthpo.create_study().trials_dataframe().empty
    study = rich_study(["minimize"])
    with pytest.raises(ValueError, match=r"Unknown attrs \['bogus'\]"):
        study.trials_dataframe(attrs=("number", "bogus"))
    with pytest.raises(TypeError, match="attrs must be a sequence"):
        study.trials_dataframe(attrs="number")
