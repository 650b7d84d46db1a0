"""Requests and wall time of the emergence science of a place that is not Portland: first build, warm rerun and the
next day's refresh, each against the fewest requests the APIs allow.

The network is a ``ReplayServer`` on 127.0.0.1 answering as the APIs would (``tools/inat_world.py`` for
iNaturalist, ``tools/open_meteo_world.py`` for the archive and the forecast) with 200 ms latency per request; the
session keeps the real rate limits (iNaturalist one request a second). The place is Boise, Idaho, with a planted
record (``tools/emergence_world.py``: three species over nine seasons, insects every week). The products build
everything the emergence page needs (record, observer effort, ERA5-Land cells, the place's temperatures, the
forecast, then the phenology). The next day is reached by moving the clock one day on (``time_machine``) with one
new sighting, and the as-of date one day later.

Minimum, first build: ``ceil(n/200)`` record pages; one effort histogram per season the record holds; the cells'
requests as planned (one per season and month of last sighting, at most 100 cells each; the floor in brackets is
``ceil(cell-seasons/100)`` per season); one archive request for the place's history; one forecast. Next day:
new ids, updates and per-year counts (3); this season's effort (1); this season's cells as planned; the place's
temperatures (1); the forecast (1).

Run: ``.venv/bin/python benchmarks/bench_emergence.py [--json]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LATENCY = 0.2
AS_OF = date(2025, 6, 15)


def endpoint(path: str, query: dict[str, str]) -> str:
    """What a request was for, in the benchmark's rows."""
    if path.startswith("/inaturalist"):
        if path.rstrip("/").endswith("histogram"):
            return "record: per-year counts" if query.get("interval") == "year" else "effort: insects per week"
        if query.get("only_id") == "true":
            return "record: id census"
        if "updated_since" in query:
            return "record: updates"
        return "record: pages"
    if path.startswith("/open_meteo_archive"):
        return "cells: ERA5-Land" if query.get("models") == "era5_land" else "place temperatures"
    if path.startswith("/open_meteo_forecast"):
        return "forecast"
    return path


def run() -> dict:
    import time_machine

    from butterfly_lib.http import build_session, make_retry
    from butterfly_lib.http.requestlog import REQUEST_LOG
    from butterfly_lib.pages.products import forget_products, products_for
    from butterfly_lib.settings import RATE_LIMITS, HttpSettings, Paths, PlaceSettings, Settings
    from tests.conftest import replay_endpoints
    from tools.emergence_world import BOISE, plant_record
    from tools.inat_world import World, make_observation
    from tools.open_meteo_world import ArchiveWorld, ForecastWorld
    from tools.replay import ReplayServer

    out: dict = {"place": BOISE.name, "latency_s": LATENCY, "as_of": AS_OF.isoformat()}
    with ReplayServer(latency=LATENCY) as server, tempfile.TemporaryDirectory() as tmp:
        inat = World().install(server)
        ArchiveWorld().install(server)
        ForecastWorld().install(server)
        planted = plant_record(inat, recent={"Papilio rutulus": AS_OF - timedelta(days=5)})
        http = HttpSettings(Path(tmp) / "cache.sqlite", endpoints=tuple(replay_endpoints(server).items()),
                            rate_limits=tuple(RATE_LIMITS.items()))  # fmt: skip
        place = PlaceSettings(BOISE)
        settings = Settings(places=(place,), http=http,
                            paths=Paths(pages_dir=Path(tmp) / "pages", record_root=Path(tmp) / "record"))  # fmt: skip
        session = build_session(http, retry=make_retry(total=2, backoff_factor=0.1))

        plans: dict = {}

        def case(label: str, as_of: date) -> dict:
            forget_products()
            REQUEST_LOG.reset()
            before = len(server.requests)
            t0 = time.perf_counter()
            p = products_for(settings, place, as_of, session)
            ph = p.phenology
            p.flying  # noqa: B018 (the viewing index's input, computed as the forecast page would)
            wall = time.perf_counter() - t0
            got = Counter(endpoint(r.path, r.query) for r in server.requests[before:])
            plan = p.cells.attrs["plan"]
            row = {"requests": dict(sorted(got.items())), "total": sum(got.values()), "seconds": round(wall, 1),
                   "windows": len(ph.windows), "record": p.record.report.action if p.record.report else "not asked",
                   "held": len(p.record.sightings), "seasons": int(p.effort["year"].nunique()),
                   "cell_requests_planned": int(len(plan))}  # fmt: skip
            out[label] = row
            plans[label] = plan
            return row

        first = case("first_build", AS_OF)
        case("warm_rerun", AS_OF)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=1), tick=True):
            inat.add(make_observation(990_001, day=AS_OF + timedelta(days=1), lat=BOISE.latitude + 0.01,
                                      lng=BOISE.longitude, taxon_id=47226, name="Papilio rutulus", user_id=11))  # fmt: skip
            case("next_day", AS_OF + timedelta(days=1))
        session.close()

    plan, next_plan = plans["first_build"], plans["next_day"]
    floor_cells = int(sum(math.ceil(n / 100) for n in plan.groupby("season")["n_cells"].sum()))
    this_season = next_plan[next_plan["season"] == AS_OF.year]
    out["minimum"] = {
        "first_build": {"record: pages": math.ceil(len(planted) / 200), "effort: insects per week": first["seasons"],
                        "cells: ERA5-Land": first["cell_requests_planned"], "place temperatures": 1, "forecast": 1},
        "next_day": {"record: pages": 1, "record: updates": 1, "record: per-year counts": 1,
                     "effort: insects per week": 1, "cells: ERA5-Land": int(len(this_season)),
                     "place temperatures": 1, "forecast": 1},
    }  # fmt: skip
    out["cells_floor_first_build"] = floor_cells
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON line (for run_all)")
    args = parser.parse_args()
    r = run()
    print(f"emergence science of {r['place']} (not Portland) as of {r['as_of']}, replay server "
          f"{LATENCY * 1000:.0f} ms a request, real rate limits")  # fmt: skip
    for label in ("first_build", "warm_rerun", "next_day"):
        row = r[label]
        minimum = r["minimum"].get(label, {})
        print(f"{label:12s} {row['total']:4d} requests {row['seconds']:7.1f} s  (minimum {sum(minimum.values())}); "
              f"record {row['record']}, {row['held']} sightings, {row['windows']} windows")  # fmt: skip
        for name in sorted(set(row["requests"]) | set(minimum)):
            print(f"    {name:28s} {row['requests'].get(name, 0):4d}   minimum {minimum.get(name, 0)}")
    print(f"cells floor of the first build (ceil(cell-seasons/100) per season): {r['cells_floor_first_build']}")
    if args.json:
        print(json.dumps(r, default=str))


if __name__ == "__main__":
    main()
