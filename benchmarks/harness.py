"""Measuring tools shared by the benchmarks: wall time and peak memory, request counts, the snapshot replay server.

Look here to see how a figure is measured. ``measure`` times a call and reads its memory three ways (tracemalloc
peak of the block's Python allocations, the parent's ``ru_maxrss``, and ``RUSAGE_CHILDREN`` for the papermill
kernels it started). ``count_requests`` reads ``butterfly_lib.http.REQUEST_LOG`` around a call (in-process code);
``server_counts`` counts what reached a ``ReplayServer`` (kernels are other processes, so their request log is
not ours); the snapshot replay server itself is ``tools.snapshot_server``. ``run_isolated`` runs one benchmark case in a fresh interpreter so its
memory peaks are its own.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from butterfly_lib.http import REQUEST_LOG
from tools.replay import ReplayServer
from tools.snapshot_server import endpoints, server_misses, snapshot_server

ROOT = Path(__file__).resolve().parent.parent
#: query parameters that name a location; dropped from single-location routes when other places may ask
LOCATION_PARAMS = ("latitude", "longitude", "lat", "lng")


def _mb(kib: float) -> float:
    return kib / 1024.0  # ru_maxrss is in KiB on Linux


@dataclass
class Measurement:
    """One measured block. Memory in MB; ``children_*`` cover child processes that ended during the block."""

    label: str
    wall_s: float
    traced_peak_mb: float
    parent_maxrss_mb: float
    children_maxrss_mb: float
    children_cpu_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.wall_s:8.2f} s   parent traced peak {self.traced_peak_mb:7.1f} MB, "
            f"parent max RSS {self.parent_maxrss_mb:7.1f} MB, largest kernel max RSS "
            f"{self.children_maxrss_mb:7.1f} MB, kernels CPU {self.children_cpu_s:6.1f} s"
        )


def measure(label: str, fn: Callable[[], Any], *, trace: bool = True) -> tuple[Measurement, Any]:
    """Run ``fn`` once and measure it. ``ru_maxrss`` values are process-lifetime peaks: run one case per process
    (``run_isolated``) when they must belong to that case alone."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        wall = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (
        Measurement(label, wall, peak / 1e6, _mb(me.ru_maxrss), _mb(after.ru_maxrss), cpu),
        result,
    )


def count_requests(fn: Callable[[], Any]) -> tuple[dict[str, int], Any]:
    """Network requests by source that ``fn`` made in this process (``REQUEST_LOG``; cache hits not counted)."""
    REQUEST_LOG.reset()
    result = fn()
    counts = {r["source"]: r["requests"] for r in REQUEST_LOG.rows() if r["requests"]}
    return counts, result


def request_urls() -> dict[str, list[str]]:
    """The URLs ``REQUEST_LOG`` holds per source (since its last reset)."""
    return {name: list(s.urls) for name, s in REQUEST_LOG.stats.items() if s.urls}


def source_of_path(path: str) -> str:
    """The source name a replay-server path belongs to (its first segment, as ``point_env`` sets it up)."""
    return path.lstrip("/").split("/", 1)[0]


def server_counts(server: ReplayServer, since: int = 0) -> dict[str, int]:
    """Requests that reached ``server`` by source, from request number ``since`` on."""
    return dict(Counter(source_of_path(r.path) for r in server.requests[since:]))


def point_settings(settings, server: ReplayServer):  # noqa: ANN001, ANN201 (Settings)
    """``settings`` with every source's base URL on ``server`` (``<server>/<source name>``)."""
    from dataclasses import replace

    return settings.with_(http=replace(settings.http, endpoints=tuple(endpoints(server).items())))


def machine() -> dict[str, Any]:
    """CPU count and model, Python version, platform and date of the run."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def run_isolated(script: Path, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run ``script --json args`` in a fresh interpreter; return the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, str(script), *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{script.name} {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
    return json.loads(lines[-1])


def emit(obj: Any) -> None:
    """Print ``obj`` as the one-line JSON that ``run_isolated`` reads."""
    print(json.dumps(obj if not isinstance(obj, Measurement) else asdict(obj), default=str))


__all__ = ["server_misses", "snapshot_server"]
