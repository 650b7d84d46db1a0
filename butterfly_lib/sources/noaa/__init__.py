"""NOAA NCEI daily summaries (GHCN-Daily): station-observed TMAX/TMIN/PRCP in °F and inches.

Look here for station temperatures (GDD history, normals, a cross-check of the gridded archive):
``noaa_daily(station, start, end)`` asks the Access Data Service; ``load_station_csv()`` reads the bundled real
Portland airport record (1940-10-14 … 2024-12-09). Gaps stay NaN and are counted in ``attrs["missing"]``.
See README.md.

Public names: ``noaa_daily``, ``load_station_csv``, ``parse_daily_summaries``, ``bundled_path``.
"""

from butterfly_lib.sources.noaa.daily_summaries import (
    bundled_path,
    load_station_csv,
    noaa_daily,
    parse_daily_summaries,
)

__all__ = ["bundled_path", "load_station_csv", "noaa_daily", "parse_daily_summaries"]
