"""Degree days where each butterfly was: ``cum_dd`` on every sighting from its own grid cell's temperatures.

Look here to put the season's accumulated degree days on a sightings frame (``attach_cum_dd``). Pure: the cell
temperatures come from ``sources.open_meteo.cells.cell_temperatures`` and the place's own series (Open-Meteo or
the NOAA station, whichever the site uses) from the temperature sources; nothing is fetched here.

For each sighting: its 0.1° cell (``cell_lat``, ``cell_lon``, ``cell_elevation_m``), and ``cum_dd``, the degree
days accumulated from the season start (biofix) to the sighting's day at that cell, by the existing engine
(``degree_days_array`` and ``accumulate_array``: the same method, thresholds and gap policy as the pages), one 2-D
array per season (cells × days), no per-day loops. ``dd_source`` says where the number came from:

- ``"cell"``: the sighting's own cell; ``"cell:obscured"``: the same, but iNaturalist randomized the coordinates
  within ~0.2° (the cell may be a neighbour of the true one);
- ``"place:<reason>"``: the place's own series, because the cell has no value that day (``<reason>``: not fetched
  and why, the season is before ERA5-Land, the archive's last days, a gap longer than the gap policy allows);
- ``"none:<reason>"``: unknown (``cum_dd`` NaN): no cell value and the place series lacks the day too.

``cells=None`` uses the place series for every sighting (``dd_source`` ``"place:chosen source"``): the NOAA
station stays available as a choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import accumulate_array, parse_biofix, season_calendar
from butterfly_lib.analysis.degree_days.methods import degree_days_array
from butterfly_lib.analysis.degree_days.sources import season_cum_dd
from butterfly_lib.errors import InvalidInput
from butterfly_lib.provenance import attach, provenance_of
from butterfly_lib.settings import DegreeDays
from butterfly_lib.units import convert_temperature

RESOLUTION = 0.1


def _snap(values: np.ndarray, resolution: float) -> np.ndarray:
    return np.round(np.round(values / resolution) * resolution, 6)


def cell_cum_dd(
    cells: pd.DataFrame,
    dd_rule: DegreeDays,
    *,
    biofix: str = "01-01",
    max_gap: int = 2,
) -> pd.DataFrame:
    """``grid_lat, grid_lon, day, cum_dd`` for every row of a ``cell_temperatures`` frame (thresholds in
    ``units``); accumulation from the biofix of each season, per cell, with the engine's gap policy."""
    units = dd_rule.units
    bm, bd = parse_biofix(biofix)
    day = pd.to_datetime(cells["date"])
    if day.dt.tz is not None:
        day = day.dt.tz_localize(None)
    day = day.dt.normalize()
    tmin = convert_temperature(pd.to_numeric(cells["tmin_c"], errors="coerce").to_numpy(float), "C", units)
    tmax = convert_temperature(pd.to_numeric(cells["tmax_c"], errors="coerce").to_numpy(float), "C", units)
    dd = degree_days_array(
        tmin, tmax, lower=dd_rule.lower, upper=dd_rule.upper, method=dd_rule.method, cutoff=dd_rule.cutoff
    )
    season, _, _ = season_calendar(pd.DatetimeIndex(day), biofix)
    out = pd.DataFrame(
        {"grid_lat": cells["grid_lat"].to_numpy(float), "grid_lon": cells["grid_lon"].to_numpy(float),
         "day": day.to_numpy(), "season": season, "dd": dd}
    )  # fmt: skip
    out = out.drop_duplicates(["grid_lat", "grid_lon", "day"], keep="last").reset_index(drop=True)
    cum = np.full(len(out), np.nan)
    for s, idx in out.groupby("season").indices.items():
        sub = out.iloc[idx]
        start = pd.Timestamp(int(s), bm, bd)
        offset = ((sub["day"] - start).dt.days).to_numpy()
        codes = sub.groupby(["grid_lat", "grid_lon"], sort=False).ngroup().to_numpy()
        grid = np.full((codes.max() + 1, int(offset.max()) + 1), np.nan)
        grid[codes, offset] = sub["dd"].to_numpy()
        dates = pd.date_range(start, periods=grid.shape[1], freq="D")
        acc = accumulate_array(grid, dates, biofix=biofix, max_gap=max_gap, warn=False)
        cum[idx] = acc[codes, offset]
    out["cum_dd"] = cum
    return out[["grid_lat", "grid_lon", "day", "season", "cum_dd"]]


def attach_cum_dd(
    sightings: pd.DataFrame,
    cells: pd.DataFrame | None = None,
    *,
    place_series: pd.DataFrame | None = None,
    dd_rule: DegreeDays,
    biofix: str = "01-01",
    max_gap: int = 2,
    resolution: float = RESOLUTION,
) -> pd.DataFrame:
    """``sightings`` with ``cell_lat, cell_lon, cell_elevation_m, cum_dd, dd_source`` (see the module docstring).

    ``cells``: a ``cell_temperatures`` frame (its ``attrs["skipped"]`` gives the reasons cells are missing), or
    None to use ``place_series`` for every sighting. ``place_series``: the place's daily frame (``date`` with
    ``tmax_c``/``tmin_c`` or ``tmax_f``/``tmin_f``), the fallback. Row order and ``attrs`` are kept; the
    provenance notice says how many values came from where.
    """
    kw: dict[str, Any] = {"biofix": biofix, "max_gap": max_gap}
    for col in ("latitude", "longitude", "observed_on"):
        if col not in sightings.columns:
            raise InvalidInput("sightings columns", list(sightings.columns), "latitude, longitude, observed_on")
    out = sightings.copy()
    n = len(out)
    day = pd.to_datetime(pd.Series(out["observed_on"]).reset_index(drop=True), errors="coerce")
    if day.dt.tz is not None:
        day = day.dt.tz_localize(None)
    day = day.dt.normalize()
    lat = pd.to_numeric(out["latitude"], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(out["longitude"], errors="coerce").to_numpy(float)
    located = np.isfinite(lat) & np.isfinite(lon)
    cell_lat = np.where(located, _snap(lat, resolution), np.nan)
    cell_lon = np.where(located, _snap(lon, resolution), np.nan)
    season = np.full(n, -1)
    if day.notna().any():
        season[day.notna().to_numpy()] = season_calendar(pd.DatetimeIndex(day.dropna()), biofix)[0]

    cum = np.full(n, np.nan)
    elevation = np.full(n, np.nan)
    reason = np.full(n, "cell not fetched", dtype=object)
    reason[~located] = "no coordinates"
    reason[day.isna().to_numpy()] = "no date"
    if cells is None:
        reason[:] = "chosen source"
    elif len(cells):
        table = cell_cum_dd(cells, dd_rule, **kw)
        keys = pd.DataFrame({"grid_lat": cell_lat, "grid_lon": cell_lon, "day": day.to_numpy(), "season": season})
        hit = keys.merge(table, on=["grid_lat", "grid_lon", "day", "season"], how="left")
        cum = hit["cum_dd"].to_numpy(float)
        fetched = keys.merge(
            table[["grid_lat", "grid_lon", "season"]].drop_duplicates().assign(has=True),
            on=["grid_lat", "grid_lon", "season"], how="left",
        )["has"].fillna(False).to_numpy(bool)  # fmt: skip
        reason[fetched & np.isnan(cum)] = "cell has no value that day (archive lag, or a gap longer than the gap policy)"
        elev = cells.groupby(["grid_lat", "grid_lon"], as_index=False)["cell_elevation_m"].first()
        elevation = keys.merge(elev, on=["grid_lat", "grid_lon"], how="left")["cell_elevation_m"].to_numpy(float)
    if cells is not None:
        skipped = cells.attrs.get("skipped")
        if isinstance(skipped, pd.DataFrame) and len(skipped):
            sk = skipped.drop_duplicates(["grid_lat", "grid_lon", "season"])
            why = pd.DataFrame({"grid_lat": cell_lat, "grid_lon": cell_lon, "season": season}).merge(
                sk, on=["grid_lat", "grid_lon", "season"], how="left"
            )["reason"]
            use = why.notna().to_numpy() & np.isnan(cum) & located
            reason[use] = why[use].to_numpy()

    source = np.full(np.shape(cum), None, dtype=object)
    source[np.isfinite(cum)] = "cell"
    obscured = out["obscured"].fillna(False).to_numpy(bool) if "obscured" in out.columns else np.zeros(n, bool)
    source[np.isfinite(cum) & obscured] = "cell:obscured"
    need = ~np.isfinite(cum)
    if need.any() and place_series is not None and len(place_series):
        place_cum = season_cum_dd(place_series, dd_rule, **kw)
        index = pd.DatetimeIndex(place_cum.index).tz_localize(None) if place_cum.index.tz is not None else place_cum.index
        looked = pd.Series(place_cum.to_numpy(float), index=index).reindex(day.to_numpy()).to_numpy(float)
        take = need & np.isfinite(looked)
        cum = np.where(take, looked, cum)
        source[take] = np.array([f"place:{r}" for r in reason[take]], dtype=object)
        lacks = need & ~take
        source[lacks] = np.array([f"none:{r}; the place series lacks this day" for r in reason[lacks]], dtype=object)
    elif need.any():
        source[need] = np.array([f"none:{r}" for r in reason[need]], dtype=object)

    out["cell_lat"] = cell_lat
    out["cell_lon"] = cell_lon
    out["cell_elevation_m"] = elevation
    out["cum_dd"] = cum
    out["dd_source"] = pd.array(source, dtype="string")
    counts = pd.Series(source).str.split(":").str[0].value_counts().to_dict()
    note = "cum_dd from " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    prov = provenance_of(sightings)
    parts = [p for p in (provenance_of(cells) if cells is not None else None, provenance_of(place_series)) if p]
    if prov is not None:
        kind = prov.kind
        for p in parts:
            kind = "simulated" if "simulated" in (kind, p.kind) else "derived" if "derived" in (kind, p.kind) else kind
        attach(out, prov.with_(kind=kind, notice="; ".join(x for x in (prov.notice, note) if x)))
    out.attrs["dd_counts"] = counts
    return out
