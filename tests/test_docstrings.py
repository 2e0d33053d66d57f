"""Every Examples section in the installed package runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import fasthpo

OPTIONAL = {"optuna", "pandas", "matplotlib", "redis", "sklearn", "lightgbm", "xgboost"}


def public_modules():
    for info in pkgutil.walk_packages(fasthpo.__path__, prefix="fasthpo."):
        yield info.name


@pytest.mark.parametrize("name", ["fasthpo", *public_modules()])
def test_docstring_examples_run(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # a module of an optional extra that is not installed
        if exc.name and exc.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs the optional {exc.name}")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
