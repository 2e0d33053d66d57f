"""Build the Cython kernels in ``csrc/`` into ``fasthpo._kernels.<name>``.

Compiler directives are set once here. A release build optimizes and carries no debug
information (``-g0``, and the linker strips the symbol table on Linux), which keeps the
wheel small. ``FASTHPO_DEBUG_KERNELS=1`` builds without optimization, with debug
information, and turns bounds, wraparound and initialization checks back on, for a
debug test run::

    FASTHPO_DEBUG_KERNELS=1 pip install . && pytest
"""

import os
import sys
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTHPO_DEBUG_KERNELS", "") not in ("", "0")

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
        extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3", "-g0"],
        extra_link_args=[] if DEBUG or not sys.platform.startswith("linux") else ["-s"],
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
