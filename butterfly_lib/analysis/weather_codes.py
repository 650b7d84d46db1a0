"""WMO weather codes (Open-Meteo ``weather_code``) to short labels, for analyses whose frame lacks a label.

Look here when a weather frame has codes but no ``weather`` label column (the Open-Meteo source adds one;
analyses prefer that column and fall back to ``label_for``). Analysis must not import sources, so this is the
small table of WMO code table 4677 entries that Open-Meteo reports.
"""

from __future__ import annotations

import pandas as pd

WMO_LABELS: dict[int, str] = {
    0: "clear sky", 1: "mainly clear", 2: "partly cloudy", 3: "overcast",
    45: "fog", 48: "depositing rime fog",
    51: "light drizzle", 53: "moderate drizzle", 55: "dense drizzle",
    56: "light freezing drizzle", 57: "dense freezing drizzle",
    61: "slight rain", 63: "moderate rain", 65: "heavy rain",
    66: "light freezing rain", 67: "heavy freezing rain",
    71: "slight snowfall", 73: "moderate snowfall", 75: "heavy snowfall", 77: "snow grains",
    80: "slight rain showers", 81: "moderate rain showers", 82: "violent rain showers",
    85: "slight snow showers", 86: "heavy snow showers",
    95: "thunderstorm", 96: "thunderstorm with slight hail", 99: "thunderstorm with heavy hail",
}  # fmt: skip


def label_for(codes: pd.Series) -> pd.Series:
    """Labels for WMO codes; missing stays missing (``<NA>``), an unlisted code reads ``"WMO code N"``."""
    num = pd.to_numeric(codes, errors="coerce").astype("Int64")
    labels = num.map(WMO_LABELS, na_action="ignore").astype("object")
    unknown = num.notna() & labels.isna()
    labels[unknown] = "WMO code " + num[unknown].astype(str)
    return labels.astype("string")


def condition(frame: pd.DataFrame) -> pd.Series:
    """The frame's ``weather`` label column where present and filled, else ``label_for(weather_code)``."""
    fallback = (
        label_for(frame["weather_code"]) if "weather_code" in frame else pd.Series(pd.NA, index=frame.index)
    ).astype("string")
    if "weather" in frame:
        return frame["weather"].astype("string").fillna(fallback)
    return fallback
