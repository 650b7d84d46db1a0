"""A known-answer simulation for ``butterfly_lib.analysis.phenology``: sightings from PLANTED degree-day flight
windows over REAL temperatures, seen by observers whose effort grows tenfold in ten years, is higher at weekends,
follows a summer crowd, and stops for six weeks in one season. Everything it returns is simulated (labelled).

Look here for ``simulate`` (the scenario the tests and ``benchmarks/bench_phenology.py`` use) and
``DEFAULT_SPECIES`` (what is planted).

Model, per day ``d`` of the seasons simulated:
- temperatures: the NOAA Portland airport record (``data/noaa/USW00024229_...csv``, real), degree days by the
  modified average 50/86 °F from 1 January (``degree_days.sources.season_cum_dd``);
- observer effort ``E(d) = 10 ** (t / 10 years) * (2.5 on Saturdays and Sundays) * S(doy) * gap(d)``, with
  ``S`` a summer crowd (0.25 in winter to 1.25 in early July) and ``gap`` zero for six whole ISO weeks in one
  season (default 29 April - 9 June 2019);
- a species' brood is a normal curve of flight activity over accumulated degree days (mean, sd): the share
  of it that passes on day ``d`` is ``Phi(z(cum_d)) - Phi(z(cum_{d-1}))``, so the planted degree-day
  distribution is exactly the distribution of activity whatever the weather (each sighting is dated by the
  day's end-of-day accumulation, which puts it on average half a day's degree days late);
- sightings ``~ Poisson(E(d) * abundance * share)``, so they follow effort times activity, which is what the
  effort correction must undo; the reference group (the observer-effort measure) is ``~ Poisson(ref * E(d))``
  per day, summed per ISO week (a reference group with no season of its own).

Truth: ``planted`` (per species and brood: dd_p10/p50/p90 of the normal curve), ``truth`` (per species,
brood and year: the day of year on which the place's accumulation reaches each planted percentile) and
``pooled_truth`` (per species and brood: the day-of-year percentiles of the flight pooled over the years with
every year weighing the same: what a profile over years should find on the calendar).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.sources import season_cum_dd
from butterfly_lib.analysis.phenology.censoring import date_to_doy
from butterfly_lib.analysis.phenology.effort import week_key
from butterfly_lib.provenance import Provenance, attach
from butterfly_lib.settings import PROJECT_ROOT, DegreeDays
from butterfly_lib.sources.noaa import bundled_path, load_station_csv

Z = {10: -1.2815515655446004, 50: 0.0, 90: 1.2815515655446004}


@dataclass(frozen=True)
class PlantedSpecies:
    """A simulated species: ``broods`` = ((dd_mean, dd_sd, share of the year's activity), ...), degree days
    °F from 1 January; ``abundance`` = expected sightings a season at effort 1."""

    scientific_name: str
    common_name: str
    taxon_id: int
    broods: tuple[tuple[float, float, float], ...]
    abundance: float


DEFAULT_SPECIES: tuple[PlantedSpecies, ...] = (
    PlantedSpecies("Celastrina echo", "Echo Azure (simulated)", 52484, ((250.0, 90.0, 1.0),), 12.0),
    PlantedSpecies("Papilio rutulus", "Western Tiger Swallowtail (simulated)", 47226, ((700.0, 170.0, 1.0),), 12.0),
    PlantedSpecies("Strymon melinus", "Gray Hairstreak (simulated)", 50931,
                   ((450.0, 100.0, 0.45), (1700.0, 220.0, 0.55)), 20.0),  # fmt: skip
    PlantedSpecies("Ochlodes sylvanoides", "Woodland Skipper (simulated)", 59194, ((2300.0, 280.0, 1.0),), 12.0),
)


@dataclass
class Simulation:
    sightings: pd.DataFrame
    effort: pd.DataFrame
    place_cum_dd: pd.Series
    planted: pd.DataFrame
    truth: pd.DataFrame
    pooled_truth: pd.DataFrame
    gap: tuple[date, date]
    record_span: tuple[date, date]
    params: dict = field(default_factory=dict)


def _phi(x: np.ndarray) -> np.ndarray:
    erf = np.frompyfunc(math.erf, 1, 1)(np.atleast_1d(np.asarray(x, dtype=float)) / math.sqrt(2.0))
    return 0.5 * (1.0 + np.asarray(erf, dtype=float))


def planted_windows(species: tuple[PlantedSpecies, ...] = DEFAULT_SPECIES) -> pd.DataFrame:
    """``scientific_name, brood, dd_p10, dd_p50, dd_p90`` of every planted brood."""
    rows = []
    for s in species:
        for b, (m, sd, _) in enumerate(s.broods, start=1):
            rows.append({"scientific_name": s.scientific_name, "brood": b,
                         **{f"dd_p{p}": m + z * sd for p, z in Z.items()}})  # fmt: skip
    return pd.DataFrame(rows)


def simulate(
    species: tuple[PlantedSpecies, ...] = DEFAULT_SPECIES,
    *,
    seasons: tuple[int, int] = (2015, 2024),
    gap: tuple[str, str] = ("2019-04-29", "2019-06-09"),
    growth: float = 10.0,
    weekend: float = 2.5,
    reference_rate: float = 20.0,
    seed: int = 11,
    temperatures: pd.DataFrame | None = None,
) -> Simulation:
    """Run the scenario of the module docstring (same arguments, same result)."""
    temps = load_station_csv(bundled_path(PROJECT_ROOT / "data" / "noaa")) if temperatures is None else temperatures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the record's partial first season and one 2022 gap
        cum_all = season_cum_dd(temps, DegreeDays())
    first, last = seasons
    cum = cum_all[(cum_all.index.year >= first) & (cum_all.index.year <= last)].dropna()
    days = pd.DatetimeIndex(cum.index)
    values = cum.to_numpy()
    prev = np.r_[0.0, values[:-1]]
    new = np.r_[True, days.year[1:] != days.year[:-1]] | np.r_[True, np.diff(days.values) != np.timedelta64(1, "D")]
    prev[new] = 0.0
    t_years = (days - days[0]).days.to_numpy() / 365.25
    doy = date_to_doy(days)
    season_shape = 0.25 + np.exp(-0.5 * ((doy - 190.0) / 55.0) ** 2)
    gap_on = (days >= pd.Timestamp(gap[0])) & (days <= pd.Timestamp(gap[1]))
    effort = growth ** (t_years / 10.0) * np.where(days.day_of_week >= 5, weekend, 1.0) * season_shape
    effort = np.where(gap_on, 0.0, effort)
    rng = np.random.default_rng(seed)
    ref = rng.poisson(reference_rate * effort)
    rows = []
    mixture_rows = []
    next_id = 1
    year_of_day = np.asarray(days.year)
    for s in species:
        for b, (m, sd, _) in enumerate(s.broods, start=1):
            part = _phi((values - m) / sd) - _phi((prev - m) / sd)
            part[new] += _phi((0.0 - m) / sd)
            per_year = pd.Series(part).groupby(year_of_day).transform("sum").to_numpy()
            mix = pd.Series(part / per_year).groupby(doy).sum().reindex(range(1, 366), fill_value=0.0).to_numpy()
            cdf = np.cumsum(mix) / mix.sum()
            mixture_rows.append({"scientific_name": s.scientific_name, "brood": b,
                                 **{f"doy_p{p}": float(np.searchsorted(cdf, p / 100) + 1) for p in Z}})  # fmt: skip
        share = np.zeros(len(days))
        for m, sd, w in s.broods:
            part = _phi((values - m) / sd) - _phi((prev - m) / sd)
            part[new] += _phi((0.0 - m) / sd)  # mass below 0 DD falls on the season's first day
            share += w * np.clip(part, 0.0, None)
        counts = rng.poisson(effort * s.abundance * share)
        idx = np.repeat(np.arange(len(days)), counts)
        k = idx.size
        rows.append(pd.DataFrame({
            "id": np.arange(next_id, next_id + k),
            "taxon_id": s.taxon_id,
            "scientific_name": s.scientific_name,
            "common_name": s.common_name,
            "observed_on": days[idx].date,
            "latitude": np.round(45.52 + rng.normal(0, 0.12, k), 5),
            "longitude": np.round(-122.68 + rng.normal(0, 0.15, k), 5),
            "user_id": rng.integers(1, 50 + 5 * (days[idx].year - first + 1) ** 2, k),
            "cum_dd": values[idx],
            "dd_source": "place (simulated)",
        }))  # fmt: skip
        next_id += k
    sightings = pd.concat(rows, ignore_index=True).sort_values(["observed_on", "id"], kind="stable")
    sightings = sightings.reset_index(drop=True)
    y, w = week_key(days)
    eff = pd.DataFrame({"year": y, "week": w, "n_reference": ref}).groupby(["year", "week"], as_index=False).sum()
    span = (days[0].date(), days[-1].date())
    eff.attrs["record_span"] = span
    planted = planted_windows(species)
    truth_rows = []
    for _, r in planted.iterrows():
        for year in range(first, last + 1):
            c = cum[cum.index.year == year]
            row = {"scientific_name": r["scientific_name"], "brood": r["brood"], "year": year}
            for p in Z:
                i = int(np.searchsorted(c.to_numpy(), r[f"dd_p{p}"]))
                row[f"doy_p{p}"] = float(date_to_doy(c.index[[i]])[0]) if i < len(c) else np.nan
            truth_rows.append(row)
    truth = pd.DataFrame(truth_rows)
    params = {"seed": seed, "seasons": [first, last], "gap": list(gap), "growth": growth, "weekend": weekend}
    prov = Provenance(
        source="tools.phenology_sim", url="", fetched_at=datetime.now(UTC), expires=None, from_cache=False,
        location="Portland International Airport temperatures (real); sightings and effort simulated",
        parameters=params, kind="simulated",
        notice="Simulated sightings and observer effort at planted degree-day windows over real temperatures.",
    )  # fmt: skip
    for frame in (sightings, eff):
        frame.attrs["simulated"] = True
        attach(frame, prov)
    return Simulation(sightings, eff, cum, planted, truth, pd.DataFrame(mixture_rows), (pd.Timestamp(gap[0]).date(), pd.Timestamp(gap[1]).date()),
                      span, params)  # fmt: skip
