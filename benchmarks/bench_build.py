"""The full offline site build of one place: its time, its memory, and whether its data files are as before.

Offline build: what ``butterfly site --offline`` does after its imports (seed the snapshot cache, run every page
notebook through the runner, build ``_site`` with the nbconvert fallback, as Quarto is not installed here), into
temporary folders so the checkout's ``pages/`` and ``_site/`` are untouched. Time: ``RUNS`` runs with nothing
watching, each in a fresh interpreter (the median is the figure; the machine is shared, its load average is
printed). Memory: one more run, sampled (``harness.measure_memory``: this process and its kernel). Output: the
data files of every run compared with the fingerprints of the build made before the offline-speed work
(``benchmarks/outputs.py``, ``reference_outputs.json``). "Before": the same case on the code before that work
(``BEFORE``, run by ``benchmarks/baseline.py``): main with issue 17's prefetch and issue 14's cards in, so the
reference has the cards and ``run.json`` of today's format (issue 17's own "before", ``baseline.BASELINE``,
predates both).

Run: ``.venv/bin/python benchmarks/bench_build.py [--runs 3] [--no-before]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import harness  # noqa: E402

SCRIPT = Path(__file__).resolve()
TARGET_S = 12.0
MEMORY_TARGET_MB = 400.0
RUNS = 3
#: the code before the offline-speed work (main as this branch started from)
BEFORE = "c31556d"


def offline_case(memory: bool) -> dict:
    from dataclasses import replace

    from benchmarks import outputs
    from butterfly_lib.settings import load_settings
    from butterfly_lib.site.fallback import build_site
    from butterfly_lib.site.modes import choose_mode
    from butterfly_lib.site.runner import run_pages

    quiet = lambda _m: None  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        pages = Path(tmp) / "pages"
        settings = load_settings(env={}, offline=True)
        settings = settings.with_(
            paths=replace(settings.paths, pages_dir=pages),
            http=replace(settings.http, cache_file=Path(tmp) / "snapshot.sqlite"),
        )
        seconds: dict[str, float] = {}

        def everything() -> None:
            import time

            t0 = time.perf_counter()
            choice = choose_mode(settings, log=quiet)
            t1 = time.perf_counter()
            run_pages(choice, log=quiet)
            t2 = time.perf_counter()
            build_site(pages_dir=pages, out_dir=Path(tmp) / "_site", log=quiet)
            seconds.update(seed=t1 - t0, pages=t2 - t1, html=time.perf_counter() - t2)

        if memory:
            mem, _ = harness.measure_memory("full offline site build", everything)
            out: dict = {"memory": mem.__dict__}
        else:
            m, _ = harness.measure("full offline site build", everything)
            out = {"measurement": m.__dict__}
        out["parts"] = {k: round(v, 2) for k, v in seconds.items()}
        out["compare"] = outputs.compare(pages) if outputs.REFERENCE.exists() else []
        out["fingerprint"] = outputs.fingerprint(pages)
        out["load"] = harness.load()
    return out


def runs(n: int, before: bool) -> list[dict]:
    from benchmarks import baseline

    if before:
        return [baseline.run_case(SCRIPT.name, "--case", "offline", commit=BEFORE) for _ in range(n)]
    return [harness.run_isolated(SCRIPT, "--case", "offline") for _ in range(n)]


def describe(label: str, rs: list[dict]) -> tuple[float, str]:
    walls = [r["measurement"]["wall_s"] for r in rs]
    med = statistics.median(walls)
    parts = rs[walls.index(sorted(walls)[len(walls) // 2])]["parts"]
    line = (
        f"{label}: median {med:.1f} s of {len(walls)} runs ({', '.join(f'{w:.1f}' for w in walls)} s; load "
        f"{rs[-1]['load']}); median run: seed {parts['seed']:.2f} s, pages {parts['pages']:.1f} s, "
        f"HTML {parts['html']:.1f} s"
    )
    return med, line


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["offline"])
    ap.add_argument("--memory", action="store_true")
    ap.add_argument("--runs", type=int, default=RUNS)
    ap.add_argument("--no-before", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.case:
        out = offline_case(args.memory)
        harness.emit(out)
        return out

    from benchmarks import baseline, outputs

    after = runs(args.runs, before=False)
    memory = harness.run_isolated(SCRIPT, "--case", "offline", "--memory")
    med, line = describe("full offline build of one place (seed + 6 notebooks + HTML), now", after)
    verdict = "meets" if med <= TARGET_S else "MISSES"
    print(f"{line}  -> {verdict} the {TARGET_S:.0f} s target")
    out: dict = {"after": after, "memory": memory, "median_s": med}
    if not args.no_before:
        before = runs(args.runs, before=True)
        bmed, bline = describe(f"the same before (code of {BEFORE})", before)
        bmem = baseline.run_case(SCRIPT.name, "--case", "offline", "--memory", commit=BEFORE)
        print(bline)
        out.update(before=before, before_median_s=bmed, before_memory=bmem, before_commit=BEFORE)
    mem = memory["memory"]
    mverdict = "under" if mem["peak_pss_mb"] <= MEMORY_TARGET_MB else "OVER"
    print(
        f"memory (own run): peak {mem['peak_pss_mb']:.0f} MB PSS / {mem['peak_rss_mb']:.0f} MB RSS summed over "
        f"{mem['processes']} processes (runner + kernel); largest {mem['largest_rss_mb']:.0f} MB RSS -> {mverdict} "
        f"{MEMORY_TARGET_MB:.0f} MB"
    )
    if "before_memory" in out:
        bm = out["before_memory"]["memory"]
        print(f"memory before: peak {bm['peak_pss_mb']:.0f} MB PSS / {bm['peak_rss_mb']:.0f} MB RSS over "
              f"{bm['processes']} processes")  # fmt: skip
    if "before" in out:  # the reference is the build of the code before the work, made in this run
        outputs.write_reference(out["before"][0]["fingerprint"], made_by=f"commit {BEFORE}")
        for r in after:
            r["compare"] = outputs.compare_fingerprints(r["fingerprint"], out["before"][0]["fingerprint"])
    differ = [ln for r in after for ln in r["compare"] if not ln.startswith("same")]
    print(f"data files of each run against the build before the work ({len(after[0]['compare'])} files, "
          f"benchmarks/reference_outputs.json): " + ("all identical" if not differ else f"{len(differ)} differ"))  # fmt: skip
    for ln in after[0]["compare"]:
        print(f"  {ln}")
    out["identical"] = not differ
    baseline.cleanup()
    if args.json:
        harness.emit(out)
    return out


if __name__ == "__main__":
    main()
