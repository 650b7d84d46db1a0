"""Temperatures where the butterflies were: daily max/min of each sighting's own ERA5-Land grid cell.

Look here for ``cell_temperatures(sightings, timezone=...)`` (plan, then fetch), ``plan_cells`` (which cells, years
and days would be asked, and what that weighs) and ``request_weight`` (how Open-Meteo counts a request).

**Model.** ``models=era5_land``: ERA5-Land, 0.1° (~11 km by ~8 km at 45° N), 1950 to ~5 days ago, one
reanalysis for the whole period. Open-Meteo's default ``best_match`` blends in ECMWF IFS from 2017 on; its
documentation advises ERA5 or ERA5-Land alone for analyses over decades, so that a model upgrade does not shift
the temperatures of recent years against older ones. Sightings before 1950 get no cell (see ``skipped``).

**Weight.** Open-Meteo counts a request as ``Σ_locations max(1, v/10 · max(1, days/14))`` calls (``v``
variables; their ``calculateQueryWeight``), against a free limit of 600 a minute, 5,000 an hour and 10,000 a day.
With two variables a location costs ``max(1, days/70)``: a whole year is 5.2 calls per cell. So the plan asks
only for cell-seasons that hold sightings, only from the season start (the biofix) to that cell's last sighting
of the season, and groups cells of a season by the month of their last sighting (so a cell last seen in April
is not asked for October); ≤ 100 cells a request. A ``WeightBudget`` paces requests under the per-minute and
per-hour limits (when the session rate-limits the archive host) and stops before the daily one; what it did not ask is listed in ``attrs["skipped"]`` with the
reason, and the degree-day step falls back to the place's own series for those sightings, saying so. Past
seasons never expire in the cache (historical tier), so a stopped first build continues where it stopped.

Output: one row per (cell, season, day): ``grid_lat``, ``grid_lon``, ``season``, ``date`` (tz-aware local
midnight), ``tmax_c``, ``tmin_c``, ``cell_elevation_m`` (Open-Meteo's ``elevation`` of the cell centre asked
for, from its 90 m terrain model; NaN when not given).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import requests

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import encode_params, fetch, tier_for_range
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import check_timezone
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.open_meteo.archive import SOURCE, archive_url
from butterfly_lib.sources.open_meteo.common import (
    checker,
    local_today,
    locations,
    parse_block,
)
from butterfly_lib.sources.open_meteo.grid import GRID_DEGREES, snap_to_grid

MODEL = "era5_land"
RESOLUTION = GRID_DEGREES[MODEL]
FIRST_DAY = date(1950, 1, 1)  # ERA5-Land starts here
VARIABLES = ("temperature_2m_max", "temperature_2m_min")
MAX_LOCATIONS = 100
#: Open-Meteo's free non-commercial limits, in weighted calls
FREE_LIMITS = {"minute": 600.0, "hour": 5000.0, "day": 10000.0}
CELL_COLUMNS = ["grid_lat", "grid_lon", "season", "date", "tmax_c", "tmin_c", "cell_elevation_m"]


def request_weight(n_locations: int, days: int, n_variables: int = len(VARIABLES)) -> float:
    """Open-Meteo's weight of one request: per location ``max(1, v/10 · max(1, days/14))``, summed."""
    per_location = max(1.0, (n_variables / 10.0) * max(1.0, days / 14.0))
    return n_locations * per_location


@dataclass
class WeightBudget:
    """Paces requests by Open-Meteo's weighted calls: sleeps to stay under ``per_minute`` / ``per_hour`` and
    refuses a request that would pass ``per_day`` (counted for this budget's requests; cache hits cost nothing).
    Defaults leave 10 % of the free limits for the rest of the site. ``clock``/``sleep`` are injectable."""

    per_minute: float = 0.9 * FREE_LIMITS["minute"]
    per_hour: float = 0.9 * FREE_LIMITS["hour"]
    per_day: float = 0.9 * FREE_LIMITS["day"]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    spent: list[tuple[float, float]] = field(default_factory=list)

    def total(self) -> float:
        return float(sum(w for _, w in self.spent))

    def allows(self, weight: float) -> bool:
        return self.total() + weight <= self.per_day

    def wait_for(self, weight: float) -> float:
        """Sleep until ``weight`` fits the minute and hour windows; returns the seconds slept."""
        slept = 0.0
        for window, limit in ((60.0, self.per_minute), (3600.0, self.per_hour)):
            while True:
                now = self.clock()
                inside = [(t, w) for t, w in self.spent if now - t < window]
                used = sum(w for _, w in inside)
                if not inside or used + weight <= limit:
                    break
                pause = max(0.01, window - (now - min(t for t, _ in inside)))
                self.sleep(pause)
                slept += pause
        return slept

    def charge(self, weight: float) -> None:
        self.spent.append((self.clock(), weight))


class SharedWeightBudget(WeightBudget):
    """One ``WeightBudget`` for every place of a run, safe across threads (the runner's prefetch asks several
    places' cells at once, and Open-Meteo counts them together): waiting and charging are one step, so two
    threads cannot both pass the same gap; the ``charge`` that follows such a wait in the same thread is then
    already paid (a request sent without waiting, on an unpaced session, is charged as usual)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._prepaid = threading.local()

    def allows(self, weight: float) -> bool:
        with self._lock:
            return super().allows(weight)

    def wait_for(self, weight: float) -> float:
        with self._lock:
            slept = super().wait_for(weight)
            super().charge(weight)
        self._prepaid.weight = weight
        return slept

    def charge(self, weight: float) -> None:
        if getattr(self._prepaid, "weight", None) == weight:
            self._prepaid.weight = None
            return
        with self._lock:
            super().charge(weight)


def _seasons(days: pd.Series, biofix: str) -> tuple[np.ndarray, pd.Series]:
    """Season label of each day (the year its season starts) and the season's first day (the biofix)."""
    try:
        month, day = (int(p) for p in str(biofix).split("-"))
        date(2001, month, day)
    except (TypeError, ValueError):
        raise InvalidInput("biofix", biofix, "a month-day 'MM-DD' that exists in every year, e.g. '01-01'") from None
    before = (days.dt.month < month) | ((days.dt.month == month) & (days.dt.day < day))
    season = (days.dt.year - before.astype(int)).to_numpy()
    starts = pd.to_datetime(pd.DataFrame({"year": season, "month": month, "day": day}))
    return season, starts


def plan_cells(
    sightings: pd.DataFrame,
    *,
    biofix: str = "01-01",
    today: date,
    max_locations: int = MAX_LOCATIONS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(requests, skipped)`` for the sightings' cells.

    ``requests``: one row per request: ``season``, ``start``, ``end``, ``cells`` (list of ``(lat, lon)``),
    ``n_cells``, ``days``, ``weight``. ``skipped``: ``grid_lat``, ``grid_lon``, ``season``, ``reason`` for
    cell-seasons that are not asked (before ERA5-Land). Sightings without coordinates or a date are ignored.
    """
    for col in ("latitude", "longitude", "observed_on"):
        if col not in sightings.columns:
            raise InvalidInput("sightings columns", list(sightings.columns), "latitude, longitude, observed_on")
    if isinstance(max_locations, bool) or not isinstance(max_locations, int) or not 1 <= max_locations <= MAX_LOCATIONS:
        raise InvalidInput("max_locations", max_locations, f"a whole number in 1..{MAX_LOCATIONS}")
    lat = pd.to_numeric(sightings["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(sightings["longitude"], errors="coerce").to_numpy(dtype=float)
    day = pd.to_datetime(pd.Series(sightings["observed_on"]).reset_index(drop=True), errors="coerce")
    if day.dt.tz is not None:
        day = day.dt.tz_localize(None)
    ok = np.isfinite(lat) & np.isfinite(lon) & day.notna().to_numpy() & (day <= pd.Timestamp(today)).to_numpy()
    empty_req = pd.DataFrame(columns=["season", "start", "end", "cells", "n_cells", "days", "weight"])
    empty_skip = pd.DataFrame(columns=["grid_lat", "grid_lon", "season", "reason"])
    if not ok.any():
        return empty_req, empty_skip
    snapped = snap_to_grid(lat[ok], lon[ok], RESOLUTION)
    days = day[ok].dt.normalize().reset_index(drop=True)
    season, starts = _seasons(days, biofix)
    cs = pd.DataFrame(
        {"grid_lat": snapped["grid_lat"], "grid_lon": snapped["grid_lon"], "season": season, "start": starts, "day": days}
    )
    cs = cs.groupby(["season", "grid_lat", "grid_lon"], as_index=False).agg(start=("start", "first"), end=("day", "max"))
    early = cs["start"] < pd.Timestamp(FIRST_DAY)
    skipped = cs.loc[early, ["grid_lat", "grid_lon", "season"]].assign(
        reason=f"season starts before ERA5-Land ({FIRST_DAY.year})"
    )
    cs = cs[~early].copy()
    cs["group"] = cs["end"].dt.month
    rows = []
    for (season, _month), grp in cs.sort_values(["season", "group", "grid_lat", "grid_lon"]).groupby(
        ["season", "group"], sort=True
    ):
        for lo in range(0, len(grp), max_locations):
            part = grp.iloc[lo : lo + max_locations]
            start, end = part["start"].iloc[0].date(), part["end"].max().date()
            n_days = (end - start).days + 1
            rows.append(
                {
                    "season": int(season),
                    "start": start,
                    "end": end,
                    "cells": list(zip(part["grid_lat"].tolist(), part["grid_lon"].tolist(), strict=True)),
                    "n_cells": len(part),
                    "days": n_days,
                    "weight": request_weight(len(part), n_days),
                }
            )
    plan = pd.DataFrame(rows, columns=empty_req.columns) if rows else empty_req
    return plan.reset_index(drop=True), skipped.reset_index(drop=True)


def _cached_fresh(session: ButterflySession, url: str, params: dict) -> bool:
    """Whether ``fetch`` would answer from the cache without a request (so the budget is not charged)."""
    prepared = session.prepare_request(requests.Request("GET", url, params=encode_params(params)))
    cached = session.cache.get_response(session.cache.create_key(prepared))
    return cached is not None and (session.offline or not cached.is_expired)


def cell_temperatures(
    sightings: pd.DataFrame,
    *,
    timezone: str,
    biofix: str = "01-01",
    today: date | None = None,
    budget: WeightBudget | None = None,
    max_locations: int = MAX_LOCATIONS,
    session: ButterflySession,
) -> pd.DataFrame:
    """Daily ERA5-Land max/min of every sighting's cell from its season's start to its last sighting there.

    Columns ``CELL_COLUMNS``. ``attrs``: ``skipped`` (cell-seasons not fetched, with the reason), ``plan``
    (the requests), ``requests`` (network requests made), ``weight`` (weighted calls charged), ``resolution_deg``
    and provenance. Raises ``SourceError`` if Open-Meteo fails (what was fetched before stays cached).
    """
    check_timezone(timezone)
    today = today or local_today(timezone)
    budget = budget or WeightBudget()
    plan, skipped = plan_cells(sightings, biofix=biofix, today=today, max_locations=max_locations)
    url = archive_url(session)
    # a session without a rate limit for the archive host (tests, the snapshot's in-process fakes) is not paced
    pace = session.rate_limiter.interval(SOURCE) > 0
    frames, fetched, skips = [], [], [skipped]
    network = 0
    for req in plan.itertuples(index=False):
        lats = [c[0] for c in req.cells]
        lons = [c[1] for c in req.cells]
        params = {
            "latitude": [f"{v:.6g}" for v in lats],
            "longitude": [f"{v:.6g}" for v in lons],
            "start_date": req.start,
            "end_date": req.end,
            "daily": list(VARIABLES),
            "timezone": timezone,
            "models": MODEL,
        }
        cached = _cached_fresh(session, url, params)
        if not cached:
            if not budget.allows(req.weight):
                skips.append(
                    pd.DataFrame({"grid_lat": lats, "grid_lon": lons, "season": req.season,
                                  "reason": "cell not fetched: Open-Meteo daily weight budget reached (asked next run)"})
                )  # fmt: skip
                continue
            if pace:
                budget.wait_for(req.weight)

        def parse(payload: object, full_url: str = url, req=req) -> pd.DataFrame:  # noqa: ANN001
            items = locations(payload, req.n_cells, source=SOURCE, url=full_url)
            blocks = []
            for (glat, glon), item in zip(req.cells, items, strict=True):
                block = parse_block(
                    item, "daily", list(VARIABLES), timezone=timezone, source=SOURCE, url=full_url,
                    span=(req.start, req.end),
                )  # fmt: skip
                elevation = item.get("elevation")
                if elevation is not None and (isinstance(elevation, bool) or not isinstance(elevation, int | float)):
                    raise SourceError(SOURCE, full_url, f"elevation {elevation!r} is not a number")
                block.insert(0, "season", req.season)
                block.insert(0, "grid_lon", glon)
                block.insert(0, "grid_lat", glat)
                block["cell_elevation_m"] = np.nan if elevation is None else float(elevation)
                blocks.append(block)
            return pd.concat(blocks, ignore_index=True)

        checked = checker(parse)  # keeps the frame it checked: the body is parsed once
        got = fetch(
            SOURCE, url, params, tier=tier_for_range(req.end, today=today), location=f"{req.n_cells} ERA5-Land cells",
            session=session, check=checked,
        )  # fmt: skip
        if not got.provenance.from_cache:
            network += 1
            budget.charge(req.weight)
        frames.append(checked.result(got.data, got.url)[CELL_COLUMNS])
        fetched.append(got)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CELL_COLUMNS)
    out.attrs = {}
    all_skipped = pd.concat([s for s in skips if len(s)], ignore_index=True) if any(len(s) for s in skips) else skipped
    out.attrs["skipped"] = all_skipped
    out.attrs["plan"] = plan
    out.attrs["requests"] = network
    out.attrs["weight"] = budget.total()
    out.attrs["resolution_deg"] = RESOLUTION
    if fetched:
        note = (
            f"ERA5-Land ({RESOLUTION}°) at {plan['n_cells'].sum() if len(plan) else 0} cell-seasons in "
            f"{len(fetched)} request(s); {len(all_skipped)} cell-season(s) not fetched"
        )
        attach(out, combine([f.provenance for f in fetched], notice=note))
    return out


def plan_summary(plan: pd.DataFrame) -> dict[str, float]:
    """Requests, cell-seasons, days and weighted calls of a plan, and the days it needs at the free limits."""
    weight = float(plan["weight"].sum()) if len(plan) else 0.0
    return {
        "requests": int(len(plan)),
        "cell_seasons": int(plan["n_cells"].sum()) if len(plan) else 0,
        "location_days": int((plan["n_cells"] * plan["days"]).sum()) if len(plan) else 0,
        "weight": round(weight, 1),
        "days_at_free_limit": math.ceil(weight / FREE_LIMITS["day"]) if weight else 0,
    }


__all__ = [
    "CELL_COLUMNS",
    "FREE_LIMITS",
    "MODEL",
    "RESOLUTION",
    "WeightBudget",
    "cell_temperatures",
    "plan_cells",
    "plan_summary",
    "request_weight",
]
