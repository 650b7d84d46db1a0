"""``seed_cache``: load every response of ``data/snapshot/manifest.json`` into a request cache.

Look here when an offline run misses a request: each entry is stored under the exact cache key the real
clients produce for its URL, never expires, and keeps its ``X-Butterfly-Kind`` / ``X-Butterfly-Notice``
headers, which ``fetch`` turns into the provenance kind and notice. Seeding twice stores the same entries.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import requests

from butterfly_lib import config

MANIFEST = "manifest.json"


def snapshot_dir() -> Path:
    return config.data_dir() / "snapshot"


def default_cache_file() -> Path:
    return config.data_dir() / "cache" / "snapshot.sqlite"


def read_body(folder: Path, entry: dict) -> bytes:
    raw = (folder / entry["file"]).read_bytes()
    return gzip.decompress(raw) if entry.get("encoding") == "gzip" else raw


def seed_cache(cache_file: Path | None = None, snapshot_dir: Path | None = None) -> str:
    """Store every snapshot response in the cache at ``cache_file`` (default ``data/cache/snapshot.sqlite``).

    Returns a one-line summary. Raises ``FileNotFoundError`` naming the manifest when there is no snapshot.
    """
    from butterfly_lib.http.cache_write import save_response
    from butterfly_lib.http.session import build_session
    from butterfly_lib.snapshot.responders import INPUTS_HEADER, KIND_HEADER, NOTICE_HEADER, make_response

    folder = Path(snapshot_dir) if snapshot_dir else globals()["snapshot_dir"]()
    cache_file = Path(cache_file) if cache_file else default_cache_file()
    manifest = json.loads((folder / MANIFEST).read_text())
    session = build_session(cache_file, offline=True)
    kinds: dict[str, int] = {}
    nbytes = 0
    try:
        for entry in manifest["responses"]:
            prepared = session.prepare_request(requests.Request(entry["method"], entry["url"]))
            key = session.cache.create_key(prepared)
            body = read_body(folder, entry)
            headers = {
                "Content-Type": entry["content_type"],
                KIND_HEADER: entry["kind"],
                NOTICE_HEADER: entry["notice"],
                INPUTS_HEADER: json.dumps(entry["inputs"]),
            }
            # the strict write: a full disk or a read-only cache stops seeding with the reason, never half-silently
            save_response(session.cache, make_response(prepared, body, headers), key, None, read_only=session.read_only)
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
            nbytes += len(body)
    finally:
        session.close()
    mix = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return (
        f"seeded {sum(kinds.values())} snapshot responses ({mix}; {nbytes / 1e6:.1f} MB) as of "
        f"{manifest['as_of']} into {cache_file}"
    )
