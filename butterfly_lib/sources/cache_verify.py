"""Check every cached answer against today's parsers and plausibility rules; find and remove those that fail.

Look here for ``butterfly cache verify`` (and the second half of ``butterfly cache clear-expired``). A response
cached before a rule existed (tmin above tmax, 500,000 s of sunshine in a day, a repeated day) never expires if
it is historical; this re-reads each entry exactly as its source would (the URL's query says which block,
variables, time zone, station and days were asked for), so an entry that today's checks refuse is named and,
unless ``dry_run``, removed: the next run fetches it again and the fresh answer is checked before caching.

Entries of sources this module does not know are counted as "not checked", never removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from butterfly_lib.errors import ButterflyError, SourceError
from butterfly_lib.http import cache_admin
from butterfly_lib.http.fetch import parse_body
from butterfly_lib.http.session import ButterflySession, get_session
from butterfly_lib.settings import HttpSettings
from butterfly_lib.sources.inaturalist import client, parse
from butterfly_lib.sources.inaturalist.histogram import _weeks
from butterfly_lib.sources.noaa.daily_summaries import parse_daily_summaries
from butterfly_lib.sources.open_meteo.common import (
    DAILY_VARIABLES,
    SUBDAILY_VARIABLES,
    locations,
    parse_block,
)
from butterfly_lib.sources.open_meteo.ensemble import parse_ensemble

Checker = Callable[[str, Any, dict[str, str]], None]  # (url, parsed body, query) -> None or SourceError


@dataclass
class VerifyReport:
    """What ``verify`` found: entries checked, those that failed (URL and problem), those of unknown sources."""

    checked: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    unchecked: int = 0
    removed: int = 0

    def text(self, dry_run: bool) -> str:
        lines = [
            f"checked {self.checked} cached answer(s) against today's checks: {len(self.failed)} failed"
            + (f", {self.unchecked} of unknown sources not checked" if self.unchecked else "")
        ]
        lines += [f"  {url}\n    {problem}" for url, problem in self.failed]
        if self.failed:
            lines.append(
                "dry run: nothing removed (run without --dry-run to remove them)"
                if dry_run
                else f"removed {self.removed}; the next run fetches them again and checks them before caching"
            )
        return "\n".join(lines)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def _span(query: dict[str, str], first: str, last: str) -> tuple[date, date] | None:
    try:
        return date.fromisoformat(query[first]), date.fromisoformat(query[last])
    except (KeyError, ValueError):
        return None


def _open_meteo(source: str) -> Checker:
    def check(url: str, payload: Any, query: dict[str, str]) -> None:
        block = next((b for b in ("daily", "hourly", "minutely_15") if b in query), None)
        if block is None:
            raise _Skip()
        table = DAILY_VARIABLES if block == "daily" else SUBDAILY_VARIABLES
        variables = [v for v in _split(query[block]) if v in table]
        if not variables:
            raise _Skip()
        timezone = query.get("timezone", "GMT")
        if source == "open_meteo_ensemble":
            parse_ensemble(payload, block, variables, timezone=timezone, source=source, url=url)
            return
        span = _span(query, "start_date", "end_date")
        for item in locations(payload, len(_split(query.get("latitude"))) or 1, source=source, url=url):
            parse_block(item, block, variables, timezone=timezone, source=source, url=url, span=span)

    return check


def _noaa(url: str, text: Any, query: dict[str, str]) -> None:
    span = _span(query, "startDate", "endDate")
    station = query.get("stations") or None
    parse_daily_summaries(
        text, url=url, station=station, start=span[0] if span else None, end=span[1] if span else None
    )


def _inaturalist(url: str, data: Any, query: dict[str, str]) -> None:
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/observations/histogram"):
        client.check_envelope(data, url, dict)
        if query.get("interval") == "week_of_year":
            _weeks(data, url)
        return
    client.check_envelope(data, url)
    if path.endswith("/observations/species_counts"):
        parse.species_counts_frame(data["results"], url)
    elif path.endswith("/observations"):
        parse.observations_frame(data["results"], url)
    elif "/taxa/" in path:
        parse.taxa_frame(data["results"], url)


class _Skip(Exception):
    """This entry's request is not one the checks know how to re-read."""


#: source (as ``cache_admin.source_of`` names it) -> (expected body, checker)
CHECKERS: dict[str, tuple[str, Checker]] = {
    "open_meteo_forecast": ("json", _open_meteo("open_meteo_forecast")),
    "open_meteo_archive": ("json", _open_meteo("open_meteo_archive")),
    "open_meteo_ensemble": ("json", _open_meteo("open_meteo_ensemble")),
    "noaa": ("text", _noaa),
    "inaturalist": ("json", _inaturalist),
}


def check_entry(url: str, response: Any, endpoints: dict[str, str] | None = None) -> str | None:
    """The problem today's checks find with one cached answer (None: it passes). Raises ``_Skip`` if unknown."""
    source = cache_admin.source_of(url, endpoints)
    if source not in CHECKERS:
        raise _Skip()
    expected, checker = CHECKERS[source]
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    try:
        checker(url, parse_body(source, url, response, expected), query)
    except SourceError as exc:
        return exc.problem
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"unreadable: {type(exc).__name__}: {exc}"
    return None


def verify(http: HttpSettings | ButterflySession, *, dry_run: bool = False) -> VerifyReport:
    """Check every entry of the cache (the shared session of ``http``, or a session given); remove the failures
    unless ``dry_run``."""
    if isinstance(http, HttpSettings):
        session = get_session(http) if dry_run else cache_admin.writable_session(http)
    else:
        session = http
    if not dry_run and getattr(session, "read_only", False):
        raise ButterflyError("the request cache is read-only; nothing can be removed (use --dry-run to list)")
    report = VerifyReport()
    bad_keys: list[str] = []
    for key in list(session.cache.responses.keys()):
        try:
            response = session.cache.responses[key]
        except Exception as exc:  # noqa: BLE001  an entry that cannot even be deserialized fails, whatever the cause
            report.checked += 1
            report.failed.append((key, f"unreadable cache entry ({type(exc).__name__}: {exc})"))
            bad_keys.append(key)
            continue
        url = response.request.url if response.request is not None and response.request.url else response.url
        try:
            problem = check_entry(url, response, session.endpoints)
        except _Skip:
            report.unchecked += 1
            continue
        report.checked += 1
        if problem is not None:
            report.failed.append((url, problem))
            bad_keys.append(key)
    if bad_keys and not dry_run:
        session.cache.delete(*bad_keys)
        report.removed = len(bad_keys)
    return report
