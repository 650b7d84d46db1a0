"""The sky of a day in words, from what a page shows: the share of daylight in sunshine and the rain.

Look here for ``sky_label`` (the forecast table's and the map popups' "sunny", "partly sunny", ...),
``daylight_hours`` (sunrise to sunset at a latitude, for days whose source gives no daylight) and ``SKY_RULE``
(the rule in one sentence, for captions).

Why not Open-Meteo's ``weather_code``: its *daily* code is the most severe hour of the day (WMO code table
4677), so one cloudy hour makes a day "overcast" even with 15.5 of 15.7 hours of sunshine. The label here is
judged on the whole day instead: sunny from 80 % of daylight in sunshine, mostly sunny from 60 %, partly sunny
from 40 %, mostly cloudy from 20 %, cloudy below; rain is added when the forecast amount reaches 1 mm or its
chance 50 % ("showers" on a day that is at least partly sunny, "rain" otherwise). Open-Meteo's sunshine duration
counts the seconds with direct normal irradiance above 120 W/m² (the WMO sunshine definition), so the share is
what a walker would call sunny.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (lowest share of daylight in sunshine, label), sunniest first
SKY_STEPS: tuple[tuple[float, str], ...] = (
    (0.8, "sunny"),
    (0.6, "mostly sunny"),
    (0.4, "partly sunny"),
    (0.2, "mostly cloudy"),
    (0.0, "cloudy"),
)
RAIN_MM = 1.0
RAIN_CHANCE_PCT = 50.0
SKY_RULE = (
    "Sky: judged from the share of daylight forecast sunny (sunny from 80 %, mostly sunny from 60 %, partly "
    "sunny from 40 %, mostly cloudy from 20 %, cloudy below) and rain (from 1 mm or a 50 % chance). "
    "Open-Meteo's daily weather code names the day's most severe hour, not its usual sky; it stays in the data file."
)


def _num(values: object, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce").to_numpy(float)


def sky_label(
    sunshine_h: object,
    daylight_h: object,
    precipitation_mm: object = None,
    precipitation_probability_pct: object = None,
) -> np.ndarray:
    """One label per day (object array): "sunny", "mostly sunny, showers", "cloudy, rain", ...; "" when the
    sunshine share is unknown and no rain is expected (the caller then says what it knows instead)."""
    sun = _num(sunshine_h, len(np.atleast_1d(np.asarray(sunshine_h, dtype=object))))
    n = len(sun)
    day = _num(daylight_h, n)
    mm = _num(precipitation_mm, n)
    prob = _num(precipitation_probability_pct, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(day > 0, np.clip(sun / day, 0.0, 1.0), np.nan)
    known = ~np.isnan(share)
    labels = np.select(
        [known & (share >= lo) for lo, _ in SKY_STEPS], [lab for _, lab in SKY_STEPS], default=""
    ).astype(object)
    with np.errstate(invalid="ignore"):
        wet = (mm >= RAIN_MM) | (prob >= RAIN_CHANCE_PCT)
    sunny_enough = known & (share >= 0.4)
    rain = np.where(sunny_enough, "showers", "rain")
    out = np.where(wet & (labels != ""), labels + ", " + rain, labels)
    return np.where(wet & (labels == ""), "rain", out).astype(object)


def daylight_hours(latitude: float | np.ndarray, day_of_year: object) -> np.ndarray:
    """Hours from sunrise to sunset (sun's upper limb, standard refraction: -0.833°) at ``latitude`` on each
    day of the year; within a few minutes of Open-Meteo's ``daylight_duration`` away from the poles."""
    doy = np.asarray(day_of_year, dtype=float)
    lat = np.radians(np.asarray(latitude, dtype=float))
    gamma = 2.0 * np.pi * (doy - 1.0) / 365.0
    # Spencer (1971) declination series
    decl = (
        0.006918
        - 0.399912 * np.cos(gamma)
        + 0.070257 * np.sin(gamma)
        - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma)
        - 0.002697 * np.cos(3 * gamma)
        + 0.00148 * np.sin(3 * gamma)
    )
    cos_h = (np.sin(np.radians(-0.833)) - np.sin(lat) * np.sin(decl)) / (np.cos(lat) * np.cos(decl))
    return 2.0 * np.degrees(np.arccos(np.clip(cos_h, -1.0, 1.0))) / 15.0
