"""Property tests of the iNaturalist date windows: month-day windows across New Year and leap days, exact
month/day query filters, tiers."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from butterfly_lib.errors import InvalidInput
from butterfly_lib.http import Tier
from butterfly_lib.sources.inaturalist.windows import AcrossYears, DateRange, this_week, this_year

days = st.integers(0, 182)
dates = st.dates(date(1990, 1, 1), date(2100, 12, 31))


def brute_force_month_days(w: AcrossYears) -> set[tuple[int, int]]:
    start, end = w.as_of - timedelta(days=w.days_back), w.as_of + timedelta(days=w.days_ahead)
    mds = {(d.month, d.day) for d in pd.date_range(start, end)}
    if (start.month, start.day) <= (2, 29) <= (end.month, end.day) or (
        start.year < end.year and ((start.month, start.day) <= (2, 29) or (end.month, end.day) >= (2, 29))
    ):
        mds.add((2, 29))  # the leap day lies between the window's ends on the month-day calendar
    return mds


@given(dates, days, days)
def test_month_days_match_the_dates_of_the_window(as_of, back, ahead):
    w = AcrossYears(as_of, back, ahead)
    md = w.month_days()
    got = set(zip(md["month"], md["day"], strict=True))
    assert len(got) == len(md), "no month-day twice"
    assert got == brute_force_month_days(w)
    assert (as_of.month, as_of.day) in got


@given(dates, days, days)
def test_queries_cover_exactly_the_window(as_of, back, ahead):
    w = AcrossYears(as_of, back, ahead)
    covered: list[tuple[int, int]] = []
    for q in w.queries():
        for m in q["month"]:
            month_days = q.get("day") or [d for d in range(1, 32) if _valid(m, d)]
            covered += [(m, d) for d in month_days if _valid(m, d)]
    assert len(covered) == len(set(covered)), "queries overlap: summed counts would double-count"
    md = w.month_days()
    assert set(covered) == set(zip(md["month"], md["day"], strict=True))
    assert len(w.queries()) <= 4


@given(dates, days, days, st.lists(dates, max_size=30))
def test_contains_matches_month_day_membership(as_of, back, ahead, observed):
    w = AcrossYears(as_of, back, ahead)
    wanted = brute_force_month_days(w)
    got = w.contains(pd.Series(observed, dtype=object))
    assert list(got) == [(d.month, d.day) in wanted for d in observed]


def test_new_year_window():
    w = AcrossYears(date(2025, 12, 28), 14, 7)
    assert w.queries() == [
        {"month": [1], "day": [1, 2, 3, 4]},
        {"month": [12], "day": list(range(14, 32))},
    ]
    assert list(
        w.contains(pd.Series([date(1999, 1, 4), date(2003, 1, 5), date(2010, 12, 13), date(2010, 12, 14)]))
    ) == [True, False, False, True]


def test_full_months_share_one_query_without_day():
    w = AcrossYears(date(2025, 6, 15), 60, 60)
    qs = w.queries()
    assert {"month": [5, 6, 7]} in qs and len(qs) == 3


def test_tiers():
    today = date(2025, 6, 20)
    assert this_week(today, 14, 7).tier(today) == Tier.LIVE
    assert this_year(today).tier(today) == Tier.CURRENT
    assert DateRange(date(2020, 1, 1), date(2020, 12, 31)).tier(today) == Tier.CURRENT
    assert AcrossYears(today).tier(today) == Tier.CURRENT


@pytest.mark.parametrize(
    "bad", [dict(days_back=183), dict(days_ahead=-1), dict(days_back=1.5), dict(as_of="x")]
)
def test_window_validation(bad):
    kw = dict(as_of=date(2025, 1, 1), days_back=14, days_ahead=7) | bad
    with pytest.raises(InvalidInput):
        AcrossYears(**kw)


def _valid(m: int, d: int) -> bool:
    try:
        date(2000, m, d)
    except ValueError:
        return False
    return True
