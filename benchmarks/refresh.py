"""The two ways a benchmark refreshes a place's data, and the fewest requests the APIs would allow for it.

Look here to see what "a refresh" means in the figures. ``notebook_refresh`` runs the page notebooks through the
site runner (papermill kernels) with every base URL pointed at a replay server; requests are counted where they
arrive. ``in_process_refresh`` makes the same source calls the notebooks make (read from the notebooks, same
order and arguments) in this process, so ``REQUEST_LOG`` sees them. ``minimum_requests`` derives, from the data a
refresh returned, the fewest requests each API allows for the same questions; ``by_endpoint`` groups requests
so the two can be compared line by line.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import yaml

from benchmarks.harness import ROOT
from butterfly_lib.settings import load_settings
from tools.snapshot_server import endpoints

#: Places near Portland for the 1/3/10/30-place figures (approximate town-centre coordinates, rounded to 0.01°)
NEARBY: tuple[tuple[str, float, float], ...] = (
    ("Portland, Oregon", 45.52, -122.68),
    ("Vancouver, Washington", 45.64, -122.66),
    ("Beaverton, Oregon", 45.49, -122.80),
    ("Gresham, Oregon", 45.50, -122.43),
    ("Lake Oswego, Oregon", 45.42, -122.67),
    ("Hillsboro, Oregon", 45.52, -122.99),
    ("Oregon City, Oregon", 45.36, -122.61),
    ("Tigard, Oregon", 45.43, -122.77),
    ("Milwaukie, Oregon", 45.45, -122.64),
    ("Troutdale, Oregon", 45.54, -122.39),
    ("Camas, Washington", 45.59, -122.40),
    ("Washougal, Washington", 45.58, -122.35),
    ("Battle Ground, Washington", 45.78, -122.53),
    ("Ridgefield, Washington", 45.82, -122.74),
    ("Forest Grove, Oregon", 45.52, -123.11),
    ("Cornelius, Oregon", 45.52, -123.06),
    ("Sherwood, Oregon", 45.36, -122.84),
    ("Tualatin, Oregon", 45.38, -122.76),
    ("West Linn, Oregon", 45.37, -122.61),
    ("Wilsonville, Oregon", 45.30, -122.77),
    ("Canby, Oregon", 45.26, -122.69),
    ("Happy Valley, Oregon", 45.45, -122.53),
    ("Sandy, Oregon", 45.40, -122.26),
    ("Estacada, Oregon", 45.29, -122.33),
    ("Scappoose, Oregon", 45.75, -122.88),
    ("St. Helens, Oregon", 45.86, -122.81),
    ("Newberg, Oregon", 45.30, -122.97),
    ("Fairview, Oregon", 45.54, -122.43),
    ("Gladstone, Oregon", 45.38, -122.59),
    ("Damascus, Oregon", 45.42, -122.46),
)
OBS_PER_PAGE, COUNTS_PER_PAGE, TAXA_PER_REQUEST, CELLS_PER_REQUEST = 200, 500, 30, 100
SHOWN_TAXA = 12  # the species page asks a week-of-year histogram for its first 12 taxa


def site_parameters() -> dict[str, Any]:
    """The common ``parameters`` and first place of ``site.yml`` (the site the lead builds)."""
    data = yaml.safe_load((ROOT / "site.yml").read_text()) or {}
    return {"parameters": data.get("parameters") or {}, "places": data.get("places") or [{}]}


def places(n: int) -> list[dict[str, Any]]:
    """The first ``n`` places: site.yml's first place (Portland), then ``NEARBY`` with the same time zone/station."""
    first = dict(site_parameters()["places"][0])
    out = [first]
    for name, lat, lon in NEARBY[1:n]:
        out.append({**first, "place_name": name, "latitude": lat, "longitude": lon})
    return out[:n]


def bench_settings(server: Any, cache_file: Path, pages_dir: Path, *, n_places: int = 1, as_of: str) -> Any:
    """The run's settings for a benchmark: ``n_places`` places, every source on ``server``, ``cache_file``,
    ``pages_dir``, the as-of date. The real rate limits stay on (iNaturalist 1 request/s)."""
    from dataclasses import replace

    from butterfly_lib.settings import places_from_site

    # the server plays back the live answers of the as-of day: that day is "today" for the run
    settings = load_settings(env={}, as_of=as_of, today=date.fromisoformat(as_of))
    chosen = places_from_site({"parameters": site_parameters()["parameters"], "places": places(n_places)})
    return settings.with_(
        places=chosen,
        paths=replace(
            settings.paths,
            pages_dir=pages_dir,
            cache_file=cache_file,
            record_root=cache_file.parent / "record",
        ),
        http=replace(settings.http, cache_file=cache_file, endpoints=tuple(endpoints(server).items())),
    )


def notebook_refresh(
    server: Any,
    cache_file: Path,
    pages_dir: Path,
    *,
    n_places: int = 1,
    as_of: str,
    names: list[str] | None = None,
    log: Any = None,
) -> Any:
    """Run the page notebooks for ``n_places`` places against ``server`` with ``cache_file`` as the cache."""
    from butterfly_lib.site.modes import ModeChoice
    from butterfly_lib.site.runner import run_pages

    settings = bench_settings(server, cache_file, pages_dir, n_places=n_places, as_of=as_of)
    return run_pages(
        ModeChoice(settings, "benchmark: replay server"), page_names=names, log=log or (lambda _m: None)
    )


def in_process_refresh(settings: Any) -> dict[str, Any]:
    """Every page of the first place built in this process (the same builders the notebooks call)."""
    from butterfly_lib.http import reset_sessions
    from butterfly_lib.pages import degree_days as dd_page
    from butterfly_lib.pages import emergence as em_page
    from butterfly_lib.pages import forecast, open_context, sightings_map, species
    from butterfly_lib.pages.products import forget_products

    reset_sessions()
    forget_products()
    ctx = open_context(settings, log=lambda _m: None)
    fc, sp, mp = forecast.build(ctx), species.build(ctx), sightings_map.build(ctx)
    dd_page.build(ctx)
    em = em_page.build(ctx)
    products = em.context.products
    return {
        "record_held": len(products.record.sightings),
        "effort_seasons": int(products.effort["year"].nunique()),
        "cells_planned": int(len(products.cells.attrs["plan"])),
        "cells_weight": float(products.cells.attrs["plan"]["weight"].sum()),
        "forecast": fc.daily,
        "species_week": sp.week,
        "species_year": sp.year,
        "seasonality": sp.seasonality,
        "sightings": mp.sightings,
        "sighting_weather": sorted({d.year for d in mp.sightings["observed_on"]}),
        "as_of_date": ctx.as_of,
        "days_back": ctx.place.days_back,
        "days_ahead": ctx.place.days_ahead,
    }


def endpoint_of(
    source: str, path: str, query: dict[str, str], place_latlon: tuple[float, float] | None = None
) -> str:
    """A short name for what a request asked (e.g. "observations", "archive: sighting cells")."""
    path = path.rstrip("/")
    if source == "inaturalist":
        if "/taxa" in path:
            return "taxa (family names)"
        if path.endswith("histogram") and query.get("interval") == "week":
            return "effort (insects per week)"
        if path.endswith("histogram") and query.get("interval") == "year":
            return "record: per-year counts"
        for tail in ("species_counts", "histogram"):
            if path.endswith(tail):
                return tail
        if (
            query.get("order_by") == "id"
            and query.get("quality_grade") == "research"
            and "month" not in query
        ):
            return "record: pages"
        return "observations"
    if source == "open_meteo_forecast":
        return "forecast 15-minute" if "minutely_15" in query else "forecast daily"
    if source == "open_meteo_archive":
        if query.get("models") == "era5_land":
            return "archive: record cells (ERA5-Land)"
        try:  # the place's history spans decades; the weather at sighting cells one year's sighting days
            span = date.fromisoformat(query["end_date"]) - date.fromisoformat(query["start_date"])
        except (KeyError, ValueError):
            return "archive"
        return "archive: place history" if span.days > 366 else "archive: sighting cells"
    if source == "open_meteo_ensemble":
        return "ensemble"
    if source == "noaa":
        return "daily summaries"
    return path


def by_endpoint(
    requests: list[tuple[str, str, dict[str, str]]], place_latlon: tuple[float, float] | None = None
) -> Counter:
    """Counter of (source, endpoint) over ``(source, path, query)`` triples."""
    return Counter((s, endpoint_of(s, path, q, place_latlon)) for s, path, q in requests)


def log_requests() -> list[tuple[str, str, dict[str, str]]]:
    """``REQUEST_LOG``'s network requests as ``(source, path, query)``."""
    from benchmarks.harness import request_urls

    out = []
    for source, urls in request_urls().items():
        for url in urls:
            parts = urlsplit(url)
            out.append((source, parts.path, dict(parse_qsl(parts.query))))
    return out


def server_requests(server: Any, since: int = 0) -> list[tuple[str, str, dict[str, str]]]:
    """What reached the replay server as ``(source, path, query)``."""
    from benchmarks.harness import source_of_path

    return [(source_of_path(r.path), r.path, r.query) for r in server.requests[since:]]


def window_months(as_of: date, days_back: int, days_ahead: int) -> list[int]:
    """Months the month-day window around ``as_of`` touches. iNaturalist's ``month``/``day`` filters combine as a
    cross product, so an all-years window that crosses a month boundary needs one query per month."""
    days = pd.date_range(
        pd.Timestamp(as_of) - pd.Timedelta(days=days_back), periods=days_back + days_ahead + 1
    )
    return sorted(set(days.month))


#: the fewest requests each endpoint allows, and why
MINIMUM_RULES: dict[tuple[str, str], str] = {
    (
        "inaturalist",
        "observations",
    ): "ceil(n/200) per month the all-years window touches (iNaturalist's month and "
    "day filters combine as a cross product, so a window across a month end is two queries)",
    (
        "inaturalist",
        "species_counts",
    ): "ceil(k/500) for this year's counts; the week's counts need none: they can "
    "be grouped from the observations already fetched with the same filters",
    ("inaturalist", "histogram"): "one per taxon the species page shows (the endpoint takes one taxon)",
    ("inaturalist", "taxa (family names)"): "ceil(ids/30)",
    (
        "open_meteo_forecast",
        "forecast daily",
    ): "1: one /forecast request can carry the 16-day daily block, the "
    "15-minute block and, live, the past days that bridge the archive's lag",
    ("open_meteo_forecast", "forecast 15-minute"): "0: it can ride on the daily forecast's request",
    ("open_meteo_ensemble", "ensemble"): "1",
    ("open_meteo_archive", "archive: place history"): "1: decades in one request",
    (
        "open_meteo_archive",
        "archive: sighting cells",
    ): "ceil(cells/100): every sighting cell over the span of all sighting days in one request",
    ("noaa", "daily summaries"): "1: the station's whole span",
    ("inaturalist", "record: pages"): "ceil(n/200) on the first build (n research-grade observations in the "
    "place's circle, 200 a page, paged by id); a daily refresh asks only what changed since the last one",
    (
        "inaturalist",
        "effort (insects per week)",
    ): "one week-of-year histogram per season the record holds (the "
    "endpoint answers one year's weeks at a time; past seasons never expire)",
    ("open_meteo_archive", "archive: record cells (ERA5-Land)"): "as ``cells.plan_cells`` plans them: every "
    "record cell over its season's days, grouped within Open-Meteo's request weight",
}
#: why the pages ask more than the minimum where they do
ABOVE_MINIMUM: dict[tuple[str, str], str] = {
    (
        "inaturalist",
        "species_counts",
    ): "the week's counts are asked of /species_counts (one query per month of the "
    "window): the API counts leaf taxa over every matching observation, with each taxon's own photo; the fetched "
    "observations give the same only when the sightings cap (1,000) left none out and every one is identified to "
    "a leaf taxon, so the page keeps the API's counts",
    (
        "open_meteo_forecast",
        "forecast 15-minute",
    ): "asked on its own by the forecast page: its answer is kept 1 h, "
    "the daily forecast's 3 h (a product several pages share); one request for both would fetch the daily "
    "forecast again every hour",
    ("open_meteo_archive", "archive: sighting cells"): "one request per sighting year over that year's days: "
    "Open-Meteo weighs a request by locations x days, and one request over every year would ask each cell for "
    "every day of about 13 years",
}
LIVE_NOTE = (
    "A live run asks one request more than the snapshot shows: the live archive lags about five days behind, so "
    "the season's temperatures are completed with the forecast's past days (a second /forecast request; the "
    "minimum counts those days in the one /forecast request)."
)


def minimum_requests(data: dict[str, Any], params: dict[str, Any], taxa_ids: int = 0) -> Counter:
    """Fewest requests the APIs allow for the questions the pages ask (``MINIMUM_RULES`` says why for each)."""
    from butterfly_lib.sources.open_meteo.grid import grid_degrees, snap_to_grid, unique_cells

    s = data["sightings"]
    cells = (
        len(unique_cells(snap_to_grid(s["latitude"], s["longitude"], grid_degrees(None)))) if len(s) else 0
    )
    months = window_months(params["as_of_date"], params["days_back"], params["days_ahead"])
    per_month = pd.DatetimeIndex(s["observed_on"]).month.value_counts() if len(s) else pd.Series(dtype=int)
    return Counter({
        ("inaturalist", "observations"): sum(
            max(1, math.ceil(int(per_month.get(m, 0)) / OBS_PER_PAGE)) for m in months
        ),
        ("inaturalist", "species_counts"): max(1, math.ceil(len(data["species_year"]) / COUNTS_PER_PAGE)),
        ("inaturalist", "histogram"): len(data["seasonality"]),
        ("inaturalist", "taxa (family names)"): math.ceil(taxa_ids / TAXA_PER_REQUEST),
        ("open_meteo_forecast", "forecast daily"): 1,
        ("open_meteo_forecast", "forecast 15-minute"): 0,
        ("open_meteo_ensemble", "ensemble"): 1,
        ("open_meteo_archive", "archive: place history"): 1,
        ("open_meteo_archive", "archive: sighting cells"): math.ceil(cells / CELLS_PER_REQUEST),
        ("noaa", "daily summaries"): 1,
        # the emergence science: ceil(n/200) record pages, one effort histogram a season, the cells as planned
        ("inaturalist", "record: pages"): math.ceil(data.get("record_held", 0) / OBS_PER_PAGE),
        ("inaturalist", "effort (insects per week)"): data.get("effort_seasons", 0),
        ("open_meteo_archive", "archive: record cells (ERA5-Land)"): data.get("cells_planned", 0),
    })  # fmt: skip


def taxa_ids_asked(requests: list[tuple[str, str, dict[str, str]]]) -> int:
    """Distinct taxon ids the taxa lookups asked for (the path holds them comma-separated)."""
    ids: set[str] = set()
    for source, path, _q in requests:
        if source == "inaturalist" and "/taxa/" in path:
            ids.update(path.rstrip("/").rsplit("/", 1)[1].split(","))
    return len(ids)
