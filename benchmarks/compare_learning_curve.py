"""LearningCurvePruner against MedianPruner and SuccessiveHalvingPruner on real models at
the same wall-clock budget, and its decision time with a large history.

Models (scikit-learn): ``sgd`` is examples/sgd_pruning.py's SGDClassifier with
``partial_fit``, ``mlp`` an MLPClassifier with ``partial_fit`` (digits data, validation
accuracy reported after every epoch, maximized); ``gbm`` a HistGradientBoostingClassifier
grown by ``warm_start`` 10 boosting rounds per step (breast-cancer data, validation log
loss after every step, minimized). Each (model, pruner, seed) study runs TPE
for ``--seconds`` of wall clock, or with ``--cpu-seconds`` until the process has used
that much CPU time (the same budget on a machine shared with other jobs); the table gives
the best validation score (median over seeds, and the paired one-sided Wilcoxon p of
"learning curve worse" against each other pruner) and the epochs (steps) spent per trial
(with the paired p of "learning curve spends more").

    python benchmarks/compare_learning_curve.py --seeds 5 --seconds 20
    python benchmarks/compare_learning_curve.py --seeds 5 --first-seed 10 --cpu-seconds 10 --epochs 20
    python benchmarks/compare_learning_curve.py --decision-time --trials 10000 --steps 100 [--pruner Median]

A replay takes the noise of TPE and of the CPU clock out: ``--record FILE`` runs a TPE
study without pruning (``--trials`` trials of ``--epochs`` epochs, seed ``--first-seed``)
and writes every full curve; ``--replay FILE`` feeds each pruner curves drawn at random
(with replacement) from it until ``--budget`` epochs are spent, ``--repeats`` times, and
gives the epochs per trial and the best final value found::

    python benchmarks/compare_learning_curve.py --models mlp --record mlp-0.json --trials 80 --epochs 20
    python benchmarks/compare_learning_curve.py --models mlp --replay mlp-0.json --budget 300 --repeats 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from harness import markdown_table, one_sided_p

sys.path.insert(0, str(Path(__file__).parents[1] / "examples"))


def pruners():
    import fasthpo

    return {"LearningCurve": lambda: fasthpo.pruners.LearningCurvePruner(),  # its defaults
            "Median": lambda: fasthpo.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
            "SuccessiveHalving": lambda: fasthpo.pruners.SuccessiveHalvingPruner()}


def mlp_objective(epochs: int):
    import fasthpo
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_valid = scaler.transform(X_train), scaler.transform(X_valid)
    classes = np.unique(y)

    def objective(trial) -> float:
        model = MLPClassifier(hidden_layer_sizes=(trial.suggest_int("width", 4, 128, log=True),),
                              alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
                              learning_rate_init=trial.suggest_float("lr", 1e-5, 1e-1, log=True),
                              batch_size=trial.suggest_categorical("batch_size", [32, 128, 512]),
                              random_state=trial.number)
        accuracy = 0.0
        for epoch in range(epochs):
            model.partial_fit(X_train, y_train, classes=classes)
            accuracy = model.score(X_valid, y_valid)
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise fasthpo.TrialPruned()
        return accuracy

    return objective


def gbm_objective(epochs: int, rounds_per_epoch: int = 10):
    import fasthpo
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)

    def objective(trial) -> float:
        model = HistGradientBoostingClassifier(
            learning_rate=trial.suggest_float("learning_rate", 1e-3, 1.0, log=True),
            max_leaf_nodes=trial.suggest_int("max_leaf_nodes", 2, 64, log=True),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 2, 100, log=True),
            l2_regularization=trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
            early_stopping=False, warm_start=True, random_state=trial.number)
        loss = 0.0
        for epoch in range(epochs):
            model.set_params(max_iter=rounds_per_epoch * (epoch + 1))
            model.fit(X_train, y_train)  # warm start: adds the new rounds only
            loss = log_loss(y_valid, model.predict_proba(X_valid))
            trial.report(loss, epoch)
            if trial.should_prune():
                raise fasthpo.TrialPruned()
        return loss

    return objective


MODELS = {"sgd": "maximize", "mlp": "maximize", "gbm": "minimize"}


def objective_of(model: str, epochs: int):
    from sgd_pruning import make_objective

    return {"sgd": make_objective, "mlp": mlp_objective, "gbm": gbm_objective}[model](epochs)


def run(model: str, pruner: str, seed: int, seconds: float, epochs: int, cpu: bool) -> dict:
    import warnings

    import fasthpo

    study = fasthpo.create_study(direction=MODELS[model], sampler=fasthpo.samplers.TPESampler(seed=seed),
                                 pruner=pruners()[pruner]())
    start = time.process_time()

    def cpu_budget(study, trial) -> None:
        if time.process_time() - start > seconds:
            study.stop()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's convergence warnings
        if cpu:
            study.optimize(objective_of(model, epochs), callbacks=[cpu_budget])
        else:
            study.optimize(objective_of(model, epochs), timeout=seconds)
    trials = study.trials
    epochs_spent = sum(len(t.intermediate_values) for t in trials)
    return {"best": study.best_value, "trials": len(trials), "epochs per trial": epochs_spent / len(trials),
            "complete": sum(t.state == fasthpo.TrialState.COMPLETE for t in trials)}


def quality(args) -> None:
    names = list(pruners())
    for model in args.models:
        results = {name: [] for name in names}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for name in names:
                results[name].append(run(model, name, seed, args.cpu_seconds or args.seconds, args.epochs,
                                         args.cpu_seconds is not None))
                print(model, name, seed, results[name][-1], file=sys.stderr, flush=True)
        sign = 1.0 if MODELS[model] == "maximize" else -1.0  # p of "worse" on the score's own scale
        ours = [sign * r["best"] for r in results["LearningCurve"]]
        our_epochs = [r["epochs per trial"] for r in results["LearningCurve"]]
        rows = []
        for name in names:
            best = [r["best"] for r in results[name]]
            epochs = [r["epochs per trial"] for r in results[name]]
            mine = name == "LearningCurve"
            rows.append([name, f"{statistics.median(best):.4f}", f"{np.mean(best):.4f}",
                         "—" if mine else f"{one_sided_p([sign * b for b in best], ours):.3f}",
                         f"{statistics.median(r['trials'] for r in results[name]):.0f}",
                         f"{statistics.median(r['complete'] for r in results[name]):.0f}",
                         f"{statistics.median(epochs):.2f}", f"{np.mean(epochs):.2f}",
                         "—" if mine else f"{one_sided_p(our_epochs, epochs):.3f}"])
        budget = f"{args.cpu_seconds:g} CPU s" if args.cpu_seconds else f"{args.seconds:g} s"
        seeds = f"seeds {args.first_seed}-{args.first_seed + args.seeds - 1}"
        print(f"\n{model}: {seeds}, {budget} each, up to {args.epochs} epochs\n")
        metric = "accuracy" if MODELS[model] == "maximize" else "log loss"
        print(markdown_table(["pruner", f"best {metric} (median)", "(mean)", "p(LearningCurve worse)", "trials",
                              "complete", "epochs per trial (median)", "(mean)", "p(LearningCurve more epochs)"],
                             rows))


def record(args) -> None:
    import warnings

    import fasthpo

    (model,) = args.models
    curves = []
    study = fasthpo.create_study(direction=MODELS[model], sampler=fasthpo.samplers.TPESampler(seed=args.first_seed),
                                 pruner=fasthpo.pruners.NopPruner())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's convergence warnings
        study.optimize(objective_of(model, args.epochs), n_trials=args.trials,
                       callbacks=[lambda study, trial: curves.append(list(trial.intermediate_values.values()))])
    Path(args.record).write_text(json.dumps({"model": model, "curves": curves}))


def replay(args) -> None:
    import fasthpo

    recorded = json.loads(Path(args.replay).read_text())
    curves, direction = recorded["curves"], MODELS[recorded["model"]]
    rows = []
    for name, make in pruners().items():
        epochs_per_trial, best = [], []
        for repeat in range(args.repeats):
            rng = np.random.default_rng(repeat)  # the same draws for every pruner
            study = fasthpo.create_study(direction=direction, pruner=make())
            spent = n_trials = 0
            while spent < args.budget:
                curve = curves[rng.integers(len(curves))]
                trial, n_trials = study.ask(), n_trials + 1
                for step, value in enumerate(curve):
                    trial.report(value, step)
                    spent += 1
                    if step < len(curve) - 1 and trial.should_prune():
                        study.tell(trial, state=fasthpo.TrialState.PRUNED)
                        break
                else:
                    study.tell(trial, curve[-1])
            epochs_per_trial.append(spent / n_trials)
            best.append(study.best_value)
        rows.append([name, f"{np.mean(epochs_per_trial):.2f}", f"{np.mean(best):.4f}", f"{statistics.median(best):.4f}"])
    print(f"\n{args.replay}: {len(curves)} curves, {args.budget} epochs, {args.repeats} repeats\n")
    print(markdown_table(["pruner", "epochs per trial", "best (mean)", "(median)"], rows))


def decision_time(args) -> None:
    import fasthpo

    rng = np.random.default_rng(0)
    study = fasthpo.create_study(sampler=fasthpo.samplers.RandomSampler(seed=0),
                                 pruner=pruners()[args.pruner]())
    curves = 0.1 + rng.random((args.trials, 1)) * (np.arange(1, args.steps + 1) ** -0.5)
    study.add_trials(fasthpo.create_trial(value=float(curve[-1]), intermediate_values=dict(enumerate(curve.tolist())))
                     for curve in curves)
    samples, cpu = [], []
    for _ in range(args.decisions):
        trial = study.ask()
        for step in range(args.at + 1):
            trial.report(float(0.1 + rng.random() * (step + 1) ** -0.5), step)
        start, start_cpu = time.perf_counter(), time.process_time()
        trial.should_prune()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        study.tell(trial, 1.0)
    print(f"{args.pruner}: {args.trials:,} COMPLETE trials × {args.steps} steps; decision at step {args.at}: "
          f"median {statistics.median(samples) * 1e6:.1f} µs wall clock, {statistics.median(cpu) * 1e6:.1f} µs CPU, "
          f"over {args.decisions}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", choices=list(MODELS), default=["sgd", "mlp", "gbm"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cpu-seconds", type=float, default=None)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--decision-time", action="store_true")
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--at", type=int, default=64)
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--pruner", choices=list(pruners()), default="LearningCurve",
                        help="the pruner whose decision time --decision-time measures")
    parser.add_argument("--record", help="write the full curves of a TPE study without pruning to this file")
    parser.add_argument("--replay", help="replay the curves of this file to each pruner")
    parser.add_argument("--budget", type=int, default=300, help="epochs per replay")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    if args.record:
        record(args)
    elif args.replay:
        replay(args)
    else:
        decision_time(args) if args.decision_time else quality(args)


if __name__ == "__main__":
    main()
