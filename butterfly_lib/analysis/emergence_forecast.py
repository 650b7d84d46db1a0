"""This season's projected degree-day path: observed to the as-of day, then the 16-day forecast, then the normal.

Look here for ``season_projection`` (accumulation to the as-of date, then the forecast's daily degree days, then
the normal's daily increments, with low/high bounds). The phenology turns species' degree-day percentiles into
dates this year along this path (``analysis.phenology.windows``); the degree-days page draws it.

Inputs
------
- ``cum_dd``: this season's cumulative degree days (``accumulate`` output) up to at least ``as_of``.
- ``forecast_dd``: daily degree days for the forecast days after ``as_of`` (Series on a DatetimeIndex; compute
  with ``analysis.degree_days.source_degree_days`` from the forecast frame, same rule as the season).
- ``normals_df``: ``normals`` output (doy × mean, p10, p90) of the same series and method.

Method
------
After the forecast's last day the projection follows the normal: the middle path adds the daily increments
of the normal mean curve, the low path those of the 10th-percentile curve and the high path those of the
90th. On observed days the three paths are equal; the low and high paths bound the rest of the season.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.days import day_of_year, local_days
from butterfly_lib.errors import InvalidInput


def season_projection(
    cum_dd: pd.Series, forecast_dd: pd.Series, normals_df: pd.DataFrame, as_of
) -> pd.DataFrame:  # noqa: ANN001 (date-like)
    """Daily path of this season's accumulation from its start to the end of the season.

    Columns: ``date`` (naive local day), ``doy``, ``cum_dd_low``, ``cum_dd_mid``, ``cum_dd_high``, ``part``
    (``observed`` up to ``as_of``, ``forecast``, ``normal``). On observed days the three paths are equal.
    """
    when = pd.Timestamp(as_of).normalize()
    cum = pd.Series(cum_dd.to_numpy(dtype=float), index=local_days(cum_dd.index))
    if when not in cum.index or np.isnan(cum.loc[when]):
        raise InvalidInput("as_of", str(when.date()), "a day with a value in cum_dd")
    biofix = cum_dd.attrs.get("biofix", normals_df.attrs.get("biofix", "01-01"))
    month, day = (int(p) for p in biofix.split("-"))
    start = pd.Timestamp(when.year - int((when.month, when.day) < (month, day)), month, day)
    end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    days = pd.date_range(start, end, freq="D")
    observed = cum.reindex(days[days <= when]).to_numpy()
    fc = pd.Series(forecast_dd.to_numpy(dtype=float), index=local_days(forecast_dd.index))
    fc_days = days[(days > when)]
    fc_vals = fc.reindex(fc_days)
    n_fc = int(np.argmax(fc_vals.isna().to_numpy())) if fc_vals.isna().any() else len(fc_vals)
    fc_inc = fc_vals.to_numpy()[:n_fc]
    season_day = (day_of_year(days) - day_of_year(pd.DatetimeIndex([start]))[0]) % 365 + 1
    rest = days[len(observed) + n_fc :]
    rest_sday = season_day[len(observed) + n_fc :]
    paths = {}
    level = observed[-1] + np.nansum(fc_inc)
    base = np.r_[observed, observed[-1] + np.cumsum(np.nan_to_num(fc_inc))]
    for name, col in (("low", "p10"), ("mid", "mean"), ("high", "p90")):
        curve = normals_df[col].to_numpy(dtype=float)
        curve = np.fmax.accumulate(np.nan_to_num(curve, nan=0.0))
        prev_sday = rest_sday[0] - 1 if len(rest_sday) else 0
        anchor = curve[prev_sday - 1] if prev_sday >= 1 else 0.0
        after = level + (curve[rest_sday - 1] - anchor) if len(rest) else np.array([])
        paths[name] = np.r_[base, after]
    low = np.minimum.reduce([paths["low"], paths["mid"], paths["high"]])
    high = np.maximum.reduce([paths["low"], paths["mid"], paths["high"]])
    part = np.r_[
        np.full(len(observed), "observed"), np.full(n_fc, "forecast"), np.full(len(rest), "normal")
    ].astype(object)
    out = pd.DataFrame(
        {
            "date": days,
            "doy": season_day,
            "cum_dd_low": low,
            "cum_dd_mid": paths["mid"],
            "cum_dd_high": high,
            "part": part,
        }
    )
    out.attrs.update({"as_of": when, "biofix": biofix, "forecast_days": n_fc})
    return out
