"""Open-Meteo clients: forecast (16-day daily, 15-minute), archive (since 1940), ensemble, many points at once.

Look here for weather at a place or at many sighting locations. Everything goes through the one cached session
and returns tidy frames with units in the column names, tz-aware local dates and provenance. See README.md.

Public names:
- ``forecast_daily(place, forecast_days=16, past_days=0)``, ``forecast_minutely_15(place, days=3)``
- ``archive_daily(place, start, end, model=None)``, ``daily_through_today(place, start, as_of)`` (stitched)
- ``ensemble(place, model="gfs_seamless")`` (xarray member × time), ``ensemble_quantiles(ds)``
- ``daily_at_points(latitudes, longitudes, start, end)``, ``daily_at_dated_points(latitudes, longitudes, dates)``, ``snap_to_grid``, ``GRID_DEGREES``
- ``WEATHER_CODES``, ``weather_label``
- ``cells`` (submodule): ``cell_temperatures``, ``plan_cells``, ``request_weight``, ``WeightBudget``: ERA5-Land
  temperatures at each sighting's own grid cell for the observation record
"""

from butterfly_lib.sources.open_meteo.archive import archive_daily, daily_through_today
from butterfly_lib.sources.open_meteo.ensemble import ENSEMBLE_MODELS, ensemble, ensemble_quantiles
from butterfly_lib.sources.open_meteo.forecast import forecast_daily, forecast_minutely_15
from butterfly_lib.sources.open_meteo.grid import GRID_DEGREES, snap_to_grid
from butterfly_lib.sources.open_meteo.points import daily_at_dated_points, daily_at_points
from butterfly_lib.sources.open_meteo.weather_codes import WEATHER_CODES, weather_label

__all__ = [
    "ENSEMBLE_MODELS",
    "GRID_DEGREES",
    "WEATHER_CODES",
    "archive_daily",
    "daily_at_dated_points",
    "daily_at_points",
    "daily_through_today",
    "ensemble",
    "ensemble_quantiles",
    "forecast_daily",
    "forecast_minutely_15",
    "snap_to_grid",
    "weather_label",
]
