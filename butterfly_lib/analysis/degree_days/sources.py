"""Degree days straight from a source's daily frame: Open-Meteo (``tmax_c``/``tmin_c``) or NOAA
(``tmax_f``/``tmin_f``), in the page's units.

Look here when a page, a profile or a forecast needs degree days from fetched temperatures: one conversion
(``temperature_frame``), daily values (``source_degree_days``) and this season's accumulation
(``season_cum_dd``) used by every caller, so the pages, the emergence profiles and the forecast path agree.
"""

from __future__ import annotations

import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import accumulate, season_start
from butterfly_lib.analysis.degree_days.frames import daily_degree_days
from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import UNITS, DegreeDays
from butterfly_lib.units import temperatures_in


def temperature_frame(frame: pd.DataFrame, units: str) -> pd.DataFrame:
    """``date`` (naive local day), ``tmin``, ``tmax`` in ``units`` from an Open-Meteo or NOAA daily frame.

    Later rows win where a day appears twice (a stitched archive + forecast series); ``attrs`` are kept.
    """
    if units not in UNITS:
        raise InvalidInput("units", units, "F or C")
    hi, lo = temperatures_in(frame, units)
    days = pd.DatetimeIndex(pd.to_datetime(frame["date"]))
    days = (days.tz_localize(None) if days.tz is not None else days).normalize()
    out = pd.DataFrame({"date": days, "tmin": lo, "tmax": hi})
    out = out.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def source_degree_days(frame: pd.DataFrame, dd: DegreeDays) -> pd.Series:
    """Daily degree days of a source's daily frame by the rule ``dd``, indexed by naive local day."""
    daily = daily_degree_days(temperature_frame(frame, dd.units), dd)
    out = pd.Series(daily["dd"].to_numpy(), index=pd.DatetimeIndex(daily["date"], name="date"), name="dd")
    out.attrs = dict(frame.attrs)
    return out


def season_cum_dd(frame: pd.DataFrame, dd: DegreeDays, *, biofix: str = "01-01", max_gap: int = 2) -> pd.Series:
    """Cumulative degree days per season (from ``biofix``) of a source's daily frame.

    A record that starts after a season's biofix starts at the next biofix instead: that first, partial season
    could only ever be missing. Other gaps follow ``accumulate``'s policy, and its warning names them.
    ``attrs["provenance"]`` of the frame is kept.
    """
    cum = season_cum_from_dd(source_degree_days(frame, dd), biofix=biofix, max_gap=max_gap)
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
