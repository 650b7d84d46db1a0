"""Emergence profiles on the real data: 2,102 upstream Portland-area sightings x the NOAA Portland record."""

from __future__ import annotations

import pandas as pd
import pytest

from butterfly_lib.analysis.real_profiles import real_emergence_profiles
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DegreeDays


@pytest.fixture(scope="module")
def result():
    upstream = pd.read_csv("data/upstream-site/sightings.csv")
    noaa = pd.read_csv("data/noaa/USW00024229_portland_airport_1940-2024.csv").rename(
        columns={"DATE": "date", "TMAX": "tmax_f", "TMIN": "tmin_f"}
    )
    return real_emergence_profiles(upstream, noaa, DegreeDays())


def test_real_profiles(result):
    profiles, coverage = result
    assert 15 <= len(profiles) <= 35
    assert coverage["sightings"] == 2102
    # 2025-2026 sightings (after 2024-12-09) have no NOAA degree days; they are counted, not dropped silently
    assert coverage["outside_record"] > 0
    assert coverage["with_degree_days"] + coverage["outside_record"] + coverage["gap_in_record"] == 2102
    for prefix in ("dd", "rel_dd", "first_dd"):
        assert (profiles[f"{prefix}_p10"] <= profiles[f"{prefix}_p50"]).all()
        assert (profiles[f"{prefix}_p50"] <= profiles[f"{prefix}_p90"]).all()
    assert (profiles["n_sightings"] >= 20).all() and (profiles["n_years"] >= 3).all()
    by = profiles.set_index("scientific_name")
    # early fliers (overwintering adults, spring azure) have low p10; the late-summer skipper a high one
    assert by.loc["Nymphalis antiopa", "dd_p10"] < 150
    assert by.loc["Celastrina echo", "dd_p10"] < 200
    assert by.loc["Ochlodes sylvanoides", "dd_p10"] > 1200
    assert (
        by.loc["Celastrina echo", "dd_p50"]
        < by.loc["Papilio rutulus", "dd_p50"]
        < by.loc["Ochlodes sylvanoides", "dd_p50"]
    )
    assert provenance_of(profiles).kind == "derived"
