"""What the request cache holds: entries by source, expired entries, size; clearing it.

Look here for ``butterfly cache``. Sources are recognised by the host (or replay-server path) of each URL.
Clearing works only on a cache opened for writing: a read-only cache (a read-only file or filesystem) is refused
with a message, never half-cleared or deleted. Entries that fail today's checks are found and removed by
``butterfly_lib.sources.cache_verify`` (``butterfly cache verify``), which needs the sources' parsers.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlsplit

from butterfly_lib import config
from butterfly_lib.errors import ButterflyError
from butterfly_lib.http.session import ButterflySession, get_session

_HOST_TO_SOURCE = {
    "api.inaturalist.org": "inaturalist",
    "api.open-meteo.com": "open_meteo_forecast",
    "archive-api.open-meteo.com": "open_meteo_archive",
    "ensemble-api.open-meteo.com": "open_meteo_ensemble",
    "www.ncei.noaa.gov": "noaa",
}


def source_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc in _HOST_TO_SOURCE:
        return _HOST_TO_SOURCE[parts.netloc]
    first = parts.path.strip("/").split("/")[0]
    return first if first in config.BASE_URLS else parts.netloc


def summary() -> dict:
    session = get_session()
    now = datetime.now(UTC)
    held: Counter[str] = Counter()
    expired: Counter[str] = Counter()
    nbytes: Counter[str] = Counter()
    for resp in session.cache.responses.values():
        src = source_of(resp.url)
        held[src] += 1
        nbytes[src] += len(resp.content or b"")
        exp = resp.expires
        if exp is not None:
            exp = exp if exp.tzinfo else exp.replace(tzinfo=UTC)
            if exp <= now:
                expired[src] += 1
    path = config.cache_path()
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return {
        "path": str(path),
        "file_bytes": size,
        "offline": session.offline,
        "read_only": getattr(session, "read_only", False),
        "sources": {s: {"entries": held[s], "expired": expired[s], "bytes": nbytes[s]} for s in sorted(held)},
    }


def status_text() -> str:
    s = summary()
    flags = (" [offline]" if s["offline"] else "") + (" [read-only]" if s["read_only"] else "")
    lines = [f"cache: {s['path']} ({s['file_bytes'] / 1e6:.2f} MB on disk){flags}"]
    lines.append(f"{'source':<24}{'entries':>9}{'expired':>9}{'MB':>9}")
    for name, v in s["sources"].items():
        lines.append(f"{name:<24}{v['entries']:>9}{v['expired']:>9}{v['bytes'] / 1e6:>9.2f}")
    if not s["sources"]:
        lines.append("(empty)")
    return "\n".join(lines)


def writable_session() -> ButterflySession:
    """The shared session, or ``ButterflyError`` when its cache was opened read-only."""
    session = get_session()
    if getattr(session, "read_only", False):
        raise ButterflyError(
            f"request cache {config.cache_path()} is read-only (a read-only file or filesystem); nothing was "
            "removed. Make it writable, or point BUTTERFLY_CACHE at a writable file"
        )
    return session


def clear() -> str:
    session = writable_session()
    n = len(session.cache.responses)
    session.cache.clear()
    return f"cleared {n} cached responses from {config.cache_path()}"


def clear_expired() -> str:
    session = writable_session()
    before = len(session.cache.responses)
    session.cache.delete(expired=True)
    return f"removed {before - len(session.cache.responses)} expired responses"
