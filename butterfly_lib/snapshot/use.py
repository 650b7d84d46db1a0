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
