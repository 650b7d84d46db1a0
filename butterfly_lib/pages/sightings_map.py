"""The sightings-map page: where butterflies were seen around this date, with the weather on each sighting's day.

Look here for what the map page computes: research-grade observations on the month-days around the as-of date
in every year (at most ``MAX_SIGHTINGS``), the archive weather at each sighting's own grid cell on its day, and
the two joined (``analysis.sighting_weather``). The map itself is drawn by ``presentation.maps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.analysis.sighting_weather import sightings_with_weather
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult
from butterfly_lib.provenance import provenance_of
from butterfly_lib.sources.inaturalist import sightings_this_week
from butterfly_lib.sources.open_meteo import daily_at_dated_points

MAX_SIGHTINGS = 1000


@dataclass(kw_only=True)
class SightingsMapResult(PageResult):
    name: ClassVar[str] = "sightings_map"
    sightings: pd.DataFrame
    weather: pd.DataFrame
    with_weather: pd.DataFrame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"sightings": self.with_weather}

    @property
    def weather_kind(self) -> str:
        prov = provenance_of(self.weather)
        return prov.kind if prov else "observed"


def build(ctx: PageContext) -> SightingsMapResult:
    p, session = ctx.place, ctx.session
    sightings = sightings_this_week(
        p.place, ctx.as_of, p.days_back, p.days_ahead, taxon_id=p.taxon_id, max_results=MAX_SIGHTINGS,
        session=session,
    )  # fmt: skip
    weather = daily_at_dated_points(
        sightings["latitude"], sightings["longitude"], sightings["observed_on"], timezone=p.place.timezone,
        session=session,
    )  # fmt: skip
    datasets: dict[str, Any] = {"sightings": sightings, "weather on sighting days": weather}
    return SightingsMapResult(
        context=ctx,
        datasets=datasets,
        sightings=sightings,
        weather=weather,
        with_weather=sightings_with_weather(sightings, weather),
    )
