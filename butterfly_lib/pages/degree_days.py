"""The degree-days page: how far along the season is, against the normal, and station against grid.

Look here for what the degree-days page computes: this season's accumulation (shared ``season``), the normals
band, the comparison with the normal (days ahead or behind, percentile), the projection through the forecast,
last season for reference, and the yearly totals of the other temperature source (NOAA station when the page
uses Open-Meteo, and the other way round) for the station-against-grid comparison. Summary: the season card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.season import Season
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult, number
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import daily_through_today

#: seasons of the station-against-grid comparison
COMPARISON_YEARS = 11


@dataclass(frozen=True)
class DegreeDaysSummary:
    as_of: str
    cum_dd: float | None
    normal_mean: float | None
    diff_dd: float | None
    days_ahead: float | None
    percentile_rank: float | None
    method: str
    units: str
    #: "" or how much of ``cum_dd`` stands in for days the record filled with a smoothed normal
    partly_derived: str = ""


@dataclass(kw_only=True)
class DegreeDaysResult(PageResult):
    name: ClassVar[str] = "degree_days"
    season: Season
    #: cumulative degree days per source name ("open-meteo", "noaa") over the comparison seasons
    by_source: dict[str, pd.Series]

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        s = self.season
        return {
            "season": s.cum.rename("cum_dd").reset_index(),
            "normals": s.normals.reset_index(),
            "projection": s.projection,
        }

    @property
    def summary(self) -> DegreeDaysSummary:
        c, dd = self.season.comparison, self.context.place.dd
        return DegreeDaysSummary(
            as_of=pd.Timestamp(c["as_of"]).date().isoformat(),
            cum_dd=number(c["cum_dd"]),
            normal_mean=number(c["normal_mean"]),
            diff_dd=number(c["diff_dd"]),
            days_ahead=number(c["days_ahead"]),
            percentile_rank=number(c["percentile_rank"]),
            method=dd.label,
            units=dd.unit_label,
            partly_derived=str((c.get("partly_derived") or {}).get("text", "")),
        )

    @property
    def forecast_path(self) -> pd.Series:
        """The projected accumulation through the observed and forecast days (not the normal part)."""
        proj = self.season.projection
        return proj.set_index("date").loc[proj["part"].to_numpy() != "normal", "cum_dd_mid"]

    @property
    def last_year(self) -> pd.Series:
        cum = self.season.cum
        return cum[cum.index.year == self.context.as_of.year - 1]


def build(ctx: PageContext) -> DegreeDaysResult:
    p, session = ctx.place, ctx.session
    temps, forecast, season = ctx.products.temperatures, ctx.products.forecast, ctx.products.season
    start = date(ctx.as_of.year - COMPARISON_YEARS, 1, 1)
    if p.temperature_source == "open-meteo" and p.place.noaa_station:
        other_name = "noaa"
        other = noaa_daily(p.place.noaa_station, start, ctx.as_of, session=session)
    else:
        other_name = "open-meteo"
        other = daily_through_today(p.place, start, ctx.as_of, session=session)
    datasets: dict[str, Any] = {
        "temperatures": temps,
        "16-day forecast": forecast,
        "comparison temperatures": other,
    }
    by_source = {p.temperature_source: season.cum, other_name: season_cum_dd(other, p.dd)}
    return DegreeDaysResult(context=ctx, datasets=datasets, season=season, by_source=by_source)
