"""The observation record of a place, downloaded once and kept locally: first build, daily refresh, sightings.

Look here to fill or refresh a place's record and to read it as the sightings frame the analysis uses.

- ``update_record(place, folder, session=...)``: the one call a page or a script makes. No record yet (or an
  interrupted one): the **first build** pages through every research-grade observation of the taxon in the
  place's circle by id (``order_by=id&order=asc&id_above=<last id>``, 200 a page, through ``fetch``), committing
  each page with its cursor, with a progress bar (count and time left at the rate limit); Ctrl-C or a kill loses
  nothing committed and the next call resumes after the last committed id. A record refreshed less than
  ``max_age`` ago: nothing is asked (0 requests). Otherwise the **daily refresh**: new ids (``id_above`` = the
  highest id held), observations updated since the last refresh (``updated_since``, every quality grade, so
  downgrades and re-identifications are applied), and the deletion check (one per-year count request; an id
  census only for years whose count differs): a handful of requests.
- ``sightings(place, folder)``: the research-grade record as a frame (see ``SIGHTING_COLUMNS``), duplicates
  collapsed (``dedup``), local dates in the place's zone, provenance attached.

Deletions: iNaturalist's ``/observations/deleted`` lists only the signed-in user's own deletions, so a public
client cannot ask it. The cheapest honest check: after new ids and updates are applied, the store holds every
observation the server returns, so a year whose held count exceeds the server's count (``/observations/histogram``
``interval=year``, one request) holds observations the server no longer returns (deleted, re-identified out of
the taxon, moved out of the circle, made casual). Only those years get an id census (``only_id=true``, 200 ids a
page), and held ids the census lacks are dropped; ids the census has and the store lacks are fetched by id.

Caching of record pages: the store is the copy of record, so a page's cached response is deleted once its rows
are committed (``keep_pages=False``, the default). The snapshot build passes ``keep_pages=True`` so the offline
snapshot can answer the record download from the cache; an offline session never deletes anything.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import requests

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import Fetched, Tier, encode_params
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.provenance import Provenance, attach
from butterfly_lib.settings import DEFAULT_ENDPOINTS
from butterfly_lib.sources.inaturalist import client, parse, validate
from butterfly_lib.sources.inaturalist.dedup import DEFAULT_RADIUS_M, collapse_duplicates
from butterfly_lib.sources.inaturalist.places import place_params
from butterfly_lib.sources.inaturalist.store import COLUMNS, RecordState, RecordStore, table_for, utc_now

PATH = "observations"
HISTOGRAM_PATH = "observations/histogram"
PER_PAGE = client.OBSERVATIONS_PER_PAGE
#: ids per ``id=`` request when fetching observations the census found missing
IDS_PER_REQUEST = 200
#: a refresh asks for updates since the previous refresh's start minus this margin (clock skew, indexing delay)
UPDATE_MARGIN = timedelta(hours=1)
#: a record refreshed more recently than this is not asked again
DEFAULT_MAX_AGE = timedelta(hours=20)
#: the per-year count request starts here (older observations are museum records; still checked)
CENSUS_FIRST_YEAR = 1800

#: an observation's identity, taxon, time and place as the observations endpoint gives them, then the record's own
SIGHTING_COLUMNS = [
    *parse.OBSERVATION_COLUMNS[: parse.OBSERVATION_COLUMNS.index("obscured") + 1],
    "user_id",
    "user_login",
    "quality_grade",
    "updated_at",
    "n_duplicates",
]


@dataclass
class RecordReport:
    """What one ``update_record`` call did. ``requests`` counts network requests (cache hits are free)."""

    table: str
    action: str  # "built", "refreshed" or "fresh" (nothing asked)
    requests: int = 0
    pages: int = 0
    added: int = 0
    updated: int = 0
    downgraded: int = 0
    deleted: int = 0
    fetched_missing: int = 0
    census_years: list[int] = field(default_factory=list)
    held: int = 0
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------- parsing


def record_rows(results: list, url: str, timezone: str) -> pd.DataFrame:
    """Store rows (``store.COLUMNS``) of one page of ``/observations`` results.

    Fields are checked as ``parse.observations_frame`` checks them (a broken record raises ``SourceError``);
    ``observed_on`` is the local date of ``time_observed_at`` in ``timezone`` when a time was given, else
    iNaturalist's ``observed_on`` (kept as ``observed_on_inat`` too); ``user_id`` and ``updated_at`` may be null.
    """
    base = parse.observations_frame(results, url)
    users = [r.get("user") if isinstance(r.get("user"), dict) else {} for r in results]
    user_ids = [u.get("id") if isinstance(u.get("id"), int) and not isinstance(u.get("id"), bool) else None for u in users]
    updated = [r.get("updated_at") if isinstance(r.get("updated_at"), str) else None for r in results]
    observed_at = base["observed_at"]
    inat_day = pd.Series(base["observed_on"].to_numpy(), dtype="object")
    local_day = observed_at.dt.tz_convert(ZoneInfo(timezone)).dt.date
    observed_on = np.where(observed_at.notna().to_numpy(), local_day.to_numpy(dtype=object), inat_day.to_numpy())
    rows = pd.DataFrame(
        {
            "id": base["id"].astype("int64"),
            "taxon_id": base["taxon_id"],
            "scientific_name": base["scientific_name"],
            "common_name": base["common_name"],
            "rank": base["rank"],
            "observed_on": pd.to_datetime(pd.Series(observed_on, dtype="object"), errors="coerce").dt.date,
            "observed_on_inat": pd.to_datetime(inat_day, errors="coerce").dt.date,
            "observed_at": observed_at,
            "latitude": base["latitude"],
            "longitude": base["longitude"],
            "positional_accuracy_m": base["positional_accuracy_m"],
            "obscured": base["obscured"],
            "user_id": pd.array(user_ids, dtype="Int64"),
            "user_login": base["user_login"],
            "quality_grade": base["quality_grade"],
            "updated_at": pd.to_datetime(pd.Series(updated, dtype="object"), utc=True, errors="coerce", format="ISO8601"),
            "fetched_at": pd.Timestamp(utc_now()),
        }
    )
    return rows[list(COLUMNS)]


def _id_results(results: list, url: str) -> list[int]:
    """Ids of an ``only_id=true`` page (``[{"id": 1}, ...]``)."""
    ids = []
    for i, r in enumerate(results):
        if not isinstance(r, dict) or isinstance(r.get("id"), bool) or not isinstance(r.get("id"), int):
            raise SourceError(client.SOURCE, url, f"census results[{i}] is {r!r}, expected an object with an id")
        ids.append(r["id"])
    return ids


# ---------------------------------------------------------------------------------------------- requests


class _Walker:
    """Requests of one ``update_record`` call: counts network requests, drops committed pages from the cache."""

    def __init__(self, place: Place, session: ButterflySession, keep_pages: bool):
        self.place = place
        self.session = session
        self.keep_pages = keep_pages
        self.requests = 0
        self.pages = 0
        self.provs: list[Provenance] = []

    def get(self, path: str, params: dict[str, Any], parse_results: Callable[[Any, str], Any], results_type: type = list) -> Fetched:
        check = client.envelope_check(self.session, path, params, results_type, parse=parse_results)
        fetched = client.get(path, params, tier=Tier.LIVE, check=check, location=self.place.name, session=self.session)
        if not fetched.provenance.from_cache:
            self.requests += 1
        self.provs.append(fetched.provenance)
        return fetched

    def forget(self, path: str, params: dict[str, Any]) -> None:
        """Delete a committed page from the request cache (the store holds it now)."""
        if self.keep_pages or self.session.offline:
            return
        prepared = self.session.prepare_request(
            requests.Request("GET", client.url_for(self.session, path), params=encode_params(params))
        )
        self.session.cache.delete(self.session.cache.create_key(prepared))

    def walk(
        self,
        params: dict[str, Any],
        on_page: Callable[[Fetched, dict[str, Any]], None],
        *,
        cursor: int | None = None,
        parse_results: Callable[[Any, str], Any],
        path: str = PATH,
        on_total: Callable[[int], None] | None = None,
    ) -> None:
        """Pages of ``params`` in id order from ``cursor`` on; ``on_page`` commits each one before the next."""
        total: int | None = None
        got = 0
        while True:
            q = {**params, "order_by": "id", "order": "asc", "per_page": PER_PAGE}
            if cursor is not None:
                q["id_above"] = cursor
            fetched = self.get(path, q, parse_results)
            self.pages += 1
            results = fetched.data["results"]
            if total is None:
                total = int(fetched.data["total_results"])
                if on_total is not None:
                    on_total(total)
            on_page(fetched, q)
            self.forget(path, q)
            got += len(results)
            ids = [r["id"] for r in results if isinstance(r, dict) and isinstance(r.get("id"), int)]
            new_cursor = max(ids) if ids else cursor
            if not results or len(results) < PER_PAGE or got >= total or new_cursor == cursor:
                return
            cursor = new_cursor


def _search(place: Place, taxon_id: int, quality: tuple[str, ...] | None) -> dict[str, Any]:
    params: dict[str, Any] = {**place_params(place), "taxon_id": taxon_id}
    if quality is not None:
        params["quality_grade"] = list(quality)
        params["verifiable"] = True
    return params


# ---------------------------------------------------------------------------------------------- progress


class _Progress:
    """A tqdm bar of observations with the time left at the rate limit (one page of 200 per interval)."""

    def __init__(self, enabled: bool | IO[str], initial: int, interval: float):
        self.bar = None
        self.interval = interval
        if enabled:
            from tqdm.auto import tqdm

            stream = enabled if not isinstance(enabled, bool) else sys.stderr
            self.bar = tqdm(
                total=None, initial=initial, unit="obs", desc="iNaturalist record", file=stream, dynamic_ncols=True
            )

    def total(self, n: int) -> None:
        if self.bar is not None:
            self.bar.total = n
            self.bar.refresh()

    def advance(self, n: int) -> None:
        if self.bar is None:
            return
        self.bar.update(n)
        left = max(0, (self.bar.total or 0) - self.bar.n)
        seconds = math.ceil(left / PER_PAGE) * max(self.interval, 0.2)
        self.bar.set_postfix_str(f"~{timedelta(seconds=round(seconds))} left at the rate limit")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------------------------------------- build / refresh


def update_record(
    place: Place,
    folder: str | Path,
    *,
    taxon_id: int | str = validate.BUTTERFLIES,
    session: ButterflySession,
    max_age: timedelta = DEFAULT_MAX_AGE,
    progress: bool | IO[str] = True,
    keep_pages: bool = False,
    census: bool = True,
    now: datetime | None = None,
) -> RecordReport:
    """Build the place's record if it is missing or incomplete, else refresh it if older than ``max_age``.

    ``folder`` holds the store (see ``store.RecordStore``); nothing is read from the environment. ``census``
    runs the deletion check on a refresh (one request, plus an id census of the years whose counts differ).
    Returns a ``RecordReport``. Raises ``SourceError`` when iNaturalist fails (committed pages are kept).
    """
    if not isinstance(place, Place):
        raise InvalidInput("place", place, "a butterfly_lib.place.Place")
    taxon = validate.taxon_id(taxon_id)
    if not isinstance(max_age, timedelta) or max_age < timedelta(0):
        raise InvalidInput("max_age", max_age, "a timedelta >= 0")
    store = RecordStore(folder)
    table = table_for(place, taxon)
    state = store.ensure(table, place, taxon)
    now = now or utc_now()
    t0 = time.perf_counter()
    walker = _Walker(place, session, keep_pages)
    if not state.build_complete:
        report = _build(place, taxon, store, table, state, walker, progress, now)
    elif state.last_refresh_at is not None and now - state.last_refresh_at < max_age:
        report = RecordReport(table, "fresh")
    else:
        report = _refresh(place, taxon, store, table, state, walker, census, now)
    report.requests, report.pages = walker.requests, walker.pages
    report.held = store.count(table)
    report.seconds = time.perf_counter() - t0
    return report


def _page_state(fetched: Fetched, state: RecordState) -> dict[str, Any]:
    """Meta columns recording where the pages came from (observed, or derived in the offline snapshot)."""
    prov = fetched.provenance
    kind = "derived" if "derived" in (prov.kind, state.kind) else prov.kind
    notice = "; ".join(dict.fromkeys(n for n in (state.notice, prov.notice) if n))[:2000]
    url = urlsplit(prov.url)
    return {"kind": kind, "notice": notice, "source_url": f"{url.scheme}://{url.netloc}{url.path}"}


def _build(
    place: Place,
    taxon: int,
    store: RecordStore,
    table: str,
    state: RecordState,
    walker: _Walker,
    progress: bool | IO[str],
    now: datetime,
) -> RecordReport:
    report = RecordReport(table, "built")
    started = state.build_started_at or now
    if state.build_started_at is None:
        store.set_state(table, build_started_at=started)
    held = store.count(table, None)
    bar = _Progress(progress, held, walker.session.rate_limiter.interval(client.SOURCE))
    tz = place.timezone
    meta = {"state": state}

    def on_page(fetched: Fetched, q: dict[str, Any]) -> None:
        rows = record_rows(fetched.data["results"], fetched.url, tz)
        cursor = int(rows["id"].max()) if len(rows) else meta["state"].cursor_id
        extra = _page_state(fetched, meta["state"])
        store.upsert(table, rows, cursor_id=cursor, **extra)
        meta["state"] = RecordState(**{**meta["state"].__dict__, "cursor_id": cursor, **extra})
        report.added += len(rows)
        bar.advance(len(rows))

    try:
        walker.walk(
            _search(place, taxon, ("research",)),
            on_page,
            cursor=state.cursor_id,
            parse_results=lambda results, url: record_rows(results, url, tz),
            on_total=lambda n: bar.total(held + n),
        )
    except KeyboardInterrupt:
        bar.close()
        print(
            f"\ninterrupted: {store.count(table, None)} observations kept in {store.path}; run again to resume",
            file=sys.stderr,
        )
        raise
    finally:
        bar.close()
    store.set_state(
        table,
        build_complete=True,
        last_refresh_at=now,
        updated_since=started - UPDATE_MARGIN,
        last_census_at=now,
    )
    return report


def _refresh(
    place: Place,
    taxon: int,
    store: RecordStore,
    table: str,
    state: RecordState,
    walker: _Walker,
    census: bool,
    now: datetime,
) -> RecordReport:
    report = RecordReport(table, "refreshed")
    tz = place.timezone
    research = _search(place, taxon, ("research",))

    def parse_rows(results: Any, url: str) -> pd.DataFrame:
        return record_rows(results, url, tz)

    # 1. new ids
    def on_new(fetched: Fetched, q: dict[str, Any]) -> None:
        rows = record_rows(fetched.data["results"], fetched.url, tz)
        held = store.held_ids(table, rows["id"].tolist())
        store.upsert(table, rows)
        report.added += int((~rows["id"].isin(held)).sum())
        report.updated += int(rows["id"].isin(held).sum())

    walker.walk(research, on_new, cursor=store.max_id(table), parse_results=parse_rows)

    # 2. updates since the last refresh, every quality grade (downgrades, upgrades, re-identifications)
    since = state.updated_since or state.build_started_at or now
    updates = {**_search(place, taxon, None), "updated_since": since.isoformat(timespec="seconds")}

    def on_update(fetched: Fetched, q: dict[str, Any]) -> None:
        rows = record_rows(fetched.data["results"], fetched.url, tz)
        held = store.held_ids(table, rows["id"].tolist())
        known = rows["id"].isin(held)
        research_rows = rows["quality_grade"] == "research"
        # a research-grade observation is kept; another grade only replaces one we hold (its grade changed)
        keep = rows[research_rows | known]
        store.upsert(table, keep)
        report.added += int((research_rows & ~known).sum())
        report.updated += int((research_rows & known).sum())
        report.downgraded += int((~research_rows & known).sum())

    walker.walk(updates, on_update, parse_results=parse_rows)

    # 3. disappearances: per-year counts against the server, an id census where they differ
    if census:
        _census(place, store, table, research, walker, report, tz)
    store.set_state(
        table, last_refresh_at=now, updated_since=now - UPDATE_MARGIN, last_census_at=now if census else state.last_census_at
    )
    return report


def _year_histogram(data: dict, url: str) -> pd.Series:
    bins = data["results"].get("year") if isinstance(data.get("results"), dict) else None
    if not isinstance(bins, dict):
        raise SourceError(client.SOURCE, url, "field 'results.year' missing or not an object")
    years, counts = [], []
    for key, value in bins.items():
        try:
            years.append(date.fromisoformat(str(key)[:10]).year)
        except ValueError:
            raise SourceError(client.SOURCE, url, f"results.year has a key that is not a date: {key!r}") from None
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise SourceError(client.SOURCE, url, f"results.year has a count that is not a whole number: {value!r}")
        counts.append(value or 0)
    return pd.Series(counts, index=years, dtype="int64").groupby(level=0).sum()


def _census(
    place: Place,
    store: RecordStore,
    table: str,
    research: dict[str, Any],
    walker: _Walker,
    report: RecordReport,
    tz: str,
) -> None:
    held_years = store.year_counts(table)
    first = min([CENSUS_FIRST_YEAR, *held_years.index.tolist()])
    hist_q = {**research, "interval": "year", "date_field": "observed", "d1": f"{first}-01-01"}
    fetched = walker.get(
        HISTOGRAM_PATH, hist_q, lambda results, url: _year_histogram({"results": results}, url), dict
    )
    server = _year_histogram(fetched.data, fetched.url)
    years = sorted(set(server.index) | set(held_years.index))
    differ = [y for y in years if int(held_years.get(y, 0)) != int(server.get(y, 0))]
    report.census_years = differ
    for year in differ:
        ids: set[int] = set()

        def on_ids(f: Fetched, q: dict[str, Any], ids: set[int] = ids) -> None:
            ids.update(_id_results(f.data["results"], f.url))

        walker.walk(
            {**research, "only_id": True, "d1": f"{year}-01-01", "d2": f"{year}-12-31"},
            on_ids,
            parse_results=_id_results,
        )
        gone = store.ids_of_year(table, year) - ids
        report.deleted += store.delete_ids(table, gone)
        missing = sorted(ids - store.held_ids(table, sorted(ids)))
        for lo in range(0, len(missing), IDS_PER_REQUEST):
            batch = missing[lo : lo + IDS_PER_REQUEST]
            q = {**research, "id": batch, "per_page": IDS_PER_REQUEST}
            got = walker.get(PATH, q, lambda results, url: record_rows(results, url, tz))
            walker.pages += 1
            rows = record_rows(got.data["results"], got.url, tz)
            store.upsert(table, rows)
            walker.forget(PATH, q)
            report.fetched_missing += len(rows)


# ---------------------------------------------------------------------------------------------- reading


def record_state(place: Place, folder: str | Path, taxon_id: int | str = validate.BUTTERFLIES) -> RecordState | None:
    """The stored state of the place's record (None if it was never started)."""
    taxon = validate.taxon_id(taxon_id)
    return RecordStore(folder).state(table_for(place, taxon))


def sightings(
    place: Place,
    folder: str | Path,
    *,
    taxon_id: int | str = validate.BUTTERFLIES,
    radius_m: float = DEFAULT_RADIUS_M,
) -> pd.DataFrame:
    """The place's research-grade record as one row per deduplicated observation (``SIGHTING_COLUMNS``).

    ``observed_on`` holds ``datetime.date`` objects (local dates in the place's zone); ``observed_at`` is
    tz-aware in the place's zone (NaT without a time); ``n_duplicates`` counts the observations collapsed into
    the row (same observer, taxon and day within ``radius_m``). ``attrs``: ``first_date`` / ``last_date`` (the
    first observed day held and the day of the last refresh, local), ``duplicates_collapsed`` and provenance.
    Raises ``InvalidInput`` if the record was never completely built (run ``update_record`` first).
    """
    if not isinstance(place, Place):
        raise InvalidInput("place", place, "a butterfly_lib.place.Place")
    taxon = validate.taxon_id(taxon_id)
    store = RecordStore(folder)
    table = table_for(place, taxon)
    state = store.state(table)
    if state is None or not state.build_complete:
        raise InvalidInput(
            "observation record", f"{place.name} in {store.path}", "a completely built record: run update_record first"
        )
    raw = store.read(table)
    deduped = collapse_duplicates(raw, radius_m)
    tz = ZoneInfo(place.timezone)
    frame = deduped.assign(
        observed_at=deduped["observed_at"].dt.tz_convert(tz),
        user_id=deduped["user_id"].astype("Int64"),
        taxon_id=deduped["taxon_id"].astype("Int64"),
        observed_on=pd.to_datetime(deduped["observed_on"]).dt.date,
    )[SIGHTING_COLUMNS]
    collapsed = int(frame["n_duplicates"].sum())
    refreshed = state.last_refresh_at.astimezone(tz).date() if state.last_refresh_at else None
    frame.attrs["first_date"] = min(frame["observed_on"]) if len(frame) else None
    frame.attrs["last_date"] = refreshed
    frame.attrs["duplicates_collapsed"] = collapsed
    notices = [state.notice] if state.notice else []
    notices.append(
        f"{len(raw)} research-grade observations held; {collapsed} duplicate(s) collapsed (same observer, taxon and "
        f"day within {radius_m:g} m)"
    )
    prov = Provenance(
        source=client.SOURCE,
        url=state.source_url or f"{DEFAULT_ENDPOINTS[client.SOURCE]}/{PATH}",
        fetched_at=state.last_refresh_at,
        expires=None,
        from_cache=True,
        location=place.name,
        parameters={
            **{k: v for k, v in encode_params(_search(place, taxon, ("research",))).items()},
            "store": str(store.path),
            "table": table,
            "held": len(raw),
        },
        kind="derived" if state.kind == "derived" else "observed",
        notice="; ".join(notices),
    )
    return attach(frame.reset_index(drop=True), prov)
