"""Switch a process to the bundled snapshot: seed its cache when stale and set the offline environment.

Look here when a notebook or the runner goes offline. ``snapshot_environment`` seeds
``data/cache/snapshot.sqlite`` (only when ``data/snapshot/manifest.json`` is newer than it) and returns the
variables that make every fetch read it: ``BUTTERFLY_OFFLINE=1``, ``BUTTERFLY_CACHE``, ``BUTTERFLY_SNAPSHOT``
and ``BUTTERFLY_AS_OF`` (the snapshot's date, since it holds nothing else).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from butterfly_lib import config
from butterfly_lib.errors import ButterflyError
from butterfly_lib.snapshot.seed import seed_cache, snapshot_dir


def snapshot_cache_file() -> Path:
    return config.data_dir() / "cache" / "snapshot.sqlite"


def snapshot_environment(cache_file: Path | None = None, log: Callable[[str], None] = print) -> dict[str, str]:
    """Seed the snapshot cache if needed; return the environment variables of a snapshot run."""
    cache_file = Path(cache_file or snapshot_cache_file())
    manifest = Path(snapshot_dir()) / "manifest.json"
    if not manifest.exists():
        raise ButterflyError(f"no offline snapshot: {manifest} is missing (rebuild it with `make snapshot`)")
    if not cache_file.exists() or cache_file.stat().st_mtime < manifest.stat().st_mtime:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        log(seed_cache(cache_file))
    as_of = str(json.loads(manifest.read_text())["as_of"])
    return {
        "BUTTERFLY_OFFLINE": "1",
        "BUTTERFLY_CACHE": str(cache_file.resolve()),
        "BUTTERFLY_SNAPSHOT": as_of,
        "BUTTERFLY_AS_OF": as_of,
    }


def snapshot_notes() -> str:
    """``PROVENANCE.md`` of the bundled snapshot as Markdown for a page: title dropped, headings one level
    down, and the per-response table left out (it stays in the file and in ``manifest.json``)."""
    path = Path(snapshot_dir()) / "PROVENANCE.md"
    if not path.exists():
        return "No snapshot is bundled in this checkout."
    text = path.read_text(encoding="utf-8")
    text = text.split("\n## Responses", 1)[0]
    lines = [ln for ln in text.splitlines() if not ln.startswith("# ")]
    body = "\n".join(("#" + ln) if ln.startswith("## ") else ln for ln in lines).strip()
    return body + (
        "\n\nEvery response of the snapshot, with its URL, kind and notice, is listed in "
        "`data/snapshot/PROVENANCE.md` and `data/snapshot/manifest.json`."
    )
