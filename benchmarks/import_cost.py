"""What `import fasthpo` costs against `import optuna`: time and peak memory.

    PYTHONPATH=src python benchmarks/import_cost.py [--runs 7]

Each import runs in a fresh interpreter. Time is the cumulative microseconds
``python -X importtime`` reports for the top-level module (median of the runs);
memory is the process's peak resident set size after the import (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

MODULES = ["numpy", "fasthpo", "optuna"]
MEMORY = "import {0}, resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def import_seconds(module: str) -> float:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, check=True)
    line = next(line for line in reversed(out.stderr.splitlines()) if line.rstrip().endswith(f"| {module}"))
    return int(line.split("|")[1]) / 1e6


def peak_megabytes(module: str) -> float:
    out = subprocess.run([sys.executable, "-c", MEMORY.format(module)], capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"{'module':8s} {'import s (median)':>18s} {'peak RSS MB':>12s}")
    for module in MODULES:
        seconds = statistics.median(import_seconds(module) for _ in range(runs))
        megabytes = statistics.median(peak_megabytes(module) for _ in range(runs))
        print(f"{module:8s} {seconds:18.3f} {megabytes:12.1f}")


if __name__ == "__main__":
    main()
