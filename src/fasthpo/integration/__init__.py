"""Bridges to other libraries, each in its own module with its own extra.

* :mod:`fasthpo.integration.optuna` (``pip install "fasthpo[optuna]"``): fasthpo's
  samplers as drop-in Optuna samplers, and studies converted both ways.

Importing this package imports none of them; import the module you need.
"""
