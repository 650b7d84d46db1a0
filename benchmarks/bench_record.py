"""Requests and wall time of a place's observation record: first build, daily refresh, warm rerun, against the floor.

The network is a ``ReplayServer`` on 127.0.0.1 answering as iNaturalist would (``tools/inat_world.py``: records of
the real recorded shape) with 200 ms latency per request, and the session keeps iNaturalist's real limit of one
request a second for that host. The floor of a first build is ``ceil(n / 200)`` requests, i.e. that many seconds
at one a second. The daily refresh follows a day of changes (5 new observations, 3 re-identified, 1 downgraded,
1 deleted) and is compared with the three requests it cannot avoid (new ids, updates, per-year counts).

Run: ``.venv/bin/python benchmarks/bench_record.py [--n 2000] [--json]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LATENCY = 0.2
INAT_INTERVAL = 1.0  # iNaturalist's limit: one request a second


def run(n: int) -> dict:
    from butterfly_lib.http import build_session, make_retry
    from butterfly_lib.place import Place
    from butterfly_lib.settings import HttpSettings
    from butterfly_lib.sources.inaturalist import record
    from tools.inat_world import World, make_observation
    from tools.replay import ReplayServer

    place = Place("Benchmark place", 47.61, -122.33, radius_km=50.0)
    out: dict = {"n": n, "latency_s": LATENCY, "interval_s": INAT_INTERVAL}
    with ReplayServer(latency=LATENCY) as server, tempfile.TemporaryDirectory() as tmp:
        world = World().install(server)
        world.add(*[
            make_observation(10_000 + i, day=date(2010 + i % 16, 3 + i % 7, 1 + i % 28), lat=47.5 + (i % 23) * 0.01,
                             lng=-122.4 + (i % 19) * 0.01, user_id=i % 300, taxon_id=48662 + i % 40)
            for i in range(n)
        ])  # fmt: skip
        http = HttpSettings(
            Path(tmp) / "cache.sqlite", endpoints=(("inaturalist", f"{server.url}/inaturalist"),),
            rate_limits=(("inaturalist", INAT_INTERVAL),),
        )  # fmt: skip
        session = build_session(http, retry=make_retry(total=2, backoff_factor=0.1))

        def case(label: str, **kw: object) -> record.RecordReport:
            t0 = time.perf_counter()
            before = len(server.requests)
            rep = record.update_record(place, Path(tmp) / "store", session=session, progress=False, **kw)
            wall = time.perf_counter() - t0
            out[label] = {"requests": rep.requests, "server_requests": len(server.requests) - before,
                          "seconds": round(wall, 2), "action": rep.action, "added": rep.added,
                          "updated": rep.updated, "downgraded": rep.downgraded, "deleted": rep.deleted}  # fmt: skip
            return rep

        case("first_build")
        case("warm_rerun")
        for i in range(5):
            world.add(
                make_observation(
                    900_000 + i, day=date(2026, 6, 1 + i), lat=47.6, lng=-122.3, user_id=9000 + i
                )
            )
        for oid in (10_001, 10_002, 10_003):
            world.edit(oid, taxon={**world.records[oid]["taxon"], "id": 50931, "name": "Papilio rutulus"})
        world.edit(10_004, quality_grade="needs_id")
        world.delete(10_005)
        case("daily_refresh", now=datetime.now(UTC) + timedelta(days=1))
        store = Path(tmp) / "store" / "observations.duckdb"
        out["store_mb"] = round(store.stat().st_size / 1e6, 2)
        session.close()
    out["floor_requests"] = math.ceil(n / 200)
    out["floor_seconds"] = math.ceil(n / 200) * INAT_INTERVAL
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="observations in the place's record")
    parser.add_argument("--json", action="store_true", help="end with one JSON line (for run_all)")
    args = parser.parse_args()
    r = run(args.n)
    b, d, w = r["first_build"], r["daily_refresh"], r["warm_rerun"]
    print(f"observation record of {r['n']} observations, replay server {LATENCY * 1000:.0f} ms a request, "
          f"{INAT_INTERVAL:g} request/s")  # fmt: skip
    print(f"first build    {b['requests']:5d} requests {b['seconds']:8.1f} s   floor {r['floor_requests']} requests, "
          f"{r['floor_seconds']:.0f} s")  # fmt: skip
    print(f"warm rerun     {w['requests']:5d} requests {w['seconds']:8.2f} s   floor 0")
    print(f"daily refresh  {d['requests']:5d} requests {d['seconds']:8.1f} s   floor 3 (new ids, updates, per-year "
          f"counts); applied +{d['added']} new, {d['updated']} updated, {d['downgraded']} downgraded, "
          f"{d['deleted']} deleted")  # fmt: skip
    print(f"store on disk  {r['store_mb']} MB")
    if args.json:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
