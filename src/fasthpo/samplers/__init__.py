"""Samplers: propose the next trial's parameters from the history.

GPSampler, CmaEsSampler and QMCSampler need scipy's linear algebra, optimizers and
``scipy.stats.qmc`` (together most of a second to import), so their modules load on
first use: ``import fasthpo`` stays cheap for the journal workers and the CLI.
"""

import importlib

from fasthpo.samplers.base import BaseSampler
from fasthpo.samplers.brute_force import BruteForceSampler
from fasthpo.samplers.grid import GridSampler
from fasthpo.samplers.partial_fixed import PartialFixedSampler
from fasthpo.samplers.random import RandomSampler
from fasthpo.samplers.tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]

_LAZY = {"AutoSampler": "auto", "CmaEsSampler": "cmaes", "GPSampler": "gp", "NSGAIISampler": "nsgaii",
         "NSGAIIISampler": "nsgaiii", "QMCSampler": "qmc"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"fasthpo.samplers.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
