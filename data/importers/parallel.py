"""Run the database-free part of a large import in worker processes, results in input order.

The importers read a file in batches; parsing a batch and building its calls is pure Python
and does not need the database, so for large files it runs in `workers` processes while the
importing process writes the previous batches. Results come back in the order the jobs were
given (every batch commits with its file position, so the writer must see them in order),
and at most `depth` jobs are in flight: a 10 GB file is never read into memory ahead of the
database.

Worker processes are started with "spawn", not "fork": the importing process may have
threads (a web server, a scheduler) and open database connections, which a forked child
would inherit half-locked.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

# More than this never helped on the machines measured: the database and the importing
# process need cores of their own.
MAX_WORKERS = 4


def default_workers() -> int:
    """Worker processes for a large import: the cores, at most MAX_WORKERS (0 = in-process)."""
    n = os.cpu_count() or 1
    return 0 if n < 2 else min(n, MAX_WORKERS)


def ordered_map(fn: Callable[[Any], Any], jobs: Iterable[Any], *, workers: int,
                initializer: Callable[..., None] | None = None, initargs: tuple = (),
                depth: int | None = None) -> Iterator[Any]:
    """fn(job) for every job, in order. With workers == 0 everything runs here (after
    initializer(*initargs)); otherwise in a pool of that many processes, which is shut
    down when the generator is closed or fails. An exception in a worker is raised here,
    at its job's place in the order; a worker process that dies raises BrokenProcessPool."""
    if workers <= 0:
        if initializer is not None:
            initializer(*initargs)
        for job in jobs:
            yield fn(job)
        return
    depth = depth or workers + 1
    # ProcessPoolExecutor rather than multiprocessing.Pool: a worker that dies (killed for
    # memory, a crash in a C extension) fails the pending jobs with BrokenProcessPool
    # instead of leaving the importer waiting forever.
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer, initargs=initargs)
    ok = False
    try:
        pending: deque = deque()
        it = iter(jobs)
        exhausted = False
        while True:
            while not exhausted and len(pending) < depth:
                try:
                    job = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(fn, job))
            if not pending:
                break
            yield pending.popleft().result()
        ok = True
    finally:
        pool.shutdown(wait=ok, cancel_futures=not ok)
