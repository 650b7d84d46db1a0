"""What the request cache holds: entries by source, expired entries, size; clearing it.

Look here for ``butterfly cache``. Sources are recognised by the host (or replay-server path) of each URL.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlsplit

from butterfly_lib.http.session import get_session
from butterfly_lib.settings import DEFAULT_ENDPOINTS, HttpSettings


def source_of(url: str, endpoints: dict[str, str] | None = None) -> str:
    """The source whose base URL ``url`` starts with (the session's endpoints, then the public APIs), else
    its host."""
    for table in (endpoints or {}, DEFAULT_ENDPOINTS):
        for name, base in table.items():
            if url.startswith(base.rstrip("/") + "/") or url == base:
                return name
    return urlsplit(url).netloc


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
        "sources": {s: {"entries": held[s], "expired": expired[s], "bytes": nbytes[s]} for s in sorted(held)},
    }


def status_text(http: HttpSettings) -> str:
    s = summary(http)
    lines = [f"cache: {s['path']} ({s['file_bytes'] / 1e6:.2f} MB on disk){' [offline]' if s['offline'] else ''}"]
    lines.append(f"{'source':<24}{'entries':>9}{'expired':>9}{'MB':>9}")
    for name, v in s["sources"].items():
        lines.append(f"{name:<24}{v['entries']:>9}{v['expired']:>9}{v['bytes'] / 1e6:>9.2f}")
    if not s["sources"]:
        lines.append("(empty)")
    return "\n".join(lines)


def clear(http: HttpSettings) -> str:
    session = get_session(http)
    n = len(session.cache.responses)
    session.cache.clear()
    return f"cleared {n} cached responses from {http.cache_file}"


def clear_expired(http: HttpSettings) -> str:
    session = get_session(http)
    before = len(session.cache.responses)
    session.cache.delete(expired=True)
    return f"removed {before - len(session.cache.responses)} expired responses"
