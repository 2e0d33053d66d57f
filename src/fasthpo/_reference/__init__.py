"""Pure-NumPy twins of the compiled kernels: same names and signatures, written to be read."""
