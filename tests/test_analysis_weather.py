"""Sighting weather join, WMO labels and the 16-day outlook merge."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from butterfly_lib.analysis.outlook import daily_outlook, ensemble_daily_quantiles
from butterfly_lib.analysis.sighting_weather import sightings_with_weather
from butterfly_lib.sources.open_meteo.weather_codes import weather_label as label_for

TZ = "America/Los_Angeles"


def test_sighting_weather_cell_obscured_and_missing():
    sightings = pd.DataFrame(
        {"id": [1, 2, 3], "observed_on": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-05-02"]).date,
         "latitude": [45.52, 45.51, 45.61], "longitude": [-122.68, -122.70, -122.6], "obscured": [False, True, False]}
    )  # fmt: skip
    day = pd.to_datetime(["2024-05-01"]).tz_localize(TZ)
    cells = pd.DataFrame(
        {"grid_lat": [45.5], "grid_lon": [-122.7], "date": day, "tmax_c": [20.0], "tmin_c": [10.0],
         "sunshine_h": [5.0], "precipitation_mm": [0.0], "weather_code": [2]}
    )  # fmt: skip
    cells.attrs["resolution_deg"] = 0.1
    place = pd.DataFrame(
        {"date": pd.to_datetime(["2024-05-01", "2024-05-02"]).tz_localize(TZ), "tmax_c": [22.0, 15.0],
         "tmin_c": [9.0, 8.0], "sunshine_h": [6.0, 0.5], "precipitation_mm": [0.0, 4.2], "weather_code": [1, 61],
         "weather": ["mainly clear", None]}
    )  # fmt: skip
    out = sightings_with_weather(sightings, cells, place_weather=place)
    assert out["weather_source"].tolist() == ["cell", "place (coordinates obscured)", "place (no cell data)"]
    assert out["tmax_c"].tolist() == [20.0, 22.0, 15.0]
    assert out["condition"].tolist() == ["partly cloudy", "mainly clear", "slight rain"]
    assert out["weather_text"].iloc[0] == "partly cloudy · 20/10 °C (68/50 °F) · 5.0 h sun · 0.0 mm"
    assert out["weather_text"].iloc[1].endswith("(place (coordinates obscured))")
    alone = sightings_with_weather(sightings, cells)
    assert alone["weather_source"].tolist() == ["cell", "none", "none"]
    assert alone["weather_text"].iloc[2] == "no weather data"


def test_wmo_labels():
    assert label_for(pd.Series([0, 95, None, 7])).tolist() == [
        "clear sky",
        "thunderstorm",
        pd.NA,
        "WMO code 7",
    ]


def _forecast(n: int = 16) -> pd.DataFrame:
    days = pd.date_range("2026-06-01", periods=n).tz_localize(TZ)
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"date": days, "tmax_c": rng.uniform(15, 30, n), "tmin_c": rng.uniform(5, 14, n),
         "sunshine_h": rng.uniform(0, 14, n), "daylight_h": 15.5, "precipitation_mm": rng.uniform(0, 5, n),
         "precipitation_probability_pct": rng.uniform(0, 100, n), "wind_speed_max_kmh": rng.uniform(0, 40, n),
         "weather_code": 3}
    )  # fmt: skip


def test_outlook_with_xarray_ensemble_hourly():
    fc = _forecast()
    hours = pd.date_range("2026-06-01", periods=16 * 24, freq="h")
    members = np.arange(5)
    temp = 15 + np.sin(np.arange(hours.size) / 24 * 2 * np.pi)[None, :] * 5 + members[:, None]
    ens = xr.Dataset(
        {
            "tmax_c": (("member", "time"), temp),
            "sunshine_h": (("member", "time"), np.full((5, hours.size), 0.25)),
        },
        coords={"member": members, "time": hours},
    )
    out = daily_outlook(fc, ens)
    assert len(out) == 16 and out["date"].is_unique
    assert np.allclose(out["sunshine_h_p50"], 6.0)  # 24 hourly quarter-hours summed per day
    assert (out["tmax_c_p10"] <= out["tmax_c_p50"]).all() and (out["tmax_c_p50"] <= out["tmax_c_p90"]).all()
    assert np.allclose(out["tmax_f"], fc["tmax_c"] * 1.8 + 32)
    assert (
        out.attrs["units"]["tmax_c_p90"] == "°C"
        and out.attrs["units"]["precipitation_probability_pct"] == "%"
    )
    assert out.attrs["units"]["wind_speed_max_mph"] == "mph"
    assert (out["weather"] == "overcast").all()


def test_outlook_with_summary_frame_and_duplicate_day():
    fc = pd.concat([_forecast(), _forecast(1)], ignore_index=True)
    summary = pd.DataFrame(
        {"date": pd.date_range("2026-06-01", periods=3), "sunshine_h_p10": [1.0, 2.0, 3.0]}
    )
    out = daily_outlook(fc, summary)
    assert len(out) == 16
    assert (
        out["sunshine_h_p10"].iloc[:3].tolist() == [1.0, 2.0, 3.0]
        and out["sunshine_h_p10"].iloc[3:].isna().all()
    )
    assert ensemble_daily_quantiles(summary)["date"].dt.tz is None
