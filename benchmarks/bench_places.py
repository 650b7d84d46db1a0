"""How a refresh grows with places: time, requests per source and memory for 1, 3, 10 and 30 places.

Only Portland has snapshot data, so the places are Portland and the towns around it (``refresh.NEARBY``), and
the replay server answers them from Portland's recordings (``tools.snapshot_server``, ``any_place``: a query
for any place or union of places, several coordinates in one request, the weather at any recorded sighting
cell). The values are Portland's; the requests, their count and timing are the run's. iNaturalist keeps its
limit of one request a second, every request takes 200 ms. Cold: an empty cache; warm: its cache, all fresh.
Time and memory come from separate runs, each in a fresh interpreter. "Before": the code before the work
(``benchmarks/baseline.py``), for the counts given with ``--before``.

Run: ``.venv/bin/python benchmarks/bench_places.py [--places 1,3,10,30] [--before 1,3]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_refresh, harness, refresh  # noqa: E402

TEN_PLACES_TARGET_S = 60.0


def row(n: int, result: dict, memory: dict | None) -> dict:
    cold, warm = result["cold"], result["warm"]
    out = {
        "places": n,
        "cold_s": cold["measurement"]["wall_s"],
        "cold_requests": cold["total"],
        "cold_by_source": cold["by_source"],
        "inat": cold["by_source"].get("inaturalist", 0),
        "warm_s": warm["measurement"]["wall_s"],
        "warm_requests": warm["total"],
        "misses": len(cold["misses"]) + len(warm["misses"]),
        "load": cold["load"],
        "prefetch": next((line for _t, line in cold["log"] if line.startswith("prefetch:")), ""),
    }
    if memory:
        out["memory"] = memory["cold"]["memory"]
    return out


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--places", default="1,3,10,30")
    ap.add_argument("--before", default="1,3", help="place counts also run on the code before the work")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    counts = [int(x) for x in args.places.split(",") if x]
    before_counts = [int(x) for x in args.before.split(",") if x]
    rows, before_rows = [], []
    for n in counts:
        r = row(n, bench_refresh.cold_and_warm(n), bench_refresh.cold_and_warm(n, memory=True))
        rows.append(r)
        mem = r["memory"]
        src = ", ".join(f"{s} {k}" for s, k in sorted(r["cold_by_source"].items()))
        print(
            f"{n:>2} place(s): cold {r['cold_s']:6.1f} s, {r['cold_requests']:3d} requests ({src}); warm "
            f"{r['warm_s']:5.1f} s, {r['warm_requests']} requests; memory peak {mem['peak_pss_mb']:.0f} MB PSS "
            f"({mem['peak_rss_mb']:.0f} MB RSS, {mem['processes']} processes); load {r['load']}"
        )
        if r["misses"]:
            print(f"    {r['misses']} request(s) had no recording")
    for n in before_counts:
        result = bench_refresh.cold_and_warm(n, before=True)
        cold = result["cold"]
        b = {"places": n, "cold_s": cold["measurement"]["wall_s"], "cold_requests": cold["total"],
             "cold_by_source": cold["by_source"], "warm_s": result["warm"]["measurement"]["wall_s"]}  # fmt: skip
        before_rows.append(b)
        src = ", ".join(f"{s} {k}" for s, k in sorted(b["cold_by_source"].items()))
        print(f"{n:>2} place(s) before: cold {b['cold_s']:6.1f} s, {b['cold_requests']:3d} requests ({src}); warm "
              f"{b['warm_s']:5.1f} s")  # fmt: skip
    if len(rows) > 1:
        first = rows[0]
        for r in rows[1:]:
            k = r["places"] / first["places"]
            print(
                f"{r['places']:>2} places against 1: x{k:.0f} places -> time x{r['cold_s'] / first['cold_s']:.1f}, "
                f"requests x{r['cold_requests'] / first['cold_requests']:.1f}, iNaturalist requests "
                f"x{r['inat'] / max(1, first['inat']):.1f}, memory x"
                f"{r['memory']['peak_pss_mb'] / first['memory']['peak_pss_mb']:.1f}"
            )
    ten = next((r for r in rows if r["places"] == 10), None)
    if ten:
        verdict = "meets" if ten["cold_s"] <= TEN_PLACES_TARGET_S else "MISSES"
        print(f"ten places cold: {ten['cold_s']:.1f} s -> {verdict} the {TEN_PLACES_TARGET_S:.0f} s target")
    print(f"places: {', '.join(p['place_name'] for p in refresh.places(max(counts)))}")
    out = {"rows": rows, "before": before_rows}
    from benchmarks import baseline

    baseline.cleanup()
    if args.json:
        harness.emit(out)
    return out


if __name__ == "__main__":
    main()
