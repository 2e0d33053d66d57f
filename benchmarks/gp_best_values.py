"""Best values of fasthpo GP studies per seed, as JSON, to compare two checkouts paired.

    cd benchmarks && PYTHONPATH=../src python gp_best_values.py griewank-10d 100 20 > new.json

Run it in each checkout (same problem, seeds and budget of 60 trials as
``compare_gp.py quality``) and test the pairs (one-sided Wilcoxon).
"""

import json
import sys
import warnings

from compare_gp import SUITE, best_after

if __name__ == "__main__":
    warnings.simplefilter("ignore")
    problem, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    index = [p.name for p in SUITE].index(problem)
    print(json.dumps([best_after("fasthpo", index, seed, 60) for seed in range(first, first + count)]))
