"""Smoke test of ``benchmarks/``: the scripts import, and their request counting and measuring work on a tiny case.

The benchmarks themselves are not part of pass/fail (they print figures; ``make bench``). Here one real recorded
forecast from the offline snapshot is served by the replay server: a cold call must count one request for its
source, a warm call none, and both counters (``REQUEST_LOG`` in-process, arrivals at the server) must agree.
"""

from __future__ import annotations

import importlib
from collections import Counter
from datetime import date

import pandas as pd
import pytest

from benchmarks import harness, refresh
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from tools.snapshot_server import add_manifest_routes, server_misses

MODULES = (
    "harness",
    "refresh",
    "outputs",
    "baseline",
    "bench_refresh",
    "bench_build",
    "bench_places",
    "bench_degree_days",
    "bench_record",
    "bench_emergence",
    "run_all",
)


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_scripts_import(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert module.__doc__


def test_request_counting_cold_then_warm(replay, point_sources_at, session):
    from butterfly_lib.sources.open_meteo import forecast_daily

    assert add_manifest_routes(replay) > 0
    point_sources_at(replay)

    cold, frame = harness.count_requests(lambda: forecast_daily(PORTLAND, session=session))
    assert cold == {"open_meteo_forecast": 1}
    assert len(frame) == 16
    assert harness.server_counts(replay) == {"open_meteo_forecast": 1}
    assert server_misses(replay) == []
    latlon = (PORTLAND.latitude, PORTLAND.longitude)
    assert refresh.by_endpoint(refresh.log_requests(), latlon) == Counter(
        {("open_meteo_forecast", "forecast daily"): 1}
    )

    warm, _ = harness.count_requests(lambda: forecast_daily(PORTLAND, session=session))
    assert warm == {}
    assert len(replay.requests) == 1


def test_unrecorded_request_is_a_miss(replay, point_sources_at, session):
    from butterfly_lib.errors import SourceError
    from butterfly_lib.place import Place
    from butterfly_lib.sources.open_meteo import forecast_daily

    add_manifest_routes(replay)
    point_sources_at(replay)
    elsewhere = Place("Bend, Oregon", 44.06, -121.31, timezone="America/Los_Angeles")
    with pytest.raises(SourceError):
        forecast_daily(elsewhere, session=session)
    assert server_misses(replay)


def test_measure_times_without_tracing_and_memory_is_sampled_in_its_own_run():
    m, value = harness.measure("allocate", lambda: bytearray(5_000_000))
    assert len(value) == 5_000_000
    assert m.wall_s > 0 and m.traced_peak_mb == 0  # nothing watches a timed run

    def hold() -> bytearray:
        block = bytearray(80_000_000)
        block[::4096] = b"x" * len(block[::4096])  # touch every page
        import time

        time.sleep(0.3)
        return block

    mem, _ = harness.measure_memory("hold 80 MB", hold)
    assert mem.peak_rss_mb >= 80 and mem.peak_pss_mb >= 70 and mem.processes >= 1


def test_minimum_requests_on_a_tiny_refresh():
    data = {
        "sightings": pd.DataFrame(
            {
                "latitude": [45.52] * 201 + [45.9],
                "longitude": [-122.68] * 201 + [-122.1],
                "observed_on": ["2020-06-10"] * 201 + ["2019-05-31"],
            }
        ),
        "species_week": pd.DataFrame({"taxon_id": range(501)}),
        "species_year": pd.DataFrame({"taxon_id": range(3)}),
        "seasonality": {1: None, 2: None},
    }
    params = {"as_of_date": date(2026, 6, 13), "days_back": 14, "days_ahead": 7}  # May 30 .. June 20
    assert refresh.window_months(params["as_of_date"], 14, 7) == [5, 6]
    m = refresh.minimum_requests(data, params, taxa_ids=31)
    assert m[("inaturalist", "observations")] == 3  # June: 201 -> 2 pages; May: 1 -> 1 page
    assert m[("inaturalist", "species_counts")] == 1  # this year 1 page; the week's grouped from observations
    assert m[("inaturalist", "histogram")] == 2
    assert m[("inaturalist", "taxa (family names)")] == 2
    assert m[("open_meteo_forecast", "forecast 15-minute")] == 0  # in the daily forecast's request
    assert m[("open_meteo_archive", "archive: sighting cells")] == 1  # two grid cells, one request
    assert sum(m.values()) == 3 + 1 + 2 + 2 + 1 + 4
    assert set(m) == set(refresh.MINIMUM_RULES)  # every endpoint's minimum has its reason


def test_places_start_with_the_site_place():
    ps = refresh.places(3)
    assert len(ps) == 3 and len({p["place_name"] for p in ps}) == 3
    assert ps[0]["place_name"] == refresh.site_parameters()["places"][0]["place_name"]


def test_degree_day_scaling_runs_on_a_tiny_case():
    from benchmarks import bench_degree_days

    rows = bench_degree_days.scaling((2,))
    assert rows[0]["locations"] == 2 and rows[0]["days"] == 2 * 10958
    assert rows[0]["daily_s"] > 0


def test_above_minimum_lists_only_endpoints_off_the_minimum_each_with_a_reason():
    from benchmarks.bench_refresh import above_lines, floor_seconds

    cold = {"requests": {"noaa|daily summaries": 1, "open_meteo_archive|archive: sighting cells": 8}}
    ip = {"minimum": {"noaa|daily summaries": 1, "open_meteo_archive|archive: sighting cells": 1}}
    lines = above_lines(cold, ip)
    assert "sighting cells: 8 requests, minimum 1, +7: one request per sighting year" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("- live runs")
    assert floor_seconds(15) == 14.2 and floor_seconds(0) == 0.0


def test_output_fingerprints_ignore_the_moment_of_the_run(tmp_path):
    from benchmarks import outputs

    (tmp_path / "a-provenance.json").write_text(
        '{"datasets": [{"fetched_at": "2026-01-01T00:00", "url": "u"}]}'
    )
    (tmp_path / "a-table.csv").write_text("x\n1\n")
    first = outputs.fingerprint(tmp_path)
    (tmp_path / "a-provenance.json").write_text(
        '{"datasets": [{"fetched_at": "2026-02-02T09:09", "url": "u"}]}'
    )
    assert outputs.fingerprint(tmp_path) == first
    (tmp_path / "a-table.csv").write_text("x\n2\n")
    assert outputs.fingerprint(tmp_path) != first


def test_emergence_benchmark_names_what_each_request_was_for():
    from benchmarks.bench_emergence import endpoint

    assert endpoint("/inaturalist/observations", {"order_by": "id"}) == "record: pages"
    assert endpoint("/inaturalist/observations", {"updated_since": "x"}) == "record: updates"
    assert endpoint("/inaturalist/observations", {"only_id": "true"}) == "record: id census"
    assert endpoint("/inaturalist/observations/histogram", {"interval": "year"}) == "record: per-year counts"
    assert endpoint("/inaturalist/observations/histogram", {"interval": "week"}) == "effort: insects per week"
    assert endpoint("/open_meteo_archive/archive", {"models": "era5_land"}) == "cells: ERA5-Land"
    assert endpoint("/open_meteo_archive/archive", {}) == "place temperatures"
    assert (
        refresh.endpoint_of("open_meteo_archive", "/archive", {"models": "era5_land"}, (0, 0))
        == "archive: record cells (ERA5-Land)"
    )
