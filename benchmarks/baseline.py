"""The code before the performance work, for figures measured side by side with the current code.

Look here to see what "before" means in RESULTS.md. ``checkout()`` extracts commit ``BASELINE`` (25d8ca9: main as
merged into this branch, issues 11, 15 and 16 in, none of issue 17's prefetch, pooling or memory work) with ``git archive`` into a temporary
folder, then copies this checkout's ``benchmarks/`` and ``tools/`` over it, so the *same* benchmark code drives
the *old* package, notebooks and snapshot. ``run_case`` runs a benchmark case there in a fresh interpreter
with ``PYTHONPATH`` on that folder, which the Jupyter kernels inherit, so they import the old package too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import harness

BASELINE = "25d8ca9"
_TREES: dict[str, Path] = {}


def checkout(commit: str = BASELINE) -> Path:
    """A folder holding ``commit``'s tree with the current benchmarks and tools (made once per process)."""
    if commit in _TREES and _TREES[commit].exists():
        return _TREES[commit]
    folder = Path(tempfile.mkdtemp(prefix=f"butterfly-baseline-{commit}-"))
    archive = subprocess.run(
        ["git", "archive", commit], cwd=harness.ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    for part in ("benchmarks", "tools"):
        shutil.rmtree(folder / part, ignore_errors=True)
        shutil.copytree(harness.ROOT / part, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
    _TREES[commit] = folder
    return folder


def run_case(script: str, *args: str, commit: str = BASELINE, timeout: float = 3600) -> dict[str, Any]:
    """``benchmarks/<script> --json args`` run against ``commit``'s package (see the module docstring)."""
    tree = checkout(commit)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return harness.run_isolated(tree / "benchmarks" / script, *args, timeout=timeout, env=env, cwd=tree)


def cleanup() -> None:
    for folder in _TREES.values():
        shutil.rmtree(folder, ignore_errors=True)
    _TREES.clear()


__all__ = ["BASELINE", "checkout", "cleanup", "run_case"]
