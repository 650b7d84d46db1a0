"""The snapshot's Open-Meteo: ``/v1/forecast``, ``/v1/archive`` and ``/v1/ensemble`` over the real recordings.

Look here to see what each Open-Meteo request is answered with and why. Answers use Open-Meteo's own JSON
layout (``daily``/``minutely_15`` blocks with ``*_units``; a JSON list for comma-separated coordinates).

- forecast, days from the as-of date on: the 16-day forecast issued that day (observed, whole °C as the page
  rounded them); ``past_days``: the forecasts issued on those days (derived). minutely_15: the as-of day's
  recorded quarter hours (night quarters: 0 s of sunshine, ``is_day`` 0); later days null (not recorded).
- archive at Portland: ``recordings.portland_daily`` (NOAA station before 2024-12-10, same-day forecasts in
  2026, 1991-2020 normals in between and in gaps), all derived. Archive elsewhere (sighting cells): the weather
  the earlier site showed for sightings in that grid cell on that day (derived); other days null.
- ensemble: SIMULATED members around the issued forecast (``simulate_members``; fixed seed, spread growing
  with lead time).

Variables nothing recorded (precipitation probability, wind, gusts, mean temperature) are sent as null arrays
and named in the notice; a variable Open-Meteo does not know is a 400 error as the real API gives.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from tools.snapshot import recordings as rec
from tools.snapshot.answer import Answer, NotCovered, floats, ints, query

PORTLAND_LATLON = (45.52, -122.68)
#: a location this close (degrees) to Portland's own point is Portland; grid cells of sightings are farther
PORTLAND_RADIUS_DEG = 0.005
TIMEZONE = "America/Los_Angeles"
ENSEMBLE_SEED = 20260613
ENSEMBLE_MEMBERS = {"gfs_seamless": 31, "ecmwf_ifs025": 51, "icon_seamless": 40}
#: simulated spread: sd at lead 0 and growth of the random walk per day of lead
T_SD0, T_STEP = 0.7, 0.8  # °C
SUN_SD0, SUN_STEP = 0.3, 0.35  # logit of the sunny fraction of daylight

DAILY_UNITS = {
    "temperature_2m_max": "°C",
    "temperature_2m_min": "°C",
    "temperature_2m_mean": "°C",
    "sunshine_duration": "s",
    "daylight_duration": "s",
    "precipitation_sum": "mm",
    "precipitation_probability_max": "%",
    "wind_speed_10m_max": "km/h",
    "wind_gusts_10m_max": "km/h",
    "weather_code": "wmo code",
}
SUBDAILY_UNITS = {
    "sunshine_duration": "s",
    "is_day": "",
    "temperature_2m": "°C",
    "precipitation": "mm",
    "precipitation_probability": "%",
    "wind_speed_10m": "km/h",
    "weather_code": "wmo code",
}
#: daily variable -> column of recordings.portland_daily
SERIES_COLUMNS = {
    "temperature_2m_max": "tmax_c",
    "temperature_2m_min": "tmin_c",
    "sunshine_duration": "sunshine_s",
    "daylight_duration": "daylight_s",
    "precipitation_sum": "precipitation_mm",
    "weather_code": "weather_code",
}
COMMON = frozenset({"latitude", "longitude", "timezone", "models", "temperature_unit", "wind_speed_unit",
                    "precipitation_unit", "timeformat", "cell_selection"})  # fmt: skip
FORECAST_PARAMS = COMMON | {"daily", "minutely_15", "forecast_days", "past_days", "forecast_minutely_15",
                            "start_date", "end_date"}  # fmt: skip
ARCHIVE_PARAMS = COMMON | {"daily", "start_date", "end_date"}
ENSEMBLE_PARAMS = COMMON | {"daily", "forecast_days"}
_DEFAULT_UNITS = {"temperature_unit": "celsius", "wind_speed_unit": "kmh", "precipitation_unit": "mm",
                  "timeformat": "iso8601"}  # fmt: skip


class OpenMeteoError(NotCovered):
    """Open-Meteo's own 400 answer: ``{"error": true, "reason": ...}``."""


def _variables(value: str | None, table: dict[str, str]) -> list[str]:
    names = [v for v in (value or "").split(",") if v]
    bad = [v for v in names if v not in table]
    if bad:
        raise OpenMeteoError(f"Cannot initialize WeatherVariable from invalid String value {bad[0]}", 400)
    return names


def _common(p: dict[str, str]) -> tuple[list[float], list[float], str]:
    for key, want in _DEFAULT_UNITS.items():
        if p.get(key, want) != want:
            raise NotCovered(f"{key}={p[key]} (the snapshot holds {want} only)")
    if "latitude" not in p or "longitude" not in p:
        raise OpenMeteoError("Parameter 'latitude' and 'longitude' must be set", 400)
    lats, lons = floats(p["latitude"], "latitude"), floats(p["longitude"], "longitude")
    if len(lats) != len(lons):
        raise OpenMeteoError(
            "Parameter 'latitude' and 'longitude' must have the same number of elements", 400
        )
    tz = p.get("timezone", "GMT")
    if tz != TIMEZONE:
        raise NotCovered(f"timezone={tz}: the recordings are local days of {TIMEZONE} only")
    return lats, lons, tz


def _near_portland(lat: float, lon: float) -> bool:
    return (
        abs(lat - PORTLAND_LATLON[0]) <= PORTLAND_RADIUS_DEG
        and abs(lon - PORTLAND_LATLON[1]) <= PORTLAND_RADIUS_DEG
    )


def _clean(values: np.ndarray | pd.Series, digits: int) -> list:
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    out = np.round(arr, digits).astype(object)
    out[np.isnan(arr)] = None
    if digits == 0:
        return [None if v is None else int(v) for v in out]
    return out.tolist()


def _digits(var: str) -> int:
    return 0 if var in ("weather_code", "is_day") else 2 if var.endswith("_duration") else 1


def _envelope(lat: float, lon: float, tz: str, first: date) -> dict:
    offset = datetime(first.year, first.month, first.day, 12, tzinfo=ZoneInfo(tz)).utcoffset()
    return {
        "latitude": round(lat, 4),
        "longitude": round(lon, 4),
        "generationtime_ms": 0.0,
        "utc_offset_seconds": int(offset.total_seconds()) if offset else 0,
        "timezone": tz,
        "timezone_abbreviation": datetime(
            first.year, first.month, first.day, 12, tzinfo=ZoneInfo(tz)
        ).tzname(),
        "elevation": None,
    }


# ---------------------------------------------------------------- the Portland daily series


def portland_days(start: date, end: date, as_of: date) -> pd.DataFrame:
    """Portland rows ``start..end``: up to the day before ``as_of`` from ``portland_daily``, from ``as_of`` on
    the forecast issued on ``as_of`` (origin "issued")."""
    both, ordinals = _portland_series(as_of)
    last, first = both.index.max(), both.index.min()
    if end > last:
        raise NotCovered(f"days after {last} (the forecast issued {as_of} ends there)")
    if start < first:
        raise NotCovered(f"days before {first} (the start of the NOAA record the snapshot uses)")
    return both[(ordinals >= start.toordinal()) & (ordinals <= end.toordinal())]


@lru_cache(maxsize=4)
def _portland_series(as_of: date) -> tuple[pd.DataFrame, np.ndarray]:
    """The whole Portland series of ``as_of`` (decades of days) and its days as ordinals, built once: a fake
    archive answers a request per cell and season from it, and building it costs about 15 ms each time."""
    issue = rec.issue_of(as_of)
    past = rec.portland_daily(as_of)
    past = past[past.index < as_of]
    fut = pd.DataFrame(
        {
            "tmax_c": issue["high"].astype(float).to_numpy(),
            "tmin_c": issue["low"].astype(float).to_numpy(),
            "precipitation_mm": issue["precip"].astype(float).to_numpy(),
            "sunshine_s": issue["sunshine_h"].to_numpy() * 3600.0,
            "daylight_s": issue["daylight_h"].to_numpy() * 3600.0,
            "weather_code": issue["weather_code"].to_numpy(),
            "origin": "issued",
        },
        index=pd.Index(issue["day"], name="day"),
    )
    both = pd.concat([past, fut])
    return both, np.array([d.toordinal() for d in both.index])


def _ranges(days: list[date]) -> str:
    if not days:
        return ""
    s = pd.Series(pd.to_datetime(days)).sort_values()
    groups = (s.diff() != pd.Timedelta(days=1)).cumsum()
    spans = s.groupby(groups).agg(["min", "max"])
    return ", ".join(
        f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d}..{b:%Y-%m-%d}" for a, b in spans.itertuples(index=False)
    )


def _series_notice(rows: pd.DataFrame, as_of: date) -> tuple[str, str, list[str]]:
    origins = set(rows["origin"])
    notes, inputs = [], []
    if "issued" in origins:
        inputs.append("upstream-site/forecasts.csv")
        notes.append(
            f"Open-Meteo forecast issued {as_of} as recorded by the earlier site (whole degC, 0.1 h)"
        )
    if "forecast" in origins:
        inputs.append("upstream-site/forecasts.csv")
        days = [d for d, o in zip(rows.index, rows["origin"], strict=True) if o == "forecast"]
        notes.append(
            f"DERIVED from the same-day forecasts ({_ranges(days)}): each day's value is the forecast issued "
            "that day (else the next day's past day), not an archive observation"
        )
    if "noaa" in origins:
        inputs.append(rec.NOAA_FILE)
        notes.append(
            f"DERIVED from NOAA station {rec.NOAA_STATION} (Portland airport) daily TMAX/TMIN/PRCP converted to "
            "degC/mm, standing in for the gridded archive; sunshine and weather_code null"
        )
    if "normal" in origins:
        inputs.append(rec.NOAA_FILE)
        days = [d for d, o in zip(rows.index, rows["origin"], strict=True) if o == "normal"]
        notes.append(
            f"DERIVED, no recording for {_ranges(days)}: 1991-2020 NOAA {rec.NOAA_STATION} daily normal of the "
            "calendar day (31-day smoothed); precipitation, sunshine, weather_code null"
        )
    kind = "derived" if origins - {"issued"} else "observed"
    return kind, "; ".join(notes), list(dict.fromkeys(inputs))


def _missing_note(variables: list[str], available: set[str]) -> str:
    missing = [v for v in variables if v not in available]
    return f"not in any recording, sent as null: {', '.join(missing)}" if missing else ""


def _daily_block(rows: pd.DataFrame, variables: list[str]) -> tuple[dict, dict]:
    block: dict = {"time": [d.isoformat() for d in rows.index]}
    for var in variables:
        col = SERIES_COLUMNS.get(var)
        block[var] = _clean(rows[col], _digits(var)) if col else [None] * len(rows)
    return {"time": "iso8601", **{v: DAILY_UNITS[v] for v in variables}}, block


# ---------------------------------------------------------------- /v1/forecast


def forecast(q: str, as_of: date) -> Answer:
    p = query(q, FORECAST_PARAMS, "open-meteo /v1/forecast")
    lats, lons, tz = _common(p)
    if len(lats) != 1 or not _near_portland(lats[0], lons[0]):
        raise NotCovered(f"forecast for {p['latitude']},{p['longitude']}: the snapshot holds Portland's only")
    daily = _variables(p.get("daily"), DAILY_UNITS)
    minutely = _variables(p.get("minutely_15"), SUBDAILY_UNITS)
    if not daily and not minutely:
        raise NotCovered("a forecast request without daily or minutely_15 variables")
    forecast_days = ints(p.get("forecast_days", "7"), "forecast_days")[0]
    past_days = ints(p.get("past_days", "0"), "past_days")[0]
    if "start_date" in p or "end_date" in p:
        start, end = date.fromisoformat(p["start_date"]), date.fromisoformat(p["end_date"])
    else:
        start, end = as_of - timedelta(days=past_days), as_of + timedelta(days=forecast_days - 1)
    out = _envelope(lats[0], lons[0], tz, as_of)
    notes: list[str] = []
    inputs: list[str] = []
    kind = "observed"
    if daily:
        rows = portland_days(start, end, as_of)
        kind, note, inputs = _series_notice(rows, as_of)
        notes += [note, _missing_note(daily, set(SERIES_COLUMNS))]
        out["daily_units"], out["daily"] = _daily_block(rows, daily)
    if minutely:
        slots = ints(p.get("forecast_minutely_15"), "forecast_minutely_15")
        n = slots[0] if slots else 96 * forecast_days
        units, block, note = minutely_block(as_of, n, minutely)
        out["minutely_15_units"], out["minutely_15"] = units, block
        notes.append(note)
        inputs.append("upstream-site/sunshine_15min.csv")
    notes.append("weather_code mapped back from the condition label the earlier site showed (PROVENANCE.md)")
    return Answer.json(
        out, kind=kind, notice="; ".join(n for n in notes if n), inputs=list(dict.fromkeys(inputs))
    )


def minutely_block(as_of: date, n: int, variables: list[str]) -> tuple[dict, dict, str]:
    """``n`` quarter hours from local midnight of ``as_of``: the recorded day, then null."""
    times = pd.date_range(pd.Timestamp(as_of), periods=n, freq="15min")
    recorded = rec.sunshine_15min(as_of).set_index("time")["sunshine_min"]
    on_day = np.asarray(times.normalize() == pd.Timestamp(as_of))
    sun = pd.Series(recorded.reindex(times).to_numpy() * 60.0)
    sun[on_day & sun.isna().to_numpy()] = 0.0  # quarter hours outside the recorded daylight slots are night
    sun[~on_day] = np.nan
    is_day = pd.Series(np.where(recorded.reindex(times).notna(), 1.0, 0.0))
    is_day[~on_day] = np.nan
    cols = {"sunshine_duration": (sun, 1), "is_day": (is_day, 0)}
    block: dict = {"time": [t.strftime("%Y-%m-%dT%H:%M") for t in times]}
    for var in variables:
        block[var] = _clean(*cols[var]) if var in cols else [None] * n
    note = (
        f"minutely_15: quarter hours of {as_of} as recorded by the earlier site (minutes x 60 s; quarters outside its "
        f"daylight slots: 0 s, is_day 0); quarters of later days were not recorded and are null"
    )
    missing = _missing_note(variables, set(cols))
    units = {"time": "iso8601", **{v: SUBDAILY_UNITS[v] for v in variables}}
    return units, block, "; ".join(x for x in (note, missing) if x)


# ---------------------------------------------------------------- /v1/archive


def archive(q: str, as_of: date) -> Answer:
    p = query(q, ARCHIVE_PARAMS, "open-meteo /v1/archive")
    lats, lons, tz = _common(p)
    daily = _variables(p.get("daily"), DAILY_UNITS)
    if not daily:
        raise NotCovered("an archive request without daily variables (hourly is not in the snapshot)")
    try:
        start, end = date.fromisoformat(p["start_date"]), date.fromisoformat(p["end_date"])
    except (KeyError, ValueError):
        raise OpenMeteoError("Parameter 'start_date' and 'end_date' must be set as yyyy-mm-dd", 400) from None
    if end > as_of:
        raise OpenMeteoError(f"Parameter 'end_date' is out of allowed range (snapshot date {as_of})", 400)
    resolution = 0.25 if p.get("models") == "era5" else 0.1
    items, notes, inputs, kind = [], [], [], "derived"
    for lat, lon in zip(lats, lons, strict=True):
        env = _envelope(lat, lon, tz, start)
        if p.get("models") == "era5_land" and not _near_portland(lat, lon):
            # the record's cell temperatures: no gridded recording exists, the Portland series stands in
            rows = portland_days(start, end, as_of)
            _kind, _note, used = _series_notice(rows, as_of)
            # one wording for every cell and request, so a dataset of many cells carries it once
            note = (
                "DERIVED STAND-IN for the ERA5-Land cells of the sightings: the Portland series (NOAA airport "
                f"station to {rec.noaa_station()['day'].max()}, then the 1991-2020 daily normals, then the 2026 "
                "same-day forecasts) stands in for every cell; it is not the cells' temperatures; elevation null"
            )
            env["daily_units"], env["daily"] = _daily_block(rows, daily)
        elif _near_portland(lat, lon):
            rows = portland_days(start, end, as_of)
            _kind, note, used = _series_notice(rows, as_of)
            env["daily_units"], env["daily"] = _daily_block(rows, daily)
        else:
            env["daily_units"], env["daily"] = sighting_weather_block(lat, lon, start, end, daily, resolution)
            note = (
                "DERIVED: the weather the earlier site showed for iNaturalist sightings in this grid cell on "
                "their days (Open-Meteo archive as it rounded it: whole degC, condition label); other days null"
            )
            used = ["upstream-site/sightings.csv"]
        notes.append(note)
        inputs += used
        items.append(env)
    notes.append(_missing_note(daily, set(SERIES_COLUMNS)))
    notes.append("weather_code mapped back from the condition label the earlier site showed (PROVENANCE.md)")
    if p.get("models"):
        notes.append(f"models={p['models']}: the snapshot's values are not model-specific")
    body = items if len(items) > 1 or "," in p["latitude"] else items[0]
    return Answer.json(
        body,
        kind=kind,
        notice="; ".join(dict.fromkeys(n for n in notes if n)),
        inputs=list(dict.fromkeys(inputs)),
    )


def sighting_weather_block(
    lat: float, lon: float, start: date, end: date, variables: list[str], resolution: float
) -> tuple[dict, dict]:
    s = rec.sightings()
    half = resolution / 2 + 1e-9
    s = s[((s["latitude"] - lat).abs() <= half) & ((s["longitude"] - lon).abs() <= half)]
    s = s[(s["day"] >= start) & (s["day"] <= end)]
    per_day = s.groupby("day")[["w_tmax_c", "w_tmin_c", "w_precip_mm"]].median()
    per_day["w_code"] = s.groupby("day")["w_code"].agg(
        lambda c: c.mode().iloc[0] if c.notna().any() else pd.NA
    )
    days = pd.date_range(start, end).date
    per_day = per_day.reindex(days)
    cols = {
        "temperature_2m_max": per_day["w_tmax_c"],
        "temperature_2m_min": per_day["w_tmin_c"],
        "precipitation_sum": per_day["w_precip_mm"],
        "weather_code": per_day["w_code"],
    }
    block: dict = {"time": [d.isoformat() for d in days]}
    for var in variables:
        block[var] = _clean(cols[var], _digits(var)) if var in cols else [None] * len(days)
    return {"time": "iso8601", **{v: DAILY_UNITS[v] for v in variables}}, block


# ---------------------------------------------------------------- /v1/ensemble


def simulate_members(base: np.ndarray, n_members: int, seed: int, sd0: float, step: float) -> np.ndarray:
    """``n_members × len(base)``: member 0 is ``base``; the others add ``sd0`` noise plus a random walk in lead
    time with ``step`` per day (so spread grows like sqrt(sd0² + step²·lead))."""
    rng = np.random.default_rng(seed)
    others, lead = n_members - 1, base.shape[-1]
    steps = np.c_[np.zeros((others, 1)), rng.normal(0.0, step, (others, lead - 1))]
    noise = rng.normal(0.0, sd0, (others, lead)) + np.cumsum(steps, axis=1)
    return np.vstack([base, base + noise])


def ensemble(q: str, as_of: date) -> Answer:
    p = query(q, ENSEMBLE_PARAMS, "open-meteo /v1/ensemble")
    lats, lons, tz = _common(p)
    if len(lats) != 1 or not _near_portland(lats[0], lons[0]):
        raise NotCovered(f"ensemble for {p['latitude']},{p['longitude']}: the snapshot holds Portland's only")
    model = p.get("models", "")
    if model not in ENSEMBLE_MEMBERS:
        raise NotCovered(f"ensemble models={model!r}; the snapshot simulates {sorted(ENSEMBLE_MEMBERS)}")
    daily = _variables(p.get("daily"), DAILY_UNITS)
    if not daily:
        raise NotCovered("an ensemble request without daily variables (hourly is not in the snapshot)")
    days = ints(p.get("forecast_days", "7"), "forecast_days")[0]
    issue = rec.issue_of(as_of).iloc[:days]
    if len(issue) < days:
        raise NotCovered(f"ensemble forecast_days={days}: the forecast issued {as_of} has {len(issue)} days")
    n = ENSEMBLE_MEMBERS[model]
    seed = ENSEMBLE_SEED + zlib.crc32(model.encode())
    # one shared temperature perturbation per member (max and min move together), its own sunshine one
    tmax = issue["high"].to_numpy(float)
    tmin = issue["low"].to_numpy(float)
    dt = simulate_members(np.zeros(days), n, seed, T_SD0, T_STEP)
    dt_min = 0.7 * dt + simulate_members(np.zeros(days), n, seed + 1, 0.4, 0.0)
    daylight = issue["daylight_h"].to_numpy(float) * 3600.0
    frac = np.clip(issue["sunshine_h"].to_numpy(float) * 3600.0 / daylight, 0.02, 0.98)
    logit = simulate_members(np.log(frac / (1 - frac)), n, seed + 2, SUN_SD0, SUN_STEP)
    sun = daylight / (1.0 + np.exp(-logit))
    sun[0] = issue["sunshine_h"].to_numpy(float) * 3600.0
    values = {
        "temperature_2m_max": tmax + dt,
        "temperature_2m_min": np.minimum(tmin + dt_min, tmax + dt - 0.5),
        "sunshine_duration": sun,
        "daylight_duration": np.broadcast_to(daylight, (n, days)),
    }
    values["temperature_2m_max"][0], values["temperature_2m_min"][0] = tmax, tmin
    out = _envelope(lats[0], lons[0], tz, as_of)
    block: dict = {"time": [d.isoformat() for d in issue["day"]]}
    units: dict = {"time": "iso8601"}
    for var in daily:
        for m in range(n):
            key = var if m == 0 else f"{var}_member{m:02d}"
            units[key] = DAILY_UNITS[var]
            block[key] = _clean(values[var][m], _digits(var)) if var in values else [None] * days
    out["daily_units"], out["daily"] = units, block
    notice = (
        f"SIMULATED ensemble ({n} members, seed {seed}): member 0 is the real forecast issued {as_of}; the others add "
        f"noise of sd {T_SD0} degC plus a random walk of {T_STEP} degC per day of lead to both temperatures, and "
        f"{SUN_SD0} + {SUN_STEP}/day on the logit of the sunny fraction of daylight; NOT real model members"
    )
    note2 = _missing_note(daily, set(values))
    return Answer.json(
        out,
        kind="simulated",
        notice="; ".join(x for x in (notice, note2) if x),
        inputs=["upstream-site/forecasts.csv"],
    )
