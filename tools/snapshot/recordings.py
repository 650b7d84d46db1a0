"""The real recordings the snapshot is built from, loaded once, and the series derived from them.

Look here to see exactly which file and which rows stand behind a snapshot response. Inputs:
``data/upstream-site/`` (forecasts issued daily in 2026, 15-minute sunshine, iNaturalist sightings and monthly
species counts, as an earlier Portland planner published them) and ``data/noaa/`` (the Portland airport
GHCN-Daily record, 1940-10-14 .. 2024-12-09). Derivations live here too, each a vectorized pandas step:

- ``portland_daily()``: one row per day 1940 .. as-of for Portland. Up to the end of the NOAA record: the station's
  TMAX/TMIN/PRCP converted to metric (kind derived: a station stands in for the gridded archive). 2026-02-04 ..
  as-of: the forecast issued on that very day (lead 0), else the next day's issue (its "past day", lead -1).
  Every other day (2024-12-10 .. 2026-02-03 and any gap): the 1991-2020 NOAA normal of that calendar day.
- ``daily_normals()``: 1991-2020 mean TMAX/TMIN per calendar day, smoothed with a 31-day circular window.
- ``weather_code_of(label)``: the WMO code whose Open-Meteo label the earlier site showed (``CONDITION_CODES``).
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from butterfly_lib.settings import Paths
from butterfly_lib.units import f_to_c

UPSTREAM = "upstream-site"
NOAA_FILE = "noaa/USW00024229_portland_airport_1940-2024.csv"
NOAA_STATION = "USW00024229"
NORMALS_YEARS = (1991, 2020)
NORMALS_WINDOW_DAYS = 31
#: the earlier site's condition labels -> the WMO code Open-Meteo labels that way (its own code table)
CONDITION_CODES: dict[str, int] = {
    "Clear": 0,
    "Mostly Clear": 1,
    "Partly Cloudy": 2,
    "Overcast": 3,
    "Fog": 45,
    "Light Drizzle": 51,
    "Drizzle": 53,
    "Heavy Drizzle": 55,
    "Light Rain": 61,
    "Rain": 63,
    "Heavy Rain": 65,
    "Light Snow": 71,
    "Snow": 73,
    "Heavy Snow": 75,
    "Light Showers": 80,
    "Showers": 81,
    "Light Snow Showers": 85,
    "Thunderstorm": 95,
}
#: the box the earlier site asked iNaturalist for (swlat, swlng, nelat, nelng)
RECORDED_BOX = (44.5, -124.2, 46.5, -121.5)


def data_root() -> Path:
    return Paths().data_dir


def input_path(name: str) -> Path:
    return data_root() / (name if "/" in name else f"{UPSTREAM}/{name}")


def weather_code_of(labels: pd.Series) -> pd.Series:
    """WMO codes for condition labels such as '☁️ Overcast' (emoji and trailing page text ignored)."""
    words = labels.astype("string").str.replace(r"^[^A-Za-z]*", "", regex=True).str.split(" Green").str[0]
    return words.str.strip().map(CONDITION_CODES).astype("Int64")


@lru_cache(maxsize=1)
def forecasts() -> pd.DataFrame:
    """forecasts.csv with ``issue_day`` (the UTC date the page was built), ``day`` and ``lead`` (days)."""
    f = pd.read_csv(input_path("forecasts.csv"))
    f["issued_at"] = pd.to_datetime(f["issued"].str.replace("T", " ").str[:16])
    f["issue_day"] = f["issued"].str[:10].map(date.fromisoformat)
    f["day"] = f["date"].map(date.fromisoformat)
    f["lead"] = (pd.to_datetime(f["date"]) - pd.to_datetime(f["issue_day"])).dt.days
    f["weather_code"] = weather_code_of(f["conditions"])
    return f


def issue_of(as_of: date) -> pd.DataFrame:
    """The 16-day forecast issued on ``as_of`` (the day's last issue), one row per forecast day."""
    f = forecasts()
    f = f[f["issue_day"] == as_of]
    if f.empty:
        raise LookupError(f"forecasts.csv has no forecast issued on {as_of}")
    f = f[f["issued_at"] == f["issued_at"].max()]
    return f.sort_values("day").drop_duplicates("day").reset_index(drop=True)


@lru_cache(maxsize=1)
def same_day_forecasts() -> pd.DataFrame:
    """Per day: the value forecast on that day (lead 0), else by the next day's issue (lead -1)."""
    f = forecasts()
    f = f[f["lead"].isin([0, -1])].copy()
    f["rank"] = f["lead"].abs()
    f = f.sort_values(["day", "rank", "issued_at"], ascending=[True, True, False])
    return f.drop_duplicates("day").set_index("day")


@lru_cache(maxsize=1)
def noaa_station() -> pd.DataFrame:
    """The bundled NOAA record, values kept as the CSV strings (so re-encoding is exact)."""
    t = pd.read_csv(data_root() / NOAA_FILE, dtype=str, keep_default_na=False)
    t["day"] = t["DATE"].map(date.fromisoformat)
    return t


@lru_cache(maxsize=1)
def daily_normals() -> pd.DataFrame:
    """1991-2020 mean TMAX/TMIN (°F) per leap-year calendar day (index 'MM-DD'), 31-day circular smoothing."""
    t = noaa_station()
    years = t["DATE"].str[:4].astype(int)
    t = t[(years >= NORMALS_YEARS[0]) & (years <= NORMALS_YEARS[1])]
    vals = t[["TMAX", "TMIN"]].apply(pd.to_numeric, errors="coerce")
    raw = vals.groupby(t["DATE"].str[5:]).mean()
    cal = pd.date_range("2000-01-01", "2000-12-31").strftime("%m-%d")
    raw = raw.reindex(cal)
    half = NORMALS_WINDOW_DAYS // 2
    padded = pd.concat([raw.iloc[-half:], raw, raw.iloc[:half]])
    smooth = padded.rolling(NORMALS_WINDOW_DAYS, center=True, min_periods=1).mean().iloc[half:-half]
    smooth.index = cal
    return smooth


@lru_cache(maxsize=4)
def portland_daily(as_of: date) -> pd.DataFrame:
    """Portland daily values 1940-10-14 .. ``as_of`` with the origin of each row (see module docstring).

    Columns: ``tmax_c``, ``tmin_c``, ``precipitation_mm``, ``sunshine_s``, ``daylight_s``, ``weather_code``,
    ``origin`` in {"noaa", "forecast", "normal"}; index: ``day`` (datetime.date).
    """
    t = noaa_station()
    first, noaa_last = t["day"].min(), t["day"].max()
    days = pd.date_range(first, as_of).date
    out = pd.DataFrame(index=pd.Index(days, name="day"))
    st = t.set_index("day")
    num = st[["TMAX", "TMIN", "PRCP"]].apply(pd.to_numeric, errors="coerce")
    out["tmax_c"] = f_to_c(num["TMAX"].reindex(out.index))
    out["tmin_c"] = f_to_c(num["TMIN"].reindex(out.index))
    out["precipitation_mm"] = (num["PRCP"] * 25.4).reindex(out.index)
    out["sunshine_s"] = np.nan
    out["daylight_s"] = np.nan
    out["weather_code"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["origin"] = np.where(out.index.isin(st.index), "noaa", "")
    fc = same_day_forecasts()
    fc = fc[(fc.index > noaa_last) & (fc.index <= as_of)]
    idx = fc.index
    out.loc[idx, "tmax_c"] = fc["high"].astype(float)
    out.loc[idx, "tmin_c"] = fc["low"].astype(float)
    out.loc[idx, "precipitation_mm"] = fc["precip"].astype(float)
    out.loc[idx, "sunshine_s"] = fc["sunshine_h"].astype(float) * 3600.0
    out.loc[idx, "daylight_s"] = fc["daylight_h"].astype(float) * 3600.0
    out.loc[idx, "weather_code"] = fc["weather_code"]
    out.loc[idx, "origin"] = "forecast"
    gap = (out["origin"] == "") | ((out["origin"] == "noaa") & out["tmax_c"].isna() & (out.index > noaa_last))
    normals = daily_normals()
    md = pd.Index([d.strftime("%m-%d") for d in out.index[gap]])
    out.loc[gap, "tmax_c"] = f_to_c(normals["TMAX"].reindex(md).to_numpy())
    out.loc[gap, "tmin_c"] = f_to_c(normals["TMIN"].reindex(md).to_numpy())
    out.loc[gap, "precipitation_mm"] = np.nan
    out.loc[gap, "origin"] = "normal"
    return out


_WEATHER_RE = re.compile(r"^(?:(?P<cond>.*?) · )?(?P<hi>-?\d+)/(?P<lo>-?\d+)°C(?: · (?P<mm>[\d.]+)mm)?$")


@lru_cache(maxsize=1)
def sightings() -> pd.DataFrame:
    """sightings.csv with taxon ids completed from species_counts.csv by scientific name where the page lacked
    one, ``day`` (date) and the shown weather parsed: ``w_code``, ``w_tmax_c``, ``w_tmin_c``, ``w_precip_mm``."""
    s = pd.read_csv(input_path("sightings.csv"))
    names = species_counts().drop_duplicates("scientific_name").set_index("scientific_name")["taxon_id"]
    s["taxon_id"] = s["taxon_id"].fillna(s["scientific_name"].map(names)).astype("Int64")
    s["day"] = s["observed_on"].map(date.fromisoformat)
    parts = s["weather_shown"].astype("string").str.extract(_WEATHER_RE)
    s["w_code"] = weather_code_of(parts["cond"].fillna(""))
    s["w_tmax_c"] = pd.to_numeric(parts["hi"], errors="coerce")
    s["w_tmin_c"] = pd.to_numeric(parts["lo"], errors="coerce")
    s["w_precip_mm"] = pd.to_numeric(parts["mm"], errors="coerce")
    return s.sort_values("observation_id").reset_index(drop=True)


@lru_cache(maxsize=1)
def species_counts() -> pd.DataFrame:
    c = pd.read_csv(input_path("species_counts.csv"))
    c["issued_at"] = pd.to_datetime(c["issued"])
    return c


def monthly_counts(month: int, as_of: date) -> pd.DataFrame:
    """The species counts the page showed for ``month``: its last issue on or before ``as_of`` (else its first)."""
    c = species_counts()
    c = c[c["month"] == month]
    if c.empty:
        raise LookupError(f"species_counts.csv has no counts for month {month}")
    before = c[c["issued_at"].dt.date <= as_of]
    pick = before["issued_at"].max() if not before.empty else c["issued_at"].min()
    return c[c["issued_at"] == pick].drop_duplicates("taxon_id").reset_index(drop=True)


@lru_cache(maxsize=4)
def sunshine_15min(as_of: date) -> pd.DataFrame:
    """The 15-minute sunshine recorded on the build of ``as_of``: ``time`` (local wall clock), ``sunshine_min``."""
    s = pd.read_csv(input_path("sunshine_15min.csv"))
    s = s[s["issued"].str[:10] == as_of.isoformat()]
    if s.empty:
        raise LookupError(f"sunshine_15min.csv has no build on {as_of}")
    s = s[s["issued"] == s["issued"].max()]
    clock = pd.to_datetime(s["time"], format="%I:%M %p")
    times = pd.Timestamp(as_of) + (clock - clock.dt.normalize())
    return pd.DataFrame(
        {"time": times.to_numpy(), "sunshine_min": s["sunshine_min"].astype(float).to_numpy()}
    )
