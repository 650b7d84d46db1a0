"""A fixed-seed sightings simulator: species that fly at PLANTED degree-day windows over real temperatures.

Look here for the known-answer scenario of the tests and the offline demo's stand-in for sightings where no
real recording exists. Everything it returns is labelled simulated (``attrs["simulated"] = True`` and a
``Provenance`` with ``kind="simulated"``); names carry "(simulated)" and no URL or photo is invented.

Inputs: a daily temperature frame ``date, tmax_f, tmin_f`` (e.g. the real NOAA Portland airport record), the
planted species (``PlantedSpecies``: a normal distribution of flight activity over accumulated degree days
with mean ``dd_mean`` and spread ``dd_sd``), the seasons to simulate, and a seed.

Method: daily degree days (modified average 50/86 °F by default) are accumulated from 1 January. A species'
expected sightings on a day are ``effort(season) * abundance * (Phi(z(cum_d)) - Phi(z(cum_{d-1})))``: the
share of its degree-day flight distribution that passes on that day, so the planted distribution is exactly
the distribution of sightings over degree days whatever the weather (a sighting is dated by the end-of-day
accumulation, which biases recovered values up by about half a day's degree days). Effort grows by
``effort_growth`` per season (like iNaturalist). Counts are Poisson draws from one ``numpy`` Generator seeded
with ``seed``; points fall uniformly in a disc around the place, and ``obscured_share`` of them are flagged
obscured.

Output: the agreed sightings frame (``id, taxon_id, scientific_name, common_name, rank, observed_on,
latitude, longitude, positional_accuracy_m, obscured, quality_grade, photo_url, url, user_login,
place_guess, license``) plus ``planted_windows(species)`` with the true p10/p50/p90 to test against.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days import accumulate, degree_days
from butterfly_lib.errors import InvalidInput
from butterfly_lib.provenance import Provenance, attach

Z10 = 1.2815515655446004  # standard normal 90th percentile


@dataclass(frozen=True)
class PlantedSpecies:
    """A simulated species: flight activity ~ Normal(dd_mean, dd_sd) in accumulated degree days (°F, from
    1 January), ``abundance`` expected sightings per season at effort 1."""

    scientific_name: str
    common_name: str
    taxon_id: int
    dd_mean: float
    dd_sd: float
    abundance: float


# Windows chosen to span a Portland season (about 2,500-3,500 DD50 °F a year); names are real species whose
# flights are roughly in that order, marked simulated everywhere they appear.
DEFAULT_SPECIES: tuple[PlantedSpecies, ...] = (
    PlantedSpecies("Nymphalis antiopa", "Mourning Cloak (simulated)", 48662, 180.0, 60.0, 2.0),
    PlantedSpecies("Celastrina echo", "Echo Azure (simulated)", 52484, 320.0, 90.0, 3.0),
    PlantedSpecies("Papilio rutulus", "Western Tiger Swallowtail (simulated)", 59931, 800.0, 180.0, 3.0),
    PlantedSpecies("Limenitis lorquini", "Lorquin's Admiral (simulated)", 55709, 1150.0, 200.0, 2.0),
    PlantedSpecies("Pieris rapae", "Cabbage White (simulated)", 55626, 1400.0, 450.0, 4.0),
    PlantedSpecies("Ochlodes sylvanoides", "Woodland Skipper (simulated)", 121849, 2100.0, 220.0, 3.0),
)


def planted_windows(species: tuple[PlantedSpecies, ...] = DEFAULT_SPECIES) -> pd.DataFrame:
    """The true degree-day window of each planted species: ``scientific_name, dd_p10, dd_p50, dd_p90``."""
    return pd.DataFrame(
        {
            "scientific_name": [s.scientific_name for s in species],
            "dd_p10": [s.dd_mean - Z10 * s.dd_sd for s in species],
            "dd_p50": [s.dd_mean for s in species],
            "dd_p90": [s.dd_mean + Z10 * s.dd_sd for s in species],
        }
    )


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF, vectorized (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7)."""
    z = np.asarray(x, dtype=float) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * np.abs(z))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(z) * erf)


def simulate_sightings(
    temperatures: pd.DataFrame,
    species: tuple[PlantedSpecies, ...] = DEFAULT_SPECIES,
    *,
    seasons: tuple[int, int] = (1990, 2024),
    seed: int = 20240601,
    effort_start: float = 1.0,
    effort_growth: float = 0.12,
    latitude: float = 45.52,
    longitude: float = -122.68,
    radius_km: float = 40.0,
    obscured_share: float = 0.05,
    lower: float = 50.0,
    upper: float = 86.0,
    method: str = "modified-average",
    cutoff: str = "horizontal",
) -> pd.DataFrame:
    """Simulated sightings over the real ``temperatures`` (``date, tmax_f, tmin_f``) for ``seasons``
    (inclusive). Same inputs and seed give the same frame. See the module docstring for the model."""
    missing = {"date", "tmax_f", "tmin_f"} - set(temperatures.columns)
    if missing:
        raise InvalidInput("temperatures", list(temperatures.columns), "columns date, tmax_f, tmin_f")
    if not species:
        raise InvalidInput("species", species, "at least one PlantedSpecies")
    first, last = (int(s) for s in seasons)
    if first > last:
        raise InvalidInput("seasons", seasons, "(first, last) with first <= last")
    temps = temperatures.assign(date=pd.to_datetime(temperatures["date"]).dt.normalize()).sort_values("date")
    dd = degree_days(
        temps["tmin_f"].astype(float), temps["tmax_f"].astype(float),
        lower=lower, upper=upper, method=method, cutoff=cutoff,
    )  # fmt: skip
    dd.index = pd.DatetimeIndex(temps["date"])
    with warnings.catch_warnings():
        # the record's partial first season is missing by the gap policy; seasons are filtered below
        warnings.simplefilter("ignore", UserWarning)
        cum = accumulate(dd)
    cum = cum[(cum.index.year >= first) & (cum.index.year <= last)]
    if cum.notna().sum() == 0:
        raise InvalidInput("seasons", seasons, "seasons covered by the temperature record")
    values = cum.to_numpy()
    prev = np.r_[0.0, values[:-1]]
    new_season = np.r_[True, cum.index.year[1:] != cum.index.year[:-1]]
    prev[new_season] = 0.0
    ok = ~np.isnan(values) & ~np.isnan(prev)
    mean = np.array([s.dd_mean for s in species])
    sd = np.array([s.dd_sd for s in species])
    abundance = np.array([s.abundance for s in species])
    share = _phi((values[:, None] - mean) / sd) - _phi((prev[:, None] - mean) / sd)
    share[~ok] = 0.0
    # the season's share of each species starts at 0 DD; put the mass below 0 on the first day
    share[new_season] += _phi((0.0 - mean) / sd)[None, :]
    effort = effort_start * (1.0 + effort_growth) ** (np.asarray(cum.index.year) - first)
    lam = np.clip(share, 0.0, None) * abundance[None, :] * effort[:, None]
    rng = np.random.default_rng(seed)
    counts = rng.poisson(lam)
    day_idx, sp_idx = np.nonzero(counts)
    reps = counts[day_idx, sp_idx]
    day_idx = np.repeat(day_idx, reps)
    sp_idx = np.repeat(sp_idx, reps)
    n = day_idx.size
    r = radius_km * np.sqrt(rng.uniform(0.0, 1.0, n))
    theta = rng.uniform(0.0, 2.0 * math.pi, n)
    lat = latitude + (r * np.cos(theta)) / 111.32
    lon = longitude + (r * np.sin(theta)) / (111.32 * math.cos(math.radians(latitude)))
    obscured = rng.uniform(0.0, 1.0, n) < obscured_share
    sp = np.array(species, dtype=object)[sp_idx]
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "taxon_id": np.array([s.taxon_id for s in sp], dtype=np.int64),
            "scientific_name": [s.scientific_name for s in sp],
            "common_name": [s.common_name for s in sp],
            "rank": "species",
            "observed_on": cum.index[day_idx].date,
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "positional_accuracy_m": np.where(obscured, 28000.0, 30.0),
            "obscured": obscured,
            "quality_grade": "simulated",
            "photo_url": "",
            "url": "",
            "user_login": "simulator",
            "place_guess": "simulated point",
            "license": "",
        }
    )
    frame = frame.sort_values(["observed_on", "id"], kind="stable").reset_index(drop=True)
    frame["id"] = np.arange(1, n + 1, dtype=np.int64)
    frame.attrs["simulated"] = True
    frame.attrs["planted"] = planted_windows(species).to_dict("records")
    attach(
        frame,
        Provenance(
            source="butterfly_lib.analysis.simulate",
            url="",
            fetched_at=datetime.now(UTC),
            expires=None,
            from_cache=False,
            location=f"{latitude:.4f},{longitude:.4f} r={radius_km:g} km",
            parameters={
                "seed": seed,
                "seasons": [first, last],
                "effort_growth": effort_growth,
                "degree_days": {"lower": lower, "upper": upper, "method": method, "cutoff": cutoff},
            },  # fmt: skip
            kind="simulated",
            notice="Simulated sightings at planted degree-day windows over real temperatures; not observations.",
        ),
    )
    return frame
