"""WMO weather interpretation codes (WW) as Open-Meteo reports them in ``weather_code``, with English labels.

Look here to turn a code into words (``weather_label``), to read a frame's condition whether or not it carries
the label column (``condition``), or to add a code. The table is the subset of WMO code table 4677 that
Open-Meteo documents for its ``weather_code`` variable. Open-Meteo's *daily* code is the most severe hour of the
day, not the day's typical sky.
"""

from __future__ import annotations

import pandas as pd

WEATHER_CODES: dict[int, str] = {
    0: "clear sky",
    1: "mainly clear",
    2: "partly cloudy",
    3: "overcast",
    45: "fog",
    48: "depositing rime fog",
    51: "light drizzle",
    53: "moderate drizzle",
    55: "dense drizzle",
    56: "light freezing drizzle",
    57: "dense freezing drizzle",
    61: "slight rain",
    63: "moderate rain",
    65: "heavy rain",
    66: "light freezing rain",
    67: "heavy freezing rain",
    71: "slight snowfall",
    73: "moderate snowfall",
    75: "heavy snowfall",
    77: "snow grains",
    80: "slight rain showers",
    81: "moderate rain showers",
    82: "violent rain showers",
    85: "slight snow showers",
    86: "heavy snow showers",
    95: "thunderstorm",
    96: "thunderstorm with slight hail",
    99: "thunderstorm with heavy hail",
}


def weather_label(codes: pd.Series) -> pd.Series:
    """Labels for a series of codes; a missing code stays missing (``<NA>``), an unlisted one reads
    ``"WMO code N"``."""
    num = pd.to_numeric(codes, errors="coerce").astype("Int64")
    # a plain dict lookup per value: Series.map on nullable integers costs milliseconds per call, and a page
    # labels hundreds of short series (one per sighting cell)
    labels = [
        None if v is None else WEATHER_CODES.get(v) or f"WMO code {v}"
        for v in num.to_numpy(dtype=object, na_value=None)
    ]
    return pd.Series(labels, index=num.index, name=num.name, dtype="string")


def condition(frame: pd.DataFrame) -> pd.Series:
    """The frame's ``weather`` label column where present and filled, else ``weather_label(weather_code)``."""
    fallback = (
        weather_label(frame["weather_code"]) if "weather_code" in frame else pd.Series(pd.NA, index=frame.index)
    ).astype("string")
    if "weather" in frame:
        return frame["weather"].astype("string").fillna(fallback)
    return fallback
