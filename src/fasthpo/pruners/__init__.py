"""Pruners: stop hopeless trials early from their learning curves."""

from fasthpo.pruners.base import BasePruner, NopPruner
from fasthpo.pruners.hyperband import HyperbandPruner
from fasthpo.pruners.learning_curve import LearningCurvePruner
from fasthpo.pruners.patient import PatientPruner
from fasthpo.pruners.percentile import MedianPruner, PercentilePruner
from fasthpo.pruners.successive_halving import SuccessiveHalvingPruner
from fasthpo.pruners.threshold import ThresholdPruner
from fasthpo.pruners.wilcoxon import WilcoxonPruner

__all__ = ["BasePruner", "HyperbandPruner", "LearningCurvePruner", "MedianPruner", "NopPruner", "PatientPruner", "PercentilePruner",
           "SuccessiveHalvingPruner", "ThresholdPruner", "WilcoxonPruner"]
