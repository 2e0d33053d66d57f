"""`import fasthpo` stays light: heavy modules load where they are used (issue 22, defect 7).

Behaviour, not a timer: the import cost is measured in benchmarks/RESULTS.md.
"""

import os
import subprocess
import sys

import fasthpo

HEAVY = ("scipy", "pandas", "matplotlib", "optuna")


def loaded_after(code: str) -> list[str]:
    script = code + "\nimport sys\nprint(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in %r)))" % (HEAVY,)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(fasthpo.__file__)))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_import_fasthpo_loads_no_heavy_module():
    assert loaded_after("import fasthpo") == []


def test_a_tpe_study_on_a_journal_with_pruners_loads_no_heavy_module(tmp_path):
    code = f"""
import fasthpo
path = {str(tmp_path / "journal.log")!r}
for pruner in (fasthpo.pruners.MedianPruner(), fasthpo.pruners.WilcoxonPruner(), fasthpo.pruners.HyperbandPruner()):
    study = fasthpo.create_study(storage=path, sampler=fasthpo.samplers.TPESampler(seed=0), pruner=pruner)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_categorical("c", [0, 1]), n_trials=15)
fasthpo.load_study(study_name=study.study_name, storage=path).trials
"""
    assert loaded_after(code) == []


def test_the_samplers_that_need_scipy_load_it_on_first_use():
    assert "scipy.stats" in loaded_after("import fasthpo.samplers as s; s.QMCSampler")
    assert "scipy.optimize" in loaded_after("from fasthpo.samplers import GPSampler")
    assert "scipy.linalg" in loaded_after("from fasthpo.samplers import CmaEsSampler")
    for name in fasthpo.samplers.__all__:
        assert name in dir(fasthpo.samplers) and getattr(fasthpo.samplers, name).__name__ == name
