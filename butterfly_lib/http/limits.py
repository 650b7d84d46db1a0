"""How long a request may take and how much it may weigh, per source: the bounds every ``fetch`` enforces.

Look here to change a deadline or a size cap. ``limits_for(source)`` gives the ``Limits`` of one source (the table
``DEFAULT_LIMITS``; a session built with ``limits=`` overrides it, which is how tests make a deadline short).

Why these numbers (largest real answers measured on the recordings in ``data/`` and ``../shared/data/``):

| source | largest real answer | cap (on the wire and expanded) | deadline |
|---|---|---|---|
| inaturalist | a 200-observation page: 0.4 MB for ~30 fully detailed records, so ~3-4 MB for 200 | 32 MB | 120 s |
| open_meteo_forecast | 100 grid cells x 108 days x 5 variables: ~0.6 MB; a 16-day outlook: 2 kB | 16 MB | 120 s |
| open_meteo_archive | 100 cells x 1 year x 5 variables: ~1.7 MB; one point 1940-today: ~1.2 MB | 32 MB | 180 s |
| open_meteo_ensemble | 51 members x 15 days hourly x 2 variables: ~0.4 MB | 16 MB | 120 s |
| noaa | Portland airport 1940-2024 with SNOW and station names: 2.8 MB | 32 MB | 180 s |

Every cap is about ten times the largest real answer: a real answer never comes near it, while a runaway one (a
100 MB body, a gzip bomb that expands a hundred-thousand-fold) is cut off after at most the cap, reading it in
64 kB pieces, so memory stays bounded. The deadline covers the whole request: connecting, every retry and its
backoff, the headers and the body, read against the wall clock (a server trickling one byte every two seconds
never resets it); an attempt already waiting for its headers when the deadline passes may take one more socket
timeout (``session.timeout``), while the body is cut at the deadline itself. The archive and NOAA get longer deadlines because a decades-long answer takes them tens of
seconds to assemble. ``RETRY_AFTER_CAP`` is the longest ``Retry-After`` the session will sleep: a server asking
for longer gets no wait at all; the request fails (or the stale copy is served) with a message naming the wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from butterfly_lib.errors import InvalidInput

MB = 1_000_000
#: the longest Retry-After (seconds) a retry may wait; longer requests are refused without sleeping
RETRY_AFTER_CAP = 60.0


@dataclass(frozen=True)
class Limits:
    """Bounds of one request: ``max_bytes`` on the wire (compressed), ``max_expanded_bytes`` after decompression,
    ``deadline`` seconds for all of it, and at most ``max_redirects`` same-host redirects."""

    max_bytes: int = 16 * MB
    max_expanded_bytes: int = 16 * MB
    deadline: float = 120.0
    max_redirects: int = 5

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_expanded_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise InvalidInput(name, value, "a positive whole number of bytes")
        if (
            isinstance(self.deadline, bool)
            or not isinstance(self.deadline, int | float)
            or not self.deadline > 0
        ):
            raise InvalidInput("deadline", self.deadline, "a positive number of seconds")
        if (
            isinstance(self.max_redirects, bool)
            or not isinstance(self.max_redirects, int)
            or self.max_redirects < 0
        ):
            raise InvalidInput("max_redirects", self.max_redirects, "a whole number >= 0")


DEFAULT = Limits()
DEFAULT_LIMITS: dict[str, Limits] = {
    "inaturalist": Limits(max_bytes=32 * MB, max_expanded_bytes=32 * MB, deadline=120.0),
    "open_meteo_forecast": Limits(max_bytes=16 * MB, max_expanded_bytes=16 * MB, deadline=120.0),
    "open_meteo_archive": Limits(max_bytes=32 * MB, max_expanded_bytes=32 * MB, deadline=180.0),
    "open_meteo_ensemble": Limits(max_bytes=16 * MB, max_expanded_bytes=16 * MB, deadline=120.0),
    "noaa": Limits(max_bytes=32 * MB, max_expanded_bytes=32 * MB, deadline=180.0),
}

#: what a session may be given: one ``Limits`` for every source, or some sources' own
LimitsSetting = Limits | Mapping[str, Limits] | None


def limits_for(source: str, override: LimitsSetting = None) -> Limits:
    """The limits of ``source``: the override's (one for all, or this source's), else the table's, else ``DEFAULT``."""
    if isinstance(override, Limits):
        return override
    if override is not None and source in override:
        return override[source]
    return DEFAULT_LIMITS.get(source, DEFAULT)


def human_bytes(n: int) -> str:
    """``n`` bytes in words: "512 B", "64 kB", "32 MB"."""
    if n >= MB:
        return f"{n / MB:.3g} MB"
    if n >= 1000:
        return f"{n / 1000:.3g} kB"
    return f"{n} B"
