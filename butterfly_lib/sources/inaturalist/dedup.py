"""Duplicate sightings collapsed: the same observer, the same taxon, the same day, within ~100 m.

Look here to see which observations count as one sighting. iNaturalist users often upload the same butterfly
twice (two photos, two observations), which would double its weight in a flight-period estimate. Two observations
are duplicates when ``user_id``, ``taxon_id`` and ``observed_on`` are equal and they lie within ``radius_m`` of
each other (great-circle distance); duplicates chain (A–B and B–C within 100 m make one group even if A–C is 150
m apart: connected components of the "within 100 m" graph). Each group keeps its lowest id (the first upload) and
counts the others in ``n_duplicates``. A row with an unknown observer, taxon, day or position is never collapsed:
"same observer" cannot be asserted without an observer.

Vectorized: one self-join on the three keys (tiny groups), haversine on the pairs, then label propagation to the
lowest member (a few numpy passes, no per-row Python loop).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_RADIUS_M = 100.0
KEYS = ("user_id", "taxon_id", "observed_on")


def haversine_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in metres between paired points (degrees in, NaN where a point is unknown)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def duplicate_groups(frame: pd.DataFrame, radius_m: float = DEFAULT_RADIUS_M) -> np.ndarray:
    """For each row (in ``frame``'s order), the position of the row its group keeps (itself if kept)."""
    if isinstance(radius_m, bool) or not isinstance(radius_m, int | float) or not radius_m >= 0:
        raise InvalidInput("radius_m", radius_m, "a distance in metres >= 0")
    missing = [c for c in (*KEYS, "id", "latitude", "longitude") if c not in frame.columns]
    if missing:
        raise InvalidInput("sightings columns", missing, "id, user_id, taxon_id, observed_on, latitude, longitude")
    n = len(frame)
    # rank by id so that "the lowest label" means "the lowest id"
    order = np.argsort(frame["id"].to_numpy(dtype="int64"), kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    sub = pd.DataFrame(
        {
            "r": rank,
            "user_id": frame["user_id"].to_numpy(),
            "taxon_id": frame["taxon_id"].to_numpy(),
            "day": pd.to_datetime(frame["observed_on"], errors="coerce").to_numpy(),
            "lat": pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float),
            "lon": pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float),
        }
    )
    sub = sub.dropna(subset=["user_id", "taxon_id", "day", "lat", "lon"])
    pairs = sub.merge(sub, on=["user_id", "taxon_id", "day"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["r_a"] < pairs["r_b"]]
    close = haversine_m(
        pairs["lat_a"].to_numpy(), pairs["lon_a"].to_numpy(), pairs["lat_b"].to_numpy(), pairs["lon_b"].to_numpy()
    ) <= float(radius_m)
    a = pairs["r_a"].to_numpy(dtype=np.int64)[close]
    b = pairs["r_b"].to_numpy(dtype=np.int64)[close]
    label = np.arange(n, dtype=np.int64)  # indexed by rank
    while len(a):
        new = label.copy()
        np.minimum.at(new, b, label[a])
        np.minimum.at(new, a, label[b])
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    keeper_rank = label[rank]
    return order[keeper_rank]


def collapse_duplicates(frame: pd.DataFrame, radius_m: float = DEFAULT_RADIUS_M) -> pd.DataFrame:
    """``frame`` with duplicates dropped (each group keeps its lowest id) and ``n_duplicates`` (collapsed rows
    per kept row, 0 when alone). Row order and ``attrs`` are kept."""
    keeper = duplicate_groups(frame, radius_m)
    positions = np.arange(len(frame))
    counts = np.bincount(keeper, minlength=len(frame)) - 1
    keep = keeper == positions
    out = frame.iloc[positions[keep]].copy()
    out["n_duplicates"] = counts[keep].astype("int64")
    out.attrs = dict(frame.attrs)
    return out.reset_index(drop=True)
