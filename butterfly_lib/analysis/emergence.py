"""Emergence profiles: each species' flight window in accumulated degree days and in calendar weeks.

Look here to put a degree-day value on every sighting (``sighting_degree_days``) and to summarise species
(``emergence_profiles``), or for the weekly relative frequency of each species (``weekly_relative_frequency``).

Inputs
------
- ``sightings``: the iNaturalist observations frame (``id, taxon_id, scientific_name, common_name,
  observed_on, latitude, longitude, obscured, ...``). ``observed_on`` is a local date.
- ``cum_dd``: the place's daily cumulative degree days (``accumulate`` output: Series on a DatetimeIndex of
  local days, ``attrs["biofix"]``). Optionally ``local_cum``: a frame ``grid_lat, grid_lon, date, cum_dd`` of
  per-cell accumulations (``attrs["resolution_deg"]`` gives the grid spacing used to snap sightings).

Method
------
1. Each sighting gets ``cum_dd`` on its day: its own grid cell's value where a cell series is given and its
   coordinates are not obscured, else the place's series; ``dd_source`` says which, and why
   (``"cell"``, ``"place"``, ``"place (coordinates obscured)"``, ``"place (no cell series)"``, or
   ``"none (outside the temperature record)"`` / ``"none (gap in the temperature record)"`` when neither
   has a value; those rows are kept but carry no degree days and are counted in ``attrs["coverage"]``).
2. Effort. iNaturalist activity grows every year and peaks in summer, so raw counts mostly measure observers.
   Each sighting is weighted by ``1 / N``, where ``N`` is the number of sightings of *all* butterflies in the
   same unit of effort. ``dd_*`` and ``week_*`` use the year as the unit (every year weighs the same however
   busy it was); ``rel_dd_*`` use the (year, week) — the species' relative frequency in that week, which also
   removes the within-season rise and fall of observer effort.
3. Per species with at least ``min_sightings`` sightings over at least ``min_years`` years (configurable):
   weighted 10th/50th/90th percentiles of the sightings' degree days (the flight window in degree days), the
   same percentiles of the per-year first-sighting value across years (``first_dd_*``), and the window in
   calendar days/weeks, computed on the circle of the year so a window across New Year is one window
   (``crosses_new_year``; then the degree-day window, which restarts at the biofix, is flagged unreliable).

What the method cannot see (``LIMITATIONS``): see the constant below; pages should quote it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

LIMITATIONS = (
    "Sightings are where and when people looked, not where butterflies were: the relative-frequency "
    "correction removes the overall growth and seasonal rhythm of iNaturalist effort, but not effort that "
    "differs between species (showy or easily identified species are over-reported), nor the mix of other "
    "species in a week (a species' share falls when many others fly, although its own numbers do not). "
    "First sightings depend on how many people looked that spring, so early years with few observers report "
    "late first dates. One station's degree days stand for every sighting without a cell series, however far "
    "or high it was. Years or places with no sightings say nothing about absence."
)

DD_SOURCES = (
    "cell",
    "place",
    "place (coordinates obscured)",
    "place (no cell series)",
    "none (outside the temperature record)",
    "none (gap in the temperature record)",
)

QUANTILES = (0.1, 0.5, 0.9)


def local_days(values: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Dates (date objects, strings or Timestamps, tz-aware or not) as naive local midnights."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def season_of(days: pd.DatetimeIndex, biofix: str = "01-01") -> np.ndarray:
    """The season label (year the season starts on ``biofix`` "MM-DD") of each day."""
    month, day = (int(p) for p in biofix.split("-"))
    before = (days.month < month) | ((days.month == month) & (days.day < day))
    return np.asarray(days.year) - np.asarray(before, dtype=int)


def day_of_year(days: pd.DatetimeIndex) -> np.ndarray:
    """Day of year on a 365-day calendar (29 February counts as 28 February)."""
    doy = np.asarray(days.day_of_year)
    after_feb = np.asarray(days.is_leap_year) & (np.asarray(days.month) > 2)
    leap_day = (np.asarray(days.month) == 2) & (np.asarray(days.day) == 29)
    return doy - after_feb.astype(int) - leap_day.astype(int)


def week_of_year(doy: np.ndarray) -> np.ndarray:
    """Week 1..52 of a 365-day calendar day (day 365 belongs to week 52)."""
    return np.minimum((np.asarray(doy) - 1) // 7, 51) + 1


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs=QUANTILES) -> np.ndarray:
    """Weighted quantiles (midpoint plotting positions, linear between); monotone in ``q``; NaN if empty."""
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = ~np.isnan(v) & (w > 0)
    v, w = v[ok], w[ok]
    if v.size == 0:
        return np.full(len(qs), np.nan)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    pos = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(qs, dtype=float), pos, v)


def circular_day_quantiles(doy: np.ndarray, weights: np.ndarray, qs=QUANTILES) -> tuple[np.ndarray, bool]:
    """Quantiles of days of year on the 365-day circle, cut at the longest run of empty days.

    Returns (days 1..365 per quantile, whether the window from the first to the last quantile crosses New
    Year). With no empty day the cut is at the least-weighted day.
    """
    d = np.asarray(doy, dtype=int)
    w = np.asarray(weights, dtype=float)
    if d.size == 0:
        return np.full(len(qs), np.nan), False
    hist = np.bincount(d - 1, weights=w, minlength=365)[:365]
    empty = hist <= 0
    if empty.any():
        # longest circular run of empty days: unroll twice and find runs
        twice = np.r_[empty, empty].astype(np.int8)
        edges = np.diff(np.r_[0, twice, 0])
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        lengths = np.minimum(ends - starts, 365)
        k = int(np.argmax(lengths))
        cut = int(ends[k]) % 365  # first occupied day after the longest gap (0-based)
    else:
        cut = int(np.argmin(hist))
    shifted = (d - 1 - cut) % 365
    q = weighted_quantiles(shifted, w, qs)
    days = (np.round(q).astype(int) + cut) % 365 + 1
    crosses = bool(days[0] > days[-1])
    return days, crosses


def sighting_degree_days(
    sightings: pd.DataFrame,
    cum_dd: pd.Series,
    *,
    local_cum: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Copy of ``sightings`` with ``day`` (naive local date), ``season``, ``doy``, ``week``, ``cum_dd`` and
    ``dd_source`` (see ``DD_SOURCES``); ``attrs["coverage"]`` counts the rows per ``dd_source``.

    ``season`` follows the biofix of ``cum_dd`` (``attrs["biofix"]``, default ``"01-01"``).
    """
    for col in ("observed_on", "scientific_name"):
        if col not in sightings.columns:
            raise InvalidInput("sightings", list(sightings.columns), f"a frame with a {col!r} column")
    if not isinstance(cum_dd.index, pd.DatetimeIndex):
        raise InvalidInput("cum_dd.index", type(cum_dd.index).__name__, "a DatetimeIndex of days")
    biofix = cum_dd.attrs.get("biofix", "01-01")
    out = sightings.copy()
    days = local_days(out["observed_on"])
    out["day"] = days
    out["season"] = season_of(days, biofix)
    out["doy"] = day_of_year(days)
    out["week"] = week_of_year(out["doy"].to_numpy())
    place = pd.Series(cum_dd.to_numpy(dtype=float), index=local_days(cum_dd.index))
    place = place[~place.index.duplicated(keep="last")]
    place_val = place.reindex(days).to_numpy()
    obscured = (
        out["obscured"].fillna(False).astype(bool).to_numpy()
        if "obscured" in out
        else np.zeros(len(out), bool)
    )
    value = np.full(len(out), np.nan)
    source = np.full(len(out), "", dtype=object)
    if local_cum is not None and len(local_cum):
        res = float(local_cum.attrs.get("resolution_deg", 0.1))
        cells = local_cum.assign(day=local_days(local_cum["date"]))[["grid_lat", "grid_lon", "day", "cum_dd"]]
        key = pd.DataFrame(
            {
                "grid_lat": np.round(np.round(out["latitude"].to_numpy(dtype=float) / res) * res, 6),
                "grid_lon": np.round(np.round(out["longitude"].to_numpy(dtype=float) / res) * res, 6),
                "day": days,
            }
        )
        cells = cells.assign(grid_lat=cells["grid_lat"].round(6), grid_lon=cells["grid_lon"].round(6))
        cell_val = key.merge(cells.drop_duplicates(["grid_lat", "grid_lon", "day"]), how="left")[
            "cum_dd"
        ].to_numpy()
        use_cell = ~obscured & ~np.isnan(cell_val)
        value[use_cell] = cell_val[use_cell]
        source[use_cell] = "cell"
        rest = ~use_cell
        value[rest] = place_val[rest]
        source[rest & obscured] = "place (coordinates obscured)"
        source[rest & ~obscured] = "place (no cell series)"
    else:
        value[:] = place_val
        source[:] = np.where(obscured, "place (coordinates obscured)", "place")
    none = np.isnan(value)
    if none.any():
        first, last = place.index.min(), place.index.max()
        outside = np.asarray((days < first) | (days > last)) if len(place) else np.ones(len(out), bool)
        source[none & outside] = "none (outside the temperature record)"
        source[none & ~outside] = "none (gap in the temperature record)"
    out["cum_dd"] = value
    out["dd_source"] = source.astype(str)
    out.attrs["coverage"] = {k: int(v) for k, v in out["dd_source"].value_counts().items()}
    out.attrs["biofix"] = biofix
    return out


def effort_weights(sightings_dd: pd.DataFrame) -> pd.DataFrame:
    """Columns ``w_year = 1 / all-butterfly sightings that season`` and ``w_week = 1 / those of that
    (season, week)``, counted over every row of the frame (the all-butterfly background)."""
    n_year = sightings_dd.groupby("season")["season"].transform("size").to_numpy(dtype=float)
    n_week = sightings_dd.groupby(["season", "week"])["season"].transform("size").to_numpy(dtype=float)
    return pd.DataFrame({"w_year": 1.0 / n_year, "w_week": 1.0 / n_week}, index=sightings_dd.index)


def weekly_relative_frequency(sightings_dd: pd.DataFrame) -> pd.DataFrame:
    """Species × week (1..52) share of all butterfly sightings, averaged over the seasons with any sighting
    that week: ``mean over seasons of n(species, season, week) / N(season, week)``. Rows: scientific_name."""
    counts = sightings_dd.groupby(["scientific_name", "season", "week"]).size().rename("n").reset_index()
    totals = sightings_dd.groupby(["season", "week"]).size().rename("N").reset_index()
    share = counts.merge(totals, on=["season", "week"])
    share["share"] = share["n"] / share["N"]
    seasons_per_week = totals.groupby("week")["season"].nunique()
    summed = share.pivot_table(
        index="scientific_name", columns="week", values="share", aggfunc="sum", fill_value=0.0
    )
    summed = summed.reindex(columns=range(1, 53), fill_value=0.0)
    denom = seasons_per_week.reindex(range(1, 53)).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = summed / np.where(denom > 0, denom, np.nan)
    return rel.fillna(0.0)


def _species_key(frame: pd.DataFrame) -> pd.Series:
    return frame["scientific_name"].astype(str)


def emergence_profiles(
    sightings_dd: pd.DataFrame,
    *,
    min_sightings: int = 20,
    min_years: int = 3,
) -> pd.DataFrame:
    """One row per species with enough data (``sighting_degree_days`` output in; rows without ``cum_dd``
    are ignored for the degree-day columns and counted in ``n_without_dd``).

    Columns: ``scientific_name, common_name, taxon_id, n_sightings, n_years, n_without_dd,
    dd_p10, dd_p50, dd_p90`` (year-weighted), ``rel_dd_p10, rel_dd_p50, rel_dd_p90`` (week relative
    frequency), ``first_dd_p10, first_dd_p50, first_dd_p90`` (per-season first sighting, across seasons),
    ``doy_p10, doy_p50, doy_p90, week_start, week_peak, week_end, crosses_new_year, dd_reliable``.
    Sorted by ``dd_p10``. ``attrs``: thresholds, ``limitations``, ``species_below_threshold``.
    """
    if int(min_sightings) < 1 or int(min_years) < 1:
        raise InvalidInput("min_sightings/min_years", (min_sightings, min_years), "whole numbers >= 1")
    frame = sightings_dd.copy()
    frame = frame.join(effort_weights(frame))
    frame["species"] = _species_key(frame)
    has_dd = frame["cum_dd"].notna()
    stats = frame.groupby("species").agg(
        n_sightings=("species", "size"), n_years=("season", "nunique"), n_with_dd=("cum_dd", "count")
    )
    keep = stats.index[(stats["n_sightings"] >= min_sightings) & (stats["n_years"] >= min_years)]
    first = frame[has_dd].sort_values(["day"]).groupby(["species", "season"], as_index=False).first()
    rows = []
    for name in keep:
        g = frame[frame["species"] == name]
        gd = g[g["cum_dd"].notna()]
        dd = gd["cum_dd"].to_numpy()
        q_year = weighted_quantiles(dd, gd["w_year"].to_numpy())
        q_week = weighted_quantiles(dd, gd["w_week"].to_numpy())
        f = first.loc[first["species"] == name, "cum_dd"].to_numpy()
        q_first = np.quantile(f, QUANTILES) if f.size else np.full(3, np.nan)
        days, crosses = circular_day_quantiles(g["doy"].to_numpy(), g["w_year"].to_numpy())
        weeks = week_of_year(days)
        common = g["common_name"].dropna() if "common_name" in g else pd.Series(dtype=object)
        taxon = g["taxon_id"].dropna() if "taxon_id" in g else pd.Series(dtype=float)
        rows.append(
            {
                "scientific_name": name,
                "common_name": common.mode().iloc[0] if len(common) else "",
                "taxon_id": int(taxon.mode().iloc[0]) if len(taxon) else pd.NA,
                "n_sightings": int(len(g)),
                "n_years": int(g["season"].nunique()),
                "n_without_dd": int(len(g) - len(gd)),
                "dd_p10": q_year[0],
                "dd_p50": q_year[1],
                "dd_p90": q_year[2],
                "rel_dd_p10": q_week[0],
                "rel_dd_p50": q_week[1],
                "rel_dd_p90": q_week[2],
                "first_dd_p10": q_first[0],
                "first_dd_p50": q_first[1],
                "first_dd_p90": q_first[2],
                "doy_p10": int(days[0]),
                "doy_p50": int(days[1]),
                "doy_p90": int(days[2]),
                "week_start": int(weeks[0]),
                "week_peak": int(weeks[1]),
                "week_end": int(weeks[2]),
                "crosses_new_year": crosses,
                "dd_reliable": bool(not crosses and len(gd) > 0),
            }
        )
    columns = [
        "scientific_name", "common_name", "taxon_id", "n_sightings", "n_years", "n_without_dd",
        "dd_p10", "dd_p50", "dd_p90", "rel_dd_p10", "rel_dd_p50", "rel_dd_p90",
        "first_dd_p10", "first_dd_p50", "first_dd_p90", "doy_p10", "doy_p50", "doy_p90",
        "week_start", "week_peak", "week_end", "crosses_new_year", "dd_reliable",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=columns).sort_values("dd_p10", kind="stable").reset_index(drop=True)
    out.attrs.update(
        {
            "min_sightings": int(min_sightings),
            "min_years": int(min_years),
            "biofix": sightings_dd.attrs.get("biofix", "01-01"),
            "limitations": LIMITATIONS,
            "species_below_threshold": int(len(stats) - len(keep)),
            "coverage": dict(sightings_dd.attrs.get("coverage", {})),
        }
    )
    return out
