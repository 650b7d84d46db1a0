"""The pages in LIVE mode, end to end: every notebook runs through the runner against a replay server that
answers with the snapshot's recorded responses (the network stand-in), through the real session and clients.

A cold run fills an empty cache with exactly the requests the pages need; a warm run makes none.
"""

from __future__ import annotations

import nbformat
import pytest

from benchmarks.harness import server_misses, snapshot_server
from benchmarks.refresh import notebook_refresh
from butterfly_lib.snapshot import SNAPSHOT_AS_OF

pytestmark = pytest.mark.slow


def test_every_page_runs_live_and_a_warm_run_asks_nothing(tmp_path):
    cache, pages = tmp_path / "cache.sqlite", tmp_path / "pages"
    with snapshot_server(latency=0.0) as server:
        cold = notebook_refresh(server, cache, pages, as_of=SNAPSHOT_AS_OF.isoformat())
        cold_requests = len(server.requests)
        assert server_misses(server) == []
        warm = notebook_refresh(server, cache, pages, as_of=SNAPSHOT_AS_OF.isoformat())
        assert len(server.requests) == cold_requests  # everything fresh: zero requests
    names = [p.name for p in cold.pages]
    assert names == ["forecast", "species", "sightings_map", "degree_days", "emergence", "methods"]
    assert len(warm.pages) == len(cold.pages) and cold_requests >= 20
    nb = nbformat.read(str(pages / "forecast.ipynb"), as_version=4)
    outputs = " ".join(
        str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
    )
    assert "offline snapshot" not in outputs and "· live" in outputs  # a live page says so, with no snapshot banner
    for name in ("forecast", "species", "degree_days", "emergence"):
        assert (pages / f"{name}-summary.json").exists()
