"""Benchmarks: compare samplers on problems with known optima, many seeds, one report.

``fasthpo bench`` (see :mod:`fasthpo.cli`) is the command line; from Python:

* :func:`get_problem` — classic functions shifted and rotated per seed, mixed and
  conditional spaces, ZDT/DTLZ scored by hypervolume, model tuning on scikit-learn's
  data sets (:mod:`~fasthpo.benchmarks.model_tuning`);
* :func:`get_contestant` — fasthpo's, Optuna's, rustuna's or your own sampler;
* :class:`Suite` and :func:`run_suite` — samplers × problems × seeds × budgets in
  worker processes, resumable from a JSON-lines results file (:func:`recorded_runs`:
  the runs of an unfinished suite);
* :func:`write_report` — regret curves, final regrets, average ranks with the Friedman
  test and Nemenyi's critical difference, time per ask (markdown and PNG).

Examples
--------
>>> import os, tempfile
>>> from fasthpo.benchmarks import Suite, run_suite
>>> suite = Suite(problems=("mixed",), samplers=("fasthpo-tpe",), seeds=(0,), budgets=(30,))
>>> [record] = run_suite(suite, os.path.join(tempfile.mkdtemp(), "r.jsonl"), progress=False)
>>> record["regret"][-1] <= record["regret"][0]
True
"""

from fasthpo.benchmarks.contestants import Contestant, RunResult, contestant_names, get_contestant
from fasthpo.benchmarks.problems import Instance, Problem, as_batch, get_problem, problem_names
from fasthpo.benchmarks.report import write_report
from fasthpo.benchmarks.runner import SUITES, Suite, load_results, recorded_runs, run_suite, score

__all__ = [
    "SUITES",
    "Contestant",
    "Instance",
    "Problem",
    "RunResult",
    "Suite",
    "as_batch",
    "contestant_names",
    "get_contestant",
    "get_problem",
    "load_results",
    "problem_names",
    "recorded_runs",
    "run_suite",
    "score",
    "write_report",
]
