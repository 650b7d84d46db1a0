"""Skill that means something: do degree days date a species' flight better than the calendar? (hindcast)

Look here for ``hindcast`` (leave one year out, per species, brood, target and year), ``skill_summary`` (mean
absolute errors, the difference with its 95 % bootstrap interval, and a plain-words verdict, per species and
overall) and ``date_precision`` (per species: may a page show day-precise dates, or must it show a range).

Targets: the 10th percentile (onset) and the median of each species-year (``estimates.yearly_percentiles``),
for years with at least ``min_sightings`` (5) sightings whose estimates are not censored, and species with at
least ``min_years`` (5) such years. For each held-out year ``Y``:
- degree days: the mean of the other years' degree-day targets, mapped to the first day on which ``Y``'s own
  accumulation at the place (``place_cum_dd``) reaches it;
- calendar: the mean of the other years' day-of-year targets;
- observed: ``Y``'s day-of-year target. Errors are predicted minus observed, in days.

Summary: MAE of each method over the same years (those with a degree-day date), the difference
``calendar MAE - degree-day MAE`` (positive: degree days better) with a 95 % bootstrap interval: for one
species by resampling its years, for all species together by resampling species (each keeps its years), as
issue 11 asks. The verdict says "degree days better", "calendar better" or "not distinguishable from the
calendar" (the interval contains 0). What it cannot separate: trends in observer effort that move
estimated percentiles (the effort correction is meant to remove them), and the mismatch between the
sightings' own grid cells and the place's accumulation used to date the prediction (both are what this
season's windows do, so the skill is the skill of the windows pages show).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.censoring import date_to_doy, dd_to_date
from butterfly_lib.errors import InvalidInput

PREDICTION_COLUMNS = (
    "scientific_name", "common_name", "brood", "target", "year", "n", "observed_doy", "observed_dd",
    "dd_target", "dd_predicted_doy", "calendar_predicted_doy", "dd_error_days", "calendar_error_days",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "scientific_name", "common_name", "brood", "target", "n_years", "n_unreached", "dd_mae_days",
    "calendar_mae_days", "difference_days", "difference_low", "difference_high", "verdict",
)  # fmt: skip
ALL = "(all species)"


def hindcast(
    yearly: pd.DataFrame,
    place_cum_dd: pd.Series,
    *,
    targets=(10, 50),  # noqa: ANN001
    min_sightings: int = 5,
    min_years: int = 5,
) -> pd.DataFrame:
    """Leave-one-year-out predictions (``PREDICTION_COLUMNS``), one row per species, brood, target, year."""
    if int(min_years) < 2:
        raise InvalidInput("min_years", min_years, "a whole number >= 2 (one year is left out)")
    need = {"scientific_name", "brood", "year", "scale", "percentile", "estimate", "censored", "n"}
    if not need <= set(yearly.columns):
        raise InvalidInput("yearly", list(yearly.columns), "yearly_percentiles output")
    y = yearly[yearly["percentile"].isin(list(targets)) & ~yearly["censored"] & (yearly["n"] >= min_sightings)]
    y = y[np.isfinite(y["estimate"].astype(float))]
    keys = ["scientific_name", "brood", "percentile", "year"]
    doy = y[y["scale"] == "doy"].set_index(keys)[["estimate", "n", "common_name"]]
    dd = y[y["scale"] == "dd"].set_index(keys)["estimate"].rename("observed_dd")
    both = doy.rename(columns={"estimate": "observed_doy"}).join(dd, how="inner").reset_index()
    counts = both.groupby(["scientific_name", "brood", "percentile"])["year"].transform("size")
    both = both[counts >= int(min_years)].copy()
    if both.empty:
        return pd.DataFrame(columns=list(PREDICTION_COLUMNS))
    g = both.groupby(["scientific_name", "brood", "percentile"])
    k = g["year"].transform("size").to_numpy(dtype=float)
    both["dd_target"] = (g["observed_dd"].transform("sum") - both["observed_dd"]) / (k - 1)
    both["calendar_predicted_doy"] = (g["observed_doy"].transform("sum") - both["observed_doy"]) / (k - 1)
    dates = dd_to_date(both["year"].to_numpy(dtype=float), both["dd_target"].to_numpy(), place_cum_dd)
    pred = np.where(pd.isna(dates), np.nan, date_to_doy(dates.fillna(pd.Timestamp("2001-01-01"))))
    both["dd_predicted_doy"] = pred
    both["dd_error_days"] = both["dd_predicted_doy"] - both["observed_doy"]
    both["calendar_error_days"] = both["calendar_predicted_doy"] - both["observed_doy"]
    both = both.rename(columns={"percentile": "target"})
    both["year"] = both["year"].astype(int)
    out = both[list(PREDICTION_COLUMNS)].sort_values(["scientific_name", "brood", "target", "year"])
    return out.reset_index(drop=True)


def _verdict(d: float, lo: float, hi: float) -> str:
    if not np.isfinite(d):
        return "no comparison (no degree-day predictions)"
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo <= 0 <= hi:
        return (f"not distinguishable from the calendar (difference {d:+.1f} days, 95 % interval "
                f"{lo:+.1f} to {hi:+.1f})")  # fmt: skip
    if d > 0:
        return f"degree days better by {d:.1f} days (95 % interval {lo:.1f} to {hi:.1f})"
    return f"calendar better by {-d:.1f} days (95 % interval {-hi:.1f} to {-lo:.1f})"


def skill_summary(predictions: pd.DataFrame, *, n_boot: int = 2000, conf: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Per species, brood and target, then per target over all species (``scientific_name = "(all
    species)"``): ``SUMMARY_COLUMNS``. Bootstrap: module docstring; vectorized, seeded."""
    if int(n_boot) < 1 or not 0 < conf < 1:
        raise InvalidInput("n_boot/conf", (n_boot, conf), "n_boot >= 1 and 0 < conf < 1")
    rng = np.random.default_rng(seed)
    a = (1 - conf) / 2
    p = predictions.copy()
    p["unreached"] = p["dd_predicted_doy"].isna()
    ok = p[~p["unreached"]].copy()
    ok["d"] = ok["calendar_error_days"].abs() - ok["dd_error_days"].abs()
    rows = []
    for (name, brood, target), g in ok.groupby(["scientific_name", "brood", "target"], sort=True):
        d = g["d"].to_numpy()
        n = d.size
        boot = d[rng.integers(0, n, size=(int(n_boot), n))].mean(axis=1)
        lo, hi = np.quantile(boot, [a, 1 - a])
        rows.append({
            "scientific_name": name, "common_name": g["common_name"].iloc[0], "brood": brood, "target": target,
            "n_years": n, "n_unreached": int(p[(p["scientific_name"] == name) & (p["brood"] == brood)
                                                & (p["target"] == target)]["unreached"].sum()),
            "dd_mae_days": g["dd_error_days"].abs().mean(), "calendar_mae_days": g["calendar_error_days"].abs().mean(),
            "difference_days": d.mean(), "difference_low": lo, "difference_high": hi,
        })  # fmt: skip
    for target, g in ok.groupby("target", sort=True):
        units = g.groupby(["scientific_name", "brood"])
        s_sum = units["d"].sum().to_numpy()
        s_n = units["d"].size().to_numpy(dtype=float)
        pick = rng.integers(0, s_sum.size, size=(int(n_boot), s_sum.size))
        boot = s_sum[pick].sum(axis=1) / s_n[pick].sum(axis=1)
        lo, hi = np.quantile(boot, [a, 1 - a]) if s_sum.size > 1 else (np.nan, np.nan)
        rows.append({
            "scientific_name": ALL, "common_name": "", "brood": pd.NA, "target": target, "n_years": len(g),
            "n_unreached": int(p[p["target"] == target]["unreached"].sum()),
            "dd_mae_days": g["dd_error_days"].abs().mean(), "calendar_mae_days": g["calendar_error_days"].abs().mean(),
            "difference_days": g["d"].mean(), "difference_low": lo, "difference_high": hi,
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=[c for c in SUMMARY_COLUMNS if c != "verdict"])
    out["verdict"] = [_verdict(d, lo, hi) for d, lo, hi in
                      zip(out["difference_days"], out["difference_low"], out["difference_high"], strict=True)]  # fmt: skip
    out.attrs.update({"n_boot": int(n_boot), "conf": conf, "seed": seed})
    return out[list(SUMMARY_COLUMNS)]


def date_precision(summary: pd.DataFrame, *, target: int = 10) -> pd.DataFrame:
    """Per species (and brood) of ``summary``: ``precision`` (``"day"`` only where degree days beat the
    calendar, the interval excluding 0; else ``"range"``), ``plus_minus_days`` (the degree-day MAE rounded up:
    the half-width of the range a page shows; the overall MAE for species without their own), ``reason``."""
    s = summary[summary["target"] == target]
    overall = s[s["scientific_name"] == ALL]
    fallback = float(np.ceil(overall["dd_mae_days"].iloc[0])) if len(overall) else np.nan
    rows = []
    for _, r in s[s["scientific_name"] != ALL].iterrows():
        wins = r["difference_low"] > 0
        pm = float(np.ceil(r["dd_mae_days"])) if np.isfinite(r["dd_mae_days"]) else fallback
        rows.append({
            "scientific_name": r["scientific_name"], "brood": r["brood"], "precision": "day" if wins else "range",
            "plus_minus_days": pm,
            "reason": ("degree days beat the calendar: " if wins else "show a range: ") + r["verdict"],
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["scientific_name", "brood", "precision", "plus_minus_days", "reason"])
