"""Does each API answer as the API? One cheap real request per source, its body checked, to pick live or snapshot.

Look here when a run chose live or snapshot mode unexpectedly. A TCP connection proves little: a captive portal,
a hotel login page or a broken proxy accepts every connection and answers every request with an HTML page, and a
run that took that for the internet would fail in its first notebook. ``probe_api_answers`` sends, in parallel,
one small request per source (a one-day forecast, a one-day archive, a one-day ensemble, one taxon, one NOAA
station day) straight through ``requests`` (no cache: a cached answer proves nothing about the network), reads at
most ``MAX_BODY`` bytes, and accepts a source only if the body is the API's own answer (JSON with the expected
block, a CSV with NOAA's header). It returns the same ``ProbeResult`` as the TCP probe in ``connectivity``, with
the reason beside each source that did not answer as itself; ``modes.choose_mode`` uses it by default.

The wait is bounded by ``timeout`` for all sources together (10 s: the NOAA service can take seconds to answer
even a one-day query; a normal probe takes about one second).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from butterfly_lib.settings import user_agent as default_user_agent
from butterfly_lib.site.connectivity import ProbeResult

#: bytes read of a probe's answer at most (the real ones are under 2 kB)
MAX_BODY = 256 * 1024
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class ApiCheck:
    """One probe: ``path`` and ``params`` under the source's base URL, and what its answer must hold."""

    path: str
    params: dict[str, str]
    expect: Callable[[bytes], str | None]  # body -> problem, or None when it is the API's answer


def _json_with(block: str, inner: str) -> Callable[[bytes], str | None]:
    def expect(body: bytes) -> str | None:
        try:
            data = json.loads(body)
        except ValueError:
            return f"answered with something that is not JSON (starts {body[:40]!r})"
        if not isinstance(data, dict) or not isinstance(data.get(block), dict | list):
            return f"answered with JSON that lacks the API's {block!r} block"
        if inner and not (isinstance(data[block], dict) and inner in data[block]):
            return f"answered with JSON whose {block!r} block lacks {inner!r}"
        return None

    return expect


def _noaa_csv(body: bytes) -> str | None:
    first = body.split(b"\n", 1)[0]
    return None if b"STATION" in first and b"DATE" in first else f"answered with something that is not NOAA's CSV (starts {body[:40]!r})"


_DAY = {"latitude": "45.52", "longitude": "-122.68", "daily": "temperature_2m_max", "timezone": "GMT"}
CHECKS: dict[str, ApiCheck] = {
    "inaturalist": ApiCheck("/taxa/47224", {}, _json_with("results", "")),
    "open_meteo_forecast": ApiCheck("/forecast", {**_DAY, "forecast_days": "1"}, _json_with("daily", "time")),
    "open_meteo_archive": ApiCheck(
        "/archive", {**_DAY, "start_date": "2020-06-01", "end_date": "2020-06-01"}, _json_with("daily", "time")
    ),
    "open_meteo_ensemble": ApiCheck(
        "/ensemble", {**_DAY, "models": "gfs_seamless", "forecast_days": "1"}, _json_with("daily", "time")
    ),
    "noaa": ApiCheck(
        "/",
        {"dataset": "daily-summaries", "stations": "USW00024229", "dataTypes": "TMAX", "startDate": "2020-06-01",
         "endDate": "2020-06-01", "units": "standard", "includeStationName": "true", "format": "csv"},
        _noaa_csv,
    ),  # fmt: skip
}


def check_answer(response: Any, body: bytes, check: ApiCheck) -> str | None:
    """Why ``response`` is not the API's answer (None: it is)."""
    if response.status_code != 200:
        where = f" to {response.headers.get('Location')}" if response.is_redirect else ""
        return f"answered HTTP {response.status_code}{where}"
    ctype = response.headers.get("Content-Type", "").lower()
    if "html" in ctype or body.lstrip()[:15].lower().startswith((b"<!doctype", b"<html")):
        return "answered with an HTML page, not the API (a captive portal, login page or proxy?)"
    return check.expect(body)


def _ask(session: requests.Session, url: str, check: ApiCheck, timeout: float) -> str | None:
    try:
        with session.get(
            url, params=check.params, timeout=(timeout, timeout), allow_redirects=False, stream=True
        ) as resp:
            body = resp.raw.read(MAX_BODY, decode_content=True)
            return check_answer(resp, body, check)
    except (requests.RequestException, OSError) as exc:
        return f"no answer ({type(exc).__name__})"


def probe_api_answers(
    base_urls: Mapping[str, str], timeout: float = PROBE_TIMEOUT, user_agent: str | None = None
) -> ProbeResult:
    """Ask every source (``base_urls``: source -> base URL, ``dict(settings.http.endpoints)``) at once; see the
    module docstring. A source that has not answered as itself within ``timeout`` seconds is unreachable."""
    bases = dict(base_urls)
    session = requests.Session()
    session.headers["User-Agent"] = user_agent or default_user_agent()
    problems: dict[str, str | None] = {}
    lock = threading.Lock()

    def attempt(name: str) -> None:
        problem = _ask(session, bases[name].rstrip("/") + CHECKS[name].path, CHECKS[name], timeout)
        with lock:
            problems[name] = problem

    start = time.monotonic()
    names = [n for n in CHECKS if n in bases]
    threads = [threading.Thread(target=attempt, args=(n,), daemon=True) for n in names]
    for t in threads:
        t.start()
    for t in threads:  # one shared deadline
        t.join(max(0.0, timeout - (time.monotonic() - start)))
    session.close()
    with lock:
        answered = dict(problems)

    def label(name: str) -> str:
        return f"{urlsplit(bases[name]).netloc} ({name})"

    up = tuple(label(n) for n in names if n in answered and answered[n] is None)
    down = tuple(
        f"{label(n)}: {answered.get(n, f'no answer within {timeout:g} s')}"
        for n in names
        if answered.get(n, "x") is not None
    )
    return ProbeResult(reachable=up, unreachable=down, seconds=time.monotonic() - start)
