"""Measuring tools shared by the benchmarks: wall time, memory of the whole process tree, request counts, the
snapshot replay server.

Look here to see how a figure is measured. Time and memory are measured in **separate runs**: ``measure`` times
a call with nothing watching it (tracemalloc, on by default in an earlier version, doubled the times it
reported); ``measure_memory`` runs it again while a thread samples, every 50 ms, the memory of this process and
of every process it started (the Jupyter kernels): the peak of their sum, as PSS (shared pages counted once,
from ``/proc/<pid>/smaps_rollup``) and as RSS, and the largest single process. ``count_requests`` reads
``butterfly_lib.http.REQUEST_LOG`` around a call (in-process code); ``server_counts`` counts what reached a
``ReplayServer`` (kernels are other processes, so their request log is not ours); the snapshot replay server
itself is ``tools.snapshot_server``. ``run_isolated`` runs one benchmark case in a fresh interpreter so its
figures are its own.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import threading
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
from tools.snapshot_server import endpoints, free_port, server_misses, snapshot_server

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
        traced = f"; traced peak {self.traced_peak_mb:.1f} MB" if self.traced_peak_mb else ""
        return f"{self.label:<40} {self.wall_s:8.2f} s  (kernels' CPU {self.children_cpu_s:5.1f} s{traced})"


def measure(label: str, fn: Callable[[], Any], *, trace: bool = False) -> tuple[Measurement, Any]:
    """Run ``fn`` once and time it (``trace``: also tracemalloc's peak, which slows the run: never for time
    figures). ``ru_maxrss`` values are process-lifetime peaks: run one case per process (``run_isolated``)."""
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


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (from ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """``(PSS, RSS)`` of one process in kB (0, 0 when it is gone)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {ln.split(":")[0]: int(ln.split()[1]) for ln in text.splitlines()[1:] if ln.split()[-1] == "kB"}
    return values.get("Pss", 0), values.get("Rss", 0)


@dataclass
class Memory:
    """Peaks over a run, in MB: the sum over this process and its descendants (PSS and RSS), the largest single
    process (RSS), and how many processes were seen at most."""

    label: str
    wall_s: float
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    largest_rss_mb: float = 0.0
    processes: int = 0

    def line(self) -> str:
        return (
            f"{self.label:<40} peak {self.peak_pss_mb:6.0f} MB PSS ({self.peak_rss_mb:6.0f} MB RSS) over up to "
            f"{self.processes} processes; largest process {self.largest_rss_mb:5.0f} MB RSS  (memory run, {self.wall_s:.1f} s)"
        )


def measure_memory(label: str, fn: Callable[[], Any], every: float = 0.05) -> tuple[Memory, Any]:
    """Run ``fn`` while sampling the memory of this process tree (see the module docstring)."""
    me = os.getpid()
    mem = Memory(label, 0.0)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            pids = _descendants(me)
            got = [_memory_kb(p) for p in pids]
            mem.peak_pss_mb = max(mem.peak_pss_mb, sum(g[0] for g in got) / 1024)
            mem.peak_rss_mb = max(mem.peak_rss_mb, sum(g[1] for g in got) / 1024)
            mem.largest_rss_mb = max(mem.largest_rss_mb, max((g[1] for g in got), default=0) / 1024)
            mem.processes = max(mem.processes, sum(1 for g in got if g[1]))
            stop.wait(every)

    watcher = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    watcher.start()
    try:
        result = fn()
    finally:
        stop.set()
        watcher.join()
        mem.wall_s = time.perf_counter() - start
    return mem, result


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


def run_isolated(
    script: Path,
    *args: str,
    timeout: float = 1800,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    """Run ``script --json args`` in a fresh interpreter; return the JSON object it prints last."""
    done = subprocess.run(
        [sys.executable, str(script), *args, "--json"],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"{script.name} {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
    return json.loads(lines[-1])


def emit(obj: Any) -> None:
    """Print ``obj`` as the one-line JSON that ``run_isolated`` reads."""
    print(json.dumps(obj if not isinstance(obj, Measurement) else asdict(obj), default=str))


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes (other work slows every figure)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


__all__ = ["free_port", "server_misses", "snapshot_server"]
