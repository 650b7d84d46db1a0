"""Degree days: the season clock of the project. Look here to compute daily degree days by any standard
method, accumulate them per season from a biofix, build 30-year normals and compare a date with them.

Modules:
- ``methods``: ``degree_days`` (numpy / pandas / xarray, any shape), ``METHODS``, ``CUTOFFS`` and the formulas
  (Zalom et al. 1983 sine and triangle methods with horizontal, vertical and intermediate cutoffs; McMaster &
  Wilhelm 1997 averages; ``modified-average`` is an alias of ``simple-average-2``).
- ``frames``: ``daily_degree_days`` (adds ``dd`` to a ``date, tmin, tmax`` frame), ``read_temperature_csv``.
- ``sources``: straight from an Open-Meteo or NOAA daily frame: ``temperature_frame``, ``source_degree_days``,
  ``season_cum_dd`` (what the pages, the emergence profiles and the forecast path all use).
- ``accumulate``: ``accumulate`` (``cum_dd`` per season, gap policy), ``accumulate_array``, the 365-day season
  calendar (29 February has no day number of its own; a 29 February biofix starts the season on 1 March in
  other years, ``season_start``).
- ``filled_normals``: days a source filled with a smoothed normal (the offline snapshot's) count the normal's
  mean daily degree days, and how much of a season's figure that is ("partly derived").
- ``units`` and ``leap_biofix``: the calculator's default thresholds per unit (50/86 °F, 10/30 °C), its note on a
  column of zeros, and its note on a 29 February biofix.
- ``normals``: ``season_table``, ``normals``, ``compare_to_normal``, ``percentile_rank``, ``days_ahead`` and the
  array forms ``season_cube`` / ``normals_array`` for many locations at once.
- ``cli``: the ``butterfly degree-days`` calculator.
"""

from butterfly_lib.analysis.degree_days.accumulate import accumulate, accumulate_array, season_calendar
from butterfly_lib.analysis.degree_days.frames import daily_degree_days, read_temperature_csv
from butterfly_lib.analysis.degree_days.methods import (
    ALIASES,
    CUTOFFS,
    METHODS,
    degree_days,
    degree_days_array,
)
from butterfly_lib.analysis.degree_days.normals import (
    compare_to_normal,
    days_ahead,
    normals,
    normals_array,
    percentile_rank,
    season_cube,
    season_table,
)
from butterfly_lib.analysis.degree_days.sources import season_cum_dd, source_degree_days, temperature_frame

__all__ = [
    "season_cum_dd",
    "source_degree_days",
    "temperature_frame",
    "ALIASES",
    "CUTOFFS",
    "METHODS",
    "accumulate",
    "accumulate_array",
    "compare_to_normal",
    "daily_degree_days",
    "days_ahead",
    "degree_days",
    "degree_days_array",
    "normals",
    "normals_array",
    "percentile_rank",
    "read_temperature_csv",
    "season_calendar",
    "season_cube",
    "season_table",
]
