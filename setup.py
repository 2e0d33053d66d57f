"""Build the Cython kernels in ``csrc/`` into ``fasthpo._kernels.<name>``.

Compiler directives are set once here. A release build optimizes and carries no debug
information (``-g0``, and the linker strips the symbol table on Linux), which keeps the
wheel small. ``FASTHPO_DEBUG_KERNELS=1`` builds without optimization, with debug
information, and turns bounds, wraparound and initialization checks back on, for a
debug test run::

    FASTHPO_DEBUG_KERNELS=1 pip install . && pytest

Kernels with parallel loops use OpenMP when the C compiler accepts ``-fopenmp`` (gcc,
clang with libomp); otherwise, or with ``FASTHPO_OPENMP=0``, they build without it and
run those loops on one thread, with the same results.
"""

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTHPO_DEBUG_KERNELS", "") not in ("", "0")



def openmp_flags() -> list[str]:
    """``["-fopenmp"]`` if the C compiler builds and links an OpenMP program, else ``[]``."""
    if os.environ.get("FASTHPO_OPENMP", "1") in ("", "0"):
        return []
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "omp.c")
        source.write_text("#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n")
        try:
            built = subprocess.run([*compiler, "-fopenmp", str(source), "-o", str(Path(tmp, "omp"))],
                                   capture_output=True, check=False)
        except OSError:
            return []
    return ["-fopenmp"] if built.returncode == 0 else []


OPENMP = openmp_flags()

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,
    "embedsignature": True,
}

extensions = [
    Extension(
        f"fasthpo._kernels.{pyx.stem}",
        [str(pyx)],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=(["-O0", "-g"] if DEBUG else ["-O3", "-g0"]) + OPENMP,
        extra_link_args=([] if DEBUG or not sys.platform.startswith("linux") else ["-s"]) + OPENMP,
    )
    for pyx in sorted(Path("csrc").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=DIRECTIVES,
        include_path=["csrc"],
        build_dir="build/cython",
    )
)
