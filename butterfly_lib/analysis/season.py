"""This season on the degree-day clock: accumulation to date, the normal, the comparison, and the projected path
through the forecast and then the normal. One function so the degree-day, emergence and forecast pages agree.

Inputs: a source's daily temperature frame reaching the as-of day (Open-Meteo ``tmax_c``/``tmin_c`` or NOAA
``tmax_f``/``tmin_f``), an Open-Meteo daily forecast frame, thresholds/method/cutoff/units and the normal period.
Output: ``Season`` with ``cum`` (cumulative degree days per season, from the season start ``biofix``: the
place's ``season_start``, 1 January north of the equator and 1 July south of it unless set), ``normals`` (per day
of the season: mean, median, p10, p90), ``comparison`` (``compare_to_normal``), ``forecast_dd`` (daily degree days of the
forecast), ``projection`` (``season_projection``: observed, then forecast, then normal with p10/p90 bounds) and
``derived`` (``filled_normals.partly_derived``: how much of this season's figure stands in for days the
temperature record filled with a smoothed normal; also in ``comparison["partly_derived"]``).

Days whose temperatures are a filled normal (the offline snapshot's, named in the source's provenance notice,
or a ``filled_normal`` column) contribute the normal's mean daily degree days of their calendar day instead of
the degree days of the smoothed temperatures, which are near zero in winter (``degree_days.filled_normals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from butterfly_lib.analysis.degree_days import compare_to_normal, normals, source_degree_days
from butterfly_lib.analysis.degree_days.accumulate import parse_biofix, season_start
from butterfly_lib.analysis.degree_days.filled_normals import (
    filled_days,
    partly_derived,
    substitute_normal_increments,
)
from butterfly_lib.analysis.degree_days.sources import season_cum_from_dd
from butterfly_lib.analysis.emergence_forecast import season_projection
from butterfly_lib.settings import DegreeDays


@dataclass
class Season:
    cum: pd.Series
    normals: pd.DataFrame
    comparison: dict[str, Any]
    forecast_dd: pd.Series
    projection: pd.DataFrame
    derived: dict[str, Any] = field(default_factory=dict)


def season_state(
    temperatures: pd.DataFrame,
    forecast: pd.DataFrame,
    as_of: date,
    dd: DegreeDays,
    normals_period: tuple[int, int],
    *,
    biofix: str = "01-01",
) -> Season:
    """See the module docstring. Forecast days after ``as_of`` extend the observed accumulation. Seasons start
    on ``biofix`` ("MM-DD") and are labelled by the year they start in, ``normals_period`` too."""
    daily, substituted = substitute_normal_increments(
        source_degree_days(temperatures, dd), filled_days(temperatures), normals_period
    )
    cum = season_cum_from_dd(daily, biofix=biofix)
    cum.attrs["provenance"] = temperatures.attrs.get("provenance")
    nm = normals(cum, period=normals_period)
    comparison = compare_to_normal(cum, nm, as_of)
    when = pd.Timestamp(as_of)
    label = when.year - int((when.month, when.day) < parse_biofix(biofix))
    derived = partly_derived(substituted, season_start(label, biofix), as_of, comparison["cum_dd"], normals_period)
    comparison["partly_derived"] = derived
    fdd = source_degree_days(forecast, dd)
    when = pd.Timestamp(as_of)
    projection = season_projection(cum[cum.index <= when], fdd[fdd.index > when], nm, as_of)
    return Season(cum, nm, comparison, fdd, projection, derived)
