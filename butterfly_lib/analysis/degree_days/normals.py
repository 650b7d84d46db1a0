"""Seasons side by side, degree-day normals, and this year against normal. Look here for the season table
(one column per season, one row per season day), the 30-year normals (mean, median, 10th and 90th
percentile for each day), and the comparison of one date with them (difference in degree days, days ahead
or behind, percentile rank).

Days are numbered on the 365-day season calendar of ``accumulate`` (29 February has no row; with the default
1 January biofix row ``n`` is the ``n``-th day of a non-leap year, so row 60 is always 1 March). Percentiles
use linear interpolation between order statistics (numpy's default), over the seasons that have a value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import parse_biofix, season_calendar
from butterfly_lib.errors import InvalidInput

QUANTILES = {"median": 0.5, "p10": 0.1, "p90": 0.9}


def season_cube(
    cum: np.ndarray, dates: pd.DatetimeIndex, *, biofix: str = "01-01"
) -> tuple[np.ndarray, np.ndarray]:
    """Rearrange cumulative degree days (..., time) into (..., season, 365 season days); NaN where absent."""
    season, sday, leap_day = season_calendar(pd.DatetimeIndex(dates), biofix)
    keep = ~leap_day
    seasons = np.arange(season.min(), season.max() + 1)
    cube = np.full(cum.shape[:-1] + (len(seasons), 365), np.nan, dtype=np.float64)
    cube[..., season[keep] - seasons[0], sday[keep] - 1] = cum[..., keep]
    return cube, seasons


def season_table(cum: pd.Series, *, biofix: str | None = None) -> pd.DataFrame:
    """Cumulative degree days with one column per season (labelled by its start year) and rows ``doy`` 1..365.

    ``biofix`` defaults to the one ``accumulate`` stored in ``cum.attrs`` (else ``"01-01"``). 29 February
    has no row (see the module docstring).
    """
    biofix = biofix or cum.attrs.get("biofix", "01-01")
    parse_biofix(biofix)
    idx = pd.DatetimeIndex(cum.index)
    season, sday, leap_day = season_calendar(idx, biofix)
    keep = ~leap_day
    frame = pd.DataFrame(
        {"season": season[keep], "doy": sday[keep], "cum_dd": cum.to_numpy(dtype=float)[keep]}
    )
    table = frame.pivot_table(index="doy", columns="season", values="cum_dd", aggfunc="last", dropna=False)
    table = table.reindex(pd.RangeIndex(1, 366, name="doy"))
    table.columns.name = "season"
    table.attrs["biofix"] = biofix
    return table


def _nan_quantiles(values: np.ndarray, qs: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles along axis -2 ignoring NaN, fully vectorized (np.nanpercentile loops per column)."""
    v = np.sort(np.moveaxis(values, -2, -1), axis=-1)  # NaN sort last
    n = np.sum(~np.isnan(v), axis=-1)
    out = []
    for q in qs:
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        frac = pos - lo
        a = np.take_along_axis(v, lo[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(v, hi[..., None], axis=-1)[..., 0]
        res = a + (b - a) * frac
        out.append(np.where(n > 0, res, np.nan))
    return np.stack(out), n


def _default_min_years(period: tuple[int, int]) -> int:
    return math.ceil(0.8 * (period[1] - period[0] + 1))


def _check_period(period: Any) -> tuple[int, int]:
    try:
        first, last = (int(p) for p in period)
    except (TypeError, ValueError):
        raise InvalidInput("period", period, "(first_year, last_year), e.g. (1991, 2020)") from None
    if first > last:
        raise InvalidInput("period", period, "first_year <= last_year")
    return first, last


def normals_array(
    cube: np.ndarray,
    seasons: np.ndarray,
    *,
    period: tuple[int, int] = (1991, 2020),
    min_years: int | None = None,
) -> dict[str, np.ndarray]:
    """Normals from a season cube (..., season, 365): arrays mean, median, p10, p90 and n_years (..., 365).

    Statistics are NaN on days with fewer than ``min_years`` seasons (default: 80 % of the period's years).
    """
    first, last = _check_period(period)
    min_years = _default_min_years((first, last)) if min_years is None else int(min_years)
    sel = (seasons >= first) & (seasons <= last)
    values = cube[..., sel, :]
    (median, p10, p90), n = _nan_quantiles(values, [0.5, 0.1, 0.9])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=-2) / n
    enough = n >= max(min_years, 1)
    result = {
        k: np.where(enough, v, np.nan)
        for k, v in (("mean", mean), ("median", median), ("p10", p10), ("p90", p90))
    }
    result["n_years"] = n
    return result


def normals(
    cum: pd.Series, *, period: tuple[int, int] = (1991, 2020), min_years: int | None = None
) -> pd.DataFrame:
    """Degree-day normals of a cumulative series: columns mean, median, p10, p90, n_years; index doy 1..365.

    ``period`` is the (first, last) season, inclusive. A day's statistics are NaN when fewer than
    ``min_years`` seasons have a value that day (default: 80 % of the period, 24 of 30 years). The frame's
    attrs hold ``period``, ``min_years`` and ``biofix``.
    """
    first, last = _check_period(period)
    min_years = _default_min_years((first, last)) if min_years is None else int(min_years)
    table = season_table(cum)
    cols = [c for c in table.columns if first <= c <= last]
    values = table[cols].to_numpy().T if cols else np.full((0, 365), np.nan)
    stats = normals_array(values, np.asarray(cols, dtype=int), period=(first, last), min_years=min_years)
    frame = pd.DataFrame(
        {k: stats[k] for k in ("mean", "median", "p10", "p90")}, index=pd.RangeIndex(1, 366, name="doy")
    )
    frame["n_years"] = stats["n_years"].astype(int)
    frame.attrs.update({"period": (first, last), "min_years": min_years, "biofix": table.attrs["biofix"]})
    return frame


def percentile_rank(
    table: pd.DataFrame, doy: int, value: float, *, period: tuple[int, int] | None = None
) -> float:
    """Percent of seasons in ``table`` (optionally only those in ``period``) below ``value`` on ``doy``.

    Ties count half, so a value equal to every season's is at 50. NaN when no season has a value.
    """
    cols = list(table.columns)
    if period is not None:
        first, last = _check_period(period)
        cols = [c for c in cols if first <= c <= last]
    row = table.loc[int(doy), cols].to_numpy(dtype=float)
    row = row[~np.isnan(row)]
    if row.size == 0 or np.isnan(value):
        return float("nan")
    return float(100.0 * (np.sum(row < value) + 0.5 * np.sum(row == value)) / row.size)


def days_ahead(normal_mean: np.ndarray, doy: int, value: float) -> float:
    """Days by which ``value`` on ``doy`` is ahead (+) or behind (-) the normal mean curve.

    The day on which the normal curve first reaches ``value`` (linear between days, 0 degree days on day 0,
    the eve of the biofix) minus ``doy``. NaN when the normal curve never reaches ``value``.
    """
    if np.isnan(value):
        return float("nan")
    curve = np.fmax.accumulate(np.r_[0.0, np.asarray(normal_mean, dtype=float)])
    if np.isnan(curve).all() or value > np.nanmax(curve):
        return float("nan")
    curve = np.nan_to_num(curve, nan=0.0)
    i = int(np.searchsorted(curve, value, side="left"))
    if i == 0:
        reached = 0.0
    else:
        step = curve[i] - curve[i - 1]
        reached = (i - 1) + ((value - curve[i - 1]) / step if step > 0 else 1.0)
    return float(reached - doy)


def compare_to_normal(
    cum: pd.Series, normals_df: pd.DataFrame, as_of: Any, *, table: pd.DataFrame | None = None
) -> dict[str, Any]:
    """This season's accumulation on ``as_of`` against the normals.

    Returns a dict: ``as_of`` (Timestamp), ``doy`` (season day; 29 Feb uses 28 Feb's normals), ``cum_dd``,
    ``normal_mean``, ``normal_p10``, ``normal_p90``, ``diff_dd`` (cum_dd - normal_mean), ``days_ahead``
    (positive = ahead: how many days later the normal mean curve reaches this season's value), and
    ``percentile_rank`` among the normal-period seasons on that day. Those seasons come from ``table`` (a
    ``season_table``) when given, else from ``cum`` itself, over ``normals_df.attrs["period"]``.
    """
    when = pd.Timestamp(as_of).normalize()
    idx = pd.DatetimeIndex(cum.index).normalize()
    hit = np.flatnonzero(idx == when)
    if hit.size == 0:
        raise InvalidInput(
            "as_of", str(when.date()), f"a date in the series ({idx.min().date()}..{idx.max().date()})"
        )
    value = float(cum.iloc[hit[-1]])
    biofix = normals_df.attrs.get("biofix", cum.attrs.get("biofix", "01-01"))
    _, sday, _ = season_calendar(pd.DatetimeIndex([when]), biofix)
    doy = int(sday[0])
    row = normals_df.loc[doy]
    if table is None:
        table = season_table(cum, biofix=biofix)
    period = normals_df.attrs.get("period")
    return {
        "as_of": when,
        "doy": doy,
        "cum_dd": value,
        "normal_mean": float(row["mean"]),
        "normal_p10": float(row["p10"]),
        "normal_p90": float(row["p90"]),
        "diff_dd": value - float(row["mean"]),
        "days_ahead": days_ahead(normals_df["mean"].to_numpy(), doy, value),
        "percentile_rank": percentile_rank(table, doy, value, period=period),
    }
