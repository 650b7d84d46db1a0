"""Observations (``/observations``): individual sightings with coordinates, photos, observer and licence.

Look here for the sightings map and anything needing one row per sighting. Pages go in id order
(``order_by=id&order=asc&id_above=<last id>``, 200 a page), the only way past iNaturalist's 10,000-result cap.
``max_results`` bounds the cost (``ceil(n / 200)`` requests at one a second): when more observations match,
a ``UserWarning`` says so and the provenance notice records it. The kept ones are then the lowest ids (the
earliest uploads), not a random sample. ``AcrossYears`` windows are asked with exact month/day filters and also
post-filtered by month-day here (a guard; it normally drops nothing).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from butterfly_lib.http import Fetched
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.inaturalist import client, parse, validate
from butterfly_lib.sources.inaturalist.places import place_label
from butterfly_lib.sources.inaturalist.query import search_params
from butterfly_lib.sources.inaturalist.windows import AcrossYears, Window, check_window, this_week

PATH = "observations"
DEFAULT_MAX_RESULTS = 10_000


def observations(
    where: object,
    window: Window | None = None,
    *,
    taxon_id: int | str = validate.BUTTERFLIES,
    quality_grades: str | Iterable[str] = validate.DEFAULT_QUALITY_GRADES,
    max_results: int = DEFAULT_MAX_RESULTS,
    session: ButterflySession,
) -> pd.DataFrame:
    """Observations in ``where`` during ``window`` (default: 14 days back to 7 ahead of today, all years).

    Columns: id, taxon_id, scientific_name, common_name, rank, observed_on (``datetime.date``, the observer's
    local date), observed_at (UTC, NaT without a time), latitude, longitude, positional_accuracy_m, obscured,
    quality_grade, photo_url (medium), photo_attribution, photo_license, url, user_login, place_guess, license.
    Sorted by id. Text is raw (escape it when showing it); URLs are http(s) only.
    """
    window = check_window(window if window is not None else AcrossYears(date.today()))
    params = search_params(where, taxon_id, quality_grades)
    max_results = validate.max_results(max_results)
    location = place_label(where)
    tier = window.tier()
    frames: list[pd.DataFrame] = []
    fetches: list[Fetched] = []
    matched, skipped = 0, 0
    for q in window.queries():
        budget = max_results - sum(len(f) for f in frames)
        if budget <= 0:
            skipped += 1
            continue
        pages = client.pages_by_id(
            PATH,
            {**params, **q},
            per_page=client.OBSERVATIONS_PER_PAGE,
            tier=tier,
            max_results=budget,
            location=location,
            session=session,
            parse=parse.observations_frame,
        )
        for n, fetched in enumerate(pages):
            fetches.append(fetched)
            if n == 0:
                matched += fetched.data["total_results"]
            frames.append(parse.observations_frame(fetched.data["results"], fetched.url))
    frame = pd.concat(frames, ignore_index=True) if frames else parse.observations_frame([], "")
    frame = frame.drop_duplicates("id").sort_values("id", ignore_index=True).head(max_results)
    notices = []
    if matched > max_results or skipped:
        more = (
            f" and {skipped} more month/day quer{'y' if skipped == 1 else 'ies'} not asked" if skipped else ""
        )
        notices.append(
            f"{matched} observations match{more}; only {len(frame)} (lowest ids) were fetched "
            f"(max_results={max_results})"
        )
        warnings.warn(f"iNaturalist observations: {notices[-1]}", UserWarning, stacklevel=2)
    inside = window.contains(frame["observed_on"])
    if not inside.all():
        notices.append(f"{int((~inside).sum())} observation(s) outside the window dropped")
        frame = frame[inside].reset_index(drop=True)
    prov = combine(
        [f.provenance for f in fetches],
        notice="; ".join(notices),
        parameters={"window": window.label, "matched": matched, "max_results": max_results},
    )
    return attach(frame, prov)


def sightings_this_week(
    where: object,
    as_of: date | str | None = None,
    days_back: int = 14,
    days_ahead: int = 7,
    *,
    all_years: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Observations around ``as_of``: the month-day window in every year, or this year only."""
    day = validate.a_date("as_of", as_of or date.today())
    window = (
        AcrossYears(day, days_back, days_ahead) if all_years else this_week(day, days_back, days_ahead)
    )
    return observations(where, window, **kwargs)
