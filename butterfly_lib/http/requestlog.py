"""Per-source request log: network requests, cache hits, stale serves, errors, answers not saved, bytes, seconds.

Look here to see what a refresh cost. ``REQUEST_LOG`` is process-wide; ``butterfly cache`` and notebooks
print ``REQUEST_LOG.table()`` so cache lifetimes can be tuned from real figures. ``unsaved`` counts answers that
were used but could not be written to the cache (a full disk, a read-only cache), with the reasons, so such a
run says so instead of fetching everything again next time without a word.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class SourceStats:
    requests: int = 0
    cache_hits: int = 0
    stale_served: int = 0
    errors: int = 0
    bytes: int = 0
    seconds: float = 0.0
    urls: list[str] = field(default_factory=list)
    unsaved: int = 0
    unsaved_reasons: dict[str, int] = field(default_factory=dict)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.stats: dict[str, SourceStats] = {}

    def _get(self, source: str) -> SourceStats:
        return self.stats.setdefault(source, SourceStats())

    def network(self, source: str, url: str, nbytes: int, seconds: float) -> None:
        with self._lock:
            s = self._get(source)
            s.requests += 1
            s.bytes += nbytes
            s.seconds += seconds
            s.urls.append(url)

    def hit(self, source: str) -> None:
        with self._lock:
            self._get(source).cache_hits += 1

    def stale(self, source: str) -> None:
        with self._lock:
            self._get(source).stale_served += 1

    def error(self, source: str) -> None:
        with self._lock:
            self._get(source).errors += 1

    def unsaved(self, source: str, reason: str) -> None:
        """An answer of ``source`` was used but not written to the cache, for ``reason``."""
        with self._lock:
            s = self._get(source)
            s.unsaved += 1
            s.unsaved_reasons[reason] = s.unsaved_reasons.get(reason, 0) + 1

    def reset(self) -> None:
        with self._lock:
            self.stats.clear()

    def rows(self) -> list[dict]:
        return [
            {
                "source": name,
                "requests": s.requests,
                "cache_hits": s.cache_hits,
                "stale_served": s.stale_served,
                "errors": s.errors,
                "bytes": s.bytes,
                "seconds": round(s.seconds, 3),
                "unsaved": s.unsaved,
                "unsaved_reasons": dict(s.unsaved_reasons),
            }
            for name, s in sorted(self.stats.items())
        ]

    def table(self) -> str:
        """Plain-text table, one line per source; then, if any answer could not be cached, how many and why."""
        head = (
            f"{'source':<22}{'requests':>9}{'hits':>7}{'stale':>7}{'errors':>7}{'unsaved':>8}{'bytes':>12}"
            f"{'seconds':>9}"
        )
        lines = [head]
        reasons: dict[str, int] = {}
        for r in self.rows():
            lines.append(
                f"{r['source']:<22}{r['requests']:>9}{r['cache_hits']:>7}{r['stale_served']:>7}"
                f"{r['errors']:>7}{r['unsaved']:>8}{r['bytes']:>12}{r['seconds']:>9.2f}"
            )
            for reason, n in r["unsaved_reasons"].items():
                reasons[reason] = reasons.get(reason, 0) + n
        if len(lines) == 1:
            lines.append("(no requests)")
        if reasons:
            total = sum(reasons.values())
            lines.append(f"WARNING: {total} answer(s) used but NOT saved to the request cache (the next run fetches them again):")
            lines += [f"  {n} x {reason}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])]
        return "\n".join(lines)


REQUEST_LOG = RequestLog()
