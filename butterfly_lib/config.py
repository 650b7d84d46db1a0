"""Settings read from the environment: base URLs, cache location, offline flag, User-Agent.

Look here to point a source somewhere else (tests, replay servers, mirrors) or to find where the cache lives.
Every value is read when asked for, so tests can change the environment between calls.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_HOMEPAGE = "https://github.com/butterfly-planner/butterfly-planner"

#: environment variable -> default base URL, one per source endpoint family
BASE_URLS: dict[str, tuple[str, str]] = {
    "inaturalist": ("BUTTERFLY_INATURALIST_URL", "https://api.inaturalist.org/v1"),
    "open_meteo_forecast": ("BUTTERFLY_OPEN_METEO_FORECAST_URL", "https://api.open-meteo.com/v1"),
    "open_meteo_archive": ("BUTTERFLY_OPEN_METEO_ARCHIVE_URL", "https://archive-api.open-meteo.com/v1"),
    "open_meteo_ensemble": ("BUTTERFLY_OPEN_METEO_ENSEMBLE_URL", "https://ensemble-api.open-meteo.com/v1"),
    "noaa": ("BUTTERFLY_NOAA_URL", "https://www.ncei.noaa.gov/access/services/data/v1"),
}

#: seconds between two network requests to one host (cache hits do not count)
DEFAULT_RATE_LIMITS: dict[str, float] = {
    "api.inaturalist.org": 1.0,
    "api.open-meteo.com": 0.1,
    "archive-api.open-meteo.com": 0.2,
    "ensemble-api.open-meteo.com": 0.1,
    "www.ncei.noaa.gov": 0.5,
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def base_url(name: str) -> str:
    """The base URL of source endpoint family ``name`` (see ``BASE_URLS``), without a trailing slash."""
    if name not in BASE_URLS:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(BASE_URLS)}")
    var, default = BASE_URLS[name]
    return os.environ.get(var, default).rstrip("/")


def data_dir() -> Path:
    """Folder of the bundled snapshot and the request cache (``BUTTERFLY_DATA_DIR`` overrides)."""
    return Path(os.environ.get("BUTTERFLY_DATA_DIR", PROJECT_ROOT / "data"))


def cache_path() -> Path:
    """SQLite file of the request cache (``BUTTERFLY_CACHE`` overrides)."""
    env = os.environ.get("BUTTERFLY_CACHE")
    return Path(env) if env else data_dir() / "cache" / "http_cache.sqlite"


def offline_from_env() -> bool:
    """True when ``BUTTERFLY_OFFLINE`` is set to 1/true/yes."""
    return os.environ.get("BUTTERFLY_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def user_agent() -> str:
    from butterfly_lib import __version__

    return f"butterfly-planner/{__version__} (+{PROJECT_HOMEPAGE})"
