"""Where the per-workbook work runs: in this process, on a local Dask cluster, or on a Dask
cluster a scheduler address names (``dask.distributed``).

``map_books(fn, items, …)`` calls ``fn(item)`` for every item and returns the results in the
items' order, whatever order they finish in:

- in this process when there is one item, or ``workers <= 1`` and no scheduler (the same
  results: each item is handled alone, wherever it runs);
- on a ``LocalCluster`` of ``workers`` processes, one thread each (the rules are numpy and
  pandas: processes, not threads, use the cores), started and stopped here;
- on an existing cluster when ``scheduler`` is given (``tcp://host:8786``): its workers must
  see the paths (a shared drive), so callers send absolute paths.

``map_chunks(fn, items, …)`` is the same with ``fn`` called on consecutive chunks of the
items (a list each): one item per chunk in this process, several per task on a cluster
(``chunks``), so the client schedules and receives tens of results, not hundreds.

A progress bar (tqdm) counts the items as they finish; with a scheduler the dashboard's
address is printed as well. A task that raises, or a worker that dies (killed, out of
memory), gives ``on_error(item, exc)``'s result for that item: one bad item never stops the
others. Dask's own log lines are kept off the console (errors only).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

from tqdm import tqdm

from salesbook.errors import Refusal

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT = "20s"
_NOISY = ("distributed", "dask", "tornado", "bokeh")


def quiet() -> None:
    """Dask's INFO/WARNING lines (worker start, heartbeat, closing connections) off the console."""
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.ERROR)


def worker_count(workers: int) -> int:
    """``workers``, at least 1."""
    return max(1, int(workers))


def in_process(n_items: int, workers: int, scheduler: str | None) -> bool:
    """Is the work done in this process (one item, or one worker and no scheduler)?"""
    return scheduler is None and (n_items <= 1 or worker_count(workers) <= 1)


@contextmanager
def client(workers: int, scheduler: str | None) -> Iterator[object]:
    """A Dask ``Client``: on the cluster at ``scheduler``, else on a LocalCluster of ``workers``
    single-threaded processes (closed on the way out)."""
    quiet()
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.admin.tick.limit": "1h",  # a busy shared machine is no error
                          "distributed.worker.daemon": False,
                          "distributed.logging.distributed": "error",
                          # A local worker's task costs ~15 % more CPU than the same book in this
                          # process with Dask's defaults: its statistical profiler samples the task
                          # thread every 10 ms, and MALLOC_TRIM_THRESHOLD_ (set for every worker)
                          # turns off glibc's adaptive mmap threshold, so pandas' large buffers are
                          # mapped and unmapped each time. Without both, ~3 %. (The per-book step
                          # gives its memory back itself: partials.book_partial.)
                          "distributed.worker.profile.enabled": False,
                          "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                          # Each wake-up of a process's event loop takes the GIL from the book being
                          # read: on two busy cores the event-loop timing check (every 20 ms), the
                          # system monitor (500 ms: the dashboard's plots) and the memory monitors
                          # (100 ms) cost a book ~5 % of its wall time. Their diagnostics need no
                          # such rate here; the memory limits are still enforced, each second.
                          "distributed.admin.tick.interval": "500ms",
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.memory.monitor-interval": "1s"}):
        if scheduler:
            try:
                c = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise Refusal(f"Cannot reach the Dask scheduler at {scheduler}: {exc}. Start it (dask scheduler) "
                              "or check the address (tcp://host:8786).") from None
            try:
                yield c
            finally:
                c.close()
            return
        cluster = LocalCluster(n_workers=worker_count(workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        c = Client(cluster)
        try:
            yield c
        finally:
            c.close()
            cluster.close()


def _warm() -> None:
    """On a worker, at start: the per-workbook code imported, Arrow on the system allocator."""
    import salesbook.service  # noqa: F401  (batch)
    import salesbook.team.partials  # noqa: F401  (rollup)
    from salesbook.adapters.files import memory

    memory.use_system_allocator()


def map_books(fn: Callable[[T], R], items: Sequence[T], *, workers: int = 1, scheduler: str | None = None,
              progress: bool = True, on_error: Callable[[T, BaseException], R], unit: str = "book",
              echo: Callable[[str], None] | None = None, timings: dict | None = None) -> list[R]:
    """``[fn(item) for item in items]``, run as the module says; results in the items' order.
    ``timings`` (a dict) gets ``start``: the seconds until the workers were ready (0 in process)."""
    return _map(fn, [[item] for item in items], workers=workers, scheduler=scheduler, progress=progress,
                on_error=on_error, unit=unit, echo=echo, timings=timings, one_by_one=True)


def map_chunks(fn: Callable[[list[T]], R], items: Sequence[T], *, workers: int = 1, scheduler: str | None = None,
               progress: bool = True, on_error: Callable[[list[T], BaseException], R], unit: str = "book",
               echo: Callable[[str], None] | None = None, timings: dict | None = None) -> list[R]:
    """``fn`` over consecutive chunks of ``items`` (lists), results in the chunks' order. On a
    cluster a task is a chunk of up to ``CHUNK`` items, with at least ``TASKS_PER_WORKER`` tasks
    per worker while there are items enough (balance): the client then schedules and receives a
    few results instead of one per item. In process each chunk is one item. ``fn`` must handle
    an item's own failure itself; ``on_error(chunk, exc)`` is the result of a chunk whose task
    raised or whose worker died. The progress bar counts items."""
    return _map(fn, [[item] for item in items], workers=workers, scheduler=scheduler, progress=progress,
                on_error=on_error, unit=unit, echo=echo, timings=timings, one_by_one=False)


CHUNK = 10
TASKS_PER_WORKER = 4


def chunks(items: list, workers: int) -> list[list]:
    """``items`` in consecutive chunks, largest first (guided): each chunk takes its share of
    what is left for ``TASKS_PER_WORKER`` tasks per worker, at most ``CHUNK`` items, at least one.
    The chunks shrink towards the end, so the workers finish together (a worker never waits
    on another's big last chunk)."""
    out, at, n = [], 0, len(items)
    per = TASKS_PER_WORKER * max(1, workers)
    while at < n:
        size = max(1, min(CHUNK, -(-(n - at) // per)))
        out.append(items[at:at + size])
        at += size
    return out


def _map(fn, singles: list[list], *, workers: int, scheduler: str | None, progress: bool, on_error, unit: str,
         echo, timings: dict | None, one_by_one: bool) -> list:
    """The work of ``map_books`` (``one_by_one``: ``fn(item)``) and ``map_chunks`` (``fn(chunk)``),
    ``singles`` being the items, each in a list of its own."""
    import time

    t0 = time.perf_counter()
    timings = {} if timings is None else timings
    timings["start"] = 0.0
    bar = tqdm(total=len(singles), unit=unit, disable=not progress, dynamic_ncols=True)

    def call(chunk):
        return fn(chunk[0]) if one_by_one else fn(chunk)

    def failed(chunk, exc):
        return on_error(chunk[0], exc) if one_by_one else on_error(chunk, exc)

    try:
        if in_process(len(singles), workers, scheduler):
            results = []
            for chunk in singles:
                try:
                    results.append(call(chunk))
                except Exception as exc:
                    results.append(failed(chunk, exc))
                bar.update(1)
            return results
        from distributed import as_completed

        with client(workers, scheduler) as c:
            c.run(_warm)  # each worker imports salesbook once, before the first book, not per task
            timings["start"] = time.perf_counter() - t0
            if scheduler and echo is not None:
                echo(f"Dask cluster {scheduler}: progress on its dashboard {c.dashboard_link}")
            if one_by_one:
                units = singles
            else:
                slots = sum(c.nthreads().values()) or worker_count(workers)  # tasks the cluster runs at once
                units = chunks([chunk[0] for chunk in singles], slots)
            out: list = [None] * len(units)
            if one_by_one:
                futures = c.map(fn, [u[0] for u in units], pure=False)
            else:  # one submission each, in order: the scheduler starts them first come, first served
                futures = [c.submit(fn, u, pure=False, priority=len(units) - i) for i, u in enumerate(units)]
            where = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                i = where[fut.key]
                try:
                    out[i] = fut.result()
                except Exception as exc:  # the task raised, or its worker died
                    out[i] = failed(units[i], exc)
                fut.release()
                bar.update(len(units[i]))
            return out
    finally:
        bar.close()


__all__ = ["map_books", "map_chunks", "chunks", "client", "quiet", "worker_count", "in_process"]
