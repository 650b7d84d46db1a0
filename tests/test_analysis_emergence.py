"""Emergence profiles, hindcast and forecast: known answer on a simulated scenario over the real NOAA Portland
record, and edge cases (one sighting, a year without data, obscured coordinates, a window across New Year)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import normals, source_degree_days
from butterfly_lib.analysis.emergence import (
    circular_day_quantiles,
    emergence_profiles,
    sighting_degree_days,
    weekly_relative_frequency,
)
from butterfly_lib.analysis.emergence_forecast import (
    emergence_windows,
    flying_counts,
    season_projection,
)
from butterfly_lib.analysis.hindcast import hindcast, hindcast_summary
from butterfly_lib.analysis.real_profiles import noaa_cum_dd
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DegreeDays
from tools.simulate import planted_windows, simulate_sightings

NOAA = "data/noaa/USW00024229_portland_airport_1940-2024.csv"


@pytest.fixture(scope="module")
def noaa() -> pd.DataFrame:
    raw = pd.read_csv(NOAA)
    return raw.rename(columns={"DATE": "date", "TMAX": "tmax_f", "TMIN": "tmin_f"})[
        ["date", "tmax_f", "tmin_f"]
    ]


@pytest.fixture(scope="module")
def cum(noaa) -> pd.Series:
    return noaa_cum_dd(noaa, DegreeDays())


@pytest.fixture(scope="module")
def simulated(noaa, cum):
    sightings = simulate_sightings(noaa, seed=7)
    return sightings, sighting_degree_days(sightings, cum)


def test_simulator_is_labelled_and_reproducible(noaa, simulated):
    sightings, _ = simulated
    assert sightings.attrs["simulated"] is True
    assert provenance_of(sightings).kind == "simulated"
    assert sightings["common_name"].str.endswith("(simulated)").all()
    again = simulate_sightings(noaa, seed=7)
    pd.testing.assert_frame_equal(sightings, again)
    per_year = pd.to_datetime(sightings["observed_on"]).dt.year.value_counts().sort_index()
    assert per_year.iloc[-5:].mean() > 5 * per_year.iloc[:5].mean()  # effort grows over the years


def test_profiles_recover_planted_windows(simulated):
    """Known answer. Tolerance: 10 % of the planted value + 15 DD (a sighting is dated by the end-of-day
    accumulation, up to ~30 DD after the moment it stands for, and Poisson noise on a few hundred sightings)."""
    _, with_dd = simulated
    profiles = emergence_profiles(with_dd).set_index("scientific_name")
    truth = planted_windows().set_index("scientific_name")
    assert set(profiles.index) == set(truth.index)
    for q in ("dd_p10", "dd_p50", "dd_p90"):
        error = (profiles.loc[truth.index, q] - truth[q]).abs()
        assert (error <= 0.10 * truth[q] + 15).all(), error
    assert (profiles["dd_p10"] <= profiles["dd_p50"]).all() and (
        profiles["dd_p50"] <= profiles["dd_p90"]
    ).all()
    assert not profiles["crosses_new_year"].any()
    assert (profiles["week_start"] <= profiles["week_end"]).all()


def test_hindcast_beats_calendar_on_planted_scenario(simulated, cum):
    _, with_dd = simulated
    for target in ("first", "p10"):
        predictions = hindcast(with_dd, cum, target=target)
        summary = hindcast_summary(predictions).set_index("scientific_name")
        overall = summary.loc["(all species)"]
        assert overall["n_seasons"] >= 6 * 30
        assert overall["dd_mae_days"] < overall["calendar_mae_days"], summary
        assert summary["dd_better"].sum() >= 5


def test_hindcast_is_leave_one_out(simulated, cum):
    _, with_dd = simulated
    p = hindcast(with_dd, cum, target="first")
    g = p[p["scientific_name"] == "Papilio rutulus"].reset_index(drop=True)
    others = g["observed_doy"].drop(index=0)
    assert g.loc[0, "calendar_predicted_doy"] == np.median(others)
    assert g.loc[0, "dd_target"] == np.median(g["observed_dd"].drop(index=0))


def test_species_with_one_sighting(cum):
    one = pd.DataFrame(
        {"id": [1], "scientific_name": ["Lonely one"], "common_name": ["Lonely"], "taxon_id": [5],
         "observed_on": [pd.Timestamp("2010-05-20").date()], "latitude": [45.5], "longitude": [-122.6],
         "obscured": [False]}
    )  # fmt: skip
    with_dd = sighting_degree_days(one, cum)
    assert emergence_profiles(with_dd).empty  # below the default thresholds
    p = emergence_profiles(with_dd, min_sightings=1, min_years=1)
    row = p.iloc[0]
    assert row["dd_p10"] == row["dd_p50"] == row["dd_p90"] == with_dd["cum_dd"].iloc[0]
    assert (
        row["week_start"] == row["week_peak"] == row["week_end"] == 20
    )  # 20 May = day 140, week 20 (days 134-140)
    assert hindcast(with_dd, cum, min_sightings=1, min_years=1).empty  # no other season to learn from


def test_year_without_data_and_outside_record(simulated, cum):
    _, with_dd = simulated
    sightings = with_dd.drop(columns=["day", "season", "doy", "week", "cum_dd", "dd_source"])
    holed = cum.copy()
    holed[(holed.index.year == 2000)] = np.nan  # a season with no temperatures at all
    late = sightings.iloc[:3].assign(observed_on=pd.Timestamp("2025-06-01").date())
    result = sighting_degree_days(pd.concat([sightings, late], ignore_index=True), holed)
    in_2000 = result["season"] == 2000
    assert result.loc[in_2000, "cum_dd"].isna().all()
    assert (result.loc[in_2000, "dd_source"] == "none (gap in the temperature record)").all()
    assert result.attrs["coverage"]["none (outside the temperature record)"] == 3
    profiles = emergence_profiles(result)
    assert (profiles["n_without_dd"] > 0).all()
    assert profiles["dd_p50"].notna().all()
    summary = hindcast_summary(hindcast(result, holed))
    assert 2000 not in hindcast(result, holed)["season"].tolist()
    assert summary["n_seasons"].iloc[-1] > 0


def test_obscured_coordinates_fall_back_to_place_and_say_so(cum):
    days = pd.to_datetime(["2015-04-01", "2015-04-01", "2015-04-02"])
    sightings = pd.DataFrame(
        {"scientific_name": ["A", "A", "A"], "observed_on": days.date, "latitude": [45.51, 45.52, 45.88],
         "longitude": [-122.61, -122.62, -122.2], "obscured": [False, True, False]}
    )  # fmt: skip
    local = pd.DataFrame(
        {"grid_lat": [45.5], "grid_lon": [-122.6], "date": [pd.Timestamp("2015-04-01")], "cum_dd": [999.0]}
    )
    local.attrs["resolution_deg"] = 0.1
    out = sighting_degree_days(sightings, cum, local_cum=local)
    assert out["dd_source"].tolist() == ["cell", "place (coordinates obscured)", "place (no cell series)"]
    assert out["cum_dd"].iloc[0] == 999.0
    assert out["cum_dd"].iloc[1] == cum.loc["2015-04-01"]


def test_window_across_new_year():
    doy = np.r_[np.arange(350, 366), np.arange(1, 20)]
    days, crosses = circular_day_quantiles(doy, np.ones(doy.size))
    assert crosses and days[0] >= 350 and days[-1] <= 20
    # profile level: a winter flier, sighted late December to mid January over four seasons
    dates = [pd.Timestamp(f"{y}-12-{d}") for y in range(2010, 2014) for d in (20, 24, 28)]
    dates += [pd.Timestamp(f"{y}-01-{d}") for y in range(2011, 2015) for d in (3, 8, 12)]
    sightings = pd.DataFrame({"scientific_name": "Winter flier", "observed_on": [d.date() for d in dates]})
    cum = pd.Series(1.0, index=pd.date_range("2009-01-01", "2015-12-31")).cumsum()
    cum.attrs["biofix"] = "01-01"
    p = emergence_profiles(sighting_degree_days(sightings, cum), min_sightings=5, min_years=2).iloc[0]
    assert p["crosses_new_year"] and not p["dd_reliable"]
    assert p["week_start"] >= 51 and p["week_end"] <= 2


def test_relative_frequency_rows_sum_to_one(simulated):
    _, with_dd = simulated
    rel = weekly_relative_frequency(with_dd)
    sums = rel.sum(axis=0)
    assert np.allclose(sums[sums > 0], 1.0)


def test_forecast_windows_and_status(simulated, cum, noaa):
    _, with_dd = simulated
    profiles = emergence_profiles(with_dd)
    norm = normals(cum, period=(1991, 2020))
    as_of = pd.Timestamp("2023-06-01")  # 686.5 DD in the real record
    this = cum.loc["2023-01-01":as_of]
    days = pd.date_range(as_of + pd.Timedelta(days=1), periods=16).tz_localize("America/Los_Angeles")
    fc = pd.DataFrame({"date": days, "tmax_c": 22.0, "tmin_c": 10.0})  # 71.6/50 °F: 10.8 DD a day
    fdd = source_degree_days(fc, DegreeDays())
    assert np.allclose(fdd.to_numpy(), 10.8)
    proj = season_projection(this, fdd, norm, as_of)
    assert (proj["cum_dd_low"] <= proj["cum_dd_mid"]).all() and (
        proj["cum_dd_mid"] <= proj["cum_dd_high"]
    ).all()
    assert proj["cum_dd_mid"].is_monotonic_increasing
    assert (proj["part"] == "forecast").sum() == 16
    assert proj.loc[proj["date"] == as_of + pd.Timedelta(days=16), "cum_dd_mid"].iloc[0] == pytest.approx(
        this.iloc[-1] + 16 * 10.8
    )
    windows = emergence_windows(profiles, proj, within_days=21).set_index("scientific_name")
    now = this.iloc[-1]
    for name, row in windows.iterrows():
        p = profiles.set_index("scientific_name").loc[name]
        if now >= p["dd_p90"]:
            assert row["status"] == "season over"
        elif now >= p["dd_p10"]:
            assert row["status"] == "flying now"
        else:
            assert row["status"] in ("expected soon", "later")
            assert row["window_start"] > as_of and row["earliest_start"] <= row["window_start"]
            assert row["window_end"] >= row["window_start"]
            if row["status"] == "expected soon":
                assert row["status_text"].startswith("expected within 21 days (")
    assert windows.loc["Nymphalis antiopa", "status"] == "season over"  # planted 103-257 DD
    assert windows.loc["Papilio rutulus", "status"] == "flying now"  # planted 569-1031
    assert windows.loc["Ochlodes sylvanoides", "status"] == "later"
    assert set(windows["status"]) == {"season over", "flying now", "expected soon", "later"}
    counts = flying_counts(profiles, proj)
    assert counts.max() <= len(profiles) and counts.loc[as_of] >= 1
