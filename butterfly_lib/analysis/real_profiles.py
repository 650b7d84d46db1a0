"""Real emergence profiles: the earlier planner's real Portland-area sightings against the real NOAA record.

Look here for ``real_emergence_profiles``: it turns the two bundled real recordings into the emergence
profiles the emergence page and the offline snapshot show.

Inputs (frames, read by the caller):
- ``upstream``: ``data/upstream-site/sightings.csv`` (``observation_id, url, observed_on, latitude, longitude,
  scientific_name, common_name, taxon_id, photo_url, weather_shown, first_shown``): 2,102 research-grade
  iNaturalist observations in the NW Oregon / SW Washington box, the sample a daily page showed (about 14 days
  back to 7 days ahead of each build date's month-day, all years), so they cover January-September only.
- ``noaa``: the NOAA daily frame ``date, tmax_f, tmin_f`` (Portland International Airport, 1940-10-14 ..
  2024-12-09).

Method: daily degree days (modified average 50/86 °F by default, any method of ``degree_days``) accumulated
from the season start (``biofix``, 1 January unless the page's place starts its seasons elsewhere); every sighting takes the airport's accumulation on its day (no per-sighting series exists in
the recordings, so ``dd_source`` is ``place``). Sightings outside the record (before its first full season,
1941, or after 2024-12-09) get none and are counted in ``coverage``. The all-butterfly background for the
effort correction is the whole upstream frame. Then ``emergence.emergence_profiles``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.emergence import emergence_profiles, sighting_degree_days
from butterfly_lib.errors import InvalidInput
from butterfly_lib.provenance import Provenance, attach
from butterfly_lib.settings import DegreeDays
from butterfly_lib.units import convert_degree_days

UPSTREAM_COLUMNS = (
    "observation_id",
    "observed_on",
    "latitude",
    "longitude",
    "scientific_name",
    "common_name",
)


def upstream_as_sightings(upstream: pd.DataFrame) -> pd.DataFrame:
    """The upstream CSV frame in the agreed sightings columns (``obscured`` False: the recordings give
    public coordinates; fields the page did not keep are empty)."""
    missing = [c for c in UPSTREAM_COLUMNS if c not in upstream.columns]
    if missing:
        raise InvalidInput(
            "upstream", list(upstream.columns), f"the upstream sightings columns (missing {missing})"
        )
    n = len(upstream)
    return pd.DataFrame(
        {
            "id": upstream["observation_id"].astype("int64"),
            "taxon_id": pd.to_numeric(upstream.get("taxon_id"), errors="coerce").astype("Int64"),
            "scientific_name": upstream["scientific_name"].astype(str),
            "common_name": upstream["common_name"].fillna("").astype(str),
            "rank": "species",
            "observed_on": pd.to_datetime(upstream["observed_on"]).dt.date,
            "latitude": upstream["latitude"].astype(float),
            "longitude": upstream["longitude"].astype(float),
            "positional_accuracy_m": float("nan"),
            "obscured": [False] * n,
            "quality_grade": "research",
            "photo_url": upstream.get("photo_url", pd.Series([""] * n)).fillna(""),
            "url": upstream.get("url", pd.Series([""] * n)).fillna(""),
            "user_login": "",
            "place_guess": "",
            "license": "",
        }
    )


def noaa_cum_dd(noaa: pd.DataFrame, dd: DegreeDays, *, biofix: str = "01-01") -> pd.Series:
    """Cumulative degree days (°F, from ``biofix``, default 1 January) of a NOAA frame ``date, tmax_f, tmin_f``.

    The record's first, partial season is left out (see ``season_cum_dd``).
    """
    return season_cum_dd(noaa, dd.in_units("F"), biofix=biofix)


def real_emergence_profiles(
    upstream: pd.DataFrame,
    noaa: pd.DataFrame,
    dd: DegreeDays,
    *,
    min_sightings: int = 20,
    min_years: int = 3,
    biofix: str = "01-01",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Emergence profiles of the real upstream sightings against the real NOAA record.

    Returns ``(profiles, coverage)``: ``profiles`` as ``emergence_profiles`` (with ``Provenance`` kind
    ``derived``); ``coverage`` = ``{"sightings", "with_degree_days", "outside_record", "gap_in_record",
    "record_first", "record_last", "species", "species_profiled"}``.
    """
    sightings = upstream_as_sightings(upstream)
    dd = dd.in_units("F")
    cum = noaa_cum_dd(noaa, dd, biofix=biofix)
    with_dd = sighting_degree_days(sightings, cum)
    profiles = emergence_profiles(with_dd, min_sightings=min_sightings, min_years=min_years)
    src = with_dd["dd_source"]
    valid = cum.dropna()
    coverage = {
        "sightings": int(len(with_dd)),
        "with_degree_days": int(with_dd["cum_dd"].notna().sum()),
        "outside_record": int((src == "none (outside the temperature record)").sum()),
        "gap_in_record": int((src == "none (gap in the temperature record)").sum()),
        "record_first": str(pd.Timestamp(noaa["date"].min()).date()),
        "record_last": str(pd.Timestamp(noaa["date"].max()).date()),
        "first_full_season": int(valid.index.min().year) if len(valid) else None,
        "species": int(with_dd["scientific_name"].nunique()),
        "species_profiled": int(len(profiles)),
    }
    profiles.attrs["coverage"] = coverage
    attach(
        profiles,
        Provenance(
            source="butterfly_lib.analysis.real_profiles",
            url="",
            fetched_at=datetime.now(UTC),
            expires=None,
            from_cache=False,
            location="Portland International Airport (USW00024229); sightings NW Oregon / SW Washington",
            parameters={
                "lower": dd.lower,
                "upper": dd.upper,
                "method": dd.method,
                "cutoff": dd.cutoff,
                "units": "F",
                "biofix": biofix,
                "min_sightings": min_sightings,
                "min_years": min_years,
            },  # fmt: skip
            kind="derived",
            notice=(
                "Derived from real iNaturalist sightings (as an earlier planner published them) and the real "
                "NOAA Portland airport record; every sighting uses the airport's degree days."
            ),
        ),
    )
    return profiles, coverage


#: profile columns that hold degree days (converted when a page shows °C·days)
DD_COLUMNS = (
    "dd_p10", "dd_p50", "dd_p90", "rel_dd_p10", "rel_dd_p50", "rel_dd_p90", "first_dd_p10", "first_dd_p50",
    "first_dd_p90",
)  # fmt: skip


def profiles_in_units(profiles: pd.DataFrame, units: str) -> pd.DataFrame:
    """Emergence profiles computed in °F·days expressed in ``units`` (°C·days = °F·days / 1.8 exactly, since
    every degree-day method is linear in the temperature scale when the thresholds are converted too)."""
    if units == "F":
        return profiles
    out = profiles.copy()
    for col in DD_COLUMNS:
        if col in out:
            out[col] = convert_degree_days(out[col], "F", units)
    return out
