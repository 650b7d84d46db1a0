"""Run every benchmark, print its figures, and write ``benchmarks/RESULTS.md`` (figures + the machine).

Look here for the one command behind ``make bench``. Each script runs in its own interpreter (``--json`` makes it
end with one JSON line, which feeds the summary); the text it printed goes into RESULTS.md as it was printed.
Takes about ten minutes, mostly the ten-place refreshes (sixty notebook kernels each way).

Run: ``.venv/bin/python benchmarks/run_all.py [--quick]`` (``--quick``: 1 and 3 places only)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
DD_TARGET_S = 1.0
BUILD_TARGET_S = 90.0


def run_script(name: str, *args: str) -> tuple[str, dict]:
    """Run ``benchmarks/<name> --json args``; return (printed text without the JSON line, the JSON)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(HERE / name), *args, "--json"],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines()
    data = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    text = "\n".join(ln for ln in lines if not ln.startswith("{")).strip()
    if done.returncode != 0:
        text += f"\n\n{name} FAILED (exit {done.returncode}):\n" + "\n".join(
            done.stderr.strip().splitlines()[-20:]
        )
    print(f"== {name} ({time.perf_counter() - t0:.0f} s)\n{text}\n", flush=True)
    return text, data


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED: see the profile notes"


def summary_rows(refresh: dict, build: dict, dd: dict) -> list[str]:
    rows = ["| figure | value | target |", "|---|---:|---|"]
    if refresh:
        cold, warm, ip = refresh["cold"], refresh["warm"], refresh["inprocess"]
        rows.append(
            f"| requests, cold refresh of one place | {cold['total']} | minimum {sum(ip['minimum'].values())} |"
        )
        rows.append(
            f"| requests, warm refresh (all fresh) | {warm['total']} | 0 ({verdict(warm['total'] == 0)}) |"
        )
        rows.append(
            f"| cold refresh, 6 notebooks, 200 ms/request | {cold['measurement']['wall_s']:.1f} s | |"
        )
        rows.append(f"| warm refresh, 6 notebooks | {warm['measurement']['wall_s']:.1f} s | |")
        rows.append(f"| cold / warm refresh, source calls in-process | "
                    f"{ip['cold_measurement']['wall_s']:.1f} s / {ip['warm_measurement']['wall_s']:.2f} s | |")  # fmt: skip
    if build:
        off = build["offline"]
        total = off["wall_s"] + off["extra"]["seed_s"]
        rows.append(
            f"| full offline site build (seed + 6 notebooks + fallback HTML) | {total:.1f} s | <= {BUILD_TARGET_S:.0f} s ({verdict(total <= BUILD_TARGET_S)}) |"
        )
        rows.append(f"| largest kernel peak RSS, offline build | {off['children_maxrss_mb']:.0f} MB | |")
        for name, m in build["alone"].items():
            rows.append(f"| notebook {name} alone (offline, kernel start included) | {m['wall_s']:.1f} s, "
                        f"kernel {m['children_maxrss_mb']:.0f} MB | |")  # fmt: skip
        for n, s in build["scaling"].items():
            rows.append(f"| {n} place(s): cold refresh / warm refresh / site build | {s['cold_s']:.1f} s "
                        f"({s['cold_requests']} req) / {s['warm_s']:.1f} s ({s['warm_requests']} req) / "
                        f"{s['build_s']:.1f} s | |")  # fmt: skip
    if dd:
        s = dd["summary"]
        rows.append(f"| degree days, {s['days']:,} location-days (1,000 x 30 years), single sine | {s['daily_s']:.3f} s "
                    f"| <= {DD_TARGET_S:.0f} s ({verdict(s['daily_s'] <= DD_TARGET_S)}) |")  # fmt: skip
        rows.append(
            f"| accumulation + normals, same data | {s['accumulate_normals_s']:.3f} s "
            f"| <= 2 s ({verdict(s['accumulate_normals_s'] <= 2)}) |"
        )
        rows.append(f"| vectorized vs per-day Python loop | {s['loop_ratio']:.0f}x faster | |")
        for r in dd["scaling"]:
            rows.append(f"| degree days, {r['locations']:,} locations x 30 years | {r['daily_s']:.4f} s + "
                        f"{r['accumulate_normals_s']:.4f} s | |")  # fmt: skip
    return rows


def emergence_rows(em: dict) -> list[str]:
    """Summary rows of ``bench_emergence.py`` (a non-Portland place: first build and the next day's refresh)."""
    if not em:
        return []
    rows = []
    for label, what in (("first_build", "first build"), ("next_day", "next day's refresh")):
        r, m = em[label], em["minimum"][label]
        rows.append(f"| requests, emergence science of {em['place']}, {what} | {r['total']} ({r['seconds']:.0f} s) "
                    f"| minimum {sum(m.values())} ({verdict(r['total'] <= sum(m.values()))}) |")  # fmt: skip
    rows.append(f"| requests, emergence science, warm rerun the same day | {em['warm_rerun']['total']} | 0 "
                f"({verdict(em['warm_rerun']['total'] == 0)}) |")  # fmt: skip
    return rows


def over_minimum(refresh: dict) -> list[str]:
    """Endpoints where the cold refresh asked more than the minimum, with the known reason."""
    if not refresh:
        return []
    reasons = {
        "archive: sighting cells": "the sightings map asks one archive request per sighting year (each a few "
        "weeks long) instead of one request spanning every year at once: more requests, far fewer "
        "location-days (Open-Meteo weighs a request by locations x days x variables)",
        "observations": "more pages than one per month of the window",
        "archive: record cells (ERA5-Land)": "the cells are asked per season and month of last sighting, to keep "
        "Open-Meteo's request weight (locations x days) low, not the request count",
        "species_counts": "more pages than one per month of the window",
    }
    cold, minimum = refresh["cold"]["requests"], refresh["inprocess"]["minimum"]
    out = []
    for key in sorted(set(cold) | set(minimum)):
        got, least = cold.get(key, 0), minimum.get(key, 0)
        if got != least:
            source, endpoint = key.split("|")
            why = reasons.get(endpoint, "")
            out.append(
                f"- {source} {endpoint}: {got} requests, minimum {least}" + (f" ({why})" if why else "")
            )
    return out or ["- none: every endpoint is at the minimum"]


MINIMUM_NOTE = (
    "The minimum: one archive request for the place's whole history, one NOAA request for the station's "
    "whole record, one daily forecast, one 15-minute forecast, one ensemble; per month the all-years "
    "week window touches (iNaturalist's month and day filters combine as a cross product), ceil(n/200) "
    "observation pages and ceil(k/500) species-count pages, plus ceil(k/500) for this year; one "
    "week-of-year histogram per taxon the species page shows (the endpoint takes one taxon); ceil(ids/30) "
    "taxa lookups; ceil(cells/100) archive requests for the weather at every sighting cell over one span; "
    "for the emergence science ceil(n/200) pages of the place's record, one observer-effort histogram per "
    "season it holds, and its ERA5-Land cells' requests as planned."
)


def write_results(
    sections: list[tuple[str, str]], rows: list[str], machine: dict, seconds: float, over: list[str]
) -> None:
    parts = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`benchmarks/run_all.py`) on {machine['date']} in {seconds / 60:.1f} min.",
        "",
        f"Machine: {machine['cpu_count']} CPUs, {machine['cpu_model']}, {machine['memory']} RAM; "
        f"Python {machine['python']}; {machine['platform']}.",
        "",
        "How the figures are made: a refresh is driven by running the page notebooks through the site runner "
        "(`butterfly_lib.site.runner.run_pages`, papermill kernels) with every base URL pointed at a "
        "`ReplayServer(latency=0.2)` that answers the offline snapshot's recorded responses "
        "(`data/snapshot/manifest.json`); requests are counted where they arrive. The same source calls made "
        "in-process give `REQUEST_LOG`'s count (it must agree) and the data the minimum is derived from. Cold: empty "
        "cache; warm: the cold run's cache, everything fresh. Only Portland has snapshot data: the 3- and 10-place "
        "figures are refreshes against the replay server, nearby places answered with Portland's recordings. "
        "Memory: `parent traced peak` = tracemalloc peak of the parent's Python allocations during the block; "
        "`max RSS` = `ru_maxrss` of the parent and (RUSAGE_CHILDREN) of the largest papermill kernel. Every case "
        "runs in a fresh interpreter.",
        "",
        "## Summary",
        "",
        *rows,
        "",
        "## Requests above the minimum",
        "",
        MINIMUM_NOTE,
        "",
        *over,
        "",
    ]
    for title, text in sections:
        parts += [f"## {title}", "", "```text", text, "```", ""]
    RESULTS.write_text("\n".join(parts) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1 and 3 places only")
    args = ap.parse_args()
    t0 = time.perf_counter()
    machine = harness.machine()
    print(f"machine: {machine}\n", flush=True)
    refresh_text, refresh = run_script("bench_refresh.py")
    build_text, build = run_script("bench_build.py", "--places", "1,3" if args.quick else "1,3,10")
    dd_text, dd = run_script("bench_degree_days.py")
    em_text, em = run_script("bench_emergence.py")
    rows = summary_rows(refresh, build, dd) + emergence_rows(em)
    over = over_minimum(refresh)
    print("\n".join(rows + [""] + over))
    write_results(
        [
            ("Requests per refresh (one place)", refresh_text),
            ("Build times, memory, places", build_text),
            ("Degree days", dd_text),
            ("Emergence science of a place that is not Portland", em_text),
        ],
        rows,
        machine,
        time.perf_counter() - t0,
        over,
    )
    print(f"\nwrote {RESULTS.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
