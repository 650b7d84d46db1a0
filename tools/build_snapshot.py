"""Rebuild ``data/snapshot/`` from the real recordings (``make snapshot``).

Downloads the default place's observation record (keeping its pages in the cache), then runs every page builder
(``butterfly_lib.pages``) for that place as of ``SNAPSHOT_AS_OF`` on a session
whose transport for the real API hosts is ``tools.snapshot.responders.SnapshotAdapter``: the real clients make
exactly the requests the pages make, the fakes answer them from the recordings, the cache stores the answers under
the real cache keys, and ``tools.snapshot.export`` writes them with ``manifest.json`` and ``PROVENANCE.md``.
Re-run it whenever a client's request shape changes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from butterfly_lib.http.session import build_session  # noqa: E402
from butterfly_lib.pages import PAGES, open_context  # noqa: E402
from butterfly_lib.settings import load_settings  # noqa: E402
from butterfly_lib.sources.inaturalist.record import update_record  # noqa: E402
from tools.snapshot import SNAPSHOT_AS_OF  # noqa: E402
from tools.snapshot.export import export_snapshot  # noqa: E402
from tools.snapshot.responders import HOSTS, SnapshotAdapter  # noqa: E402


def record(cache_file: Path) -> dict[str, Any]:
    """Every request the pages make for the default place as of ``SNAPSHOT_AS_OF``, answered by the fakes;
    returns that place's page parameters (for the manifest).

    The observation record is downloaded first with ``keep_pages=True`` (into a throw-away folder), so its pages
    stay in the cache and go into the snapshot: offline, the record is rebuilt from them through the same code.
    The pages then find it fresh and ask nothing more of it; its effort and cell temperatures they ask themselves.
    """
    # the fakes play back what was live on SNAPSHOT_AS_OF: that day is "today" for the run
    settings = load_settings(env={}, as_of=SNAPSHOT_AS_OF, today=SNAPSHOT_AS_OF)
    settings = settings.with_(
        http=replace(settings.http, cache_file=cache_file, rate_limits=()),
        paths=replace(settings.paths, record_root=cache_file.parent / "record"),
    )
    session = build_session(settings.http)
    for host in HOSTS:
        session.mount(f"https://{host}/", SnapshotAdapter())
    try:
        ctx = open_context(settings, session=session)
        place = ctx.place
        report = update_record(place.place, settings.paths.record_dir, taxon_id=place.taxon_id, session=session,
                               keep_pages=True, progress=False)  # fmt: skip
        print(f"recorded the observation record: {report.held} observations in {report.pages} pages")
        for name in PAGES:
            importlib.import_module(f"butterfly_lib.pages.{name}").build(ctx)
            print(f"recorded the requests of the {name} page")
    finally:
        session.close()
    return ctx.place.to_parameters()


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "snapshot")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="butterfly-snapshot-") as tmp:
        cache = Path(tmp) / "record.sqlite"
        place = record(cache)
        manifest = export_snapshot(cache, args.out, SNAPSHOT_AS_OF, places=[place])
    total = sum(p.stat().st_size for p in args.out.iterdir() if p.is_file())
    kinds: dict[str, int] = {}
    for e in manifest["responses"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    print(f"wrote {len(manifest['responses'])} responses {kinds} to {args.out} ({total / 1e6:.2f} MB on disk)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
