"""Regenerate docs/reliability-report.md: run the reliability tests (fault matrix, bad input, untrusted text,
cache integrity) and write their outcomes as a table.

Look here to refresh the report without running the whole suite. ``make test`` writes the same report as a
side effect (the plugin in ``tests/report_plugin.py``). Usage: ``python tools/reliability_report.py [pytest args]``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ["tests/test_fault_matrix.py", "tests/test_bad_input.py", "tests/test_untrusted_text.py",
         "tests/test_cache_integrity.py"]  # fmt: skip


def main(argv: list[str]) -> int:
    report = ROOT / "docs" / "reliability-report.md"
    cmd = [sys.executable, "-m", "pytest", "-q", *FILES, f"--reliability-report={report}", *argv]
    code = subprocess.run(cmd, cwd=ROOT, check=False).returncode
    print(f"reliability report: {report}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
