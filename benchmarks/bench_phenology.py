"""Benchmark of the phenology estimator, and what effort correction buys on the known-answer simulation.

1. Speed: Weibull-parameterized percentiles (10/50/90) with bias correction (250 parametric draws) and 500
   bootstrap resamples for 100 species x 15 years (1,500 species-years, 8 to 120 sightings each: the spread
   of a real record), vectorized over resamples; also the plain two-parameter (phenesse) variant.
2. Effort: ``tools/phenology_sim.py`` (planted degree-day windows over the real Portland record, effort growing
   tenfold in ten years, busier weekends, a summer crowd, a six-week gap in 2019): pooled 10th percentiles
   corrected and uncorrected against the planted ones, the pooled day-of-year onset against the truth with
   every year weighing the same (growing effort makes recent years the profile when uncorrected), and the first-sighting date's drift with the number of sightings (what the old hindcast used).

Run: ``.venv/bin/python benchmarks/bench_phenology.py [--json]``
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from butterfly_lib.analysis.phenology import (  # noqa: E402
    detect_broods,
    effort_weights,
    grouped_percentiles,
    pooled_percentiles,
)
from tools.phenology_sim import simulate  # noqa: E402


def speed(species: int = 100, years: int = 15, n_boot: int = 500, location: str = "profile") -> dict:
    rng = np.random.default_rng(1)
    groups = species * years
    sizes = np.clip(np.rint(np.exp(rng.uniform(np.log(8), np.log(120), groups))), 8, 120).astype(int)
    centre = np.repeat(rng.uniform(200, 2500, species), years) + rng.normal(0, 60, groups)
    values = np.concatenate([rng.normal(c, 0.15 * c, s) for c, s in zip(centre, sizes, strict=True)])
    codes = np.repeat(np.arange(groups), sizes)
    weights = rng.uniform(0.2, 1.0, values.size)
    t = time.perf_counter()
    res = grouped_percentiles(np.maximum(values, 1.0), codes, weights, n_boot=n_boot, n_bias=250, location=location, seed=0)
    dt = time.perf_counter() - t
    assert np.isfinite(res.estimate).all()
    return {"groups": groups, "sightings": int(values.size), "n_boot": n_boot, "location": location, "seconds": round(dt, 2)}


def effort_effect() -> dict:
    sim = simulate()
    w = effort_weights(sim.sightings, sim.effort)
    broods = detect_broods(sim.sightings, w["w_pooled"])
    common = {"broods": broods, "place_cum_dd": sim.place_cum_dd, "n_boot": 200, "seed": 0}
    fixed = pooled_percentiles(sim.sightings, sim.effort, **common)
    raw = pooled_percentiles(sim.sightings, sim.effort, correct_effort=False, **common)
    out = {}
    for name, frame in (("corrected", fixed), ("uncorrected", raw)):
        p10 = frame[(frame["scale"] == "dd") & (frame["percentile"] == 10)].merge(sim.planted, on=["scientific_name", "brood"])
        out[name] = {f"{r.scientific_name} {r.brood}": round(r.estimate - r.dd_p10, 1) for r in p10.itertuples()}
        d10 = frame[(frame["scale"] == "doy") & (frame["percentile"] == 10)]
        truth = sim.pooled_truth[["scientific_name", "brood", "doy_p10"]].rename(columns={"doy_p10": "true_doy"})
        d10 = d10.merge(truth, on=["scientific_name", "brood"])
        out[name + "_doy_days"] = {f"{r.scientific_name} {r.brood}": round(r.estimate - r.true_doy, 1) for r in d10.itertuples()}
    s = sim.sightings.assign(year=pd.to_datetime(sim.sightings["observed_on"]).dt.year)
    s["doy"] = pd.to_datetime(s["observed_on"]).dt.day_of_year
    first = s[s["scientific_name"] == "Papilio rutulus"].groupby("year").agg(first=("doy", "min"), n=("doy", "size"))
    truth = sim.truth[sim.truth["scientific_name"] == "Papilio rutulus"].set_index("year")["doy_p10"]
    first = first.join(truth)
    lag = (first["first"] - first["doy_p10"]).to_numpy()
    slope = float(np.polyfit(np.log(first["n"].to_numpy()), lag, 1)[0])
    out["first_sighting_days_per_efold"] = round(slope, 1)
    return out


def main(argv: list[str]) -> None:
    figures = {"speed": speed(), "speed_phenesse_2p": speed(location="zero"), "effort": effort_effect()}
    sp = figures["speed"]
    print(f"{sp['groups']} species-years ({sp['sightings']} sightings), p10/p50/p90, 250 bias draws, "
          f"{sp['n_boot']} resamples: {sp['seconds']} s (located); "
          f"{figures['speed_phenesse_2p']['seconds']} s (phenesse's two-parameter fit)")
    e = figures["effort"]
    print("pooled 10th percentile minus planted, degree days:")
    for k in e["corrected"]:
        print(f"  {k:24s} corrected {e['corrected'][k]:+7.1f}   uncorrected {e['uncorrected'][k]:+7.1f}")
    print("pooled 10th percentile day of year minus the truth (every year weighing the same), days:")
    for k in e["corrected_doy_days"]:
        print(f"  {k:24s} corrected {e['corrected_doy_days'][k]:+6.1f}   uncorrected {e['uncorrected_doy_days'][k]:+6.1f}")
    print(f"first sighting minus true onset moves {e['first_sighting_days_per_efold']:+.1f} days per e-fold of sightings")
    if "--json" in argv:
        print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
