"""The 16-day outlook: the daily forecast and the ensemble's spread merged into one row per day.

Look here for ``daily_outlook`` (and ``ensemble_daily_quantiles`` for the spread alone).

Inputs
------
- ``forecast``: Open-Meteo daily frame ``date`` (tz-aware local midnight), ``tmax_c, tmin_c, sunshine_h,
  daylight_h, precipitation_mm, precipitation_probability_pct, wind_speed_max_kmh, weather_code`` (and
  optionally a ``weather`` label).
- ``ensemble`` (optional): either an xarray Dataset with dims ``(member, time)`` whose variables are named like
  the forecast columns (``tmax_c``, ``sunshine_h``, ...; daily or sub-daily), or a summary frame with ``date``
  and ``<variable>_p10/_p50/_p90`` columns.

Method: the forecast is put on naive local days (one row per day; a repeated day keeps its last row). Units
are in the column names; °F and mph are added beside °C and km/h, and ``sun_fraction`` = sunshine / daylight.
A sub-daily ensemble is first reduced per member and day (``tmax*`` max, ``tmin*`` min, ``sunshine*`` and
``precipitation*`` summed, anything else the mean), then the 10th/50th/90th percentiles are taken across
members. ``attrs["units"]`` maps every numeric column to its unit.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from butterfly_lib.analysis.days import local_days
from butterfly_lib.errors import InvalidInput
from butterfly_lib.sources.open_meteo.weather_codes import condition
from butterfly_lib.units import c_to_f

FORECAST_COLUMNS = (
    "tmax_c",
    "tmin_c",
    "sunshine_h",
    "daylight_h",
    "precipitation_mm",
    "precipitation_probability_pct",
    "wind_speed_max_kmh",
    "weather_code",
)
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def _unit(column: str) -> str:
    for suffix, unit in (
        ("_c", "°C"), ("_f", "°F"), ("_h", "h"), ("_mm", "mm"), ("_pct", "%"), ("_kmh", "km/h"), ("_mph", "mph"),
    ):  # fmt: skip
        base = re.sub(r"_p\d\d$", "", column)
        if base.endswith(suffix):
            return unit
    return {"sun_fraction": "fraction of daylight (0-1)", "weather_code": "WMO code"}.get(column, "")


def _reducer(name: str) -> str:
    if name.startswith("tmax"):
        return "max"
    if name.startswith("tmin"):
        return "min"
    if name.startswith(("sunshine", "precipitation_mm", "precipitation_sum")):
        return "sum"
    return "mean"


def ensemble_daily_quantiles(ensemble) -> pd.DataFrame:  # noqa: ANN001 (xarray Dataset or DataFrame)
    """``date`` plus ``<variable>_p10/_p50/_p90`` per day from an ensemble (see the module docstring)."""
    if isinstance(ensemble, pd.DataFrame):
        if "date" not in ensemble:
            raise InvalidInput("ensemble", list(ensemble.columns), "a summary frame with a 'date' column")
        out = ensemble.copy()
        out["date"] = local_days(out["date"])
        return out.drop_duplicates("date", keep="last").reset_index(drop=True)
    import xarray as xr

    if not isinstance(ensemble, xr.Dataset) or "member" not in ensemble.dims or "time" not in ensemble.dims:
        raise InvalidInput("ensemble", type(ensemble).__name__, "an xarray Dataset with dims (member, time)")
    times = pd.DatetimeIndex(ensemble["time"].values)
    days = local_days(times)
    ds = ensemble.assign_coords(day=("time", days))
    columns: dict[str, np.ndarray] = {}
    out_days = None
    for name, da in ds.data_vars.items():
        if set(da.dims) != {"member", "time"}:
            continue
        daily = getattr(da.groupby("day"), _reducer(str(name)))(dim="time", skipna=True)
        if _reducer(str(name)) == "sum":
            # a day with every step missing is unknown, not zero
            counts = da.notnull().groupby("day").sum(dim="time")
            daily = daily.where(counts > 0)
        q = daily.quantile(list(QUANTILES.values()), dim="member", skipna=True)
        out_days = pd.DatetimeIndex(daily["day"].values)
        for label, value in QUANTILES.items():
            columns[f"{name}_{label}"] = q.sel(quantile=value).transpose("day").values
    if out_days is None:
        raise InvalidInput("ensemble", list(ensemble.data_vars), "variables with dims (member, time)")
    return pd.DataFrame({"date": out_days, **columns})


def daily_outlook(forecast: pd.DataFrame, ensemble=None) -> pd.DataFrame:  # noqa: ANN001
    """One row per day: ``date`` (naive local day), the forecast columns present, ``tmax_f, tmin_f,
    wind_speed_max_mph, sun_fraction, weather`` (label), and the ensemble's ``<variable>_p10/_p50/_p90``."""
    if "date" not in forecast:
        raise InvalidInput("forecast", list(forecast.columns), "a daily frame with a 'date' column")
    out = pd.DataFrame({"date": local_days(forecast["date"])})
    for col in FORECAST_COLUMNS:
        out[col] = pd.to_numeric(forecast[col], errors="coerce").to_numpy() if col in forecast else np.nan
    out["weather"] = condition(forecast).to_numpy()
    out = out.drop_duplicates("date", keep="last").sort_values("date").reset_index(drop=True)
    out["weather_code"] = out["weather_code"].astype("Int64")
    out["tmax_f"] = c_to_f(out["tmax_c"])
    out["tmin_f"] = c_to_f(out["tmin_c"])
    out["wind_speed_max_mph"] = out["wind_speed_max_kmh"] / 1.609344
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = out["sunshine_h"] / out["daylight_h"]
    out["sun_fraction"] = frac.where(out["daylight_h"] > 0).clip(0.0, 1.0)
    if ensemble is not None:
        spread = ensemble_daily_quantiles(ensemble)
        out = out.merge(spread, on="date", how="left", suffixes=("", "_ensemble"))
    out.attrs["units"] = {c: _unit(c) for c in out.columns if _unit(c)}
    prov = forecast.attrs.get("provenance")
    if prov is not None:
        out.attrs["provenance"] = prov
    return out
