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

from butterfly_lib.errors import ButterflyError
from butterfly_lib.http.session import ButterflySession, get_session
from butterfly_lib.settings import DEFAULT_ENDPOINTS, HttpSettings


def source_of(url: str, endpoints: dict[str, str] | None = None) -> str:
    """The source whose base URL ``url`` starts with (the session's endpoints, then the public APIs), or whose
    name is the URL's first path segment (a replay server's convention), else the URL's host."""
    for table in (endpoints or {}, DEFAULT_ENDPOINTS):
        for name, base in table.items():
            if url.startswith(base.rstrip("/") + "/") or url == base:
                return name
    parts = urlsplit(url)
    first = parts.path.strip("/").split("/")[0]
    return first if first in DEFAULT_ENDPOINTS else parts.netloc


def summary(http: HttpSettings) -> dict:
    session = get_session(http)
    now = datetime.now(UTC)
    held: Counter[str] = Counter()
    expired: Counter[str] = Counter()
    nbytes: Counter[str] = Counter()
    for resp in session.cache.responses.values():
        src = source_of(resp.url, session.endpoints)
        held[src] += 1
        nbytes[src] += len(resp.content or b"")
        exp = resp.expires
        if exp is not None:
            exp = exp if exp.tzinfo else exp.replace(tzinfo=UTC)
            if exp <= now:
                expired[src] += 1
    path = http.cache_file
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return {
        "path": str(path),
        "file_bytes": size,
        "offline": session.offline,
        "read_only": getattr(session, "read_only", False),
        "sources": {s: {"entries": held[s], "expired": expired[s], "bytes": nbytes[s]} for s in sorted(held)},
    }


def status_text(http: HttpSettings) -> str:
    s = summary(http)
    flags = (" [offline]" if s["offline"] else "") + (" [read-only]" if s["read_only"] else "")
    lines = [f"cache: {s['path']} ({s['file_bytes'] / 1e6:.2f} MB on disk){flags}"]
    lines.append(f"{'source':<24}{'entries':>9}{'expired':>9}{'MB':>9}")
    for name, v in s["sources"].items():
        lines.append(f"{name:<24}{v['entries']:>9}{v['expired']:>9}{v['bytes'] / 1e6:>9.2f}")
    if not s["sources"]:
        lines.append("(empty)")
    return "\n".join(lines)


def writable_session(http: HttpSettings) -> ButterflySession:
    """The shared session, or ``ButterflyError`` when its cache was opened read-only."""
    session = get_session(http)
    if getattr(session, "read_only", False):
        raise ButterflyError(
            f"request cache {http.cache_file} is read-only (a read-only file or filesystem); nothing was "
            "removed. Make it writable, or point BUTTERFLY_CACHE at a writable file"
        )
    return session


def clear(http: HttpSettings) -> str:
    session = writable_session(http)
    n = len(session.cache.responses)
    session.cache.clear()
    return f"cleared {n} cached responses from {http.cache_file}"


def clear_expired(http: HttpSettings) -> str:
    session = writable_session(http)
    before = len(session.cache.responses)
    session.cache.delete(expired=True)
    return f"removed {before - len(session.cache.responses)} expired responses"
