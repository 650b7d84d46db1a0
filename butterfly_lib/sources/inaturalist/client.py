"""The thin iNaturalist client: every request goes through ``butterfly_lib.http.fetch`` as source
``"inaturalist"``, with the two pagination schemes the API needs and provenance combined across pages.

Look here for request economy and paging. ``pages`` walks ``page=1,2,...`` (species counts, taxa lists);
``pages_by_id`` walks ``order_by=id&order=asc&id_above=<last id>`` (observations), which is the only way past
iNaturalist's 10,000-result cap on ``page * per_page``. Both stop as soon as the first page's
``total_results`` are in hand (or a page comes back empty), so ``n`` results cost ``ceil(n / per_page)``
requests, and a repeated call is served from the cache without a request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from butterfly_lib.errors import SourceError
from butterfly_lib.http import Fetched, Tier, encode_params, fetch
from butterfly_lib.http.session import ButterflySession

SOURCE = "inaturalist"
OBSERVATIONS_PER_PAGE = 200  # the API's maximum for /observations
SPECIES_COUNTS_PER_PAGE = 500  # species_counts allows more per page (the recorded response used 500)
RESULT_CAP = 10_000  # page * per_page may not exceed this


def url_for(session: ButterflySession, path: str, params: Mapping[str, Any] | None = None) -> str:
    """The full URL of ``path`` under the session's iNaturalist base URL (with ``params``, as ``fetch`` sends it)."""
    url = session.url(SOURCE, path)
    if params:
        url = requests.Request("GET", url, params=encode_params(params)).prepare().url or url
    return url


def get(
    path: str,
    params: Mapping[str, Any] | None,
    *,
    tier: Tier,
    check: Callable[[Any], None] | None = None,
    location: str = "",
    session: ButterflySession,
) -> Fetched:
    """One GET of ``path`` through the shared cache; ``check`` rejects a body (it is then not cached)."""
    return fetch(
        SOURCE,
        url_for(session, path),
        params,
        tier=tier,
        expected="json",
        location=location,
        session=session,
        check=check,
    )


def check_envelope(
    data: Any, url: str, results_type: type = list, parse: Callable[[Any, str], Any] | None = None
) -> None:
    """Raise ``SourceError`` (naming ``url``) unless ``data`` is iNaturalist's list envelope
    ``{"total_results": int, "results": [...]}`` (a mapping for histograms) whose records ``parse`` accepts."""
    if not isinstance(data, dict):
        raise SourceError(SOURCE, url, f"expected a JSON object, got {type(data).__name__}")
    if "results" not in data:
        raise SourceError(SOURCE, url, "field 'results' missing from the response")
    if not isinstance(data["results"], results_type):
        raise SourceError(
            SOURCE,
            url,
            f"field 'results' is {type(data['results']).__name__}, expected {results_type.__name__}",
        )
    total = data.get("total_results")
    if results_type is list and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise SourceError(SOURCE, url, f"field 'total_results' missing or not a count ({total!r})")
    if parse is not None:
        parse(data["results"], url)


def envelope_check(
    session: ButterflySession,
    path: str,
    params: Mapping[str, Any] | None,
    results_type: type = list,
    parse: Callable[[Any, str], Any] | None = None,
) -> Callable[[Any], None]:
    """A ``fetch(check=...)`` for iNaturalist's list envelope (``check_envelope``) at ``path``.

    ``parse(results, url)``, when given, must accept the records too, so a body with a broken record is
    rejected inside ``fetch`` (never cached, and a good expired copy is served instead)."""
    url = url_for(session, path, params)

    def check(data: Any) -> None:
        check_envelope(data, url, results_type, parse)

    return check


def pages(
    path: str,
    params: Mapping[str, Any],
    *,
    per_page: int,
    tier: Tier,
    location: str = "",
    session: ButterflySession,
    max_results: int | None = None,
    parse: Callable[[Any, str], Any] | None = None,
) -> Iterator[Fetched]:
    """Walk ``page=1,2,...`` until ``total_results`` (of page 1) results are in, or a page is empty."""
    total: int | None = None
    got = 0
    page = 1
    while True:
        q = {**params, "per_page": per_page, "page": page}
        check = envelope_check(session, path, q, parse=parse)
        fetched = get(path, q, tier=tier, check=check, location=location, session=session)
        yield fetched
        results = fetched.data["results"]
        got += len(results)
        if total is None:
            total = fetched.data["total_results"]
        limit = total if max_results is None else min(total, max_results)
        if (
            not results
            or got >= limit
            or page * per_page >= RESULT_CAP
            or _short_page(fetched.data, per_page)
        ):
            return
        page += 1


def pages_by_id(
    path: str,
    params: Mapping[str, Any],
    *,
    per_page: int,
    tier: Tier,
    max_results: int,
    location: str = "",
    session: ButterflySession,
    parse: Callable[[Any, str], Any] | None = None,
) -> Iterator[Fetched]:
    """Walk ``order_by=id&order=asc`` pages with ``id_above`` = the highest id seen so far.

    Stops when ``min(total_results, max_results)`` results are in, when a page is empty or when the cursor
    stops moving. The last page asks only for as many results as the cap still allows.
    """
    total: int | None = None
    got = 0
    cursor: int | None = None
    while True:
        remaining = (max_results if total is None else min(total, max_results)) - got
        want = min(per_page, remaining)
        q = {**params, "order_by": "id", "order": "asc", "per_page": want}
        if cursor is not None:
            q["id_above"] = cursor
        check = envelope_check(session, path, q, parse=parse)
        fetched = get(path, q, tier=tier, check=check, location=location, session=session)
        yield fetched
        results = fetched.data["results"]
        got += len(results)
        if total is None:
            total = fetched.data["total_results"]
        ids = [r["id"] for r in results if isinstance(r, dict) and isinstance(r.get("id"), int)]
        new_cursor = max([*ids, cursor or 0]) if ids else cursor
        if (
            not results
            or got >= min(total, max_results)
            or new_cursor == cursor
            or _short_page(fetched.data, want)
        ):
            return
        cursor = new_cursor


def _short_page(data: dict, asked: int) -> bool:
    """A page shorter than the page size the server confirms it used is the last one."""
    return data.get("per_page") == asked and len(data["results"]) < asked
