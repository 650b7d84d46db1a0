"""A refresh of one place: its requests against the fewest the APIs allow, and its time against iNaturalist's floor.

The network is a ``ReplayServer`` answering the offline snapshot's recorded responses with 200 ms per request,
and the real limits apply: the rate limiter is keyed by source, so the replay server standing in for
iNaturalist gets one request a second, like the API (the arrival times at the server show it). Cold: an empty
cache. Warm: the cache the cold run just filled, everything still fresh (goal: zero requests). Driver: the
site runner (``run_pages``: the prefetch, then the page notebooks in a kernel). Time is measured with nothing
watching; memory in a run of its own. Each case runs in a fresh interpreter; "before" runs the same case
against the code before the performance work (``benchmarks/baseline.py``).

The minimum is derived from the data the pages asked for (the same builders run in-process), endpoint by
endpoint with its rule (``refresh.MINIMUM_RULES``); every request above it is listed with its reason
(``refresh.ABOVE_MINIMUM``). iNaturalist's floor is the time its minimum takes at one request a second:
``(n - 1) s + 0.2 s`` for ``n`` requests, the first sent at once and the last answered 200 ms later.

Run: ``.venv/bin/python benchmarks/bench_refresh.py [--no-before]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import baseline, harness, refresh  # noqa: E402
from tools.snapshot_server import server_misses, snapshot_server  # noqa: E402

LATENCY = 0.2
INAT_INTERVAL = 1.0
TARGET_RATIO = 1.2
SCRIPT = Path(__file__).resolve()


def as_of() -> str:
    from tools.snapshot import SNAPSHOT_AS_OF

    return SNAPSHOT_AS_OF.isoformat()


def floor_seconds(n_requests: int) -> float:
    """Time ``n_requests`` iNaturalist requests take at one a second with 200 ms latency."""
    return max(0, n_requests - 1) * INAT_INTERVAL + LATENCY if n_requests else 0.0


def open_meteo_floor_seconds(weight: float) -> float:
    """Least time Open-Meteo's free limit allows for ``weight`` weighted calls of the record's cells, as the cells'
    budget paces them (540 a minute, 90 % of the free 600): what passes a minute's share waits for the minute."""
    from butterfly_lib.sources.open_meteo.cells import WeightBudget

    per_minute = WeightBudget().per_minute
    return 60.0 * max(0, math.ceil(weight / per_minute) - 1)


def refresh_case(
    kind: str, cache: Path, pages: Path, n_places: int, port: int, memory: bool
) -> dict[str, Any]:
    """One notebook-driven refresh (cold or warm, decided by the cache given), timed or watched for memory."""
    lines: list[tuple[float, str]] = []
    t0 = time.perf_counter()

    def log(message: str) -> None:
        lines.append((round(time.perf_counter() - t0, 2), message.splitlines()[0][:160]))

    with snapshot_server(LATENCY, any_place=n_places > 1, port=port) as server:

        def run() -> Any:
            nonlocal t0
            t0 = time.perf_counter()
            return refresh.notebook_refresh(server, cache, pages, n_places=n_places, as_of=as_of(), log=log)

        label = f"{kind} refresh, {n_places} place(s)"
        if memory:
            mem, result = harness.measure_memory(label, run)
            out: dict[str, Any] = {"memory": mem.__dict__}
        else:
            m, result = harness.measure(label, run)
            out = {"measurement": m.__dict__}
        reqs = refresh.server_requests(server)
        arrivals = [r.at for r in server.requests if r.path.startswith("/inaturalist")]
        first = server.requests[0].at if server.requests else 0.0
        out.update(
            requests={f"{s}|{e}": n for (s, e), n in refresh.by_endpoint(reqs).items()},
            by_source=harness.server_counts(server),
            total=len(reqs),
            misses=server_misses(server),
            inat_gaps=[round(b - a, 3) for a, b in zip(arrivals, arrivals[1:], strict=False)],
            inat_span=round(arrivals[-1] - arrivals[0], 2) if len(arrivals) > 1 else 0.0,
            inat_first=round(arrivals[0] - first, 2) if arrivals else None,
            pages={f"{p.place}|{p.name}": round(p.seconds, 2) for p in result.pages},
            log=lines,
            load=harness.load(),
        )
    return out


def in_process_case() -> dict:
    """The pages' builders in this process: what they asked (``REQUEST_LOG``) and the data the minimum rests on."""
    place = refresh.places(1)[0]
    with tempfile.TemporaryDirectory() as tmp, snapshot_server(0.0) as server:
        settings = refresh.bench_settings(
            server, Path(tmp) / "cache.sqlite", Path(tmp) / "pages", as_of=as_of()
        )
        from dataclasses import replace

        settings = settings.with_(http=replace(settings.http, rate_limits=()))  # counting, not timing
        cold, data = harness.count_requests(lambda: refresh.in_process_refresh(settings))
        cold_reqs = refresh.log_requests()
    latlon = (place["latitude"], place["longitude"])
    minimum = refresh.minimum_requests(data, data, taxa_ids=refresh.taxa_ids_asked(cold_reqs))
    return {
        "cold": {f"{s}|{e}": n for (s, e), n in refresh.by_endpoint(cold_reqs, latlon).items()},
        "minimum": {f"{s}|{e}": n for (s, e), n in minimum.items()},
        "facts": {
            "observations": len(data["sightings"]),
            "species_week": len(data["species_week"]),
            "species_year": len(data["species_year"]),
            "histograms": len(data["seasonality"]),
            "sighting_years": len(data["sighting_weather"]),
            "cells_weight": round(data["cells_weight"], 1),
        },
    }


def cold_and_warm(n_places: int, *, memory: bool = False, before: bool = False) -> dict[str, Any]:
    """A cold refresh, then a warm one on its cache, each in a fresh interpreter (``before``: the old code)."""
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        common = ["--cache", str(Path(tmp) / "cache.sqlite"), "--pages", str(Path(tmp) / "pages"),
                  "--places", str(n_places), "--port", str(harness.free_port())]  # fmt: skip
        mem = ["--memory"] if memory else []
        if before:
            cold = baseline.run_case(SCRIPT.name, "--case", "cold", *common, *mem)
            warm = baseline.run_case(SCRIPT.name, "--case", "warm", *common, *mem) if not memory else {}
        else:
            cold = harness.run_isolated(SCRIPT, "--case", "cold", *common, *mem)
            warm = harness.run_isolated(SCRIPT, "--case", "warm", *common, *mem) if not memory else {}
    return {"cold": cold, "warm": warm}


def request_table(cold: dict, warm: dict, ip: dict) -> list[str]:
    keys = sorted(set(cold["requests"]) | set(ip["minimum"]) | set(ip["cold"]))
    lines = [
        "| source | endpoint | cold refresh (at the server) | builders in-process (REQUEST_LOG) | minimum | warm |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for k in keys:
        s, e = k.split("|")
        lines.append(
            f"| {s} | {e} | {cold['requests'].get(k, 0)} | {ip['cold'].get(k, 0)} | {ip['minimum'].get(k, 0)} "
            f"| {warm['requests'].get(k, 0)} |"
        )
    lines.append(
        f"| **total** | | **{cold['total']}** | **{sum(ip['cold'].values())}** | **{sum(ip['minimum'].values())}** "
        f"| **{warm['total']}** |"
    )
    return lines


def minimum_lines(ip: dict) -> list[str]:
    """The minimum per source, with its reason."""
    by_source: dict[str, int] = {}
    for k, n in ip["minimum"].items():
        by_source[k.split("|")[0]] = by_source.get(k.split("|")[0], 0) + n
    out = [
        f"minimum {sum(by_source.values())} requests: "
        + ", ".join(f"{s} {n}" for s, n in sorted(by_source.items()))
    ]
    for (s, e), why in refresh.MINIMUM_RULES.items():
        out.append(f"  {s} {e}: {ip['minimum'].get(f'{s}|{e}', 0)} ({why})")
    return out


def above_lines(cold: dict, ip: dict) -> list[str]:
    """Every endpoint where the cold refresh asked more than the minimum, with the reason."""
    out = []
    for key in sorted(set(cold["requests"]) | set(ip["minimum"])):
        got, least = cold["requests"].get(key, 0), ip["minimum"].get(key, 0)
        if got != least:
            s, e = key.split("|")
            why = refresh.ABOVE_MINIMUM.get((s, e), "no reason known: look into it")
            out.append(f"- {s} {e}: {got} requests, minimum {least}, {got - least:+d}: {why}")
    return (out or ["- none: every endpoint is at the minimum"]) + [f"- live runs: {refresh.LIVE_NOTE}"]


def inat_count(requests: dict[str, int]) -> int:
    return sum(n for k, n in requests.items() if k.startswith("inaturalist|"))


def summary(after: dict, before: dict | None, ip: dict, memory: dict | None) -> dict[str, Any]:
    cold, warm = after["cold"], after["warm"]
    inat_min = inat_count(ip["minimum"])
    inat_pages = inat_count(cold["requests"])
    gaps = cold["inat_gaps"]
    out = {
        "cold_s": cold["measurement"]["wall_s"],
        "warm_s": warm["measurement"]["wall_s"],
        "cold_total": cold["total"],
        "warm_total": warm["total"],
        "minimum_total": sum(ip["minimum"].values()),
        "inat_minimum": inat_min,
        "inat_pages": inat_pages,
        "floor_minimum_s": floor_seconds(inat_min),
        "floor_pages_s": floor_seconds(inat_pages),
        "inat_min_gap_s": min(gaps) if gaps else None,
        "inat_median_gap_s": statistics.median(gaps) if gaps else None,
        "load": cold["load"],
    }
    out["cells_weight"] = ip["facts"].get("cells_weight", 0.0)
    out["floor_open_meteo_s"] = open_meteo_floor_seconds(out["cells_weight"])
    out["floor_s"] = max(out["floor_minimum_s"], out["floor_open_meteo_s"])
    out["ratio_floor"] = out["cold_s"] / out["floor_s"]
    out["ratio_minimum"] = out["cold_s"] / out["floor_minimum_s"]
    out["ratio_pages"] = out["cold_s"] / out["floor_pages_s"]
    if before:
        out["before_cold_s"] = before["cold"]["measurement"]["wall_s"]
        out["before_warm_s"] = before["warm"]["measurement"]["wall_s"]
        out["before_cold_total"] = before["cold"]["total"]
    if memory:
        out["memory"] = memory["cold"]["memory"]
    return out


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["cold", "warm", "inprocess"])
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--pages", type=Path)
    ap.add_argument("--places", type=int, default=1)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--no-before", action="store_true", help="skip the runs of the code before the work")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.case in ("cold", "warm"):
        result = refresh_case(args.case, args.cache, args.pages, args.places, args.port, args.memory)
        harness.emit(result)
        return result
    if args.case == "inprocess":
        result = in_process_case()
        harness.emit(result)
        return result

    after = cold_and_warm(1)
    before = None if args.no_before else cold_and_warm(1, before=True)
    memory = cold_and_warm(1, memory=True)
    ip = harness.run_isolated(SCRIPT, "--case", "inprocess")
    cold, warm = after["cold"], after["warm"]
    s = summary(after, before, ip, memory)
    print(f"one place, replay server at {LATENCY * 1000:.0f} ms a request, iNaturalist limited to one request a "
          f"second (load average {s['load']})")  # fmt: skip
    print("\n".join(request_table(cold, warm, ip)))
    print(f"facts: {ip['facts']}")
    print("\n".join(minimum_lines(ip)))
    print("requests above the minimum:")
    print("\n".join(above_lines(cold, ip)))
    print(
        f"iNaturalist: {s['inat_pages']} requests arrived at the server {s['inat_min_gap_s']:.2f} s apart at least "
        f"(median {s['inat_median_gap_s']:.2f} s): the limit of one a second holds"
    )
    print(
        f"cold refresh {s['cold_s']:.1f} s, warm {s['warm_s']:.1f} s ({s['warm_total']} requests); iNaturalist floor "
        f"{s['floor_minimum_s']:.1f} s for the minimum's {s['inat_minimum']} requests ({s['ratio_minimum']:.2f}x), "
        f"{s['floor_pages_s']:.1f} s for the {s['inat_pages']} the pages ask ({s['ratio_pages']:.2f}x); "
        f"target {TARGET_RATIO}x"
    )
    print(
        f"Open-Meteo's floor: the record's cells weigh {s['cells_weight']:.0f} weighted calls, paced at 540 a minute "
        f"(90 % of the free 600): {s['floor_open_meteo_s']:.0f} s; the run's floor is the larger of the two, "
        f"{s['floor_s']:.1f} s: cold refresh {s['ratio_floor']:.2f}x of it"
    )
    if before:
        print(
            f"before (code of {baseline.BASELINE}): cold {s['before_cold_s']:.1f} s "
            f"({s['before_cold_total']} requests), warm {s['before_warm_s']:.1f} s"
        )
    mem = s["memory"]
    print(f"memory of a cold refresh (own run): peak {mem['peak_pss_mb']:.0f} MB PSS, {mem['peak_rss_mb']:.0f} MB RSS "
          f"over {mem['processes']} processes; largest {mem['largest_rss_mb']:.0f} MB")  # fmt: skip
    print("timeline of the cold refresh (seconds from the start of run_pages):")
    for t, line in cold["log"]:
        if "..." not in line:
            print(f"  {t:6.2f}  {line}")
    if cold["misses"]:
        print(f"  {len(cold['misses'])} request(s) had no recording, e.g. {cold['misses'][0][:160]}")
    out = {"after": after, "before": before, "memory": memory, "inprocess": ip, "summary": s}
    baseline.cleanup()
    if args.json:
        harness.emit(out)
    return out


if __name__ == "__main__":
    main()
