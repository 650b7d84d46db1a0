"""Observer effort: research-grade observations of a reference group in the place's circle, per year and week.

Look here for the effort frame the analysis uses to correct first-sighting dates for how many people were out
looking, and to find sampling gaps (weeks with no reference observations at all).

**Reference group.** All insects (Insecta, taxon 47158) by default: the people who photograph a butterfly are the
people out photographing insects, and insect observations are plentiful enough to measure effort week by week.
What it misses: insects have a season of their own, so a low winter count means few insects as much as few
observers (compare weeks across years, not across seasons); butterfly-targeted effort (a butterfly count, a
Lepidoptera project) raises butterfly records without raising insect records proportionally; and research grade
needs identifiers, so the newest weeks fill in over the following months.

**Requests.** ``/observations/histogram`` with ``interval=week``, ``date_field=observed`` and ``d1``/``d2`` set
to one calendar year: one request per year. Past years are kept forever (historical tier); this year's request
is asked again after a day (current tier).

**Week convention.** iNaturalist's week histogram returns Elasticsearch date-histogram buckets keyed by the
**Monday** that starts the week (``"2021-12-27"``). A calendar year's request therefore has a first bucket that may
start in late December and a last one that may end in early January, each holding only the year's own days.
This module numbers them within the year: ``week`` 1 is the Monday-start week containing 1 January, ``week`` n
starts 7 (n − 1) days after it (1..53, 54 when a leap year starts on a Sunday); ``days`` says how many of the
week's days fall inside the year (and on or before the as-of day), so a per-day rate is ``n_reference / days``.
``week_of(dates)`` maps any date to the same ``(year, week, week_start)``, so sightings and effort join exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import tier_for_range
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.inaturalist import client, validate
from butterfly_lib.sources.inaturalist.places import place_params

PATH = "observations/histogram"
INSECTS = 47158
EFFORT_COLUMNS = ["year", "week", "week_start", "days", "n_reference"]


def week_of(dates: Iterable[date] | pd.Series) -> pd.DataFrame:
    """``year``, ``week`` (1..54, see the module docstring) and ``week_start`` (the Monday) of each date."""
    d = pd.to_datetime(pd.Series(list(dates) if not isinstance(dates, pd.Series) else dates), errors="coerce")
    if d.dt.tz is not None:
        d = d.dt.tz_localize(None)
    d = d.dt.normalize()
    start = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    jan1 = pd.to_datetime(pd.DataFrame({"year": d.dt.year, "month": 1, "day": 1}), errors="coerce")
    first = jan1 - pd.to_timedelta(jan1.dt.day_of_week, unit="D")
    week = ((start - first).dt.days // 7 + 1).astype("Int64")
    return pd.DataFrame(
        {"year": d.dt.year.astype("Int64"), "week": week, "week_start": start.dt.date}, index=d.index
    )


def _weeks_of_year(year: int, last: date) -> pd.DataFrame:
    """Every week of ``year`` up to ``last`` with how many of its days fall in ``year`` and on or before ``last``."""
    days = pd.date_range(date(year, 1, 1), min(date(year, 12, 31), last), freq="D")
    w = week_of(pd.Series(days))
    out = w.groupby(["year", "week", "week_start"], as_index=False).size().rename(columns={"size": "days"})
    return out


def parse_weeks(data: dict, url: str) -> pd.Series:
    """Counts per Monday of ``results.week`` (``{"2021-12-27": 4, ...}``); refuses keys that are not Mondays."""
    bins = data["results"].get("week") if isinstance(data.get("results"), dict) else None
    if not isinstance(bins, dict):
        raise SourceError(client.SOURCE, url, "field 'results.week' missing or not an object")
    keys, counts = [], []
    for key, value in bins.items():
        try:
            day = date.fromisoformat(str(key)[:10])
        except ValueError:
            raise SourceError(client.SOURCE, url, f"results.week has a key that is not a date: {key!r}") from None
        if day.weekday() != 0:
            raise SourceError(
                client.SOURCE, url, f"results.week key {key!r} is not a Monday",
                "week buckets are expected to start on Monday (Elasticsearch weeks); not relabelling them",
            )  # fmt: skip
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise SourceError(client.SOURCE, url, f"results.week has a count that is not a whole number: {value!r}")
        keys.append(day)
        counts.append(0 if value is None else value)
    return pd.Series(counts, index=keys, dtype="int64")


def _years(first_year: int | None, years: Sequence[int] | None, today: date) -> list[int]:
    if years is not None:
        out = sorted({int(y) for y in years})
    else:
        if isinstance(first_year, bool) or not isinstance(first_year, int | np.integer):
            raise InvalidInput("first_year", first_year, "a year such as 2008 (or pass years=[...])")
        out = list(range(int(first_year), today.year + 1))
    bad = [y for y in out if not 1800 <= y <= today.year]
    if bad or not out:
        raise InvalidInput("years", bad or out, f"years from 1800 to {today.year}")
    return out


def observer_effort(
    place: Place,
    first_year: int | None = None,
    *,
    years: Sequence[int] | None = None,
    reference_taxon_id: int | str = INSECTS,
    today: date | None = None,
    session: ButterflySession,
) -> pd.DataFrame:
    """Research-grade observations of the reference group in ``place``'s circle per year and week.

    Columns: ``year``, ``week``, ``week_start`` (the Monday, ``datetime.date``), ``days`` (days of that week
    inside the year and not after ``today``), ``n_reference`` (int64; 0 where iNaturalist has none). Years:
    ``first_year`` .. this year, or exactly ``years``. ``attrs``: ``first_date`` / ``last_date`` (first and last
    day covered), provenance (every URL). One request per year; past years never expire in the cache.
    """
    if not isinstance(place, Place):
        raise InvalidInput("place", place, "a butterfly_lib.place.Place")
    taxon = validate.taxon_id(reference_taxon_id, "reference_taxon_id")
    today = today or pd.Timestamp.now(tz=place.timezone).date()
    wanted = _years(first_year, years, today)
    base = {
        **place_params(place),
        "taxon_id": taxon,
        "quality_grade": ["research"],
        "verifiable": True,
        "interval": "week",
        "date_field": "observed",
    }
    frames, fetches = [], []
    for year in wanted:
        d2 = min(date(year, 12, 31), today)
        params = {**base, "d1": date(year, 1, 1), "d2": d2}
        check = client.envelope_check(
            session, PATH, params, dict, parse=lambda results, url: parse_weeks({"results": results}, url)
        )
        fetched = client.get(
            PATH, params, tier=tier_for_range(d2, today=today), check=check, location=place.name, session=session
        )
        fetches.append(fetched)
        counts = parse_weeks(fetched.data, fetched.url)
        weeks = _weeks_of_year(year, d2)
        outside = set(counts.index) - set(weeks["week_start"])
        if outside:
            raise SourceError(
                client.SOURCE, fetched.url, f"weeks outside {year} up to {d2}: {sorted(outside)[:3]}"
            )
        weeks["n_reference"] = weeks["week_start"].map(counts).fillna(0).astype("int64")
        frames.append(weeks)
    out = pd.concat(frames, ignore_index=True)[EFFORT_COLUMNS]
    out["year"] = out["year"].astype("int64")
    out["week"] = out["week"].astype("int64")
    out["days"] = out["days"].astype("int64")
    empty = int((out["n_reference"] == 0).sum())
    prov = combine(
        [f.provenance for f in fetches],
        notice=f"{empty} of {len(out)} weeks have no research-grade observation of the reference group",
        parameters={"reference_taxon_id": taxon, "years": wanted},
    )
    out.attrs["first_date"] = date(wanted[0], 1, 1)
    out.attrs["last_date"] = min(date(wanted[-1], 12, 31), today)
    return attach(out, prov)


def gap_weeks(effort: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``effort`` with no reference observation (sampling gaps)."""
    return effort[effort["n_reference"] == 0].reset_index(drop=True)


__all__ = ["EFFORT_COLUMNS", "INSECTS", "gap_weeks", "observer_effort", "parse_weeks", "week_of"]
