"""The sightings-map page: where butterflies were seen around this date, with the weather on each sighting's day.

Look here for what the map page computes: research-grade observations on the month-days around the as-of date
in every year (at most ``MAX_SIGHTINGS``), the archive weather at each sighting's own grid cell on its day, and
the two joined (``analysis.sighting_weather``), with each day's daylight (from the latitude) and sky in words
(``analysis.sky``: from the sunshine share when the archive gives sunshine; Open-Meteo's daily weather code is
the day's most severe hour, so it is not used as the sky). The map itself is drawn by ``presentation.maps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.analysis.sighting_weather import sightings_with_weather
from butterfly_lib.analysis.sky import daylight_hours, sky_label
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult
from butterfly_lib.provenance import provenance_of
from butterfly_lib.sources.inaturalist import sightings_this_week
from butterfly_lib.sources.open_meteo import daily_at_dated_points

MAX_SIGHTINGS = 1000
#: the shared products this page reads (``Products``): none, it asks its own sources
PRODUCTS: tuple[str, ...] = ()


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
        with_weather=with_sky(sightings_with_weather(sightings, weather)),
    )


def with_sky(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (``sightings_with_weather`` output) plus ``daylight_h`` and ``sky`` (see the module docstring)."""
    doy = pd.to_datetime(frame["observed_on"], errors="coerce", utc=True).dt.day_of_year.to_numpy(float)
    out = frame.copy()
    out["daylight_h"] = daylight_hours(frame["latitude"].to_numpy(float), doy) if len(frame) else []
    out["sky"] = sky_label(out["sunshine_h"], out["daylight_h"], out["precipitation_mm"]) if len(frame) else []
    return out
