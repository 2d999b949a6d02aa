"""A rollup on a cluster sends books in chunks: a task runs several books and returns their
partial tables stacked (``partials.Stack``), never added up, so the report is cell for cell the
one of the books reduced one by one. TEAM.xlsx is read back with python-calamine."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from salesbook.adapters.files.team_book import write_report
from salesbook.team import cluster
from salesbook.team.partials import book_stack, failed_stack
from salesbook.team.reduce import reduce
from salesbook.team.report import sheets
from salesbook.team.rollup import plan, rollup
from tests.team.test_rollup import team  # noqa: F401  (the fixture: 3 books and a refused one)

TODAY = dt.date(2026, 12, 31)


def report_cells(path):
    wb = CalamineWorkbook.from_path(str(path))
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def write(fig, path):
    write_report(path, sheets(fig), settings=None, force=False)
    return report_cells(path)


def test_one_chunk_with_a_refused_book_gives_the_report_of_the_books_one_by_one(team):
    folder, books = team
    the_plan = plan(settings=None, today=TODAY, period=None)
    items = [(str(b), str(b)) for b in books]  # a, b, c and the refused bad.xlsx, in one chunk
    chunk = book_stack(items, the_plan)
    assert [b.path for b in chunk.books] == [str(b) for b in books]
    assert chunk.rows["keys"].tolist()[-1] == 0 and chunk.books[-1].error  # the refused book: no rows
    one_by_one = [book_stack([item], the_plan) for item in items]
    fig_chunk = reduce([chunk], the_plan, consume=True)
    fig_books = reduce(one_by_one, the_plan, consume=True)
    assert [name for name, _ in fig_chunk.failed] == ["bad.xlsx"]
    assert fig_chunk.failed == fig_books.failed and fig_chunk.books == fig_books.books == ["a.xlsx", "b.xlsx", "c.xlsx"]
    assert len(fig_chunk.cross) == 2  # ann@acme.com in a.xlsx and b.xlsx, across the chunk's books
    got, want = write(fig_chunk, folder / "T-chunk.xlsx"), write(fig_books, folder / "T-books.xlsx")
    assert got == want
    assert len(got["Team Cleanse"]) > 5


def test_chunks_keep_the_order_and_shrink_towards_the_end():
    parts = cluster.chunks(list(range(400)), 2)
    assert sum(parts, []) == list(range(400))
    sizes = [len(p) for p in parts]
    assert sizes[:30] == [10] * 30 and sizes[-8:] == [1] * 8 and sizes == sorted(sizes, reverse=True)
    assert [len(p) for p in cluster.chunks(list(range(30)), 2)] == [4, 4, 3, 3, 2, 2, 2, 2] + [1] * 8
    assert cluster.chunks(list(range(3)), 2) == [[0], [1], [2]]


def test_a_failed_chunk_names_each_of_its_books():
    stack = failed_stack([("a.xlsx", "a.xlsx"), ("b.xlsx", "b.xlsx")], OSError("worker killed"))
    assert [(b.path, b.error) for b in stack.books] == [("a.xlsx", "worker failed: OSError: worker killed"),
                                                        ("b.xlsx", "worker failed: OSError: worker killed")]


def _boom(chunk):
    if "bad" in chunk:
        raise RuntimeError("gone")
    return [x.upper() for x in chunk]


@pytest.mark.slow  # starts Dask clusters
def test_chunks_on_two_workers_give_the_in_process_report(team, monkeypatch):
    folder, books = team
    monkeypatch.setattr(cluster, "TASKS_PER_WORKER", 1)  # 4 books, 2 workers: chunks [a, bad], [b], [c]
    a, b, c, bad = books
    files = [str(x) for x in (a, bad, b, c)]
    one = rollup(files, folder / "T-1.xlsx", today=TODAY, workers=1, progress=False)
    two = rollup(files, folder / "T-2.xlsx", today=TODAY, workers=2, progress=False)
    assert two.timings["tasks"] == 3 and one.timings["tasks"] == 4
    assert one.exit_code == two.exit_code == 2 and two.figures.failed == one.figures.failed
    assert report_cells(folder / "T-2.xlsx") == report_cells(folder / "T-1.xlsx")
    # a task that raises (as when its worker dies) fails its own chunk's items, not the others
    got = cluster.map_chunks(_boom, ["a", "bad", "b", "c"], workers=2, progress=False,
                             on_error=lambda chunk, exc: [f"{x}: {exc}" for x in chunk])
    assert got == [["a: gone", "bad: gone"], ["B"], ["C"]]


def _worker_settings():
    import os

    import dask

    return (dask.config.get("distributed.worker.profile.enabled"), dask.config.get("distributed.admin.tick.interval"),
            dask.config.get("distributed.admin.system-monitor.interval"),
            dask.config.get("distributed.worker.memory.monitor-interval"),
            dask.config.get("distributed.worker.memory.terminate"), "MALLOC_TRIM_THRESHOLD_" in os.environ)


@pytest.mark.slow  # starts a Dask cluster
def test_local_workers_run_without_the_samplers_that_slow_a_book():
    """The LocalCluster's worker processes themselves (not only the client) run without the
    statistical profiler and glibc's trim threshold, and wake their event loops for the
    timing check, the system monitor and the memory monitor rarely; the memory limit is
    still enforced."""
    with cluster.client(2, None) as c:
        got = c.run(_worker_settings)
    assert len(got) == 2
    for profile, tick, system, memory, terminate, trim in got.values():
        assert profile is False and not trim
        assert (tick, system, memory) == ("500ms", "5s", "1s")
        assert terminate  # a worker past its memory limit is still restarted
