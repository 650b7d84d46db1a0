"""Requests, wall time and memory of a cold and a warm refresh, by source and endpoint, against the API minimum.

The network is a ``ReplayServer`` answering the offline snapshot's recorded responses with 200 ms per request.
Cold: an empty cache. Warm: the cache the cold run just filled, everything still fresh (goal: zero requests).
Driver: the page notebooks through the site runner (papermill), base URLs pointed at the replay server; the same
source calls made in-process give ``REQUEST_LOG``'s view and the data the minimum is derived from. Each case
runs in its own interpreter so its memory peaks are its own.

Run: ``.venv/bin/python benchmarks/bench_refresh.py [--places N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness, refresh
from tools.snapshot_server import server_misses, snapshot_server  # noqa: E402

LATENCY = 0.2
SCRIPT = Path(__file__).resolve()


def as_of() -> str:
    from tools.snapshot import SNAPSHOT_AS_OF

    return SNAPSHOT_AS_OF.isoformat()


def notebook_case(kind: str, cache: Path, pages: Path, n_places: int, build: bool, port: int) -> dict:
    """One notebook-driven refresh (cold or warm, decided by the cache given) and optionally the site build."""
    place = refresh.places(1)[0]
    with snapshot_server(LATENCY, any_place=n_places > 1, port=port) as server:
        m, result = harness.measure(
            f"{kind} refresh, {n_places} place(s)",
            lambda: refresh.notebook_refresh(server, cache, pages, n_places=n_places, as_of=as_of()),
        )
        reqs = refresh.server_requests(server)
        misses = server_misses(server)
    out = {
        "measurement": m.__dict__,
        "requests": {
            f"{s}|{e}": n
            for (s, e), n in refresh.by_endpoint(reqs, (place["latitude"], place["longitude"])).items()
        },
        "total": len(reqs),
        "misses": misses,
        "pages": {f"{p.place}|{p.name}": round(p.seconds, 2) for p in result.pages},
    }
    if build:
        from butterfly_lib.site.fallback import build_site

        b, _ = harness.measure(f"site build (fallback), {n_places} place(s)", lambda: build_site(
            pages_dir=pages, out_dir=pages.parent / "_site", log=lambda _m: None))  # fmt: skip
        out["build"] = b.__dict__
    return out


def in_process_case() -> dict:
    """The notebooks' source calls in this process: REQUEST_LOG counts cold and warm, and the minimum."""
    place = refresh.places(1)[0]
    with tempfile.TemporaryDirectory() as tmp, snapshot_server(LATENCY) as server:
        settings = refresh.bench_settings(server, Path(tmp) / "cache.sqlite", Path(tmp) / "pages", as_of=as_of())
        cold_m, (cold, data) = harness.measure(
            "cold refresh, in-process",
            lambda: harness.count_requests(lambda: refresh.in_process_refresh(settings)),
        )
        cold_reqs = refresh.log_requests()
        warm_m, (warm, _) = harness.measure(
            "warm refresh, in-process",
            lambda: harness.count_requests(lambda: refresh.in_process_refresh(settings)),
        )
    latlon = (place["latitude"], place["longitude"])
    minimum = refresh.minimum_requests(data, data, taxa_ids=refresh.taxa_ids_asked(cold_reqs))
    return {
        "cold_measurement": cold_m.__dict__,
        "warm_measurement": warm_m.__dict__,
        "cold_by_source": cold,
        "warm_by_source": warm,
        "cold": {f"{s}|{e}": n for (s, e), n in refresh.by_endpoint(cold_reqs, latlon).items()},
        "minimum": {f"{s}|{e}": n for (s, e), n in minimum.items()},
        "facts": {
            "observations": len(data["sightings"]),
            "species_week": len(data["species_week"]),
            "species_year": len(data["species_year"]),
            "histograms": len(data["seasonality"]),
            "sighting_years": len(data["sighting_weather"]),
        },
    }


def run(n_places: int = 1, build: bool = False) -> dict:
    """Cold then warm (each in a fresh interpreter) on one cache, plus the in-process view for one place."""
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        cache, pages = Path(tmp) / "cache.sqlite", Path(tmp) / "pages"
        common = [
            "--cache",
            str(cache),
            "--pages",
            str(pages),
            "--places",
            str(n_places),
            "--port",
            str(harness.free_port()),
        ]
        cold = harness.run_isolated(SCRIPT, "--case", "cold", *common, *(["--build"] if build else []))
        warm = harness.run_isolated(SCRIPT, "--case", "warm", *common)
    return {"cold": cold, "warm": warm}


def request_table(cold: dict, warm: dict, ip: dict) -> list[str]:
    keys = sorted(set(cold["requests"]) | set(ip["minimum"]) | set(ip["cold"]))
    lines = [
        "| source | endpoint | cold (notebooks) | cold (in-process, REQUEST_LOG) | minimum | warm |",
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


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["cold", "warm", "inprocess"])
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--pages", type=Path)
    ap.add_argument("--places", type=int, default=1)
    ap.add_argument("--build", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.case in ("cold", "warm"):
        result = notebook_case(args.case, args.cache, args.pages, args.places, args.build, args.port)
        harness.emit(result)
        return result
    if args.case == "inprocess":
        result = in_process_case()
        harness.emit(result)
        return result

    runs = run(args.places)
    ip = harness.run_isolated(SCRIPT, "--case", "inprocess")
    cold, warm = runs["cold"], runs["warm"]
    print(
        f"requests per refresh of {args.places} place(s), replay server at {LATENCY * 1000:.0f} ms per request"
    )
    print("\n".join(request_table(cold, warm, ip)))
    print(f"facts: {ip['facts']}")
    for case in (cold, warm):
        print(harness.Measurement(**case["measurement"]).line())
        if case["misses"]:
            print(f"  {len(case['misses'])} request(s) had no recording, e.g. {case['misses'][0][:160]}")
    for key in ("cold_measurement", "warm_measurement"):
        print(harness.Measurement(**ip[key]).line())
    out = {"cold": cold, "warm": warm, "inprocess": ip}
    if args.json:
        harness.emit(out)
    return out


if __name__ == "__main__":
    main()
