"""Weather on each sighting's day at its own grid cell: enriched sightings for map popups and tables.

Look here for ``sightings_with_weather``.

Inputs
------
- ``sightings``: the iNaturalist observations frame (``observed_on, latitude, longitude, obscured, ...``).
- ``weather``: the Open-Meteo multi-location daily frame ``grid_lat, grid_lon, date, tmax_c, tmin_c,
  sunshine_h, precipitation_mm, weather_code`` (optionally ``weather`` labels), one row per cell and day, as
  fetched for the sightings' snapped cells (``attrs["resolution_deg"]`` is the grid spacing; default 0.1°).
- ``place_weather`` (optional): the place's own daily frame (same columns, no grid columns), the fallback.

Method: each sighting's coordinates are snapped to the grid the same way the source snapped them (nearest
multiple of the spacing, 6 decimals) and joined on (cell, local day). A sighting with obscured coordinates
(iNaturalist moves them up to ~0.2° at random) does not use its cell: it takes the place's weather, and so
does one whose cell has no row that day. ``weather_source`` says which was used: ``cell``,
``place (coordinates obscured)``, ``place (no cell data)``, or ``none``. The condition is the frame's
``weather`` label when present, else the WMO table in ``weather_codes``.

Output columns added: ``grid_lat, grid_lon, tmax_c, tmin_c, tmax_f, tmin_f, sunshine_h, precipitation_mm,
weather_code, condition, weather_source, weather_text`` (one plain-text line, e.g.
``"partly cloudy · 24/12 °C (75/54 °F) · 7.5 h sun · 0.0 mm"``). A place with no sightings (an empty frame,
and an empty weather frame whose columns may be untyped) gives an empty frame with those columns, typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.days import local_days
from butterfly_lib.errors import InvalidInput
from butterfly_lib.sources.open_meteo.weather_codes import condition
from butterfly_lib.units import c_to_f

VARIABLES = ("tmax_c", "tmin_c", "sunshine_h", "precipitation_mm", "weather_code")


def snap(values: np.ndarray, resolution: float) -> np.ndarray:
    """Nearest multiple of ``resolution`` (6 decimals), as the Open-Meteo source snaps points."""
    return np.round(np.round(np.asarray(values, dtype=float) / resolution) * resolution, 6)


def _daily(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"day": local_days(frame["date"])}, index=frame.index)
    for var in VARIABLES:
        out[var] = frame[var].astype(float) if var in frame else np.nan
    out["condition"] = condition(frame)
    return out


def sightings_with_weather(
    sightings: pd.DataFrame,
    weather: pd.DataFrame,
    *,
    place_weather: pd.DataFrame | None = None,
    resolution: float | None = None,
) -> pd.DataFrame:
    """``sightings`` plus the weather of their day and cell (columns in the module docstring); row order kept."""
    for col in ("observed_on", "latitude", "longitude"):
        if col not in sightings.columns:
            raise InvalidInput("sightings", list(sightings.columns), f"a frame with a {col!r} column")
    for col in ("grid_lat", "grid_lon", "date"):
        if col not in weather.columns:
            raise InvalidInput("weather", list(weather.columns), f"a multi-location frame with {col!r}")
    res = float(resolution if resolution is not None else weather.attrs.get("resolution_deg", 0.1))
    if not res > 0:
        raise InvalidInput("resolution", res, "a positive number of degrees")
    out = sightings.copy()
    days = local_days(out["observed_on"])
    out["grid_lat"] = snap(out["latitude"], res)
    out["grid_lon"] = snap(out["longitude"], res)
    cells = _daily(weather).assign(
        grid_lat=snap(weather["grid_lat"], res), grid_lon=snap(weather["grid_lon"], res)
    )
    cells = cells.drop_duplicates(["grid_lat", "grid_lon", "day"], keep="last")
    key = pd.DataFrame(
        {"grid_lat": out["grid_lat"].to_numpy(), "grid_lon": out["grid_lon"].to_numpy(), "day": days}
    )
    joined = key.merge(cells, how="left", on=["grid_lat", "grid_lon", "day"])
    obscured = (
        out["obscured"].fillna(False).astype(bool).to_numpy()
        if "obscured" in out
        else np.zeros(len(out), bool)
    )
    has_cell = joined["tmax_c"].notna().to_numpy() | joined["weather_code"].notna().to_numpy()
    use_cell = has_cell & ~obscured
    source = np.where(use_cell, "cell", "none").astype(object)
    values = joined[list(VARIABLES) + ["condition"]].copy()
    values.loc[~use_cell, :] = np.nan
    if place_weather is not None and len(place_weather):
        place = _daily(place_weather).drop_duplicates("day", keep="last").set_index("day")
        fallback = place.reindex(days)
        fill = ~use_cell & (
            fallback["tmax_c"].notna().to_numpy() | fallback["weather_code"].notna().to_numpy()
        )
        values.loc[fill, :] = fallback.loc[:, list(VARIABLES) + ["condition"]].to_numpy()[fill]
        source[fill & obscured] = "place (coordinates obscured)"
        source[fill & ~obscured] = "place (no cell data)"
    for var in VARIABLES:
        out[var] = pd.to_numeric(values[var], errors="coerce").to_numpy()
    out["weather_code"] = out["weather_code"].astype("Int64")
    out["tmax_f"] = c_to_f(out["tmax_c"])
    out["tmin_f"] = c_to_f(out["tmin_c"])
    out["condition"] = values["condition"].astype("string").to_numpy()
    out["weather_source"] = source.astype(str)
    out["weather_text"] = _text(out)
    out.attrs["weather_coverage"] = {k: int(v) for k, v in out["weather_source"].value_counts().items()}
    return out


def _text(frame: pd.DataFrame) -> pd.Series:
    """One plain line per row; parts with no value are left out."""

    def fmt(values: pd.Series, pattern: str) -> pd.Series:
        # object dtype even when empty: an empty map() comes back float64, which cannot be joined to text
        return values.map(lambda v: pattern.format(v) if pd.notna(v) else "").astype(object)

    temps = np.where(
        frame["tmax_c"].notna() & frame["tmin_c"].notna(),
        fmt(frame["tmax_c"], "{:.0f}") + "/" + fmt(frame["tmin_c"], "{:.0f}") + " °C ("
        + fmt(frame["tmax_f"], "{:.0f}") + "/" + fmt(frame["tmin_f"], "{:.0f}") + " °F)",
        "",
    )  # fmt: skip
    parts = pd.DataFrame(
        {
            "c": frame["condition"].fillna("").astype(str).to_numpy(),
            "t": temps,
            "s": fmt(frame["sunshine_h"], "{:.1f} h sun").to_numpy(),
            "p": fmt(frame["precipitation_mm"], "{:.1f} mm").to_numpy(),
        },
        index=frame.index,
    )
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    joined = parts["c"] + " · " + parts["t"] + " · " + parts["s"] + " · " + parts["p"]
    text = joined.str.replace(r"(?: · )+", " · ", regex=True).str.strip(" ·")
    src = frame["weather_source"]
    note = np.where(src.str.startswith("place"), " (" + src + ")", "")
    text = (text.astype(str) + note).where(src != "none", "no weather data")
    return text
