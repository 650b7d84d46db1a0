"""The pages in LIVE mode, end to end: every notebook of two overlapping places runs through the runner against a
replay server that answers with the snapshot's recorded responses (the network stand-in), through the real
session and clients.

The runner's prefetch fills an empty cache with the requests the pages need, pooled across the two places; the
kernels then render every page from that cache and ask nothing, which is what a warm run does (a second run
within the cache's freshness sends the same builders to the same fresh cache).
"""

from __future__ import annotations

import json
import warnings
from collections import Counter
from dataclasses import replace

import nbformat
import pytest

from benchmarks.refresh import bench_settings
from butterfly_lib.pages import PAGES
from butterfly_lib.site.modes import ModeChoice
from butterfly_lib.site.runner import run_pages
from tools.snapshot import SNAPSHOT_AS_OF
from tools.snapshot_server import server_misses, snapshot_server

pytestmark = pytest.mark.slow


def test_every_page_of_two_places_runs_live_fetched_once_and_rendered_from_the_cache(tmp_path):
    pages = tmp_path / "pages"
    with snapshot_server(0.0, any_place=True) as server:  # the server plays back the snapshot's day
        settings = bench_settings(server, tmp_path / "cache.sqlite", pages, n_places=2,
                                  as_of=SNAPSHOT_AS_OF.isoformat())  # fmt: skip
        settings = settings.with_(http=replace(settings.http, rate_limits=()))  # no waiting in a test
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = run_pages(ModeChoice(settings, "test: replay server"), log=lambda _m: None)
        assert server_misses(server) == []
        inat = [r for r in server.requests if r.path.startswith("/inaturalist/")]
        sent = len(server.requests)
    first, second = settings.places
    assert [(r.place, r.name) for r in result.pages] == [
        (p.name, name) for p in (first, second) for name in PAGES
    ]
    assert sent >= 20

    # every kernel rendered from the cache the prefetch filled: each page's own request log shows cache hits only.
    # The one allowed exception is the product's rule for a failed cache write (reported, asked again next
    # time): under heavy load a prefetch write can find the cache locked, and then a kernel asks that again.
    unsaved = Counter(
        str(w.message).split(":")[0] for w in caught if "not saved to the request cache" in str(w.message)
    )
    asked: Counter[str] = Counter()
    for run in result.pages:
        prov = json.loads((run.notebook.parent / f"{run.name}-provenance.json").read_text())
        for row in prov["requests"]:
            asked[row["source"]] += row["requests"]
            assert row["requests"] == 0 or unsaved[row["source"]], (run.place, run.name, prov["requests"])
        if run.name in ("forecast", "species", "degree_days", "emergence"):
            assert (run.notebook.parent / f"{run.name}-summary.json").exists(), (run.place, run.name)
    assert all(n <= unsaved[source] for source, n in asked.items()), (asked, unsaved)

    # pooled: the 12 week-of-year histograms once for both places; species counts per place (3 each: their
    # leaf-taxon counts cannot be split by distance)
    week_of_year = [
        r for r in inat if r.path.endswith("/histogram") and r.query.get("interval") == "week_of_year"
    ]
    again = asked["inaturalist"]  # asked again by a kernel after a failed write (0 unless the cache was locked)
    assert 12 <= len(week_of_year) <= 12 + again
    assert 6 <= len([r for r in inat if r.path.endswith("/species_counts")]) <= 6 + again
    species = next(r for r in result.pages if r.place == second.name and r.name == "species")
    prov = json.loads((species.notebook.parent / "species-provenance.json").read_text())
    assert any("overlapping places" in d["notice"] for d in prov["datasets"])

    # a live page says so, with no snapshot banner
    forecast = next(r for r in result.pages if r.place == first.name and r.name == "forecast")
    nb = nbformat.read(str(forecast.notebook), as_version=4)
    outputs = " ".join(
        str(o.get("data", {}).get("text/html", "")) + str(o.get("text", "")) for c in nb.cells for o in c.get("outputs", [])
    )
    assert "offline snapshot" not in outputs.lower() and "Live data" in outputs and "<b>Built</b> live" in outputs
