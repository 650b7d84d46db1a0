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

MODULES = ("harness", "refresh", "bench_refresh", "bench_build", "bench_degree_days", "bench_record", "bench_emergence",
           "run_all")


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


def test_measure_reports_time_and_memory():
    m, value = harness.measure("allocate", lambda: bytearray(5_000_000))
    assert len(value) == 5_000_000
    assert m.wall_s > 0
    assert m.traced_peak_mb >= 4.9
    assert m.parent_maxrss_mb > 0


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
    assert m[("inaturalist", "species_counts")] == 5  # 501 -> 2 pages in each of 2 months; this year 1 page
    assert m[("inaturalist", "histogram")] == 2
    assert m[("inaturalist", "taxa (family names)")] == 2
    assert m[("open_meteo_archive", "archive: sighting cells")] == 1  # two grid cells, one request
    assert sum(m.values()) == 3 + 5 + 2 + 2 + 1 + 5


def test_places_start_with_the_site_place():
    ps = refresh.places(3)
    assert len(ps) == 3 and len({p["place_name"] for p in ps}) == 3
    assert ps[0]["place_name"] == refresh.site_parameters()["places"][0]["place_name"]


def test_degree_day_scaling_runs_on_a_tiny_case():
    from benchmarks import bench_degree_days

    rows = bench_degree_days.scaling((2,))
    assert rows[0]["locations"] == 2 and rows[0]["days"] == 2 * 10958
    assert rows[0]["daily_s"] > 0


def test_over_minimum_lists_only_endpoints_off_the_minimum():
    from benchmarks.run_all import over_minimum

    refresh_figures = {
        "cold": {"requests": {"noaa|daily summaries": 1, "open_meteo_archive|archive: sighting cells": 8}},
        "inprocess": {
            "minimum": {"noaa|daily summaries": 1, "open_meteo_archive|archive: sighting cells": 1}
        },
    }
    lines = over_minimum(refresh_figures)
    assert len(lines) == 1 and "sighting cells: 8 requests, minimum 1" in lines[0]


def test_emergence_benchmark_names_what_each_request_was_for():
    from benchmarks.bench_emergence import endpoint

    assert endpoint("/inaturalist/observations", {"order_by": "id"}) == "record: pages"
    assert endpoint("/inaturalist/observations", {"updated_since": "x"}) == "record: updates"
    assert endpoint("/inaturalist/observations", {"only_id": "true"}) == "record: id census"
    assert endpoint("/inaturalist/observations/histogram", {"interval": "year"}) == "record: per-year counts"
    assert endpoint("/inaturalist/observations/histogram", {"interval": "week"}) == "effort: insects per week"
    assert endpoint("/open_meteo_archive/archive", {"models": "era5_land"}) == "cells: ERA5-Land"
    assert endpoint("/open_meteo_archive/archive", {}) == "place temperatures"
    assert refresh.endpoint_of("open_meteo_archive", "/archive", {"models": "era5_land"}, (0, 0)) == \
        "archive: record cells (ERA5-Land)"
