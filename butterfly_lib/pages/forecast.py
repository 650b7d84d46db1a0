"""The forecast page: which of the next 16 days are best to go out, and why.

Look here for what the forecast page computes: the 16-day daily forecast, the 15-minute sunshine of the next
three days, the ensemble members (spread), the daily outlook with ensemble quantiles, and the viewing index of
each day with its reason, using the number of species expected to be flying (from the shared season and
profiles). Summary: the best days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import xarray as xr

from butterfly_lib.analysis.outlook import daily_outlook
from butterfly_lib.analysis.viewing_index import rank_days, viewing_index
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult, number
from butterfly_lib.sources.open_meteo import ensemble, forecast_minutely_15


@dataclass(frozen=True)
class BestDay:
    date: str
    index: float | None
    reason: str


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

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"outlook": self.scored, "sunshine-15min": self.minutely}

    @property
    def summary(self) -> ForecastSummary:
        return best_days(self.scored)


def best_days(scored: pd.DataFrame, top: int = 3) -> ForecastSummary:
    """The best-days card: the ``top`` days by viewing index (``analysis.viewing_index.rank_days``)."""
    best = rank_days(scored, top=top)
    return ForecastSummary(
        [
            BestDay(pd.Timestamp(d).date().isoformat(), number(i, 0), str(r))
            for d, i, r in zip(best["date"], best["viewing_index"], best["reason"], strict=True)
        ]
    )


def build(ctx: PageContext) -> ForecastResult:
    place, session = ctx.place.place, ctx.session
    daily = ctx.products.forecast
    minutely = forecast_minutely_15(place, days=3, session=session)
    members = ensemble(place, session=session)
    temps = ctx.products.temperatures
    scored = viewing_index(daily_outlook(daily, members), ctx.products.flying)
    datasets: dict[str, Any] = {
        "16-day forecast": daily,
        "15-minute sunshine": minutely,
        "ensemble": members,
        "temperatures": temps,
    }
    return ForecastResult(
        context=ctx, datasets=datasets, daily=daily, minutely=minutely, members=members, scored=scored
    )
