"""Model grids and snapping many coordinates to them, so each grid cell is asked for once.

Look here to see which grid spacing is assumed for which model and how points are snapped. Open-Meteo answers a
coordinate with the nearest grid cell of the model it uses, so two sightings in one cell get identical weather:
asking for both wastes a location (and Open-Meteo weighs calls by location count). Snapping rounds to the
nearest multiple of the spacing, so a snapped point is never more than half a cell from the point it stands for.

Spacings (degrees), chosen per model:

| model id | spacing | why |
|---|---|---|
| ``era5`` | 0.25 | ERA5 reanalysis is on a 0.25° grid |
| ``era5_land``, ``era5_seamless`` | 0.1 | ERA5-Land is 0.1°; the seamless blend uses it over land |
| ``ecmwf_ifs`` | 0.1 | IFS HRES 9 km archive (0.1° is its nearest regular spacing) |
| archive ``best_match`` (None) | 0.1 | blends ERA5-Land 0.1° with IFS 9 km |
| forecast ``best_match`` | 0.1 | seamless 1–11 km models; 0.1° (~11 km) keeps a point within ~5.5 km of its cell |
| ``gfs_seamless``, ``ecmwf_ifs025`` ensembles | 0.25 | GEFS / IFS ENS 0.25° |
| ``icon_seamless`` ensemble | 0.25 | ICON-EPS global ~26 km |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

GRID_DEGREES: dict[str | None, float] = {
    None: 0.1,
    "best_match": 0.1,
    "era5": 0.25,
    "era5_land": 0.1,
    "era5_seamless": 0.1,
    "ecmwf_ifs": 0.1,
    "gfs_seamless": 0.25,
    "ecmwf_ifs025": 0.25,
    "icon_seamless": 0.25,
}


def grid_degrees(model: str | None) -> float:
    if model not in GRID_DEGREES:
        raise InvalidInput("model", model, f"one of {sorted(str(k) for k in GRID_DEGREES)}")
    return GRID_DEGREES[model]


def snap_to_grid(latitude, longitude, resolution: float) -> pd.DataFrame:  # noqa: ANN001 (array-likes)
    """Frame ``latitude, longitude, grid_lat, grid_lon`` for each input point (order kept).

    Coordinates must be finite, latitude in [-90, 90] and longitude in [-180, 180]; else ``InvalidInput``.
    Grid values are rounded to 6 decimals so equal cells compare equal.
    """
    lat = np.asarray(latitude, dtype=float).ravel()
    lon = np.asarray(longitude, dtype=float).ravel()
    if lat.shape != lon.shape:
        raise InvalidInput("coordinates", (lat.size, lon.size), "as many latitudes as longitudes")
    if lat.size == 0:
        raise InvalidInput("coordinates", [], "at least one point")
    if not (np.isfinite(lat).all() and (np.abs(lat) <= 90).all()):
        raise InvalidInput(
            "latitude", lat[~(np.isfinite(lat) & (np.abs(lat) <= 90))][:5].tolist(), "[-90, 90]"
        )
    if not (np.isfinite(lon).all() and (np.abs(lon) <= 180).all()):
        raise InvalidInput(
            "longitude", lon[~(np.isfinite(lon) & (np.abs(lon) <= 180))][:5].tolist(), "[-180, 180]"
        )
    if not resolution > 0:
        raise InvalidInput("resolution", resolution, "a positive number of degrees")
    glat = np.clip(np.round(np.round(lat / resolution) * resolution, 6), -90.0, 90.0)
    glon = np.round(np.round(lon / resolution) * resolution, 6)
    return pd.DataFrame({"latitude": lat, "longitude": lon, "grid_lat": glat, "grid_lon": glon})


def unique_cells(snapped: pd.DataFrame) -> pd.DataFrame:
    """The distinct ``(grid_lat, grid_lon)`` of a ``snap_to_grid`` frame, sorted."""
    return (
        snapped[["grid_lat", "grid_lon"]]
        .drop_duplicates()
        .sort_values(["grid_lat", "grid_lon"])
        .reset_index(drop=True)
    )
