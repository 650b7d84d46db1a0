"""Frames for the presentation tests, built from the real recordings in ``data/`` (upstream-site, NOAA).

They have the columns the sources return, so the figures, tables and maps are tested on real values; the
provenance attached says where they came from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from butterfly_lib.provenance import Provenance, attach

DATA = Path(__file__).resolve().parent.parent / "data"
TZ = "America/Los_Angeles"


def prov(source: str, kind: str = "observed", **kw) -> Provenance:
    return Provenance(source=source, url=f"https://example.org/{source}", fetched_at=datetime(2026, 6, 15, tzinfo=UTC),
                      expires=None, from_cache=False, kind=kind, **kw)


def forecast_daily(issued_day: str = "2026-06-13") -> pd.DataFrame:
    f = pd.read_csv(DATA / "upstream-site" / "forecasts.csv")
    f = f[f["issued"].str.startswith(issued_day)]
    f = f[f["issued"] == f["issued"].iloc[0]]
    out = pd.DataFrame({
        "date": pd.to_datetime(f["date"]).dt.tz_localize(TZ),
        "tmax_c": f["high"].astype(float), "tmin_c": f["low"].astype(float),
        "sunshine_h": f["sunshine_h"].astype(float), "daylight_h": f["daylight_h"].astype(float),
        "precipitation_mm": f["precip"].astype(float), "weather": f["conditions"].str.split(" ", n=1).str[1],
    }).reset_index(drop=True)
    return attach(out, prov("open_meteo_forecast"))


def minutely(issued_day: str = "2026-06-10") -> pd.DataFrame:
    s = pd.read_csv(DATA / "upstream-site" / "sunshine_15min.csv")
    s = s[s["issued"].str.startswith(issued_day)]
    s = s[s["issued"] == s["issued"].iloc[0]]
    t = pd.to_datetime(issued_day + " " + s["time"], format="%Y-%m-%d %I:%M %p").dt.tz_localize(TZ)
    out = pd.DataFrame({"time": t, "sunshine_min": s["sunshine_min"].astype(float), "is_day": 1}).reset_index(drop=True)
    return attach(out, prov("open_meteo_forecast"))


def noaa_daily() -> pd.DataFrame:
    n = pd.read_csv(DATA / "noaa" / "USW00024229_portland_airport_1940-2024.csv", usecols=["DATE", "TMAX", "TMIN"])
    return pd.DataFrame({"date": pd.to_datetime(n["DATE"]), "tmax": n["TMAX"].astype(float),
                         "tmin": n["TMIN"].astype(float)})


def sightings() -> pd.DataFrame:
    s = pd.read_csv(DATA / "upstream-site" / "sightings.csv")
    out = pd.DataFrame({
        "id": s["observation_id"], "taxon_id": s["taxon_id"].astype("Int64"),
        "scientific_name": s["scientific_name"], "common_name": s["common_name"],
        "observed_on": pd.to_datetime(s["observed_on"]), "latitude": s["latitude"], "longitude": s["longitude"],
        "photo_url": s["photo_url"], "url": s["url"], "user_login": None, "place_guess": None, "license": None,
        "quality_grade": "research", "obscured": False,
    })
    return attach(out, prov("inaturalist"))


def ensemble_band(daily: pd.DataFrame, spread_c: float = 2.5) -> pd.DataFrame:
    """A long quantile frame around the forecast highs, labelled simulated (as the snapshot's would be)."""
    rng = np.random.default_rng(0)
    width = spread_c + rng.uniform(0, 1, len(daily)) * np.arange(len(daily)) / 4
    out = pd.DataFrame({"variable": "tmax_c", "date": daily["date"], "p10": daily["tmax_c"] - width,
                        "p50": daily["tmax_c"], "p90": daily["tmax_c"] + width, "members": 30})
    return attach(out, prov("open_meteo_ensemble", kind="simulated", notice="simulated members, seed 0"))
