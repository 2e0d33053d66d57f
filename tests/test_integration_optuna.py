"""fasthpo samplers inside Optuna (fasthpo.integration.optuna), and study conversion."""

import optuna
import pytest
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    MultiObjectiveSamplerTestCase,
    RelativeSamplerTestCase,
)

import fasthpo.integration.optuna as fo

optuna.logging.set_verbosity(optuna.logging.WARNING)

# ------------------------------------------------------- Optuna's conformance suites
# Every sampler runs BasicSamplerTestCase; those that sample jointly also run
# RelativeSamplerTestCase; those that support several objectives, MultiObjectiveSamplerTestCase.
# GridSampler is left out: its search space must list every parameter the suites suggest.
BASIC = {
    "random": lambda: fo.RandomSampler(seed=0),
    "qmc": lambda: fo.QMCSampler(seed=0, warn_independent_sampling=False),
    "tpe": lambda: fo.TPESampler(seed=0, n_startup_trials=2),
}
RELATIVE = {
    "qmc": BASIC["qmc"],
    "tpe": lambda: fo.TPESampler(seed=0, n_startup_trials=0),  # joint sampling from the first trial on
}
MULTI_OBJECTIVE = {
    "random": BASIC["random"],
    "qmc": BASIC["qmc"],
    "tpe": BASIC["tpe"],
}


class TestBasicConformance(BasicSamplerTestCase):
    @pytest.fixture(params=sorted(BASIC))
    def sampler(self, request):
        return BASIC[request.param]


class TestRelativeConformance(RelativeSamplerTestCase):
    @pytest.fixture(params=sorted(RELATIVE))
    def sampler(self, request):
        return RELATIVE[request.param]


class TestMultiObjectiveConformance(MultiObjectiveSamplerTestCase):
    @pytest.fixture(params=sorted(MULTI_OBJECTIVE))
    def sampler(self, request):
        return MULTI_OBJECTIVE[request.param]
