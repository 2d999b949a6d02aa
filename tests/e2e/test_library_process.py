"""A library user's process stays as it was: calling salesbook.run() does not switch pyarrow's
process-wide memory pool (only the CLI and the batch workers choose their allocator)."""

from __future__ import annotations

import pytest

import json
import os
import subprocess
import sys

import python_calamine

from .conftest import TODAY, write_en_table

SCRIPT = """
import json, sys
import pyarrow as pa
before = pa.default_memory_pool().backend_name
import salesbook
after_import = pa.default_memory_pool().backend_name
result = salesbook.run(sys.argv[1], today=__import__("datetime").date.fromisoformat(sys.argv[2]))
print(json.dumps([before, after_import, pa.default_memory_pool().backend_name, result.exit_code]))
"""


@pytest.mark.slow  # (over 0.6 s: the quick loop stays under 90 s)
def test_importing_and_running_salesbook_keeps_the_memory_pool(tmp_path):
    import pyarrow as pa

    book = write_en_table(tmp_path / "Pipeline.xlsx")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [os.getcwd(), os.environ.get("PYTHONPATH")] if p))
    env.pop("ARROW_DEFAULT_MEMORY_POOL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(book), TODAY.isoformat()], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after_import, after_run, code = json.loads(done.stdout.strip().splitlines()[-1])
    assert before != pa.system_memory_pool().backend_name  # else the test could not tell
    assert after_import == before and after_run == before
    assert code in (0, 1)
    wb = python_calamine.CalamineWorkbook.from_path(str(book))
    header = wb.get_sheet_by_name("Leads").to_python()[0]
    assert "Grade" in header  # the run did write the book
