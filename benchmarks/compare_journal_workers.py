"""Workers sharing a journal, fasthpo against Optuna 5 on the same workload; loading; a Dask cluster.

Run::

    PYTHONPATH=src python benchmarks/compare_journal_workers.py --redis redis://127.0.0.1:6379/0

Prints markdown tables:

* trials per second of 1, 2, 4 and 8 worker processes optimizing one study (RandomSampler,
  5 parameters) with an instant objective and a 5 ms one, on a journal file and on
  Redis, for fasthpo (``JournalFileStorage`` / ``JournalRedisStorage``) and Optuna
  (``JournalFileBackend`` / ``JournalRedisBackend``);
* the seconds a fresh process needs to load a ``--load-trials`` journal (fasthpo and
  Optuna reading the same file);
* the wall time of ``--dask-trials`` trials of ``--dask-ms`` each on a Dask
  ``LocalCluster`` of 4 worker processes, against the ideal ``trials * ms / 4``.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import uuid

from harness import markdown_table

from fasthpo._executor import TASK_SECONDS

D = 5


def _objective(trial, sleep: float) -> float:
    if sleep:
        time.sleep(sleep)
    return sum(trial.suggest_float(f"x{i}", -5, 5) ** 2 for i in range(D))


def _study(library: str, backend: str, where: str, seed: int):
    if library == "fasthpo":
        import fasthpo

        storage = (fasthpo.storages.JournalFileStorage(where) if backend == "file"
                   else fasthpo.storages.JournalRedisStorage(*where.split("|")))
        return fasthpo.create_study(study_name="bench", storage=storage, load_if_exists=True,
                                    sampler=fasthpo.samplers.RandomSampler(seed=seed))
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend, JournalRedisBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if backend == "file":
        storage = JournalStorage(JournalFileBackend(where))
    else:
        url, prefix = where.split("|")
        storage = JournalStorage(JournalRedisBackend(url, prefix=prefix))
    return optuna.create_study(study_name="bench", storage=storage, load_if_exists=True,
                               sampler=optuna.samplers.RandomSampler(seed=seed))


def _worker(library, backend, where, seed, n_trials, sleep, barrier, queue):
    import warnings

    warnings.simplefilter("ignore")
    study = _study(library, backend, where, seed)
    barrier.wait()
    start = time.perf_counter()
    study.optimize(lambda t: _objective(t, sleep), n_trials=n_trials)
    queue.put((start, time.perf_counter()))


def throughput(library: str, backend: str, where: str, n_workers: int, n_trials: int, sleep: float) -> float:
    """Trials per second of ``n_workers`` processes, ``n_trials`` each, on one new study."""
    import warnings

    warnings.simplefilter("ignore")
    _study(library, backend, where, 0)
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(n_workers), context.Queue()
    workers = [context.Process(target=_worker, args=(library, backend, where, seed, n_trials, sleep, barrier, queue))
               for seed in range(n_workers)]
    for w in workers:
        w.start()
    spans = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    return n_workers * n_trials / (max(e for _, e in spans) - min(s for s, _ in spans))


def load_seconds(library: str, path: str) -> float:
    """Seconds for a fresh process to load the study in ``path`` (import excluded)."""
    code = (
        "import time, warnings; warnings.simplefilter('ignore');"
        + ("import fasthpo; t = time.perf_counter(); s = fasthpo.load_study(study_name='bench', storage=%r);"
           if library == "fasthpo" else
           "import optuna; from optuna.storages import JournalStorage; "
           "from optuna.storages.journal import JournalFileBackend; t = time.perf_counter(); "
           "s = optuna.load_study(study_name='bench', storage=JournalStorage(JournalFileBackend(%r)));")
        % path
        + "n = len(s.trials); print(time.perf_counter() - t, n)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ)).stdout.split()
    return float(out[0])


def write_journal(path: str, n_trials: int) -> None:
    import fasthpo

    study = fasthpo.create_study(study_name="bench", storage=path, sampler=fasthpo.samplers.RandomSampler(seed=0))
    study.optimize(lambda batch: _objective(batch, 0.0), n_trials=n_trials, batch_size=1000)  # written in groups


SAMPLERS = {"tpe": lambda seed: __import__("fasthpo").samplers.TPESampler(seed=seed),
            "random": lambda seed: __import__("fasthpo").samplers.RandomSampler(seed=seed)}


def _sleepy(trial):
    time.sleep(trial.suggest_float("ms", 10, 10) / 1e3)
    return trial.suggest_float("x", -1, 1) ** 2


def dask_wall(n_trials: int, directory: str, n_jobs: int, sampler: str, chunked: bool, warm: bool
              ) -> tuple[float, float]:
    """Wall seconds of the study, and the driver process's CPU seconds meanwhile
    (``chunked=False``: one trial per task; ``warm``: the workers imported fasthpo before,
    as in a cluster that ran fasthpo tasks already)."""
    import distributed

    import fasthpo
    import fasthpo._executor

    fasthpo._executor.TASK_SECONDS = TASK_SECONDS if chunked else 0.0

    with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        client.submit(sum, [1]).result()  # workers up
        if warm:
            client.run(importlib.import_module, "fasthpo")
        study = fasthpo.create_study(storage=os.path.join(directory, f"dask-{n_jobs}-{sampler}-{chunked}-{warm}.log"),
                                     study_name="bench", sampler=SAMPLERS[sampler](seed=0))
        start, cpu = time.perf_counter(), time.process_time()
        study.optimize(_sleepy, n_trials=n_trials, n_jobs=n_jobs, executor=client)
        return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", help="a Redis URL (redis://127.0.0.1:6379/0); without it Redis is skipped")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--trials", type=int, default=200, help="trials per worker, instant objective")
    parser.add_argument("--sleep-trials", type=int, default=60, help="trials per worker, 5 ms objective")
    parser.add_argument("--load-trials", type=int, default=100_000)
    parser.add_argument("--dask-trials", type=int, default=2000)
    parser.add_argument("--dask-samplers", nargs="+", default=["random", "tpe"], choices=sorted(SAMPLERS))
    parser.add_argument("--dask-jobs", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--dask-dispatch", nargs="+", default=["one", "chunks"], choices=["one", "chunks"],
                        help="one trial per task, chunks (fasthpo._executor.TASK_SECONDS of objective time), or both")
    parser.add_argument("--dask-workers", nargs="+", default=["cold", "warm"], choices=["cold", "warm"],
                        help="fresh worker processes (the first task imports fasthpo), or ones that imported it")
    parser.add_argument("--libraries", nargs="+", default=["fasthpo", "optuna"], choices=["fasthpo", "optuna"])
    parser.add_argument("--skip", nargs="*", default=[], choices=["throughput", "load", "dask"])
    args = parser.parse_args()
    print("load average (1, 5, 15 min) at the start: %.1f %.1f %.1f\n" % os.getloadavg())
    with tempfile.TemporaryDirectory() as directory:
        if "throughput" not in args.skip:
            rows = []
            backends = ["file"] + (["redis"] if args.redis else [])
            for sleep, n_trials in ((0.0, args.trials), (0.005, args.sleep_trials)):
                for backend in backends:
                    for library in args.libraries:
                        base = None
                        for n in args.workers:
                            where = (os.path.join(directory, f"{library}-{uuid.uuid4().hex}.log") if backend == "file"
                                     else f"{args.redis}|{uuid.uuid4().hex}")
                            rate = throughput(library, backend, where, n, n_trials, sleep)
                            base = base or rate
                            rows.append([f"{sleep * 1e3:g}", backend, library, n, f"{rate:.0f}", f"{rate / base:.2f}×"])
                            print(rows[-1], file=sys.stderr)
            print(markdown_table(["objective ms", "journal", "library", "workers", "trials/s", "vs 1 worker"], rows))
        if "load" not in args.skip:
            path = os.path.join(directory, "big.log")
            write_journal(path, args.load_trials)
            size = os.path.getsize(path) / 1e6
            rows = [[library, f"{load_seconds(library, path):.2f}"] for library in args.libraries]
            print(f"\nA fresh process loads the {args.load_trials:,}-trial journal ({size:.0f} MB):\n")
            print(markdown_table(["library", "seconds"], rows))
        if "dask" not in args.skip:
            ideal = args.dask_trials * 0.010 / 4
            rows = []
            for sampler in args.dask_samplers:
                for n_jobs in args.dask_jobs:
                    for chunked in [mode == "chunks" for mode in args.dask_dispatch]:
                        for workers in args.dask_workers:
                            wall, cpu = dask_wall(args.dask_trials, directory, n_jobs, sampler, chunked, workers == "warm")
                            rows.append([sampler, n_jobs, f"chunks of ≈{TASK_SECONDS:g} s" if chunked else "1 trial",
                                         workers, f"{wall:.2f}", f"{wall / ideal:.2f}×", f"{cpu:.2f}"])
                            print(rows[-1], file=sys.stderr)
            print(f"\nDask LocalCluster, 4 worker processes, {args.dask_trials} trials of 10 ms (ideal {ideal:.2f} s):\n")
            print(markdown_table(["sampler", "n_jobs", "per task", "workers", "wall s", "vs ideal", "driver CPU s"], rows))
    print("\nload average (1, 5, 15 min) at the end: %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
