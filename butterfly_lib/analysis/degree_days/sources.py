"""Degree days straight from a source's daily frame: Open-Meteo (``tmax_c``/``tmin_c``) or NOAA
(``tmax_f``/``tmin_f``), in the page's units.

Look here when a page, a profile or a forecast needs degree days from fetched temperatures: one conversion
(``temperature_frame``), daily values (``source_degree_days``) and this season's accumulation
(``season_cum_dd``) used by every caller, so the pages, the emergence profiles and the forecast path agree.
"""

from __future__ import annotations

import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import accumulate, season_start
from butterfly_lib.analysis.degree_days.frames import UNITS, daily_degree_days
from butterfly_lib.errors import InvalidInput


def temperature_frame(frame: pd.DataFrame, units: str = "F") -> pd.DataFrame:
    """``date`` (naive local day), ``tmin``, ``tmax`` in ``units`` from an Open-Meteo or NOAA daily frame.

    Later rows win where a day appears twice (a stitched archive + forecast series); ``attrs`` are kept.
    """
    if units not in UNITS:
        raise InvalidInput("units", units, "F or C")
    if {"tmax_c", "tmin_c"} <= set(frame.columns):
        hi, lo = frame["tmax_c"].astype(float), frame["tmin_c"].astype(float)
        if units == "F":
            hi, lo = hi * 1.8 + 32.0, lo * 1.8 + 32.0
    elif {"tmax_f", "tmin_f"} <= set(frame.columns):
        hi, lo = frame["tmax_f"].astype(float), frame["tmin_f"].astype(float)
        if units == "C":
            hi, lo = (hi - 32.0) / 1.8, (lo - 32.0) / 1.8
    else:
        raise InvalidInput("temperatures", list(frame.columns), "a frame with tmax_c/tmin_c or tmax_f/tmin_f")
    days = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    days = (days.tz_localize(None) if days.tz is not None else days).normalize()
    out = pd.DataFrame({"date": days, "tmin": lo.to_numpy(), "tmax": hi.to_numpy()})
    out = out.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def source_degree_days(
    frame: pd.DataFrame,
    *,
    lower: float = 50.0,
    upper: float = 86.0,
    method: str = "modified-average",
    cutoff: str = "horizontal",
    units: str = "F",
) -> pd.Series:
    """Daily degree days of a source's daily frame, indexed by naive local day; thresholds in ``units``."""
    dd = daily_degree_days(
        temperature_frame(frame, units), lower=lower, upper=upper, method=method, cutoff=cutoff, units=units
    )
    out = pd.Series(dd["dd"].to_numpy(), index=pd.DatetimeIndex(dd["date"], name="date"), name="dd")
    out.attrs = dict(frame.attrs)
    return out


def season_cum_dd(
    frame: pd.DataFrame,
    *,
    lower: float = 50.0,
    upper: float = 86.0,
    method: str = "modified-average",
    cutoff: str = "horizontal",
    units: str = "F",
    biofix: str = "01-01",
    max_gap: int = 2,
) -> pd.Series:
    """Cumulative degree days per season (from ``biofix``) of a source's daily frame.

    A record that starts after a season's biofix starts at the next biofix instead: that first, partial season
    could only ever be missing. Other gaps follow ``accumulate``'s policy, and its warning names them.
    ``attrs["provenance"]`` of the frame is kept.
    """
    dd = source_degree_days(frame, lower=lower, upper=upper, method=method, cutoff=cutoff, units=units)
    cum = season_cum_from_dd(dd, biofix=biofix, max_gap=max_gap)
    cum.attrs["provenance"] = frame.attrs.get("provenance")
    return cum


def season_cum_from_dd(dd: pd.Series, *, biofix: str = "01-01", max_gap: int = 2) -> pd.Series:
    """``season_cum_dd`` from daily degree days already computed (e.g. with filled days replaced)."""
    if len(dd):
        first = dd.index[0]
        start = season_start(first.year, biofix)
        if start < first:
            start = season_start(first.year + 1, biofix)
        dd = dd[dd.index >= start] if start != first else dd
    return accumulate(dd, biofix=biofix, max_gap=max_gap)
