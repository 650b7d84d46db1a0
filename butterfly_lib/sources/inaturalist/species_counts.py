"""Species counts (``/observations/species_counts``): which taxa were seen, and how often, in a place and window.

Look here for "which butterflies are flying now". ``species_counts`` takes a place and a window:
``DateRange`` (``d1``/``d2``, e.g. this year) or ``AcrossYears`` (a month-day window around a date in every year,
asked as exact ``month``/``day`` filters, see ``windows``). Every page is fetched (500 taxa a page); counts of
the disjoint month/day queries are summed per taxon. ``species_this_week`` and ``species_this_year`` are the
notebook one-liners.
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
from butterfly_lib.sources.inaturalist.taxa import families
from butterfly_lib.sources.inaturalist.windows import AcrossYears, Window, check_window, this_year

PATH = "observations/species_counts"


def species_counts(
    where: object,
    window: Window | None = None,
    *,
    taxon_id: int | str = validate.BUTTERFLIES,
    quality_grades: str | Iterable[str] = validate.DEFAULT_QUALITY_GRADES,
    with_family: bool = False,
    session: ButterflySession,
) -> pd.DataFrame:
    """Taxa observed in ``where`` during ``window`` (default: 14 days back to 7 ahead of today, all years).

    Columns: taxon_id, scientific_name, common_name, rank, count, photo_url (medium), photo_attribution,
    iconic_taxon_name (and family_id, family, family_common_name with ``with_family``, one more batched
    ``/taxa`` lookup, cached 90 days). Sorted by count, highest first. Provenance lists every request.
    """
    window = check_window(window if window is not None else AcrossYears(date.today()))
    params = search_params(where, taxon_id, quality_grades)
    location = place_label(where)
    tier = window.tier()
    frames: list[pd.DataFrame] = []
    fetches: list[Fetched] = []
    raw: list[dict[str, Any]] = []
    notices: list[str] = []
    for q in window.queries():
        pages = client.pages(
            PATH,
            {**params, **q},
            per_page=client.SPECIES_COUNTS_PER_PAGE,
            tier=tier,
            location=location,
            session=session,
            parse=parse.species_counts_frame,
        )
        for n, fetched in enumerate(pages):
            fetches.append(fetched)
            results = fetched.data["results"]
            frames.append(parse.species_counts_frame(results, fetched.url))
            raw.extend(r["taxon"] for r in results)
            total = fetched.data["total_results"]
            if n == 0 and total > client.RESULT_CAP:
                notices.append(
                    f"{total} taxa match {_describe(q)} but iNaturalist serves at most {client.RESULT_CAP}"
                )
    for note in notices:
        warnings.warn(f"iNaturalist species counts: {note}", stacklevel=2)
    frame = _sum_counts(frames)
    if with_family:
        fam, more = families(raw, session=session)
        fetches += more
        fam_frame = pd.DataFrame(
            [(t, *v) for t, v in fam.items()],
            columns=["taxon_id", "family_id", "family", "family_common_name"],
        ).astype({"taxon_id": "Int64", "family_id": "Int64"})
        frame = frame.merge(fam_frame, on="taxon_id", how="left")
    prov = combine(
        [f.provenance for f in fetches],
        notice="; ".join(notices),
        parameters={"window": window.label, "queries": [_describe(q) for q in window.queries()]},
    )
    return attach(frame, prov)


def _sum_counts(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frame = pd.concat(frames, ignore_index=True) if frames else parse.species_counts_frame([], "")
    if frame.empty:
        return frame
    first = frame.drop(columns="count").drop_duplicates("taxon_id").set_index("taxon_id")
    counts = frame.groupby("taxon_id")["count"].sum()
    out = first.join(counts).reset_index()[parse.SPECIES_COUNT_COLUMNS]
    out["count"] = out["count"].astype("int64")
    return out.sort_values(["count", "scientific_name"], ascending=[False, True], ignore_index=True)


def _describe(q: dict[str, Any]) -> str:
    return "&".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in q.items())


def species_this_week(
    where: object,
    as_of: date | str | None = None,
    days_back: int = 14,
    days_ahead: int = 7,
    **kwargs: Any,
) -> pd.DataFrame:
    """Taxa seen on the month-days ``days_back`` before to ``days_ahead`` after ``as_of``, in any year."""
    day = validate.a_date("as_of", as_of or date.today())
    return species_counts(where, AcrossYears(day, days_back, days_ahead), **kwargs)


def species_this_year(
    where: object, as_of: date | str | None = None, **kwargs: Any
) -> pd.DataFrame:
    """Taxa seen from January 1 to ``as_of`` of ``as_of``'s year."""
    return species_counts(where, this_year(validate.a_date("as_of", as_of or date.today())), **kwargs)
