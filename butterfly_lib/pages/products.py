"""What several pages share, computed once per run and place: temperatures, forecast, the season's degree-day
state, the emergence profiles and the number of species flying each day.

Look here when two pages must agree (the degree-days card, the emergence windows and the forecast's species
count all come from the same ``season``), or to see what a cold run fetches first. ``products_for`` returns the
one ``Products`` of a (settings, place, as-of date, session); each product is computed on first use and kept,
so a second page in the same process (one kernel runs every page of a run) reuses it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import pandas as pd

from butterfly_lib.analysis.emergence_forecast import flying_counts
from butterfly_lib.analysis.real_profiles import profiles_in_units, real_emergence_profiles
from butterfly_lib.analysis.season import Season, season_state
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.settings import PlaceSettings, Settings
from butterfly_lib.sources.noaa import bundled_path, load_station_csv
from butterfly_lib.sources.open_meteo import forecast_daily
from butterfly_lib.sources.temperatures import daily_temperatures


class product(cached_property):  # noqa: N801 (a decorator, named like cached_property)
    """A ``cached_property`` computed once per ``Products`` even when several threads ask at the same moment
    (the runner's prefetch builds a place's pages in parallel threads that share its products)."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cache = instance.__dict__
        name = self.attrname
        if name in cache:
            return cache[name]
        with _LOCK:
            lock = cache.setdefault("_product_locks", {}).setdefault(name, threading.Lock())
        with lock:
            if name not in cache:
                cache[name] = self.func(instance)
            return cache[name]


@dataclass(eq=False)
class Profiles:
    """Emergence profiles in the page's units, the same in °F·days as computed, and what they cover."""

    in_units: pd.DataFrame
    fahrenheit: pd.DataFrame
    coverage: dict[str, Any]


@dataclass(eq=False)
class Products:
    """Shared products of one place in one run; each attribute is computed when first asked for."""

    settings: Settings
    place: PlaceSettings
    as_of: date
    session: ButterflySession = field(repr=False)

    @product
    def temperatures(self) -> pd.DataFrame:
        """Daily max/min from the history start (normal period, at least ten years) to the as-of day."""
        p = self.place
        return daily_temperatures(
            p.temperature_source, p.place, p.history_start(self.as_of), self.as_of, session=self.session
        )

    @product
    def forecast(self) -> pd.DataFrame:
        """The 16-day daily forecast (Open-Meteo) for the place."""
        return forecast_daily(self.place.place, session=self.session)

    @product
    def season(self) -> Season:
        """This season on the degree-day clock: accumulation, normals, comparison, projection."""
        return season_state(
            self.temperatures, self.forecast, self.as_of, self.place.dd, self.place.normals_period
        )

    @product
    def station_record(self) -> pd.DataFrame:
        """The bundled NOAA Portland airport record (1940–2024), the profiles' temperature record."""
        return load_station_csv(bundled_path(self.settings.paths.noaa_dir))

    @product
    def upstream_sightings(self) -> pd.DataFrame:
        """The real sightings an earlier planner published (a gappy sample, see its README)."""
        return pd.read_csv(self.settings.paths.upstream_dir / "sightings.csv")

    @product
    def profiles(self) -> Profiles:
        profiles_f, coverage = real_emergence_profiles(
            self.upstream_sightings, self.station_record, self.place.dd
        )
        return Profiles(profiles_in_units(profiles_f, self.place.dd.units), profiles_f, coverage)

    @product
    def flying(self) -> pd.Series:
        """Species expected to be flying around each day of the season (feeds the viewing index)."""
        return flying_counts(self.profiles.in_units, self.season.projection)


_PRODUCTS: dict[tuple[Settings, str, date, int], Products] = {}
_LOCK = threading.Lock()


def products_for(settings: Settings, place: PlaceSettings, as_of: date, session: ButterflySession) -> Products:
    """The run's ``Products`` for ``place`` (one per settings, place, date and session in this process)."""
    key = (settings, place.slug, as_of, id(session))
    with _LOCK:
        if key not in _PRODUCTS:
            _PRODUCTS[key] = Products(settings, place, as_of, session)
        return _PRODUCTS[key]


def forget_products(slug: str | None = None) -> None:
    """Drop every kept product, or those of the place ``slug`` (its pages are done; a long-lived kernel starting
    a new run; tests)."""
    with _LOCK:
        for key in [k for k in _PRODUCTS if slug is None or k[1] == slug]:
            del _PRODUCTS[key]
