"""``fetch``: the one way a source asks the outside world for data.

Look here for the caching contract. For one GET it:

1. serves a fresh cached copy (no network, no rate-limit wait);
2. in offline mode, serves an expired copy with a notice, or raises ``OfflineCacheMiss`` naming the URL;
3. otherwise waits its turn for the host, sends within the source's bounds (``butterfly_lib.http.limits``: a
   wall-clock deadline over retries, headers and body; size caps on the wire and expanded; redirects followed
   only on the same host; the adapter retries 429/5xx/timeouts with backoff and honours Retry-After up to a
   cap), and checks the body (status 200, parseable JSON/CSV, not an HTML error page, then the source's
   ``check``, which includes physical plausibility);
   A cached copy is put through the same ``check`` before it is served: one stored before today's rules (an
   implausible answer from an older version) is never served, nor kept as a fallback; it is fetched again.
4. only a body that passed is written to the cache with the tier's expiry, so a failed refresh never
   replaces good data; on failure it serves the stale copy with a visible notice, or raises ``SourceError``
   naming the source, the URL and what went wrong. A write the cache refuses (a full disk, a read-only cache)
   is reported (request log, a warning, the dataset's notice), and the data is still returned.

Every result carries a ``Provenance``. Responses may carry ``X-Butterfly-Kind`` / ``X-Butterfly-Notice``
headers (the bundled snapshot sets them) that mark data as derived or simulated.
"""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import requests

from butterfly_lib.errors import OfflineCacheMiss, SourceError
from butterfly_lib.http import bounded
from butterfly_lib.http.cache_write import CacheWriteFailed, save_response
from butterfly_lib.http.expiry import Tier, expires_at
from butterfly_lib.http.limits import Limits, limits_for
from butterfly_lib.http.requestlog import REQUEST_LOG
from butterfly_lib.http.retry import retry_after_seconds
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.provenance import Provenance

_VERIFY_HINT = "Fetch it again online, or remove such entries with `butterfly cache verify`"
KIND_HEADER = "X-Butterfly-Kind"
NOTICE_HEADER = "X-Butterfly-Notice"


@dataclass
class Fetched:
    """A response body that passed its checks, already parsed, with its provenance."""

    data: Any  # parsed JSON (dict/list) or text (CSV)
    provenance: Provenance
    url: str


def encode_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Query parameters as the APIs want them: lists comma-joined, booleans lower-case, dates ISO, sorted."""
    out: dict[str, str] = {}
    for key, value in sorted((params or {}).items()):
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, list | tuple | set):
            value = ",".join(str(v) for v in value)
        out[key] = str(value)
    return out


def _parse(source: str, url: str, resp: requests.Response, expected: str) -> Any:
    ctype = resp.headers.get("Content-Type", "").lower()
    text = resp.text
    if "html" in ctype or text.lstrip()[:15].lower().startswith(("<!doctype", "<html")):
        raise SourceError(source, url, "received an HTML page instead of data (an error page served with status 200?)")
    if expected == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SourceError(source, url, f"malformed JSON ({exc}); body starts {text[:80]!r}") from None
        if not isinstance(data, dict | list):
            raise SourceError(source, url, f"expected a JSON object or array, got {type(data).__name__}")
        if isinstance(data, dict) and data.get("error") is True:
            raise SourceError(source, url, f"API error: {data.get('reason', data)}")
        return data
    if expected == "csv":
        if not text.strip():
            raise SourceError(source, url, "empty CSV body")
        first = io.StringIO(text).readline()
        if "," not in first:
            raise SourceError(source, url, f"CSV without a header line; starts {text[:80]!r}")
        return text
    return text


#: the body checks every answer passes (HTML page, JSON/CSV shape), for re-checking cached answers
parse_body = _parse


def _provenance(
    source: str,
    url: str,
    resp: Any,
    *,
    from_cache: bool,
    stale: bool,
    offline: bool,
    location: str,
    params: Mapping[str, Any],
    notice: str = "",
) -> Provenance:
    created = getattr(resp, "created_at", None) if from_cache else datetime.now(UTC)
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    expires = getattr(resp, "expires", None)
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    kind = resp.headers.get(KIND_HEADER, "observed")
    header_notice = resp.headers.get(NOTICE_HEADER, "")
    notice = "; ".join(n for n in (header_notice, notice) if n)
    return Provenance(
        source=source,
        url=url,
        fetched_at=created,
        expires=expires,
        from_cache=from_cache,
        location=location,
        parameters=dict(params),
        stale=stale,
        offline=offline,
        kind=kind if kind in ("observed", "derived", "simulated") else "observed",
        notice=notice,
    )


def fetch(
    source: str,
    url: str,
    params: Mapping[str, Any] | None = None,
    *,
    tier: Tier | str,
    expected: str = "json",
    location: str = "",
    session: ButterflySession,
    check: Callable[[Any], None] | None = None,
    limits: Limits | None = None,
) -> Fetched:
    """GET ``url`` with ``params`` through the cache. See the module docstring for the contract.

    ``check`` may inspect the parsed body and raise ``SourceError`` to reject it (a field missing, say);
    a rejected body is never cached. ``limits`` overrides the source's deadline and size caps for this call.
    """
    tier = Tier(tier)
    q = encode_params(params)
    prepared = session.prepare_request(requests.Request("GET", url, params=q))
    full_url = prepared.url or url
    key = session.cache.create_key(prepared)
    cached = session.cache.get_response(key)
    refused_copy = ""  # why the cached copy fails today's checks: then it is neither served nor a fallback
    cached_data: Any = None
    if cached is not None and check is not None:
        try:
            cached_data = _parse(source, full_url, cached, expected)
            check(cached_data)
        except SourceError as exc:
            refused_copy, cached, cached_data = exc.problem, None, None

    def serve_cached(stale: bool, notice: str = "") -> Fetched:
        assert cached is not None
        data = cached_data if cached_data is not None else _parse(source, full_url, cached, expected)
        if stale:
            REQUEST_LOG.stale(source)
        else:
            REQUEST_LOG.hit(source)
        prov = _provenance(
            source, full_url, cached, from_cache=True, stale=stale, offline=session.offline,
            location=location, params=q, notice=notice,
        )
        return Fetched(data, prov, full_url)

    if cached is not None and not cached.is_expired:
        return serve_cached(stale=False)
    if session.offline:
        if cached is not None:
            return serve_cached(stale=True, notice=f"offline: showing a copy cached {_when(cached)}, now expired")
        if refused_copy:
            raise SourceError(source, full_url, f"the cached copy fails today's checks ({refused_copy})", _VERIFY_HINT)
        raise OfflineCacheMiss(source, full_url)

    # a prefetch's exchange (butterfly_lib.http.exchange) sends for many threads: one turn per source, answers
    # pooled across places; it logs what really goes out
    exchange = getattr(session, "exchange", None)
    if exchange is None:
        session.rate_limiter.wait(source)
    bounds = limits or limits_for(source, getattr(session, "limits", None))
    t0 = time.perf_counter()
    resp: requests.Response | None = None
    may_pool = exchange is not None
    while True:
        carved = False
        try:
            if exchange is not None:
                sent = exchange.send(source, prepared, bounds, pool=may_pool)
                carved = sent.pooled
            else:
                sent = bounded.send(session, prepared, limits=bounds, timeout=session.timeout)
            resp = sent.response
            problem = None if resp.status_code == 200 else _status_problem(resp, sent.retry_note)
            data = None
            if problem is None:
                data = _parse(source, full_url, resp, expected)
                if check is not None:
                    check(data)
        except SourceError as exc:
            problem = exc.problem
        except bounded.Refused as exc:
            problem, resp = exc.problem, None
        except requests.RequestException as exc:
            problem, resp = f"request failed: {type(exc).__name__}: {exc}", None
        if problem is None or not carved:
            break
        may_pool = False  # an answer carved out of a pooled request failed its checks: ask on its own
    seconds = time.perf_counter() - t0
    if exchange is None:
        REQUEST_LOG.network(source, full_url, len(resp.content) if resp is not None else 0, seconds)

    if problem is None:
        assert resp is not None
        expires = expires_at(tier)
        notice = ""
        try:
            save_response(session.cache, resp, key, expires, read_only=getattr(session, "read_only", False))
        except CacheWriteFailed as exc:
            REQUEST_LOG.unsaved(source, exc.reason)
            notice = f"not saved to the request cache ({exc.reason}); the next run asks again"
            warnings.warn(f"{source}: {full_url}: {notice}", stacklevel=2)
        prov = _provenance(
            source, full_url, resp, from_cache=False, stale=False, offline=False, location=location, params=q,
            notice=notice,
        )  # fmt: skip
        prov = prov.with_(expires=expires)
        return Fetched(data, prov, full_url)

    REQUEST_LOG.error(source)
    if cached is not None:
        return serve_cached(stale=True, notice=f"refresh failed ({problem}); showing data cached {_when(cached)}")
    if refused_copy:
        problem += f"; the cached copy fails today's checks too ({refused_copy})"
    raise SourceError(source, full_url, problem, "Try again later; nothing cached to fall back on")


def _status_problem(resp: requests.Response, retry_note: str) -> str:
    """``HTTP 429 Too Many Requests``, with the wait the server asked for and why no retry waited for it."""
    problem = f"HTTP {resp.status_code} {resp.reason or ''}".strip()
    asked = retry_after_seconds(resp.headers)
    if retry_note:
        problem += f"; {retry_note}"
    elif asked is not None:
        problem += f"; the server asked to wait {asked:g} s (Retry-After)"
    return problem


def _when(resp: Any) -> str:
    created = getattr(resp, "created_at", None)
    return f"at {created:%Y-%m-%d %H:%M} UTC" if created else "earlier"
