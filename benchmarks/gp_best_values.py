"""Best values of GP studies per seed, as JSON, to compare two checkouts (or two
libraries) paired.

    cd benchmarks && PYTHONPATH=../src python gp_best_values.py griewank-10d 100 20 > new.json
    cd benchmarks && python gp_best_values.py ackley-10d 0 10 --lib optuna --budget 100 > optuna.json

Same problems, seeds and default budget of 60 trials as ``compare_gp.py quality`` (plus
ackley-10d); run it in each checkout or for each library and test the pairs (one-sided
Wilcoxon, ``harness.one_sided_p``).
"""

import argparse
import json
import warnings

from compare_gp import SUITE, create, sampler_for
from problems import ackley

PROBLEMS = {p.name: p for p in SUITE + [ackley(10)]}


def best_value(lib: str, name: str, seed: int, budget: int) -> float:
    study = create(lib, sampler_for(lib, seed))
    objective = PROBLEMS[name].objective
    for _ in range(budget):
        trial = study.ask()
        study.tell(trial, objective(trial))
    return float(study.best_value)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("problem", choices=list(PROBLEMS))
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--lib", default="fasthpo", choices=["fasthpo", "optuna"])
    parser.add_argument("--budget", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps([best_value(args.lib, args.problem, seed, args.budget)
                      for seed in range(args.first, args.first + args.count)]))
