"""``fasthpo bench``: run a suite (resumable) and write its report.

Examples
--------
>>> import argparse, tempfile
>>> parser = argparse.ArgumentParser()
>>> add_bench_command(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["bench", "--problems", "sphere-2d", "--samplers", "fasthpo-random",
...                           "--seeds", "2", "--budget", "10", "--output", tempfile.mkdtemp()])
>>> suite_from_args(args).seeds
(0, 1)
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from fasthpo.benchmarks.report import write_report
from fasthpo.benchmarks.runner import SUITES, Suite, recorded_runs, run_suite

__all__ = ["add_bench_command", "run_bench", "suite_from_args"]


def add_bench_command(commands) -> None:
    """Add the ``bench`` subcommand to the ``fasthpo`` parser's subparsers."""
    bench = commands.add_parser("bench", help="compare samplers on problems × seeds × budgets and write a report",
                                description="Run a benchmark suite (resumable: rerun the same command to finish "
                                            "an interrupted one) and write report.md with its figures.")
    bench.add_argument("--suite", choices=sorted(SUITES), default="quick",
                       help="the starting suite (default quick; the options below replace its parts)")
    bench.add_argument("--problems", help="comma-separated problems, e.g. sphere-10d,mixed,zdt1-10d")
    bench.add_argument("--samplers", help="comma-separated samplers, e.g. fasthpo-tpe,optuna-tpe,mymodule:MySampler")
    bench.add_argument("--seeds", help="N (seeds 0..N-1), A-B (inclusive) or a comma-separated list")
    bench.add_argument("--budget", help="trials per study; several comma-separated budgets run separately")
    bench.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    bench.add_argument("--output", help="directory of results.jsonl and the report (default bench-<suite>)")
    bench.add_argument("--report-only", action="store_true",
                       help="write the report of the runs already in results.jsonl and run nothing")


def _ints(text: str, option: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{option} takes integers, got {text!r}") from None


def _seeds(text: str) -> tuple[int, ...]:
    if "-" in text.strip("-"):
        first, _, last = text.partition("-")
        low, high = _ints(first, "--seeds")[0], _ints(last, "--seeds")[0]
        return tuple(range(low, high + 1))
    seeds = _ints(text, "--seeds")
    if len(seeds) == 1:
        if seeds[0] <= 0:
            raise ValueError(f"--seeds N needs N >= 1, got {seeds[0]}")
        return tuple(range(seeds[0]))
    return seeds


def suite_from_args(args: argparse.Namespace) -> Suite:
    """The suite named by ``--suite`` with the parts given on the command line replaced.

    ``--seeds`` replaces the seeds of every product of the suite; ``--problems``,
    ``--samplers`` or ``--budget`` compose one product from the suite's first one (its
    further products, e.g. the several-objective part of ``standard``, are dropped).
    """
    suite = SUITES[args.suite]
    if args.problems or args.samplers or args.budget:
        suite = replace(suite, also=())
    if args.problems:
        suite = replace(suite, problems=tuple(args.problems.split(",")))
    if args.samplers:
        suite = replace(suite, samplers=tuple(args.samplers.split(",")))
    if args.budget:
        suite = replace(suite, budgets=_ints(args.budget, "--budget"))
    if args.seeds:
        seeds = _seeds(args.seeds)
        suite = replace(suite, seeds=seeds, also=tuple(replace(part, seeds=seeds) for part in suite.also))
    return suite


def run_bench(args: argparse.Namespace) -> int:
    """Run the suite of ``args``; bad input is reported (exit 2) before any run starts."""
    output = args.output or f"bench-{args.suite}"
    try:
        suite = suite_from_args(args)
        suite.check()
        path = os.path.join(output, "results.jsonl")
        if args.report_only:
            records = recorded_runs(suite, path) if os.path.exists(path) else []
            if not records:
                raise ValueError(f"{path} holds no runs to report")
        else:
            os.makedirs(output, exist_ok=True)
            records = run_suite(suite, path, workers=args.workers)
    except (ValueError, TypeError) as exc:
        print(f"fasthpo bench: {exc}", file=sys.stderr)
        return 2
    write_report(records, output, title=f"fasthpo bench: {args.suite} suite" if args.problems is None else "fasthpo bench")
    print(f"{len(records)} runs in {path}; report in {os.path.join(output, 'report.md')}")
    return 0
