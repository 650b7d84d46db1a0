"""Analysis: pure computations on tidy frames and arrays (no HTTP, no HTML).

Look here for anything computed from source data rather than fetched. Each module's docstring states its
inputs, outputs and method:

- ``degree_days``: daily degree-day methods (UC IPM sine/triangle × cutoffs, averages), seasonal
  accumulation with a gap policy, 30-year normals, this year against normal.
- ``days``: naive local days and the 365-day calendar the analyses share.
- ``emergence_forecast``: this season's projected accumulation (observed, forecast, normal bounds).
- ``phenology``: the emergence science (issue 11): effort-corrected Weibull-parameterized onset/peak/end per
  species and year with bootstrap intervals, sampling gaps and censoring, broods, the species traits table,
  this season's windows and statuses, honest skill; ``phenology.place`` runs it for one place.
- ``sighting_degree_days``: degree days at each sighting's own grid cell (``attach_cum_dd``).
- ``sighting_weather`` and ``weather_codes``: the weather on each sighting's day at its grid cell.
- ``outlook`` and ``viewing_index``: the 16-day daily table and its 0–100 viewing index with reasons.
- ``sky``: a day's sky in words (sunny … cloudy, showers/rain) from its share of daylight in sunshine and
  its rain, instead of Open-Meteo's daily weather code (the day's most severe hour); daylight from latitude.

This package imports nothing eagerly; import the submodule you need, e.g.
``from butterfly_lib.analysis.degree_days import degree_days, accumulate, normals``.
"""
