"""Issue 10's corpus test: third-party workbooks, each with a Leads sheet injected at the part level.

For every workbook (cases.py says where each comes from; README.md explains the families):
- `run` exits 0, writes the grades the rules give (read back with zipfile + lxml, dates in the
  workbook's own epoch), and every part the add-in does not own is byte-identical; the package stays
  consistent (content types, relationships, conformance, calculation chain);
- `run` on its own output gives the same bytes (idempotence);
- `archive` moves the stale leads, keeps every part it does not own, and a second `archive` changes
  nothing;
- or, only for the unusual parts issue 10 allows it for, the file is refused with one sentence and
  left byte-identical. No traceback, no internal error, ever.

The corpus is built and processed once per session (two worker processes), then each test checks
one workbook's results. Run it alone with: python -m pytest tests/corpus -q -p no:cacheprovider
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from . import cases, checks, libreoffice_books, ooxml, runner
from .cases import CASES, MAY_REFUSE, REQUIRED, Built, Case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def corpus(request, tmp_path_factory) -> dict[str, tuple[Built, dict]]:
    """Build the selected cases, inject their Leads sheets, run the CLI on all of them."""
    wanted = {item.callspec.params["case"].name for item in request.session.items
              if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)}
    if any(item.name == "test_corpus_is_broad" for item in request.session.items):
        wanted = {c.name for c in CASES}
    started = time.perf_counter()
    folder = tmp_path_factory.mktemp("corpus")
    builder = cases.Builder(folder)
    selected = [c for c in CASES if c.name in wanted]
    builder.prepare([c.source for c in selected])
    built = {}
    for case in selected:
        path = builder.case(case)
        src = builder.built.get(case.source)
        features = (cases.detect_features(src) if src else set()) | set(case.tags)
        features.add("saved-by-" + cases.writer(case.source, builder.built))
        built[case.name] = Built(case, path, builder.why.get(case.source, ""), features)
    todo = [b for b in built.values() if b.path is not None]
    cases.TIMES["build"] = time.perf_counter() - started
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = dict(zip([b.case.name for b in todo], pool.map(runner.process, [str(b.path) for b in todo])))
    cases.TIMES["cli"] = time.perf_counter() - started - cases.TIMES["build"]
    cases.TIMES["cli_cpu"] = sum(r["cpu"] for r in results.values())
    out = {}
    for name, b in built.items():
        res = results.get(name, {})
        out[name] = (b, res)
        cases.REPORT[name] = {"family": b.case.family, "features": sorted(b.features), "why": b.why,
                              "run": res.get("run1", {}).get("exit"), "archive": res.get("archive1", {}).get("exit")}
    return out


@pytest.fixture(scope="module", params=CASES, ids=str)
def case(request) -> Case:
    """One workbook of the corpus (a module-scoped parameter, so pytest runs all its tests together)."""
    return request.param


def _get(corpus, case: Case) -> tuple[Built, dict]:
    b, res = corpus[case.name]
    if b.path is None:
        pytest.skip(b.why)
    return b, res


def _accepted(b: Built, step: dict) -> bool:
    """True when the command ran (exit 0); checks a refusal and returns False when it refused."""
    assert step["exception"] is None, f"an exception escaped: {step['exception']}"
    text = step["output"].strip()
    assert "Traceback" not in text, text
    assert step["book_unchanged"], f"{step['command']} changed its input file"
    if step["exit"] == 0:
        assert step["written"], f"{step['command']} exited 0 but wrote nothing"
        return True
    assert step["exit"] == 2, f"exit {step['exit']}: {text}"
    assert not step["written"], f"{step['command']} was refused but wrote {step['out']}"
    assert text.startswith("Refused:"), f"not a refusal but an internal error: {text}"
    assert "\n" not in text, f"a refusal is one sentence, not: {text!r}"
    assert Path(step["book"]).name in text, f"a refusal names the file: {text}"
    allowed = b.features & MAY_REFUSE
    assert allowed, f"{step['command']} refused a workbook it must process: {text}"
    return False


def test_run_keeps_every_part_it_does_not_own(corpus, case):
    b, res = _get(corpus, case)
    step = res["run1"]
    if not _accepted(b, step):
        return
    before, after = ooxml.parts(b.path), ooxml.parts(Path(step["out"]))
    checks.assert_unowned_parts_identical(before, after, "run")
    checks.assert_shared_parts_extended(before, after, "run")


def test_run_writes_a_consistent_package(corpus, case):
    b, res = _get(corpus, case)
    step = res["run1"]
    if not _accepted(b, step):
        return
    before, after = ooxml.parts(b.path), ooxml.parts(Path(step["out"]))
    checks.assert_every_part_has_a_content_type(before, after)
    checks.assert_no_new_dangling_relationships(before, after)
    checks.assert_conformance_kept(before, after)
    checks.assert_calc_chain_consistent(after)


def test_run_grades_the_injected_leads(corpus, case):
    b, res = _get(corpus, case)
    step = res["run1"]
    if not _accepted(b, step):
        return
    after = ooxml.parts(Path(step["out"]))
    checks.assert_leads_graded(after)
    checks.assert_calamine_reads_the_same(step["out"])
    checks.assert_no_merge_over_outputs(after)


def test_second_run_is_identical(corpus, case):
    b, res = _get(corpus, case)
    if not _accepted(b, res["run1"]):
        return
    step = res["run2"]
    assert step["exit"] == 0 and step["exception"] is None, step["output"]
    first, second = Path(step["book"]), Path(step["out"])
    if second.read_bytes() != first.read_bytes():
        a, b = ooxml.parts(first), ooxml.parts(second)
        changed = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
        pytest.fail(f"the second run changed {changed or 'the zip (same parts: their order, metadata or comment)'}")


def test_archive_keeps_every_part_it_does_not_own(corpus, case):
    b, res = _get(corpus, case)
    step = res["archive1"]
    if not _accepted(b, step):
        return
    before, after = ooxml.parts(b.path), ooxml.parts(Path(step["out"]))
    checks.assert_unowned_parts_identical(before, after, "archive")
    checks.assert_shared_parts_extended(before, after, "archive")
    checks.assert_every_part_has_a_content_type(before, after)
    checks.assert_no_new_dangling_relationships(before, after)
    checks.assert_conformance_kept(before, after)
    checks.assert_calc_chain_consistent(after)
    checks.assert_leads_archived(after)
    again = res["archive2"]  # nothing is stale any more: no change (and then no output file) or the same bytes
    assert again["exit"] == 0 and again["exception"] is None, again["output"]
    if again["written"]:
        assert Path(again["out"]).read_bytes() == Path(step["out"]).read_bytes(), "a second archive changed the file"


@pytest.mark.libreoffice
def test_corpus_is_broad(corpus):
    """At least 100 workbooks, across the features issue 10 names, from several writers."""
    if libreoffice_books.soffice() is None:
        pytest.skip("LibreOffice writes the corpus' pivot tables: install it (libreoffice-calc-nogui)")
    built = [b for b, _ in corpus.values() if b.path is not None]
    assert len(built) >= 100, f"only {len(built)} workbooks could be built"
    for feature, least in REQUIRED.items():
        n = sum(feature in b.features for b in built)
        assert n >= least, f"only {n} workbooks with {feature} (want {least})"
    families = {b.case.family for b in built}
    assert {"xlsxwriter", "openpyxl", "excel-shipped", "zip-edit"} <= families, families
    assert sum("saved-by-excel" in b.features for b in built) >= 4  # xlwings' and pyopenvba's at least
