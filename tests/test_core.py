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


# ------------------------------------------------------------ samplers on arrays
import ast  # noqa: E402
import pathlib  # noqa: E402

from fasthpo.core import ArrayHistory  # noqa: E402
from fasthpo.samplers import (  # noqa: E402
    CmaEsSampler,
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)

BOX = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}


def sphere(X):
    return (X ** 2).sum(axis=1)


def run_on_arrays(sampler, n_batches, batch, space=BOX):
    history = ArrayHistory(space, sampler)
    for _ in range(n_batches):
        numbers, X = history.ask(n=batch)
        assert numbers.shape == (batch,) and X.shape == (batch, len(history.space))
        history.tell(numbers, sphere(X))
    return history


@pytest.mark.parametrize("make", [
    lambda: RandomSampler(seed=0),
    lambda: QMCSampler(seed=0),
    lambda: TPESampler(seed=0, n_startup_trials=8),
    lambda: GPSampler(seed=0, n_startup_trials=8),
    lambda: CmaEsSampler(seed=0, popsize=8),
])
def test_every_sampler_proposes_on_arrays_without_a_study(make):
    history = run_on_arrays(make(), n_batches=6, batch=8)
    X = history.X
    assert X.shape == (48, 2) and np.all((X >= -5) & (X <= 5))
    assert (history.states == TrialState.COMPLETE).all()
    again = run_on_arrays(make(), n_batches=6, batch=8)
    np.testing.assert_array_equal(again.X, X)  # the same seed, the same rows


@pytest.mark.parametrize("make", [lambda seed: TPESampler(seed=seed, n_startup_trials=10),
                                  lambda seed: GPSampler(seed=seed, n_startup_trials=10)])
def test_model_based_samplers_improve_on_random_and_spread_their_batches(make):
    def median_best(make_sampler):  # after the 10 (then 16) random startup trials, over 5 seeds
        runs = [run_on_arrays(make_sampler(seed), n_batches=5, batch=8) for seed in range(1, 6)]
        return np.median([run.Y[16:].min() for run in runs]), runs[0]

    best, model = median_best(make)
    assert best < median_best(lambda seed: RandomSampler(seed=seed))[0]
    numbers, X = model.ask(n=8)
    gaps = np.linalg.norm(X[:, None] - X[None], axis=-1)[np.triu_indices(8, 1)]
    assert gaps.min() > 1e-3, "batch rows collapsed onto each other"


def test_a_cma_es_generation_is_a_batch():
    sampler = CmaEsSampler(seed=0, popsize=6)
    history = run_on_arrays(sampler, n_batches=1, batch=1)  # the startup trial
    for generation in range(4):
        numbers, X = history.ask(n=6)
        assert {history.system_attrs(n)["cma:generation"] for n in numbers} == {generation}
        history.tell(numbers, sphere(X))


def test_grid_and_qmc_hand_out_their_next_points():
    grid = GridSampler({"x": [-1.0, 0.0, 1.0], "y": [2.0, 3.0]}, seed=0)
    history = ArrayHistory({"x": FloatDistribution(-1, 1), "y": FloatDistribution(2, 3)}, grid)
    numbers, X = history.ask(n=4)
    assert grid.n_remaining(history) == 2
    history.tell(numbers, sphere(X))
    numbers, X2 = history.ask(n=2)
    assert grid.n_remaining(history) == 0
    points = {tuple(row) for row in np.vstack([X, X2]).tolist()}
    assert points == {(x, y) for x in (-1.0, 0.0, 1.0) for y in (2.0, 3.0)}
    qmc = run_on_arrays(QMCSampler(seed=0, scramble=True), n_batches=1, batch=1)  # fixes the joint space
    sampler = QMCSampler(seed=0, scramble=True)
    sampler.infer_relative_search_space(qmc)
    batch = sampler.propose(qmc, SearchSpace(BOX), [1, 2, 3, 4]).X
    single = QMCSampler(seed=0, scramble=True)
    single.infer_relative_search_space(qmc)
    one_by_one = np.vstack([single.propose(qmc, SearchSpace(BOX), [n]).X for n in (1, 2, 3, 4)])
    np.testing.assert_array_equal(batch, one_by_one)


def test_array_history_rejects_bad_input_and_stays_unchanged():
    history = ArrayHistory(BOX, RandomSampler(seed=0))
    numbers, X = history.ask(n=3)
    for call, error, words in [
        (lambda: history.ask(n=0), ValueError, ">= 1"),
        (lambda: history.ask(n=2.0), TypeError, "int"),
        (lambda: history.tell(numbers, [1.0, 2.0]), ValueError, "shape (3,)"),
        (lambda: history.tell([0, 0, 1], [1.0, 2.0, 3.0]), ValueError, "twice"),
        (lambda: history.tell([7], [1.0]), ValueError, "Trial 7"),
        (lambda: history.tell(numbers, [1.0, 2.0, 3.0], states=[TrialState.RUNNING] * 3), ValueError, "states"),
    ]:
        with pytest.raises(error) as info:
            call()
        assert words in str(info.value)
        assert history.n_trials == 3 and (history.states == TrialState.RUNNING).all()
    history.tell(numbers, [1.0, np.nan, 3.0])  # NaN fails that trial alone
    assert history.states.tolist() == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    with pytest.raises(ValueError, match="Trial 0"):
        history.tell(numbers[:1], [1.0])  # told twice
    with pytest.raises(ValueError, match="at least one"):
        ArrayHistory({}, RandomSampler())


def test_pruners_judge_on_a_history():
    history = ArrayHistory(BOX, RandomSampler(seed=0))
    numbers, X = history.ask(n=6)
    for number in numbers[:5]:
        history._store.report(int(number), 0, float(number))
    history.tell(numbers[:5], np.arange(5.0))
    history._store.report(int(numbers[5]), 0, 9.0)
    assert fasthpo.pruners.MedianPruner().prune(history, int(numbers[5]))
    assert not fasthpo.pruners.NopPruner().prune(history, int(numbers[5]))


LOWER_LAYERS = ("samplers", "pruners", "storages")


def absolute_module(relative_path, node):
    """The absolute module name of ``from ... import`` in the file at ``relative_path``."""
    if node.level == 0:
        return node.module
    package = list(relative_path.parent.parts)[: len(relative_path.parent.parts) - node.level + 1]
    return ".".join(package + ([node.module] if node.module else []))


def test_absolute_module_resolves_relative_imports():
    for source, expected in [("from ..study import Study", "fasthpo.study"),
                             ("from .. import trial", "fasthpo.trial"),
                             ("from .base import BaseSampler", "fasthpo.samplers.base"),
                             ("from fasthpo.core import History", "fasthpo.core")]:
        node = ast.parse(source).body[0]
        names = [absolute_module(pathlib.Path("fasthpo/samplers/tpe.py"), node)]
        names += [f"{names[0]}.{alias.name}" for alias in node.names]
        assert expected in names, (source, names)


def test_lower_layers_import_nothing_of_the_study_or_the_trial():
    root = pathlib.Path(fasthpo.__file__).parent
    for layer in LOWER_LAYERS:
        for path in (root / layer).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    module = absolute_module(path.relative_to(root.parent), node)
                    names = [module] + [f"{module}.{alias.name}" for alias in node.names]
                for name in names:
                    assert name not in ("fasthpo.study", "fasthpo.trial"), f"{path} imports {name}"
            assert "_store" not in path.read_text() or layer == "storages", f"{path} reads a store"
