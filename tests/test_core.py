"""The sampler core on arrays (fasthpo.core): search spaces, histories, proposals."""

import numpy as np
import pytest

import fasthpo
from fasthpo.core import History, Proposal, SearchSpace, StudyDirection, pareto_front_mask
from fasthpo.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from fasthpo.store import TrialStore
from fasthpo.trial_state import TrialState

SPACE = {
    "x": FloatDistribution(-5, 5),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 9, step=2),
    "kind": CategoricalDistribution(["a", "b", None]),
}


def test_search_space_encodes_and_decodes_whole_arrays():
    space = SearchSpace(SPACE)
    values = {"x": [0.5, -5.0, 5.0], "lr": [1e-3, 1e-5, 0.1], "n": [1, 5, 9], "kind": ["b", None, "a"]}
    X = space.encode(values)
    assert X.shape == (3, 4)
    np.testing.assert_allclose(X[:, 1], np.log(values["lr"]))
    assert X[:, 3].tolist() == [1.0, 2.0, 0.0]
    decoded = space.decode(X)
    np.testing.assert_allclose(decoded["x"], values["x"])
    np.testing.assert_allclose(decoded["lr"], values["lr"])
    assert decoded["n"].tolist() == [1, 5, 9] and decoded["n"].dtype.kind == "i"
    assert decoded["kind"].tolist() == ["b", None, "a"]
    assert space.names == ("x", "lr", "n", "kind") and space.index("n") == 2 and "kind" in space
    assert space.is_categorical.tolist() == [False, False, False, True]
    np.testing.assert_allclose(space.low[2:], [0.0, -0.5])  # integer cells of width 2, choice cells of width 1


def test_search_space_round_moves_rows_onto_admissible_values():
    space = SearchSpace(SPACE)
    rounded = space.round(np.array([[9.0, 0.0, 4.2, 2.7]]))
    assert rounded.tolist() == [[5.0, np.log(1e-1), 5.0, 2.0]]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: SearchSpace([("x", FloatDistribution(0, 1))]), TypeError, "mapping"),
        (lambda: SearchSpace({1: FloatDistribution(0, 1)}), TypeError, "names must be str"),
        (lambda: SearchSpace({"x": (0, 1)}), TypeError, "'x'"),
        (lambda: SearchSpace(SPACE).encode({"x": [0.0]}), ValueError, "exactly the parameters"),
        (lambda: SearchSpace({"x": FloatDistribution(0, 1)}).encode({"x": [2.0]}), ValueError, "'x', row 0"),
        (lambda: SearchSpace({"k": CategoricalDistribution(["a"])}).encode({"k": ["z"]}), ValueError, "'k'"),
        (lambda: SearchSpace({"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}).encode(
            {"x": [0.1], "y": [0.1, 0.2]}), ValueError, "same number"),
        (lambda: SearchSpace(SPACE).decode(np.zeros((2, 3))), ValueError, "shape (n, 4)"),
        (lambda: SearchSpace(SPACE).decode(np.full((1, 4), np.nan)), ValueError, "NaN"),
    ],
)
def test_search_space_rejects_bad_input(call, error, words):
    with pytest.raises(error, match=None) as info:
        call()
    assert words in str(info.value)


def test_proposal_checks_its_rows():
    with pytest.raises(ValueError, match="2 rows but 1"):
        Proposal(np.zeros((2, 1)), [{}])
    with pytest.raises(ValueError, match="2-D"):
        Proposal(np.zeros(2))


def test_history_is_a_view_with_values_to_minimize():
    store = TrialStore(n_objectives=2)
    for x, y in ((0.1, [1.0, 2.0]), (0.2, [3.0, 4.0])):
        number = store.create_trial()
        store.set_param(number, "x", FloatDistribution(0, 1), x)
        store.finish(number, TrialState.COMPLETE, y)
    running = store.create_trial()
    store.report(running, 0, 7.0)
    history = History(store, [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE], "s")
    assert history.Y[:2].tolist() == [[1.0, -2.0], [3.0, -4.0]]
    assert np.isnan(history.Y[2]).all()
    assert history.X[:, history.columns["x"]][:2].tolist() == [0.1, 0.2]
    assert history.rows_in(TrialState.RUNNING).tolist() == [2]
    assert history.rows_in(TrialState.COMPLETE, TrialState.RUNNING).tolist() == [0, 1, 2]
    assert history.intermediate_values(2) == {0: 7.0}
    assert history.step_values(0)[0].tolist() == [2]
    assert history.frozen_trial(0).values == [1.0, 2.0] and history.frozen_trial(0).params == {"x": 0.1}
    assert history.key == History(store, history.directions).key
    history.note(2, "rung", 1.0)
    assert history.system_attrs(2) == {"rung": 1.0}
    with pytest.raises(ValueError, match="not RUNNING"):
        history.note(0, "rung", 1.0)


def test_names_print_as_in_optuna():
    assert str(TrialState.COMPLETE) == "TrialState.COMPLETE"
    assert f"{TrialState.PRUNED}" == "TrialState.PRUNED"
    assert str(StudyDirection.MAXIMIZE) == "StudyDirection.MAXIMIZE"
    study = fasthpo.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert str(study.trials[0].state) == "TrialState.COMPLETE"


def test_shared_names_live_below_the_study():
    assert fasthpo.StudyDirection is StudyDirection is fasthpo.study.StudyDirection
    assert fasthpo.study.pareto_front_mask is pareto_front_mask
