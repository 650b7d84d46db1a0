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

#: Places near Portland for the 1/3/10-place figures (city-centre coordinates, rounded to 0.01°)
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

    settings = load_settings(env={}, as_of=as_of)
    chosen = places_from_site({"parameters": site_parameters()["parameters"], "places": places(n_places)})
    return settings.with_(
        places=chosen,
        paths=replace(settings.paths, pages_dir=pages_dir, cache_file=cache_file),
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
    return run_pages(ModeChoice(settings, "benchmark: replay server"), page_names=names, log=log or (lambda _m: None))


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
    em_page.build(ctx)
    return {
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


def endpoint_of(source: str, path: str, query: dict[str, str], place_latlon: tuple[float, float]) -> str:
    """A short name for what a request asked (e.g. "observations", "archive: sighting cells")."""
    path = path.rstrip("/")
    if source == "inaturalist":
        if "/taxa" in path:
            return "taxa (family names)"
        for tail in ("species_counts", "histogram"):
            if path.endswith(tail):
                return tail
        return "observations"
    if source == "open_meteo_forecast":
        return "forecast 15-minute" if "minutely_15" in query else "forecast daily"
    if source == "open_meteo_archive":
        try:
            here = (float(query.get("latitude", "nan")), float(query.get("longitude", "nan")))
        except ValueError:
            here = (math.nan, math.nan)
        return "archive: place history" if here == place_latlon else "archive: sighting cells"
    if source == "open_meteo_ensemble":
        return "ensemble"
    if source == "noaa":
        return "daily summaries"
    return path


def by_endpoint(
    requests: list[tuple[str, str, dict[str, str]]], place_latlon: tuple[float, float]
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


def minimum_requests(data: dict[str, Any], params: dict[str, Any], taxa_ids: int = 0) -> Counter:
    """Fewest requests the APIs allow for the questions the pages ask (see RESULTS.md for the reasoning).

    One archive request for the place's whole history, one NOAA request for the station's whole record, one
    forecast (daily), one 15-minute forecast, one ensemble; per month the all-years window touches, ceil(n/200)
    observation pages and ceil(k/500) species-count pages, plus ceil(k/500) for this year; one histogram per
    shown taxon; ceil(ids/30) taxa lookups; and for the weather on sighting days ceil(cells/100) archive
    requests spanning all sighting days at once.
    """
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
        ("inaturalist", "species_counts"): len(months) * max(1, math.ceil(len(data["species_week"]) / COUNTS_PER_PAGE))
        + max(1, math.ceil(len(data["species_year"]) / COUNTS_PER_PAGE)),
        ("inaturalist", "histogram"): len(data["seasonality"]),
        ("inaturalist", "taxa (family names)"): math.ceil(taxa_ids / TAXA_PER_REQUEST),
        ("open_meteo_forecast", "forecast daily"): 1,
        ("open_meteo_forecast", "forecast 15-minute"): 1,
        ("open_meteo_ensemble", "ensemble"): 1,
        ("open_meteo_archive", "archive: place history"): 1,
        ("open_meteo_archive", "archive: sighting cells"): math.ceil(cells / CELLS_PER_REQUEST),
        ("noaa", "daily summaries"): 1,
    })  # fmt: skip


def taxa_ids_asked(requests: list[tuple[str, str, dict[str, str]]]) -> int:
    """Distinct taxon ids the taxa lookups asked for (the path holds them comma-separated)."""
    ids: set[str] = set()
    for source, path, _q in requests:
        if source == "inaturalist" and "/taxa/" in path:
            ids.update(path.rstrip("/").rsplit("/", 1)[1].split(","))
    return len(ids)
