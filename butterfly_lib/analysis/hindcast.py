"""Hindcast skill: do degree days predict a species' flight better than the calendar? The honesty check.

Look here for ``hindcast`` (leave one season out, per species and season) and ``hindcast_summary`` (mean
absolute error per species and overall).

Inputs: ``sightings_dd`` from ``emergence.sighting_degree_days`` and the place's cumulative degree-day series
``cum_dd`` (the same one, so every season's real temperatures are known).

Method, for each species with enough data and each season ``Y`` in which it has at least ``min_per_season``
sightings with degree days:
- the observed value is the season's first sighting day (``target="first"``) or the day of year of the 10th
  percentile of that season's sightings (``target="p10"``);
- the degree-day prediction takes, from the OTHER seasons only, the median of the same quantity in degree
  days, and finds the first day of season ``Y`` on which ``Y``'s real accumulation reaches it;
- the calendar baseline is the median day of year of the same quantity in the other seasons.
Errors are predicted minus observed, in days. A season whose accumulation never reaches the value gets no
degree-day prediction (counted, not guessed). Seasons are independent apart from sharing the species' other
years, so this is honest out-of-sample skill; it cannot separate temperature-driven timing from trends in
observer effort that move first sightings earlier (see ``emergence.LIMITATIONS``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days import season_table
from butterfly_lib.errors import InvalidInput

TARGETS = ("first", "p10")


def _season_targets(g: pd.DataFrame, target: str) -> pd.DataFrame:
    """Per season: observed doy and cum_dd of the target quantity."""
    if target == "first":
        first = g.sort_values("day").groupby("season").first()
        return first[["doy", "cum_dd"]]
    # p10: the 10th percentile (lower order statistic) of that season's sightings, by date
    ranked = g.sort_values("day")
    ranked["k"] = ranked.groupby("season").cumcount()
    n = ranked.groupby("season")["k"].transform("size")
    pick = ranked[ranked["k"] == np.floor(0.1 * (n - 1)).astype(int)]
    return pick.set_index("season")[["doy", "cum_dd"]]


def _first_reach(table: pd.DataFrame, seasons: np.ndarray, values: np.ndarray) -> np.ndarray:
    """First season-day on which each season's accumulation reaches the value (NaN if never)."""
    cols = table.reindex(columns=seasons).to_numpy()  # (365, n)
    reached = cols >= values[None, :]
    any_ = reached.any(axis=0)
    first = np.argmax(reached, axis=0).astype(float) + 1.0
    return np.where(any_, first, np.nan)


def hindcast(
    sightings_dd: pd.DataFrame,
    cum_dd: pd.Series,
    *,
    target: str = "first",
    min_sightings: int = 20,
    min_years: int = 3,
    min_per_season: int = 1,
) -> pd.DataFrame:
    """Leave-one-season-out predictions: one row per (species, season).

    Columns: ``scientific_name, common_name, season, n_in_season, observed_doy, observed_dd, dd_target,
    dd_predicted_doy, calendar_predicted_doy, dd_error_days, calendar_error_days``. Days are season days of
    the 365-day calendar (1 = biofix). ``attrs["target"]`` records the target.
    """
    if target not in TARGETS:
        raise InvalidInput("target", target, " or ".join(TARGETS))
    table = season_table(cum_dd)
    frame = sightings_dd[sightings_dd["cum_dd"].notna()].copy()
    # season day of the sighting on the accumulation's calendar (matches the table rows)
    biofix = table.attrs.get("biofix", "01-01")
    month, day = (int(p) for p in biofix.split("-"))
    start_doy = int(pd.Timestamp(2001, month, day).day_of_year)
    frame["doy"] = (frame["doy"] - start_doy) % 365 + 1
    counts = frame.groupby("scientific_name").agg(n=("season", "size"), y=("season", "nunique"))
    keep = counts.index[(counts["n"] >= min_sightings) & (counts["y"] >= min_years)]
    rows = []
    for name in keep:
        g = frame[frame["scientific_name"] == name]
        per = _season_targets(g, target)
        n_in = g.groupby("season").size().reindex(per.index)
        per = per[n_in >= min_per_season]
        if len(per) < 2:
            continue
        seasons = per.index.to_numpy()
        obs_doy = per["doy"].to_numpy(dtype=float)
        obs_dd = per["cum_dd"].to_numpy(dtype=float)
        # leave-one-out medians via a mask matrix (n x n, small)
        mask = ~np.eye(len(seasons), dtype=bool)
        dd_loo = np.array([np.median(obs_dd[m]) for m in mask])
        cal_loo = np.array([np.median(obs_doy[m]) for m in mask])
        pred_doy = _first_reach(table, seasons, dd_loo)
        common = g["common_name"].dropna()
        rows.append(
            pd.DataFrame(
                {
                    "scientific_name": name,
                    "common_name": common.mode().iloc[0] if len(common) else "",
                    "season": seasons,
                    "n_in_season": n_in.reindex(seasons).to_numpy(),
                    "observed_doy": obs_doy,
                    "observed_dd": obs_dd,
                    "dd_target": dd_loo,
                    "dd_predicted_doy": pred_doy,
                    "calendar_predicted_doy": cal_loo,
                    "dd_error_days": pred_doy - obs_doy,
                    "calendar_error_days": cal_loo - obs_doy,
                }
            )
        )
    cols = [
        "scientific_name", "common_name", "season", "n_in_season", "observed_doy", "observed_dd", "dd_target",
        "dd_predicted_doy", "calendar_predicted_doy", "dd_error_days", "calendar_error_days",
    ]  # fmt: skip
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    out.attrs["target"] = target
    return out[cols]


def hindcast_summary(predictions: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute error in days per species and overall (last row, ``scientific_name="(all species)"``).

    Columns: ``scientific_name, common_name, n_seasons, n_unreached, dd_mae_days, calendar_mae_days,
    dd_better`` (degree days' MAE below the calendar's), ``skill`` (1 - dd_mae / calendar_mae). Both MAEs
    are over the same seasons (those with a degree-day prediction).
    """
    p = predictions.assign(unreached=predictions["dd_predicted_doy"].isna())
    ok = p[~p["unreached"]].copy()
    ok["dd_abs"] = ok["dd_error_days"].abs()
    ok["cal_abs"] = ok["calendar_error_days"].abs()
    per = ok.groupby(["scientific_name", "common_name"], as_index=False).agg(
        n_seasons=("season", "size"), dd_mae_days=("dd_abs", "mean"), calendar_mae_days=("cal_abs", "mean")
    )
    unreached = p.groupby("scientific_name")["unreached"].sum()
    per["n_unreached"] = per["scientific_name"].map(unreached).fillna(0).astype(int)
    overall = pd.DataFrame(
        {
            "scientific_name": ["(all species)"],
            "common_name": [""],
            "n_seasons": [len(ok)],
            "dd_mae_days": [ok["dd_abs"].mean() if len(ok) else np.nan],
            "calendar_mae_days": [ok["cal_abs"].mean() if len(ok) else np.nan],
            "n_unreached": [int(p["unreached"].sum())],
        }
    )
    out = pd.concat([per, overall], ignore_index=True)
    out["dd_better"] = out["dd_mae_days"] < out["calendar_mae_days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["skill"] = 1.0 - out["dd_mae_days"] / out["calendar_mae_days"]
    out.attrs["target"] = predictions.attrs.get("target", "")
    return out[
        ["scientific_name", "common_name", "n_seasons", "n_unreached", "dd_mae_days", "calendar_mae_days",
         "dd_better", "skill"]
    ]  # fmt: skip
