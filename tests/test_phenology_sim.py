"""Known-answer test: the pipeline recovers planted degree-day windows from simulated sightings over the real
Portland temperatures, with effort growing tenfold, busier weekends, a summer crowd and a six-week gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import normals
from butterfly_lib.analysis.emergence_forecast import season_projection
from butterfly_lib.analysis.phenology import (
    STATUSES,
    detect_broods,
    effort_weights,
    hindcast,
    pooled_percentiles,
    sampling_gaps,
    season_windows,
    skill_summary,
    species_status,
    yearly_percentiles,
)
from butterfly_lib.provenance import provenance_of
from tools.phenology_sim import simulate

#: its tests share a module fixture costly to build: one worker runs them all (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_phenology_sim")


@pytest.fixture(scope="module")
def sim():
    return simulate()


@pytest.fixture(scope="module")
def broods(sim):
    return detect_broods(sim.sightings, effort_weights(sim.sightings, sim.effort)["w_pooled"])


@pytest.fixture(scope="module")
def pooled(sim, broods):
    return {
        corrected: pooled_percentiles(sim.sightings, sim.effort, broods=broods, place_cum_dd=sim.place_cum_dd,
                                      correct_effort=corrected, n_boot=200, seed=1)  # fmt: skip
        for corrected in (True, False)
    }


@pytest.fixture(scope="module")
def yearly(sim, broods):
    return yearly_percentiles(sim.sightings, sim.effort, broods=broods, place_cum_dd=sim.place_cum_dd,
                              n_boot=200, seed=2)  # fmt: skip


def _p10(frame, planted):
    dd = frame[(frame["scale"] == "dd") & (frame["percentile"] == 10)]
    return dd.merge(planted, on=["scientific_name", "brood"], how="inner")


def test_simulation_is_labelled_and_has_the_scenario(sim):
    assert provenance_of(sim.sightings).kind == "simulated"
    assert sim.sightings.attrs["simulated"] and sim.effort.attrs["simulated"]
    years = pd.to_datetime(sim.sightings["observed_on"]).dt.year
    per_year = years.value_counts().sort_index()
    assert per_year.iloc[-1] > 5 * per_year.iloc[0]  # effort grew (tenfold, less the season's noise)
    gap = (pd.to_datetime(sim.sightings["observed_on"]) >= pd.Timestamp(sim.gap[0])) & (
        pd.to_datetime(sim.sightings["observed_on"]) <= pd.Timestamp(sim.gap[1])
    )
    assert not gap.any()
    weekday = pd.to_datetime(sim.sightings["observed_on"]).dt.day_of_week
    assert (weekday >= 5).mean() > 2 / 7 + 0.1  # weekends busier


def test_the_six_week_gap_is_found_and_nothing_else(sim):
    gaps = sampling_gaps(sim.effort)
    assert len(gaps) == 1
    g = gaps.iloc[0]
    assert (g["start"].date(), g["end"].date(), g["weeks"]) == (sim.gap[0], sim.gap[1], 6)


def test_broods_are_found_where_planted(broods):
    b = broods.set_index("scientific_name")
    assert b.loc["Strymon melinus", "n_broods"] == 2
    for name in ("Papilio rutulus", "Ochlodes sylvanoides", "Celastrina echo"):
        assert b.loc[name, "n_broods"] == 1
    assert "several broods" in b.loc["Celastrina echo", "note"]  # the species table says variable


def test_pooled_tenth_percentiles_recover_the_planted_ones_within_50_degree_days(sim, pooled):
    got = _p10(pooled[True], sim.planted)
    assert len(got) == len(sim.planted) == 5
    err = got["estimate"] - got["dd_p10"]
    assert (err.abs() < 50).all(), got[["scientific_name", "brood", "estimate", "dd_p10"]]
    assert ((got["ci_low"] <= got["estimate"]) & (got["estimate"] <= got["ci_high"])).all()
    assert not got["censored"].any()  # one gap year out of ten holds too little weight


def test_without_effort_correction_the_summer_crowd_pulls_windows_towards_summer(sim, pooled):
    fixed = _p10(pooled[True], sim.planted).set_index(["scientific_name", "brood"])
    raw = _p10(pooled[False], sim.planted).set_index(["scientific_name", "brood"])
    err_fixed = (fixed["estimate"] - fixed["dd_p10"]).abs()
    err_raw = raw["estimate"] - raw["dd_p10"]
    # spring species come out late, the late-summer species early, each worse than corrected
    assert err_raw[("Celastrina echo", 1)] > 20 and err_raw[("Papilio rutulus", 1)] > 20
    assert err_raw[("Ochlodes sylvanoides", 1)] < -40
    for key in [("Celastrina echo", 1), ("Papilio rutulus", 1), ("Ochlodes sylvanoides", 1)]:
        assert err_fixed[key] < abs(err_raw[key])


def test_yearly_tenth_percentiles_where_the_data_allow(sim, yearly):
    got = _p10(yearly, sim.planted)
    good = got[(got["n"] >= 30) & ~got["censored"]]
    err = (good["estimate"] - good["dd_p10"]).abs()
    assert len(good) >= 25
    assert err.median() < 40
    assert (err < 50).mean() >= 0.75


def test_the_gap_species_season_is_censored_with_its_reason(sim, yearly):
    row = yearly[(yearly["scientific_name"] == "Papilio rutulus") & (yearly["year"] == 2019)
                 & (yearly["percentile"] == 10)]  # fmt: skip
    assert len(row) == 2 and row["censored"].all()
    assert row["censor_reason"].str.contains("sampling gap (2019-04-29 – 2019-06-09)", regex=False).all()
    other = yearly[(yearly["scientific_name"] == "Papilio rutulus") & (yearly["year"] != 2019)
                   & (yearly["percentile"] == 10)]  # fmt: skip
    assert not other["censored"].any()


def test_windows_and_one_status_per_species(sim, pooled, broods):
    cum = sim.place_cum_dd
    nm = normals(cum, period=(2015, 2023))
    as_of = pd.Timestamp("2024-06-01")
    proj = season_projection(cum[cum.index <= as_of], pd.Series(dtype=float, index=pd.DatetimeIndex([])), nm, as_of)
    win = season_windows(pooled[True], proj, broods=broods)
    assert len(win) == 5
    assert ((win["end"] - win["start"]).dt.days >= 6).all()
    assert ((win["start"] <= win["peak"]) & (win["peak"] <= win["end"])).all()
    assert (win["method"] == "degree days").all()
    st = species_status(win, as_of, projection=proj)
    assert st["scientific_name"].is_unique and len(st) == 4
    assert set(st["status"]) <= set(STATUSES)
    s = st.set_index("scientific_name")["status"]
    assert s["Papilio rutulus"] == "flying now"
    assert s["Strymon melinus"] == "between broods"
    assert s["Ochlodes sylvanoides"] == "later"


def test_hindcast_finds_degree_days_better_in_a_degree_day_world(sim, yearly):
    pred = hindcast(yearly, sim.place_cum_dd)
    assert set(pred["target"]) == {10, 50}
    summ = skill_summary(pred, n_boot=1000)
    overall = summ[summ["scientific_name"] == "(all species)"]
    assert (overall["difference_low"] > 0).all()
    assert overall["verdict"].str.startswith("degree days better").all()
    assert np.isfinite(summ["difference_low"]).all()
