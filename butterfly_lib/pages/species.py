"""The species page: which butterflies are usually seen around this date, and which have been seen this year.

Look here for what the species page computes: iNaturalist species counts for the month-days around the as-of
date in every year, this year's counts, and the week-of-year seasonality of the most-seen species, joined into
one row per species (``species_rows``) with each species' one status this season, the same the emergence page
shows (shared ``phenology.statuses``). Summary: the species flying now, i.e. those seen around this date whose
status is "flying now" or which have no status at all (too few sightings here for a window): never a species
the emergence page calls expected, between broods, overwintering, late or over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.traits import species_name
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult
from butterfly_lib.sources.inaturalist import seasonality, species_this_year

#: species whose week-of-year seasonality is fetched (one request each)
SEASONALITY_TOP = 12
#: the shared products this page reads (``Products``), directly or through another product: what the runner's
#: prefetch warms for it (the statuses come from the record's phenology)
PRODUCTS = ("temperatures", "forecast", "season", "record", "effort", "cells", "sightings", "phenology",
            "species_week")  # fmt: skip


INAT_TAXON = "https://www.inaturalist.org/taxa/"


def taxon_url(taxon_id: object) -> str | None:
    """The iNaturalist page of a taxon id, or None when there is no valid id."""
    try:
        tid = int(taxon_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return f"{INAT_TAXON}{tid}" if tid > 0 else None


@dataclass(frozen=True)
class SpeciesCard:
    common_name: str
    scientific_name: str
    #: sightings on the month-days ``window_start``..``window_end`` in all years on record
    count: int
    url: str | None
    #: sightings this year from 1 January to the as-of date
    count_this_year: int = 0


@dataclass(frozen=True)
class SpeciesSummary:
    """Species seen around this date in past years (the time frame of every count is part of the summary)."""

    flying_now: list[SpeciesCard]
    #: this year's dates of the month-day window the counts cover (every year on record is counted)
    window_start: str = ""
    window_end: str = ""
    #: the as-of date; ``count_this_year`` runs from 1 January to it
    as_of: str = ""
    #: how many species were seen in the window (the card shows only the most seen)
    species_total: int = 0


def species_rows(
    this_week: pd.DataFrame,
    this_year: pd.DataFrame,
    seasonality_by_taxon: dict[int, pd.DataFrame],
    as_of: date,
    statuses: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per species seen around this week (all years): ``taxon_id, common_name, scientific_name, count,
    photo_url, count_this_year, seen_this_year, url, status, status_text, seasonality`` (53 weekly counts, all
    years, as a list; empty when not fetched) and ``seasonality_note`` (why a species has no curve, else "").
    ``status``/``status_text``: the species' one status this season (``statuses``, matched by species so a
    subspecies finds it; empty when it has none). ``attrs["week"]``: the as-of date's week (0-based, for marking
    it)."""
    out = this_week[["taxon_id", "common_name", "scientific_name", "count", "photo_url"]].copy()
    year_counts = this_year.set_index("taxon_id")["count"] if len(this_year) else pd.Series(dtype=float)
    out["count_this_year"] = out["taxon_id"].map(year_counts).fillna(0).astype(int)
    out["seen_this_year"] = out["count_this_year"] > 0
    out["url"] = [taxon_url(t) for t in out["taxon_id"]]
    by_species = statuses.set_index("scientific_name") if statuses is not None and len(statuses) else None
    keys = out["scientific_name"].map(species_name)
    out["status"] = keys.map(by_species["status"]).fillna("") if by_species is not None else ""
    out["status_text"] = keys.map(by_species["status_text"]).fillna("") if by_species is not None else ""
    curves: list[list[float]] = []
    notes: list[str] = []
    for tid in out["taxon_id"]:
        h = seasonality_by_taxon.get(int(tid)) if pd.notna(tid) else None
        if h is None or h.empty:
            curves.append([])
            notes.append(
                f"not fetched (only the {SEASONALITY_TOP} most-seen species are asked)"
                if h is None
                else "iNaturalist has no counts by week for it here"
            )
            continue
        notes.append("")
        weekly = np.zeros(53)
        weekly[h["week"].to_numpy(int) - 1] = h["count"].to_numpy(float)
        curves.append(weekly.tolist())
    out["seasonality"] = curves
    out["seasonality_note"] = notes
    out = out.reset_index(drop=True)
    out.attrs["week"] = int(pd.Timestamp(as_of).isocalendar().week) - 1
    return out


@dataclass(kw_only=True)
class SpeciesResult(PageResult):
    name: ClassVar[str] = "species"
    week: pd.DataFrame
    year: pd.DataFrame
    seasonality: dict[int, pd.DataFrame]
    rows: pd.DataFrame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"species": self.rows.drop(columns=["seasonality", "seasonality_note"])}

    @property
    def summary(self) -> SpeciesSummary:
        p = self.context.place
        return flying_now(self.rows, as_of=self.context.as_of, days_back=p.days_back, days_ahead=p.days_ahead)


#: statuses a species on the flying-now card may have ("" = no window, nothing says otherwise)
FLYING = ("flying now", "")


def flying_now(
    rows: pd.DataFrame, top: int = 8, *, as_of: date | None = None, days_back: int = 14, days_ahead: int = 7
) -> SpeciesSummary:
    """The flying-now card: the most-seen species around this week whose status this season is "flying now", or
    which have none (module docstring), with this year's counts and the window."""
    status = rows["status"] if "status" in rows else pd.Series("", index=rows.index)
    head = rows[status.isin(FLYING)].sort_values("count", ascending=False, kind="stable").head(top)
    this_year = head["count_this_year"] if "count_this_year" in head else pd.Series(0, index=head.index)
    window = ("", "", "")
    if as_of is not None:
        window = (
            (as_of - timedelta(days=days_back)).isoformat(),
            (as_of + timedelta(days=days_ahead)).isoformat(),
            as_of.isoformat(),
        )
    return SpeciesSummary(
        [
            SpeciesCard(str(c) if isinstance(c, str) else "", str(s), int(n), taxon_url(t), int(y))
            for c, s, n, t, y in zip(
                head["common_name"], head["scientific_name"], head["count"], head["taxon_id"], this_year, strict=True
            )
        ],
        *window,
        species_total=len(rows),
    )


def build(ctx: PageContext) -> SpeciesResult:
    p, session = ctx.place, ctx.session
    week = ctx.products.species_week
    year = species_this_year(p.place, ctx.as_of, taxon_id=p.taxon_id, session=session)
    curves = {
        int(t): seasonality(p.place, taxon_id=int(t), session=session)
        for t in week["taxon_id"].dropna().head(SEASONALITY_TOP)
    }
    names = dict(zip(week["taxon_id"], week["common_name"].fillna(week["scientific_name"]), strict=False))
    datasets: dict[str, Any] = {
        "species around this week": week,
        "species this year": year,
        **{f"seasonality of {names.get(t) or t}": h for t, h in curves.items()},
    }
    rows = species_rows(week, year, curves, ctx.as_of, ctx.products.phenology.statuses)
    return SpeciesResult(context=ctx, datasets=datasets, week=week, year=year, seasonality=curves, rows=rows)
