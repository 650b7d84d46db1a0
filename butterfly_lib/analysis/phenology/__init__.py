"""Phenology (placeholder docstring, replaced below)."""

from butterfly_lib.analysis.phenology.broods import assign_broods, detect_broods
from butterfly_lib.analysis.phenology.censoring import censor_dates, date_to_doy, dd_to_date, doy_to_date
from butterfly_lib.analysis.phenology.effort import (
    check_effort,
    effort_weights,
    sampling_gaps,
    week_key,
    week_monday,
    weekly_effort,
)
from butterfly_lib.analysis.phenology.estimates import pooled_percentiles, wide, yearly_percentiles
from butterfly_lib.analysis.phenology.skill import date_precision, hindcast, skill_summary
from butterfly_lib.analysis.phenology.traits import load_traits, match_traits, window_method
from butterfly_lib.analysis.phenology.weibull import (
    fit_weibull,
    grouped_percentiles,
    kish_n_eff,
    weib_percentile,
    weibull_quantile,
)
from butterfly_lib.analysis.phenology.windows import STATUSES, season_windows, species_status

__all__ = [
    "STATUSES", "assign_broods", "censor_dates", "check_effort", "date_precision", "date_to_doy", "dd_to_date",
    "detect_broods", "doy_to_date", "effort_weights", "fit_weibull", "grouped_percentiles", "hindcast",
    "kish_n_eff", "load_traits", "match_traits", "pooled_percentiles", "sampling_gaps", "season_windows",
    "skill_summary", "species_status", "week_key", "week_monday", "weekly_effort", "weib_percentile",
    "weibull_quantile", "wide", "window_method", "yearly_percentiles",
]  # fmt: skip
