"""Open-Meteo forecast API (``/forecast``): the 16-day daily outlook and the 15-minute sunshine nowcast.

Look here for ``forecast_daily(place)`` (16 days, optionally with ``past_days`` of recent analysed days, which
bridge the archive's ~5-day lag) and ``forecast_minutely_15(place)`` (sunshine minutes and day/night per
quarter hour for the next 3 days). The place's time zone is always sent, so daily values are the place's own
days; tiers: daily LIVE (3 h), minutely LIVE_SHORT (1 h).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from butterfly_lib.http import Tier, fetch
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.provenance import attach
from butterfly_lib.sources.open_meteo.common import (
    DAILY_VARIABLES,
    SUBDAILY_VARIABLES,
    check_int,
    check_variables,
    checker,
    parse_block,
    place_location,
)

SOURCE = "open_meteo_forecast"
MAX_FORECAST_DAYS = 16
MAX_PAST_DAYS = 92
MAX_MINUTELY_DAYS = 16

DAILY_DEFAULT: tuple[str, ...] = (
    "temperature_2m_max",
    "temperature_2m_min",
    "sunshine_duration",
    "daylight_duration",
    "precipitation_sum",
    "precipitation_probability_max",
    "wind_speed_10m_max",
    "weather_code",
)
MINUTELY_DEFAULT: tuple[str, ...] = ("sunshine_duration", "is_day")


def forecast_url(session: ButterflySession) -> str:
    return session.url(SOURCE, "forecast")


def forecast_daily(
    place: Place,
    *,
    forecast_days: int = MAX_FORECAST_DAYS,
    past_days: int = 0,
    variables: Sequence[str] = DAILY_DEFAULT,
    session: ButterflySession,
) -> pd.DataFrame:
    """Daily forecast for ``place``: one row per local day, ``past_days`` before today to ``forecast_days`` ahead.

    Columns (default variables): ``date`` (tz-aware local midnight), ``tmax_c``, ``tmin_c``, ``sunshine_h``,
    ``daylight_h``, ``precipitation_mm``, ``precipitation_probability_pct``, ``wind_speed_max_kmh``,
    ``weather_code``, ``weather``. Provenance on ``attrs["provenance"]``.
    """
    variables = check_variables(variables, DAILY_VARIABLES, "daily")
    forecast_days = check_int("forecast_days", forecast_days, 1, MAX_FORECAST_DAYS)
    past_days = check_int("past_days", past_days, 0, MAX_PAST_DAYS)
    url = forecast_url(session)
    params = {
        "latitude": place.latitude,
        "longitude": place.longitude,
        "daily": variables,
        "timezone": place.timezone,
        "forecast_days": forecast_days,
        "past_days": past_days,
    }

    def parse(payload: object, full_url: str = url) -> pd.DataFrame:
        return parse_block(payload, "daily", variables, timezone=place.timezone, source=SOURCE, url=full_url)

    got = fetch(
        SOURCE,
        url,
        params,
        tier=Tier.LIVE,
        location=place_location(place.name, place.latitude, place.longitude),
        session=session,
        check=(check := checker(parse)),
    )
    return attach(check.result(got.data, got.url), got.provenance)


def forecast_minutely_15(
    place: Place,
    *,
    days: int = 3,
    variables: Sequence[str] = MINUTELY_DEFAULT,
    session: ButterflySession,
) -> pd.DataFrame:
    """Quarter-hourly values for the next ``days`` days from now (``forecast_minutely_15 = 96 × days``).

    Columns (default variables): ``time`` (tz-aware local start of the quarter hour), ``sunshine_min`` (0–15),
    ``is_day`` (1/0, nullable). Outside Central Europe and North America Open-Meteo interpolates these from
    hourly models. Tier LIVE_SHORT.
    """
    variables = check_variables(variables, SUBDAILY_VARIABLES, "minutely_15")
    days = check_int("days", days, 1, MAX_MINUTELY_DAYS)
    url = forecast_url(session)
    params = {
        "latitude": place.latitude,
        "longitude": place.longitude,
        "minutely_15": variables,
        "timezone": place.timezone,
        "forecast_minutely_15": 96 * days,
    }

    def parse(payload: object, full_url: str = url) -> pd.DataFrame:
        return parse_block(
            payload, "minutely_15", variables, timezone=place.timezone, source=SOURCE, url=full_url
        )

    got = fetch(
        SOURCE,
        url,
        params,
        tier=Tier.LIVE_SHORT,
        location=place_location(place.name, place.latitude, place.longitude),
        session=session,
        check=(check := checker(parse)),
    )
    return attach(check.result(got.data, got.url), got.provenance)
