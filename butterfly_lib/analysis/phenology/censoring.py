"""Censoring: percentile dates too close to a sampling gap or to an edge of the record to be shown as fact.

Look here for ``censor_dates`` (the rule, on dates) and ``year_dates`` (a day-of-year or degree-day value
turned into a date of a given year, to apply it).

The rule: a percentile whose date lies within ``margin_days`` (14) of a sampling gap (``effort.sampling_gaps``)
or of the first or last day of the record, or outside the record, is censored: the flight may have started
(or ended) unseen in the gap, so the estimate is a bound, not a value. The reason names the gap or the edge.
Pages show a censored percentile as "not known" (with the reason), never as a date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import noleap_doy

_GAP_WORDS = {
    "gap": "a sampling gap",
    "recurring gap": "a recurring sampling gap",
    "never sampled": "weeks that no year of the record samples",
}


def censor_dates(
    dates,  # noqa: ANN001 (date-likes)
    gaps: pd.DataFrame,
    record_span: tuple,
    *,
    margin_days: int = 14,
) -> tuple[np.ndarray, np.ndarray]:
    """For each date: ``(censored, reason)``; NaT dates are not censored (reason ``""``)."""
    d = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).normalize().to_numpy()
    first, last = (np.datetime64(pd.Timestamp(x).normalize()) for x in record_span)
    m = np.timedelta64(int(margin_days), "D")
    known = ~np.isnat(d)
    reason = np.full(d.shape, "", dtype=object)
    censored = np.zeros(d.shape, bool)
    outside = known & ((d < first) | (d > last))
    reason[outside] = f"outside the record ({pd.Timestamp(first).date()} – {pd.Timestamp(last).date()})"
    censored |= outside
    near_first = known & ~censored & (d < first + m)
    reason[near_first] = f"within {margin_days} days of the start of the record ({pd.Timestamp(first).date()})"
    censored |= near_first
    near_last = known & ~censored & (d > last - m)
    reason[near_last] = f"within {margin_days} days of the end of the record ({pd.Timestamp(last).date()})"
    censored |= near_last
    if len(gaps):
        gs = pd.DatetimeIndex(gaps["start"]).to_numpy()
        ge = pd.DatetimeIndex(gaps["end"]).to_numpy()
        kinds = gaps["kind"].to_numpy() if "kind" in gaps else np.full(len(gaps), "gap")
        near = known[:, None] & (d[:, None] >= gs[None, :] - m) & (d[:, None] <= ge[None, :] + m)
        hit = near.any(axis=1) & ~censored
        first_gap = np.argmax(near, axis=1)
        for i in np.flatnonzero(hit):
            j = first_gap[i]
            what = _GAP_WORDS.get(str(kinds[j]), "a sampling gap")
            reason[i] = f"within {margin_days} days of {what} ({pd.Timestamp(gs[j]).date()} – {pd.Timestamp(ge[j]).date()})"
        censored |= hit
    return censored, reason.astype(str)


def doy_to_date(year, doy) -> pd.DatetimeIndex:  # noqa: ANN001 (array-likes)
    """The date of a (fractional, rounded) day of the 365-day calendar in each year (29 Feb has no number)."""
    y = np.asarray(year, dtype=float)
    dd = np.asarray(doy, dtype=float)
    ok = np.isfinite(y) & np.isfinite(dd)
    day = np.clip(np.rint(np.where(ok, dd, 1)), 1, 365).astype(int)
    yy = np.where(ok, y, 2001).astype(int)
    base = pd.to_datetime(pd.DataFrame({"year": yy, "month": 1, "day": 1}))
    leap = ((yy % 4 == 0) & (yy % 100 != 0)) | (yy % 400 == 0)
    offset = day - 1 + (leap & (day >= 60)).astype(int)
    out = np.array((base + pd.to_timedelta(offset, unit="D")).to_numpy(), dtype="datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return pd.DatetimeIndex(out)


def date_to_doy(dates) -> np.ndarray:  # noqa: ANN001
    """Day of the 365-day calendar (1..365; 29 February counts as 28 February) of each date."""
    d = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates)))
    return noleap_doy(np.asarray(d.month), np.asarray(d.day)).astype(float)


def dd_to_date(year, value, place_cum_dd: pd.Series) -> pd.DatetimeIndex:  # noqa: ANN001
    """The first day of each ``year`` on which the place's cumulative degree days reach ``value`` (NaT if the
    year is not in the series or never reaches it)."""
    cum = pd.Series(place_cum_dd.to_numpy(dtype=float), index=pd.DatetimeIndex(place_cum_dd.index).normalize())
    years = np.asarray(year, dtype=float)
    vals = np.asarray(value, dtype=float)
    out = np.full(years.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    idx = cum.index
    for y in np.unique(years[np.isfinite(years)]):
        sel = (years == y) & np.isfinite(vals)
        part = cum[idx.year == int(y)]
        if not sel.any() or part.empty:
            continue
        path = np.fmax.accumulate(np.nan_to_num(part.to_numpy(), nan=-np.inf))
        i = np.searchsorted(path, vals[sel], side="left")
        got = i < len(path)
        res = np.full(i.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        res[got] = part.index.to_numpy()[i[got]]
        out[sel] = res
    return pd.DatetimeIndex(out)
