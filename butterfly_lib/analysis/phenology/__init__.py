"""Phenology: when each species flies here, estimated honestly from presence-only sightings (issue 11).

Look here for everything the emergence page needs from the record of a place: onset, peak and end per species
and year, this season's windows and statuses, and whether degree days beat the calendar. Pure functions: no
I/O, no fetching. The data layer feeds the inputs below; the page shows the outputs.

Inputs (column names are the contract with the data layer)
----------------------------------------------------------
- ``sightings``: one row per deduplicated research-grade observation: ``id, taxon_id, scientific_name,
  common_name, observed_on`` (local date), ``latitude, longitude, user_id, cum_dd`` (degree days accumulated
  from the season start, 1 January, to that day at the sighting's own grid cell; NaN where unknown),
  ``dd_source``. Only ``scientific_name``, ``observed_on`` and ``cum_dd`` are required.
- ``effort``: ``year, week, n_reference``: research-grade observations of a reference group (e.g. all insects,
  or better all taxa) in the same area per ISO year and ISO week (1..53, weeks start on Monday; a
  ``week_start`` column of Mondays may replace ``year, week``; weeks absent from the table count 0), and the
  record's span ``(first, last)`` as ``record_span=`` or ``effort.attrs["record_span"]``.
- ``projection``: this season's cumulative degree-day path, ``emergence_forecast.season_projection`` output
  (``date, cum_dd_low, cum_dd_mid, cum_dd_high, part``; ``attrs["as_of"]``).
- ``place_cum_dd``: the place's daily cumulative degree days for past years (Series on a DatetimeIndex,
  restarting each 1 January, same units and method as ``cum_dd``): maps degree days to dates for the
  hindcast and for censoring degree-day percentiles.

The method, step by step (module: what, why)
--------------------------------------------
1. ``effort``: weight each sighting by 1 / (reference observations in its ISO week, smoothed over three
   weeks), so busy weeks and busy years do not pull percentiles towards themselves; across years rescale each
   year to ``n_y / (n_y + 5)`` so recent, busier years do not become the profile and one sighting cannot carry
   a species. Find sampling gaps (abrupt runs of weeks under 20 % of the effort on both sides) and gaps that
   recur every year (a sample that never covers some weeks), including weeks no season samples at all.
2. ``broods``: split a species' sightings where the effort-weighted calendar density has deep, well separated
   valleys; the species table (``traits``) decides whether that is broods (bivoltine), habitats (univoltine)
   or the spring flight of hibernated adults, and says plainly when several broods are not separable.
3. ``weibull`` + ``estimates``: per species, brood and year (and over all years), the 10th, 50th and 90th
   percentiles on the day-of-year and the degree-day scale by the Weibull-parameterized estimator of Belitz et
   al. 2020 (phenesse), weighted, with its origin fitted by profile likelihood, its parametric-bootstrap bias
   correction, bootstrap 95 % intervals (vectorized over resamples, seeded), ``n`` and Kish's ``n_eff``.
4. ``censoring``: a percentile whose date lies within 14 days of a sampling gap or of an edge of the record is
   censored, with the reason; pages show it as not known.
5. ``traits``: the species table (``species_traits.csv``, sources in ``README.md``): adult overwinterers and
   migrants get calendar windows; flight months keep species from being "season over" too early.
6. ``windows``: onset to end with the peak marked, as date ranges this year (middle path; earliest and latest
   from the warm and cool paths and the intervals); never one day; each with n, n_eff, years, censoring and
   method; and exactly one status per species with the text of what it rests on.
7. ``skill``: leave-one-year-out hindcast of the onset and median: degree days (other years' mean degree
   days through the held-out year's temperatures) against the calendar (other years' mean day); MAE, the
   difference with species-bootstrap 95 % intervals, verdicts in plain words, and per species whether pages
   may show day-precise dates or must show a range (``date_precision``).
8. ``place``: all of the above for one place (``place_phenology``), as the pages' shared products call it:
   subspecies counted as species, the profiles from past seasons only, and a sighting of the last days
   beating the window's status ("seen beats expected").

Why the located Weibull, not phenesse's exact form
--------------------------------------------------
phenesse fits a two-parameter Weibull to the values as they are (origin at day 0, or at 0 degree days). For a
flight far from that origin the fitted shape is forced to be left-skewed: for a symmetric flight the 10th
percentile comes out 0.26 standard deviations early (3 days for a flight on day 150 +- 10; 56 degree days for
2100 +- 220), and for a right-skewed late flight (the usual shape: fast emergence, slow decline) by 170 degree
days (``tests/test_phenology_weibull.py`` derives both limits independently). Fitting the origin removes
this; where the data are Weibull from zero the fitted origin is zero and the two agree. ``location="zero"``
gives phenesse's estimator exactly (``weib_percentile`` defaults to it).

Limits (what pages should say)
------------------------------
- Sightings are where people looked. The effort weights remove observer effort measured by the reference
  group, but also divide by the reference group's own season (choose a group with a flat one), cannot see
  effort that differs between species (showy species are over-reported), and cannot bring back weeks that were
  not sampled: those are censored, not estimated.
- Bootstrap intervals hold the fitted origin and the bias fixed at their full-sample values: for samples under
  about 20 they are too narrow (coverage 0.75-0.9 of nominal in the tests' checks).
- The day of year is on the 365-day calendar (29 February counts as 28 February); a species flying across
  New Year is not split there.
- The hindcast dates degree-day predictions through the place's temperatures while the targets use each
  sighting's own cell: this is what the windows do, so the skill is theirs.

References: Cooke, P. (1979) Statistical inference for bounds of random variables. Biometrika 66: 367-374.
Pearse, W.D. et al. (2017) A statistical estimator for determining the limits of contemporary and historic
phenology. Nature Ecology & Evolution 1: 1876-1882. Belitz, M.W., Larsen, E.A., Ries, L. & Guralnick, R.P.
(2020) The accuracy of phenology estimators for use with sparsely
sampled presence-only observations. Methods in Ecology and Evolution 11: 1273-1285 (phenesse, CC0).
Chernozhukov, V., Fernández-Val, I. & Galichon, A. (2009) Improving point and interval estimators of monotone
functions by rearrangement. Biometrika 96: 559-575. Kish, L. (1965) Survey Sampling. Wiley.
"""

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
