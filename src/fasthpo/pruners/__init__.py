"""Pruners: decide from intermediate values whether a trial should stop early."""

from fasthpo.pruners.base import BasePruner, NopPruner

__all__ = ["BasePruner", "NopPruner"]
