"""The pages in LIVE mode, end to end: every notebook runs through the runner against a replay server that
answers with the snapshot's recorded responses (the network stand-in), through the real session and clients.

A cold run fills an empty cache with exactly the requests the pages need; a warm run makes none.
"""

from __future__ import annotations

from dataclasses import replace

import nbformat
import pytest

from butterfly_lib.pages import PAGES
from butterfly_lib.settings import Paths, load_settings
from butterfly_lib.site.modes import ModeChoice
from butterfly_lib.site.runner import run_pages
from tools.snapshot import SNAPSHOT_AS_OF
from tools.snapshot_server import endpoints, server_misses, snapshot_server

pytestmark = pytest.mark.slow


def test_every_page_runs_live_and_a_warm_run_asks_nothing(tmp_path):
    cache, pages = tmp_path / "cache.sqlite", tmp_path / "pages"
    with snapshot_server(latency=0.0) as server:
        settings = load_settings(env={}, as_of=SNAPSHOT_AS_OF, today=SNAPSHOT_AS_OF)  # the server plays back that day
        settings = settings.with_(
            paths=replace(settings.paths, pages_dir=pages, cache_file=cache, record_root=tmp_path / "record"),
            http=replace(settings.http, cache_file=cache, endpoints=tuple(endpoints(server).items()), rate_limits=()),
        )
        assert isinstance(settings.paths, Paths)
        choice = ModeChoice(settings, "test: replay server")
        cold = run_pages(choice, log=lambda _m: None)
        cold_requests = len(server.requests)
        assert server_misses(server) == []
        warm = run_pages(choice, log=lambda _m: None)
        assert len(server.requests) == cold_requests  # everything fresh: zero requests
    assert [p.name for p in cold.pages] == list(PAGES)
    assert len(warm.pages) == len(cold.pages) and cold_requests >= 20
    nb = nbformat.read(str(pages / "forecast.ipynb"), as_version=4)
    outputs = " ".join(
        str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
    )
    # a live page says so, with no snapshot banner
    assert "offline snapshot" not in outputs.lower() and "Live data" in outputs and "<b>Built</b> live" in outputs
    for name in ("forecast", "species", "degree_days", "emergence"):
        assert (pages / f"{name}-summary.json").exists()
