"""Median wall time of `import fasthpo` in fresh processes, for unpacked wheels side by side.

    pip wheel . -w /tmp/w --no-deps && mkdir /tmp/a && (cd /tmp/a && unzip -q /tmp/w/*.whl)
    python benchmarks/import_time.py before=/tmp/b after=/tmp/a

Runs alternate between the directories, so that a change of machine load hits all alike.
"""

import statistics
import subprocess
import sys
import time

KERNELS = ", ".join(f"fasthpo._kernels.{k}" for k in ("parzen", "gp", "cmaes", "hypervolume", "special"))
CODES = {"numpy": "import numpy", "fasthpo": "import fasthpo", "fasthpo + kernels": f"import fasthpo, {KERNELS}"}


def main(dirs: dict[str, str], repeats: int = 21) -> None:
    times: dict[tuple[str, str], list[float]] = {(label, c): [] for label in dirs for c in CODES}
    for _ in range(repeats):
        for c, code in CODES.items():
            for label, path in dirs.items():
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": path}, check=True)
                times[label, c].append(time.perf_counter() - start)
    for label in dirs:
        print(label, ", ".join(f"{c} {statistics.median(times[label, c]) * 1e3:.0f} ms" for c in CODES))


if __name__ == "__main__":
    main(dict(arg.split("=", 1) for arg in sys.argv[1:]))
