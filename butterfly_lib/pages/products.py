"""What several pages share, computed once per run and place: temperatures, forecast, the season's degree-day
state, the place's observation record with its effort and cell temperatures, the phenology built on them
(windows, one status per species, skill), the number of species flying each day and the species seen around
this week.

Look here when two pages must agree (the degree-days card, the emergence windows and the forecast's species
count all come from the same ``season``; the species page's statuses and the emergence page's are the same
``phenology.statuses``), or to see what a cold run fetches first. ``products_for`` returns the one ``Products``
of a (settings, place, as-of date, session); each product is computed on first use and kept, so a second page in
the same process (one kernel runs every page of a run) reuses it. All fetching of the emergence science happens
here (``record``, ``effort``, ``cells``), so a run can ask for it ahead of the pages.

The record lives in ``settings.paths.record_dir`` (live: downloaded once, refreshed daily). Offline it is never
refreshed: the offline snapshot's record is rebuilt from the snapshot's cache into a folder beside that cache
(``data/cache/snapshot-record/``, never the live folder), and an offline run on a live cache reads the record as it
was last refreshed.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from butterfly_lib.analysis.phenology.place import PlacePhenology, place_phenology, species_flying
from butterfly_lib.analysis.season import Season, season_state
from butterfly_lib.analysis.sighting_degree_days import attach_cum_dd
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.http.snapshot import MANIFEST
from butterfly_lib.settings import PlaceSettings, Settings
from butterfly_lib.sources.inaturalist import record as inat_record
from butterfly_lib.sources.inaturalist import species_this_week
from butterfly_lib.sources.inaturalist.effort import observer_effort
from butterfly_lib.sources.inaturalist.store import RecordStore
from butterfly_lib.sources.open_meteo import forecast_daily
from butterfly_lib.sources.open_meteo.cells import SharedWeightBudget, cell_temperatures
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
class Record:
    """The place's observation record as the analysis reads it, and what the last update did."""

    #: one row per deduplicated research-grade observation (``record.sightings``), up to the as-of day
    sightings: pd.DataFrame
    #: what ``update_record`` did in this run (None: not asked, e.g. offline with a built record)
    report: inat_record.RecordReport | None
    folder: Path


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
            self.temperatures, self.forecast, self.as_of, self.place.dd, self.place.normals_period,
            biofix=self.place.season_start,
        )  # fmt: skip

    # ------------------------------------------------------------------ the observation record and what it needs

    @property
    def record_folder(self) -> Path:
        """Where the place's record is kept: ``paths.record_dir``, or for the offline snapshot a folder beside its
        cache (``data/cache/snapshot-record/``), never mixed with a live record."""
        if self.settings.snapshot is not None:
            cache = Path(self.settings.http.cache_file)
            return cache.with_name(f"{cache.stem}-record")
        return self.settings.paths.record_dir

    @product
    def record(self) -> Record:
        """Every research-grade observation of the taxon in the place's circle (built once, refreshed daily),
        up to the as-of day."""
        p, folder = self.place, self.record_folder
        if self.settings.snapshot is not None:
            _drop_if_older_than_snapshot(folder, self.settings.paths.snapshot_dir)
        # offline nothing goes out between the store's operations: one connection for all of them
        with RecordStore(folder).held() if self.session.offline else contextlib.nullcontext():
            state = inat_record.record_state(p.place, folder, p.taxon_id)
            report = None
            if not (self.session.offline and state is not None and state.build_complete):
                report = inat_record.update_record(p.place, folder, taxon_id=p.taxon_id, session=self.session,
                                                   progress=False)  # fmt: skip
            frame = inat_record.sightings(p.place, folder, taxon_id=p.taxon_id)
        attrs = dict(frame.attrs)
        days = pd.to_datetime(pd.Series(frame["observed_on"]))
        frame = frame[(days <= pd.Timestamp(self.as_of)).to_numpy()].reset_index(drop=True)
        frame.attrs = attrs
        last = attrs.get("last_date")
        frame.attrs["last_date"] = min(last, self.as_of) if last is not None else self.as_of
        return Record(frame, report, folder)

    @product
    def effort(self) -> pd.DataFrame:
        """Observer effort (research-grade insects in the same circle) per week, for every season the record
        holds a sighting in, and this one (one request a season; past seasons never expire)."""
        sightings = self.record.sightings
        years = set(pd.to_datetime(pd.Series(sightings["observed_on"])).dt.year.astype(int)) if len(sightings) else set()
        return observer_effort(self.place.place, years=sorted(years | {self.as_of.year}), today=self.as_of,
                               session=self.session)  # fmt: skip

    @product
    def cells(self) -> pd.DataFrame:
        """ERA5-Land daily max/min at every sighting's own grid cell, from its season's start to its last sighting
        there, within Open-Meteo's free request weight (one budget for every place asking through this session,
        as Open-Meteo counts them together; what it leaves is listed)."""
        return cell_temperatures(self.record.sightings, timezone=self.place.place.timezone,
                                 biofix=self.place.season_start, today=self.as_of, budget=weight_budget(self.session),
                                 session=self.session)  # fmt: skip

    @product
    def sightings(self) -> pd.DataFrame:
        """The record's sightings with ``cum_dd`` from their own cell (the place's series where a cell has none)."""
        return attach_cum_dd(self.record.sightings, self.cells, place_series=self.temperatures, dd_rule=self.place.dd,
                             biofix=self.place.season_start)  # fmt: skip

    @product
    def phenology(self) -> PlacePhenology:
        """Profiles of past seasons, this season's windows, one status per species, the hindcast (see
        ``analysis.phenology.place``)."""
        rec = self.record.sightings
        first = rec.attrs.get("first_date") or self.as_of
        span = (first, rec.attrs.get("last_date") or self.as_of)
        return place_phenology(self.sightings, self.effort, place_cum_dd=self.season.cum,
                               projection=self.season.projection, as_of=self.as_of, record_span=span,
                               evidence_days=self.place.days_back)  # fmt: skip

    @product
    def species_week(self) -> pd.DataFrame:
        """iNaturalist species counts on the month-days around the as-of date, all years (the species page's
        table and the forecast page's "look for")."""
        p = self.place
        return species_this_week(
            p.place, self.as_of, p.days_back, p.days_ahead, taxon_id=p.taxon_id, session=self.session
        )

    @product
    def flying(self) -> pd.Series:
        """Species expected to be flying around each day of the season (feeds the viewing index)."""
        return species_flying(self.phenology, self.season.projection["date"])


def _drop_if_older_than_snapshot(folder: Path, snapshot_dir: Path) -> None:
    """A snapshot record built from an older snapshot is rebuilt (as the snapshot's cache is re-seeded)."""
    store = RecordStore(folder).path
    manifest = Path(snapshot_dir) / MANIFEST
    if store.exists() and manifest.exists() and store.stat().st_mtime < manifest.stat().st_mtime:
        shutil.rmtree(folder)


_PRODUCTS: dict[tuple[Settings, str, date, int], Products] = {}
_LOCK = threading.Lock()


_BUDGETS: weakref.WeakKeyDictionary[ButterflySession, SharedWeightBudget] = weakref.WeakKeyDictionary()


def weight_budget(session: ButterflySession) -> SharedWeightBudget:
    """The Open-Meteo weight budget of everything asked through ``session`` (all places of a prefetch share it)."""
    with _LOCK:
        if session not in _BUDGETS:
            _BUDGETS[session] = SharedWeightBudget()
        return _BUDGETS[session]


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
