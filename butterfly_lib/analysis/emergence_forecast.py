"""This season's emergence forecast: when each species' degree-day window is reached, and what is flying now.

Look here for ``season_projection`` (accumulation to the as-of date, then the 16-day forecast, then the
normal, with low/high bounds), ``emergence_windows`` (per species: date window and status) and
``flying_counts`` (how many species are expected to be flying around each day; feeds the viewing index).

Inputs
------
- ``cum_dd``: this season's cumulative degree days (``accumulate`` output) up to at least ``as_of``.
- ``forecast_dd``: daily degree days for the forecast days after ``as_of`` (Series on a DatetimeIndex; compute
  with ``analysis.degree_days.source_degree_days`` from the forecast frame, same rule as the profiles).
- ``normals_df``: ``normals`` output (doy × mean, p10, p90) of the same series and method.
- ``profiles``: ``emergence.emergence_profiles`` output.

Method
------
After the forecast's last day the projection follows the normal: the middle path adds the daily increments
of the normal mean curve, the low path those of the 10th-percentile curve and the high path those of the
90th. A species' window opens when the middle path reaches its ``dd_p10`` and its peak is when it reaches
``dd_p50``; the earliest opening is when the high path reaches ``dd_p10`` and the latest peak when the low path
reaches ``dd_p50``. Status on ``as_of``: ``season over`` (accumulation past ``dd_p90``), ``flying now`` (past
``dd_p10``), ``expected soon`` (the window opens within ``within_days``; ``status_text`` gives the range),
``later``. Species whose window crosses New Year (``dd_reliable`` False) are classified by calendar week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.emergence import day_of_year, local_days, week_of_year
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


def _reach(dates: pd.DatetimeIndex, path: np.ndarray, values: np.ndarray) -> pd.DatetimeIndex:
    """First date each value is reached along a non-decreasing path (NaT if never)."""
    p = np.fmax.accumulate(np.nan_to_num(path, nan=-np.inf))
    i = np.searchsorted(p, values, side="left")
    ok = (i < len(p)) & ~np.isnan(values)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = dates.to_numpy()[i[ok]]
    return pd.DatetimeIndex(out)


def emergence_windows(
    profiles: pd.DataFrame, projection: pd.DataFrame, *, within_days: int = 14
) -> pd.DataFrame:
    """Per species (profile order): ``scientific_name, common_name, dd_p10, dd_p50, dd_p90, cum_dd_as_of,
    window_start, window_end, earliest_start, latest_end, days_until, status, status_text``.

    ``window_start``/``window_end`` are the dates the middle path reaches ``dd_p10``/``dd_p50``;
    ``earliest_start`` uses the high path, ``latest_end`` the low path; NaT when not reached this season.
    """
    if int(within_days) < 0:
        raise InvalidInput("within_days", within_days, "a whole number of days >= 0")
    as_of = pd.Timestamp(projection.attrs["as_of"])
    dates = pd.DatetimeIndex(projection["date"])
    now = float(projection.loc[dates == as_of, "cum_dd_mid"].iloc[0])
    p10 = profiles["dd_p10"].to_numpy(dtype=float)
    p50 = profiles["dd_p50"].to_numpy(dtype=float)
    p90 = profiles["dd_p90"].to_numpy(dtype=float)
    start = _reach(dates, projection["cum_dd_mid"].to_numpy(), p10)
    end = _reach(dates, projection["cum_dd_mid"].to_numpy(), p50)
    earliest = _reach(dates, projection["cum_dd_high"].to_numpy(), p10)
    latest = _reach(dates, projection["cum_dd_low"].to_numpy(), p50)
    days_until = np.asarray((start - as_of).days, dtype=float)
    status = np.where(now >= p90, "season over", np.where(now >= p10, "flying now", "later")).astype(object)
    soon = (status == "later") & (np.asarray((earliest - as_of).days, dtype=float) <= within_days)
    status[soon] = "expected soon"
    reliable = (
        profiles["dd_reliable"].to_numpy(dtype=bool) if "dd_reliable" in profiles else np.ones(len(p10), bool)
    )
    if (~reliable).any():
        week = int(week_of_year(day_of_year(pd.DatetimeIndex([as_of])))[0])
        ws, we = profiles["week_start"].to_numpy(), profiles["week_end"].to_numpy()
        in_window = np.where(ws <= we, (week >= ws) & (week <= we), (week >= ws) | (week <= we))
        status[~reliable] = np.where(in_window[~reliable], "flying now", "later")
    text = []
    for st, s, e, lo, hi in zip(status, start, end, earliest, latest, strict=True):
        if st == "expected soon":
            first = lo if not pd.isna(lo) else s
            last = e if pd.isna(hi) else hi
            rng = f"{first:%b %d}" + (f" – {last:%b %d}" if not pd.isna(last) else "")
            text.append(f"expected within {within_days} days ({rng})")
        elif st == "later":
            text.append(
                f"later (from about {s:%b %d})" if not pd.isna(s) else "later (not reached this season)"
            )
        else:
            text.append(st)
    out = pd.DataFrame(
        {
            "scientific_name": profiles["scientific_name"].to_numpy(),
            "common_name": profiles["common_name"].to_numpy(),
            "dd_p10": p10,
            "dd_p50": p50,
            "dd_p90": p90,
            "cum_dd_as_of": now,
            "window_start": start,
            "window_end": end,
            "earliest_start": earliest,
            "latest_end": latest,
            "days_until": days_until,
            "status": status.astype(str),
            "status_text": text,
        }
    )
    out.attrs.update({"as_of": as_of, "within_days": int(within_days)})
    return out


def flying_counts(profiles: pd.DataFrame, projection: pd.DataFrame, *, half_width_days: int = 3) -> pd.Series:
    """Number of species expected flying around each projection day: those whose ``[dd_p10, dd_p90]``
    overlaps the middle path's accumulation over the week ``day ± half_width_days``. Index: date."""
    mid = projection["cum_dd_mid"].to_numpy(dtype=float)
    n = len(mid)
    idx = np.arange(n)
    lo = mid[np.clip(idx - half_width_days, 0, n - 1)]
    hi = mid[np.clip(idx + half_width_days, 0, n - 1)]
    p10 = profiles["dd_p10"].to_numpy(dtype=float)[None, :]
    p90 = profiles["dd_p90"].to_numpy(dtype=float)[None, :]
    flying = (hi[:, None] >= p10) & (lo[:, None] <= p90)
    return pd.Series(flying.sum(axis=1), index=pd.DatetimeIndex(projection["date"]), name="species_flying")
