"""Bridges to other libraries, each in its own module with its own extra.

* :mod:`fasthpo.integration.optuna` (extra ``optuna``): fasthpo's samplers as drop-in
  Optuna samplers, and studies converted both ways.
* :mod:`fasthpo.integration.sklearn` (extra ``sklearn``): ``FasthpoSearchCV``, a
  scikit-learn search estimator.
* :mod:`fasthpo.integration.lightgbm` and :mod:`fasthpo.integration.xgboost` (extras
  ``lightgbm``, ``xgboost``): pruning callbacks for their training loops.

Install an extra from a fasthpo checkout with ``pip install ".[sklearn]"``.

Importing this package imports none of them; import the module you need.
"""
