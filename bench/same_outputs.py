"""Do two checkouts of salesbook write the same bytes? (A refactoring must not change any output.)

    python bench/same_outputs.py --before ../salesbook-old --after .            # two checkouts
    git worktree add ../salesbook-old <commit> && python bench/same_outputs.py --before ../salesbook-old

Both checkouts run the same commands on the same input workbooks, in fresh processes with their own
code first on PYTHONPATH: every command (`run`, each `run --only`, `check`, `archive`) on the demo
workbooks (English and Chinese), the committed SalesPipeline.xlsm, the end-to-end workbooks of
tests/e2e (an Excel Table written by XlsxWriter, a Chinese plain range written by openpyxl) and
the feature and bad-cell workbooks of tests/reliability/corpus.py. The inputs are written once, by
the --after checkout. Every zip member of every output is compared byte for byte, and so are the
exit codes and the printed lines. Prints one line per difference and a count; exit 1 if any.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

TODAY = "2026-11-18"
COMMANDS = {
    "run": ["run"],
    "grade": ["run", "--only", "grade"],
    "followup": ["run", "--only", "followup"],
    "stale": ["run", "--only", "stale"],
    "funnel": ["run", "--only", "funnel"],
    "check": ["check"],
    "archive": ["archive"],
}

MAKE_INPUTS = r"""
import shutil, sys
from pathlib import Path
from click.testing import CliRunner
from salesbook.cli import main
sys.path.insert(0, ".")
from tests.e2e.conftest import write_en_table, write_zh_range
from tests.reliability.corpus import bad_cells_book, feature_book, good_book

out = Path(sys.argv[1])
runner = CliRunner()
for args in (["demo", str(out / "demo-en.xlsx")], ["demo", str(out / "demo-zh.xlsx"), "--language", "zh",
             "--leads", "800"]):
    result = runner.invoke(main, [*args, "--today", "2026-11-01"])
    assert result.exit_code in (0, 1), result.output
shutil.copy("workbook/SalesPipeline.xlsm", out / "shipped.xlsm")
write_en_table(out / "e2e-en-table.xlsx")
write_zh_range(out / "e2e-zh-range.xlsx")
feature_book(out / "feature.xlsx")
bad_cells_book(out / "bad-cells.xlsx")
good_book(out / "good-range.xlsx", table=False)
"""


def run(checkout: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(checkout.resolve()))
    code = "import sys; from salesbook.cli import main; sys.argv = ['salesbook'] + sys.argv[1:]; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True)


def members(path: Path) -> dict[str, bytes]:
    if not path.exists():
        return {}
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="the checkout before the change")
    ap.add_argument("--after", type=Path, default=Path("."), help="the checkout after it (default: here)")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="same-outputs-"))
    inputs = work / "inputs"
    inputs.mkdir()
    env = dict(os.environ, PYTHONPATH=str(opts.after.resolve()))
    made = subprocess.run([sys.executable, "-c", MAKE_INPUTS, str(inputs)], cwd=opts.after, env=env,
                          capture_output=True, text=True)
    if made.returncode != 0:
        print(made.stdout, made.stderr)
        return 2
    differences = compared = 0
    for book in sorted(inputs.iterdir()):
        for name, args in COMMANDS.items():
            outputs = {}
            for side, checkout in (("before", opts.before), ("after", opts.after)):
                folder = work / side / book.stem / name
                folder.mkdir(parents=True)
                target = folder / book.name
                shutil.copy(book, target)
                proc = run(checkout, [*args, str(target), "--today", TODAY], folder)
                text = (proc.stdout + proc.stderr).replace(str(work / side), "WORK")
                outputs[side] = (proc.returncode, text, members(target))
            compared += 1
            (code_a, text_a, parts_a), (code_b, text_b, parts_b) = outputs["before"], outputs["after"]
            where = f"{book.name} {' '.join(args)}"
            if code_a != code_b:
                differences += 1
                print(f"{where}: exit code {code_a} before, {code_b} after")
            if text_a != text_b:
                differences += 1
                print(f"{where}: printed lines differ:\n  before: {text_a!r}\n  after:  {text_b!r}")
            for part in sorted(set(parts_a) | set(parts_b)):
                if parts_a.get(part) != parts_b.get(part):
                    differences += 1
                    print(f"{where}: {part} differs")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{compared} outputs compared ({len(COMMANDS)} commands on {compared // len(COMMANDS)} workbooks): "
          f"{differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
