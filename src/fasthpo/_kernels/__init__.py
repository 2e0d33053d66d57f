"""Compiled kernels, built from ``csrc/*.pyx`` (see DESIGN.md). Pure numerics, no policy."""
