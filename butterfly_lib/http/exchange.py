"""The exchange: the one way out to the network for many threads of one process, with pooling across places.

Look here when requests are made by several threads at once (the runner's prefetch builds every page of every
place in parallel threads, ``butterfly_lib.site.prefetch``). A session whose ``exchange`` is set hands its
network sends to it; ``fetch`` still reads the cache first, checks every body and writes what passed. Per source
the exchange holds one lock (a source's requests go out one at a time, so iNaturalist's one request a second
holds for the whole process), one rate limiter and one session of its own on the same WAL cache file.

A ``Pool`` (one per source, given by the caller; the sources know their APIs: ``sources.open_meteo.pooling``,
``sources.inaturalist.pooling``) may answer a request together with the ones other places are going to make:
Open-Meteo takes comma-separated coordinates, an iNaturalist query over the union of overlapping places can be
split by distance. The answers meant for the others are kept in the pool and handed out when they ask, with
no request of their own. A carved-out answer that fails its checks is asked again on its own (``fetch``).

Every request that really goes out is logged in ``REQUEST_LOG`` here, once; answers handed out from a pool are
counted in ``Exchange.shared`` instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

import requests

from butterfly_lib.http import bounded
from butterfly_lib.http.limits import Limits
from butterfly_lib.http.requestlog import REQUEST_LOG
from butterfly_lib.http.session import ButterflySession, RateLimiter, build_session
from butterfly_lib.http.snapshot import make_response
from butterfly_lib.settings import HttpSettings

#: header naming the request a pooled answer was carved from (kept in the cache, shown by no page)
POOLED_HEADER = "X-Butterfly-Pooled"
#: how long an answer just sent is kept for an identical request queued behind it (its fetch then saves it)
RECENT_SECONDS = 30.0


class Cancelled(Exception):
    """The exchange was cancelled (the run failed): no further request goes out. Deliberately not a
    ``requests.RequestException``, so ``fetch`` neither retries it nor serves a stale copy: the builder stops."""


@dataclass(frozen=True)
class Shared:
    """An answer for one request, carved out of a request made for several (``via``)."""

    body: bytes
    content_type: str
    via: str
    notice: str = ""

    @classmethod
    def json(cls, data: object, via: str, notice: str = "") -> Shared:
        return cls(json.dumps(data, separators=(",", ":")).encode(), "application/json", via, notice)


class Net(Protocol):
    """What a pool may do: send one request of its source (limited and logged), ask whether a request's answer is
    already fresh in the cache, prepare a request."""

    def send(self, url: str, params: Mapping[str, str]) -> requests.Response: ...

    def fresh(self, url: str, params: Mapping[str, str]) -> bool: ...


class Pool(Protocol):
    """A source's pooling rule. ``answer``: an answer kept from an earlier pooled request, or None. ``fetch``:
    send ``url``/``params`` pooled with other places' requests and return this request's answer (keeping the
    others'), or None to send it as it is. Both receive the request's URL without query and its parameters."""

    def answer(self, url: str, params: Mapping[str, str]) -> Shared | None: ...

    def fetch(self, url: str, params: Mapping[str, str], net: Net) -> Shared | None: ...


@dataclass
class Answer(bounded.Sent):
    """What ``fetch`` gets back from the exchange: the response, and whether it was carved out of a pooled
    request (then a failed check is asked again on its own)."""

    pooled: bool = False


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """``(url without query, its parameters)``."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl(), dict(parse_qsl(parts.query, keep_blank_values=True))


def key_of(url: str, params: Mapping[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A request's identity whatever the order of its parameters."""
    return url, tuple(sorted(params.items()))


@dataclass
class _Source:
    lock: threading.Lock = field(default_factory=threading.Lock)
    session: ButterflySession | None = None


class Exchange:
    """The process-wide network gate of one run (see the module docstring). ``pools``: source name -> ``Pool``."""

    def __init__(self, http: HttpSettings, pools: Mapping[str, Pool] | None = None):
        self.http = http
        self.pools = dict(pools or {})
        self.limiter = RateLimiter(dict(http.rate_limits))
        self._sources: dict[str, _Source] = {}
        self._lock = threading.Lock()
        #: answers of requests just sent, for an identical request that was waiting for the same lock
        self._recent: dict[tuple, tuple[float, bytes, str]] = {}
        #: answers handed out from a pool (or a request just sent) per source: no request of their own
        self.shared: dict[str, int] = {}
        #: requests that really went out, per source, and their seconds on the wire
        self.sent: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Refuse every request from now on (``Cancelled``); a request already on the wire is not interrupted."""
        self._cancelled.set()

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled("the run stopped: the prefetch sends nothing more")

    def _source(self, source: str) -> _Source:
        with self._lock:
            if source not in self._sources:
                self._sources[source] = _Source()
            return self._sources[source]

    def _session(self, state: _Source) -> ButterflySession:
        if state.session is None:
            state.session = build_session(self.http)
        return state.session

    def _count_shared(self, source: str) -> None:
        with self._lock:
            self.shared[source] = self.shared.get(source, 0) + 1

    def _answer(self, prepared: requests.PreparedRequest, shared: Shared) -> Answer:
        from butterfly_lib.http.fetch import NOTICE_HEADER

        headers = {"Content-Type": shared.content_type, POOLED_HEADER: shared.via}
        if shared.notice:
            headers[NOTICE_HEADER] = shared.notice
        return Answer(make_response(prepared, shared.body, headers), pooled=True)

    def send(
        self,
        source: str,
        prepared: requests.PreparedRequest,
        limits: Limits,
        *,
        pool: bool = True,
    ) -> Answer:
        """The answer to ``prepared``: from a pool, from an identical request just sent, or from the network (one
        request of ``source`` at a time, rate-limited). ``pool=False``: straight to the network."""
        self._check()
        url, params = split_url(prepared.url or "")
        rule = self.pools.get(source) if pool else None
        if rule is not None:
            kept = rule.answer(url, params)
            if kept is not None:
                self._count_shared(source)
                return self._answer(prepared, kept)
        state = self._source(source)
        with state.lock:
            key = key_of(url, params)
            with self._lock:
                recent = self._recent.get(key)
            if recent is not None and pool:
                self._count_shared(source)
                return self._answer(prepared, Shared(recent[1], recent[2], prepared.url or ""))
            if rule is not None:
                kept = rule.answer(url, params)
                if kept is not None:
                    self._count_shared(source)
                else:
                    try:
                        kept = rule.fetch(url, params, _PoolNet(self, source, state, limits))
                    except (bounded.Refused, requests.RequestException, ValueError, KeyError, TypeError):
                        kept = None  # the pooled request failed: this one is sent on its own below
                if kept is not None:
                    return self._answer(prepared, kept)
            sent = self._network(source, state, prepared, limits)
            if sent.response.status_code == 200:
                ctype = sent.response.headers.get("Content-Type", "application/json")
                now = time.monotonic()
                with self._lock:
                    for old in [k for k, v in self._recent.items() if now - v[0] > RECENT_SECONDS]:
                        del self._recent[old]
                    self._recent[key] = (now, sent.response.content, ctype)
            return Answer(sent.response, sent.retry_note)

    def _network(
        self, source: str, state: _Source, prepared: requests.PreparedRequest, limits: Limits
    ) -> bounded.Sent:
        """One request on the wire, in the source's turn; logged in ``REQUEST_LOG`` whatever its outcome."""
        self._check()  # a request queued behind the source's turn while the run failed
        session = self._session(state)
        self.limiter.wait(source)
        self._check()
        t0 = time.perf_counter()
        nbytes = 0
        try:
            sent = bounded.send(session, prepared, limits=limits, timeout=session.timeout)
            nbytes = len(sent.response.content)
            return sent
        finally:
            seconds = time.perf_counter() - t0
            REQUEST_LOG.network(source, prepared.url or "", nbytes, seconds)
            with self._lock:
                self.sent[source] = self.sent.get(source, 0) + 1
                self.seconds[source] = self.seconds.get(source, 0.0) + seconds

    def fresh(self, url: str, params: Mapping[str, str], source: str) -> bool:
        """Whether the cache holds a fresh answer to ``url``/``params``."""
        session = self._session(self._source(source))
        prepared = session.prepare_request(requests.Request("GET", url, params=dict(params)))
        cached = session.cache.get_response(session.cache.create_key(prepared))
        return cached is not None and not cached.is_expired

    def close(self) -> None:
        with self._lock:
            sessions = [s.session for s in self._sources.values() if s.session is not None]
            self._recent.clear()
        for s in sessions:
            s.close()


class _PoolNet:
    """The ``Net`` a pool gets: sends in the source's turn (the caller holds the source's lock)."""

    def __init__(self, exchange: Exchange, source: str, state: _Source, limits: Limits):
        self.exchange, self.source, self.state, self.limits = exchange, source, state, limits

    def send(self, url: str, params: Mapping[str, str]) -> requests.Response:
        session = self.exchange._session(self.state)
        prepared = session.prepare_request(requests.Request("GET", url, params=dict(params)))
        return self.exchange._network(self.source, self.state, prepared, self.limits).response

    def fresh(self, url: str, params: Mapping[str, str]) -> bool:
        return self.exchange.fresh(url, params, self.source)


def attach_exchange(session: ButterflySession, exchange: Exchange) -> ButterflySession:
    """``session`` with its network sends going through ``exchange`` (see ``fetch``)."""
    session.exchange = exchange
    return session


__all__ = [
    "POOLED_HEADER", "Answer", "Cancelled", "Exchange", "Net", "Pool", "Shared", "attach_exchange", "key_of",
    "split_url",
]
