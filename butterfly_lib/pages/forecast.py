"""The forecast page: which of the next 16 days are best to go out, and why.

Look here for what the forecast page computes: the 16-day daily forecast, the 15-minute sunshine of the next
three days, the ensemble members (spread), the daily outlook with ensemble quantiles, and the viewing index of
each day with its reason, using the number of species expected to be flying (from the shared season and
profiles), each day's sky in words (``analysis.sky``: from its sunshine share and rain, not Open-Meteo's
worst-hour weather code), the best days (``rank_days``, only days that meet the monitoring protocol unless none
does) and the species to look for (the most seen around this date, shared with the species page). Summary: the
best days with their weather.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
import xarray as xr

from butterfly_lib.analysis.outlook import daily_outlook
from butterfly_lib.analysis.sky import sky_label
from butterfly_lib.analysis.viewing_index import rank_days, viewing_index
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult, number
from butterfly_lib.pages.species import taxon_url
from butterfly_lib.sources.open_meteo import ensemble, forecast_minutely_15

#: how many best days the summary and the table's highlight name
BEST_DAYS = 3
#: how many species the answer sentence names
LOOK_FOR = 3
#: the shared products this page reads (``Products``), directly or through another product: what the runner's
#: prefetch warms for it (``flying``, the species expected on the wing, rests on the record's phenology)
PRODUCTS = ("temperatures", "forecast", "season", "record", "effort", "cells", "sightings", "phenology",
            "species_week", "flying")  # fmt: skip


@dataclass(frozen=True)
class BestDay:
    date: str
    index: float | None
    reason: str
    #: the day's sky in words (``analysis.sky.sky_label``); "" when unknown
    sky: str = ""
    tmax_f: float | None = None
    tmin_f: float | None = None
    sunshine_h: float | None = None
    daylight_h: float | None = None
    #: whether the day meets the UKBMS walk conditions (``viewing_index.protocol_met``)
    protocol_met: bool = False


@dataclass(frozen=True)
class LookFor:
    common_name: str
    scientific_name: str
    count: int
    url: str | None


@dataclass(frozen=True)
class ForecastSummary:
    best_days: list[BestDay]


@dataclass(kw_only=True)
class ForecastResult(PageResult):
    name: ClassVar[str] = "forecast"
    daily: pd.DataFrame
    minutely: pd.DataFrame
    members: xr.Dataset
    scored: pd.DataFrame
    #: the species most seen around this date (all years), most first
    look_for: list[LookFor] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"outlook": self.scored, "sunshine-15min": self.minutely}

    @property
    def summary(self) -> ForecastSummary:
        return best_days(self.scored)


def best_days(scored: pd.DataFrame, top: int = BEST_DAYS) -> ForecastSummary:
    """The best-days card: the ``top`` days by viewing index (``analysis.viewing_index.rank_days``), taken from
    the days that meet the monitoring protocol; from all days only when none does (their reasons say so)."""
    ranked = rank_days(scored)
    if "protocol_met" in ranked and ranked["protocol_met"].fillna(False).astype(bool).any():
        ranked = ranked[ranked["protocol_met"].fillna(False).astype(bool)]
    best = ranked.head(top)

    def col(name: str) -> pd.Series:
        return best[name] if name in best else pd.Series([None] * len(best), index=best.index)

    return ForecastSummary(
        [
            BestDay(
                pd.Timestamp(d).date().isoformat(), number(i, 0), str(r), str(s or ""), number(hi), number(lo),
                number(sun), number(day), bool(ok) if pd.notna(ok) else False,
            )  # fmt: skip
            for d, i, r, s, hi, lo, sun, day, ok in zip(
                best["date"], best["viewing_index"], best["reason"], col("sky"), col("tmax_f"), col("tmin_f"),
                col("sunshine_h"), col("daylight_h"), col("protocol_met"), strict=True,
            )  # fmt: skip
        ]
    )


def best_day_flags(scored: pd.DataFrame, top: int = BEST_DAYS) -> pd.Series:
    """True on the rows of ``scored`` that ``best_days`` names (the forecast table's highlight)."""
    chosen = {d.date for d in best_days(scored, top).best_days}
    days = pd.DatetimeIndex(pd.to_datetime(scored["date"])).strftime("%Y-%m-%d")
    return pd.Series(days.isin(list(chosen)), index=scored.index, name="best_day")


def look_for(week: pd.DataFrame, top: int = LOOK_FOR) -> list[LookFor]:
    """The ``top`` species most seen around this date (iNaturalist counts, all years)."""
    head = week.sort_values("count", ascending=False, kind="stable").head(top)
    return [
        LookFor(str(c) if isinstance(c, str) and c else str(s), str(s), int(n), taxon_url(t))
        for c, s, n, t in zip(head["common_name"], head["scientific_name"], head["count"], head["taxon_id"], strict=True)
    ]


def build(ctx: PageContext) -> ForecastResult:
    place, session = ctx.place.place, ctx.session
    daily = ctx.products.forecast
    minutely = forecast_minutely_15(place, days=3, session=session)
    members = ensemble(place, session=session)
    temps = ctx.products.temperatures
    week = ctx.products.species_week
    scored = viewing_index(daily_outlook(daily, members), ctx.products.flying)
    scored["sky"] = sky_label(
        scored["sunshine_h"], scored.get("daylight_h"), scored.get("precipitation_mm"),
        scored.get("precipitation_probability_pct"),
    )  # fmt: skip
    scored["best_day"] = best_day_flags(scored).to_numpy()
    datasets: dict[str, Any] = {
        "16-day forecast": daily,
        "15-minute sunshine": minutely,
        "ensemble": members,
        "temperatures": temps,
        "species around this week": week,
    }
    return ForecastResult(
        context=ctx, datasets=datasets, daily=daily, minutely=minutely, members=members, scored=scored,
        look_for=look_for(week),
    )  # fmt: skip
