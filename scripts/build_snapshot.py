"""Rebuild ``data/snapshot/`` from the real recordings (``make snapshot``).

With a fresh temporary cache and ``BUTTERFLY_SNAPSHOT_RECORD=1`` (the session then answers the real API hosts
from ``butterfly_lib.snapshot.responders``), this makes exactly the requests the pages make for Portland as of
``SNAPSHOT_AS_OF``: through the site runner (``butterfly run --as-of``) when it exists, otherwise by calling the
source clients the pages call. Then it exports every cached response with ``manifest.json`` and
``PROVENANCE.md``. Re-run it whenever a client's request shape changes. ``--no-runner`` forces the direct calls.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def record_with_clients(as_of: date) -> None:
    """The requests the pages make, made through the real clients."""
    from butterfly_lib.place import PORTLAND
    from butterfly_lib.sources import inaturalist as inat
    from butterfly_lib.sources.noaa.daily_summaries import noaa_daily
    from butterfly_lib.sources.open_meteo.archive import daily_through_today
    from butterfly_lib.sources.open_meteo.ensemble import ensemble
    from butterfly_lib.sources.open_meteo.forecast import forecast_daily, forecast_minutely_15
    from butterfly_lib.sources.open_meteo.points import daily_at_points

    counts = inat.species_this_week(PORTLAND, as_of)
    inat.species_this_year(PORTLAND, as_of)
    sightings = inat.sightings_this_week(PORTLAND, as_of)
    inat.week_of_year(PORTLAND)
    ids = [int(t) for t in counts["taxon_id"].dropna().head(50)]
    if ids:
        inat.taxa(ids, missing="drop")
    forecast_daily(PORTLAND)
    forecast_minutely_15(PORTLAND)
    ensemble(PORTLAND)
    daily_through_today(PORTLAND, date(as_of.year, 1, 1), as_of, today=as_of)
    noaa_daily(PORTLAND.noaa_station, date(1940, 10, 14), as_of, today=as_of)
    located = sightings.dropna(subset=["latitude", "longitude"])
    if len(located):
        for day, group in located.groupby("observed_on"):
            daily_at_points(group["latitude"], group["longitude"], day, day, today=as_of)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "snapshot")
    ap.add_argument("--no-runner", action="store_true", help="call the source clients directly")
    args = ap.parse_args()

    from butterfly_lib.snapshot import SNAPSHOT_AS_OF
    from butterfly_lib.snapshot.export import export_snapshot

    with tempfile.TemporaryDirectory(prefix="butterfly-snapshot-") as tmp:
        cache = Path(tmp) / "record.sqlite"
        env = {"BUTTERFLY_SNAPSHOT_RECORD": "1", "BUTTERFLY_CACHE": str(cache), "BUTTERFLY_OFFLINE": "0"}
        for var in [v for v in os.environ if v.endswith("_URL") and v.startswith("BUTTERFLY_")]:
            os.environ.pop(var)  # the real hosts, which the recording adapter answers
        os.environ.update(env)
        runner = not args.no_runner and importlib.util.find_spec("butterfly_lib.site") is not None
        runner = runner and importlib.util.find_spec("butterfly_lib.site.runner") is not None
        if runner:
            cmd = [sys.executable, "-m", "butterfly_lib", "run", "--as-of", SNAPSHOT_AS_OF.isoformat()]
            print("recording through the site runner:", " ".join(cmd))
            subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, **env})
        else:
            print(f"recording through the source clients for Portland as of {SNAPSHOT_AS_OF}")
            from butterfly_lib.http import reset_sessions

            reset_sessions()
            record_with_clients(SNAPSHOT_AS_OF)
            reset_sessions()
        manifest = export_snapshot(cache, args.out, SNAPSHOT_AS_OF)
    total = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    kinds = {}
    for e in manifest["responses"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print(
        f"wrote {len(manifest['responses'])} responses {kinds} to {args.out} ({total / 1e6:.2f} MB on disk)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
