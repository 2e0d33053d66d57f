"""Test-wide settings: no per-example deadline for hypothesis (the shared CI machine's
load makes timings meaningless; speed is measured in benchmarks/, not in tests)."""

from hypothesis import settings

settings.register_profile("fasthpo", deadline=None)
settings.load_profile("fasthpo")
