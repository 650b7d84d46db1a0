"""Weeks, effort weights, sampling gaps and censoring (``phenology.effort`` and ``phenology.censoring``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.phenology import (
    censor_dates,
    check_effort,
    date_to_doy,
    doy_to_date,
    effort_weights,
    sampling_gaps,
    week_key,
    week_monday,
)
from butterfly_lib.analysis.phenology.effort import weekly_effort
from butterfly_lib.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent



def test_week_key_is_the_iso_week_and_its_monday():
    days = pd.date_range("2019-12-25", "2021-01-10", freq="D")
    y, w = week_key(days)
    iso = [d.isocalendar() for d in days.date]
    assert list(y) == [i[0] for i in iso] and list(w) == [i[1] for i in iso]
    mondays = week_monday(y, w)
    assert (mondays.day_of_week == 0).all()
    assert ((days - mondays).days < 7).all() and ((days - mondays).days >= 0).all()


def test_effort_table_accepts_week_starts_and_refuses_bad_rows():
    eff = check_effort(pd.DataFrame({"week_start": ["2024-01-01", "2024-01-08"], "n_reference": [3, 4]}))
    assert list(eff["week"]) == [1, 2] and list(eff["year"]) == [2024, 2024]
    with pytest.raises(InvalidInput, match="Mondays"):
        check_effort(pd.DataFrame({"week_start": ["2024-01-02"], "n_reference": [3]}))
    with pytest.raises(InvalidInput, match="1..53"):
        check_effort(pd.DataFrame({"year": [2024], "week": [54], "n_reference": [1]}))
    with pytest.raises(InvalidInput, match="exists"):
        check_effort(pd.DataFrame({"year": [2021], "week": [53], "n_reference": [1]}))  # 2021 has 52 weeks
    with pytest.raises(InvalidInput, match="duplicate"):
        check_effort(pd.DataFrame({"year": [2024, 2024], "week": [3, 3], "n_reference": [1, 2]}))
    with pytest.raises(InvalidInput, match="counts"):
        check_effort(pd.DataFrame({"year": [2024], "week": [3], "n_reference": [-1]}))
    with pytest.raises(InvalidInput, match="record_span"):
        weekly_effort(pd.DataFrame({"year": [2024], "week": [3], "n_reference": [1]}))


def _flat_effort(years=range(2015, 2021), level=100.0, holes=()):
    weeks = pd.date_range("2015-01-05", "2020-12-28", freq="7D")
    y, w = week_key(weeks)
    n = np.full(len(weeks), level)
    for a, b in holes:
        n[(weeks >= pd.Timestamp(a)) & (weeks <= pd.Timestamp(b))] = 0.0
    eff = pd.DataFrame({"year": y, "week": w, "n_reference": n})
    eff.attrs["record_span"] = ("2015-01-05", "2021-01-03")
    return eff


def test_gaps_found_with_their_dates_and_season_edges_are_not_gaps():
    eff = _flat_effort(holes=[("2017-05-01", "2017-05-22")])
    gaps = sampling_gaps(eff)
    assert len(gaps) == 1
    assert gaps.iloc[0][["start", "end", "weeks", "kind"]].tolist() == [
        pd.Timestamp("2017-05-01"), pd.Timestamp("2017-05-28"), 4, "gap"
    ]
    # a seasonal rhythm (quiet winters) is not a gap
    weeks = pd.date_range("2015-01-05", "2020-12-28", freq="7D")
    y, w = week_key(weeks)
    season = 2 + 200 * np.exp(-0.5 * ((w - 28) / 7.0) ** 2)
    eff2 = pd.DataFrame({"year": y, "week": w, "n_reference": np.round(season)})
    assert sampling_gaps(eff2, ("2015-01-05", "2021-01-03")).empty


def test_a_week_missing_in_every_year_is_a_recurring_gap():
    holes = [(f"{yr}-04-14", f"{yr}-05-19") for yr in range(2015, 2021)]
    eff = _flat_effort(holes=holes, level=3.0)  # too sparse for any one year to tell
    gaps = sampling_gaps(eff)
    assert len(gaps) == 6 and (gaps["kind"] == "recurring gap").all()
    assert (gaps["start"].dt.month == 4).all() and (gaps["end"].dt.month == 5).all()


def test_the_real_sample_has_its_known_april_may_hole_every_year():
    """The bundled upstream sample (data/upstream-site) never covers 10 April - 20 May: with its own
    all-butterfly counts standing in for effort, every year gets that gap."""
    s = pd.read_csv(ROOT / "data" / "upstream-site" / "sightings.csv")
    y, w = week_key(s["observed_on"])
    eff = pd.DataFrame({"year": y, "week": w}).value_counts().rename("n_reference").reset_index()
    gaps = sampling_gaps(eff[eff["year"] >= 2010], ("2010-01-04", "2025-12-28"))
    spring = gaps[(gaps["start"].dt.month == 4) & (gaps["end"].dt.month == 5)]
    assert set(spring["start"].dt.year) >= set(range(2010, 2026)) - {2019}  # 2019: its own longer gap
    for _, g in spring.iterrows():
        assert g["start"] <= pd.Timestamp(g["start"].year, 4, 16)
        assert g["end"] >= pd.Timestamp(g["start"].year, 5, 16)


def test_weights_undo_effort_within_a_year_and_years_weigh_alike():
    eff = _flat_effort()
    eff.loc[(eff["year"] == 2016) & (eff["week"] == 20), "n_reference"] = 1000.0
    days = ["2016-05-18", "2016-06-20", "2016-06-21", "2017-05-18"] + ["2018-05-18"] * 20
    s = pd.DataFrame({"scientific_name": "A b", "observed_on": days})
    w = effort_weights(s, eff)
    # 2016 week 20 (16-22 May, smoothed with its neighbours) is busier: its sighting weighs less
    assert w["w_week"].iloc[0] == pytest.approx(3 / 1200) and w["w_week"].iloc[1] == pytest.approx(1 / 100)
    totals = w.assign(y=pd.to_datetime(s["observed_on"]).dt.year).groupby("y")["w_pooled"].sum()
    assert totals[2016] == pytest.approx(3 / 8) and totals[2017] == pytest.approx(1 / 6)
    assert totals[2018] == pytest.approx(20 / 25)
    plain = effort_weights(s, None)
    assert (plain["w_week"] == 1).all()


def test_censoring_rule_and_reasons():
    gaps = pd.DataFrame({"start": [pd.Timestamp("2019-04-29")], "end": [pd.Timestamp("2019-06-09")],
                         "kind": ["gap"]})  # fmt: skip
    span = (date(2015, 1, 1), date(2024, 12, 9))
    dates = ["2019-04-14", "2019-04-15", "2019-06-23", "2019-06-24", "2015-01-10", "2024-11-30", "2026-01-01", None]
    c, why = censor_dates(dates, gaps, span)
    assert c.tolist() == [False, True, True, False, True, True, True, False]
    assert "sampling gap (2019-04-29 – 2019-06-09)" in why[1]
    assert "start of the record" in why[4] and "end of the record" in why[5] and "outside" in why[6]


def test_365_day_calendar_round_trip():
    for year in (2023, 2024):
        days = pd.date_range(f"{year}-01-01", f"{year}-12-31")
        doy = date_to_doy(days)
        assert doy.min() == 1 and doy.max() == 365
        back = doy_to_date(np.full(len(days), year), doy)
        keep = ~((days.month == 2) & (days.day == 29))
        assert (back[keep] == days[keep]).all()
