"""Daily weather at many points (e.g. every sighting) with few requests: snap, dedupe, chunk, one frame.

Look here for ``daily_at_points(latitudes, longitudes, start, end)``. Points are snapped to the model grid
(``grid.py``), each distinct cell is asked for once, cells go ``MAX_LOCATIONS_PER_REQUEST`` at a time as
comma-separated ``latitude``/``longitude`` (the response is then a JSON list, one object per cell, in request
order), and the answer is one tidy frame keyed by ``(grid_lat, grid_lon, date)``. Join it back to the points with
``snap_to_grid`` on the same resolution (``frame.attrs["resolution_deg"]``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import Tier, fetch, tier_for_range
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import check_timezone
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.open_meteo.archive import ARCHIVE_DEFAULT, archive_url, check_model
from butterfly_lib.sources.open_meteo.archive import SOURCE as ARCHIVE_SOURCE
from butterfly_lib.sources.open_meteo.common import (
    ARCHIVE_FIRST_DAY,
    DAILY_VARIABLES,
    check_int,
    check_span,
    check_variables,
    checker,
    local_today,
    locations,
    parse_block,
)
from butterfly_lib.sources.open_meteo.forecast import MAX_FORECAST_DAYS, MAX_PAST_DAYS, forecast_url
from butterfly_lib.sources.open_meteo.forecast import SOURCE as FORECAST_SOURCE
from butterfly_lib.sources.open_meteo.grid import grid_degrees, snap_to_grid, unique_cells

#: locations per request: 100 pairs of "-122.70,45.50" keep the URL near 2 kB, far below the ~8 kB servers accept
MAX_LOCATIONS_PER_REQUEST = 100


def daily_at_points(
    latitudes: Sequence[float] | np.ndarray,
    longitudes: Sequence[float] | np.ndarray,
    start: date | str,
    end: date | str,
    *,
    variables: Sequence[str] = ARCHIVE_DEFAULT,
    endpoint: str = "archive",
    model: str | None = None,
    timezone: str = "America/Los_Angeles",
    chunk: int = MAX_LOCATIONS_PER_REQUEST,
    session: ButterflySession,
    today: date | None = None,
) -> pd.DataFrame:
    """Daily values at the grid cells of the given points, ``start..end`` (local days in ``timezone``).

    ``endpoint`` "archive" (since 1940, up to today) or "forecast" (from 92 days ago to 16 days ahead).
    Columns: ``grid_lat``, ``grid_lon``, ``model_lat``, ``model_lon`` (the cell Open-Meteo used), ``date`` and
    the variables' columns. Requests = ceil(distinct cells / chunk).
    """
    variables = check_variables(variables, DAILY_VARIABLES, "daily")
    check_timezone(timezone)
    chunk = check_int("chunk", chunk, 1, MAX_LOCATIONS_PER_REQUEST)
    today = today or local_today(timezone)
    if endpoint == "archive":
        model = check_model(model)
        start, end = check_span(start, end, first=ARCHIVE_FIRST_DAY, last=today)
        source, url, tier = ARCHIVE_SOURCE, archive_url(session), tier_for_range(end, today=today)
    elif endpoint == "forecast":
        if model not in (None, "best_match"):
            raise InvalidInput("model", model, "None or 'best_match' for the forecast endpoint")
        first = today - timedelta(days=MAX_PAST_DAYS)
        last = today + timedelta(days=MAX_FORECAST_DAYS - 1)
        start, end = check_span(start, end, first=first, last=last)
        source, url, tier = FORECAST_SOURCE, forecast_url(session), Tier.LIVE
    else:
        raise InvalidInput("endpoint", endpoint, "'archive' or 'forecast'")
    resolution = grid_degrees(model)
    cells = unique_cells(snap_to_grid(latitudes, longitudes, resolution))

    frames, fetched = [], []
    for lo in range(0, len(cells), chunk):
        part = cells.iloc[lo : lo + chunk]
        params = {
            "latitude": [f"{v:.6g}" for v in part["grid_lat"]],
            "longitude": [f"{v:.6g}" for v in part["grid_lon"]],
            "start_date": start,
            "end_date": end,
            "daily": variables,
            "timezone": timezone,
            "models": model,
        }

        def parse(
            payload: object, full_url: str = url, part: pd.DataFrame = part, source: str = source
        ) -> pd.DataFrame:
            items = locations(payload, len(part), source=source, url=full_url)
            blocks = []
            for (glat, glon), item in zip(part.itertuples(index=False, name=None), items, strict=True):
                frame = parse_block(
                    item,
                    "daily",
                    variables,
                    timezone=timezone,
                    source=source,
                    url=full_url,
                    span=(start, end),
                )
                try:
                    mlat, mlon = float(item["latitude"]), float(item["longitude"])
                except (KeyError, TypeError, ValueError):
                    raise SourceError(
                        source, full_url, "a location object lacks latitude/longitude"
                    ) from None
                frame.insert(0, "model_lon", mlon)
                frame.insert(0, "model_lat", mlat)
                frame.insert(0, "grid_lon", glon)
                frame.insert(0, "grid_lat", glat)
                blocks.append(frame)
            return pd.concat(blocks, ignore_index=True)

        got = fetch(
            source,
            url,
            params,
            tier=tier,
            location=f"{len(part)} grid cells",
            session=session,
            check=(check := checker(parse)),
        )
        frames.append(check.result(got.data, got.url))
        fetched.append(got)
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {}
    out.attrs["resolution_deg"] = resolution
    n = math.ceil(len(cells) / chunk)
    return attach(
        out, combine([f.provenance for f in fetched], notice=f"{len(cells)} grid cells of {resolution}° in {n} request(s)")
    )


def daily_at_dated_points(
    latitudes: Sequence[float] | np.ndarray,
    longitudes: Sequence[float] | np.ndarray,
    dates: Sequence[date] | pd.Series,
    *,
    timezone: str = "America/Los_Angeles",
    variables: Sequence[str] = ARCHIVE_DEFAULT,
    model: str | None = None,
    session: ButterflySession,
    today: date | None = None,
) -> pd.DataFrame:
    """Archive weather at points that each have their own day (sightings): one ``daily_at_points`` call per
    calendar year, over that year's first..last day, so decades of sightings never ask for decades of days at
    every cell (Open-Meteo weighs a request by locations × days). Same columns as ``daily_at_points``; one
    provenance listing every request. No points: an empty frame with those columns.
    """
    days = pd.Series(pd.to_datetime(pd.Series(list(dates)), errors="coerce"))
    if len(days) != len(latitudes) or len(days) != len(longitudes):
        raise InvalidInput("dates", f"{len(days)} dates for {len(latitudes)} points", "one date per point")
    lat, lon = np.asarray(latitudes, dtype=float), np.asarray(longitudes, dtype=float)
    ok = (~days.isna()).to_numpy() & np.isfinite(lat) & np.isfinite(lon)
    frames = []
    for _year, idx in pd.Series(np.flatnonzero(ok)).groupby(days[ok].dt.year.to_numpy()):
        rows = idx.to_numpy()
        span = days.iloc[rows]
        frames.append(
            daily_at_points(
                lat[rows], lon[rows], span.min().date(), span.max().date(), variables=variables, model=model,
                timezone=timezone, session=session, today=today,
            )
        )  # fmt: skip
    if not frames:
        columns = ["grid_lat", "grid_lon", "model_lat", "model_lon", "date"]
        return pd.DataFrame(columns=columns + [DAILY_VARIABLES[v][0] for v in variables])
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {"resolution_deg": frames[0].attrs.get("resolution_deg")}
    provs = [f.attrs["provenance"] for f in frames]
    return attach(out, combine(provs, notice=f"{len(frames)} year(s) of sightings, one request set per year"))
