"""The one HTTP session: requests-cache on SQLite (WAL), retries with backoff, timeouts, User-Agent, offline mode.

Look here to change retry policy, timeouts, rate limits or the cache file. A session is built from the run's
``HttpSettings`` (``butterfly_lib.settings``): ``get_session(settings.http)`` returns the process-wide session for
those settings; sources never build their own and take it as an argument. The session also knows the base URL
of every source (``session.url(source, path)``). Caching decisions (tier expiry, stale-if-error, validating a body
before it may replace a good cached copy) live in ``butterfly_lib.http.fetch``, which every source calls. Whether
the cache path may be used at all (it must be a cache of ours; a read-only one is opened read-only) is
``butterfly_lib.http.cache_file``; deadlines and size caps per source are ``butterfly_lib.http.limits``; the
bounded retry policy is ``butterfly_lib.http.retry``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import requests_cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from butterfly_lib.errors import ButterflyError
from butterfly_lib.http import cache_file
from butterfly_lib.http.limits import RETRY_AFTER_CAP, LimitsSetting
from butterfly_lib.http.retry import BoundedRetry
from butterfly_lib.settings import DEFAULT_TIMEOUT, HttpSettings

RETRY_STATUSES = (429, 500, 502, 503, 504)


class OfflineConnectionBlocked(ButterflyError):
    """Raised by the offline adapter: nothing may open a connection in offline mode."""


class _OfflineAdapter(HTTPAdapter):
    def send(self, request, *args, **kwargs):  # noqa: ANN001
        raise OfflineConnectionBlocked(f"offline mode: refusing to connect to {request.url}")


class RateLimiter:
    """Minimum spacing between network requests to one source (whatever host serves it, so a mirror or a
    replay server is limited like the real API). Cache hits never reach it."""

    def __init__(self, intervals: dict[str, float] | None = None, default: float = 0.0):
        self.intervals = dict(intervals or {})
        self.default = default
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def interval(self, source: str) -> float:
        return self.intervals.get(source, self.default)

    def wait(self, source: str) -> float:
        """Sleep until ``source`` may be asked again; return the seconds slept."""
        with self._lock:
            now = time.monotonic()
            ready = self._last.get(source, -1e9) + self.interval(source)
            pause = max(0.0, ready - now)
            self._last[source] = now + pause
        if pause:
            time.sleep(pause)
        return pause


class ButterflySession(requests_cache.CachedSession):
    """A ``CachedSession`` that also knows its settings: offline flag, timeout, rate limiter, the base URL of
    every source (``endpoints``; tests may point them at a local replay server), whether its cache is read-only,
    and its per-source limits (None: ``butterfly_lib.http.limits.DEFAULT_LIMITS``)."""

    http_settings: HttpSettings
    offline: bool
    timeout: tuple[float, float]
    rate_limiter: RateLimiter
    endpoints: dict[str, str]
    read_only: bool
    limits: LimitsSetting
    #: a prefetch's network gate (``butterfly_lib.http.exchange.Exchange``), or None: ``fetch`` sends itself
    exchange: Any = None
    _open_key: str | None = None

    def close(self) -> None:
        super().close()
        _release(getattr(self, "_open_key", None))
        self._open_key = None

    def url(self, source: str, path: str = "") -> str:
        """The URL of ``path`` under ``source``'s base URL (``session.url("open_meteo_forecast", "forecast")``)."""
        if source not in self.endpoints:
            raise KeyError(f"unknown source {source!r}; known: {', '.join(self.endpoints)}")
        base = self.endpoints[source].rstrip("/")
        return f"{base}/{path.lstrip('/')}" if path else base + "/"


def make_retry(
    total: int = 4, backoff_factor: float = 1.0, backoff_max: float = 60.0, retry_after_cap: float = RETRY_AFTER_CAP
) -> Retry:
    """Retry policy: 429/5xx, connection errors and read timeouts, exponential backoff, honouring Retry-After up to
    ``retry_after_cap`` seconds (a longer wait is not slept: the request fails or is served stale) and never past
    the request's deadline."""
    return BoundedRetry(
        retry_after_cap=retry_after_cap,
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


#: seconds to wait for another process's write lock on the cache file before reporting it (not 2 x 30 s)
LOCK_WAIT_SECONDS = 10.0


def _probe_lock(path: Path) -> None:
    if not path.exists():
        return
    con = sqlite3.connect(str(path), timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    finally:
        con.close()


def _open_sqlite(path: Path) -> requests_cache.SQLiteCache:
    """Open (or create) the cache, retrying while another process holds a lock: SQLite answers "locked" at once,
    without its busy handler, when two processes switch a new file to WAL at the same moment."""

    def attempt() -> requests_cache.SQLiteCache:
        _probe_lock(path)
        backend = requests_cache.SQLiteCache(str(path), wal=True, busy_timeout=30_000)
        backend.responses.count()  # touches the file: a corrupt database fails here
        return backend

    return cache_file.while_locked(attempt, LOCK_WAIT_SECONDS)


#: cache files this process holds open, by resolved path, with how many sessions. Reading such a file by other
#: means (``cache_file.inspect`` opens and closes it) would drop this process's POSIX locks on it, as closing any
#: descriptor of a file does; another process would then take itself for the last user, delete the -wal and
#: -shm under our open connections, and never see their later writes. A file already open here was checked
#: when it was opened, so it is not inspected (nor stamped) again.
_OPEN_FILES: dict[str, int] = {}
_OPEN_LOCK = threading.Lock()


def _hold(key: str) -> bool:
    """Count one more session on ``key``; True when the file was already open in this process."""
    with _OPEN_LOCK:
        held = _OPEN_FILES.get(key, 0) > 0
        _OPEN_FILES[key] = _OPEN_FILES.get(key, 0) + 1
        return held


def _release(key: str | None) -> None:
    if key is None:
        return
    with _OPEN_LOCK:
        left = _OPEN_FILES.get(key, 0) - 1
        if left > 0:
            _OPEN_FILES[key] = left
        else:
            _OPEN_FILES.pop(key, None)


def _open_backend(path: Path, *, checked: bool = False) -> tuple[requests_cache.SQLiteCache, bool]:
    """The backend on ``path`` and whether it is read-only. A path that is not a cache of ours is refused
    untouched (``cache_file.CacheRefused``); only a corrupt cache identified as ours is moved aside.
    ``checked``: this process holds the file open already (see ``_OPEN_FILES``)."""
    if checked:
        if not cache_file.writable(path):
            return cache_file.open_read_only(path), True
        return requests_cache.SQLiteCache(str(path), wal=True, busy_timeout=30_000), False
    verdict = cache_file.refuse_unless_ours(path)
    if verdict.kind == "absent":
        cache_file.prepare_folder(path)
    elif not cache_file.writable(path):
        if not verdict.readable:
            raise cache_file.CacheRefused(path, f"is {verdict.detail} and read-only, so it cannot be moved aside")
        return cache_file.open_read_only(path), True
    try:
        backend = _open_sqlite(path)
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc).lower():
            raise ButterflyError(
                f"request cache {path} is locked by another process (waited {LOCK_WAIT_SECONDS:g} s); let the "
                "other run finish and try again, or point BUTTERFLY_CACHE at another file"
            ) from exc
        if not cache_file.is_corruption(exc):
            raise cache_file.CacheRefused(path, f"cannot be opened ({exc})") from exc
        broken = cache_file.move_aside(path)  # re-checks that it is ours
        warnings.warn(
            f"request cache {path} was corrupt ({exc}); moved it to {broken} and started an empty cache",
            stacklevel=3,
        )
        backend = requests_cache.SQLiteCache(str(path), wal=True, busy_timeout=30_000)
    cache_file.stamp(path)
    return backend, False


def build_session(http: HttpSettings, *, retry: Retry | None = None, limits: LimitsSetting = None) -> ButterflySession:
    """A new session for ``http``. Prefer ``get_session`` (shared); this is for tests and tools that need their
    own (a faster ``retry``, an adapter of their own mounted on it). ``limits``: one ``Limits`` for every source,
    or a mapping of some sources' own (default: the table in ``butterfly_lib.http.limits``)."""
    path = Path(http.cache_file)
    key = str(path.resolve())
    try:
        backend, read_only = _open_backend(path, checked=_hold(key))
    except BaseException:
        _release(key)
        raise
    session = ButterflySession(
        backend=backend,
        expire_after=requests_cache.NEVER_EXPIRE,  # fetch() sets each response's expiry by tier
        allowable_codes=(200,),
        stale_if_error=True,
    )
    session._open_key = key
    session.http_settings = http
    session.offline = http.offline
    session.timeout = http.timeout
    session.read_only = read_only
    session.limits = limits
    session.rate_limiter = RateLimiter(dict(http.rate_limits))
    session.endpoints = dict(http.endpoints)
    session.headers["User-Agent"] = http.user_agent
    session.headers["Accept-Encoding"] = "gzip, deflate"
    if http.offline:
        adapter: HTTPAdapter = _OfflineAdapter()
    else:
        adapter = HTTPAdapter(max_retries=retry or make_retry())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_SESSIONS: dict[HttpSettings, ButterflySession] = {}
_LOCK = threading.Lock()


def get_session(http: HttpSettings) -> ButterflySession:
    """The shared session for these settings (one per distinct ``HttpSettings`` in the process)."""
    with _LOCK:
        if http not in _SESSIONS:
            _SESSIONS[http] = build_session(http)
        return _SESSIONS[http]


def reset_sessions() -> None:
    """Close and forget every shared session (tests; a long-lived kernel that starts a new run)."""
    with _LOCK:
        for s in _SESSIONS.values():
            s.close()
        _SESSIONS.clear()


__all__ = [
    "DEFAULT_TIMEOUT",
    "ButterflySession",
    "OfflineConnectionBlocked",
    "RateLimiter",
    "build_session",
    "get_session",
    "make_retry",
    "reset_sessions",
]
