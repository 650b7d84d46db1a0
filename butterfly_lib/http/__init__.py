"""The one cached HTTP session and the ``fetch`` every source calls.

Look here when a request misbehaves: cache tiers and TTLs (``expiry``), the session with retries, timeouts,
rate limits and offline mode (``session``), the fetch contract with stale-if-error and body checks (``fetch``),
the per-source request log (``requestlog``), per-source deadlines and size caps (``limits``), the bounded send:
streamed body, wall-clock deadline, same-host redirects (``bounded``), the Retry-After cap (``retry``), whether a
cache path is ours and opening it read-only (``cache_file``), and writes that report their failures
(``cache_write``).

Public names: ``fetch``, ``Fetched``, ``get_session``, ``build_session``, ``reset_sessions``, ``Tier``,
``tier_for_range``, ``REQUEST_LOG``.
"""

from butterfly_lib.http.expiry import TTL, Tier, expires_at, tier_for_range
from butterfly_lib.http.fetch import Fetched, encode_params, fetch
from butterfly_lib.http.requestlog import REQUEST_LOG
from butterfly_lib.http.session import build_session, get_session, make_retry, reset_sessions

__all__ = [
    "REQUEST_LOG",
    "TTL",
    "Fetched",
    "Tier",
    "build_session",
    "encode_params",
    "expires_at",
    "fetch",
    "get_session",
    "make_retry",
    "reset_sessions",
    "tier_for_range",
]
