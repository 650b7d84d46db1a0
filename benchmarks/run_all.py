"""Run every benchmark, print its figures, and write ``benchmarks/RESULTS.md`` (the figures, the machine, its load).

Look here for the one command behind ``make bench``. Each script runs in its own interpreter (``--json`` makes it
end with one JSON line, which feeds the summary); the text it printed goes into RESULTS.md as it was printed.
Takes about 25 minutes on this project's machine, most of it the 10- and 30-place refreshes (each run twice:
once timed, once for memory) and the runs of the code before the work.

Run: ``.venv/bin/python benchmarks/run_all.py [--quick]`` (``--quick``: 1 and 3 places, the code before the work run for the build only)
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
BUILD_TARGET_S = 12.0
REFRESH_RATIO = 1.2
TEN_PLACES_S = 60.0
MEMORY_MB = 400.0


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
    return "met" if ok else "**missed**"


def summary_rows(refresh: dict, build: dict, places: dict, dd: dict, record: dict) -> list[str]:
    rows = ["| figure | now | before | target |", "|---|---:|---:|---|"]
    if refresh:
        s = refresh["summary"]
        before = f"{s['before_cold_s']:.1f} s ({s['before_cold_total']} req)" if "before_cold_s" in s else ""
        rows.append(
            f"| cold refresh, one place (requests) | {s['cold_s']:.1f} s ({s['cold_total']} req) | {before} | |"
        )
        rows.append(
            f"| ... against iNaturalist's floor: {s['inat_minimum']} requests at 1/s = {s['floor_minimum_s']:.1f} s "
            f"(the pages' {s['inat_pages']}: {s['floor_pages_s']:.1f} s) | {s['ratio_minimum']:.2f}x "
            f"({s['ratio_pages']:.2f}x) | | <= {REFRESH_RATIO}x ({verdict(s['ratio_minimum'] <= REFRESH_RATIO)} against "
            f"the minimum's floor; {verdict(s['ratio_pages'] <= REFRESH_RATIO)} against the pages') |"
        )
        if "floor_s" in s:
            rows.append(
                f"| ... against the run's floor: the larger of iNaturalist's and Open-Meteo's (the record's cells, "
                f"{s['cells_weight']:.0f} weighted calls at 540 a minute: {s['floor_open_meteo_s']:.0f} s) = "
                f"{s['floor_s']:.1f} s | {s['ratio_floor']:.2f}x | | <= {REFRESH_RATIO}x "
                f"({verdict(s['ratio_floor'] <= REFRESH_RATIO)}) |"
            )
        warm_before = f"{s['before_warm_s']:.1f} s" if "before_warm_s" in s else ""
        rows.append(f"| warm refresh, one place (requests) | {s['warm_s']:.1f} s ({s['warm_total']} req) | {warm_before} "
                    f"| 0 requests ({verdict(s['warm_total'] == 0)}) |")  # fmt: skip
        rows.append(f"| requests of a cold refresh / the minimum | {s['cold_total']} / {s['minimum_total']} | | every "
                    "request above the minimum has its reason (below) |")  # fmt: skip
        gap = s["inat_min_gap_s"]
        rows.append(f"| iNaturalist requests at the server, closest two | {gap:.2f} s apart | | >= 1 request/s limit "
                    f"applied ({verdict(gap >= 0.95)}) |")  # fmt: skip
    if build:
        b = build
        before = f"{b['before_median_s']:.1f} s" if "before_median_s" in b else ""
        rows.append(
            f"| full offline build, one place (seed + 6 notebooks + HTML), median of runs (before: main before the "
            f"offline-speed work, {b.get('before_commit', '')}) | {b['median_s']:.1f} s | "
            f"{before} | <= {BUILD_TARGET_S:.0f} s ({verdict(b['median_s'] <= BUILD_TARGET_S)}) |"
        )
        rows.append(f"| its data files against the build before the work | "
                    f"{'identical' if b['identical'] else 'DIFFERENT'} | | identical ({verdict(b['identical'])}) |")  # fmt: skip
        m = b["memory"]["memory"]
        bm = f"{b['before_memory']['memory']['peak_pss_mb']:.0f} MB" if "before_memory" in b else ""
        rows.append(f"| peak memory of the offline build (runner + kernel, PSS) | {m['peak_pss_mb']:.0f} MB | {bm} "
                    f"| < {MEMORY_MB:.0f} MB ({verdict(m['peak_pss_mb'] < MEMORY_MB)}) |")  # fmt: skip
    if places:
        before = {r["places"]: r for r in places.get("before", [])}
        for r in places["rows"]:
            b = before.get(r["places"])
            bt = f"{b['cold_s']:.0f} s ({b['cold_requests']} req)" if b else ""
            target = ""
            if r["places"] == 10:
                target = f"<= {TEN_PLACES_S:.0f} s ({verdict(r['cold_s'] <= TEN_PLACES_S)})"
            rows.append(f"| {r['places']} place(s): cold refresh (requests; iNaturalist) | {r['cold_s']:.0f} s "
                        f"({r['cold_requests']}; {r['inat']}) | {bt} | {target} |")  # fmt: skip
        mems = [(r["places"], r["memory"]["peak_pss_mb"]) for r in places["rows"]]
        sub = all(m2 / m1 < n2 / n1 for (n1, m1), (n2, m2) in zip(mems, mems[1:], strict=False))
        rows.append(f"| peak memory of a cold refresh, {' / '.join(str(n) for n, _ in mems)} places (PSS) | "
                    f"{' / '.join(f'{m:.0f}' for _, m in mems)} MB | | grows less than linearly ({verdict(sub)}) |")  # fmt: skip
    if dd:
        s, m = dd["summary"], dd["methods"]
        rows.append(f"| single sine, {s['days']:,} location-days (1,000 x 30 years) | {s['daily_s']:.3f} s | "
                    f"| <= {DD_TARGET_S:.0f} s ({verdict(s['daily_s'] <= DD_TARGET_S)}) |")  # fmt: skip
        rows.append(f"| accumulation + normals, same data (single sine) | {s['accumulate_normals_s']:.3f} s | | <= 2 s "
                    f"({verdict(s['accumulate_normals_s'] <= 2)}) |")  # fmt: skip
        rows.append(f"| modified average (the site's rule): site / plain numpy float32 | "
                    f"{m['site_modified_average_s']:.3f} s / {m['plain_numpy_float32_s']:.3f} s = "
                    f"{m['ratio_site_plain']:.2f}x | | <= 1.5x ({verdict(m['ratio_site_plain'] <= 1.5)}) |")  # fmt: skip
        rows.append(f"| modified average, the earlier planner's per-day function (extrapolated) | "
                    f"{m['upstream_per_day_s']:.2f} s | | |")  # fmt: skip
    if record:
        b, d = record["first_build"], record["daily_refresh"]
        rows.append(f"| observation record of {record['n']:,} observations: first build | {b['seconds']:.0f} s, "
                    f"{b['requests']} requests | | floor {record['floor_requests']} requests, "
                    f"{record['floor_seconds']:.0f} s |")  # fmt: skip
        rows.append(f"| observation record: daily refresh | {d['seconds']:.1f} s, {d['requests']} requests | | "
                    "floor 3 requests |")  # fmt: skip
    return rows


def emergence_rows(em: dict) -> list[str]:
    """Summary rows of ``bench_emergence.py`` (a non-Portland place: first build and the next day's refresh)."""
    if not em:
        return []
    rows = []
    for label, what in (("first_build", "first build"), ("next_day", "next day's refresh")):
        r, m = em[label], em["minimum"][label]
        rows.append(f"| requests, emergence science of {em['place']}, {what} | {r['total']} ({r['seconds']:.0f} s) "
                    f"| | minimum {sum(m.values())} ({verdict(r['total'] <= sum(m.values()))}) |")  # fmt: skip
    rows.append(f"| requests, emergence science, warm rerun the same day | {em['warm_rerun']['total']} | | 0 "
                f"({verdict(em['warm_rerun']['total'] == 0)}) |")  # fmt: skip
    return rows


def write_results(sections: list[tuple[str, str]], rows: list[str], machine: dict, seconds: float) -> None:
    parts = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`benchmarks/run_all.py`) on {machine['date']} in {seconds / 60:.1f} min.",
        "",
        f"Machine: {machine['cpu_count']} CPUs, {machine['cpu_model']}, {machine['memory']} RAM; "
        f"Python {machine['python']}; {machine['platform']}. Load average at the start (1 / 5 / 15 min): "
        f"{machine['load']}; this machine is shared, so each section prints the load it ran under.",
        "",
        "How the figures are made. Refreshes: the site runner (`run_pages`: the prefetch, then the page notebooks "
        "in Jupyter kernels) against a `ReplayServer` that answers the offline snapshot's recorded responses with "
        "200 ms per request, the real rate limits on (iNaturalist one request a second, keyed by source, so the "
        "replay server is limited like the API; the record's ERA5-Land cells paced under Open-Meteo's free weight of "
        "600 weighted calls a minute, at 540, by one budget for the run); requests are counted where they arrive. Time is measured with "
        "nothing watching (no tracemalloc); memory in separate runs that sample the runner and its kernels (PSS: "
        'shared pages counted once). Every case runs in a fresh interpreter. "Before" is the same benchmark '
        "code driving the code before this work (main as merged, `baseline.BASELINE`, `benchmarks/baseline.py`). Only Portland has "
        "snapshot data: more places are the towns around it, answered from Portland's recordings.",
        "",
        "## Summary",
        "",
        *rows,
        "",
    ]
    for title, text in sections:
        parts += [f"## {title}", "", "```text", text, "```", ""]
    RESULTS.write_text("\n".join(parts) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--quick", action="store_true", help="1 and 3 places; the code before the work run for the build only"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    machine = {**harness.machine(), "load": harness.load()}
    print(f"machine: {machine}\n", flush=True)
    no_before = ["--no-before"] if args.quick else []
    refresh_text, refresh = run_script("bench_refresh.py", *no_before)
    build_text, build = run_script("bench_build.py")  # always beside the code before: the output comparison
    places_text, places = run_script(
        "bench_places.py",
        "--places",
        "1,3" if args.quick else "1,3,10,30",
        "--before",
        "" if args.quick else "1,3",
    )
    dd_text, dd = run_script("bench_degree_days.py")
    record_text, record = run_script("bench_record.py")
    em_text, em = run_script("bench_emergence.py")
    rows = summary_rows(refresh, build, places, dd, record) + emergence_rows(em)
    print("\n".join(rows))
    write_results(
        [
            ("One place: requests, minimum, time, memory", refresh_text),
            ("Offline build: time, memory, output", build_text),
            ("Places: 1, 3, 10, 30", places_text),
            ("Degree days: which method, how fast", dd_text),
            ("The observation record", record_text),
            ("Emergence science of a place that is not Portland", em_text),
        ],
        rows,
        machine,
        time.perf_counter() - t0,
    )
    from benchmarks import baseline

    baseline.cleanup()
    print(f"\nwrote {RESULTS.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
