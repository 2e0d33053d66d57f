"""Samplers: propose the next trial's parameters from the history."""

from fasthpo.samplers.base import BaseSampler
from fasthpo.samplers.cmaes import CmaEsSampler
from fasthpo.samplers.gp import GPSampler
from fasthpo.samplers.grid import GridSampler
from fasthpo.samplers.qmc import QMCSampler
from fasthpo.samplers.random import RandomSampler
from fasthpo.samplers.tpe import TPESampler

__all__ = ["BaseSampler", "CmaEsSampler", "GPSampler", "GridSampler", "QMCSampler", "RandomSampler", "TPESampler"]
