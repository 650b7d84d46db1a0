"""Measure the bundled sample (``data/upstream-site/sightings.csv``) before using it, and what the record's cell
temperatures cost Open-Meteo for a 50 km circle around Portland. Prints the figures quoted in
``butterfly_lib/sources/inaturalist/README.md`` and ``data/upstream-site/README.md``.

    .venv/bin/python scripts/measure_sample.py
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND  # noqa: E402
from butterfly_lib.sources.inaturalist.dedup import haversine_m  # noqa: E402
from butterfly_lib.sources.inaturalist.effort import week_of  # noqa: E402
from butterfly_lib.sources.open_meteo.cells import plan_cells, plan_summary, request_weight  # noqa: E402
from tools.snapshot import SNAPSHOT_AS_OF  # noqa: E402
from tools.snapshot import recordings as rec  # noqa: E402
from tools.snapshot.fake_inaturalist import haversine_km  # noqa: E402


def runs(missing: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for md in missing:
        if out and (pd.Timestamp(f"2000-{md}") - pd.Timestamp(f"2000-{out[-1][1]}")).days == 1:
            out[-1] = (out[-1][0], md)
        else:
            out.append((md, md))
    return out


def main() -> None:
    s = pd.read_csv(rec.input_path("sightings.csv"))
    days = pd.to_datetime(s["observed_on"])
    print(f"sightings: {len(s)} ({s['observation_id'].nunique()} distinct ids), {days.min().date()} .. {days.max().date()}")
    md = days.dt.strftime("%m-%d")
    cal = pd.date_range("2000-01-01", "2000-12-31").strftime("%m-%d")
    gaps = [r for r in runs([c for c in cal if c not in set(md)]) if r[0] != r[1]]
    print(f"month-days seen: {md.min()} .. {md.max()}; calendar runs of 2+ days with no sighting in any year: {gaps}")

    w = week_of(days)
    per_year = w.groupby("year").agg(sightings=("week", "size"), weeks=("week", "nunique"))
    print("\nper year: sightings, weeks (of 53) with at least one sighting")
    print(per_year.to_string())
    weeks_any = sorted(w["week"].unique().tolist())
    print(f"weeks of the year with a sighting in some year: {len(weeks_any)} of 53; none in weeks "
          f"{[k for k in range(1, 54) if k not in weeks_any]}")  # fmt: skip

    km = haversine_km(PORTLAND.latitude, PORTLAND.longitude, s["latitude"].to_numpy(), s["longitude"].to_numpy())
    print(f"\ndistance from Portland (45.52, -122.68): median {np.median(km):.0f} km; within 50 km: "
          f"{int((km <= 50).sum())} ({(km <= 50).mean():.0%}); beyond: {int((km > 50).sum())}")  # fmt: skip
    full = rec.sightings()  # taxon ids completed from species_counts.csv, sorted by id
    full_km = haversine_km(PORTLAND.latitude, PORTLAND.longitude, full["latitude"].to_numpy(), full["longitude"].to_numpy())
    known = full["taxon_id"].notna().to_numpy()
    print(f"with a taxon id (the fake serves only these): {int(known.sum())}; within 50 km with a taxon id: "
          f"{int((known & (full_km <= 50)).sum())}")  # fmt: skip

    # duplicates: the sample has no observer, so "same observer" cannot be checked; same taxon, day, within 100 m
    t = s.assign(day=s["observed_on"], i=np.arange(len(s)))
    pairs = t.merge(t, on=["scientific_name", "day"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["i_a"] < pairs["i_b"]]
    d = haversine_m(pairs["latitude_a"].to_numpy(), pairs["longitude_a"].to_numpy(),
                    pairs["latitude_b"].to_numpy(), pairs["longitude_b"].to_numpy())  # fmt: skip
    close = pairs[d <= 100]
    print(f"\nduplicates by the rule: 0 collapsible (no observer recorded); pairs of the same taxon and day within "
          f"100 m (an upper bound had they one observer): {len(close)} pairs, {close['i_b'].nunique()} rows")  # fmt: skip

    inside = full[known & (full_km <= 50)]
    plan, skipped = plan_cells(inside.rename(columns={"observation_id": "id"}), today=SNAPSHOT_AS_OF)
    print(f"\ncell temperatures for the sample within 50 km: {plan_summary(plan)}; skipped {len(skipped)}")

    # the whole circle: every 0.1° cell whose centre is within 50 km, every season 2011..2025 with sightings up to
    # late October (day 300), the worst case of a 15-year record
    lat = np.round(np.arange(44.9, 46.2, 0.1), 6)
    lon = np.round(np.arange(-123.5, -121.8, 0.1), 6)
    glat, glon = np.meshgrid(lat, lon)
    n = int((haversine_km(PORTLAND.latitude, PORTLAND.longitude, glat.ravel(), glon.ravel()) <= 50).sum())
    per_season = request_weight(n, (date(2021, 10, 27) - date(2021, 1, 1)).days + 1)
    print(f"Portland 50 km circle: {n} ERA5-Land cells; every cell every season to 27 Oct: {per_season:.0f} calls a "
          f"season, {15 * per_season:.0f} for 15 seasons (free limit 10,000 a day, 5,000 an hour); "
          f"a whole year at every cell: {request_weight(n, 365):.0f} a season")  # fmt: skip


if __name__ == "__main__":
    main()
