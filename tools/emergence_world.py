"""A place's iNaturalist record planted on the replay server's worlds, for the any-place emergence test and benchmark.

Look here to see what a non-Portland place's record holds in those tests. ``plant_record`` fills a ``World``
(``tools/inat_world.py``: observations of the real recorded shape) with butterfly sightings of a few species whose
flight days are drawn around planted days of the year, season after season, inside the place's circle, and with
observations of other insects every week of every season (so the observer-effort histogram has no gaps).
Everything it plants is simulated: the test knows every day, place and count. The temperatures come from
``tools/open_meteo_world.py``'s archive and forecast worlds (formulas of the day of year and the latitude).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from butterfly_lib.place import Place
from tools.inat_world import MOTH_ANCESTRY, World, make_observation

#: a place far from Portland: Boise, Idaho (its own circle, cells, time zone)
BOISE = Place("Boise, Idaho", 43.62, -116.20, radius_km=40.0, timezone="America/Boise")


@dataclass(frozen=True)
class Planted:
    """A planted species: flight days drawn from a normal curve (``doy_mean``, ``doy_sd``), ``per_season``
    sightings each season."""

    scientific_name: str
    taxon_id: int
    doy_mean: float
    doy_sd: float
    per_season: int


#: two degree-day species and an adult overwinterer (calendar window), named as the species table names them
SPECIES: tuple[Planted, ...] = (
    Planted("Papilio rutulus", 47226, 165.0, 12.0, 24),
    Planted("Ochlodes sylvanoides", 59194, 235.0, 10.0, 20),
    Planted("Nymphalis antiopa", 56832, 120.0, 14.0, 14),
)


def _days(rng: np.random.Generator, season: int, p: Planted) -> list[date]:
    doy = np.clip(np.rint(rng.normal(p.doy_mean, p.doy_sd, p.per_season)), 1, 365).astype(int)
    return [date(season, 1, 1) + timedelta(days=int(d) - 1) for d in doy]


def _offset(place: Place, rng: np.random.Generator) -> tuple[float, float]:
    """A point inside the place's circle (within 80 % of its radius)."""
    r = place.radius_km * 0.8 * math.sqrt(rng.uniform())
    a = rng.uniform(0, 2 * math.pi)
    lat = place.latitude + (r * math.cos(a)) / 111.2
    lng = place.longitude + (r * math.sin(a)) / (111.2 * math.cos(math.radians(place.latitude)))
    return round(lat, 5), round(lng, 5)


def plant_record(
    world: World,
    place: Place = BOISE,
    *,
    seasons: tuple[int, int] = (2016, 2024),
    species: tuple[Planted, ...] = SPECIES,
    insects_per_week: int = 3,
    recent: dict[str, date] | None = None,
    seed: int = 5,
    first_id: int = 500_000,
) -> pd.DataFrame:
    """Add the planted record to ``world``; return the butterflies planted (``id, scientific_name, observed_on,
    latitude, longitude``). ``recent``: one more sighting of a species on a given day (e.g. this season)."""
    rng = np.random.default_rng(seed)
    rows = []
    oid = first_id
    for season in range(seasons[0], seasons[1] + 1):
        for p in species:
            for day in _days(rng, season, p):
                lat, lng = _offset(place, rng)
                world.add(make_observation(oid, day=day, lat=lat, lng=lng, taxon_id=p.taxon_id,
                                           name=p.scientific_name, user_id=int(rng.integers(1, 400))))  # fmt: skip
                rows.append((oid, p.scientific_name, day, lat, lng))
                oid += 1
        day = date(season, 1, 1)
        while day.year == season:
            for _ in range(insects_per_week):
                lat, lng = _offset(place, rng)
                world.add(make_observation(oid, day=day, lat=lat, lng=lng, taxon_id=81_000, name="Noctuidae",
                                           ancestry=MOTH_ANCESTRY, user_id=int(rng.integers(1, 400))))  # fmt: skip
                oid += 1
            day += timedelta(days=7)
    by_name = {p.scientific_name: p for p in species}
    for name, day in (recent or {}).items():
        lat, lng = _offset(place, rng)
        world.add(make_observation(oid, day=day, lat=lat, lng=lng, taxon_id=by_name[name].taxon_id, name=name,
                                   user_id=9))  # fmt: skip
        rows.append((oid, name, day, lat, lng))
        oid += 1
    return pd.DataFrame(rows, columns=["id", "scientific_name", "observed_on", "latitude", "longitude"])


__all__ = ["BOISE", "SPECIES", "Planted", "plant_record"]
