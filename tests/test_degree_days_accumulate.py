"""Accumulation (biofix, gap policy), the 365-day season calendar with 29 February, normals from the real
NOAA Portland airport record with figures checkable by hand, and this year against normal."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import (
    accumulate,
    accumulate_array,
    compare_to_normal,
    daily_degree_days,
    days_ahead,
    normals,
    normals_array,
    percentile_rank,
    season_calendar,
    season_cube,
    season_table,
)
from butterfly_lib.analysis.degree_days.accumulate import season_start
from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DegreeDays

NOAA = Path(__file__).parent.parent / "data" / "noaa" / "USW00024229_portland_airport_1940-2024.csv"


def _series(start: str, values) -> pd.Series:
    values = np.asarray(values, dtype=float)
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"))


def test_accumulates_and_restarts_at_biofix():
    dd = _series("2021-12-30", [1, 2, 3, 4, 5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cum = accumulate(dd, biofix="12-30")
    assert cum.tolist() == [1, 3, 6, 10, 15]
    with pytest.warns(UserWarning, match="2021-01-01..2021-12-29"):
        cum = accumulate(dd)  # 1 January biofix: the 2021 season started before the record
    assert np.isnan(cum.iloc[:2]).all() and cum.iloc[2:].tolist() == [3, 7, 12]
    assert cum.attrs["biofix"] == "01-01"
    with pytest.warns(UserWarning, match="2021-03-01..2022-02-26"):
        cum = accumulate(_series("2022-02-27", [1] * 6), biofix="03-01")
    assert cum.index[0] == pd.Timestamp("2022-02-27")
    assert np.isnan(cum.iloc[:2]).all() and cum.loc["2022-03-01":].tolist() == [1, 2, 3, 4]


def test_short_gap_is_interpolated_long_gap_leaves_season_missing_with_warning():
    values = [1.0, 2.0, np.nan, np.nan, 8.0, 1.0] + [1.0] * 360  # 2023: 366 values reach 2024-01-01
    dd = _series("2023-01-01", values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cum = accumulate(dd)
    # interpolated 4 and 6 between 2 and 8
    assert cum.iloc[:6].tolist() == [1, 3, 7, 13, 21, 22]
    assert cum.loc["2024-01-01"] == 1.0  # new season

    values = [1.0] * 10 + [np.nan] * 3 + [1.0] * 353
    with pytest.warns(UserWarning, match=r"2023-01-11..2023-01-13"):
        cum = accumulate(_series("2023-01-01", values))
    assert cum.iloc[9] == 10 and np.isnan(cum.loc["2023-01-11":"2023-12-31"]).all()
    assert cum.loc["2024-01-01"] == 1.0

    # absent dates are gaps too
    dd = _series("2023-01-01", [1.0] * 10).drop(pd.Timestamp("2023-01-05"))
    cum = accumulate(dd)
    assert len(cum) == 10 and cum.iloc[-1] == 10


def test_bad_accumulation_arguments():
    dd = _series("2023-01-01", [1.0] * 3)
    for bad in ("13-01", "02-30", "04-31", "0229"):
        with pytest.raises(InvalidInput, match="biofix"):
            accumulate(dd, biofix=bad)
    with pytest.raises(InvalidInput, match="DatetimeIndex"):
        accumulate(pd.Series([1.0, 2.0]))


def test_season_table_aligns_calendar_dates_across_leap_years():
    dd = _series("2023-01-01", np.ones(366 + 365))  # 2023 (365 days) and 2024 (366 days)
    cum = accumulate(dd)
    table = season_table(cum)
    assert table.shape == (365, 2) and list(table.index[[0, -1]]) == [1, 365]
    # row 60 is 1 March in both years; the leap year's value includes 29 February's degree days
    assert table.loc[59, 2023] == 59 and table.loc[59, 2024] == 59
    assert table.loc[60, 2023] == 60 and table.loc[60, 2024] == 61
    assert table.loc[365, 2024] == 366 == cum.loc["2024-12-31"]


def test_array_path_matches_series_path():
    rng = np.random.default_rng(1)
    dates = pd.date_range("2000-01-01", "2004-12-31", freq="D")
    dd = rng.gamma(2.0, 3.0, size=(3, len(dates)))
    dd[1, 100] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cum = accumulate_array(dd, dates)
    cube, seasons = season_cube(cum, dates)
    stats = normals_array(cube, seasons, period=(2000, 2004), min_years=5)
    for row in range(3):
        s = accumulate(pd.Series(dd[row], index=dates))
        np.testing.assert_allclose(cum[row], s.to_numpy())
        nm = normals(s, period=(2000, 2004), min_years=5)
        for col in ("mean", "median", "p10", "p90"):
            np.testing.assert_allclose(stats[col][row], nm[col].to_numpy())
        table = season_table(s)
        np.testing.assert_allclose(nm["p90"], np.nanpercentile(table.to_numpy(), 90, axis=1))


def test_days_ahead_and_percentile_rank_by_hand():
    normal = np.arange(1, 366) * 10.0  # 10 degree days a day
    assert days_ahead(normal, 100, 1050.0) == pytest.approx(5.0)  # reached on day 105 normally
    assert days_ahead(normal, 100, 950.0) == pytest.approx(-5.0)
    assert days_ahead(normal, 100, 1000.0) == 0
    assert days_ahead(normal, 100, 1055.0) == pytest.approx(5.5)
    assert np.isnan(days_ahead(normal, 100, 5000.0))
    table = pd.DataFrame(
        {2001: [1.0, 2.0], 2002: [2.0, 4.0], 2003: [3.0, 6.0], 2010: [9.0, 9.0]}, index=[1, 2]
    )
    assert percentile_rank(table, 2, 5.0, period=(2001, 2003)) == pytest.approx(200 / 3)
    assert percentile_rank(table, 2, 4.0, period=(2001, 2003)) == pytest.approx(50.0)
    assert percentile_rank(table, 2, 10.0) == 100.0


@pytest.fixture(scope="module")
def portland() -> tuple[pd.DataFrame, pd.Series]:
    raw = pd.read_csv(NOAA, parse_dates=["DATE"])
    frame = raw.rename(columns={"DATE": "date", "TMIN": "tmin", "TMAX": "tmax"})[["date", "tmin", "tmax"]]
    daily = daily_degree_days(frame, DegreeDays(50, 86, "modified-average"))
    with pytest.warns(UserWarning, match="1940-01-01..1940-10-13"):  # the record starts 14 October 1940
        cum = accumulate(daily.set_index("date")["dd"])
    return raw, cum


def test_portland_normal_by_hand(portland):
    """Normal accumulated GDD (modified average, 50/86 F) on 10 January, 1991-2020, from the raw rows.

    By hand for 2015: the rows for 1-10 January have (TMAX, TMIN) 39/24, 41/26, 41/35, 53/38, 57/42, 47/38,
    51/34, 45/35, 50/37, 42/36; only 4, 5 and 7 January pass 50 F: (53+50)/2-50 = 1.5, (57+50)/2-50 = 3.5,
    (51+50)/2-50 = 0.5, so 5.5 degree days. The thirty seasons sum to 137, a normal mean of 137/30 = 4.567.
    """
    raw, cum = portland
    table = season_table(cum)
    assert table.loc[10, 2015] == 5.5
    nm = normals(cum)
    assert nm.attrs["period"] == (1991, 2020)
    assert nm.loc[10, "n_years"] == 30
    assert nm.loc[10, "mean"] == pytest.approx(137 / 30)
    assert nm.loc[10, "median"] == pytest.approx(4.75)

    # Independently, with plain Python over the raw rows, for another day (30 June = doy 181):
    sums = {}
    for row in raw.itertuples():
        d = row.DATE
        if 1991 <= d.year <= 2020 and (d.month, d.day) <= (6, 30):
            hi, lo = min(max(row.TMAX, 50), 86), min(max(row.TMIN, 50), 86)
            sums[d.year] = sums.get(d.year, 0.0) + (hi + lo) / 2 - 50
    assert len(sums) == 30
    assert nm.loc[181, "mean"] == pytest.approx(sum(sums.values()) / 30)
    ordered = sorted(sums.values())
    assert nm.loc[181, "median"] == pytest.approx((ordered[14] + ordered[15]) / 2)
    assert nm.loc[181, "p10"] == pytest.approx(ordered[2] + 0.9 * (ordered[3] - ordered[2]))
    assert nm.loc[181, "p10"] <= nm.loc[181, "median"] <= nm.loc[181, "p90"]
    assert (np.diff(nm["mean"]) >= 0).all()


def test_portland_2024_against_normal(portland):
    _, cum = portland
    nm = normals(cum)
    result = compare_to_normal(cum, nm, "2024-06-30")
    table = season_table(cum)
    assert result["doy"] == 181 and result["cum_dd"] == table.loc[181, 2024]
    assert result["diff_dd"] == pytest.approx(result["cum_dd"] - nm.loc[181, "mean"])
    period_values = table.loc[181, 1991:2020].to_numpy()
    below = (period_values < result["cum_dd"]).sum() + 0.5 * (period_values == result["cum_dd"]).sum()
    assert result["percentile_rank"] == pytest.approx(100 * below / 30)
    # the normal mean reaches this value `days_ahead` days after 30 June
    reached = 181 + result["days_ahead"]
    lo = int(np.floor(reached))
    assert nm.loc[lo, "mean"] <= result["cum_dd"] <= nm.loc[lo + 1, "mean"]
    assert (result["diff_dd"] > 0) == (result["days_ahead"] > 0)
    leap = compare_to_normal(cum, nm, "2024-02-29")
    assert leap["doy"] == 59
    with pytest.raises(InvalidInput, match="as_of"):
        compare_to_normal(cum, nm, "2030-01-01")


def test_min_years_blanks_thin_days():
    dd = _series("2019-01-01", np.ones(365 * 3 + 1))
    cum = accumulate(dd)
    nm = normals(cum, period=(2019, 2022))  # 2022 absent: 3 of 4 years < ceil(0.8 * 4) = 4
    assert nm["mean"].isna().all() and (nm["n_years"] == 3).all()
    nm = normals(cum, period=(2019, 2022), min_years=3)
    assert nm.loc[1, "mean"] == 1 and nm.loc[365, "mean"] == pytest.approx(
        (365 + 366 + 365) / 3
    )  # 2020 is leap


# ---- 29 February as a biofix (issue 13) ---------------------------------------------------------------------


def test_leap_biofix_starts_on_29_february_in_leap_years_and_1_march_otherwise():
    assert season_start(2024, "02-29") == pd.Timestamp("2024-02-29")
    assert season_start(2023, "02-29") == pd.Timestamp("2023-03-01")
    assert season_start(2100, "02-29") == pd.Timestamp("2100-03-01")  # not a leap year
    assert season_start(2000, "02-29") == pd.Timestamp("2000-02-29")
    dates = pd.DatetimeIndex(["2023-02-28", "2023-03-01", "2024-02-28", "2024-02-29", "2024-03-01"])
    season, sday, leap_day = season_calendar(dates, "02-29")
    assert season.tolist() == [2022, 2023, 2023, 2024, 2024]
    assert sday.tolist() == [365, 1, 365, 1, 1] and leap_day.tolist() == [False, False, False, True, False]


def test_portland_record_with_a_leap_biofix(portland):
    """The real record from 2019: seasons restart on 1 March 2019, 29 February 2020, 1 March 2021 ..."""
    raw, _ = portland
    frame = raw.rename(columns={"DATE": "date", "TMIN": "tmin", "TMAX": "tmax"})[["date", "tmin", "tmax"]]
    frame = frame[frame["date"] >= "2019-03-01"]
    daily = daily_degree_days(frame, DegreeDays(50, 86, "modified-average")).set_index("date")["dd"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no gap warning: the one day in 2022 without TMAX/TMIN is interpolated
        cum = accumulate(daily, biofix="02-29")
    assert cum.attrs["biofix"] == "02-29"
    for first_day in ("2019-03-01", "2020-02-29", "2021-03-01", "2024-02-29"):
        assert cum.loc[first_day] == daily.loc[first_day]
    assert cum.loc["2020-03-01"] == daily.loc["2020-02-29"] + daily.loc["2020-03-01"]
    assert cum.loc["2021-02-28"] == pytest.approx(daily.loc["2020-02-29":"2021-02-28"].sum())
    table = season_table(cum)
    assert table.loc[1, 2020] == cum.loc["2020-03-01"] and table.loc[365, 2019] == cum.loc["2020-02-28"]
