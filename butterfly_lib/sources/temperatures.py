"""Daily temperatures for the degree-day clock from the source a page is set to: the Open-Meteo archive
(gridded; stitched to the forecast's past days so the series reaches the as-of day) or a NOAA station record.

Look here when a page needs "the temperatures" without caring which source the user chose
(``temperature_source`` parameter: ``"open-meteo"`` or ``"noaa"``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from butterfly_lib.errors import InvalidInput
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.settings import TEMPERATURE_SOURCES
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import daily_through_today


def daily_temperatures(
    source: str, place: Place, start: date, end: date, *, session: ButterflySession, today: date | None = None
) -> pd.DataFrame:
    """Daily max/min from ``start`` to ``end``: Open-Meteo (``tmax_c``/``tmin_c``) or NOAA at the place's
    station (``tmax_f``/``tmin_f``), with the source's provenance."""
    if source == "open-meteo":
        return daily_through_today(place, start, end, session=session, today=today)
    if source == "noaa":
        if not place.noaa_station:
            raise InvalidInput("noaa_station", place.noaa_station, "a GHCN-Daily station id when the source is noaa")
        return noaa_daily(place.noaa_station, start, end, session=session, today=today)
    raise InvalidInput("temperature_source", source, " | ".join(TEMPERATURE_SOURCES))
