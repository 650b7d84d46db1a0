"""The degree-days page: how far along the season is, against the normal, and station against grid.

Look here for what the degree-days page computes: this season's accumulation (shared ``season``), the normals
band, the comparison with the normal (days ahead or behind, percentile), the projection through the forecast,
last season for reference, and the season totals of the other temperature source (NOAA station when the page
uses Open-Meteo, and the other way round) for the station-against-grid comparison, and whether that comparison
means anything in this build (``comparison_note``: offline, the snapshot's "gridded" series is derived from the
station itself). Gaps in the comparison record are kept as reader notes (``notes``), not printed warnings.
Seasons start on the place's ``season_start`` (1 January north of the equator, 1 July south of it, unless
``site.yml`` says otherwise). Summary: the season card (with ``season_start``, the first day of this season).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.season import Season
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult, dataset_provenance, number
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import daily_through_today

#: seasons of the station-against-grid comparison
COMPARISON_YEARS = 11
#: the shared products this page reads (``Products``), directly or through another product: what the runner's
#: prefetch warms for it (no observation record)
PRODUCTS = ("temperatures", "forecast", "season")


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
    #: the first day of this season (ISO date): ``cum_dd`` counts from it
    season_start: str = ""


@dataclass(kw_only=True)
class DegreeDaysResult(PageResult):
    name: ClassVar[str] = "degree_days"
    season: Season
    #: cumulative degree days per source name ("open-meteo", "noaa") over the comparison seasons
    by_source: dict[str, pd.Series]
    #: what a reader should know about the comparison record (gaps left out), in words
    notes: list[str] = field(default_factory=list)

    @property
    def comparison_note(self) -> str:
        """Why the station-against-grid comparison is not shown in this build, or "" when it is meaningful:
        offline, the snapshot has no gridded archive, so its "Open-Meteo" series is derived from the very
        station it would be compared with."""
        station = self.context.place.place.noaa_station or ""
        provs = dataset_provenance(self.datasets)
        for name in ("temperatures", "comparison temperatures"):
            prov = provs.get(name)
            if prov is None or not prov.source.startswith("open_meteo") or prov.kind == "observed":
                continue
            if station and station in (prov.notice or ""):
                return (
                    f"Not shown in this build: the offline snapshot holds only the NOAA station record ({station}); "
                    "its gridded temperatures are derived from that same station, so the comparison would set the "
                    "station against itself. A live build compares the station with Open-Meteo's gridded archive."
                )
        return ""

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
            season_start=self.first_day.isoformat(),
        )

    @property
    def forecast_path(self) -> pd.Series:
        """The projected accumulation through the observed and forecast days (not the normal part)."""
        proj = self.season.projection
        return proj.set_index("date").loc[proj["part"].to_numpy() != "normal", "cum_dd_mid"]

    @property
    def first_day(self) -> date:
        """The first day of this season (the projection runs from it)."""
        return pd.Timestamp(self.season.projection["date"].iloc[0]).date()

    @property
    def last_year(self) -> pd.Series:
        """The season before this one (from its start to the day before this season's)."""
        cum = self.season.cum
        this = pd.Timestamp(self.first_day)
        return cum[(cum.index >= this - pd.DateOffset(years=1)) & (cum.index < this)]


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
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other_cum = season_cum_dd(other, p.dd, biofix=p.season_start)
    by_source = {p.temperature_source: season.cum, other_name: other_cum}
    notes = [gap_note(str(w.message), other_name) for w in caught if "gap" in str(w.message)]
    return DegreeDaysResult(context=ctx, datasets=datasets, season=season, by_source=by_source, notes=notes)


def _span(gap: str) -> str:
    """ "2024-12-10..2026-06-13" -> "Tue 10 Dec 2024 to Sat 13 Jun 2026"."""
    days = [date.fromisoformat(d) for d in gap.split("..")]
    return " to ".join(f"{d:%a} {d.day} {d:%b %Y}" for d in days)


def gap_note(message: str, source: str) -> str:
    """A degree-day gap warning of ``analysis.degree_days`` in a reader's words (the gap dates kept)."""
    gaps = re.findall(r"\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", message)
    named = {"noaa": "NOAA station record", "open-meteo": "Open-Meteo archive"}.get(source, source)
    spans = ", ".join(_span(g) for g in gaps) or "some days"
    return (
        f"The {named} has no temperatures for {spans}; a season with a gap longer than two days has no total "
        "and is left out of the comparison (nothing is guessed)."
    )
