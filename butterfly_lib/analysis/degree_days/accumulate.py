"""Seasonal accumulation of daily degree days from a biofix date, with a stated gap policy, and the
365-day season calendar used to line seasons up. Look here to turn daily ``dd`` into ``cum_dd``.

Gap policy
----------
The daily series is first put on a complete daily calendar (dates absent from the index are missing days,
and so are the days between the first season's biofix and the first record). Then:

- a run of at most ``max_gap`` missing days with known values on both sides is filled by linear
  interpolation of the daily degree days;
- any other missing day (a longer run, or one at either end of the record) makes the accumulation missing
  from that day to the end of its season, and a ``UserWarning`` names the dates of those gaps.

Season calendar
---------------
A season starts on the biofix (``"MM-DD"``, default ``"01-01"``) and is labelled by the year it starts in.
Days are numbered 1..365 from the biofix on a 365-day calendar: 29 February has no number of its own (its
degree days still count in the accumulation, and from 1 March on every year lines up by calendar date), so
``season_day`` 60 is always 1 March when the biofix is 1 January.

A 29 February biofix (``"02-29"``) starts the season on 29 February in leap years and on 1 March in the
other years, which have no 29 February (``season_start``). Its season day 1 is 1 March in every year; in a
leap year 29 February comes first, without a number of its own, and its degree days count from 1 March on.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

# Day of year of the first of each month on a 365-day calendar (index 1..12).
_MONTH_START = np.array([0, 1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])


def parse_biofix(biofix: str) -> tuple[int, int]:
    """``"MM-DD"`` to ``(month, day)``; impossible dates are refused, ``"02-29"`` is accepted (see above)."""
    try:
        month, day = (int(p) for p in str(biofix).split("-"))
        pd.Timestamp(year=2000, month=month, day=day)  # a leap year: 02-29 exists
    except (ValueError, TypeError):
        raise InvalidInput(
            "biofix",
            biofix,
            "a month-day 'MM-DD', e.g. '01-01' ('02-29' starts the season on 1 March in years without it)",
        ) from None
    return month, day


def is_leap_biofix(biofix: str) -> bool:
    """True for a 29 February biofix, whose season starts on 1 March in years without 29 February."""
    return parse_biofix(biofix) == (2, 29)


def season_start(year: int, biofix: str = "01-01") -> pd.Timestamp:
    """First day of the season labelled ``year``: the biofix that year (1 March for 02-29 in other years)."""
    month, day = parse_biofix(biofix)
    if (month, day) == (2, 29) and not pd.Timestamp(year=int(year), month=1, day=1).is_leap_year:
        return pd.Timestamp(year=int(year), month=3, day=1)
    return pd.Timestamp(year=int(year), month=month, day=day)


def noleap_doy(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day of year on a 365-day calendar (1..365); 29 February maps to 59, like 28 February."""
    return _MONTH_START[month] + np.minimum(day, np.where(month == 2, 28, 31)) - 1


def season_calendar(
    dates: pd.DatetimeIndex, biofix: str = "01-01"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each date: season label (year the season starts), season day 1..365, and whether it is 29 Feb."""
    bm, bd = parse_biofix(biofix)
    month = np.asarray(dates.month)
    day = np.asarray(dates.day)
    year = np.asarray(dates.year)
    before = (month < bm) | ((month == bm) & (day < bd))
    season = year - before.astype(int)
    leap_biofix = (bm, bd) == (2, 29)
    # a 02-29 biofix numbers from 1 March (day 60): 29 February shares 28 February's number otherwise
    start = 60 if leap_biofix else noleap_doy(np.array(bm), np.array(bd))
    sday = (noleap_doy(month, day) - start) % 365 + 1
    leap_day = (month == 2) & (day == 29)
    if leap_biofix:
        sday = np.where(leap_day, 1, sday)  # the season's eve in a leap year, compared as its first day
    return season, sday, leap_day


def _fill_short_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    """Linear interpolation along the last axis of NaN runs of length <= max_gap bracketed by values."""
    missing = np.isnan(x)
    if not missing.any() or max_gap <= 0:
        return x
    n = x.shape[-1]
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(missing, -1, idx), axis=-1)
    nxt = np.minimum.accumulate(np.where(missing, n, idx)[..., ::-1], axis=-1)[..., ::-1]
    fill = missing & (prev >= 0) & (nxt < n) & (nxt - prev - 1 <= max_gap)
    if not fill.any():
        return x
    out = x.copy()
    where = np.nonzero(fill)
    p, q = prev[where], nxt[where]
    rows = where[:-1]
    xp, xq = x[(*rows, p)], x[(*rows, q)]
    out[where] = xp + (xq - xp) * (where[-1] - p) / (q - p)
    return out


def _runs(mask: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """Runs of True along the last axis: (leading indices, start, end) per run."""
    pad = np.zeros(mask.shape[:-1] + (1,), dtype=np.int8)
    d = np.diff(np.concatenate([pad, mask.astype(np.int8), pad], axis=-1), axis=-1)
    starts = np.nonzero(d == 1)
    ends = np.nonzero(d == -1)
    return starts[:-1], starts[-1], ends[-1] - 1


def accumulate_array(
    dd: np.ndarray, dates: pd.DatetimeIndex, *, biofix: str = "01-01", max_gap: int = 2, warn: bool = True
) -> np.ndarray:
    """Cumulative degree days along the last axis of ``dd`` (any leading shape), restarting each season.

    ``dates`` must be a complete, consecutive daily index matching the last axis. Gap policy as in the module
    docstring. Accumulates in float64 whatever the input precision.
    """
    dates = pd.DatetimeIndex(dates)
    if len(dates) != dd.shape[-1]:
        raise InvalidInput("dates", f"{len(dates)} dates for {dd.shape[-1]} days", "one date per day")
    if len(dates) > 1 and not ((dates[1:] - dates[:-1]) == pd.Timedelta(days=1)).all():
        raise InvalidInput("dates", "not a consecutive daily index", "consecutive days")
    season, _, _ = season_calendar(dates, biofix)
    x = _fill_short_gaps(np.asarray(dd, dtype=np.float64), max_gap)
    missing = np.isnan(x)
    cs = np.cumsum(np.where(missing, 0.0, x), axis=-1)
    cs = np.concatenate([np.zeros(cs.shape[:-1] + (1,)), cs], axis=-1)
    first = np.flatnonzero(np.r_[True, season[1:] != season[:-1]])
    seg_start = first[np.cumsum(np.r_[True, season[1:] != season[:-1]]) - 1]
    cum = cs[..., 1:] - cs[..., seg_start]
    if missing.any():
        mc = np.cumsum(missing, axis=-1)
        mc = np.concatenate([np.zeros(mc.shape[:-1] + (1,), dtype=mc.dtype), mc], axis=-1)
        cum[(mc[..., 1:] - mc[..., seg_start]) > 0] = np.nan
        if warn:
            _warn_gaps(missing, dates, max_gap)
    return cum


def _warn_gaps(missing: np.ndarray, dates: pd.DatetimeIndex, max_gap: int) -> None:
    lead, start, end = _runs(missing)
    parts = []
    for k in range(min(len(start), 8)):
        where = "" if not lead else f" (series {tuple(int(a[k]) for a in lead)})"
        s, e = dates[start[k]].date(), dates[end[k]].date()
        parts.append(f"{s}..{e}{where}" if s != e else f"{s}{where}")
    more = f" and {len(start) - 8} more" if len(start) > 8 else ""
    warnings.warn(
        f"degree-day gaps longer than {max_gap} days (or at the ends of the record): cumulative degree days "
        f"are missing from each gap to the end of its season: {', '.join(parts)}{more}",
        UserWarning,
        stacklevel=3,
    )


def accumulate(dd: pd.Series, *, biofix: str = "01-01", max_gap: int = 2) -> pd.Series:
    """Cumulative degree days ``cum_dd`` per season from ``biofix`` (``"MM-DD"``).

    ``dd`` is a daily Series on a DatetimeIndex. The result covers every day from the first to the last date
    of ``dd`` (absent dates become rows), carries ``attrs["biofix"]`` and ``attrs["max_gap"]``, and follows
    the gap policy of the module docstring (short gaps interpolated; longer ones leave the rest of the season
    missing, with a warning naming the gap dates).
    """
    if not isinstance(dd.index, pd.DatetimeIndex):
        raise InvalidInput("dd.index", type(dd.index).__name__, "a DatetimeIndex of days")
    if dd.index.has_duplicates:
        dup = dd.index[dd.index.duplicated()][0]
        raise InvalidInput("dd.index", f"duplicate date {dup.date()}", "one value per day")
    if int(max_gap) < 0:
        raise InvalidInput("max_gap", max_gap, "a whole number of days >= 0")
    bm, bd = parse_biofix(biofix)
    days = dd.index.normalize()
    if len(days) == 0:
        return pd.Series([], index=dd.index, name="cum_dd", dtype=float)
    first, last = days.min(), days.max()
    season0 = first.year - int((first.month, first.day) < (bm, bd))
    start = season_start(season0, biofix)
    full = pd.date_range(start, last, freq="D", unit=days.unit)
    values = pd.Series(dd.to_numpy(dtype=float), index=days).reindex(full).to_numpy()
    cum = accumulate_array(values, full, biofix=biofix, max_gap=int(max_gap))
    out = pd.Series(cum, index=full, name="cum_dd").loc[first:]
    out.index.name = dd.index.name
    out.attrs.update({"biofix": f"{bm:02d}-{bd:02d}", "max_gap": int(max_gap)})
    return out
