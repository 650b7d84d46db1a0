"""Days whose temperatures are a filled-in normal, and what they may contribute to a season's degree days.

Look here when a temperature series has days that are not observations but a climatological normal standing
in for a missing day, and the season's accumulation must not carry the artefact that makes. The offline
snapshot does this (``data/snapshot/PROVENANCE.md``): Portland's archive days with no recording
(2024-12-10 .. 2026-02-03 and five spring days) are the 1991-2020 NOAA daily normal of the calendar day,
31-day smoothed. A smoothed normal day never reaches 50 °F in January, so those days score 0 degree days
although the normal *accumulation* over the same days is about 22 °F·days: averaging temperatures first
removes the warm days that carry the degree days (the formulas are convex in temperature).

The fix: a filled day contributes **the normal's daily degree-day increment** instead, the mean over the
normal period of that calendar day's degree days (computed from the same series, method and thresholds; 29
February from the leap years), and the figure says how much of it is such increments ("partly derived").

How filled days are found (``filled_days``), most explicit first:

1. a boolean column ``filled_normal`` on the source frame (True where the row is a filled normal);
2. else the frame's provenance notice: the snapshot states them as ``"no recording for <days>: ... daily
   normal ..."`` with ``<days>`` a comma-separated list of ``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD``
   (``NOTICE_PATTERN``). The notice travels with the response (``X-Butterfly-Notice``) into the provenance
   of the frame the real client returns, and survives stitching (``daily_through_today`` joins notices), so
   the mask needs nothing beyond what the source already carries. Live data has no such notice: no day is
   filled, and nothing changes.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.provenance import provenance_of

FILLED_COLUMN = "filled_normal"
_DAY = r"\d{4}-\d{2}-\d{2}"
_SPAN = rf"{_DAY}(?:\.\.{_DAY})?"
#: The clause of a provenance notice that names the days filled with a daily normal.
NOTICE_PATTERN = re.compile(rf"no recording for (?P<days>{_SPAN}(?:, {_SPAN})*): [^;]*daily normal")


def days_in_notice(notice: str | None) -> pd.DatetimeIndex:
    """The days a provenance notice says were filled with a daily normal (``NOTICE_PATTERN``), sorted."""
    days: list[pd.Timestamp] = []
    for match in NOTICE_PATTERN.finditer(notice or ""):
        for span in match.group("days").split(", "):
            first, _, last = span.partition("..")
            days.extend(pd.date_range(first, last or first, freq="D"))
    return pd.DatetimeIndex(sorted(set(days)), name="date")


def filled_days(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """Naive local days of ``frame`` whose temperatures are a filled normal (see the module docstring)."""
    dates = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    dates = (dates.tz_localize(None) if dates.tz is not None else dates).normalize()
    if FILLED_COLUMN in frame.columns:
        mask = frame[FILLED_COLUMN].fillna(False).to_numpy(dtype=bool)
        return pd.DatetimeIndex(dates[mask].unique(), name="date").sort_values()
    prov = provenance_of(frame)
    named = days_in_notice(prov.notice if prov is not None else "")
    return named[named.isin(dates)]


def _month_day(index: pd.DatetimeIndex) -> pd.Index:
    return pd.Index(index.strftime("%m-%d"))


def normal_increments(dd: pd.Series, period: tuple[int, int], exclude: pd.DatetimeIndex) -> pd.Series:
    """Mean daily degree days per calendar day ``"MM-DD"`` over the years of ``period``, ``exclude`` left out."""
    index = pd.DatetimeIndex(dd.index)
    keep = (index.year >= period[0]) & (index.year <= period[1]) & ~index.isin(exclude)
    values = dd[keep]
    return values.groupby(_month_day(pd.DatetimeIndex(values.index))).mean()


def substitute_normal_increments(
    dd: pd.Series, filled: pd.DatetimeIndex, period: tuple[int, int]
) -> tuple[pd.Series, pd.Series]:
    """``dd`` with each filled day's value replaced by the normal's increment of its calendar day.

    Returns ``(dd, substituted)``: the new daily series (attrs kept) and the substituted values on the filled
    days (empty when none). A calendar day the normal period never observed keeps its value (NaN stays NaN).
    """
    hit = pd.DatetimeIndex(filled)[pd.DatetimeIndex(filled).isin(dd.index)]
    if len(hit) == 0:
        return dd, pd.Series([], index=pd.DatetimeIndex([], name="date"), dtype=float, name="dd")
    increments = normal_increments(dd, period, hit)
    values = increments.reindex(_month_day(hit)).to_numpy(dtype=float)
    out = dd.copy()
    known = ~np.isnan(values)
    out.loc[hit[known]] = values[known]
    out.attrs = dict(dd.attrs)
    return out, pd.Series(values[known], index=hit[known], name="dd")


def _ranges(days: pd.DatetimeIndex) -> str:
    if len(days) == 0:
        return ""
    s = pd.Series(days.sort_values())
    run = (s.diff() != pd.Timedelta(days=1)).cumsum()
    spans = s.groupby(run).agg(["min", "max"])
    return ", ".join(
        f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in spans.itertuples(index=False)
    )


def partly_derived(
    substituted: pd.Series, season_first: pd.Timestamp, as_of: Any, cum_dd: float, period: tuple[int, int]
) -> dict[str, Any]:
    """How much of this season's accumulation on ``as_of`` is normal increments standing in for filled days.

    Keys: ``days`` (filled days of the season up to ``as_of``), ``dd`` (their degree days), ``share`` (of
    ``cum_dd``), ``ranges`` (the days, as ``YYYY-MM-DD..YYYY-MM-DD`` spans), ``period`` and ``text`` (a label
    for a figure or card, ``""`` when no day of the season is filled).
    """
    when = pd.Timestamp(as_of).normalize()
    index = pd.DatetimeIndex(substituted.index)
    part = substituted[(index >= season_first) & (index <= when)]
    total = float(part.sum())
    share = total / cum_dd if cum_dd and np.isfinite(cum_dd) else float("nan")
    ranges = _ranges(pd.DatetimeIndex(part.index))
    text = ""
    if len(part):
        text = (
            f"partly derived: {total:,.1f} of {cum_dd:,.1f} degree days ({share:.0%}) are the {period[0]}–"
            f"{period[1]} mean daily increments for {len(part)} day{'s' if len(part) != 1 else ''} the "
            f"temperature record filled with a smoothed normal ({ranges})"
        )
    return {
        "days": int(len(part)),
        "dd": total,
        "share": share,
        "ranges": ranges,
        "period": tuple(period),
        "text": text,
    }
