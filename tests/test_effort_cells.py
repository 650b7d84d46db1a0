"""Observer effort (week histograms per year) and temperatures at each sighting's own ERA5-Land cell, through the
replay server with responses of the recorded shapes (``tools/inat_world.py``, ``tools/open_meteo_world.py``),
and the pure step that puts ``cum_dd`` on each sighting."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.sighting_degree_days import attach_cum_dd
from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.settings import DegreeDays
from butterfly_lib.sources.inaturalist.effort import observer_effort, parse_weeks, week_of
from butterfly_lib.sources.open_meteo.cells import (
    FREE_LIMITS,
    WeightBudget,
    cell_temperatures,
    plan_cells,
    plan_summary,
    request_weight,
)
from tools.inat_world import World, make_observation
from tools.open_meteo_world import ArchiveWorld, tmax_c, tmin_c
from tools.replay import Reply

SEATTLE = Place("Seattle, Washington", 47.61, -122.33, radius_km=40.0)
TODAY = date(2026, 6, 13)
TZ = "America/Los_Angeles"


@pytest.fixture
def worlds(replay, point_sources_at):
    point_sources_at(replay)
    return World().install(replay), ArchiveWorld().install(replay)


# ------------------------------------------------------------------------------------------------ effort


def test_week_numbers_start_with_the_monday_week_holding_1_january():
    w = week_of([date(2021, 1, 1), date(2020, 12, 31), date(2021, 1, 4), date(2012, 12, 31), date(2024, 6, 13)])
    assert w["year"].tolist() == [2021, 2020, 2021, 2012, 2024]
    assert w["week"].tolist() == [1, 53, 2, 54, 24]
    assert w["week_start"].tolist() == [date(2020, 12, 28), date(2020, 12, 28), date(2021, 1, 4), date(2012, 12, 31),
                                        date(2024, 6, 10)]  # fmt: skip


def test_effort_counts_reference_observations_per_year_and_week(worlds, replay, session):
    inat, _ = worlds
    days = [date(2021, 1, 1), date(2021, 1, 2), date(2021, 6, 7), date(2021, 6, 9), date(2022, 3, 3)]
    inat.add(*[make_observation(i + 1, day=d, lat=45.5, lng=-122.6, taxon_id=52381, name="Apis mellifera",
                                ancestry=[48460, 1, 47120, 372739, 47158]) for i, d in enumerate(days)])  # fmt: skip
    effort = observer_effort(PORTLAND, 2021, session=session, today=TODAY)

    assert list(effort.columns) == ["year", "week", "week_start", "days", "n_reference"]
    y21 = effort[effort["year"] == 2021].set_index("week")
    assert len(y21) == 53 and y21.loc[1, "days"] == 3 and y21.loc[1, "n_reference"] == 2  # Fri 1 .. Sun 3 Jan
    assert y21.loc[24, "week_start"] == date(2021, 6, 7) and y21.loc[24, "n_reference"] == 2
    assert y21["n_reference"].sum() == 4 and (y21.loc[2:23, "n_reference"] == 0).all()
    y26 = effort[effort["year"] == 2026]
    assert y26["week_start"].max() == date(2026, 6, 8) and y26["days"].iloc[-1] == 6  # through Sat 13 June
    assert effort.attrs["first_date"] == date(2021, 1, 1) and effort.attrs["last_date"] == TODAY

    sent = [r.query for r in replay.requests if r.path.endswith("/histogram")]
    assert len(sent) == 6  # one request per year, 2021..2026
    assert sent[0]["interval"] == "week" and sent[0]["date_field"] == "observed"
    assert sent[0]["taxon_id"] == "47158" and sent[0]["quality_grade"] == "research"
    assert (sent[0]["d1"], sent[0]["d2"]) == ("2021-01-01", "2021-12-31") and sent[-1]["d2"] == "2026-06-13"

    prov = provenance_of(effort)
    assert prov.parameters["requests"] == 6 and "weeks have no research-grade observation" in prov.notice
    again = observer_effort(PORTLAND, 2021, session=session, today=TODAY)
    assert len([r for r in replay.requests if r.path.endswith("/histogram")]) == 6, "cached: no new request"
    pd.testing.assert_frame_equal(again, effort)


def test_past_years_are_kept_forever_and_this_year_for_a_day(worlds, session):
    observer_effort(PORTLAND, years=[2024, 2026], session=session, today=TODAY)
    expiry = {("d1=2024" in r.url): r.expires for r in session.cache.responses.values()}
    assert expiry[True] is None, "a past year never expires"
    assert expiry[False] is not None, "this year is asked again after a day"


def test_effort_for_another_place_asks_its_circle(worlds, replay, session):
    observer_effort(SEATTLE, years=[2020], session=session, today=TODAY)
    q = [r.query for r in replay.requests if r.path.endswith("/histogram")][0]
    assert (q["lat"], q["lng"], q["radius"]) == ("47.61", "-122.33", "40.0")


def test_week_buckets_must_start_on_monday(worlds, replay, session):
    body = {"total_results": 1, "page": 1, "per_page": 1, "results": {"week": {"2021-06-08": 3}}}
    replay.add("/inaturalist/observations/histogram", Reply.json(body))
    with pytest.raises(SourceError, match="not a Monday"):
        observer_effort(PORTLAND, years=[2021], session=session, today=TODAY)
    with pytest.raises(SourceError, match="not a date"):
        parse_weeks({"results": {"week": {"week 3": 1}}}, "u")


def test_effort_bad_input(session):
    with pytest.raises(InvalidInput, match="years"):
        observer_effort(PORTLAND, years=[2030], today=TODAY, session=session)
    with pytest.raises(InvalidInput, match="first_year"):
        observer_effort(PORTLAND, today=TODAY, session=session)
    with pytest.raises(InvalidInput, match="reference_taxon_id"):
        observer_effort(PORTLAND, 2020, reference_taxon_id=-3, today=TODAY, session=session)


# ------------------------------------------------------------------------------------------------ weight and plan


def test_request_weight_follows_open_meteo():
    # Open-Meteo's own examples: 15 variables over 14 days = 1.5 calls, over 28 days = 3.0
    assert request_weight(1, 14, 15) == pytest.approx(1.5)
    assert request_weight(1, 28, 15) == pytest.approx(3.0)
    assert request_weight(1, 70) == 1.0 and request_weight(1, 365) == pytest.approx(365 / 70)
    assert request_weight(100, 10) == 100.0


def _sample(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "latitude": 45.52 + rng.uniform(-0.4, 0.4, n),
            "longitude": -122.68 + rng.uniform(-0.55, 0.55, n),
            "observed_on": [date(2011 + int(y), int(m), int(d)) for y, m, d in
                            zip(rng.integers(0, 15, n), rng.integers(2, 10, n), rng.integers(1, 28, n), strict=True)],
            "obscured": rng.random(n) < 0.05,
        }
    )  # fmt: skip


def test_plan_asks_only_cell_seasons_with_sightings_up_to_their_last_sighting():
    s = _sample()
    plan, skipped = plan_cells(s, today=TODAY)
    cells = s.assign(glat=np.round(s["latitude"] / 0.1) * 0.1, glon=np.round(s["longitude"] / 0.1) * 0.1,
                     year=pd.to_datetime(s["observed_on"]).dt.year)  # fmt: skip
    expected = cells.groupby(["year", cells["glat"].round(6), cells["glon"].round(6)])["observed_on"].max()
    asked = {(r.season, lat, lon): r.end for r in plan.itertuples() for lat, lon in r.cells}
    assert len(asked) == len(expected) == plan["n_cells"].sum()
    for (year, lat, lon), last in expected.items():
        end = asked[(year, round(lat, 6), round(lon, 6))]
        assert end >= last and end.month == last.month  # grouped by the month of the last sighting
    assert (plan["start"] == [date(y, 1, 1) for y in plan["season"]]).all()
    assert (plan["n_cells"] <= 100).all() and skipped.empty
    summary = plan_summary(plan)
    assert summary["weight"] < 0.9 * FREE_LIMITS["day"] and summary["days_at_free_limit"] == 1


def test_plan_skips_seasons_before_era5_land_and_honours_the_biofix():
    s = pd.DataFrame({"latitude": [45.5, 45.5], "longitude": [-122.6, -122.6],
                      "observed_on": [date(1948, 6, 1), date(2020, 2, 10)]})  # fmt: skip
    plan, skipped = plan_cells(s, today=TODAY, biofix="03-01")
    assert skipped["season"].tolist() == [1948] and "ERA5-Land" in skipped["reason"].iloc[0]
    assert plan["season"].tolist() == [2019] and plan["start"].tolist() == [date(2019, 3, 1)]
    with pytest.raises(InvalidInput, match="biofix"):
        plan_cells(s, today=TODAY, biofix="02-30")
    with pytest.raises(InvalidInput, match="max_locations"):
        plan_cells(s, today=TODAY, max_locations=500)


# ------------------------------------------------------------------------------------------------ fetch


def test_cell_temperatures_many_cells_per_request_with_elevation(worlds, session):
    _, archive = worlds
    s = _sample(50)
    cells = cell_temperatures(s, timezone=TZ, today=TODAY, session=session)
    plan = cells.attrs["plan"]
    assert cells.attrs["requests"] == len(plan) == len(archive.queries)
    q = archive.queries[0]
    assert q["models"] == "era5_land" and q["daily"] == "temperature_2m_max,temperature_2m_min"
    assert q["timezone"] == TZ and len(q["latitude"].split(",")) == plan["n_cells"].iloc[0]
    assert cells.attrs["weight"] == pytest.approx(sum(archive.weights))
    row = cells.iloc[10]
    day = row["date"].date()
    assert row["tmax_c"] == tmax_c(day, row["grid_lat"]) and row["tmin_c"] == tmin_c(day, row["grid_lat"])
    assert row["cell_elevation_m"] == pytest.approx(100 + 1000 * (row["grid_lat"] - 45.0), abs=0.1)
    assert provenance_of(cells).source == "open_meteo_archive"

    again = cell_temperatures(s, timezone=TZ, today=TODAY, session=session)
    assert again.attrs["requests"] == 0 and len(archive.queries) == len(plan), "past seasons never expire"


def test_budget_stops_before_the_daily_limit_and_says_which_cells_wait(worlds, session):
    s = _sample(200)
    budget = WeightBudget(per_day=60.0)
    cells = cell_temperatures(s, timezone=TZ, today=TODAY, session=session, budget=budget)
    assert budget.total() <= 60.0 and cells.attrs["weight"] == budget.total()
    skipped = cells.attrs["skipped"]
    assert len(skipped) and skipped["reason"].str.contains("daily weight budget").all()
    out = attach_cum_dd(s, cells, dd_rule=DegreeDays())
    assert out["dd_source"].str.startswith("none:cell not fetched: Open-Meteo daily weight budget").any()


def test_budget_paces_by_minute_without_real_sleeping():
    clock = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["t"] += seconds

    b = WeightBudget(per_minute=100.0, clock=lambda: clock["t"], sleep=sleep)
    for _ in range(3):
        b.wait_for(60.0)
        b.charge(60.0)
    assert len(slept) == 2 and sum(slept) == pytest.approx(120.0)


# ------------------------------------------------------------------------------------------------ cum_dd


def test_cum_dd_is_the_engines_accumulation_at_the_sightings_own_cell(worlds, session):
    s = pd.DataFrame({"id": [1, 2, 3], "latitude": [45.52, 45.91, 45.52], "longitude": [-122.68, -122.20, -122.68],
                      "observed_on": [date(2019, 6, 1), date(2019, 8, 1), date(2020, 4, 2)],
                      "obscured": [False, True, False]})  # fmt: skip
    cells = cell_temperatures(s, timezone=TZ, today=TODAY, session=session)
    out = attach_cum_dd(s, cells, dd_rule=DegreeDays())
    assert out["dd_source"].tolist() == ["cell", "cell:obscured", "cell"]
    assert out["cell_lat"].tolist() == [45.5, 45.9, 45.5] and out["cell_lon"].tolist() == [-122.7, -122.2, -122.7]
    for i, (lat, day) in enumerate([(45.5, date(2019, 6, 1)), (45.9, date(2019, 8, 1)), (45.5, date(2020, 4, 2))]):
        days = pd.date_range(date(day.year, 1, 1), day)
        series = pd.DataFrame({"date": days, "tmax_c": [tmax_c(d.date(), lat) for d in days],
                               "tmin_c": [tmin_c(d.date(), lat) for d in days]})  # fmt: skip
        expected = season_cum_dd(series, DegreeDays()).iloc[-1]
        assert out["cum_dd"].iloc[i] == pytest.approx(expected)
    assert out["cell_elevation_m"].tolist() == pytest.approx([600.0, 1000.0, 600.0])
    # a cooler cell to the north has accumulated less by the same date than it would at Portland's latitude
    assert out["cum_dd"].iloc[1] < season_cum_dd(pd.DataFrame({
        "date": pd.date_range("2019-01-01", "2019-08-01"),
        "tmax_c": [tmax_c(d.date(), 45.5) for d in pd.date_range("2019-01-01", "2019-08-01")],
        "tmin_c": [tmin_c(d.date(), 45.5) for d in pd.date_range("2019-01-01", "2019-08-01")]}), DegreeDays()).iloc[-1]  # fmt: skip


def test_missing_cells_fall_back_to_the_place_series_with_a_reason(worlds, session):
    s = pd.DataFrame({"id": [1, 2, 3, 4], "latitude": [45.52, 45.52, np.nan, 45.6],
                      "longitude": [-122.68, -122.68, np.nan, -122.6],
                      "observed_on": [date(2019, 6, 1), date(1949, 6, 1), date(2019, 6, 1), date(2026, 6, 13)]})  # fmt: skip
    cells = cell_temperatures(s, timezone=TZ, today=TODAY, session=session)
    # the archive's last days are null, as Open-Meteo answers them
    cells.loc[cells["date"].dt.date >= TODAY - timedelta(days=4), ["tmax_c", "tmin_c"]] = np.nan
    place = pd.DataFrame({"date": pd.date_range("1940-01-01", "2026-06-10")}).assign(tmax_c=20.0, tmin_c=10.0)
    out = attach_cum_dd(s, cells, place_series=place, dd_rule=DegreeDays())
    src = out["dd_source"].tolist()
    assert src[0] == "cell"
    assert src[1].startswith("place:season starts before ERA5-Land")
    assert src[2] == "place:no coordinates"
    assert src[3].startswith("none:cell has no value that day") and src[3].endswith("the place series lacks this day")
    assert np.isnan(out["cum_dd"].iloc[3]) and np.isfinite(out["cum_dd"].iloc[:3]).all()
    station = attach_cum_dd(s, None, place_series=place, dd_rule=DegreeDays())
    assert station["dd_source"].iloc[0] == "place:chosen source"
    assert station["cum_dd"].iloc[0] == pytest.approx(season_cum_dd(place, DegreeDays()).loc["2019-06-01"])


def test_an_archive_failure_names_the_source(worlds, session):
    _, archive = worlds
    archive.fail_for_latitude = "45.5"
    s = pd.DataFrame({"latitude": [45.52], "longitude": [-122.68], "observed_on": [date(2019, 6, 1)]})
    with pytest.raises(SourceError, match="open_meteo_archive"):
        cell_temperatures(s, timezone=TZ, today=TODAY, session=session)
