"""Running many sweep points: chunked tasks over a bounded window, the same on the local
process pool and on a dask.distributed cluster.

Why (issue 19): one task per point made the parent submit (and hold) 100k futures, and the
per-task overhead of a process pool or dask (~1-5 ms) rivals a small point's simulation.
Points go out in chunks of at most ``CHUNK_POINTS`` (small enough that every worker gets at
least ``CHUNKS_PER_WORKER`` of them, so the last chunks finish close together), and at most
``WINDOW_PER_WORKER`` chunks per worker are in flight at once: the parent's memory does not
grow with the grid, a slow worker holds up nothing. Each chunk's results come back in point
order; chunks come back as they finish (the caller sorts by index).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

#: most points in one task
CHUNK_POINTS = 100
#: fewest chunks each worker gets (when there are enough points)
CHUNKS_PER_WORKER = 4
#: most chunks submitted and not yet collected, per worker
WINDOW_PER_WORKER = 2


def chunk_size(points: int, workers: int) -> int:
    """Points per chunk: at most CHUNK_POINTS, and small enough that ``points`` make at least
    CHUNKS_PER_WORKER chunks per worker (never below one point)."""
    return max(1, min(CHUNK_POINTS, points // (CHUNKS_PER_WORKER * max(1, workers))))


def make_chunks(items: Sequence[Any], workers: int) -> list[Sequence[Any]]:
    """``items`` cut into consecutive chunks of chunk_size(len(items), workers)."""
    size = chunk_size(len(items), workers)
    return [items[i:i + size] for i in range(0, len(items), size)]


def window(workers: int) -> int:
    """Most chunks in flight for ``workers`` workers."""
    return WINDOW_PER_WORKER * max(1, workers)


class ChunkRunner:
    """Runs ``fn(chunk, *args)`` for every chunk in this process, on a process pool or on a
    dask client, with at most ``window(workers)`` chunks in flight; ``peak_in_flight`` records
    the most that were (tests check the bound)."""

    def __init__(self, workers: int, pool: ProcessPoolExecutor | None = None,
                 client: Any = None) -> None:
        self.workers, self.pool, self.client = max(1, workers), pool, client
        self.peak_in_flight = 0

    def run(self, fn: Callable[..., list], chunks: Sequence[Any], *args: Any) -> Iterator[list]:
        """Each chunk's result list, as chunks finish (in chunk order in this process)."""
        if self.client is not None:
            yield from self._run_dask(fn, chunks, args)
        elif self.pool is not None:
            yield from self._run_pool(fn, chunks, args)
        else:
            for chunk in chunks:
                self.peak_in_flight = max(self.peak_in_flight, 1)
                yield fn(chunk, *args)

    def _run_pool(self, fn: Callable[..., list], chunks: Sequence[Any],
                  args: tuple) -> Iterator[list]:
        assert self.pool is not None
        queue = iter(chunks)
        pending: set[Future] = set()
        try:
            while True:
                while len(pending) < window(self.workers):
                    chunk = next(queue, None)
                    if chunk is None:
                        break
                    pending.add(self.pool.submit(fn, chunk, *args))
                self.peak_in_flight = max(self.peak_in_flight, len(pending))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=id):
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def _run_dask(self, fn: Callable[..., list], chunks: Sequence[Any],
                  args: tuple) -> Iterator[list]:
        from distributed import as_completed

        queue = iter(chunks)
        pending = {self.client.submit(fn, chunk, *args, pure=False)
                   for chunk in _take(queue, window(self.workers))}
        if not pending:
            return
        self.peak_in_flight = max(self.peak_in_flight, len(pending))
        stream = as_completed(list(pending))
        try:
            for future in stream:
                pending.discard(future)
                result = future.result()
                future.release()  # the result lives here now, not on the cluster
                for chunk in _take(queue, 1):
                    new = self.client.submit(fn, chunk, *args, pure=False)
                    pending.add(new)
                    stream.add(new)
                self.peak_in_flight = max(self.peak_in_flight, len(pending))
                yield result
        finally:
            if pending:
                self.client.cancel(list(pending))


def _take(queue: Iterator[Any], n: int) -> list[Any]:
    out = []
    for _ in range(n):
        item = next(queue, None)
        if item is None:
            break
        out.append(item)
    return out


def dask_workers(client: Any) -> int:
    """Worker threads of a dask cluster (at least one)."""
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - an odd client: assume one
        return 1


def chunks_for(points: int, workers: int) -> int:
    """How many chunks ``points`` make for ``workers`` workers (benchmarks, README)."""
    return math.ceil(points / chunk_size(points, workers)) if points else 0
