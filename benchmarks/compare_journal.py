"""Journal file storage: per-trial cost against memory, replay time, two processes' throughput.

Run::

    PYTHONPATH=src python benchmarks/compare_journal.py --d 10 --trials 10000 --process-trials 3000

Prints markdown tables: the median µs per trial (ask + d suggestions + tell, RandomSampler)
over the last ``--window`` trials before 1k and 10k trials, in memory and in a journal
file, in a journal file that fsyncs every line, and Optuna's JournalStorage (which fsyncs
too; if optuna is installed); the last two are capped by ``--optuna-trials``;
the time a new process needs to load the journal; and the trials per second of one and
of two processes optimizing one study through the journal, with an instant objective and
with one that sleeps ``--objective-ms`` (a model being trained elsewhere).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time

from harness import Library, fasthpo_library, markdown_table, per_trial_times, sphere_suggest


def journal_library(directory: str, fsync: bool = False) -> Library:
    import fasthpo

    def create(sampler):
        path = os.path.join(directory, f"fasthpo-{time.monotonic_ns()}.log")
        storage = fasthpo.storages.JournalFileStorage(path, fsync=fsync)
        return fasthpo.create_study(sampler=sampler, storage=storage, study_name="bench")

    return Library("fasthpo journal" + (" fsync" if fsync else ""), create, lambda s, t, v: s.tell(t, v))


def optuna_journal_library(directory: str) -> Library:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def create(sampler):
        path = os.path.join(directory, f"optuna-{time.monotonic_ns()}.log")
        return optuna.create_study(sampler=sampler, storage=JournalStorage(JournalFileBackend(path)))

    return Library("optuna journal", create, lambda s, t, v: s.tell(t, v))


def load_seconds(path: str) -> float:
    import fasthpo

    start = time.perf_counter()
    fasthpo.load_study(study_name="bench", storage=path)
    return time.perf_counter() - start


def _worker(path: str, seed: int, n_trials: int, d: int, objective_seconds: float, barrier, queue) -> None:
    import fasthpo

    study = fasthpo.load_study(study_name="bench", storage=path, sampler=fasthpo.samplers.RandomSampler(seed=seed))
    sphere = sphere_suggest(d)

    def objective(trial):
        if objective_seconds:
            time.sleep(objective_seconds)  # stands for a model being trained (no CPU)
        return sphere(trial)

    barrier.wait()
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    queue.put((start, time.perf_counter()))


def processes_throughput(directory: str, n_processes: int, n_trials: int, d: int, objective_seconds: float) -> float:
    """Trials per second of ``n_processes`` workers sharing one new journal study."""
    import fasthpo

    path = os.path.join(directory, f"shared-{n_processes}-{objective_seconds}.log")
    fasthpo.create_study(study_name="bench", storage=path)
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(n_processes), context.Queue()
    workers = [context.Process(target=_worker, args=(path, seed, n_trials, d, objective_seconds, barrier, queue)) for seed in range(n_processes)]
    for w in workers:
        w.start()
    spans = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    assert len(fasthpo.load_study(study_name="bench", storage=path).trials) == n_processes * n_trials
    return n_processes * n_trials / (max(end for _, end in spans) - min(start for start, _ in spans))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=10)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--optuna-trials", type=int, default=1_000)
    parser.add_argument("--process-trials", type=int, default=3_000, help="trials per process in the throughput test")
    parser.add_argument("--objective-ms", type=float, default=2.0, help="sleep in the objective, second throughput run")
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import fasthpo

    checkpoints = [c for c in (1_000, 10_000) if c <= args.trials]
    objective = sphere_suggest(args.d)
    with tempfile.TemporaryDirectory() as directory:
        libraries = [(fasthpo_library(), args.trials), (journal_library(directory), args.trials),
                     (journal_library(directory, fsync=True), args.optuna_trials)]
        try:
            libraries.append((optuna_journal_library(directory), args.optuna_trials))
        except ImportError:
            print("optuna not installed: skipped", file=sys.stderr)
        results = {}
        for library, n in libraries:
            sampler = fasthpo.samplers.RandomSampler(seed=args.seed)
            if library.name.startswith("optuna"):
                import optuna

                sampler = optuna.samplers.RandomSampler(seed=args.seed)
            results[library.name] = per_trial_times(library, sampler, objective, n, checkpoints, args.window)
            print(f"{library.name}: {results[library.name]}", file=sys.stderr)
        names = list(results)
        header = ["trials"] + [f"{n} µs/trial" for n in names] + ["journal − memory µs", "optuna journal / fasthpo journal fsync"]
        rows = []
        for c in checkpoints:
            memory, journal = results["fasthpo"][c], results["fasthpo journal"][c]
            optuna_time = results.get("optuna journal", {}).get(c)
            fsync_time = results["fasthpo journal fsync"].get(c)
            row = [f"{c:,}"] + [f"{results[n][c] * 1e6:.1f}" if c in results[n] else "—" for n in names]
            row += [f"{(journal - memory) * 1e6:.1f}", f"{optuna_time / fsync_time:.1f}×" if optuna_time and fsync_time else "—"]
            rows.append(row)
        print(markdown_table(header, rows))

        logs = [os.path.join(directory, f) for f in os.listdir(directory) if f.startswith("fasthpo-") and f.endswith(".log")]
        path = max(logs, key=os.path.getsize)
        size = os.path.getsize(path)
        print(f"\nLoading the {args.trials:,}-trial journal ({size / 1e6:.1f} MB) in a fresh storage: "
              f"{load_seconds(path):.2f} s")

        rows = []
        for objective_ms, n_trials in ((0.0, args.process_trials), (args.objective_ms, args.process_trials // 5)):
            one = processes_throughput(directory, 1, n_trials, args.d, objective_ms / 1e3)
            two = processes_throughput(directory, 2, n_trials, args.d, objective_ms / 1e3)
            rows += [[f"{objective_ms:g}", 1, n_trials, f"{one:.0f}", "1.00×"],
                     [f"{objective_ms:g}", 2, 2 * n_trials, f"{two:.0f}", f"{two / one:.2f}×"]]
        print()
        print(markdown_table(["objective ms", "processes", "trials", "trials/s", "vs one process"], rows))


if __name__ == "__main__":
    main()
